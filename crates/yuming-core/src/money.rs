//! Exact money and the double-entry ledger.
//!
//! Amounts are whole minor units (分 for CNY) in an `i64` next to an ISO 4217 currency, as
//! the database stores them. No floating point is used anywhere: arithmetic is checked and
//! reports overflow or mixed currencies as errors instead of wrapping or guessing.
//!
//! Every balance change is a [`Transaction`] of [`Posting`]s that sum to zero per currency
//! (double entry). Postings are never edited: a refund or correction is a new transaction.
//! Sign convention (as in ledger-cli and beancount): a positive posting amount is a debit,
//! a negative one a credit. A customer's prepaid balance is a liability of the platform, so
//! a credit raises it and a debit lowers it.

use std::fmt;
use std::str::FromStr;

/// An ISO 4217 currency the platform can price and bill in.
///
/// A closed list rather than any three letters: each currency needs its number of minor
/// digits for display and parsing, and accepting a code nobody prices in would only move
/// the failure somewhere less obvious.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Currency {
    /// Chinese yuan renminbi, `CNY`, 2 minor digits (分).
    Cny,
    /// US dollar, `USD`, 2 minor digits.
    Usd,
    /// Hong Kong dollar, `HKD`, 2 minor digits.
    Hkd,
    /// Euro, `EUR`, 2 minor digits.
    Eur,
    /// Japanese yen, `JPY`, no minor digits.
    Jpy,
}

impl Currency {
    /// Every supported currency.
    pub const ALL: [Currency; 5] = [
        Currency::Cny,
        Currency::Usd,
        Currency::Hkd,
        Currency::Eur,
        Currency::Jpy,
    ];

    /// The ISO 4217 alphabetic code, e.g. `CNY`.
    pub fn code(self) -> &'static str {
        match self {
            Currency::Cny => "CNY",
            Currency::Usd => "USD",
            Currency::Hkd => "HKD",
            Currency::Eur => "EUR",
            Currency::Jpy => "JPY",
        }
    }

    /// The number of minor-unit digits (the ISO 4217 exponent), e.g. 2 for CNY.
    pub fn minor_digits(self) -> u32 {
        match self {
            Currency::Jpy => 0,
            Currency::Cny | Currency::Usd | Currency::Hkd | Currency::Eur => 2,
        }
    }

    /// Parses an ISO 4217 code; codes are upper case, as ISO writes them.
    pub fn parse(code: &str) -> Result<Currency, MoneyError> {
        Currency::ALL
            .into_iter()
            .find(|currency| currency.code() == code)
            .ok_or(MoneyError::UnknownCurrency)
    }

    /// Minor units per major unit, e.g. 100 for CNY.
    fn scale(self) -> i64 {
        10_i64.pow(self.minor_digits())
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Currency {
    type Err = MoneyError;

    fn from_str(code: &str) -> Result<Self, Self::Err> {
        Currency::parse(code)
    }
}

/// Why a money operation or ledger transaction was refused. Each variant's doc names its
/// API error code and HTTP status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// `CURRENCY_MISMATCH` (422): two amounts in different currencies were combined.
    #[error("cannot combine {left} with {right}")]
    CurrencyMismatch {
        /// The currency of the left-hand amount.
        left: Currency,
        /// The currency of the right-hand amount.
        right: Currency,
    },
    /// `AMOUNT_OVERFLOW` (422): the result does not fit in 64-bit minor units.
    #[error("amount is out of range")]
    Overflow,
    /// `UNKNOWN_CURRENCY` (400): not a supported ISO 4217 code.
    #[error("unknown or unsupported currency")]
    UnknownCurrency,
    /// `INVALID_AMOUNT` (400): not a plain decimal with at most the currency's minor digits,
    /// or not positive where a positive amount is required (postings, top-ups, charges,
    /// refunds), or a negative credit limit.
    #[error("invalid amount")]
    InvalidAmount,
    /// `INVALID_HOLDER` (400): a ledger holder id that is empty, too long or not opaque-id
    /// characters.
    #[error("invalid ledger holder id")]
    InvalidHolder,
    /// `UNBALANCED_TRANSACTION` (500, a bug in the caller): the postings do not sum to zero
    /// in some currency.
    #[error("postings do not balance: {imbalance} left over")]
    Unbalanced {
        /// The signed sum of the postings in the first currency that does not balance.
        imbalance: Money,
    },
    /// `UNBALANCED_TRANSACTION` (500, a bug in the caller): fewer than two postings, which
    /// can never be a double entry.
    #[error("a transaction needs at least two postings")]
    TooFewPostings,
    /// `INSUFFICIENT_BALANCE` (402): the debit would take the customer's balance below the
    /// negative of their credit limit.
    #[error("insufficient balance: {shortfall} more is needed")]
    InsufficientBalance {
        /// How much the customer must top up for the debit to pass.
        shortfall: Money,
    },
}

