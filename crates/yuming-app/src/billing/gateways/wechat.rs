//! WeChat Pay API v3 (微信支付 APIv3): Native (QR) payment, the notify with its
//! `AEAD_AES_256_GCM` resource, query, close, refund, refund query and the trade bill.
//!
//! Requests carry `Authorization: WECHATPAY2-SHA256-RSA2048 …` signed with the merchant's
//! private key; answers and notifies carry `Wechatpay-Signature` made with the platform key,
//! verified here over `timestamp\nnonce\nbody\n` before anything in them is believed.

use std::fmt;
use std::time::Duration;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use yuming_core::money::{Currency, Money};
use yuming_core::payments::wechat_sign_message;

use super::rsa::{RsaSigner, RsaVerifier};
use super::wall_now;
use super::{
    BillLine, Checkout, CheckoutRequest, GatewayError, GatewayEvent, Notify, NotifyAnswer,
    PaymentGateway, RefundRequest, RefundState, TradeState,
};
use crate::platform::BoxFuture;

/// WeChat Pay's production address.
pub const PRODUCTION_BASE_URL: &str = "https://api.mch.weixin.qq.com";

/// How old a notify or answer may be (WeChat Pay's guidance: five minutes).
const MAX_SKEW_SECS: i64 = 300;

/// The merchant's WeChat Pay account.
pub struct WechatConfig {
    /// The merchant id (商户号).
    pub mch_id: String,
    /// The app id the payments belong to (公众号/小程序/应用 APPID).
    pub app_id: String,
    /// `https://api.mch.weixin.qq.com`, or a stand-in's address in tests.
    pub base_url: String,
    /// The serial number of the merchant's API certificate.
    pub merchant_serial_no: String,
    /// The merchant's API private key (`apiclient_key.pem`).
    pub private_key: String,
    /// The APIv3 key (32 characters) that encrypts notify resources.
    pub api_v3_key: String,
    /// The platform certificate (or WeChat Pay public key), PEM.
    pub platform_key: String,
    /// Its serial (`Wechatpay-Serial` of answers and notifies).
    pub platform_serial: String,
    /// Time limit of one call.
    pub timeout: Duration,
}

/// The WeChat Pay gateway.
pub struct WechatPay {
    mch_id: String,
    app_id: String,
    base_url: String,
    merchant_serial_no: String,
    signer: RsaSigner,
    resource_key: Aes256Gcm,
    verifier: RsaVerifier,
    platform_serial: String,
    client: reqwest::Client,
}

impl fmt::Debug for WechatPay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WechatPay")
            .field("mch_id", &self.mch_id)
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

/// An answer whose signature verified.
struct Answer {
    status: u16,
    body: Value,
}

impl WechatPay {
    /// Builds the gateway; fails on an unreadable key.
    pub fn new(config: WechatConfig) -> Result<WechatPay, String> {
        let signer = RsaSigner::from_text(&config.private_key)
            .map_err(|e| format!("wechat private_key: {e}"))?;
        let verifier = RsaVerifier::from_text(&config.platform_key)
            .map_err(|e| format!("wechat platform_key: {e}"))?;
        let resource_key = Aes256Gcm::new_from_slice(config.api_v3_key.as_bytes())
            .map_err(|_| "wechat api_v3_key must be 32 bytes".to_owned())?;
        let client = crate::platform::http::client_builder()
            .timeout(config.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| format!("wechat client: {e}"))?;
        Ok(WechatPay {
            mch_id: config.mch_id,
            app_id: config.app_id,
            base_url: config.base_url.trim_end_matches('/').to_owned(),
            merchant_serial_no: config.merchant_serial_no,
            signer,
            resource_key,
            verifier,
            platform_serial: config.platform_serial,
            client,
        })
    }

