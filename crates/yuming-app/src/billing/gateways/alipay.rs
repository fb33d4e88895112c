//! Alipay open platform (支付宝开放平台), RSA2: computer-site payment
//! (`alipay.trade.page.pay`) or QR payment (`alipay.trade.precreate`), the asynchronous
//! notify, trade query, close and refund, refund query and the daily bill.
//!
//! Every request is a form POST of the common parameters plus `biz_content`, signed with the
//! merchant's private key over [`alipay_sign_content`]; every answer and notify is verified
//! with Alipay's public key before anything in it is believed.

use std::fmt;
use std::time::Duration;

use serde_json::{Value, json};
use yuming_core::money::{Currency, Money};
use yuming_core::payments::{
    alipay_response_content, alipay_sign_content, decimal_amount, parse_decimal_amount,
};

use super::rsa::{RsaSigner, RsaVerifier};
use super::wall_now;
use super::{
    BillLine, Checkout, CheckoutRequest, GatewayError, GatewayEvent, Notify, NotifyAnswer,
    PaymentGateway, RefundRequest, RefundState, TradeState,
};
use crate::platform::BoxFuture;

/// Alipay's production gateway.
pub const PRODUCTION_GATEWAY: &str = "https://openapi.alipay.com/gateway.do";

/// How the payer pays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlipayProduct {
    /// The payer's browser goes to Alipay's cashier page (电脑网站支付).
    Page,
    /// The payer scans a code shown by the console (当面付扫码).
    Qr,
}

/// The merchant's Alipay application.
pub struct AlipayConfig {
    /// The application id (APPID).
    pub app_id: String,
    /// `https://openapi.alipay.com/gateway.do`, or a stand-in's address in tests.
    pub gateway_url: String,
    /// The application's private key (PKCS#8 or PKCS#1, PEM or base64).
    pub private_key: String,
    /// Alipay's public key (支付宝公钥), PEM or base64.
    pub alipay_public_key: String,
    /// Page or QR payment.
    pub product: AlipayProduct,
    /// Time limit of one call.
    pub timeout: Duration,
}

/// The Alipay gateway.
pub struct Alipay {
    app_id: String,
    gateway_url: String,
    signer: RsaSigner,
    verifier: RsaVerifier,
    product: AlipayProduct,
    client: reqwest::Client,
}

impl fmt::Debug for Alipay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Alipay")
            .field("app_id", &self.app_id)
            .field("gateway_url", &self.gateway_url)
            .finish_non_exhaustive()
    }
}

/// Alipay's answer code for success.
const SUCCESS: &str = "10000";

impl Alipay {
    /// Builds the gateway; fails on an unreadable key.
    pub fn new(config: AlipayConfig) -> Result<Alipay, String> {
        let signer = RsaSigner::from_text(&config.private_key)
            .map_err(|e| format!("alipay private_key: {e}"))?;
        let verifier = RsaVerifier::from_text(&config.alipay_public_key)
            .map_err(|e| format!("alipay alipay_public_key: {e}"))?;
        let client = crate::platform::http::client_builder()
            .timeout(config.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| format!("alipay client: {e}"))?;
        Ok(Alipay {
            app_id: config.app_id,
            gateway_url: config.gateway_url,
            signer,
            verifier,
            product: config.product,
            client,
        })
    }

