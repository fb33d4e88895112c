//! What a customer actually pays for a domain operation before any coupon: the list price of
//! the catalogue, lowered by a promotional price of the TLD (with a time window), by the
//! customer's member price level, or by the volume tier their holding reaches — whichever is
//! cheapest; they never stack. Premium names and restore fees are always at list price.
//! Availability checks, the cart, registration, renewal, transfer and automatic renewal all
//! call [`quote`], so the price shown is the price charged.

use crate::catalogue::{self, Operation, Prices};
use crate::clock::Timestamp;
use crate::money::{Money, MoneyError};

/// Basis points in one hundred percent.
pub const FULL_BPS: u32 = 10_000;

/// A promotional price per year for one TLD and operation, valid in a window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Promotion {
    /// Opaque id.
    pub id: String,
    /// The TLD (A-label, no dot).
    pub tld: String,
    /// Which operation it prices.
    pub operation: Operation,
    /// The price per year (of the first year only when `first_year_only`).
    pub price: Money,
    /// Only the first year is at the promotional price; later years at list.
    pub first_year_only: bool,
    /// Not valid before.
    pub starts_at: Option<Timestamp>,
    /// Not valid from.
    pub ends_at: Option<Timestamp>,
    /// What the customer reads, e.g. "首年特惠".
    pub label: String,
}

impl Promotion {
    /// Whether it is in its window at `now`.
    pub fn is_active(&self, now: Timestamp) -> bool {
        self.starts_at.is_none_or(|start| now >= start) && self.ends_at.is_none_or(|end| now < end)
    }
}

/// A discount, in basis points, reached at `min_names` names held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VolumeTier {
    /// Names the account must hold.
    pub min_names: i64,
    /// Discount in basis points (1–10000).
    pub discount_bps: u32,
}

/// Every price adjustment the operator has set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PriceBook {
    /// Promotional prices, active or not.
    pub promotions: Vec<Promotion>,
    /// Member price levels: name → discount in basis points.
    pub levels: Vec<(String, u32)>,
    /// Volume tiers, any order.
    pub tiers: Vec<VolumeTier>,
}

/// Who buys: their member level and how many names they hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Buyer {
    /// Member price level, if staff gave one.
    pub level: Option<String>,
    /// Live names the account holds.
    pub names_held: i64,
}

/// Why the price is what it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Adjustment {
    /// The catalogue's price.
    List,
    /// A promotional price.
    Promotion {
        /// Its id.
        id: String,
        /// Its label.
        label: String,
    },
    /// A member price level.
    Level {
        /// The level's name.
        name: String,
        /// Its discount in basis points.
        discount_bps: u32,
    },
    /// A volume tier.
    Volume {
        /// Names held that reach it.
        min_names: i64,
        /// Its discount in basis points.
        discount_bps: u32,
    },
}

impl Adjustment {
    /// A stable code: `list`, `promotion`, `level`, `volume`.
    pub fn code(&self) -> &'static str {
        match self {
            Adjustment::List => "list",
            Adjustment::Promotion { .. } => "promotion",
            Adjustment::Level { .. } => "level",
            Adjustment::Volume { .. } => "volume",
        }
    }
}

/// The price of one operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quote {
    /// The catalogue's price for the whole term.
    pub list: Money,
    /// What is charged for the whole term (before a coupon).
    pub price: Money,
    /// What the first year alone costs (coupons limited to the first year take off this).
    pub first_year: Money,
    /// Why.
    pub adjustment: Adjustment,
}

impl Quote {
    /// What the adjustment takes off the list price.
    pub fn saving(&self) -> Money {
        self.list
            .checked_sub(self.price)
            .unwrap_or_else(|_| Money::new(0, self.list.currency()))
    }
}

/// One purchase to price.
#[derive(Debug, Clone, Copy)]
pub struct Item<'a> {
    /// The name's list prices (premium prices for a premium name).
    pub prices: &'a Prices,
    /// Whether the name is premium.
    pub premium: bool,
    /// The TLD (A-label, no dot).
    pub tld: &'a str,
    /// The operation.
    pub operation: Operation,
    /// The term (1 for transfer and restore).
    pub years: u32,
}

fn less_bps(amount: Money, bps: u32) -> Money {
    let bps = i128::from(bps.min(FULL_BPS));
    // The discount is rounded down: never more off than the rate says.
    let off = i128::from(amount.minor()) * bps / i128::from(FULL_BPS);
    Money::new(
        amount.minor() - i64::try_from(off).unwrap_or(0),
        amount.currency(),
    )
}

