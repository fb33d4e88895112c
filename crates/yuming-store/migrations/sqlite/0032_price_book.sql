-- Promotional prices, member price levels and volume tiers (issue 17). The pricing rule
-- (yuming_core::pricing) takes the cheapest of them; coupons then apply on top.
CREATE TABLE price_promotions (
    id               TEXT PRIMARY KEY,
    tld              TEXT NOT NULL,
    operation        TEXT NOT NULL,
    price            INTEGER NOT NULL,
    currency         TEXT NOT NULL,
    first_year_only  INTEGER NOT NULL,
    label            TEXT NOT NULL,
    starts_at        INTEGER,
    ends_at          INTEGER,
    created_by       TEXT NOT NULL,
    created_at       INTEGER NOT NULL,
    disabled_at      INTEGER
);

CREATE TABLE price_levels (
    name          TEXT PRIMARY KEY,
    discount_bps  INTEGER NOT NULL,
    description   TEXT NOT NULL,
    updated_at    INTEGER NOT NULL
);

CREATE TABLE account_price_levels (
    account_id  TEXT PRIMARY KEY REFERENCES accounts (id),
    level       TEXT NOT NULL REFERENCES price_levels (name),
    set_by      TEXT NOT NULL,
    set_at      INTEGER NOT NULL
);

CREATE TABLE volume_tiers (
    min_names     INTEGER PRIMARY KEY,
    discount_bps  INTEGER NOT NULL
);