    /// The common parameters of `method` with `biz_content`, signed.
    fn signed_params(
        &self,
        method: &str,
        biz_content: &Value,
        urls: &[(&'static str, &str)],
    ) -> Vec<(String, String)> {
        let mut params: Vec<(String, String)> = vec![
            ("app_id".into(), self.app_id.clone()),
            ("method".into(), method.into()),
            ("format".into(), "JSON".into()),
            ("charset".into(), "utf-8".into()),
            ("sign_type".into(), "RSA2".into()),
            ("timestamp".into(), china_time(wall_now())),
            ("version".into(), "1.0".into()),
            ("biz_content".into(), biz_content.to_string()),
        ];
        for (name, url) in urls {
            params.push(((*name).into(), (*url).into()));
        }
        let content = alipay_sign_content(params.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let sign = self.signer.sign_base64(content.as_bytes());
        params.push(("sign".into(), sign));
        params
    }

    /// Calls `method` and returns its verified answer object (code 10000), or the refusal.
    async fn call(&self, method: &str, biz_content: Value) -> Result<Value, GatewayError> {
        let params = self.signed_params(method, &biz_content, &[]);
        let response = self
            .client
            .post(&self.gateway_url)
            .header(
                "content-type",
                "application/x-www-form-urlencoded;charset=utf-8",
            )
            .body(form_encode(&params))
            .send()
            .await
            .map_err(|e| GatewayError::Unavailable(format!("{method}: {e}")))?;
        if !response.status().is_success() {
            return Err(GatewayError::Unavailable(format!(
                "{method}: HTTP {}",
                response.status()
            )));
        }
        let body = response
            .text()
            .await
            .map_err(|e| GatewayError::Unavailable(format!("{method}: {e}")))?;
        self.read_answer(method, &body)
    }

    /// Verifies and reads an answer body of `method`.
    fn read_answer(&self, method: &str, body: &str) -> Result<Value, GatewayError> {
        let key = format!("{}_response", method.replace('.', "_"));
        let content = alipay_response_content(body, &key).ok_or_else(|| {
            GatewayError::Unavailable(format!("{method}: no {key} in the answer"))
        })?;
        let whole: Value = serde_json::from_str(body)
            .map_err(|e| GatewayError::Unavailable(format!("{method}: {e}")))?;
        let answer: Value = serde_json::from_str(content)
            .map_err(|e| GatewayError::Unavailable(format!("{method}: {e}")))?;
        let code = answer["code"].as_str().unwrap_or_default();
        match whole["sign"].as_str() {
            Some(sign) if self.verifier.verify_base64(content.as_bytes(), sign) => {}
            // Alipay leaves some gateway-level errors unsigned; they only ever refuse.
            None if code != SUCCESS => {}
            _ => {
                return Err(GatewayError::BadSignature(format!(
                    "{method}: the answer's signature does not verify"
                )));
            }
        }
        if code == SUCCESS {
            return Ok(answer);
        }
        let sub_code = answer["sub_code"].as_str().unwrap_or_default();
        let message = format!(
            "{} {} {}",
            code,
            sub_code,
            answer["sub_msg"]
                .as_str()
                .or(answer["msg"].as_str())
                .unwrap_or_default()
        );
        // 20000: service unavailable, 40004 with SYSTEM_ERROR: unknown outcome.
        if code == "20000" || sub_code.ends_with("SYSTEM_ERROR") {
            Err(GatewayError::Unavailable(message))
        } else {
            Err(GatewayError::Refused(message))
        }
    }
}

fn is_not_found(error: &GatewayError) -> bool {
    matches!(error, GatewayError::Refused(m) if m.contains("TRADE_NOT_EXIST"))
}

/// The amount in yuan a notify or answer states in `field`.
fn money(text: Option<&str>, field: &str) -> Result<Money, GatewayError> {
    let text = text.ok_or_else(|| GatewayError::Malformed(format!("no {field}")))?;
    parse_decimal_amount(text, Currency::Cny)
        .map_err(|_| GatewayError::Malformed(format!("{field} {text:?} is not an amount")))
}

impl PaymentGateway for Alipay {
    fn name(&self) -> &'static str {
        "alipay"
    }

    fn create<'a>(
        &'a self,
        request: &'a CheckoutRequest<'a>,
    ) -> BoxFuture<'a, Result<Checkout, GatewayError>> {
        Box::pin(async move {
            let mut biz = json!({
                "out_trade_no": request.payment_id,
                "total_amount": decimal_amount(request.amount),
                "subject": request.subject,
                "time_expire": china_time(request.expires_at.0),
            });
            match self.product {
                AlipayProduct::Page => {
                    biz["product_code"] = json!("FAST_INSTANT_TRADE_PAY");
                    // The page is opened by the payer's browser: the signed request itself
                    // is the payment link, and the trade is created when it is opened.
                    let params = self.signed_params(
                        "alipay.trade.page.pay",
                        &biz,
                        &[
                            ("notify_url", request.notify_url),
                            ("return_url", request.return_url),
                        ],
                    );
                    let separator = if self.gateway_url.contains('?') {
                        '&'
                    } else {
                        '?'
                    };
                    Ok(Checkout {
                        trade_no: None,
                        pay_url: Some(format!(
                            "{}{separator}{}",
                            self.gateway_url,
                            form_encode(&params)
                        )),
                        qr_code: None,
                    })
                }
                AlipayProduct::Qr => {
                    let params = self.signed_params(
                        "alipay.trade.precreate",
                        &biz,
                        &[("notify_url", request.notify_url)],
                    );
                    let response = self
                        .client
                        .post(&self.gateway_url)
                        .header(
                            "content-type",
                            "application/x-www-form-urlencoded;charset=utf-8",
                        )
                        .body(form_encode(&params))
                        .send()
                        .await
                        .map_err(|e| GatewayError::Unavailable(format!("precreate: {e}")))?;
                    let body = response
                        .text()
                        .await
                        .map_err(|e| GatewayError::Unavailable(format!("precreate: {e}")))?;
                    let answer = self.read_answer("alipay.trade.precreate", &body)?;
                    let qr_code = answer["qr_code"]
                        .as_str()
                        .ok_or_else(|| GatewayError::Unavailable("precreate: no qr_code".into()))?;
                    Ok(Checkout {
                        trade_no: None,
                        pay_url: None,
                        qr_code: Some(qr_code.to_owned()),
                    })
                }
            }
        })
    }