/// The price `buyer` (none: an anonymous visitor) pays for `item` at `now` under `book`.
pub fn quote(
    book: &PriceBook,
    buyer: Option<&Buyer>,
    item: Item<'_>,
    now: Timestamp,
) -> Result<Quote, MoneyError> {
    let list = catalogue::price(item.prices, item.operation, item.years)?;
    let list_first = catalogue::price(item.prices, item.operation, 1)?;
    let mut best = Quote {
        list,
        price: list,
        first_year: list_first,
        adjustment: Adjustment::List,
    };
    if item.premium || item.operation == Operation::Restore {
        return Ok(best);
    }
    let mut consider = |price: Money, first_year: Money, adjustment: Adjustment| {
        if price.minor() < best.price.minor() {
            best = Quote {
                list,
                price,
                first_year,
                adjustment,
            };
        }
    };
    let years = match item.operation {
        Operation::Register | Operation::Renew => i64::from(item.years.max(1)),
        Operation::Transfer | Operation::Restore => 1,
    };
    for promotion in book.promotions.iter().filter(|p| {
        p.tld == item.tld
            && p.operation == item.operation
            && p.price.currency() == list.currency()
            && p.is_active(now)
    }) {
        let price = if promotion.first_year_only {
            list.checked_sub(list_first)?.checked_add(promotion.price)?
        } else {
            promotion.price.checked_mul(years)?
        };
        consider(
            price,
            promotion.price,
            Adjustment::Promotion {
                id: promotion.id.clone(),
                label: promotion.label.clone(),
            },
        );
    }
    let Some(buyer) = buyer else {
        return Ok(best);
    };
    if let Some(level) = &buyer.level
        && let Some((name, bps)) = book.levels.iter().find(|(name, _)| name == level)
    {
        consider(
            less_bps(list, *bps),
            less_bps(list_first, *bps),
            Adjustment::Level {
                name: name.clone(),
                discount_bps: *bps,
            },
        );
    }
    if let Some(tier) = book
        .tiers
        .iter()
        .filter(|t| buyer.names_held >= t.min_names)
        .max_by_key(|t| (t.discount_bps, t.min_names))
    {
        consider(
            less_bps(list, tier.discount_bps),
            less_bps(list_first, tier.discount_bps),
            Adjustment::Volume {
                min_names: tier.min_names,
                discount_bps: tier.discount_bps,
            },
        );
    }
    Ok(best)
}

