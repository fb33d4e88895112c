//! Local stand-ins for Alipay and WeChat Pay: HTTP servers on 127.0.0.1 that speak each
//! gateway's documented wire protocol with real RSA key pairs made for the test by the
//! `openssl` command (never committed). They check the platform's request signatures
//! independently of the platform's own code (their own canonical strings, keys read by
//! `openssl`, not by the platform's DER reader), sign their answers and notifies, encrypt
//! WeChat Pay's notify resource, and serve daily bills.

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex, OnceLock};

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path as UrlPath, RawQuery, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ring::rand::SystemRandom;
use ring::signature::{self, RsaKeyPair, UnparsedPublicKey};
use serde_json::{Value, json};

/// An RSA key pair made by `openssl` for one test run, in every form the parties need.
pub struct RsaKey {
    /// PKCS#8 PEM (what a merchant pastes into its configuration).
    pub private_pem: String,
    /// SubjectPublicKeyInfo PEM (what a gateway's console hands out).
    pub public_pem: String,
    /// A self-signed X.509 certificate of the key (WeChat Pay's platform certificate).
    pub certificate_pem: String,
    rsa_public_der: Vec<u8>,
    pair: RsaKeyPair,
}

impl std::fmt::Debug for RsaKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RsaKey")
    }
}

fn openssl(dir: &Path, args: &[&str]) {
    let status = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the openssl command (Debian package openssl) makes the test keys");
    assert!(
        status.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&status.stderr)
    );
}

impl RsaKey {
    /// A fresh 2048-bit key.
    pub fn generate() -> RsaKey {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path();
        openssl(
            d,
            &[
                "genpkey",
                "-algorithm",
                "RSA",
                "-pkeyopt",
                "rsa_keygen_bits:2048",
                "-out",
                "key.pem",
            ],
        );
        openssl(d, &["pkey", "-in", "key.pem", "-pubout", "-out", "pub.pem"]);
        openssl(
            d,
            &[
                "rsa",
                "-in",
                "key.pem",
                "-RSAPublicKey_out",
                "-outform",
                "DER",
                "-out",
                "pub.der",
            ],
        );
        openssl(
            d,
            &[
                "pkcs8", "-topk8", "-nocrypt", "-in", "key.pem", "-outform", "DER", "-out",
                "key.der",
            ],
        );
        openssl(
            d,
            &[
                "req",
                "-new",
                "-x509",
                "-key",
                "key.pem",
                "-subj",
                "/CN=payment stand-in",
                "-days",
                "2",
                "-out",
                "cert.pem",
            ],
        );
        let read = |name: &str| std::fs::read(d.join(name)).expect("openssl output");
        let text = |name: &str| String::from_utf8(read(name)).expect("PEM");
        RsaKey {
            private_pem: text("key.pem"),
            public_pem: text("pub.pem"),
            certificate_pem: text("cert.pem"),
            rsa_public_der: read("pub.der"),
            pair: RsaKeyPair::from_pkcs8(&read("key.der")).expect("ring reads openssl's key"),
        }
    }

    /// Three keys shared by every test of the process (making keys takes a moment).
    pub fn shared(index: usize) -> &'static RsaKey {
        static KEYS: OnceLock<Vec<RsaKey>> = OnceLock::new();
        &KEYS.get_or_init(|| (0..3).map(|_| RsaKey::generate()).collect())[index]
    }

    /// The base64 SHA256withRSA signature of `message`.
    pub fn sign(&self, message: &[u8]) -> String {
        let mut out = vec![0; self.pair.public().modulus_len()];
        self.pair
            .sign(
                &signature::RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                message,
                &mut out,
            )
            .expect("sign");
        STANDARD.encode(out)
    }

    /// Whether `signature` (base64) is this key's over `message`.
    pub fn verify(&self, message: &[u8], signature: &str) -> bool {
        let Ok(signature) = STANDARD.decode(signature) else {
            return false;
        };
        UnparsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, &self.rsa_public_der)
            .verify(message, &signature)
            .is_ok()
    }
}

async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    format!("http://{address}")
}

fn client() -> reqwest::Client {
    yuming_app::platform::http::client_builder()
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .expect("client")
}

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0))
}

fn yuan(fen: i64) -> String {
    format!("{}.{:02}", fen / 100, fen % 100)
}

fn fen(yuan: &str) -> i64 {
    let (whole, fraction) = yuan.split_once('.').unwrap_or((yuan, "0"));
    let fraction = format!("{fraction:0<2}");
    whole.parse::<i64>().expect("yuan") * 100 + fraction[..2].parse::<i64>().expect("fen")
}

