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
    let effect =
        |t: Result<Transaction, MoneyError>| t.and_then(|t| t.net_effect(&account, Currency::Cny));
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