impl MoneyError {
    /// The stable API error code.
    pub fn code(&self) -> &'static str {
        match self {
            MoneyError::CurrencyMismatch { .. } => "CURRENCY_MISMATCH",
            MoneyError::Overflow => "AMOUNT_OVERFLOW",
            MoneyError::UnknownCurrency => "UNKNOWN_CURRENCY",
            MoneyError::InvalidAmount => "INVALID_AMOUNT",
            MoneyError::InvalidHolder => "INVALID_HOLDER",
            MoneyError::Unbalanced { .. } | MoneyError::TooFewPostings => "UNBALANCED_TRANSACTION",
            MoneyError::InsufficientBalance { .. } => "INSUFFICIENT_BALANCE",
        }
    }
}

/// An exact amount: signed minor units of one currency.
///
/// Deliberately not `PartialOrd`: amounts in different currencies have no order, and the
/// checked methods report a mismatch instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Money {
    minor: i64,
    currency: Currency,
}

impl Money {
    /// `minor` minor units of `currency`, e.g. `Money::new(5900, Currency::Cny)` is 59.00 CNY.
    pub const fn new(minor: i64, currency: Currency) -> Money {
        Money { minor, currency }
    }

    /// Zero in `currency`.
    pub const fn zero(currency: Currency) -> Money {
        Money::new(0, currency)
    }

    /// The signed amount in minor units.
    pub const fn minor(self) -> i64 {
        self.minor
    }

    /// The currency.
    pub const fn currency(self) -> Currency {
        self.currency
    }

    /// Whether the amount is zero.
    pub const fn is_zero(self) -> bool {
        self.minor == 0
    }

    /// Whether the amount is greater than zero.
    pub const fn is_positive(self) -> bool {
        self.minor > 0
    }

    /// Whether the amount is less than zero.
    pub const fn is_negative(self) -> bool {
        self.minor < 0
    }

    /// `self + other`, refusing mixed currencies and overflow.
    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        let currency = self.same_currency(other)?;
        let minor = self
            .minor
            .checked_add(other.minor)
            .ok_or(MoneyError::Overflow)?;
        Ok(Money::new(minor, currency))
    }

    /// `self - other`, refusing mixed currencies and overflow.
    pub fn checked_sub(self, other: Money) -> Result<Money, MoneyError> {
        let currency = self.same_currency(other)?;
        let minor = self
            .minor
            .checked_sub(other.minor)
            .ok_or(MoneyError::Overflow)?;
        Ok(Money::new(minor, currency))
    }

    /// `self × factor`, e.g. a yearly price times the number of years.
    pub fn checked_mul(self, factor: i64) -> Result<Money, MoneyError> {
        let minor = self.minor.checked_mul(factor).ok_or(MoneyError::Overflow)?;
        Ok(Money::new(minor, self.currency))
    }

    /// `-self`; only `i64::MIN` minor units has no negation.
    pub fn checked_neg(self) -> Result<Money, MoneyError> {
        let minor = self.minor.checked_neg().ok_or(MoneyError::Overflow)?;
        Ok(Money::new(minor, self.currency))
    }

    /// Parses a plain decimal amount such as `59`, `59.5`, `59.00` or `-0.01` in `currency`.
    ///
    /// At most the currency's minor digits are accepted after the point: an amount that
    /// would need rounding is refused rather than rounded, since any rounding rule here
    /// would silently decide who gets the fraction.
    pub fn parse(text: &str, currency: Currency) -> Result<Money, MoneyError> {
        let (negative, unsigned) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (whole, fraction) = match unsigned.split_once('.') {
            Some((whole, fraction)) => (whole, Some(fraction)),
            None => (unsigned, None),
        };
        let digits_only = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
        if !digits_only(whole) {
            return Err(MoneyError::InvalidAmount);
        }
        let fraction = fraction.unwrap_or("");
        let minor_digits = currency.minor_digits() as usize;
        if unsigned.contains('.') && (!digits_only(fraction) || fraction.len() > minor_digits) {
            return Err(MoneyError::InvalidAmount);
        }
        // Accumulate as a negative number when the sign is negative so that i64::MIN, whose
        // magnitude does not fit in i64, still parses.
        let sign: i64 = if negative { -1 } else { 1 };
        let padded = fraction
            .bytes()
            .chain(std::iter::repeat(b'0'))
            .take(minor_digits);
        let mut minor: i64 = 0;
        for byte in whole.bytes().chain(padded) {
            let digit = i64::from(byte - b'0');
            minor = minor
                .checked_mul(10)
                .and_then(|value| value.checked_add(sign * digit))
                .ok_or(MoneyError::Overflow)?;
        }
        Ok(Money::new(minor, currency))
    }

    fn same_currency(self, other: Money) -> Result<Currency, MoneyError> {
        if self.currency == other.currency {
            Ok(self.currency)
        } else {
            Err(MoneyError::CurrencyMismatch {
                left: self.currency,
                right: other.currency,
            })
        }
    }
}

