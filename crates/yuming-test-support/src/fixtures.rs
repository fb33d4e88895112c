//! The people and contexts the use-case stories start from: one definition each, so that a
//! change to sign-up or login is made here once.

use yuming_app::accounts::{self, LoginInput, NewAccountInput};
use yuming_app::{App, AppError, RequestContext};
use yuming_core::access::{Actor, AuthMethod, RightSet, Role};
use yuming_core::money::{Currency, Money};

/// The password of every account the fixtures create.
pub const PASSWORD: &str = "correct horse battery";

/// The request context of a test's calls.
pub fn ctx() -> RequestContext {
    RequestContext::internal("test")
}

/// The operator at the command line (`yuming …` commands): an administrator without a tenant.
pub fn operator() -> Actor {
    Actor {
        account_id: "cli".into(),
        tenant_id: String::new(),
        role: Role::Admin,
        rights: RightSet::all(),
        method: AuthMethod::Operator,
    }
}

/// The sign-up form of `email`, with [`PASSWORD`].
pub fn account_input(email: &str) -> NewAccountInput {
    NewAccountInput {
        email: email.into(),
        password: PASSWORD.into(),
        display_name: "客户".into(),
    }
}

/// Logs `email` in with [`PASSWORD`] and returns the actor its session authenticates as.
pub async fn login(app: &App, email: &str) -> Actor {
    let session = accounts::login(
        app,
        &ctx(),
        LoginInput {
            email: email.into(),
            password: PASSWORD.into(),
            totp: None,
        },
    )
    .await
    .expect("login");
    accounts::authenticate_token(app, &session.token)
        .await
        .expect("the session authenticates")
}

/// A customer who signed up, verified the address and logged in.
pub async fn customer(app: &App, email: &str) -> Actor {
    crate::signup_verified(app, &ctx(), account_input(email))
        .await
        .expect("signup");
    login(app, email).await
}

/// A customer whose balance the operator credited with `minor` fen.
pub async fn funded_customer(app: &App, email: &str, minor: i64) -> Actor {
    let actor = customer(app, email).await;
    yuming_app::billing::credit(
        app,
        &ctx(),
        &operator(),
        &actor.tenant_id,
        Money::new(minor, Currency::Cny),
        "test top-up",
    )
    .await
    .expect("credit");
    actor
}

/// A staff member of `role`, created by the operator, logged in.
pub async fn staff(app: &App, email: &str, role: Role) -> Actor {
    accounts::create_user(app, &ctx(), &Actor::system(), account_input(email), role)
        .await
        .expect("create user");
    login(app, email).await
}

/// The stable code of an error, or `OK`.
pub fn code<T>(result: Result<T, AppError>) -> &'static str {
    match result {
        Ok(_) => "OK",
        Err(e) => e.code,
    }
}

/// A colourful PNG of `width` × `height` pixels that states no density: the upload checks
/// then judge it by its pixels (an ID card side needs 1011 × 638, a 300 dpi scan). Drawn
/// here, never a real person's document.
pub fn document_png(width: u32, height: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, ((x ^ y) % 256) as u8])
    });
    let mut out = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .expect("png");
    out
}