    fn verify_notify(&self, notify: Notify<'_>) -> Result<GatewayEvent, GatewayError> {
        let params: Vec<(String, String)> = serde_urlencoded::from_bytes(notify.body)
            .map_err(|e| GatewayError::Malformed(format!("not a form: {e}")))?;
        let field = |name: &str| {
            params
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        let sign = field("sign").ok_or_else(|| GatewayError::BadSignature("no sign".into()))?;
        if field("sign_type").is_some_and(|t| t != "RSA2") {
            return Err(GatewayError::BadSignature("sign_type is not RSA2".into()));
        }
        let content = alipay_sign_content(params.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        if !self.verifier.verify_base64(content.as_bytes(), sign) {
            return Err(GatewayError::BadSignature(
                "the notify's signature does not verify".into(),
            ));
        }
        if field("app_id") != Some(self.app_id.as_str()) {
            return Err(GatewayError::BadSignature(
                "the notify is for another application".into(),
            ));
        }
        let payment_id = field("out_trade_no")
            .ok_or_else(|| GatewayError::Malformed("no out_trade_no".into()))?
            .to_owned();
        let trade_no = field("trade_no").unwrap_or_default().to_owned();
        let status = field("trade_status").unwrap_or_default();
        // A refund's notify carries the refund's request number (out_biz_no) and time.
        if field("gmt_refund").is_some() || field("refund_fee").is_some() {
            let amount = money(field("refund_fee"), "refund_fee")?;
            return Ok(GatewayEvent::Refund {
                payment_id,
                refund_id: field("out_biz_no").map(str::to_owned),
                amount,
                succeeded: true,
            });
        }
        match status {
            "TRADE_SUCCESS" | "TRADE_FINISHED" => Ok(GatewayEvent::Paid {
                payment_id,
                trade_no,
                amount: money(field("total_amount"), "total_amount")?,
            }),
            "TRADE_CLOSED" => Ok(GatewayEvent::Closed { payment_id }),
            "WAIT_BUYER_PAY" => Ok(GatewayEvent::Nothing { payment_id }),
            other => Err(GatewayError::Malformed(format!("trade_status {other:?}"))),
        }
    }

    fn answer(&self, accepted: bool) -> NotifyAnswer {
        // Anything but the exact text `success` makes Alipay deliver again later.
        NotifyAnswer {
            status: if accepted { 200 } else { 400 },
            content_type: "text/plain; charset=utf-8",
            body: if accepted { "success" } else { "failure" }.into(),
        }
    }

    fn query<'a>(&'a self, payment_id: &'a str) -> BoxFuture<'a, Result<TradeState, GatewayError>> {
        Box::pin(async move {
            match self
                .call("alipay.trade.query", json!({ "out_trade_no": payment_id }))
                .await
            {
                Ok(answer) => match answer["trade_status"].as_str().unwrap_or_default() {
                    "TRADE_SUCCESS" | "TRADE_FINISHED" => Ok(TradeState::Paid {
                        trade_no: answer["trade_no"].as_str().unwrap_or_default().to_owned(),
                        amount: money(answer["total_amount"].as_str(), "total_amount")?,
                    }),
                    "TRADE_CLOSED" => Ok(TradeState::Closed),
                    _ => Ok(TradeState::Unpaid),
                },
                Err(e) if is_not_found(&e) => Ok(TradeState::NotFound),
                Err(e) => Err(e),
            }
        })
    }

    fn close<'a>(&'a self, payment_id: &'a str) -> BoxFuture<'a, Result<(), GatewayError>> {
        Box::pin(async move {
            match self
                .call("alipay.trade.close", json!({ "out_trade_no": payment_id }))
                .await
            {
                Ok(_) => Ok(()),
                // A page payment never opened has no trade: nothing to close.
                Err(e) if is_not_found(&e) => Ok(()),
                Err(e) => Err(e),
            }
        })
    }

    fn refund<'a>(
        &'a self,
        request: &'a RefundRequest<'a>,
    ) -> BoxFuture<'a, Result<RefundState, GatewayError>> {
        Box::pin(async move {
            let biz = json!({
                "out_trade_no": request.payment_id,
                "refund_amount": decimal_amount(request.amount),
                "out_request_no": request.refund_id,
                "refund_reason": request.reason,
            });
            match self.call("alipay.trade.refund", biz).await {
                // fund_change N on a repeated request number: the refund happened before.
                Ok(answer) => Ok(RefundState::Succeeded {
                    refund_no: answer["trade_no"].as_str().map(str::to_owned),
                }),
                Err(GatewayError::Refused(reason)) => Ok(RefundState::Failed { reason }),
                Err(e) => Err(e),
            }
        })
    }