impl fmt::Display for Money {
    /// `59.00 CNY`, `-0.05 CNY`, `500 JPY`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.minor < 0 { "-" } else { "" };
        // unsigned_abs keeps i64::MIN printable.
        let magnitude = self.minor.unsigned_abs();
        let digits = self.currency.minor_digits();
        let scale = self.currency.scale().unsigned_abs();
        if digits == 0 {
            write!(f, "{sign}{magnitude} {}", self.currency)
        } else {
            let major = magnitude / scale;
            let fraction = magnitude % scale;
            let width = digits as usize;
            write!(f, "{sign}{major}.{fraction:0width$} {}", self.currency)
        }
    }
}

/// The opaque id of whoever owns a customer-side ledger account (the paying account or
/// tenant). Ids are opaque strings such as UUIDs; this only checks they are plausible ids.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HolderId(String);

impl HolderId {
    /// The longest accepted id, in bytes.
    pub const MAX_LEN: usize = 128;

    /// Accepts 1 to [`HolderId::MAX_LEN`] characters of `A-Z a-z 0-9 - _ . :`.
    pub fn parse(id: &str) -> Result<HolderId, MoneyError> {
        let plausible = !id.is_empty()
            && id.len() <= HolderId::MAX_LEN
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'));
        if plausible {
            Ok(HolderId(id.to_owned()))
        } else {
            Err(MoneyError::InvalidHolder)
        }
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for HolderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Which side of an account a posting lands on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// Positive posting amounts.
    Debit,
    /// Negative posting amounts.
    Credit,
}

/// The kind of a ledger account, without its holder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AccountKind {
    /// A customer's prepaid balance: money we hold for them (a liability).
    CustomerBalance,
    /// Money a customer owes us beyond their balance, e.g. on invoice (an asset).
    Receivable,
    /// Income from registrations, renewals, restores and transfers.
    Revenue,
    /// Refunds granted: a contra-revenue account, so that revenue entries stay untouched.
    Refunds,
    /// Money received through payment gateways for top-ups (an asset).
    Cash,
}

impl AccountKind {
    /// The side on which this kind of account grows. Balances are reported from this side,
    /// so a customer's balance of 100 means we hold 100 for them.
    pub fn normal_side(self) -> Side {
        match self {
            AccountKind::Receivable | AccountKind::Refunds | AccountKind::Cash => Side::Debit,
            AccountKind::CustomerBalance | AccountKind::Revenue => Side::Credit,
        }
    }

    /// A stable lowercase name, e.g. `customer_balance`.
    pub fn as_str(self) -> &'static str {
        match self {
            AccountKind::CustomerBalance => "customer_balance",
            AccountKind::Receivable => "receivable",
            AccountKind::Revenue => "revenue",
            AccountKind::Refunds => "refunds",
            AccountKind::Cash => "cash",
        }
    }
}

/// A ledger account. Customer-side accounts belong to a holder; platform accounts are
/// single, per currency implicitly (a posting carries its currency).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Account {
    /// The holder's prepaid balance.
    CustomerBalance(HolderId),
    /// What the holder owes us.
    Receivable(HolderId),
    /// Platform revenue.
    Revenue,
    /// Platform refunds (contra-revenue).
    Refunds,
    /// Money received through payment gateways.
    Cash,
}

impl Account {
    /// The account's kind.
    pub fn kind(&self) -> AccountKind {
        match self {
            Account::CustomerBalance(_) => AccountKind::CustomerBalance,
            Account::Receivable(_) => AccountKind::Receivable,
            Account::Revenue => AccountKind::Revenue,
            Account::Refunds => AccountKind::Refunds,
            Account::Cash => AccountKind::Cash,
        }
    }

    /// The holder of a customer-side account.
    pub fn holder(&self) -> Option<&HolderId> {
        match self {
            Account::CustomerBalance(holder) | Account::Receivable(holder) => Some(holder),
            Account::Revenue | Account::Refunds | Account::Cash => None,
        }
    }
}

impl fmt::Display for Account {
    /// `customer_balance:<holder>` or `revenue`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.holder() {
            Some(holder) => write!(f, "{}:{holder}", self.kind().as_str()),
            None => f.write_str(self.kind().as_str()),
        }
    }
}

/// One line of a transaction: a signed amount on one account.
///
/// The amount is never zero and never `i64::MIN` minor units (both constructors require a
/// positive magnitude), so a posting can always be reversed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Posting {
    account: Account,
    amount: Money,
}

impl Posting {
    /// A debit of `amount`, which must be positive.
    pub fn debit(account: Account, amount: Money) -> Result<Posting, MoneyError> {
        if !amount.is_positive() {
            return Err(MoneyError::InvalidAmount);
        }
        Ok(Posting { account, amount })
    }

