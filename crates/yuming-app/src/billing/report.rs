//! The revenue report finance reads: completed sales per day (China Standard Time), TLD and
//! operation, refunds counted against them, as a table and as CSV.

use yuming_core::access::{Actor, Right};
use yuming_core::money::{Currency, Money};

use crate::{App, AppError};

/// The longest period one report covers.
pub const MAX_DAYS: i64 = 366;

/// The most groups one report holds (days × TLDs × operations).
const MAX_GROUPS: i64 = 20_000;

/// China Standard Time, the day finance counts in.
const UTC_OFFSET_SECS: i64 = 8 * 3600;

/// One group of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevenueLine {
    /// The day (UTC+8).
    pub day: time::Date,
    /// The TLD (A-label; empty for a service or another order without a domain).
    pub tld: String,
    /// The operation (`register`, `renew`, `auto_renew`, `transfer`, `restore`, `service`,
    /// `refund`…).
    pub operation: String,
    /// How many orders.
    pub orders: i64,
    /// What they brought in: negative for refunds.
    pub amount: Money,
}

/// The report of a period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevenueReport {
    /// First day (inclusive).
    pub from: time::Date,
    /// Last day (inclusive).
    pub to: time::Date,
    /// The groups, by day, TLD and operation.
    pub lines: Vec<RevenueLine>,
    /// Net revenue per currency.
    pub totals: Vec<Money>,
}

/// Orders whose money is returned to the customer: they count against revenue.
fn is_refund(kind: &str) -> bool {
    kind == "refund"
}

/// The day (China Standard Time) finance counts `at` in.
pub fn day_of(at: yuming_core::clock::Timestamp) -> time::Date {
    at.plus_secs(UTC_OFFSET_SECS).date()
}

fn start_of(day: time::Date) -> i64 {
    day.midnight().assume_utc().unix_timestamp() - UTC_OFFSET_SECS
}

/// The revenue report from `from` to `to` (both inclusive, at most [`MAX_DAYS`]); finance
/// staff and administrators.
pub async fn revenue(
    app: &App,
    actor: &Actor,
    from: time::Date,
    to: time::Date,
) -> Result<RevenueReport, AppError> {
    actor.require(Right::BillingManage)?;
    let days = (to - from).whole_days() + 1;
    if days < 1 {
        return Err(AppError::bad_request(
            "INVALID_PERIOD",
            "the period must end on or after its first day",
            "结束日期不能早于开始日期",
        )
        .with_field("to"));
    }
    if days > MAX_DAYS {
        return Err(AppError::bad_request(
            "INVALID_PERIOD",
            format!("a report covers at most {MAX_DAYS} days"),
            format!("一次最多统计 {MAX_DAYS} 天"),
        )
        .with_field("to"));
    }
    let mut tx = app.db().read().await?;
    let rows = tx
        .revenue_by_day(start_of(from), start_of(to) + 86_400, MAX_GROUPS)
        .await?;
    tx.commit().await?;
    let epoch = time::Date::from_julian_day(2_440_588)
        .map_err(|e| AppError::internal(format!("epoch: {e}")))?;
    let mut totals: Vec<Money> = Vec::new();
    let mut lines = Vec::with_capacity(rows.len());
    for row in rows {
        let currency = Currency::parse(&row.currency)
            .map_err(|_| AppError::internal(format!("order currency {:?}", row.currency)))?;
        let signed = if is_refund(&row.kind) {
            -row.amount
        } else {
            row.amount
        };
        let amount = Money::new(signed, currency);
        match totals.iter_mut().find(|t| t.currency() == currency) {
            Some(total) => {
                *total = total
                    .checked_add(amount)
                    .map_err(|e| AppError::internal(format!("revenue total: {e:?}")))?;
            }
            None => totals.push(amount),
        }
        lines.push(RevenueLine {
            day: epoch + time::Duration::days(row.day),
            tld: row.tld,
            operation: row.kind,
            orders: row.orders,
            amount,
        });
    }
    Ok(RevenueReport {
        from,
        to,
        lines,
        totals,
    })
}

/// The report as CSV (UTF-8 with a byte-order mark, which spreadsheet programs need to read
/// Chinese): `day,tld,operation,orders,amount,currency`, amounts in major units.
pub fn to_csv(report: &RevenueReport) -> String {
    let mut out = String::from("\u{feff}day,tld,operation,orders,amount,currency\r\n");
    for line in &report.lines {
        out.push_str(&format!(
            "{},{},{},{},{},{}\r\n",
            line.day,
            line.tld,
            line.operation,
            line.orders,
            yuming_core::payments::decimal_amount(line.amount),
            line.amount.currency().code()
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_csv_has_a_header_and_one_line_per_group() {
        let day = time::Date::from_calendar_date(2026, time::Month::December, 7).expect("date");
        let report = RevenueReport {
            from: day,
            to: day,
            lines: vec![
                RevenueLine {
                    day,
                    tld: "cn".into(),
                    operation: "register".into(),
                    orders: 3,
                    amount: Money::new(11_700, Currency::Cny),
                },
                RevenueLine {
                    day,
                    tld: "cn".into(),
                    operation: "refund".into(),
                    orders: 1,
                    amount: Money::new(-3_900, Currency::Cny),
                },
            ],
            totals: vec![Money::new(7_800, Currency::Cny)],
        };
        assert_eq!(
            to_csv(&report),
            "\u{feff}day,tld,operation,orders,amount,currency\r\n\
             2026-12-07,cn,register,3,117.00,CNY\r\n\
             2026-12-07,cn,refund,1,-39.00,CNY\r\n"
        );
    }

    #[test]
    fn a_day_starts_at_midnight_in_beijing() {
        let day = time::Date::from_calendar_date(2026, time::Month::January, 1).expect("date");
        // 2025-12-31T16:00:00Z
        assert_eq!(start_of(day), 1_767_196_800);
    }
}