/// A price level name as stored: 1–32 of `a–z 0–9 - _`, lower case.
pub fn normalize_level(name: &str) -> Option<String> {
    let name = name.trim().to_ascii_lowercase();
    let valid = (1..=32).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    valid.then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;

    fn cny(minor: i64) -> Money {
        Money::new(minor, Currency::Cny)
    }

    const PRICES: Prices = Prices {
        register: Money::new(3_900, Currency::Cny),
        renew: Money::new(4_900, Currency::Cny),
        transfer: Money::new(3_900, Currency::Cny),
        restore: Money::new(20_000, Currency::Cny),
    };

    fn item(operation: Operation, years: u32) -> Item<'static> {
        Item {
            prices: &PRICES,
            premium: false,
            tld: "top",
            operation,
            years,
        }
    }

    fn first_year_nine() -> Promotion {
        Promotion {
            id: "pro_1".into(),
            tld: "top".into(),
            operation: Operation::Register,
            price: cny(900),
            first_year_only: true,
            starts_at: Some(Timestamp(100)),
            ends_at: Some(Timestamp(200)),
            label: "首年 9 元".into(),
        }
    }

    #[test]
    fn list_price_without_adjustments() {
        let q = quote(
            &PriceBook::default(),
            None,
            item(Operation::Register, 2),
            Timestamp(0),
        )
        .unwrap();
        assert_eq!(
            (q.list, q.price, q.first_year),
            (cny(7_800), cny(7_800), cny(3_900))
        );
        assert_eq!(q.adjustment, Adjustment::List);
        assert_eq!(q.saving(), cny(0));
    }

    #[test]
    fn first_year_promotion_inside_its_window_only() {
        let book = PriceBook {
            promotions: vec![first_year_nine()],
            ..PriceBook::default()
        };
        let inside = quote(&book, None, item(Operation::Register, 3), Timestamp(150)).unwrap();
        // ¥9 for the first year, list for the two after.
        assert_eq!(inside.price, cny(900 + 2 * 3_900));
        assert_eq!(inside.first_year, cny(900));
        assert_eq!(inside.adjustment.code(), "promotion");
        for outside in [99, 200] {
            let q = quote(
                &book,
                None,
                item(Operation::Register, 3),
                Timestamp(outside),
            )
            .unwrap();
            assert_eq!(q.adjustment, Adjustment::List, "at {outside}");
        }
        // Not for renewals, other TLDs or premium names.
        let renew = quote(&book, None, item(Operation::Renew, 1), Timestamp(150)).unwrap();
        assert_eq!(renew.price, cny(4_900));
        let mut premium = item(Operation::Register, 1);
        premium.premium = true;
        assert_eq!(
            quote(&book, None, premium, Timestamp(150)).unwrap().price,
            cny(3_900)
        );
        let mut other = item(Operation::Register, 1);
        other.tld = "com";
        assert_eq!(
            quote(&book, None, other, Timestamp(150)).unwrap().price,
            cny(3_900)
        );
    }

    #[test]
    fn every_year_promotion_multiplies() {
        let mut promotion = first_year_nine();
        promotion.first_year_only = false;
        promotion.price = cny(2_000);
        let book = PriceBook {
            promotions: vec![promotion],
            ..PriceBook::default()
        };
        let q = quote(&book, None, item(Operation::Register, 3), Timestamp(150)).unwrap();
        assert_eq!(q.price, cny(6_000));
    }

    #[test]
    fn the_cheapest_of_promotion_level_and_volume_wins() {
        let book = PriceBook {
            promotions: vec![first_year_nine()],
            levels: vec![("reseller".into(), 3_000)],
            tiers: vec![
                VolumeTier {
                    min_names: 10,
                    discount_bps: 500,
                },
                VolumeTier {
                    min_names: 100,
                    discount_bps: 1_000,
                },
            ],
        };
        let reseller = Buyer {
            level: Some("reseller".into()),
            names_held: 0,
        };
        // One year: the ¥9 promotion beats 30 % off ¥39 (¥27.30).
        let q = quote(
            &book,
            Some(&reseller),
            item(Operation::Register, 1),
            Timestamp(150),
        )
        .unwrap();
        assert_eq!(q.price, cny(900));
        // Renewal: only the level applies: 4900 − 1470.
        let q = quote(
            &book,
            Some(&reseller),
            item(Operation::Renew, 2),
            Timestamp(150),
        )
        .unwrap();
        assert_eq!(q.price, cny(6_860));
        assert_eq!(q.first_year, cny(3_430));
        assert_eq!(
            q.adjustment,
            Adjustment::Level {
                name: "reseller".into(),
                discount_bps: 3_000
            }
        );
        // A holder of 150 names reaches the 10 % tier; 5 names reach none.
        let big = Buyer {
            level: None,
            names_held: 150,
        };
        let q = quote(
            &book,
            Some(&big),
            item(Operation::Transfer, 1),
            Timestamp(0),
        )
        .unwrap();
        assert_eq!(q.price, cny(3_510));
        assert_eq!(q.adjustment.code(), "volume");
        let small = Buyer {
            level: None,
            names_held: 5,
        };
        let q = quote(
            &book,
            Some(&small),
            item(Operation::Transfer, 1),
            Timestamp(0),
        )
        .unwrap();
        assert_eq!(q.adjustment, Adjustment::List);
        // An unknown level is no discount; restore is always at list.
        let stranger = Buyer {
            level: Some("gold".into()),
            names_held: 0,
        };
        let q = quote(
            &book,
            Some(&stranger),
            item(Operation::Renew, 1),
            Timestamp(0),
        )
        .unwrap();
        assert_eq!(q.price, cny(4_900));
        let q = quote(&book, Some(&big), item(Operation::Restore, 1), Timestamp(0)).unwrap();
        assert_eq!(q.price, cny(20_000));
    }

    #[test]
    fn percentages_round_the_discount_down() {
        assert_eq!(less_bps(cny(999), 3_333), cny(667));
        assert_eq!(less_bps(cny(1), 9_999), cny(1));
        assert_eq!(less_bps(cny(1_000), 10_000), cny(0));
    }

    #[test]
    fn level_names() {
        assert_eq!(normalize_level(" VIP-1 ").as_deref(), Some("vip-1"));
        assert_eq!(normalize_level(""), None);
        assert_eq!(normalize_level("黄金"), None);
    }
}