    /// A credit of `amount`, which must be positive.
    pub fn credit(account: Account, amount: Money) -> Result<Posting, MoneyError> {
        if !amount.is_positive() {
            return Err(MoneyError::InvalidAmount);
        }
        Ok(Posting {
            account,
            amount: amount.checked_neg()?,
        })
    }

    /// The account posted to.
    pub fn account(&self) -> &Account {
        &self.account
    }

    /// The signed amount: positive for a debit, negative for a credit.
    pub fn amount(&self) -> Money {
        self.amount
    }

    /// Debit or credit.
    pub fn side(&self) -> Side {
        if self.amount.is_positive() {
            Side::Debit
        } else {
            Side::Credit
        }
    }

    /// The unsigned amount.
    pub fn magnitude(&self) -> Money {
        Money::new(self.amount.minor.saturating_abs(), self.amount.currency)
    }

    /// How this posting changes the account's balance as reported from its normal side:
    /// positive when it grows the account.
    pub fn balance_effect(&self) -> Money {
        if self.side() == self.account.kind().normal_side() {
            self.magnitude()
        } else {
            Money::new(-self.magnitude().minor, self.amount.currency)
        }
    }

    fn reversed(&self) -> Posting {
        Posting {
            account: self.account.clone(),
            // Cannot saturate: the amount is never i64::MIN (see the type's docs).
            amount: Money::new(self.amount.minor.saturating_neg(), self.amount.currency),
        }
    }
}

/// A balanced set of postings: they sum to zero in every currency.
///
/// The only ways to get one are [`TransactionBuilder::build`], which checks the sums, the
/// helpers [`top_up`], [`charge`] and [`refund`], and [`Transaction::reversed`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Transaction {
    postings: Vec<Posting>,
}

impl Transaction {
    /// Starts a transaction.
    pub fn builder() -> TransactionBuilder {
        TransactionBuilder::default()
    }

    /// The postings in the order they were added.
    pub fn postings(&self) -> &[Posting] {
        &self.postings
    }

    /// The transaction that undoes this one: every posting on the other side. Used to
    /// correct a mistaken entry without editing it.
    pub fn reversed(&self) -> Transaction {
        Transaction {
            postings: self.postings.iter().map(Posting::reversed).collect(),
        }
    }

    /// The net change of `account`'s balance in `currency`, from the account's normal side
    /// (see [`Posting::balance_effect`]).
    pub fn net_effect(&self, account: &Account, currency: Currency) -> Result<Money, MoneyError> {
        let total: i128 = self
            .postings
            .iter()
            .filter(|posting| &posting.account == account && posting.amount.currency == currency)
            .map(|posting| i128::from(posting.balance_effect().minor))
            .sum();
        let minor = i64::try_from(total).map_err(|_| MoneyError::Overflow)?;
        Ok(Money::new(minor, currency))
    }
}

/// Collects postings; [`TransactionBuilder::build`] refuses anything that does not balance.
///
/// The first invalid posting is remembered and reported by `build`, so that a chain of
/// calls needs a single `?`.
#[derive(Debug, Clone, Default)]
pub struct TransactionBuilder {
    postings: Vec<Posting>,
    error: Option<MoneyError>,
}

impl TransactionBuilder {
    /// Adds a debit of the positive `amount` to `account`.
    pub fn debit(self, account: Account, amount: Money) -> TransactionBuilder {
        self.push(Posting::debit(account, amount))
    }

    /// Adds a credit of the positive `amount` to `account`.
    pub fn credit(self, account: Account, amount: Money) -> TransactionBuilder {
        self.push(Posting::credit(account, amount))
    }

    /// Adds an already built posting.
    pub fn posting(mut self, posting: Posting) -> TransactionBuilder {
        self.postings.push(posting);
        self
    }

    /// The transaction, if there are at least two postings and they sum to zero in every
    /// currency.
    pub fn build(self) -> Result<Transaction, MoneyError> {
        if let Some(error) = self.error {
            return Err(error);
        }
        if self.postings.len() < 2 {
            return Err(MoneyError::TooFewPostings);
        }
        // Sum in i128: the true total of a balanced transaction is zero even when a running
        // i64 sum would overflow half-way (two large debits before two large credits).
        for currency in Currency::ALL {
            let total: i128 = self
                .postings
                .iter()
                .filter(|posting| posting.amount.currency == currency)
                .map(|posting| i128::from(posting.amount.minor))
                .sum();
            if total != 0 {
                let imbalance = i64::try_from(total).map_err(|_| MoneyError::Overflow)?;
                return Err(MoneyError::Unbalanced {
                    imbalance: Money::new(imbalance, currency),
                });
            }
        }
        Ok(Transaction {
            postings: self.postings,
        })
    }

    fn push(mut self, posting: Result<Posting, MoneyError>) -> TransactionBuilder {
        match posting {
            Ok(posting) => self.postings.push(posting),
            Err(error) => {
                self.error.get_or_insert(error);
            }
        }
        self
    }
}

