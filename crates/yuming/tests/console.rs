//! The customer console in a real browser: Debian's chromium driven through chromium-driver
//! (WebDriver), against `yuming serve` on SQLite and on PostgreSQL, at desktop (1280×800) and
//! phone (390×844) size. Every page of the journey is checked with axe-core (serious and
//! critical findings fail the test), for horizontal overflow on the phone, and saved as a
//! screenshot under `target/console-screenshots/` for people to look at.
//!
//! The journey: sign up → verify the e-mail through the link a real SMTP server received →
//! log in → create a registrant contact → (a reviewer approves it through the API) → search
//! from the home page → register, twice-clicked but charged once → renew → switch to English
//! and back.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use yuming_test_support::TestDb;
use yuming_test_support::serve::{Served, start_serve};
use yuming_test_support::smtp::SmtpSink;

mod common;
use common::{dig, operator, yuming};

const PASSWORD: &str = "correct horse battery";

/// chromium-driver on a port it picked itself, killed on drop.
struct Driver {
    child: Child,
    url: String,
}

impl Driver {
    fn start() -> Driver {
        let child = Command::new("chromedriver")
            .arg("--port=0")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver (package chromium-driver; ./test installs it)");
        // Owned by the guard from here on, so that a failed start still kills it.
        let mut driver = Driver {
            child,
            url: String::new(),
        };
        let stdout = driver.child.stdout.take().expect("stdout");
        let (send, receive) = std::sync::mpsc::channel();
        // Reads to the end so that the driver never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = send.send(line);
            }
        });
        let deadline = Instant::now() + Duration::from_secs(30);
        while driver.url.is_empty() {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = receive
                .recv_timeout(left)
                .expect("chromedriver did not report its port");
            if let Some(port) = line.split("started successfully on port ").nth(1) {
                driver.url = format!("http://127.0.0.1:{}", port.trim().trim_end_matches('.'));
            }
        }
        driver
    }

    async fn browser(&self, width: u32, height: u32) -> Client {
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": "/usr/bin/chromium",
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    "--disable-dev-shm-usage", "--lang=zh-CN",
                    // The console runs at http://localhost:… (passkeys need a host name);
                    // resolve it to 127.0.0.1 only.
                    "--host-resolver-rules=MAP localhost 127.0.0.1",
                    format!("--window-size={width},{height}"),
                ],
                "prefs": { "intl.accept_languages": "zh-CN,zh" },
            }),
        );
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(capabilities)
            .connect(&self.url)
            .await
            .expect("a chromium session");
        // --window-size sets the outer window; the page's viewport is what the layout sees.
        let inner: Value = client
            .execute("return [window.innerWidth, window.innerHeight];", vec![])
            .await
            .expect("viewport");
        let (iw, ih) = (
            inner[0].as_u64().unwrap_or(0),
            inner[1].as_u64().unwrap_or(0),
        );
        let (ow, oh) = (u64::from(width), u64::from(height));
        client
            .set_window_size(
                u32::try_from(ow + (ow - iw.min(ow))).unwrap_or(width),
                u32::try_from(oh + (oh - ih.min(oh))).unwrap_or(height),
            )
            .await
            .expect("window size");
        client
    }
}

/// WebDriver's "Add Virtual Authenticator" (Web Authentication, §11.3): a platform
/// authenticator that verifies its user without a prompt, as a fingerprint reader would.
#[derive(Debug)]
struct AddVirtualAuthenticator;

impl fantoccini::wd::WebDriverCompatibleCommand for AddVirtualAuthenticator {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        let session = session_id.unwrap_or_default();
        base_url.join(&format!("session/{session}/webauthn/authenticator"))
    }

    fn method_and_body(&self, _url: &url::Url) -> (axum::http::Method, Option<String>) {
        let body = json!({
            "protocol": "ctap2",
            "transport": "internal",
            "hasResidentKey": true,
            "hasUserVerification": true,
            "isUserConsenting": true,
            "isUserVerified": true,
        });
        (axum::http::Method::POST, Some(body.to_string()))
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The axe-core script `./test` installs with npm (see .ci/install-tools).
fn axe_source() -> String {
    let dir = std::env::var("YUMING_NPM_DIR").map_or_else(
        |_| PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cache/yuming-npm"),
        PathBuf::from,
    );
    let path = dir.join("node_modules/axe-core/axe.min.js");
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{} ({e}); ./test installs axe-core", path.display()))
}

/// One browser at one size walking the journey, with what it checks on every page.
struct Walk {
    client: Client,
    base: String,
    label: &'static str,
    phone: bool,
    axe: String,
    shots: PathBuf,
    step: u32,
    /// The label this walk searches for and registers under .中国 (each walk its own).
    label_to_register: &'static str,
}

impl Walk {
    async fn open(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .unwrap_or_else(|e| panic!("open {path}: {e}"));
    }

    /// The page's visible text; empty while a navigation has no document yet.
    async fn text(&self) -> String {
        match self.client.find(Locator::Css("body")).await {
            Ok(body) => body.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        }
    }

    async fn path(&self) -> String {
        let url = self.client.current_url().await.expect("url");
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        }
    }

    async fn fill(&self, name: &str, value: &str) {
        self.fill_at(&format!("[name='{name}']"), value).await;
    }

    /// Types into the field `css` (when a page has two fields of the same name).
    async fn fill_at(&self, css: &str, value: &str) {
        let path = self.path().await;
        let field = self
            .client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("field {css} on {path}: {e}"));
        field.clear().await.expect("clear");
        field.send_keys(value).await.expect("type");
    }

    async fn click(&self, css: &str) {
        let path = self.path().await;
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css} on {path}: {e}"))
            .click()
            .await
            .expect("click");
    }

    /// Chooses a file in the file input `css`, as a person picking it in the dialog would.
    async fn choose_file(&self, css: &str, file: &Path) {
        let path = self.path().await;
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css} on {path}: {e}"))
            .send_keys(file.to_str().expect("utf-8 path"))
            .await
            .expect("choose file");
    }

    /// Waits until the page shows `needle` (after a form submission or a redirect).
    async fn expect_text(&self, needle: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let text = self.text().await;
            if text.contains(needle) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "[{}] {} does not show {needle:?}:\n{text}",
                self.label,
                self.path().await
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// axe-core, the overflow check and a screenshot for the page on screen.
    async fn check_page(&mut self, name: &str) {
        self.step += 1;
        let path = self.path().await;
        let lang: Value = self
            .client
            .execute("return document.documentElement.lang;", vec![])
            .await
            .expect("lang");
        assert!(
            lang.as_str().is_some_and(|l| !l.is_empty()),
            "{path}: <html lang> is missing"
        );
        if self.phone {
            let widths: Value = self
                .client
                .execute(
                    "return [document.documentElement.scrollWidth, window.innerWidth];",
                    vec![],
                )
                .await
                .expect("widths");
            assert!(
                widths[0].as_u64() <= widths[1].as_u64(),
                "[{}] {path} overflows horizontally: {widths}",
                self.label
            );
        }
        self.client
            .execute(&self.axe, vec![])
            .await
            .expect("inject axe-core");
        let result: Value = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, { resultTypes: ['violations'] })
                    .then(r => done(r.violations
                        .filter(v => v.impact === 'serious' || v.impact === 'critical')
                        .map(v => ({ id: v.id, impact: v.impact, help: v.help,
                                     nodes: v.nodes.map(n => n.html).slice(0, 3) }))))
                    .catch(e => done({ error: String(e) }));",
                vec![],
            )
            .await
            .expect("axe.run");
        assert_eq!(
            result,
            json!([]),
            "[{}] axe-core on {path} found serious or critical problems",
            self.label
        );
        let png = self.client.screenshot().await.expect("screenshot");
        let file = self
            .shots
            .join(format!("{}-{:02}-{name}.png", self.label, self.step));
        std::fs::write(&file, png).expect("write screenshot");
    }
}

