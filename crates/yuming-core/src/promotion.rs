//! Coupons: what a code takes off a purchase, and whether it applies at all. Pure rules; the
//! application counts uses and budgets in the transaction that charges.

use crate::catalogue::Operation;
use crate::clock::Timestamp;
use crate::money::{Currency, Money};

/// How a coupon discounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CouponKind {
    /// A fixed amount off, never more than the price it applies to.
    Amount(Money),
    /// A percentage (1–100) off, rounded down to the minor unit.
    Percent(u8),
}

/// A coupon's terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CouponTerms {
    /// What it takes off.
    pub kind: CouponKind,
    /// TLDs it applies to (A-labels without the dot); empty: all.
    pub tlds: Vec<String>,
    /// Operations it applies to; empty: all.
    pub operations: Vec<Operation>,
    /// Only the first year of a multi-year term is discounted.
    pub first_year_only: bool,
    /// Not valid before.
    pub starts_at: Option<Timestamp>,
    /// Not valid from.
    pub ends_at: Option<Timestamp>,
    /// The purchase must cost at least this.
    pub min_order: Option<Money>,
}

/// One purchase a coupon may apply to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Purchase<'a> {
    /// The TLD (A-label without the dot).
    pub tld: &'a str,
    /// Register, renew, transfer, restore.
    pub operation: Operation,
    /// The whole price.
    pub price: Money,
    /// The price of the first year alone.
    pub first_year: Money,
}

/// Why a coupon does not apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CouponRefusal {
    /// Before its start.
    NotStarted,
    /// At or after its end.
    Ended,
    /// Not for this TLD.
    Tld,
    /// Not for this operation.
    Operation,
    /// The purchase is below the minimum.
    BelowMinimum(Money),
    /// An amount coupon of another currency.
    Currency,
}

/// What `terms` take off `purchase` at `now`.
pub fn discount(
    terms: &CouponTerms,
    purchase: &Purchase<'_>,
    now: Timestamp,
) -> Result<Money, CouponRefusal> {
    if terms.starts_at.is_some_and(|start| now < start) {
        return Err(CouponRefusal::NotStarted);
    }
    if terms.ends_at.is_some_and(|end| now >= end) {
        return Err(CouponRefusal::Ended);
    }
    if !terms.tlds.is_empty() && !terms.tlds.iter().any(|t| t == purchase.tld) {
        return Err(CouponRefusal::Tld);
    }
    if !terms.operations.is_empty() && !terms.operations.contains(&purchase.operation) {
        return Err(CouponRefusal::Operation);
    }
    if let Some(minimum) = terms.min_order {
        if minimum.currency() != purchase.price.currency() {
            return Err(CouponRefusal::Currency);
        }
        if purchase.price.minor() < minimum.minor() {
            return Err(CouponRefusal::BelowMinimum(minimum));
        }
    }
    let base = if terms.first_year_only {
        purchase.first_year
    } else {
        purchase.price
    };
    let off = match terms.kind {
        CouponKind::Amount(amount) => {
            if amount.currency() != base.currency() {
                return Err(CouponRefusal::Currency);
            }
            amount.minor().min(base.minor())
        }
        CouponKind::Percent(percent) => {
            let percent = i128::from(percent.min(100));
            // Rounded down: never more off than the percentage says.
            i64::try_from(i128::from(base.minor()) * percent / 100).unwrap_or(0)
        }
    };
    Ok(Money::new(off.max(0), base.currency()))
}

/// A coupon code as stored and compared: trimmed, upper-case, 3–32 of `A–Z 0–9 - _`.
pub fn normalize_code(code: &str) -> Option<String> {
    let code = code.trim().to_ascii_uppercase();
    let valid = (3..=32).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    valid.then_some(code)
}

/// The currency amount coupons default to.
pub const DEFAULT_CURRENCY: Currency = Currency::Cny;

#[cfg(test)]
mod tests {
    use super::*;

    fn cny(minor: i64) -> Money {
        Money::new(minor, Currency::Cny)
    }

    fn terms(kind: CouponKind) -> CouponTerms {
        CouponTerms {
            kind,
            tlds: Vec::new(),
            operations: Vec::new(),
            first_year_only: false,
            starts_at: None,
            ends_at: None,
            min_order: None,
        }
    }

    fn purchase(price: i64, first_year: i64) -> Purchase<'static> {
        Purchase {
            tld: "top",
            operation: Operation::Register,
            price: cny(price),
            first_year: cny(first_year),
        }
    }

    #[test]
    fn amounts_never_exceed_the_price_and_percentages_round_down() {
        let now = Timestamp(1_000);
        assert_eq!(
            discount(
                &terms(CouponKind::Amount(cny(1_000))),
                &purchase(5_900, 5_900),
                now
            ),
            Ok(cny(1_000))
        );
        assert_eq!(
            discount(
                &terms(CouponKind::Amount(cny(9_000))),
                &purchase(5_900, 5_900),
                now
            ),
            Ok(cny(5_900))
        );
        // 15 % of 59.99 is 8.9985: 8.99 off.
        assert_eq!(
            discount(
                &terms(CouponKind::Percent(15)),
                &purchase(5_999, 5_999),
                now
            ),
            Ok(cny(899))
        );
        assert_eq!(
            discount(
                &terms(CouponKind::Percent(100)),
                &purchase(5_999, 5_999),
                now
            ),
            Ok(cny(5_999))
        );
        let mut first = terms(CouponKind::Percent(50));
        first.first_year_only = true;
        assert_eq!(
            discount(&first, &purchase(3 * 6_900, 2_900), now),
            Ok(cny(1_450))
        );
        let usd = terms(CouponKind::Amount(Money::new(100, Currency::Usd)));
        assert_eq!(
            discount(&usd, &purchase(100, 100), now),
            Err(CouponRefusal::Currency)
        );
    }

    #[test]
    fn window_scope_and_minimum_are_checked() {
        let mut t = terms(CouponKind::Percent(10));
        t.starts_at = Some(Timestamp(100));
        t.ends_at = Some(Timestamp(200));
        assert_eq!(
            discount(&t, &purchase(1_000, 1_000), Timestamp(99)),
            Err(CouponRefusal::NotStarted)
        );
        assert_eq!(
            discount(&t, &purchase(1_000, 1_000), Timestamp(100)),
            Ok(cny(100))
        );
        assert_eq!(
            discount(&t, &purchase(1_000, 1_000), Timestamp(200)),
            Err(CouponRefusal::Ended)
        );
        let mut t = terms(CouponKind::Percent(10));
        t.tlds = vec!["cn".into()];
        assert_eq!(
            discount(&t, &purchase(1_000, 1_000), Timestamp(0)),
            Err(CouponRefusal::Tld)
        );
        let mut t = terms(CouponKind::Percent(10));
        t.operations = vec![Operation::Renew];
        assert_eq!(
            discount(&t, &purchase(1_000, 1_000), Timestamp(0)),
            Err(CouponRefusal::Operation)
        );
        let mut t = terms(CouponKind::Percent(10));
        t.min_order = Some(cny(5_000));
        assert_eq!(
            discount(&t, &purchase(4_999, 4_999), Timestamp(0)),
            Err(CouponRefusal::BelowMinimum(cny(5_000)))
        );
    }

    #[test]
    fn codes_are_normalised() {
        assert_eq!(
            normalize_code(" new-year_2027 ").as_deref(),
            Some("NEW-YEAR_2027")
        );
        for bad in ["ab", "有中文", "a b c", &"x".repeat(33)] {
            assert_eq!(normalize_code(bad), None, "{bad}");
        }
    }
}