/// How far below zero a customer's balance may go. Zero unless finance grants credit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CreditLimit(Money);

impl CreditLimit {
    /// No credit: the balance may not go below zero. The default for every customer.
    pub const fn none(currency: Currency) -> CreditLimit {
        CreditLimit(Money::zero(currency))
    }

    /// A credit limit of `amount`, which must not be negative.
    pub fn new(amount: Money) -> Result<CreditLimit, MoneyError> {
        if amount.is_negative() {
            Err(MoneyError::InvalidAmount)
        } else {
            Ok(CreditLimit(amount))
        }
    }

    /// The limit as a non-negative amount.
    pub fn amount(self) -> Money {
        self.0
    }
}

/// Applies `transaction` to `holder`'s customer balance `balance` and returns the new
/// balance.
///
/// A transaction that lowers the balance may not take it below `-credit_limit`; it fails
/// with [`MoneyError::InsufficientBalance`] naming the shortfall. One that raises the
/// balance (or leaves it alone) always passes, even when the balance stays below the limit,
/// so a top-up is never refused after the limit was lowered.
pub fn apply_to_balance(
    balance: Money,
    holder: &HolderId,
    transaction: &Transaction,
    credit_limit: CreditLimit,
) -> Result<Money, MoneyError> {
    let currency = balance.same_currency(credit_limit.amount())?;
    let account = Account::CustomerBalance(holder.clone());
    let mut effect: i128 = 0;
    for posting in transaction.postings() {
        if posting.account != account {
            continue;
        }
        balance.same_currency(posting.amount)?;
        effect += i128::from(posting.balance_effect().minor);
    }
    let new_balance = i128::from(balance.minor) + effect;
    let floor = -i128::from(credit_limit.amount().minor);
    if effect < 0 && new_balance < floor {
        let shortfall = i64::try_from(floor - new_balance).map_err(|_| MoneyError::Overflow)?;
        return Err(MoneyError::InsufficientBalance {
            shortfall: Money::new(shortfall, currency),
        });
    }
    let minor = i64::try_from(new_balance).map_err(|_| MoneyError::Overflow)?;
    Ok(Money::new(minor, currency))
}

/// A top-up through a payment gateway: debit cash, credit the holder's balance.
pub fn top_up(holder: &HolderId, amount: Money) -> Result<Transaction, MoneyError> {
    Transaction::builder()
        .debit(Account::Cash, amount)
        .credit(Account::CustomerBalance(holder.clone()), amount)
        .build()
}

/// The charge for an order: debit the holder's balance, credit revenue. Check it with
/// [`apply_to_balance`] in the same database transaction as the domain change.
pub fn charge(holder: &HolderId, amount: Money) -> Result<Transaction, MoneyError> {
    Transaction::builder()
        .debit(Account::CustomerBalance(holder.clone()), amount)
        .credit(Account::Revenue, amount)
        .build()
}

