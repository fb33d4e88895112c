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
    /// Income from value-added services (filing assistance, batch filing…), kept apart from
    /// domain revenue.
    ServiceRevenue,
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
            AccountKind::CustomerBalance | AccountKind::Revenue | AccountKind::ServiceRevenue => {
                Side::Credit
            }
        }
    }

    /// A stable lowercase name, e.g. `customer_balance`.
    pub fn as_str(self) -> &'static str {
        match self {
            AccountKind::CustomerBalance => "customer_balance",
            AccountKind::Receivable => "receivable",
            AccountKind::Revenue => "revenue",
            AccountKind::ServiceRevenue => "service_revenue",
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
    /// Platform revenue from value-added services.
    ServiceRevenue,
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
            Account::ServiceRevenue => AccountKind::ServiceRevenue,
            Account::Refunds => AccountKind::Refunds,
            Account::Cash => AccountKind::Cash,
        }
    }

    /// The holder of a customer-side account.
    pub fn holder(&self) -> Option<&HolderId> {
        match self {
            Account::CustomerBalance(holder) | Account::Receivable(holder) => Some(holder),
            Account::Revenue | Account::ServiceRevenue | Account::Refunds | Account::Cash => None,
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

/// The charge for a value-added service: debit the holder's balance, credit service revenue.
pub fn charge_service(holder: &HolderId, amount: Money) -> Result<Transaction, MoneyError> {
    Transaction::builder()
        .debit(Account::CustomerBalance(holder.clone()), amount)
        .credit(Account::ServiceRevenue, amount)
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
mod tests;