/// The directory screenshots go to: `target/console-screenshots/` of the workspace (CI keeps
/// it as an artefact).
fn screenshot_dir() -> PathBuf {
    let target = std::env::var("CARGO_TARGET_DIR").map_or_else(
        |_| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"),
        PathBuf::from,
    );
    let dir = target.join("console-screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot dir");
    dir
}

/// A reviewer approves every pending contact through the API, as the review queue would.
async fn approve_pending_contacts(base: &str, data: &Path, db_url: &str, email: &str) {
    operator(
        data,
        db_url,
        &[
            "user",
            "create",
            "--email",
            email,
            "--role",
            "reviewer",
            "--password-stdin",
        ],
        Some(PASSWORD),
    );
    let http = yuming_app::platform::http::client_builder()
        .build()
        .expect("client");
    let login: Value = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({ "email": email, "password": PASSWORD }))
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("login JSON");
    let token = login["token"].as_str().expect("token").to_owned();
    let queue: Value = http
        .get(format!("{base}/api/v1/review/contacts"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("queue")
        .json()
        .await
        .expect("queue JSON");
    let contacts = queue["contacts"].as_array().expect("contacts");
    assert!(!contacts.is_empty(), "nothing to review: {queue}");
    for contact in contacts {
        let id = contact["id"].as_str().expect("id");
        // The reviewer decides with the document images beside the data.
        let full: Value = http
            .get(format!("{base}/api/v1/review/contacts/{id}"))
            .bearer_auth(&token)
            .send()
            .await
            .expect("contact")
            .json()
            .await
            .expect("contact JSON");
        assert_eq!(full["documents"]["missing"], json!([]), "{full}");
        let front = full["documents"]["documents"]
            .as_array()
            .and_then(|d| {
                d.iter()
                    .find(|d| d["kind"] == "id_front" && d["current"] == true)
            })
            .and_then(|d| d["id"].as_str())
            .expect("the front image")
            .to_owned();
        let image = http
            .get(format!(
                "{base}/api/v1/contacts/{id}/documents/{front}/content"
            ))
            .bearer_auth(&token)
            .send()
            .await
            .expect("image");
        assert_eq!(image.status(), 200);
        assert_eq!(image.headers()["content-type"], "image/png");
        let response = http
            .post(format!("{base}/api/v1/review/contacts/{id}/decision"))
            .bearer_auth(&token)
            .json(&json!({ "decision": "approve" }))
            .send()
            .await
            .expect("decision");
        assert!(response.status().is_success(), "{}", response.status());
    }
}

/// The verification link's token from the mail the SMTP server received for `to`.
async fn mailed_token(sink: &SmtpSink, to: &str, served: &mut Served) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let token = sink
            .received()
            .iter()
            .filter(|m| {
                m["to"]
                    .as_array()
                    .is_some_and(|r| r.iter().any(|a| a == to))
            })
            .filter_map(|m| yuming_test_support::token_in(m["body"].as_str()?))
            .next();
        if let Some(token) = token {
            return token;
        }
        assert!(
            Instant::now() < deadline,
            "no verification mail for {to}: {}",
            served.log()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn journey(walk: &mut Walk, served: &mut Served, sink: &SmtpSink, data: &Path, db: &str) {
    let email = format!("{}@example.com", walk.label);

    // The public home page: the search box first.
    walk.open("/").await;
    walk.expect_text("找到属于您的域名").await;
    walk.check_page("home").await;

    // Sign up. Without accepting the agreement the form says so, keeping what was typed.
    walk.open("/signup").await;
    walk.check_page("signup").await;
    walk.fill("email", &email).await;
    walk.fill("display_name", "张三").await;
    walk.fill("password", PASSWORD).await;
    walk.click("form.stack button[type=submit]").await;
    walk.expect_text("请阅读并同意用户协议和隐私政策").await;
    let kept: Value = walk
        .client
        .execute(
            "return document.querySelector('[name=email]').value;",
            vec![],
        )
        .await
        .expect("value");
    assert_eq!(kept, json!(email), "the form keeps what was typed");
    walk.check_page("signup-error").await;
    walk.fill("password", PASSWORD).await;
    walk.click("#f-agree").await;
    walk.click("form.stack button[type=submit]").await;
    walk.expect_text("请查收验证邮件").await;

    // The link in the mail: the page only shows a button; pressing it verifies.
    let token = mailed_token(sink, &email, served).await;
    walk.open(&format!("/verify-email?token={token}")).await;
    walk.check_page("verify-email").await;
    walk.click("main form button[type=submit]").await;
    walk.expect_text("邮箱已验证").await;

    // A console page while signed out leads to the login page and back.
    walk.open("/console/contacts").await;
    walk.expect_text("登录").await;
    assert!(
        walk.path().await.starts_with("/login?next="),
        "{}",
        walk.path().await
    );
    walk.check_page("login").await;
    walk.fill("email", &email).await;
    walk.fill("password", PASSWORD).await;
    walk.click("form.stack button[type=submit]").await;
    walk.expect_text("实名信息模板").await;
    assert_eq!(walk.path().await, "/console/contacts");

    // A registrant contact, submitted for real-name review.
    walk.open("/console/contacts/new").await;
    walk.check_page("contact-form").await;
    walk.fill("name", "张三").await;
    walk.fill("id_number", "11010519491231002X").await;
    walk.fill("email", &email).await;
    walk.fill("phone", "13800138000").await;
    walk.fill("province", "北京").await;
    walk.fill("city", "北京").await;
    walk.fill("street", "长安街 1 号").await;
    walk.click("form.stack button[type=submit]").await;
    walk.expect_text("实名信息已提交").await;
    walk.expect_text("审核中").await;
    // Its page asks for both sides of the ID card; the images go up through the file inputs.
    walk.expect_text("还需上传 2 张图片").await;
    let scans = tempfile::tempdir().expect("scan dir");
    let too_small = scans.path().join("small.png");
    std::fs::write(
        &too_small,
        yuming_test_support::fixtures::document_png(600, 400),
    )
    .expect("write scan");
    let scan = scans.path().join("id-card.png");
    std::fs::write(
        &scan,
        yuming_test_support::fixtures::document_png(1100, 700),
    )
    .expect("write scan");
    walk.choose_file("#f-file-id_front", &too_small).await;
    walk.click("form:has(#f-file-id_front) button[type=submit]")
        .await;
    walk.expect_text("图片为 600 × 400 像素").await;
    walk.check_page("contact-upload-refused").await;
    for kind in ["id_front", "id_back"] {
        walk.choose_file(&format!("#f-file-{kind}"), &scan).await;
        walk.click(&format!("form:has(#f-file-{kind}) button[type=submit]"))
            .await;
        walk.expect_text("图片已通过检查并保存").await;
    }
    walk.expect_text("图片已全部上传").await;
    walk.check_page("contact").await;
    walk.open("/console/contacts").await;
    walk.check_page("contacts").await;
    approve_pending_contacts(&walk.base, data, db, &format!("reviewer-{}", email)).await;
    walk.open("/console/contacts").await;
    walk.expect_text("已认证").await;

    // Money arrives the way it does before payments exist: an operator credits it.
    operator(
        data,
        db,
        &["account", "credit", "--email", &email, "--amount", "20000"],
        None,
    );
    walk.open("/console").await;
    walk.expect_text("¥200.00").await;
    walk.check_page("dashboard").await;

    // Search from the home page's box; a bare label is checked under every TLD.
    let name = format!("{}.中国", walk.label_to_register);
    walk.open("/").await;
    walk.fill("q", walk.label_to_register).await;
    walk.click("form.search-box button[type=submit]").await;
    walk.expect_text(&name).await;
    assert!(walk.path().await.starts_with("/search?q="));
    walk.check_page("search").await;
    // A name goes into the cart and out again (the cart's checkout is tested in pages.rs).
    walk.click("form[action='/cart/add'] button[type=submit]")
        .await;
    walk.expect_text("已加入购物车").await;
    walk.open("/cart").await;
    walk.expect_text("使用余额支付").await;
    walk.check_page("cart").await;
    walk.click("button[formaction='/cart/remove']").await;
    walk.expect_text("购物车是空的").await;
    let register = serde_urlencoded::to_string([("name", name.as_str())]).expect("query");
    walk.open(&format!("/console/register?{register}")).await;
    walk.expect_text("确认并支付").await;
    walk.check_page("register").await;

    // Checkout sent twice from the same form: charged once.
    let form_html: Value = walk
        .client
        .execute(
            "return document.querySelector('main form').outerHTML;",
            vec![],
        )
        .await
        .expect("form");
    walk.click("main form button[type=submit]").await;
    walk.expect_text("域名注册成功").await;
    let domain_page = walk.path().await;
    let domain_page = domain_page.split('?').next().unwrap_or("").to_owned();
    assert!(
        domain_page.starts_with("/console/domains/xn--"),
        "{domain_page}"
    );
    walk.check_page("domain").await;
    walk.client
        .execute(
            "const holder = document.createElement('div');
             holder.innerHTML = arguments[0];
             document.body.appendChild(holder);
             holder.querySelector('form').submit();",
            vec![form_html],
        )
        .await
        .expect("submit again");
    walk.expect_text("域名注册成功").await;
    walk.open("/console/billing").await;
    walk.expect_text("¥171.00").await;
    // The statement says what the charge paid for, in words.
    walk.expect_text(&format!("注册 {name} · 1 年")).await;
    walk.check_page("billing").await;

    // Renew for a year from the domain's page.
    walk.open(&domain_page).await;
    walk.click("form[action$='/renew'] button[type=submit]")
        .await;
    walk.expect_text("续费成功").await;
    walk.open("/console/domains").await;
    walk.expect_text(&name).await;
    walk.check_page("domains").await;

    // A DNS record from the domain's page, answered by the authoritative server at once.
    walk.open(&domain_page).await;
    walk.click("a[href$='/dns']").await;
    walk.expect_text("添加记录").await;
    walk.fill("name", "www").await;
    walk.fill("value", "203.0.113.10").await;
    walk.click("form.grid-form button[type=submit]").await;
    walk.expect_text("记录已添加").await;
    walk.check_page("dns").await;
    let ascii = domain_page
        .trim_start_matches("/console/domains/")
        .to_owned();
    let dns_port = served.listening.dns.expect("DNS is on").port();
    // The server picks up changes within its refresh interval.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let answer = dig(dns_port, &[&format!("www.{ascii}"), "A", "+norecurse"]);
        if answer.contains("203.0.113.10") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "dig does not see the record added in the console:\n{answer}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // A value the record rules refuse is shown beside its field, keeping the input.
    walk.fill("value", "not-an-address").await;
    walk.click("form.grid-form button[type=submit]").await;
    let error = walk
        .client
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css("#e-value"))
        .await
        .expect("an error beside the value");
    assert!(!error.text().await.expect("text").is_empty());
    let kept: Value = walk
        .client
        .execute("return document.querySelector('#f-value').value;", vec![])
        .await
        .expect("value");
    assert_eq!(kept, json!("not-an-address"));

    // ICP filing: the entity, the site, and the self-check of the order it opens.
    walk.open("/console/filing").await;
    walk.check_page("filing").await;
    walk.click("a[href='/console/filing/new']").await;
    walk.expect_text("填写主体信息").await;
    walk.check_page("filing-entity").await;
    walk.fill("entity.name", "张三").await;
    walk.fill("entity.province", "北京").await;
    walk.fill("entity.cert_no", "11010519491231002X").await;
    walk.fill("entity.address", "北京市东城区长安街 1 号").await;
    walk.fill("entity.principal.name", "张三").await;
    walk.fill("entity.principal.id_number", "11010519491231002X")
        .await;
    walk.fill("entity.principal.mobile", "13800138000").await;
    walk.fill("entity.principal.email", &email).await;
    walk.click("main form button[type=submit]").await;
    walk.expect_text("填写网站信息").await;
    walk.check_page("filing-site").await;
    walk.fill("site.name", "张三的技术博客").await;
    walk.fill("site.domain", &ascii).await;
    walk.fill("site.homepage", &format!("https://www.{ascii}/"))
        .await;
    walk.fill("site.purpose", "个人技术笔记").await;
    walk.fill("site.servers", "203.0.113.10").await;
    walk.fill("site.principal.name", "张三").await;
    walk.fill("site.principal.id_number", "11010519491231002X")
        .await;
    walk.fill("site.principal.mobile", "13800138000").await;
    walk.fill("site.principal.email", &email).await;
    walk.click("main form.stack button[type=submit]").await;
    walk.expect_text("自动检查结果").await;
    assert!(walk.path().await.starts_with("/console/filing/orders/"));
    walk.expect_text("尚未上传正面证件照").await;
    walk.check_page("filing-check").await;
    // A material goes up on the order's page and its finding leaves the self-check.
    walk.choose_file("#f-file-id_front", &scan).await;
    walk.click("form:has(#f-file-id_front) button[type=submit]")
        .await;
    walk.expect_text("材料已通过检查并保存").await;
    assert!(!walk.text().await.contains("尚未上传正面证件照"));
    walk.check_page("filing-materials").await;

    // Security and notices: each page passes the same checks.
    walk.open("/console/security").await;
    walk.expect_text("两步验证").await;
    walk.check_page("security").await;
    walk.click("form[action='/console/security/totp/begin'] button")
        .await;
    walk.expect_text("扫描下方二维码").await;
    walk.check_page("security-totp").await;

    // A passkey: added with the browser's authenticator, then it confirms the next login.
    walk.client
        .issue_cmd(AddVirtualAuthenticator)
        .await
        .expect("a virtual authenticator");
    walk.open("/console/security").await;
    walk.fill("name", "Chromium").await;
    walk.click("[data-passkey-register]").await;
    walk.expect_text("通行密钥已添加").await;
    walk.expect_text("Chromium").await;
    walk.check_page("security-passkey").await;
    walk.client
        .execute(
            "document.querySelector(\"form[action='/logout']\").submit();",
            vec![],
        )
        .await
        .expect("log out");
    walk.expect_text("您已安全退出").await;
    walk.open("/login").await;
    walk.fill("email", &email).await;
    walk.fill("password", PASSWORD).await;
    walk.click("main form.stack button[type=submit]").await;
    walk.expect_text("请使用通行密钥确认是您本人").await;
    walk.check_page("login-passkey").await;
    walk.click("[data-passkey-login]").await;
    walk.expect_text("账户余额").await;

    walk.open("/console/notices").await;
    walk.check_page("notices").await;
    walk.open("/console/transfers").await;
    walk.expect_text("转入域名").await;
    walk.check_page("transfers").await;
    walk.open("/console/team").await;
    walk.expect_text("新建子账号").await;
    walk.check_page("team").await;
    walk.open("/console/webhooks").await;
    walk.expect_text("添加地址").await;
    walk.check_page("webhooks").await;
    walk.open("/console/account").await;
    walk.expect_text("下载我的全部数据").await;
    walk.check_page("account").await;
    walk.open("/console/domains?sort=expiry").await;
    walk.expect_text("批量操作所选域名").await;
    walk.check_page("domains-by-expiry").await;
    // Every name on the page at once, into one batch, and its progress page.
    walk.click("details.batch-bar summary").await;
    walk.click("#f-select-all").await;
    walk.client
        .execute(
            "document.querySelector('#f-operation').value = 'auto_renew_on';",
            vec![],
        )
        .await
        .expect("choose the operation");
    walk.click("form#batch button[type=submit]").await;
    walk.expect_text("已完成").await;
    assert!(walk.path().await.starts_with("/console/batches/"));
    walk.check_page("batch").await;
    walk.open("/console/audit").await;
    walk.expect_text("注册域名").await;
    walk.check_page("audit").await;

    // English, remembered across pages, and back.
    walk.click(".lang a[hreflang=en]").await;
    walk.expect_text("Activity log").await;
    walk.open("/console/domains").await;
    walk.expect_text("My domains").await;
    walk.open("/console").await;
    walk.expect_text("Balance").await;
    let lang: Value = walk
        .client
        .execute("return document.documentElement.lang;", vec![])
        .await
        .expect("lang");
    assert_eq!(lang, json!("en"));
    walk.check_page("dashboard-en").await;
    walk.click(".lang a[hreflang=zh-CN]").await;
    walk.expect_text("账户余额").await;
}

async fn console_journeys(db: TestDb) {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let sink = SmtpSink::start();
    let mut command = yuming(&data);
    command
        .arg("serve")
        .env("YUMING_DATABASE_URL", &db.url)
        .env("YUMING_WHOIS_ADDR", "")
        .env("YUMING_SMTP_URL", format!("smtp://127.0.0.1:{}", sink.port))
        .env("YUMING_SCHEDULER__INTERVAL_SECS", "1")
        // A host name, for passkeys; serve puts in the port it was given.
        .env("YUMING_HTTP__PUBLIC_URL", "http://localhost:0")
        .stdout(Stdio::null());
    let mut served = start_serve(&mut command, true);
    served.wait_healthy().await;
    let driver = Driver::start();
    let axe = axe_source();
    let shots = screenshot_dir();
    let backend = if db.url.starts_with("postgres") {
        "pg"
    } else {
        "sqlite"
    };
    for (size, width, height, label_to_register) in
        [("desktop", 1280, 800, "例子"), ("phone", 390, 844, "样例")]
    {
        let client = driver.browser(width, height).await;
        let label: &'static str = Box::leak(format!("{backend}-{size}").into_boxed_str());
        clear_shots(&shots, label);
        let mut walk = Walk {
            client,
            base: format!("http://localhost:{}", served.listening.http.port()),
            label,
            phone: size == "phone",
            axe: axe.clone(),
            shots: shots.clone(),
            step: 0,
            label_to_register,
        };
        journey(&mut walk, &mut served, &sink, &data, &db.url).await;
        walk.client.close().await.expect("close the browser");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_journey_on_sqlite() {
    console_journeys(TestDb::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_journey_on_postgres() {
    if let Some(db) = TestDb::postgres().await {
        console_journeys(db).await;
    }
}

/// Removes this walk's screenshots of an earlier run (they would mix with this run's).
fn clear_shots(shots: &Path, label: &str) {
    for entry in std::fs::read_dir(shots).expect("screenshot dir").flatten() {
        if entry
            .file_name()
            .to_string_lossy()
            .starts_with(&format!("{label}-"))
        {
            std::fs::remove_file(entry.path()).expect("remove an old screenshot");
        }
    }
}

/// The pages after a filing is approved, which the journey cannot reach in a browser (the
/// authority's sandbox decides on a simulated clock): the filed site with its certificate,
/// footer and monitor, a change of the site's filing with its edit form, and giving it up.
/// The console runs in this process over the shared filing world.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filed_site_pages_in_the_browser() {
    use yuming_test_support::filing::{self as world, PERSON_ID};

    let db = TestDb::sqlite().await;
    let w = world::world(&db).await;
    let (alice, order) = world::ready_order(
        &w,
        "filed@example.com",
        "filed-notes.cn",
        "203.0.113.42",
        "13800138000",
        PERSON_ID,
    )
    .await;
    let (_, sites) = world::approved_first_filing(&w, &alice, &order).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let server = serve_in_process(listener, &w.app);

    let driver = Driver::start();
    let shots = screenshot_dir();
    for (size, width, height) in [("desktop", 1280, 800), ("phone", 390, 844)] {
        let mut walk = walk_at(&driver, port, &shots, "filed", (size, width, height)).await;
        walk.open("/login").await;
        walk.fill("email", "filed@example.com").await;
        walk.fill("password", yuming_test_support::fixtures::PASSWORD)
            .await;
        walk.click("main form.stack button[type=submit]").await;
        walk.expect_text("账户余额").await;
        walk.open(&format!("/console/filing/sites/{}", sites[0].id))
            .await;
        walk.expect_text("备案证书").await;
        walk.expect_text("变更或注销备案").await;
        walk.check_page("filed-site").await;
        walk.click("form:has(input[value=CHANGE_SITE]) button[type=submit]")
            .await;
        walk.expect_text("备案信息").await;
        walk.fill("site.name", "新名字的笔记").await;
        walk.click("form[action$='/fields'] button[type=submit]")
            .await;
        walk.expect_text("修改已保存").await;
        walk.check_page("change-site-order").await;
        // Given up (the confirmation answered yes), so the next walk can change it again.
        walk.client
            .execute("window.confirm = () => true;", vec![])
            .await
            .expect("confirm");
        walk.click("form[action$='/abandon'] button[type=submit]")
            .await;
        walk.expect_text("订单已放弃").await;
        walk.check_page("abandoned-order").await;
        walk.client.close().await.expect("close the browser");
    }
    server.abort();
}

/// Topping up through the sandbox gateway in a browser: the billing page's form, the
/// payment page with its QR code, the sandbox's cashier, the credit, and a refund back to
/// the method. The console runs in this process, at the address the sandbox notifies.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn top_up_and_refund_in_the_browser() {
    let db = TestDb::sqlite().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let (app, _clock) = yuming_test_support::test_app_with(
        &db.db,
        yuming_app::AppSettings {
            public_url: format!("http://127.0.0.1:{port}"),
            ..yuming_test_support::test_settings()
        },
    );
    yuming_test_support::signup_verified(
        &app,
        &yuming_app::RequestContext::internal("test"),
        yuming_app::accounts::NewAccountInput {
            email: "payer@example.com".into(),
            password: yuming_test_support::fixtures::PASSWORD.into(),
            display_name: "付款人".into(),
        },
    )
    .await
    .expect("customer");
    let server = serve_in_process(listener, &app);

    let driver = Driver::start();
    let shots = screenshot_dir();
    for (size, width, height) in [("desktop", 1280, 800), ("phone", 390, 844)] {
        let mut walk = walk_at(&driver, port, &shots, "payments", (size, width, height)).await;
        walk.open("/login").await;
        walk.fill("email", "payer@example.com").await;
        walk.fill("password", yuming_test_support::fixtures::PASSWORD)
            .await;
        walk.click("main form.stack button[type=submit]").await;
        walk.expect_text("账户余额").await;
        walk.open("/console/billing").await;
        // A wrong amount is refused next to the field, nothing is created.
        walk.fill("amount", "12.345").await;
        walk.click("form[action='/console/billing/top-up'] button[type=submit]")
            .await;
        walk.expect_text("最多两位小数").await;
        walk.check_page("top-up-refused").await;
        walk.fill("amount", "0").await;
        walk.click("form[action='/console/billing/top-up'] button[type=submit]")
            .await;
        walk.expect_text("金额须在").await;
        walk.fill("amount", "100").await;
        walk.click("form[action='/console/billing/top-up'] button[type=submit]")
            .await;
        walk.expect_text("待支付").await;
        walk.expect_text("前往支付页面").await;
        walk.check_page("payment-pending").await;
        walk.click("a.btn.primary").await;
        walk.expect_text("沙箱收银台").await;
        walk.check_page("sandbox-cashier").await;
        walk.click("button[value=approve]").await;
        walk.expect_text("已到账").await;
        walk.expect_text("原路退回").await;
        walk.check_page("payment-paid").await;
        walk.fill("amount", "30").await;
        walk.fill("reason", "多充了").await;
        walk.client
            .execute("window.confirm = () => true;", vec![])
            .await
            .expect("confirm");
        walk.click("form[action$='/refund'] button[type=submit]")
            .await;
        walk.expect_text("已提交退款").await;
        walk.expect_text("多充了").await;
        walk.check_page("payment-refunded").await;
        walk.open("/console/billing").await;
        walk.expect_text("充值记录").await;
        walk.check_page("billing-with-payments").await;
        walk.open("/console/billing/invoices").await;
        walk.expect_text("¥70.00").await;
        walk.check_page("invoices").await;
        walk.click("#f-kind-personal").await;
        walk.fill("title", "付款人").await;
        walk.fill("email", "payer@example.com").await;
        walk.click("form[action='/console/billing/invoices'] button[type=submit]")
            .await;
        walk.expect_text("已提交开票申请").await;
        walk.expect_text("待开具").await;
        walk.check_page("invoice-requested").await;
        walk.client.close().await.expect("close the browser");
    }
    let balance = yuming_app::billing::ledger_sums(&app).await.expect("sums");
    assert!(balance.iter().all(|(_, sum)| *sum == 0), "{balance:?}");
    server.abort();
}

/// Paying an order online from the cart (a promotional price shown struck through), a bank
/// transfer's details and a value-added service, on a phone and a desktop.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn order_paid_online_bank_transfer_and_services_in_the_browser() {
    use yuming_app::registrar::contacts::{self, AddressFields, NewContactInput};

    let db = TestDb::sqlite().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let (app, _clock) = yuming_test_support::test_app_with(
        &db.db,
        yuming_app::AppSettings {
            public_url: format!("http://127.0.0.1:{port}"),
            bank_account: Some(yuming_app::billing::bank::BankAccount {
                account_name: "域名科技有限公司".into(),
                bank_name: "招商银行北京分行营业部".into(),
                account_number: "110900000010201".into(),
            }),
            ..yuming_test_support::test_settings()
        },
    );
    let ctx = yuming_app::RequestContext::internal("test");
    let owner = yuming_test_support::fixtures::funded_customer(&app, "shop@example.com", 1).await;
    contacts::create(
        &app,
        &ctx,
        &owner,
        &NewContactInput {
            kind: "person".into(),
            name: "张三".into(),
            id_type: "resident_id".into(),
            id_number: "11010519491231002X".into(),
            email: "holder@example.com".into(),
            phone: "13800138000".into(),
            address: AddressFields {
                country: "CN".into(),
                province: "北京".into(),
                city: "北京".into(),
                street: "长安街 1 号".into(),
                postal_code: None,
            },
        },
    )
    .await
    .expect("contact");
    let system = yuming_core::access::Actor::system();
    yuming_app::registrar::pricing::create_promotion(
        &app,
        &ctx,
        &system,
        yuming_app::registrar::pricing::PromotionInput {
            tld: "top".into(),
            operation: "register".into(),
            price: 100,
            currency: None,
            first_year_only: true,
            label: Some("首年 1 元".into()),
            starts_at: None,
            ends_at: None,
        },
    )
    .await
    .expect("promotion");
    yuming_app::billing::services::set_product(
        &app,
        &ctx,
        &system,
        yuming_app::billing::services::ProductInput {
            code: "filing-assist".into(),
            name_zh: "备案协助服务".into(),
            name_en: "Filing assistance".into(),
            description: "专人协助准备网站备案材料，并跟进管局审核。".into(),
            price: 29_900,
            currency: None,
            active: true,
        },
    )
    .await
    .expect("product");
    let server = serve_in_process(listener, &app);

    let driver = Driver::start();
    let shots = screenshot_dir();
    for (size, width, height) in [("desktop", 1280, 800), ("phone", 390, 844)] {
        let mut walk = walk_at(&driver, port, &shots, "checkout", (size, width, height)).await;
        let name = format!("pay-online-{size}.top");
        walk.open("/login").await;
        walk.fill("email", "shop@example.com").await;
        walk.fill("password", yuming_test_support::fixtures::PASSWORD)
            .await;
        walk.click("main form.stack button[type=submit]").await;
        walk.expect_text("账户余额").await;
        walk.open(&format!("/search?q={name}")).await;
        walk.expect_text("首年 1 元").await;
        walk.check_page("promotion-in-search").await;
        walk.click("form[action='/cart/add'] button[type=submit]")
            .await;
        walk.expect_text("已加入购物车").await;
        walk.open("/cart").await;
        walk.expect_text("或在线支付本订单").await;
        walk.check_page("cart-pay-online").await;
        walk.click("button[name=pay_with][value=sandbox]").await;
        walk.expect_text("待支付").await;
        walk.expect_text(&name).await;
        walk.check_page("order-payment-pending").await;
        walk.click("a.btn.primary").await;
        walk.expect_text("沙箱收银台").await;
        walk.click("button[value=approve]").await;
        walk.expect_text("已注册").await;
        walk.check_page("order-fulfilled").await;
        walk.open("/console/domains").await;
        walk.expect_text(&name).await;

        walk.open("/console/billing").await;
        walk.expect_text("对公转账充值").await;
        walk.fill_at("#f-bank-amount", "5000").await;
        walk.click("form[action='/console/billing/bank-transfer'] button[type=submit]")
            .await;
        walk.expect_text("110900000010201").await;
        walk.expect_text("等待转账").await;
        walk.check_page("bank-transfer").await;

        walk.open("/console/services").await;
        walk.expect_text("备案协助服务").await;
        walk.check_page("services").await;
        walk.click("form[action='/console/services/filing-assist/buy'] button[type=submit]")
            .await;
        walk.expect_text("余额不足").await;
        walk.check_page("service-refused").await;
        walk.client.close().await.expect("close the browser");
    }
    let sums = yuming_app::billing::ledger_sums(&app).await.expect("sums");
    assert!(sums.iter().all(|(_, sum)| *sum == 0), "{sums:?}");
    server.abort();
}

/// Signs the browser out (forgetting its cookies) and in as `email`, landing on `expect`.
async fn sign_in_as(walk: &Walk, email: &str, expect: &str) {
    walk.client
        .delete_all_cookies()
        .await
        .expect("forget cookies");
    walk.open("/login").await;
    walk.fill("email", email).await;
    walk.fill("password", yuming_test_support::fixtures::PASSWORD)
        .await;
    walk.click("main form.stack button[type=submit]").await;
    walk.expect_text(expect).await;
}

/// The staff console: a signed-out visitor is sent to log in and a customer gets a plain 404;
/// a reviewer approves a contact with its documents and rejects a filing with a reason the
/// customer then reads on their filing page; finance credits a balance the customer then
/// sees; an administrator changes a TLD price that the public search then quotes. Each
/// role's dashboard on a desktop and a phone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_work_in_the_back_office() {
    use yuming_app::registrar::{contact_documents, contacts};
    use yuming_core::access::Role;
    use yuming_test_support::filing::{self as world, PERSON_ID};
    use yuming_test_support::fixtures;

    let db = TestDb::sqlite().await;
    let w = world::world(&db).await;
    let (alice, order) = world::ready_order(
        &w,
        "applicant@example.com",
        "review-notes.cn",
        "203.0.113.43",
        "13800138000",
        PERSON_ID,
    )
    .await;
    // The domain must be a month old before its filing can be submitted.
    w.clock.advance_days(31);
    let ctx = fixtures::ctx();
    yuming_app::filing::verify_type(&w.app, &ctx, &alice, &order)
        .await
        .expect("type check");
    yuming_app::filing::submit(&w.app, &ctx, &alice, &order)
        .await
        .expect("submit");
    let bob = fixtures::customer(&w.app, "holder@example.com").await;
    let contact = contacts::create(
        &w.app,
        &ctx,
        &bob,
        &contacts::NewContactInput {
            kind: "person".into(),
            name: "李四".into(),
            id_type: "resident_id".into(),
            id_number: PERSON_ID.into(),
            email: "lisi@example.com".into(),
            phone: "13900139000".into(),
            address: contacts::AddressFields {
                country: "CN".into(),
                province: "上海".into(),
                city: "上海".into(),
                street: "南京东路 1 号".into(),
                postal_code: None,
            },
        },
    )
    .await
    .expect("contact");
    for kind in ["id_front", "id_back"] {
        contact_documents::upload(
            &w.app,
            &ctx,
            &bob,
            &contact.id,
            kind,
            fixtures::document_png(1100, 700),
        )
        .await
        .expect("document");
    }
    fixtures::staff(&w.app, "finance@example.com", Role::Finance).await;
    fixtures::staff(&w.app, "admin@example.com", Role::Admin).await;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let server = serve_in_process(listener, &w.app);

    let driver = Driver::start();
    let shots = screenshot_dir();
    for (size, width, height) in [("desktop", 1280, 800), ("phone", 390, 844)] {
        let mut walk = walk_at(&driver, port, &shots, "staff", (size, width, height)).await;
        // Signed out: to the login page, and back to /admin afterwards.
        walk.open("/admin").await;
        walk.expect_text("还没有账户？").await;
        assert!(walk.path().await.starts_with("/login?next=%2Fadmin"));
        // A customer: the same 404 as any unknown page.
        sign_in_as(&walk, "holder@example.com", "账户余额").await;
        for path in ["/admin", "/admin/review/contacts", "/admin/catalogue"] {
            walk.open(path).await;
            walk.expect_text("您访问的页面不存在").await;
            assert!(!walk.text().await.contains("运营后台"), "{path}");
        }

        sign_in_as(&walk, "reviewer@example.com", "待处理的工作按角色分组").await;
        walk.open("/admin").await;
        walk.expect_text("实名认证待审").await;
        walk.check_page("reviewer-dashboard").await;
        walk.open("/admin/monitor").await;
        walk.expect_text("备案监测").await;
        walk.check_page("monitor").await;
        if size == "desktop" {
            walk.open("/admin/review/contacts").await;
            walk.click("a[href^='/admin/review/contacts/']").await;
            walk.expect_text("本次查看已记入审计日志").await;
            walk.expect_text(PERSON_ID).await;
            walk.expect_text("南京东路 1 号").await;
            let pictures: Value = walk
                .client
                .execute(
                    "return Array.from(document.querySelectorAll('figure.material img')).map(i => i.naturalWidth);",
                    vec![],
                )
                .await
                .expect("pictures");
            assert_eq!(pictures, json!([1100, 1100]), "both documents are shown");
            // A scan lying sideways is turned a quarter for reading.
            walk.click("figure.material [data-rotate]").await;
            let turned: Value = walk
                .client
                .execute(
                    "return document.querySelector('figure.material img').getAttribute('data-turn');",
                    vec![],
                )
                .await
                .expect("turned");
            assert_eq!(turned, json!("90"));
            walk.check_page("contact-review").await;
            walk.click("button[name=decision][value=approve]").await;
            walk.expect_text("审核结论已保存").await;
            walk.expect_text("队列是空的").await;

            walk.open("/admin/review/filing").await;
            walk.click("a[href^='/admin/review/filing/']").await;
            walk.expect_text("张三的学习笔记").await;
            walk.click("form[action$='/claim'] button[type=submit]")
                .await;
            walk.expect_text("已认领").await;
            walk.client
                .find(Locator::Css("select[name=field]"))
                .await
                .expect("field choice")
                .select_by_value("site.name")
                .await
                .expect("choose the field");
            walk.client
                .find(Locator::Css("select[name=code]"))
                .await
                .expect("code choice")
                .select_by_value("SITE_NAME_INVALID")
                .await
                .expect("choose the code");
            walk.fill("comment", "网站名称请写网站的内容，不要只写个人姓名。")
                .await;
            walk.check_page("filing-review").await;
            walk.click("form[action$='/reject'] button[type=submit]")
                .await;
            walk.expect_text("审核结论已保存").await;

            sign_in_as(&walk, "applicant@example.com", "账户余额").await;
            walk.open(&format!("/console/filing/orders/{order}")).await;
            walk.expect_text("网站名称请写网站的内容，不要只写个人姓名。")
                .await;
            walk.expect_text("SITE_NAME_INVALID").await;
            walk.check_page("customer-reads-rejection").await;
        }

        sign_in_as(&walk, "finance@example.com", "待处理的工作按角色分组").await;
        walk.open("/admin").await;
        walk.expect_text("发票申请").await;
        walk.check_page("finance-dashboard").await;
        walk.open("/admin/finance").await;
        walk.expect_text("银行流水").await;
        walk.check_page("finance-queues").await;
        walk.open("/admin/finance/revenue").await;
        walk.expect_text("导出 CSV").await;
        walk.check_page("revenue").await;
        walk.open("/admin/finance/payments").await;
        walk.expect_text("每日对账").await;
        walk.check_page("finance-payments").await;
        if size == "desktop" {
            walk.open("/admin/customers?q=holder%40example.com").await;
            walk.expect_text("手工入账").await;
            walk.fill("amount", "500").await;
            walk.fill("note", "对公转账 20261207-001").await;
            walk.check_page("customer-credit").await;
            walk.click("form[action$='/credit'] button[type=submit]")
                .await;
            walk.expect_text("已入账").await;
            walk.expect_text("¥500.00").await;
            sign_in_as(&walk, "holder@example.com", "账户余额").await;
            walk.open("/console/billing").await;
            walk.expect_text("¥500.00").await;
        }

        sign_in_as(&walk, "admin@example.com", "待处理的工作按角色分组").await;
        walk.open("/admin").await;
        walk.expect_text("在售后缀").await;
        walk.check_page("admin-dashboard").await;
        walk.open("/admin/audit?verify=1").await;
        walk.expect_text("哈希链完好").await;
        walk.check_page("audit-log").await;
        walk.open("/admin/staff").await;
        walk.expect_text("添加员工").await;
        walk.check_page("staff").await;
        walk.open("/admin/filing-settings").await;
        walk.expect_text("接入地址段").await;
        walk.check_page("filing-settings").await;
        walk.open("/admin/operations").await;
        walk.expect_text("计划任务").await;
        if size == "desktop" {
            walk.click("form[action='/admin/operations/jobs/lifecycle_sweep/run'] button")
                .await;
            walk.expect_text("任务已运行").await;
        }
        walk.check_page("operations").await;
        walk.open("/admin/catalogue/lists").await;
        walk.expect_text("筛查词表").await;
        walk.check_page("naming-lists").await;
        walk.open("/admin/customers?q=holder%40example.com").await;
        walk.expect_text("代客户操作").await;
        walk.check_page("customer-detail").await;
        if size == "desktop" {
            walk.open("/admin/catalogue").await;
            walk.click("details:has(form[action='/admin/catalogue/top/prices']) > summary")
                .await;
            walk.fill_at("#p-top-register", "8.80").await;
            walk.check_page("catalogue").await;
            walk.click("form[action='/admin/catalogue/top/prices'] button[type=submit]")
                .await;
            walk.expect_text("价格已保存").await;
            walk.open("/search?q=new-price-example.top").await;
            walk.expect_text("¥8.80").await;
            walk.open("/admin/catalogue/import").await;
            walk.fill(
                "text",
                "[[tld]]\nname = \"top\"\nprices = { register = 990, renew = 2900, transfer = 2900, restore = 12000 }\n",
            )
            .await;
            walk.click("form[action='/admin/catalogue/import'] button.btn:not(.primary)")
                .await;
            walk.expect_text("导入后的改动").await;
            walk.check_page("catalogue-import-preview").await;
        }
        walk.client.close().await.expect("close the browser");
    }
    let sums = yuming_app::billing::ledger_sums(&w.app)
        .await
        .expect("sums");
    assert!(sums.iter().all(|(_, sum)| *sum == 0), "{sums:?}");
    server.abort();
}

/// Support tickets in the browser: a customer opens one with a screenshot, support answers
/// from the queue, the customer reads the notice, closes and rates the ticket; another
/// customer gets 404 for it. On a desktop and a phone, axe-checked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ticket_is_answered_and_rated_in_the_browser() {
    use yuming_core::access::Role;
    use yuming_test_support::fixtures;

    let db = TestDb::sqlite().await;
    let (app, _clock) = yuming_test_support::test_app(&db.db);
    fixtures::customer(&app, "asks@example.com").await;
    fixtures::customer(&app, "stranger@example.com").await;
    fixtures::staff(&app, "care@example.com", Role::Support).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let screenshot = dir.path().join("解析截图.png");
    std::fs::write(&screenshot, fixtures::document_png(300, 200)).expect("screenshot file");

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let server = serve_in_process(listener, &app);
    let driver = Driver::start();
    let shots = screenshot_dir();
    for (size, width, height) in [("desktop", 1280, 800), ("phone", 390, 844)] {
        let mut walk = walk_at(&driver, port, &shots, "tickets", (size, width, height)).await;
        let subject = format!("解析不生效（{size}）");
        sign_in_as(&walk, "asks@example.com", "账户余额").await;
        walk.open("/console/tickets").await;
        walk.expect_text("提交工单").await;
        walk.fill("subject", &subject).await;
        walk.fill("body", "添加的 A 记录一小时后仍查询不到，截图见附件。")
            .await;
        walk.choose_file("input[name=attachment]", &screenshot)
            .await;
        walk.check_page("new-ticket").await;
        walk.click("form[action='/console/tickets'] button[type=submit]")
            .await;
        walk.expect_text("工单已提交").await;
        walk.expect_text("解析截图.png").await;
        let ticket = walk
            .path()
            .await
            .split('?')
            .next()
            .unwrap_or_default()
            .to_owned();

        sign_in_as(&walk, "stranger@example.com", "账户余额").await;
        walk.open(&ticket).await;
        walk.expect_text("未找到该资源").await;
        assert!(!walk.text().await.contains(&subject), "nothing of it shows");

        sign_in_as(&walk, "care@example.com", "待处理的工作按角色分组").await;
        walk.open("/admin").await;
        walk.expect_text("待客服处理的工单").await;
        walk.check_page("support-dashboard").await;
        walk.open("/admin/tickets").await;
        walk.click(&format!(
            "a[href='{}']",
            ticket.replace("/console/", "/admin/")
        ))
        .await;
        walk.expect_text("asks@example.com").await;
        walk.fill("body", "已刷新解析缓存，请再查询一次。").await;
        walk.check_page("staff-ticket").await;
        walk.click("form[action$='/reply'] button[type=submit]")
            .await;
        walk.expect_text("消息已发送").await;

        sign_in_as(&walk, "asks@example.com", "账户余额").await;
        walk.open("/console/notices").await;
        walk.expect_text("有新回复").await;
        walk.open(&ticket).await;
        walk.expect_text("已刷新解析缓存").await;
        walk.click("form[action$='/close'] button[type=submit]")
            .await;
        walk.expect_text("工单已关闭").await;
        walk.click("form[action$='/rate'] button[type=submit]")
            .await;
        walk.expect_text("感谢您的评价").await;
        walk.check_page("rated-ticket").await;
        walk.client.close().await.expect("close the browser");
    }
    server.abort();
}