    /// The `Authorization` header of a request.
    fn authorization(&self, method: &str, path_and_query: &str, body: &str) -> String {
        let timestamp = wall_now().to_string();
        let nonce = crate::platform::crypto::random_token::<16>();
        let message = wechat_sign_message(&[method, path_and_query, &timestamp, &nonce, body]);
        let signature = self.signer.sign_base64(message.as_bytes());
        format!(
            "WECHATPAY2-SHA256-RSA2048 mchid=\"{}\",nonce_str=\"{nonce}\",signature=\"{signature}\",timestamp=\"{timestamp}\",serial_no=\"{}\"",
            self.mch_id, self.merchant_serial_no
        )
    }

    /// Checks the platform's signature over `timestamp\nnonce\nbody\n`.
    fn verify_signed(
        &self,
        header: &dyn Fn(&str) -> Option<String>,
        body: &[u8],
    ) -> Result<(), GatewayError> {
        let bad = |why: &str| GatewayError::BadSignature(why.to_owned());
        let timestamp =
            header("wechatpay-timestamp").ok_or_else(|| bad("no Wechatpay-Timestamp"))?;
        let nonce = header("wechatpay-nonce").ok_or_else(|| bad("no Wechatpay-Nonce"))?;
        let signature =
            header("wechatpay-signature").ok_or_else(|| bad("no Wechatpay-Signature"))?;
        let serial = header("wechatpay-serial").ok_or_else(|| bad("no Wechatpay-Serial"))?;
        if serial != self.platform_serial {
            return Err(bad("signed with an unknown platform key"));
        }
        let at: i64 = timestamp
            .parse()
            .map_err(|_| bad("Wechatpay-Timestamp is not a number"))?;
        if (wall_now() - at).abs() > MAX_SKEW_SECS {
            return Err(bad("Wechatpay-Timestamp is more than five minutes away"));
        }
        let body = std::str::from_utf8(body).map_err(|_| bad("the body is not UTF-8"))?;
        let message = wechat_sign_message(&[&timestamp, &nonce, body]);
        if self.verifier.verify_base64(message.as_bytes(), &signature) {
            Ok(())
        } else {
            Err(bad("Wechatpay-Signature does not verify"))
        }
    }

    /// Sends a signed request and returns the verified answer (any status).
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Answer, GatewayError> {
        let text = body.map(Value::to_string).unwrap_or_default();
        let unavailable = |e: &dyn fmt::Display| GatewayError::Unavailable(format!("{path}: {e}"));
        let mut request = self
            .client
            .request(method.clone(), format!("{}{path}", self.base_url))
            .header(
                "authorization",
                self.authorization(method.as_str(), path, &text),
            )
            .header("accept", "application/json")
            .header("user-agent", "yuming");
        if body.is_some() {
            request = request
                .header("content-type", "application/json")
                .body(text);
        }
        let response = request.send().await.map_err(|e| unavailable(&e))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.map_err(|e| unavailable(&e))?;
        if status >= 500 {
            return Err(GatewayError::Unavailable(format!("{path}: HTTP {status}")));
        }
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        self.verify_signed(&header, &bytes)?;
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).map_err(|e| unavailable(&e))?
        };
        Ok(Answer { status, body })
    }

    /// Decrypts a notify's `resource`.
    fn decrypt_resource(&self, resource: &Value) -> Result<Value, GatewayError> {
        let malformed = |why: &str| GatewayError::Malformed(format!("resource: {why}"));
        if resource["algorithm"].as_str() != Some("AEAD_AES_256_GCM") {
            return Err(malformed("the algorithm is not AEAD_AES_256_GCM"));
        }
        let field = |name: &str| resource[name].as_str().unwrap_or_default();
        let ciphertext = STANDARD
            .decode(field("ciphertext"))
            .map_err(|_| malformed("ciphertext is not base64"))?;
        let nonce = Nonce::try_from(field("nonce").as_bytes())
            .map_err(|_| malformed("the nonce is not 12 bytes"))?;
        let plaintext = self
            .resource_key
            .decrypt(
                &nonce,
                Payload {
                    msg: &ciphertext,
                    aad: field("associated_data").as_bytes(),
                },
            )
            // A resource that does not decrypt under our APIv3 key was not made for us.
            .map_err(|_| GatewayError::BadSignature("the resource does not decrypt".into()))?;
        serde_json::from_slice(&plaintext).map_err(|_| malformed("not JSON"))
    }

    fn refund_state(answer: &Value) -> RefundState {
        match answer["status"]
            .as_str()
            .or(answer["refund_status"].as_str())
        {
            Some("SUCCESS") => RefundState::Succeeded {
                refund_no: answer["refund_id"].as_str().map(str::to_owned),
            },
            Some("CLOSED") => RefundState::Failed {
                reason: "WeChat Pay closed the refund".into(),
            },
            Some("ABNORMAL") => RefundState::Failed {
                reason:
                    "WeChat Pay reports the refund abnormal (the payer's account cannot take it)"
                        .into(),
            },
            _ => RefundState::Processing,
        }
    }
}