/// A refund to the holder's balance: the reverse of a charge on the customer's side, booked
/// against the refunds contra account so that the original revenue entry stays as it was.
pub fn refund(holder: &HolderId, amount: Money) -> Result<Transaction, MoneyError> {
    Transaction::builder()
        .debit(Account::Refunds, amount)
        .credit(Account::CustomerBalance(holder.clone()), amount)
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cny(minor: i64) -> Money {
        Money::new(minor, Currency::Cny)
    }

    fn holder() -> HolderId {
        HolderId::parse("acct_01HZX").unwrap_or_else(|e| panic!("{e}"))
    }

    fn code<T: fmt::Debug>(result: Result<T, MoneyError>) -> &'static str {
        match result {
            Ok(value) => panic!("expected an error, got {value:?}"),
            Err(error) => error.code(),
        }
    }

    /// Sum of all posting amounts per currency, in i128 so the check itself cannot overflow.
    fn sums(transaction: &Transaction) -> Vec<(Currency, i128)> {
        Currency::ALL
            .into_iter()
            .map(|currency| {
                let total = transaction
                    .postings()
                    .iter()
                    .filter(|p| p.amount().currency() == currency)
                    .map(|p| i128::from(p.amount().minor()))
                    .sum();
                (currency, total)
            })
            .collect()
    }

    fn assert_balanced(transaction: &Transaction) {
        for (currency, total) in sums(transaction) {
            assert_eq!(total, 0, "{currency} does not balance in {transaction:?}");
        }
    }

    /// A small deterministic generator (SplitMix64), enough for brute-force loops.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }

        fn amount(&mut self) -> i64 {
            // Mix small everyday amounts with values near the limits.
            match self.next() % 4 {
                0 => (self.next() % 10_000) as i64,
                1 => (self.next() % 100_000_000) as i64,
                2 => i64::MAX - (self.next() % 1_000) as i64,
                _ => (self.next() >> 1) as i64,
            }
        }
    }

    #[test]
    fn display() {
        let cases = [
            (cny(5900), "59.00 CNY"),
            (cny(5), "0.05 CNY"),
            (cny(-5), "-0.05 CNY"),
            (cny(-12345), "-123.45 CNY"),
            (cny(0), "0.00 CNY"),
            (Money::new(500, Currency::Jpy), "500 JPY"),
            (Money::new(1999, Currency::Usd), "19.99 USD"),
            (cny(i64::MAX), "92233720368547758.07 CNY"),
            (cny(i64::MIN), "-92233720368547758.08 CNY"),
        ];
        for (money, expect) in cases {
            assert_eq!(money.to_string(), expect);
        }
    }

    #[test]
    fn parse_round_trips_display() {
        let ok = [
            ("59", Currency::Cny, 5900),
            ("59.5", Currency::Cny, 5950),
            ("59.00", Currency::Cny, 5900),
            ("-0.01", Currency::Cny, -1),
            ("0", Currency::Cny, 0),
            ("500", Currency::Jpy, 500),
            ("92233720368547758.07", Currency::Cny, i64::MAX),
            ("-92233720368547758.08", Currency::Cny, i64::MIN),
        ];
        for (text, currency, minor) in ok {
            let money = Money::parse(text, currency).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(money, Money::new(minor, currency), "{text}");
            let shown = money.to_string();
            let number = shown.split(' ').next().unwrap_or_default();
            assert_eq!(Money::parse(number, currency), Ok(money));
        }
        let invalid = [
            "", "-", ".5", "5.", "5.001", "+5", " 5", "5 ", "5,00", "1e3", "--5", "5.-1", "５",
        ];
        for text in invalid {
            assert_eq!(
                code(Money::parse(text, Currency::Cny)),
                "INVALID_AMOUNT",
                "{text:?}"
            );
        }
        assert_eq!(code(Money::parse("5.0", Currency::Jpy)), "INVALID_AMOUNT");
        assert_eq!(
            code(Money::parse("92233720368547758.08", Currency::Cny)),
            "AMOUNT_OVERFLOW"
        );
        assert_eq!(
            code(Money::parse("99999999999999999999999", Currency::Cny)),
            "AMOUNT_OVERFLOW"
        );
    }

    #[test]
    fn currency_codes() {
        for currency in Currency::ALL {
            assert_eq!(Currency::parse(currency.code()), Ok(currency));
            assert_eq!(currency.code().parse::<Currency>(), Ok(currency));
        }
        for bad in ["cny", "XYZ", "", "CNYY", "人民币"] {
            assert_eq!(code(Currency::parse(bad)), "UNKNOWN_CURRENCY", "{bad}");
        }
    }

    #[test]
    fn checked_arithmetic() {
        assert_eq!(cny(5900).checked_add(cny(100)), Ok(cny(6000)));
        assert_eq!(cny(5900).checked_sub(cny(6000)), Ok(cny(-100)));
        assert_eq!(cny(5900).checked_mul(3), Ok(cny(17700)));
        assert_eq!(cny(5900).checked_mul(-1), Ok(cny(-5900)));
        assert_eq!(cny(5900).checked_neg(), Ok(cny(-5900)));

        assert_eq!(code(cny(i64::MAX).checked_add(cny(1))), "AMOUNT_OVERFLOW");
        assert_eq!(code(cny(i64::MIN).checked_sub(cny(1))), "AMOUNT_OVERFLOW");
        assert_eq!(code(cny(i64::MAX).checked_mul(2)), "AMOUNT_OVERFLOW");
        assert_eq!(code(cny(i64::MIN).checked_mul(-1)), "AMOUNT_OVERFLOW");
        assert_eq!(code(cny(i64::MIN).checked_neg()), "AMOUNT_OVERFLOW");

        let usd = Money::new(1, Currency::Usd);
        assert_eq!(
            cny(1).checked_add(usd),
            Err(MoneyError::CurrencyMismatch {
                left: Currency::Cny,
                right: Currency::Usd
            })
        );
        assert_eq!(code(cny(1).checked_sub(usd)), "CURRENCY_MISMATCH");
    }

    #[test]
    fn standard_transactions_balance() {
        let holder = holder();
        for transaction in [
            top_up(&holder, cny(10_000)),
            charge(&holder, cny(5900)),
            refund(&holder, cny(5900)),
        ] {
            let transaction = transaction.unwrap_or_else(|e| panic!("{e}"));
            assert_balanced(&transaction);
            assert_balanced(&transaction.reversed());
            assert_eq!(transaction.postings().len(), 2);
        }
        let account = Account::CustomerBalance(holder.clone());
        let effect = |t: Result<Transaction, MoneyError>| {
            t.and_then(|t| t.net_effect(&account, Currency::Cny))
        };
        assert_eq!(effect(top_up(&holder, cny(100))), Ok(cny(100)));
        assert_eq!(effect(charge(&holder, cny(100))), Ok(cny(-100)));
        assert_eq!(effect(refund(&holder, cny(100))), Ok(cny(100)));
        let charged = charge(&holder, cny(100)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            charged.net_effect(&Account::Revenue, Currency::Cny),
            Ok(cny(100))
        );
        assert_eq!(
            charged.reversed().net_effect(&account, Currency::Cny),
            Ok(cny(100))
        );
    }

    #[test]
    fn helpers_refuse_non_positive_amounts() {
        let holder = holder();
        for amount in [cny(0), cny(-1), cny(i64::MIN)] {
            assert_eq!(code(top_up(&holder, amount)), "INVALID_AMOUNT");
            assert_eq!(code(charge(&holder, amount)), "INVALID_AMOUNT");
            assert_eq!(code(refund(&holder, amount)), "INVALID_AMOUNT");
        }
    }

    #[test]
    fn brute_force_sums_are_always_zero() {
        let holder = holder();
        let mut rng = Rng(20_260_101);
        let mut built = 0;
        for _ in 0..20_000 {
            let amount = cny(rng.amount());
            for make in [top_up, charge, refund] {
                match make(&holder, amount) {
                    Ok(transaction) => {
                        built += 1;
                        assert_balanced(&transaction);
                        assert_balanced(&transaction.reversed());
                    }
                    Err(error) => {
                        assert!(!amount.is_positive(), "{amount} refused: {error}");
                    }
                }
            }
        }
        assert!(built > 50_000, "too few transactions were built: {built}");
    }

    #[test]
    fn brute_force_builder_accepts_exactly_the_balanced() {
        let mut rng = Rng(7);
        let holder = holder();
        for round in 0..5_000 {
            // Split a random total into several debits, credit it back in other pieces, and
            // sometimes disturb one posting by a unit.
            let total = rng.amount().max(1);
            let n_debits = 1 + (rng.next() % 4) as i64;
            let mut builder = Transaction::builder();
            let mut left = total;
            for i in 0..n_debits {
                let piece = if i == n_debits - 1 { left } else { left / 2 };
                if piece > 0 {
                    builder = builder.debit(Account::CustomerBalance(holder.clone()), cny(piece));
                }
                left -= piece;
            }
            let disturb = round % 3 == 0 && total < i64::MAX;
            let credit = if disturb { total + 1 } else { total };
            builder = builder.credit(Account::Revenue, cny(credit));
            match builder.build() {
                Ok(transaction) => {
                    assert!(!disturb, "unbalanced postings were accepted");
                    assert_balanced(&transaction);
                }
                Err(MoneyError::Unbalanced { imbalance }) => {
                    assert!(disturb, "balanced postings were refused");
                    assert_eq!(imbalance, cny(-1));
                }
                Err(other) => panic!("unexpected {other}"),
            }
        }
    }

    #[test]
    fn builder_sums_without_intermediate_overflow() {
        let max = cny(i64::MAX);
        let transaction = Transaction::builder()
            .debit(Account::Cash, max)
            .debit(Account::Cash, max)
            .credit(Account::Revenue, max)
            .credit(Account::Revenue, max)
            .build();
        let transaction = transaction.unwrap_or_else(|e| panic!("{e}"));
        assert_balanced(&transaction);
        assert_eq!(
            code(transaction.net_effect(&Account::Cash, Currency::Cny)),
            "AMOUNT_OVERFLOW"
        );
    }

    #[test]
    fn builder_errors() {
        assert_eq!(
            code(Transaction::builder().build()),
            "UNBALANCED_TRANSACTION"
        );
        assert_eq!(
            Transaction::builder().debit(Account::Cash, cny(1)).build(),
            Err(MoneyError::TooFewPostings)
        );
        assert_eq!(
            Transaction::builder()
                .debit(Account::Cash, cny(0))
                .credit(Account::Revenue, cny(0))
                .build(),
            Err(MoneyError::InvalidAmount)
        );
        assert_eq!(
            Transaction::builder()
                .debit(Account::Cash, cny(-5))
                .credit(Account::Revenue, cny(-5))
                .build(),
            Err(MoneyError::InvalidAmount)
        );
        // Balanced in total value but not per currency.
        let mixed = Transaction::builder()
            .debit(Account::Cash, cny(100))
            .credit(Account::Revenue, Money::new(100, Currency::Usd))
            .build();
        assert_eq!(
            mixed,
            Err(MoneyError::Unbalanced {
                imbalance: cny(100)
            })
        );
        // Balanced per currency with two currencies is fine.
        let two = Transaction::builder()
            .debit(Account::Cash, cny(100))
            .credit(Account::Revenue, cny(100))
            .debit(Account::Cash, Money::new(7, Currency::Usd))
            .credit(Account::Revenue, Money::new(7, Currency::Usd))
            .build();
        assert!(two.is_ok());
        let posting = Posting::credit(Account::Revenue, cny(100));
        let via_posting = posting.map(|p| {
            Transaction::builder()
                .debit(Account::Cash, cny(100))
                .posting(p)
                .build()
        });
        assert!(matches!(via_posting, Ok(Ok(_))));
    }

    #[test]
    fn insufficient_balance() {
        let holder = holder();
        let none = CreditLimit::none(Currency::Cny);
        let charge_59 = charge(&holder, cny(5900)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            apply_to_balance(cny(5900), &holder, &charge_59, none),
            Ok(cny(0))
        );
        assert_eq!(
            apply_to_balance(cny(5000), &holder, &charge_59, none),
            Err(MoneyError::InsufficientBalance {
                shortfall: cny(900)
            })
        );
        let limit = CreditLimit::new(cny(1000)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            apply_to_balance(cny(5000), &holder, &charge_59, limit),
            Ok(cny(-900))
        );
        assert_eq!(
            apply_to_balance(cny(4000), &holder, &charge_59, limit),
            Err(MoneyError::InsufficientBalance {
                shortfall: cny(900)
            })
        );
        // A top-up always passes, even while the balance stays below the floor.
        let top = top_up(&holder, cny(100)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            apply_to_balance(cny(-5000), &holder, &top, none),
            Ok(cny(-4900))
        );
        // Postings for someone else leave this holder alone.
        let other = HolderId::parse("acct_other").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            apply_to_balance(cny(0), &other, &charge_59, none),
            Ok(cny(0))
        );
        // Currency mismatches are errors, not silent skips.
        assert_eq!(
            code(apply_to_balance(
                Money::zero(Currency::Usd),
                &holder,
                &charge_59,
                none
            )),
            "CURRENCY_MISMATCH"
        );
        assert_eq!(
            code(apply_to_balance(
                Money::zero(Currency::Usd),
                &holder,
                &charge_59,
                CreditLimit::none(Currency::Usd)
            )),
            "CURRENCY_MISMATCH"
        );
        assert_eq!(code(CreditLimit::new(cny(-1))), "INVALID_AMOUNT");
        // Extremes neither panic nor wrap.
        let huge = charge(&holder, cny(i64::MAX)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            code(apply_to_balance(cny(i64::MIN), &holder, &huge, none)),
            "AMOUNT_OVERFLOW"
        );
        let big_top = top_up(&holder, cny(i64::MAX)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            code(apply_to_balance(cny(1), &holder, &big_top, none)),
            "AMOUNT_OVERFLOW"
        );
    }

    #[test]
    fn brute_force_balance_never_below_floor() {
        let holder = holder();
        let mut rng = Rng(42);
        let limit = CreditLimit::new(cny(10_000)).unwrap_or_else(|e| panic!("{e}"));
        let mut balance = cny(0);
        for _ in 0..10_000 {
            let amount = cny(1 + (rng.next() % 20_000) as i64);
            let transaction = match rng.next() % 3 {
                0 => top_up(&holder, amount),
                1 => refund(&holder, amount),
                _ => charge(&holder, amount),
            }
            .unwrap_or_else(|e| panic!("{e}"));
            match apply_to_balance(balance, &holder, &transaction, limit) {
                Ok(next) => balance = next,
                Err(MoneyError::InsufficientBalance { shortfall }) => {
                    assert!(shortfall.is_positive());
                    let needed = balance
                        .checked_add(shortfall)
                        .unwrap_or_else(|e| panic!("{e}"));
                    let retried = apply_to_balance(needed, &holder, &transaction, limit);
                    assert_eq!(retried, Ok(cny(-10_000)), "shortfall is exact");
                }
                Err(other) => panic!("unexpected {other}"),
            }
            assert!(balance.minor() >= -10_000);
        }
    }

    #[test]
    fn holder_ids() {
        assert!(HolderId::parse("0190f4c2-7b1e-7c3a-9a57-2b1f0e6d4c11").is_ok());
        let too_long = "a".repeat(HolderId::MAX_LEN + 1);
        for bad in ["", " ", "a b", "账户", too_long.as_str(), "a\n"] {
            assert_eq!(code(HolderId::parse(bad)), "INVALID_HOLDER", "{bad:?}");
        }
        let account = Account::CustomerBalance(holder());
        assert_eq!(account.to_string(), "customer_balance:acct_01HZX");
        assert_eq!(Account::Revenue.to_string(), "revenue");
    }

    #[test]
    fn posting_sides() {
        let debit = Posting::debit(Account::Cash, cny(5)).unwrap_or_else(|e| panic!("{e}"));
        let credit = Posting::credit(Account::Cash, cny(5)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((debit.side(), debit.amount()), (Side::Debit, cny(5)));
        assert_eq!((credit.side(), credit.amount()), (Side::Credit, cny(-5)));
        assert_eq!(credit.magnitude(), cny(5));
        // Cash is debit-normal, so a debit grows it and a credit shrinks it.
        assert_eq!(debit.balance_effect(), cny(5));
        assert_eq!(credit.balance_effect(), cny(-5));
    }
}