/// A complaint in the browser: a customer files an appeal; the clock jumps to three hours
/// before its acknowledgement is due; an administrator runs the deadline job from the
/// operations page and finds the escalation notice in the inbox; support acknowledges and
/// answers, and the customer reads the written answer. Desktop and phone, axe-checked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_complaint_is_escalated_after_a_clock_jump_and_answered() {
    use yuming_core::access::Role;
    use yuming_core::clock::Timestamp;
    use yuming_test_support::fixtures;

    let db = TestDb::sqlite().await;
    let (app, clock) = yuming_test_support::test_app(&db.db);
    fixtures::customer(&app, "appeals@example.com").await;
    fixtures::staff(&app, "care2@example.com", Role::Support).await;
    fixtures::staff(&app, "chief@example.com", Role::Admin).await;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let server = serve_in_process(listener, &app);
    let driver = Driver::start();
    let shots = screenshot_dir();
    for (size, width, height) in [("desktop", 1280, 800), ("phone", 390, 844)] {
        let mut walk = walk_at(&driver, port, &shots, "complaints", (size, width, height)).await;
        let subject = format!("实名审核驳回有误（{size}）");
        sign_in_as(&walk, "appeals@example.com", "账户余额").await;
        walk.open("/console/complaints").await;
        walk.expect_text("提交投诉或申诉").await;
        walk.click("input[name=kind][value=appeal]").await;
        walk.fill("subject", &subject).await;
        walk.fill("body", "证件清晰完整，请复核。").await;
        walk.check_page("file-complaint").await;
        walk.click("form[action='/console/complaints'] button[type=submit]")
            .await;
        walk.expect_text("我们将在 1 个工作日内受理").await;
        let complaint = walk
            .path()
            .await
            .split('?')
            .next()
            .unwrap_or_default()
            .to_owned();
        let id = complaint.rsplit('/').next().unwrap_or_default().to_owned();
        let filed = yuming_app::care::complaints::queue(
            &app,
            &fixtures::login(&app, "care2@example.com").await,
        )
        .await
        .expect("queue")
        .into_iter()
        .find(|c| c.id == id)
        .expect("in the queue");

        // Three hours before the acknowledgement is due.
        clock.set(Timestamp(filed.ack_due_at.0 - 3 * 3600));
        sign_in_as(&walk, "chief@example.com", "待处理的工作按角色分组").await;
        walk.open("/admin/operations").await;
        walk.click("form[action='/admin/operations/jobs/complaint_deadlines/run'] button")
            .await;
        walk.expect_text("任务已运行").await;
        walk.open("/console/notices").await;
        walk.expect_text("受理即将到期").await;
        walk.check_page("escalation-notice").await;

        sign_in_as(&walk, "care2@example.com", "待处理的工作按角色分组").await;
        walk.open(&format!("/admin/complaints/{id}")).await;
        walk.expect_text("已督办").await;
        walk.click("form[action$='/acknowledge'] button").await;
        walk.expect_text("已通知客户").await;
        walk.fill("body", "经复核，您的证件符合要求，已重新通过实名审核。")
            .await;
        walk.check_page("answer-complaint").await;
        walk.click("form[action$='/answer'] button").await;
        walk.expect_text("已通知客户").await;

        sign_in_as(&walk, "appeals@example.com", "账户余额").await;
        walk.open(&complaint).await;
        walk.expect_text("已重新通过实名审核").await;
        walk.check_page("complaint-answered").await;
        walk.client.close().await.expect("close the browser");
        clock.set(yuming_test_support::EPOCH_2026);
    }
    server.abort();
}