/// One trade as a stand-in keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trade {
    /// The merchant's trade number (the platform's payment id).
    pub out_trade_no: String,
    /// The gateway's.
    pub trade_no: String,
    /// Fen.
    pub total: i64,
    /// `WAIT_BUYER_PAY`/`NOTPAY`, `TRADE_SUCCESS`/`SUCCESS`, `TRADE_CLOSED`/`CLOSED`.
    pub status: String,
    /// Where notifies go.
    pub notify_url: String,
    /// Refunds: (merchant refund number, fen, succeeded).
    pub refunds: Vec<(String, i64, bool)>,
}

#[derive(Default)]
struct Ledger {
    trades: HashMap<String, Trade>,
    /// Requests whose signature did not verify.
    refused: usize,
    /// Calls by method or path, to tell what the platform asked.
    calls: Vec<String>,
    /// Where the stand-in listens (known once it does).
    base_url: String,
}

// ---------------------------------------------------------------------------------------
// Alipay

/// Alipay's side: `/gateway.do` (form API and page-payment links) and `/bill/{date}`.
#[derive(Clone)]
pub struct AlipayStandIn {
    /// The gateway address to configure (`…/gateway.do`).
    pub gateway_url: String,
    /// The merchant's application id.
    pub app_id: String,
    state: Arc<Mutex<Ledger>>,
    merchant: &'static RsaKey,
    alipay: &'static RsaKey,
}