    fn refund_status<'a>(
        &'a self,
        payment_id: &'a str,
        refund_id: &'a str,
    ) -> BoxFuture<'a, Result<RefundState, GatewayError>> {
        Box::pin(async move {
            let answer = self
                .call(
                    "alipay.trade.fastpay.refund.query",
                    json!({ "out_trade_no": payment_id, "out_request_no": refund_id }),
                )
                .await?;
            // Without refund_amount the refund does not exist: it never happened.
            match (
                answer["refund_status"].as_str(),
                answer["refund_amount"].as_str(),
            ) {
                (Some("REFUND_SUCCESS"), _) | (None, Some(_)) => Ok(RefundState::Succeeded {
                    refund_no: answer["trade_no"].as_str().map(str::to_owned),
                }),
                (_, None) => Ok(RefundState::Failed {
                    reason: "Alipay has no such refund".into(),
                }),
                _ => Ok(RefundState::Processing),
            }
        })
    }

    fn bill(&self, day: time::Date) -> BoxFuture<'_, Result<Vec<BillLine>, GatewayError>> {
        Box::pin(async move {
            let answer = self
                .call(
                    "alipay.data.dataservice.bill.downloadurl.query",
                    json!({ "bill_type": "trade", "bill_date": day.to_string() }),
                )
                .await?;
            let url = answer["bill_download_url"]
                .as_str()
                .ok_or_else(|| GatewayError::Unavailable("no bill_download_url".into()))?;
            let bytes = self
                .client
                .get(url)
                .send()
                .await
                .and_then(reqwest::Response::error_for_status)
                .map_err(|e| GatewayError::Unavailable(format!("bill download: {e}")))?
                .bytes()
                .await
                .map_err(|e| GatewayError::Unavailable(format!("bill download: {e}")))?;
            parse_bill(&bytes)
        })
    }
}