/// A signed-out visitor reports abuse of a domain held here: the page's script solves the
/// proof of work in the browser and the report reaches support's complaint queue.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visitor_reports_abuse_and_support_sees_it() {
    use yuming_core::access::Role;
    use yuming_test_support::filing::{self as world, PERSON_ID};
    use yuming_test_support::fixtures;

    let db = TestDb::sqlite().await;
    let w = world::world(&db).await;
    world::ready_order(
        &w,
        "abused@example.com",
        "abused-name.cn",
        "203.0.113.61",
        "13800138000",
        PERSON_ID,
    )
    .await;
    fixtures::staff(&w.app, "care5@example.com", Role::Support).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let server = serve_in_process(listener, &w.app);
    let driver = Driver::start();
    let shots = screenshot_dir();
    for (size, width, height) in [("desktop", 1280, 800), ("phone", 390, 844)] {
        let mut walk = walk_at(&driver, port, &shots, "abuse", (size, width, height)).await;
        walk.client
            .delete_all_cookies()
            .await
            .expect("forget cookies");
        walk.open("/abuse").await;
        walk.expect_text("举报滥用").await;
        walk.fill("domain", "abused-name.cn").await;
        walk.fill(
            "body",
            &format!("https://abused-name.cn/login 仿冒银行登录页（{size}）"),
        )
        .await;
        walk.check_page("abuse-form").await;
        walk.click("form[action='/abuse'] button[type=submit]")
            .await;
        walk.expect_text("举报已收到").await;
        walk.check_page("abuse-received").await;

        sign_in_as(&walk, "care5@example.com", "待处理的工作按角色分组").await;
        walk.open("/admin/complaints").await;
        walk.expect_text("phishing: abused-name.cn").await;
        walk.client.close().await.expect("close the browser");
    }
    server.abort();
}