/// Minor units (fen) as WeChat writes them: an integer.
fn fen(value: &Value, field: &str) -> Result<Money, GatewayError> {
    value[field]
        .as_i64()
        .filter(|v| *v > 0)
        .map(|v| Money::new(v, Currency::Cny))
        .ok_or_else(|| GatewayError::Malformed(format!("amount.{field} is not a positive integer")))
}

fn refusal(answer: &Answer) -> GatewayError {
    GatewayError::Refused(format!(
        "HTTP {} {} {}",
        answer.status,
        answer.body["code"].as_str().unwrap_or_default(),
        answer.body["message"].as_str().unwrap_or_default()
    ))
}

impl PaymentGateway for WechatPay {
    fn name(&self) -> &'static str {
        "wechat"
    }

    fn create<'a>(
        &'a self,
        request: &'a CheckoutRequest<'a>,
    ) -> BoxFuture<'a, Result<Checkout, GatewayError>> {
        Box::pin(async move {
            if request.amount.currency() != Currency::Cny {
                return Err(GatewayError::Refused("WeChat Pay takes CNY only".into()));
            }
            let body = json!({
                "appid": self.app_id,
                "mchid": self.mch_id,
                "description": request.subject,
                "out_trade_no": request.payment_id,
                "time_expire": china_rfc3339(request.expires_at.0),
                "notify_url": request.notify_url,
                "amount": { "total": request.amount.minor(), "currency": "CNY" },
            });
            let answer = self
                .call(
                    reqwest::Method::POST,
                    "/v3/pay/transactions/native",
                    Some(&body),
                )
                .await?;
            if answer.status != 200 {
                return Err(refusal(&answer));
            }
            let code_url = answer.body["code_url"]
                .as_str()
                .ok_or_else(|| GatewayError::Unavailable("native: no code_url".into()))?;
            Ok(Checkout {
                trade_no: None,
                pay_url: None,
                qr_code: Some(code_url.to_owned()),
            })
        })
    }

    fn verify_notify(&self, notify: Notify<'_>) -> Result<GatewayEvent, GatewayError> {
        let header = |name: &str| notify.header(name).map(str::to_owned);
        self.verify_signed(&header, notify.body)?;
        let envelope: Value = serde_json::from_slice(notify.body)
            .map_err(|_| GatewayError::Malformed("the notify is not JSON".into()))?;
        let resource = self.decrypt_resource(&envelope["resource"])?;
        if resource["mchid"].as_str() != Some(self.mch_id.as_str()) {
            return Err(GatewayError::BadSignature(
                "the notify is for another merchant".into(),
            ));
        }
        let payment_id = resource["out_trade_no"]
            .as_str()
            .ok_or_else(|| GatewayError::Malformed("no out_trade_no".into()))?
            .to_owned();
        let event_type = envelope["event_type"].as_str().unwrap_or_default();
        if let Some(kind) = event_type.strip_prefix("REFUND.") {
            return Ok(GatewayEvent::Refund {
                payment_id,
                refund_id: resource["out_refund_no"].as_str().map(str::to_owned),
                amount: fen(&resource["amount"], "refund")?,
                succeeded: kind == "SUCCESS",
            });
        }
        match resource["trade_state"].as_str().unwrap_or_default() {
            "SUCCESS" => {
                if resource["amount"]["currency"]
                    .as_str()
                    .is_some_and(|c| c != "CNY")
                {
                    return Err(GatewayError::Malformed("the currency is not CNY".into()));
                }
                Ok(GatewayEvent::Paid {
                    payment_id,
                    trade_no: resource["transaction_id"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                    amount: fen(&resource["amount"], "total")?,
                })
            }
            "CLOSED" | "REVOKED" => Ok(GatewayEvent::Closed { payment_id }),
            _ => Ok(GatewayEvent::Nothing { payment_id }),
        }
    }

    fn answer(&self, accepted: bool) -> NotifyAnswer {
        if accepted {
            // 200 or 204 without a body; anything else is delivered again.
            NotifyAnswer {
                status: 204,
                content_type: "application/json",
                body: String::new(),
            }
        } else {
            NotifyAnswer {
                status: 400,
                content_type: "application/json",
                body: json!({ "code": "FAIL", "message": "失败" }).to_string(),
            }
        }
    }

    fn query<'a>(&'a self, payment_id: &'a str) -> BoxFuture<'a, Result<TradeState, GatewayError>> {
        Box::pin(async move {
            let path = format!(
                "/v3/pay/transactions/out-trade-no/{payment_id}?mchid={}",
                self.mch_id
            );
            let answer = self.call(reqwest::Method::GET, &path, None).await?;
            if answer.status == 404 {
                return Ok(TradeState::NotFound);
            }
            if answer.status != 200 {
                return Err(refusal(&answer));
            }
            match answer.body["trade_state"].as_str().unwrap_or_default() {
                "SUCCESS" | "REFUND" => Ok(TradeState::Paid {
                    trade_no: answer.body["transaction_id"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                    amount: fen(&answer.body["amount"], "total")?,
                }),
                "CLOSED" | "REVOKED" | "PAYERROR" => Ok(TradeState::Closed),
                _ => Ok(TradeState::Unpaid),
            }
        })
    }

    fn close<'a>(&'a self, payment_id: &'a str) -> BoxFuture<'a, Result<(), GatewayError>> {
        Box::pin(async move {
            let path = format!("/v3/pay/transactions/out-trade-no/{payment_id}/close");
            let answer = self
                .call(
                    reqwest::Method::POST,
                    &path,
                    Some(&json!({ "mchid": self.mch_id })),
                )
                .await?;
            match answer.status {
                200 | 204 | 404 => Ok(()),
                _ => Err(refusal(&answer)),
            }
        })
    }

    fn refund<'a>(
        &'a self,
        request: &'a RefundRequest<'a>,
    ) -> BoxFuture<'a, Result<RefundState, GatewayError>> {
        Box::pin(async move {
            let body = json!({
                "out_trade_no": request.payment_id,
                "out_refund_no": request.refund_id,
                "reason": request.reason,
                "notify_url": request.notify_url,
                "amount": {
                    "refund": request.amount.minor(),
                    "total": request.total.minor(),
                    "currency": "CNY",
                },
            });
            let answer = self
                .call(
                    reqwest::Method::POST,
                    "/v3/refund/domestic/refunds",
                    Some(&body),
                )
                .await?;
            if answer.status == 200 {
                Ok(Self::refund_state(&answer.body))
            } else {
                match refusal(&answer) {
                    GatewayError::Refused(reason) => Ok(RefundState::Failed { reason }),
                    other => Err(other),
                }
            }
        })
    }

    fn refund_status<'a>(
        &'a self,
        _payment_id: &'a str,
        refund_id: &'a str,
    ) -> BoxFuture<'a, Result<RefundState, GatewayError>> {
        Box::pin(async move {
            let path = format!("/v3/refund/domestic/refunds/{refund_id}");
            let answer = self.call(reqwest::Method::GET, &path, None).await?;
            match answer.status {
                200 => Ok(Self::refund_state(&answer.body)),
                404 => Ok(RefundState::Failed {
                    reason: "WeChat Pay has no such refund".into(),
                }),
                _ => Err(refusal(&answer)),
            }
        })
    }

    fn bill(&self, day: time::Date) -> BoxFuture<'_, Result<Vec<BillLine>, GatewayError>> {
        Box::pin(async move {
            let path = format!("/v3/bill/tradebill?bill_date={day}&bill_type=ALL");
            let answer = self.call(reqwest::Method::GET, &path, None).await?;
            if answer.status != 200 {
                return Err(refusal(&answer));
            }
            let url = answer.body["download_url"]
                .as_str()
                .ok_or_else(|| GatewayError::Unavailable("tradebill: no download_url".into()))?;
            // The download is signed like any request (path and query of the given URL).
            let path_and_query = url
                .split_once("://")
                .and_then(|(_, rest)| rest.find('/').map(|i| &rest[i..]))
                .unwrap_or("/");
            let bytes = self
                .client
                .get(url)
                .header(
                    "authorization",
                    self.authorization("GET", path_and_query, ""),
                )
                .send()
                .await
                .and_then(reqwest::Response::error_for_status)
                .map_err(|e| GatewayError::Unavailable(format!("bill download: {e}")))?
                .bytes()
                .await
                .map_err(|e| GatewayError::Unavailable(format!("bill download: {e}")))?;
            if let Some(expected) = answer.body["hash_value"].as_str() {
                let actual = crate::platform::crypto::sha1_hex(&bytes);
                if !actual.eq_ignore_ascii_case(expected) {
                    return Err(GatewayError::Unavailable(
                        "the bill's SHA1 does not match".into(),
                    ));
                }
            }
            parse_bill(&String::from_utf8_lossy(&bytes))
        })
    }
}

