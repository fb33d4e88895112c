-- Coupons (issue 17). `uses` and the per-account counters are raised by conditional
-- statements in the transaction that charges, so concurrent redemptions never exceed the
-- limits.
CREATE TABLE coupons (
    id                   TEXT PRIMARY KEY,
    code                 TEXT NOT NULL UNIQUE,
    kind                 TEXT NOT NULL,
    value                BIGINT NOT NULL,
    currency             TEXT NOT NULL,
    tlds                 TEXT NOT NULL,
    operations           TEXT NOT NULL,
    first_year_only      BIGINT NOT NULL,
    starts_at            BIGINT,
    ends_at              BIGINT,
    max_uses             BIGINT,
    max_uses_per_account BIGINT,
    min_order            BIGINT,
    uses                 BIGINT NOT NULL DEFAULT 0,
    created_by           TEXT NOT NULL,
    created_at           BIGINT NOT NULL,
    disabled_at          BIGINT
);

CREATE TABLE coupon_account_uses (
    coupon_id   TEXT NOT NULL REFERENCES coupons (id),
    account_id  TEXT NOT NULL,
    uses        BIGINT NOT NULL,
    PRIMARY KEY (coupon_id, account_id)
);

CREATE TABLE coupon_redemptions (
    id          TEXT PRIMARY KEY,
    coupon_id   TEXT NOT NULL REFERENCES coupons (id),
    account_id  TEXT NOT NULL,
    order_id    TEXT NOT NULL,
    discount    BIGINT NOT NULL,
    currency    TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX coupon_redemptions_coupon_idx ON coupon_redemptions (coupon_id, created_at);