/// A signed-out visitor finds help: searches the help centre in Chinese (`备案 驳回` finds the
/// rejection article, the words highlighted), opens the article, switches to English and
/// searches there; a customer then meets an error whose message links to its article, and
/// posts and votes for product feedback.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visitor_searches_the_help_centre_in_chinese_and_english() {
    let db = TestDb::sqlite().await;
    let (app, _clock) = yuming_test_support::test_app(&db.db);
    yuming_test_support::fixtures::customer(&app, "helped@example.com").await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let server = serve_in_process(listener, &app);
    let driver = Driver::start();
    let shots = screenshot_dir();
    for (size, width, height) in [("desktop", 1280, 800), ("phone", 390, 844)] {
        let mut walk = walk_at(&driver, port, &shots, "help", (size, width, height)).await;
        walk.client
            .delete_all_cookies()
            .await
            .expect("forget cookies");
        walk.open("/help").await;
        walk.expect_text("帮助中心").await;
        walk.expect_text("ICP 备案").await;
        walk.check_page("help-index").await;
        walk.fill("q", "备案 驳回").await;
        walk.click("form[action='/help/search'] button[type=submit]")
            .await;
        walk.expect_text("备案常见驳回原因").await;
        let marked: Value = walk
            .client
            .execute(
                "return [...document.querySelectorAll('.search-results mark')].map(m => m.textContent);",
                vec![],
            )
            .await
            .expect("marks");
        let marked: Vec<String> = serde_json::from_value(marked).expect("texts");
        assert!(
            marked.iter().any(|m| m == "驳回") && marked.iter().any(|m| m == "备案"),
            "{marked:?}"
        );
        walk.check_page("help-search-zh").await;
        walk.click(".search-results a[href='/help/articles/icp-rejection-reasons']")
            .await;
        walk.expect_text("DOMAIN_RESOLVING").await;
        walk.check_page("help-article-zh").await;

        walk.click("a[hreflang='en']").await;
        walk.expect_text("Common reasons a filing is rejected")
            .await;
        walk.fill("q", "rejected filing").await;
        walk.click("form[action='/help/search'] button[type=submit]")
            .await;
        walk.expect_text("Common reasons a filing is rejected")
            .await;
        walk.check_page("help-search-en").await;
        walk.fill("q", "zzzqqqxy").await;
        walk.click("form[action='/help/search'] button[type=submit]")
            .await;
        walk.expect_text("No article matches").await;

        // Signed in, an error names its article.
        walk.click("a[hreflang='zh-CN']").await;
        sign_in_as(&walk, "helped@example.com", "概览").await;
        walk.open("/console/feedback").await;
        walk.click("details.card summary").await;
        walk.fill("title", "").await;
        walk.click("form[action='/console/feedback'] button[type=submit]")
            .await;
        walk.expect_text("请填写 1 到 120 个字符的标题").await;
        let help_link: Value = walk
            .client
            .execute(
                "const a = document.querySelector('.error a.help-link, .alert a.help-link'); return a && a.getAttribute('href');",
                vec![],
            )
            .await
            .expect("help link");
        assert_eq!(help_link, json!("/help/articles/tickets"));
        walk.fill("title", &format!("批量续费提醒（{size}）")).await;
        walk.fill("body", "到期前一次提醒所有域名。").await;
        walk.click("form[action='/console/feedback'] button[type=submit]")
            .await;
        walk.expect_text("建议已提交").await;
        walk.check_page("feedback-board").await;
        walk.client.close().await.expect("close the browser");
    }
    server.abort();
}