/// Reads WeChat Pay's trade bill: CSV with every value prefixed by a back-quote, a header
/// line, one line per payment or refund, then a summary headed `总交易单数`.
pub fn parse_bill(text: &str) -> Result<Vec<BillLine>, GatewayError> {
    let malformed = |why: String| GatewayError::Malformed(format!("bill: {why}"));
    let mut rows = text
        .lines()
        .map(|l| l.trim_end_matches('\r'))
        .filter(|l| !l.trim().is_empty());
    let header: Vec<&str> = rows
        .next()
        .ok_or_else(|| malformed("empty".into()))?
        .split(',')
        .map(|c| c.trim().trim_start_matches('\u{feff}'))
        .collect();
    let column = |name: &str| {
        header
            .iter()
            .position(|h| *h == name)
            .ok_or_else(|| malformed(format!("no column {name}")))
    };
    let (trade_no, payment_id, status, amount, refund_id, refunded) = (
        column("微信订单号")?,
        column("商户订单号")?,
        column("交易状态")?,
        column("应结订单金额")?,
        column("商户退款单号")?,
        column("退款金额")?,
    );
    let mut lines = Vec::new();
    for row in rows {
        if row.starts_with("总交易单数") {
            break;
        }
        let cells: Vec<&str> = row
            .split(',')
            .map(|c| c.trim().trim_start_matches('`'))
            .collect();
        let cell = |i: usize| {
            cells
                .get(i)
                .copied()
                .ok_or_else(|| malformed(format!("short line: {row}")))
        };
        let refund = cell(status)? == "REFUND";
        let yuan = if refund {
            cell(refunded)?
        } else {
            cell(amount)?
        };
        let value =
            Money::parse(yuan, Currency::Cny).map_err(|_| malformed(format!("amount {yuan:?}")))?;
        lines.push(BillLine {
            payment_id: cell(payment_id)?.to_owned(),
            trade_no: cell(trade_no)?.to_owned(),
            refund_id: if refund {
                Some(cell(refund_id)?.to_owned())
            } else {
                None
            },
            amount: if refund {
                Money::new(-value.minor().abs(), Currency::Cny)
            } else {
                value
            },
        });
    }
    Ok(lines)
}

/// RFC 3339 in China time (`2026-12-07T10:00:00+08:00`), as WeChat Pay writes times.
fn china_rfc3339(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
        .to_offset(time::macros::offset!(+8))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
