-- Promotional prices, member price levels and volume tiers (issue 17). The pricing rule
-- (yuming_core::pricing) takes the cheapest of them; coupons then apply on top.
CREATE TABLE price_promotions (
    id               TEXT PRIMARY KEY,
    tld              TEXT NOT NULL,
    operation        TEXT NOT NULL,
    price            BIGINT NOT NULL,
    currency         TEXT NOT NULL,
    first_year_only  BIGINT NOT NULL,
    label            TEXT NOT NULL,
    starts_at        BIGINT,
    ends_at          BIGINT,
    created_by       TEXT NOT NULL,
    created_at       BIGINT NOT NULL,
    disabled_at      BIGINT
);

CREATE TABLE price_levels (
    name          TEXT PRIMARY KEY,
    discount_bps  BIGINT NOT NULL,
    description   TEXT NOT NULL,
    updated_at    BIGINT NOT NULL
);

CREATE TABLE account_price_levels (
    account_id  TEXT PRIMARY KEY REFERENCES accounts (id),
    level       TEXT NOT NULL REFERENCES price_levels (name),
    set_by      TEXT NOT NULL,
    set_at      BIGINT NOT NULL
);

CREATE TABLE volume_tiers (
    min_names     BIGINT PRIMARY KEY,
    discount_bps  BIGINT NOT NULL
);