/// The console and the API in this process on `listener`, wired as `yuming serve` wires them.
fn serve_in_process(
    listener: tokio::net::TcpListener,
    app: &yuming_app::App,
) -> tokio::task::JoinHandle<std::io::Result<()>> {
    use std::net::SocketAddr;
    let api = yuming_http::router(yuming_http::AppState {
        app: app.clone(),
        settings: yuming_http::HttpSettings::default(),
    });
    let web = yuming_web::WebState {
        app: app.clone(),
        settings: std::sync::Arc::new(yuming_web::WebSettings::default()),
    };
    let router = yuming_web::router(web, api);
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
    })
}

/// A walk through the console on 127.0.0.1:`port` in a browser of one screen size, its
/// screenshots labelled `<prefix>-<size>` (the earlier ones of that label removed).
async fn walk_at(
    driver: &Driver,
    port: u16,
    shots: &Path,
    prefix: &str,
    (size, width, height): (&str, u32, u32),
) -> Walk {
    let label: &'static str = Box::leak(format!("{prefix}-{size}").into_boxed_str());
    clear_shots(shots, label);
    Walk {
        client: driver.browser(width, height).await,
        base: format!("http://127.0.0.1:{port}"),
        label,
        phone: size == "phone",
        axe: axe_source(),
        shots: shots.to_path_buf(),
        step: 0,
        label_to_register: "",
    }
}