/// Reads Alipay's trade bill: a zip of GBK CSV files, of which the business detail
/// (`…业务明细.csv`, not the summary) lists each payment and refund. Lines starting with `#`
/// are comments.
pub fn parse_bill(bytes: &[u8]) -> Result<Vec<BillLine>, GatewayError> {
    use std::io::Read as _;
    let malformed = |why: String| GatewayError::Malformed(format!("bill: {why}"));
    let mut archive =
        zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|e| malformed(e.to_string()))?;
    let mut detail = None;
    for index in 0..archive.len() {
        let mut file = archive
            .by_index(index)
            .map_err(|e| malformed(e.to_string()))?;
        // Alipay names the files in GBK, which the zip header does not flag as such.
        let raw_name = file.name_raw().to_vec();
        let name = match String::from_utf8(raw_name) {
            Ok(name) => name,
            Err(e) => encoding_rs::GBK.decode(e.as_bytes()).0.into_owned(),
        };
        if name.ends_with(".csv") && !name.contains("汇总") {
            let mut raw = Vec::new();
            file.by_ref()
                .take(64 << 20)
                .read_to_end(&mut raw)
                .map_err(|e| malformed(e.to_string()))?;
            detail = Some(raw);
            break;
        }
    }
    let raw = detail.ok_or_else(|| malformed("no detail file".into()))?;
    let text = match std::str::from_utf8(&raw) {
        Ok(text) => text.to_owned(),
        Err(_) => encoding_rs::GBK.decode(&raw).0.into_owned(),
    };
    let mut header: Option<Vec<String>> = None;
    let mut lines = Vec::new();
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let cells: Vec<String> = line.split(',').map(|c| c.trim().to_owned()).collect();
        let Some(names) = &header else {
            header = Some(cells);
            continue;
        };
        let cell = |name: &str| -> Option<&str> {
            names
                .iter()
                .position(|n| n.starts_with(name))
                .and_then(|i| cells.get(i))
                .map(String::as_str)
        };
        let (Some(trade_no), Some(payment_id), Some(kind), Some(amount)) = (
            cell("支付宝交易号"),
            cell("商户订单号"),
            cell("业务类型"),
            cell("订单金额"),
        ) else {
            return Err(malformed(format!("a line lacks columns: {line}")));
        };
        let money = Money::parse(amount, Currency::Cny)
            .map_err(|_| malformed(format!("amount {amount:?}")))?;
        let refund = kind.contains("退款");
        lines.push(BillLine {
            payment_id: payment_id.to_owned(),
            trade_no: trade_no.to_owned(),
            refund_id: if refund {
                cell("退款批次号")
                    .map(str::to_owned)
                    .filter(|s| !s.is_empty())
            } else {
                None
            },
            amount: if refund && money.is_positive() {
                Money::new(-money.minor(), Currency::Cny)
            } else {
                money
            },
        });
    }
    Ok(lines)
}

/// `application/x-www-form-urlencoded` of the parameters.
fn form_encode(params: &[(String, String)]) -> String {
    serde_urlencoded::to_string(params).unwrap_or_default()
}

/// `yyyy-MM-dd HH:mm:ss` in China time, as Alipay writes times.
pub fn china_time(unix: i64) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    time::OffsetDateTime::from_unix_timestamp(unix)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
        .to_offset(time::macros::offset!(+8))
        .format(&format)
        .unwrap_or_default()
}