fn alipay_content(params: &[(String, String)]) -> String {
    let mut kept: Vec<&(String, String)> = params
        .iter()
        .filter(|(k, v)| k != "sign" && k != "sign_type" && !v.is_empty())
        .collect();
    kept.sort();
    kept.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

impl AlipayStandIn {
    /// Starts the stand-in.
    pub async fn start() -> AlipayStandIn {
        let state: Arc<Mutex<Ledger>> = Arc::default();
        let mut stand_in = AlipayStandIn {
            gateway_url: String::new(),
            app_id: "2021000000000001".into(),
            state,
            merchant: RsaKey::shared(0),
            alipay: RsaKey::shared(1),
        };
        let router = Router::new()
            .route("/gateway.do", any(alipay_gateway))
            .route("/bill/{date}", get(alipay_bill))
            .with_state(stand_in.clone());
        let base = serve(router).await;
        stand_in
            .state
            .lock()
            .expect("lock")
            .base_url
            .clone_from(&base);
        stand_in.gateway_url = format!("{base}/gateway.do");
        stand_in
    }

    /// The merchant's private key (PEM) for the platform's configuration.
    pub fn merchant_private_key(&self) -> &str {
        &self.merchant.private_pem
    }

    /// Alipay's public key (PEM) for the platform's configuration.
    pub fn alipay_public_key(&self) -> &str {
        &self.alipay.public_pem
    }

    /// A trade.
    pub fn trade(&self, out_trade_no: &str) -> Option<Trade> {
        self.state
            .lock()
            .expect("lock")
            .trades
            .get(out_trade_no)
            .cloned()
    }

    /// How many requests were refused for their signature.
    pub fn refused(&self) -> usize {
        self.state.lock().expect("lock").refused
    }

    /// The API methods called so far.
    pub fn calls(&self) -> Vec<String> {
        self.state.lock().expect("lock").calls.clone()
    }

    /// The payer opens the page-payment link: the trade is created (as Alipay's cashier
    /// does). Returns the HTTP status.
    pub async fn open(&self, pay_url: &str) -> u16 {
        client()
            .get(pay_url)
            .send()
            .await
            .expect("open")
            .status()
            .as_u16()
    }

    /// The payer pays: the trade becomes TRADE_SUCCESS; returns the signed notify body.
    pub fn pay(&self, out_trade_no: &str) -> String {
        let mut state = self.state.lock().expect("lock");
        let trade = state.trades.get_mut(out_trade_no).expect("trade");
        trade.status = "TRADE_SUCCESS".into();
        let trade = trade.clone();
        drop(state);
        self.notify_body(&trade, &[])
    }

    /// A signed notify of `trade` in its current state, plus `extra` parameters.
    pub fn notify_body(&self, trade: &Trade, extra: &[(&str, &str)]) -> String {
        let mut params: Vec<(String, String)> = vec![
            ("notify_time".into(), "2026-12-07 10:00:00".into()),
            ("notify_type".into(), "trade_status_sync".into()),
            (
                "notify_id".into(),
                format!("ntf{}", uuid::Uuid::new_v4().simple()),
            ),
            ("app_id".into(), self.app_id.clone()),
            ("charset".into(), "utf-8".into()),
            ("version".into(), "1.0".into()),
            ("sign_type".into(), "RSA2".into()),
            ("trade_no".into(), trade.trade_no.clone()),
            ("out_trade_no".into(), trade.out_trade_no.clone()),
            ("trade_status".into(), trade.status.clone()),
            ("total_amount".into(), yuan(trade.total)),
            ("receipt_amount".into(), yuan(trade.total)),
            ("buyer_logon_id".into(), "159****5620".into()),
            ("subject".into(), "账户充值 Top-up".into()),
        ];
        for (k, v) in extra {
            params.retain(|(name, _)| name != k);
            params.push(((*k).into(), (*v).into()));
        }
        let sign = self.alipay.sign(alipay_content(&params).as_bytes());
        params.push(("sign".into(), sign));
        serde_urlencoded::to_string(&params).expect("form")
    }

    /// The same notify signed by a key that is not Alipay's.
    pub fn forged_notify_body(&self, trade: &Trade) -> String {
        let body = self.notify_body(trade, &[]);
        let mut params: Vec<(String, String)> = serde_urlencoded::from_str(&body).expect("form");
        params.retain(|(k, _)| k != "sign");
        let sign = RsaKey::shared(2).sign(alipay_content(&params).as_bytes());
        params.push(("sign".into(), sign));
        serde_urlencoded::to_string(&params).expect("form")
    }

    /// Posts a notify body to the trade's notify URL; returns (status, body).
    pub async fn deliver(&self, out_trade_no: &str, body: String) -> (u16, String) {
        let url = self.trade(out_trade_no).expect("trade").notify_url;
        let response = client()
            .post(url)
            .header(
                "content-type",
                "application/x-www-form-urlencoded; charset=utf-8",
            )
            .body(body)
            .send()
            .await
            .expect("notify");
        let status = response.status().as_u16();
        (status, response.text().await.unwrap_or_default())
    }

    fn answer(&self, method: &str, object: Value) -> Response {
        let key = format!("{}_response", method.replace('.', "_"));
        let text = object.to_string();
        let sign = self.alipay.sign(text.as_bytes());
        (
            [("content-type", "application/json;charset=utf-8")],
            format!("{{\"{key}\":{text},\"sign\":\"{sign}\"}}"),
        )
            .into_response()
    }
}

fn alipay_error(sub_code: &str) -> Value {
    json!({ "code": "40004", "msg": "Business Failed", "sub_code": sub_code, "sub_msg": sub_code })
}

async fn alipay_gateway(
    State(s): State<AlipayStandIn>,
    method: Method,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let params: Vec<(String, String)> = if method == Method::GET {
        serde_urlencoded::from_str(query.as_deref().unwrap_or_default()).unwrap_or_default()
    } else {
        serde_urlencoded::from_bytes(&body).unwrap_or_default()
    };
    let field = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let api = field("method");
    if field("app_id") != s.app_id
        || field("sign_type") != "RSA2"
        || !s
            .merchant
            .verify(alipay_content(&params).as_bytes(), &field("sign"))
    {
        s.state.lock().expect("lock").refused += 1;
        return s.answer(&api, json!({ "code": "40002", "msg": "Invalid Arguments", "sub_code": "isv.invalid-signature", "sub_msg": "验签出错" }));
    }
    let biz: Value = serde_json::from_str(&field("biz_content")).unwrap_or(Value::Null);
    let out_trade_no = biz["out_trade_no"].as_str().unwrap_or_default().to_owned();
    let mut state = s.state.lock().expect("lock");
    state.calls.push(api.clone());
    let create = |state: &mut Ledger| {
        let trade = Trade {
            out_trade_no: out_trade_no.clone(),
            trade_no: format!(
                "2026120722001{}",
                &uuid::Uuid::new_v4().simple().to_string()[..15]
            ),
            total: fen(biz["total_amount"].as_str().unwrap_or("0")),
            status: "WAIT_BUYER_PAY".into(),
            notify_url: field("notify_url"),
            refunds: Vec::new(),
        };
        state
            .trades
            .entry(out_trade_no.clone())
            .or_insert(trade)
            .clone()
    };
    match api.as_str() {
        "alipay.trade.page.pay" => {
            create(&mut state);
            (
                StatusCode::OK,
                "<html><body>支付宝收银台 stand-in</body></html>",
            )
                .into_response()
        }
        "alipay.trade.precreate" => {
            let trade = create(&mut state);
            drop(state);
            s.answer(&api, json!({ "code": "10000", "msg": "Success", "out_trade_no": trade.out_trade_no, "qr_code": format!("https://qr.alipay.com/bax{}", trade.trade_no) }))
        }
        "alipay.trade.query" => {
            let trade = state.trades.get(&out_trade_no).cloned();
            drop(state);
            match trade {
                Some(t) => s.answer(&api, json!({ "code": "10000", "msg": "Success", "trade_no": t.trade_no, "out_trade_no": t.out_trade_no, "trade_status": t.status, "total_amount": yuan(t.total) })),
                None => s.answer(&api, alipay_error("ACQ.TRADE_NOT_EXIST")),
            }
        }
        "alipay.trade.close" => {
            let answer = match state.trades.get_mut(&out_trade_no) {
                Some(t) if t.status == "WAIT_BUYER_PAY" => {
                    t.status = "TRADE_CLOSED".into();
                    json!({ "code": "10000", "msg": "Success", "out_trade_no": out_trade_no })
                }
                Some(_) => alipay_error("ACQ.TRADE_STATUS_ERROR"),
                None => alipay_error("ACQ.TRADE_NOT_EXIST"),
            };
            drop(state);
            s.answer(&api, answer)
        }
        "alipay.trade.refund" => {
            let request_no = biz["out_request_no"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            let amount = fen(biz["refund_amount"].as_str().unwrap_or("0"));
            let answer = match state.trades.get_mut(&out_trade_no) {
                Some(t) if t.status == "TRADE_SUCCESS" => {
                    let done: i64 = t.refunds.iter().map(|r| r.1).sum();
                    if t.refunds.iter().any(|r| r.0 == request_no) {
                        json!({ "code": "10000", "msg": "Success", "trade_no": t.trade_no, "fund_change": "N", "refund_fee": yuan(done) })
                    } else if done + amount > t.total {
                        alipay_error("ACQ.REFUND_AMT_NOT_EQUAL_TOTAL")
                    } else {
                        t.refunds.push((request_no, amount, true));
                        json!({ "code": "10000", "msg": "Success", "trade_no": t.trade_no, "out_trade_no": out_trade_no, "fund_change": "Y", "refund_fee": yuan(done + amount) })
                    }
                }
                Some(_) => alipay_error("ACQ.TRADE_STATUS_ERROR"),
                None => alipay_error("ACQ.TRADE_NOT_EXIST"),
            };
            drop(state);
            s.answer(&api, answer)
        }
        "alipay.trade.fastpay.refund.query" => {
            let request_no = biz["out_request_no"].as_str().unwrap_or_default();
            let refund = state
                .trades
                .get(&out_trade_no)
                .and_then(|t| t.refunds.iter().find(|r| r.0 == request_no).cloned());
            drop(state);
            match refund {
                Some((no, amount, _)) => s.answer(&api, json!({ "code": "10000", "msg": "Success", "out_request_no": no, "refund_amount": yuan(amount), "refund_status": "REFUND_SUCCESS" })),
                None => s.answer(&api, json!({ "code": "10000", "msg": "Success" })),
            }
        }
        "alipay.data.dataservice.bill.downloadurl.query" => {
            let date = biz["bill_date"].as_str().unwrap_or_default().to_owned();
            drop(state);
            let base = s.state.lock().expect("lock").base_url.clone();
            s.answer(&api, json!({ "code": "10000", "msg": "Success", "bill_download_url": format!("{base}/bill/{date}") }))
        }
        _ => {
            drop(state);
            s.answer(&api, json!({ "code": "40004", "msg": "Business Failed", "sub_code": "isv.invalid-method" }))
        }
    }
}

/// Alipay's trade bill: a zip holding the GBK CSV business detail and a summary.
async fn alipay_bill(State(s): State<AlipayStandIn>, UrlPath(_date): UrlPath<String>) -> Response {
    use std::io::Write as _;
    let mut csv = String::from(
        "#支付宝业务明细查询\n#账号：[20880000000000000156]\n#起始日期：[2026年12月07日 00:00:00]\n",
    );
    csv.push_str("支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,对方账户,订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,商家优惠（元）,券核销金额（元）,券名称,商家红包消费金额（元）,卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注\n");
    let trades: Vec<Trade> = s
        .state
        .lock()
        .expect("lock")
        .trades
        .values()
        .cloned()
        .collect();
    for t in trades.iter().filter(|t| t.status == "TRADE_SUCCESS") {
        csv.push_str(&format!("{},{},交易,账户充值,2026-12-07 10:00:00,2026-12-07 10:00:05,,,,,159****5620,{},{},0.00,0.00,0.00,0.00,0.00,,0.00,0.00,,-0.06,0.00,\n", t.trade_no, t.out_trade_no, yuan(t.total), yuan(t.total)));
        for (no, amount, _) in &t.refunds {
            csv.push_str(&format!("{},{},退款,账户充值,2026-12-07 11:00:00,2026-12-07 11:00:01,,,,,159****5620,-{},-{},0.00,0.00,0.00,0.00,0.00,,0.00,0.00,{no},0.00,0.00,\n", t.trade_no, t.out_trade_no, yuan(*amount), yuan(*amount)));
        }
    }
    csv.push_str("#-----------------------------------------业务明细列表结束------------------------------------\n#交易合计：1笔\n");
    let (gbk, _, _) = encoding_rs::GBK.encode(&csv);
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    zip.start_file("20880000000000000156_20261207_业务明细(汇总).csv", options)
        .expect("zip");
    zip.write_all(encoding_rs::GBK.encode("#汇总\n").0.as_ref())
        .expect("zip");
    zip.start_file("20880000000000000156_20261207_业务明细.csv", options)
        .expect("zip");
    zip.write_all(&gbk).expect("zip");
    let bytes = zip.finish().expect("zip").into_inner();
    ([("content-type", "application/zip")], bytes).into_response()
}

// ---------------------------------------------------------------------------------------
// WeChat Pay

/// WeChat Pay's side: the v3 API under `/v3/…` and `/bill/{date}`.
#[derive(Clone)]
pub struct WechatStandIn {
    /// The API address to configure.
    pub base_url: String,
    /// The merchant id.
    pub mch_id: String,
    /// The app id.
    pub app_id: String,
    /// The merchant certificate serial the platform must name.
    pub merchant_serial: String,
    /// The platform certificate serial.
    pub platform_serial: String,
    /// The APIv3 key.
    pub api_v3_key: String,
    state: Arc<Mutex<Ledger>>,
    merchant: &'static RsaKey,
    platform: &'static RsaKey,
}

impl WechatStandIn {
    /// Starts the stand-in.
    pub async fn start() -> WechatStandIn {
        let mut stand_in = WechatStandIn {
            base_url: String::new(),
            mch_id: "1900000109".into(),
            app_id: "wxd678efh567hg6787".into(),
            merchant_serial: "5157F09EFDC096DE15EBE81A47057A7232F1B8E1".into(),
            platform_serial: "PUB_KEY_ID_0119000001092026120700000000000001".into(),
            api_v3_key: "a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb".into(),
            state: Arc::default(),
            merchant: RsaKey::shared(0),
            platform: RsaKey::shared(1),
        };
        let router = Router::new()
            .route("/v3/{*path}", any(wechat_api))
            .route("/bill/{date}", get(wechat_bill))
            .with_state(stand_in.clone());
        stand_in.base_url = serve(router).await;
        stand_in
            .state
            .lock()
            .expect("lock")
            .base_url
            .clone_from(&stand_in.base_url);
        stand_in
    }

    /// The merchant's private key (PEM) for the platform's configuration.
    pub fn merchant_private_key(&self) -> &str {
        &self.merchant.private_pem
    }

    /// The platform certificate (PEM) for the platform's configuration.
    pub fn platform_certificate(&self) -> &str {
        &self.platform.certificate_pem
    }

    /// A trade.
    pub fn trade(&self, out_trade_no: &str) -> Option<Trade> {
        self.state
            .lock()
            .expect("lock")
            .trades
            .get(out_trade_no)
            .cloned()
    }

    /// How many requests were refused for their signature.
    pub fn refused(&self) -> usize {
        self.state.lock().expect("lock").refused
    }

    /// The signature headers of a body sent now.
    fn signed_headers(&self, body: &str, key: &RsaKey) -> Vec<(&'static str, String)> {
        let timestamp = now_secs().to_string();
        let nonce = uuid::Uuid::new_v4().simple().to_string();
        let signature = key.sign(format!("{timestamp}\n{nonce}\n{body}\n").as_bytes());
        vec![
            ("wechatpay-timestamp", timestamp),
            ("wechatpay-nonce", nonce),
            ("wechatpay-signature", signature),
            ("wechatpay-serial", self.platform_serial.clone()),
        ]
    }

    fn answer(&self, status: StatusCode, body: &Value) -> Response {
        let text = if body.is_null() {
            String::new()
        } else {
            body.to_string()
        };
        let mut response =
            (status, [("content-type", "application/json")], text.clone()).into_response();
        for (name, value) in self.signed_headers(&text, self.platform) {
            response
                .headers_mut()
                .insert(name, value.parse().expect("header"));
        }
        response
    }

    /// The payer pays: returns the notify (headers and body).
    pub fn pay(&self, out_trade_no: &str) -> (Vec<(&'static str, String)>, String) {
        let mut state = self.state.lock().expect("lock");
        let trade = state.trades.get_mut(out_trade_no).expect("trade");
        trade.status = "SUCCESS".into();
        let trade = trade.clone();
        drop(state);
        self.notify(
            "TRANSACTION.SUCCESS",
            "transaction",
            &json!({
                "mchid": self.mch_id, "appid": self.app_id, "out_trade_no": trade.out_trade_no,
                "transaction_id": trade.trade_no, "trade_type": "NATIVE", "trade_state": "SUCCESS",
                "trade_state_desc": "支付成功", "bank_type": "OTHERS", "success_time": "2026-12-07T10:00:05+08:00",
                "payer": { "openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o" },
                "amount": { "total": trade.total, "payer_total": trade.total, "currency": "CNY", "payer_currency": "CNY" },
            }),
            self.platform,
        )
    }

    /// A refund-result notify.
    pub fn refund_notify(
        &self,
        out_trade_no: &str,
        out_refund_no: &str,
        refund: i64,
        status: &str,
    ) -> (Vec<(&'static str, String)>, String) {
        let trade = self.trade(out_trade_no).expect("trade");
        self.notify(
            &format!("REFUND.{status}"),
            "refund",
            &json!({
                "mchid": self.mch_id, "out_trade_no": out_trade_no, "transaction_id": trade.trade_no,
                "out_refund_no": out_refund_no, "refund_id": format!("50000{}", &out_refund_no[4..]),
                "refund_status": status, "success_time": "2026-12-07T11:00:00+08:00",
                "amount": { "total": trade.total, "refund": refund, "payer_total": trade.total, "payer_refund": refund },
            }),
            self.platform,
        )
    }

    /// The payment notify signed with a key that is not the platform's.
    pub fn forged_pay_notify(&self, out_trade_no: &str) -> (Vec<(&'static str, String)>, String) {
        let trade = self.trade(out_trade_no).expect("trade");
        self.notify(
            "TRANSACTION.SUCCESS",
            "transaction",
            &json!({ "mchid": self.mch_id, "out_trade_no": out_trade_no, "transaction_id": trade.trade_no, "trade_state": "SUCCESS",
                     "amount": { "total": trade.total, "currency": "CNY" } }),
            RsaKey::shared(2),
        )
    }

    fn notify(
        &self,
        event: &str,
        kind: &str,
        resource: &Value,
        key: &RsaKey,
    ) -> (Vec<(&'static str, String)>, String) {
        let nonce = &uuid::Uuid::new_v4().simple().to_string()[..12];
        let cipher = Aes256Gcm::new_from_slice(self.api_v3_key.as_bytes()).expect("key");
        let ciphertext = cipher
            .encrypt(
                &Nonce::try_from(nonce.as_bytes()).expect("nonce"),
                Payload {
                    msg: resource.to_string().as_bytes(),
                    aad: kind.as_bytes(),
                },
            )
            .expect("encrypt");
        let body = json!({
            "id": uuid::Uuid::new_v4().to_string(),
            "create_time": "2026-12-07T10:00:06+08:00",
            "resource_type": "encrypt-resource",
            "event_type": event,
            "summary": "支付成功",
            "resource": {
                "original_type": kind, "algorithm": "AEAD_AES_256_GCM",
                "ciphertext": STANDARD.encode(ciphertext), "associated_data": kind, "nonce": nonce,
            },
        })
        .to_string();
        (self.signed_headers(&body, key), body)
    }

    /// Posts a notify to the trade's notify URL; returns (status, body).
    pub async fn deliver(
        &self,
        out_trade_no: &str,
        notify: &(Vec<(&'static str, String)>, String),
    ) -> (u16, String) {
        let url = self.trade(out_trade_no).expect("trade").notify_url;
        let mut request = client()
            .post(url)
            .header("content-type", "application/json");
        for (name, value) in &notify.0 {
            request = request.header(*name, value);
        }
        let response = request.body(notify.1.clone()).send().await.expect("notify");
        let status = response.status().as_u16();
        (status, response.text().await.unwrap_or_default())
    }

    fn authorized(&self, method: &Method, uri: &Uri, headers: &HeaderMap, body: &str) -> bool {
        let Some(value) = headers.get("authorization").and_then(|v| v.to_str().ok()) else {
            return false;
        };
        let Some(params) = value.strip_prefix("WECHATPAY2-SHA256-RSA2048 ") else {
            return false;
        };
        let mut fields = HashMap::new();
        for part in params.split(',') {
            if let Some((k, v)) = part.split_once('=') {
                fields.insert(k.trim().to_owned(), v.trim().trim_matches('"').to_owned());
            }
        }
        let get = |k: &str| fields.get(k).cloned().unwrap_or_default();
        let path = uri.path_and_query().map_or("/", |p| p.as_str());
        let message = format!(
            "{method}\n{path}\n{}\n{}\n{body}\n",
            get("timestamp"),
            get("nonce_str")
        );
        get("mchid") == self.mch_id
            && get("serial_no") == self.merchant_serial
            && self.merchant.verify(message.as_bytes(), &get("signature"))
    }
}

async fn wechat_api(
    State(s): State<WechatStandIn>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let text = String::from_utf8_lossy(&body).into_owned();
    if !s.authorized(&method, &uri, &headers, &text) {
        s.state.lock().expect("lock").refused += 1;
        return s.answer(
            StatusCode::UNAUTHORIZED,
            &json!({ "code": "SIGN_ERROR", "message": "签名错误" }),
        );
    }
    let request: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    let path = uri.path().to_owned();
    let mut state = s.state.lock().expect("lock");
    state.calls.push(format!("{method} {path}"));
    if path == "/v3/pay/transactions/native" && method == Method::POST {
        let out_trade_no = request["out_trade_no"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        if request["mchid"].as_str() != Some(&s.mch_id)
            || request["amount"]["total"].as_i64().unwrap_or(0) <= 0
        {
            drop(state);
            return s.answer(
                StatusCode::BAD_REQUEST,
                &json!({ "code": "PARAM_ERROR", "message": "参数错误" }),
            );
        }
        state
            .trades
            .entry(out_trade_no.clone())
            .or_insert_with(|| Trade {
                out_trade_no: out_trade_no.clone(),
                trade_no: format!("42000{}", &uuid::Uuid::new_v4().simple().to_string()[..23]),
                total: request["amount"]["total"].as_i64().unwrap_or(0),
                status: "NOTPAY".into(),
                notify_url: request["notify_url"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                refunds: Vec::new(),
            });
        drop(state);
        return s.answer(
            StatusCode::OK,
            &json!({ "code_url": format!("weixin://wxpay/bizpayurl?pr={}", &out_trade_no[4..12]) }),
        );
    }
    if let Some(rest) = path.strip_prefix("/v3/pay/transactions/out-trade-no/") {
        if let Some(no) = rest.strip_suffix("/close") {
            let found = match state.trades.get_mut(no) {
                Some(t) => {
                    if t.status == "NOTPAY" {
                        t.status = "CLOSED".into();
                    }
                    true
                }
                None => false,
            };
            drop(state);
            return if found {
                s.answer(StatusCode::NO_CONTENT, &Value::Null)
            } else {
                s.answer(
                    StatusCode::NOT_FOUND,
                    &json!({ "code": "ORDER_NOT_EXIST", "message": "订单不存在" }),
                )
            };
        }
        let trade = state.trades.get(rest).cloned();
        drop(state);
        return match trade {
            Some(t) => {
                let refunded = !t.refunds.is_empty();
                let trade_state = if t.status == "SUCCESS" && refunded {
                    "REFUND".to_owned()
                } else {
                    t.status.clone()
                };
                s.answer(StatusCode::OK, &json!({ "appid": s.app_id, "mchid": s.mch_id, "out_trade_no": t.out_trade_no, "transaction_id": t.trade_no, "trade_state": trade_state, "amount": { "total": t.total, "payer_total": t.total, "currency": "CNY" } }))
            }
            None => s.answer(
                StatusCode::NOT_FOUND,
                &json!({ "code": "ORDER_NOT_EXIST", "message": "订单不存在" }),
            ),
        };
    }
    if path == "/v3/refund/domestic/refunds" && method == Method::POST {
        let no = request["out_trade_no"].as_str().unwrap_or_default();
        let refund_no = request["out_refund_no"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let amount = request["amount"]["refund"].as_i64().unwrap_or(0);
        let answer = match state.trades.get_mut(no) {
            Some(t) if t.status == "SUCCESS" => {
                let done: i64 = t.refunds.iter().map(|r| r.1).sum();
                if request["amount"]["total"].as_i64() != Some(t.total) || done + amount > t.total {
                    Err(json!({ "code": "INVALID_REQUEST", "message": "退款金额不合法" }))
                } else {
                    if !t.refunds.iter().any(|r| r.0 == refund_no) {
                        t.refunds.push((refund_no.clone(), amount, false));
                    }
                    Ok(
                        json!({ "refund_id": format!("50000{}", &refund_no[4..]), "out_refund_no": refund_no, "transaction_id": t.trade_no, "out_trade_no": no, "status": "PROCESSING", "amount": { "total": t.total, "refund": amount } }),
                    )
                }
            }
            Some(_) => Err(json!({ "code": "TRADE_STATE_ERROR", "message": "订单状态错误" })),
            None => Err(json!({ "code": "RESOURCE_NOT_EXISTS", "message": "订单不存在" })),
        };
        drop(state);
        return match answer {
            Ok(body) => s.answer(StatusCode::OK, &body),
            Err(body) => s.answer(StatusCode::BAD_REQUEST, &body),
        };
    }
    if let Some(refund_no) = path.strip_prefix("/v3/refund/domestic/refunds/") {
        let found = state.trades.values().find_map(|t| {
            t.refunds
                .iter()
                .find(|r| r.0 == refund_no)
                .map(|r| (t.clone(), r.clone()))
        });
        drop(state);
        return match found {
            Some((t, (no, amount, done))) => s.answer(StatusCode::OK, &json!({ "out_refund_no": no, "out_trade_no": t.out_trade_no, "status": if done { "SUCCESS" } else { "PROCESSING" }, "amount": { "total": t.total, "refund": amount } })),
            None => s.answer(StatusCode::NOT_FOUND, &json!({ "code": "RESOURCE_NOT_EXISTS", "message": "退款单不存在" })),
        };
    }
    if path == "/v3/bill/tradebill" {
        drop(state);
        let date = uri
            .query()
            .unwrap_or_default()
            .split('&')
            .find_map(|p| p.strip_prefix("bill_date="))
            .unwrap_or_default()
            .to_owned();
        let base = s.state.lock().expect("lock").base_url.clone();
        let csv = wechat_bill_text(&s);
        let hash = hex::encode(ring::digest::digest(
            &ring::digest::SHA1_FOR_LEGACY_USE_ONLY,
            csv.as_bytes(),
        ));
        return s.answer(StatusCode::OK, &json!({ "hash_type": "SHA1", "hash_value": hash, "download_url": format!("{base}/bill/{date}") }));
    }
    drop(state);
    s.answer(
        StatusCode::NOT_FOUND,
        &json!({ "code": "NOT_FOUND", "message": "未知接口" }),
    )
}

impl WechatStandIn {
    /// Marks a refund done (as WeChat Pay does some seconds after accepting it).
    pub fn complete_refund(&self, out_refund_no: &str) {
        let mut state = self.state.lock().expect("lock");
        for trade in state.trades.values_mut() {
            for refund in &mut trade.refunds {
                if refund.0 == out_refund_no {
                    refund.2 = true;
                }
            }
        }
    }
}

fn wechat_bill_text(s: &WechatStandIn) -> String {
    let mut csv = String::from(
        "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注\n",
    );
    let trades: Vec<Trade> = s
        .state
        .lock()
        .expect("lock")
        .trades
        .values()
        .cloned()
        .collect();
    for t in trades.iter().filter(|t| t.status == "SUCCESS") {
        csv.push_str(&format!("`2026-12-07 10:00:05,`{},`{},`0,`,`{},`{},`oUpF8u,`NATIVE,`SUCCESS,`OTHERS,`CNY,`{},`0.00,`0,`0,`0.00,`0.00,`,`,`账户充值,`,`0.00600,`0.60%,`{},`0.00,`\n", s.app_id, s.mch_id, t.trade_no, t.out_trade_no, yuan(t.total), yuan(t.total)));
        for (no, amount, done) in t.refunds.iter().filter(|r| r.2) {
            let _ = done;
            csv.push_str(&format!("`2026-12-07 11:00:00,`{},`{},`0,`,`{},`{},`oUpF8u,`NATIVE,`REFUND,`OTHERS,`CNY,`0.00,`0.00,`50000{},`{no},`{},`0.00,`ORIGINAL,`SUCCESS,`账户充值,`,`0.00000,`0.60%,`{},`{},`\n", s.app_id, s.mch_id, t.trade_no, t.out_trade_no, &no[4..], yuan(*amount), yuan(t.total), yuan(*amount)));
        }
    }
    csv.push_str("总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额\n`1,`0.00,`0.00,`0.00,`0.00,`0.00,`0.00\n");
    csv
}

async fn wechat_bill(State(s): State<WechatStandIn>, UrlPath(_date): UrlPath<String>) -> Response {
    (
        [("content-type", "text/csv; charset=utf-8")],
        wechat_bill_text(&s),
    )
        .into_response()
}
