//! What the account use cases refuse, each with its stable code, both messages and field.

use yuming_core::api_key::Quota;

crate::platform::error::error_enum! {
    /// What sign-up, sessions, TOTP, API keys and sub-accounts refuse.
    pub enum AccountsError {
        /// Name must have 1 to 64 printable characters.
        InvalidName = BadRequest("INVALID_NAME", field = "name") => (
            "name must have 1 to 64 printable characters",
            "名称须为 1 到 64 个可打印字符",
        ),
        /// Choose at least one scope.
        ScopesRequired = BadRequest("SCOPES_REQUIRED", field = "scopes") => (
            "choose at least one scope",
            "请至少选择一个权限范围",
        ),
        /// Unknown or revoked API key.
        InvalidApiKey = Unauthenticated("INVALID_API_KEY", field = "X-Yuming-Key") => (
            "unknown or revoked API key",
            "API 密钥不存在或已撤销",
        ),
        /// This API key may not be used from this address.
        ApiKeySourceNotAllowed = Forbidden("API_KEY_SOURCE_NOT_ALLOWED") => (
            "this API key may not be used from this address",
            "该 API 密钥不允许从此地址使用",
        ),
        /// This nonce was already used.
        ReplayedNonce = Unauthenticated("REPLAYED_NONCE", field = "X-Yuming-Nonce") => (
            "this nonce was already used",
            "该 Nonce 已被使用",
        ),
        /// An account with this e-mail already exists.
        EmailTaken = Conflict("EMAIL_TAKEN", field = "email") => (
            "an account with this e-mail already exists",
            "该电子邮箱已注册",
        ),
        /// Sign-up is closed on this platform.
        SignupClosed = Forbidden("SIGNUP_CLOSED") => (
            "sign-up is closed on this platform",
            "本平台暂不开放注册",
        ),
        /// The server is busy checking other passwords; retry in a second.
        ServerBusy = TooManyRequests("SERVER_BUSY") => (
            "the server is busy checking other passwords; retry in a second",
            "服务器繁忙，请稍后重试",
        ),
        /// TOTP is already enabled.
        TotpAlreadyEnabled = Conflict("TOTP_ALREADY_ENABLED") => (
            "TOTP is already enabled",
            "动态验证码已启用",
        ),
        /// The code confirming a TOTP change is wrong, expired or already used.
        InvalidTotp = BadRequest("INVALID_TOTP", field = "code") => (
            "the TOTP code is wrong, expired or already used",
            "动态验证码错误、已过期或已被使用",
        ),
        /// E-mail or password is wrong.
        InvalidCredentials = Unauthenticated("INVALID_CREDENTIALS") => (
            "e-mail or password is wrong",
            "邮箱或密码错误",
        ),
        /// The sign-up form was sent without accepting the user agreement.
        TermsNotAccepted = BadRequest("TERMS_NOT_ACCEPTED", field = "agree") => (
            "accept the user agreement and the privacy policy to sign up",
            "请阅读并同意用户协议和隐私政策后再注册",
        ),
        /// A closure request of this account is already waiting for staff.
        ClosurePending = Conflict("CLOSURE_PENDING") => (
            "a closure request of this account is already waiting for staff",
            "该账户已有待处理的注销申请",
        ),
        /// There is no open closure request.
        NoOpenClosure = Conflict("NO_CLOSURE_REQUEST") => (
            "there is no open closure request",
            "没有待处理的注销申请",
        ),
        /// The account cannot be closed yet.
        AccountNotEmpty { what: String, what_zh: String } = Conflict("ACCOUNT_NOT_EMPTY") => (
            format!("the account cannot be closed yet: {what}"),
            format!("账户暂不能注销：{what_zh}"),
        ),
        /// This account is disabled.
        AccountDisabled = Unauthenticated("ACCOUNT_DISABLED") => (
            "this account is disabled",
            "该账户已停用",
        ),
        /// This account needs a TOTP code.
        TotpRequired = Unauthenticated("TOTP_REQUIRED", field = "totp") => (
            "this account needs a TOTP code",
            "该账户需要输入动态验证码",
        ),
        /// A passkey or a TOTP code is needed to log in.
        SecondFactorRequired = Unauthenticated("SECOND_FACTOR_REQUIRED", field = "totp") => (
            "this account needs a passkey or a TOTP code",
            "该账户需要使用通行密钥或动态验证码登录",
        ),
        /// The ticket of the login's second step expired or was used.
        LoginStepExpired = Unauthenticated("LOGIN_STEP_EXPIRED") => (
            "the login timed out; enter your password again",
            "登录已超时，请重新输入密码",
        ),
        /// The passkey answer at login does not verify.
        LoginPasskeyWrong = Unauthenticated("INVALID_PASSKEY", field = "passkey") => (
            "the passkey could not be verified; try again",
            "通行密钥验证失败，请重试",
        ),
        /// The passkey answer at registration does not verify.
        InvalidPasskey = BadRequest("INVALID_PASSKEY", field = "passkey") => (
            "the passkey could not be verified; try again",
            "通行密钥验证失败，请重试",
        ),
        /// Passkeys need the console at a domain name.
        PasskeysUnavailable = Conflict("PASSKEYS_UNAVAILABLE") => (
            "passkeys need the console to be served at a domain name (http.public_url)",
            "通行密钥需要通过域名访问控制台（请设置 http.public_url）",
        ),
        /// The account has as many passkeys as it may.
        TooManyPasskeys = Conflict("TOO_MANY_PASSKEYS") => (
            "an account can have at most 10 passkeys",
            "每个账户最多可添加 10 个通行密钥",
        ),
        /// This authenticator is registered already.
        PasskeyExists = Conflict("PASSKEY_EXISTS", field = "passkey") => (
            "this passkey is registered already",
            "该通行密钥已添加",
        ),
        /// The TOTP code is wrong or expired.
        LoginTotpWrong = Unauthenticated("INVALID_TOTP", field = "totp") => (
            "the TOTP code is wrong or expired",
            "动态验证码错误或已过期",
        ),
        /// This TOTP code was already used.
        LoginTotpReplayed = Unauthenticated("INVALID_TOTP", field = "totp") => (
            "this TOTP code was already used",
            "该动态验证码已被使用",
        ),
        /// The token is invalid, expired or revoked.
        InvalidToken = Unauthenticated("INVALID_TOKEN") => (
            "the token is invalid, expired or revoked",
            "令牌无效、已过期或已注销",
        ),
        /// Only login sessions can log out.
        NotASession = BadRequest("NOT_A_SESSION") => (
            "only login sessions can log out",
            "仅登录会话可以注销",
        ),
        /// The current password is wrong.
        WrongPassword = BadRequest("WRONG_PASSWORD", field = "current_password") => (
            "the current password is wrong",
            "当前密码错误",
        ),
        /// A sub-account can only receive rights its parent holds.
        RightNotHeld = BadRequest("RIGHT_NOT_HELD", field = "rights") => (
            "a sub-account can only receive rights its parent holds",
            "子账户只能获得父账户拥有的权限",
        ),
        /// Only a top-level customer account manages sub-accounts.
        NotAParentAccount = Forbidden("NOT_A_PARENT_ACCOUNT") => (
            "only a top-level customer account manages sub-accounts",
            "只有主账户可以管理子账户",
        ),
        /// No account with this e-mail.
        AccountNotFound = NotFound("ACCOUNT_NOT_FOUND", field = "email") => (
            "no account with this e-mail",
            "没有使用该邮箱的账户",
        ),
        /// The verification link is wrong, used or expired; ask for a new one.
        InvalidVerificationToken = BadRequest("INVALID_VERIFICATION_TOKEN", field = "token") => (
            "the verification link is wrong, used or expired; ask for a new one",
            "验证链接无效、已使用或已过期，请重新获取",
        ),
        /// Verify the account's e-mail address first (see the link we e-mailed).
        EmailNotVerified = Forbidden("EMAIL_NOT_VERIFIED") => (
            "verify the account's e-mail address first (see the link we e-mailed)",
            "请先通过邮件中的链接验证账户邮箱",
        ),
        /// A scope name that does not exist.
        UnknownScope { scope: String } = BadRequest("UNKNOWN_SCOPE", field = "scopes")
            => (format!("unknown scope {scope:?}"), format!("未知的权限范围 {scope:?}")),
        /// A scope none of whose rights the account holds.
        ScopeNotHeld { scope: String } = BadRequest("SCOPE_NOT_HELD", field = "scopes") => (
            format!("the account holds no right of the scope {scope}"),
            format!("账户没有权限范围 {scope} 的任何权限"),
        ),
        /// A source allow-list entry that is not an address or CIDR block.
        InvalidCidr { reason: String } = BadRequest("INVALID_CIDR", field = "allowed_cidrs")
            => (reason.clone(), format!("来源地址列表无效：{reason}")),
        /// A source allow list with too many entries.
        TooManyCidrs { reason: String } = BadRequest("TOO_MANY_CIDRS", field = "allowed_cidrs")
            => (reason.clone(), format!("来源地址列表无效：{reason}")),
        /// A quota outside its range, or a day smaller than a minute.
        InvalidQuota { field: &'static str } = BadRequest("INVALID_QUOTA", field = field) => (
            format!(
                "quotas must be 1 to {} calls per minute and 1 to {} per day, a day at least a minute",
                Quota::MAX.per_minute,
                Quota::MAX.per_day
            ),
            format!(
                "调用配额须为每分钟 1 到 {} 次、每天 1 到 {} 次，且每天不少于每分钟",
                Quota::MAX.per_minute,
                Quota::MAX.per_day
            ),
        ),
        /// An API key used up its quota for the current window.
        ApiKeyQuotaExceeded { limit: i64, per_day: bool, retry_after: i64 }
            = TooManyRequests("API_KEY_QUOTA_EXCEEDED") => (
            format!(
                "this API key's quota of {limit} calls per {} is used up; retry in {retry_after} seconds",
                if per_day { "day" } else { "minute" }
            ),
            format!(
                "该 API 密钥{} {limit} 次的调用配额已用完，请 {retry_after} 秒后重试",
                if per_day { "每天" } else { "每分钟" }
            ),
        ),
        /// Too many failed attempts: the account is locked for `secs` more seconds.
        AccountLocked { secs: i64 } = TooManyRequests("ACCOUNT_LOCKED") => (
            format!("too many failed attempts; try again in {secs} seconds"),
            format!("验证失败次数过多，请 {secs} 秒后重试"),
        ),
        /// Confirming TOTP before enrolment started.
        TotpNotStarted = Conflict("TOTP_NOT_STARTED")
            => ("start TOTP enrolment first", "请先开始动态验证码绑定"),
        /// Turning off TOTP that is not on.
        TotpNotEnabled = Conflict("TOTP_NOT_ENABLED") => ("TOTP is not enabled", "动态验证码未启用"),
        /// A right name that does not exist.
        UnknownRight { right: String } = BadRequest("UNKNOWN_RIGHT", field = "rights")
            => (format!("unknown right {right:?}"), format!("未知权限 {right:?}")),
        /// A staff right offered to a sub-account.
        RightNotGrantable { right: &'static str }
            = BadRequest("RIGHT_NOT_GRANTABLE", field = "rights") => (
            format!("{right} cannot be granted to a sub-account"),
            format!("{right} 不能授予子账户"),
        ),
    }
}
