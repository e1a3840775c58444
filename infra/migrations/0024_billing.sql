-- Billing after payment: tax and discounts fixed into each order line, invoices and credit notes
-- with gapless numbers per financial year, refunds per line, coupons, and the instructor
-- earnings ledger. Amounts are integer minor units of the order's currency.

-- What each line cost: the course's price then, the coupon's share of the discount, the tax in
-- (or added to) it; `price_minor` stays what the buyer pays for the line, all included.
ALTER TABLE order_items
    ADD COLUMN list_price_minor bigint CHECK (list_price_minor > 0),
    ADD COLUMN discount_minor   bigint NOT NULL DEFAULT 0 CHECK (discount_minor >= 0),
    ADD COLUMN tax_minor        bigint NOT NULL DEFAULT 0 CHECK (tax_minor >= 0);
UPDATE order_items SET list_price_minor = price_minor;
ALTER TABLE order_items ALTER COLUMN list_price_minor SET NOT NULL;
-- A fixed-amount coupon may take one line of a cart down to nothing.
ALTER TABLE order_items DROP CONSTRAINT order_items_price_minor_check;
ALTER TABLE order_items ADD CONSTRAINT order_items_price_minor_check CHECK (price_minor >= 0);

-- The buyer's billing details given at checkout (optional) and the tax rule of the order.
ALTER TABLE orders
    ADD COLUMN billing_name    text CHECK (char_length(billing_name) <= 200),
    ADD COLUMN billing_address text CHECK (char_length(billing_address) <= 500),
    ADD COLUMN billing_tax_id  text CHECK (char_length(billing_tax_id) <= 50),
    ADD COLUMN tax_label       text NOT NULL DEFAULT '' CHECK (char_length(tax_label) <= 40),
    -- Basis points: 1800 is 18%.
    ADD COLUMN tax_rate_bp     integer NOT NULL DEFAULT 0 CHECK (tax_rate_bp BETWEEN 0 AND 10000),
    ADD COLUMN tax_inclusive   boolean NOT NULL DEFAULT true,
    ADD COLUMN discount_minor  bigint NOT NULL DEFAULT 0 CHECK (discount_minor >= 0);

-- Coupons: site-wide (admins) or for an instructor's own courses; percent or a fixed amount in
-- one currency. `used_count` grows in the paying transaction, under the coupon's row lock; an
-- order being paid holds a use from its creation (see Shared/Checkout/Coupons.swift), so a
-- payment never finds the coupon used up (one whose hold lapsed is still honoured: money taken).
CREATE TABLE coupons (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    code              text NOT NULL UNIQUE CHECK (code ~ '^[A-Z0-9][A-Z0-9_-]{2,31}$'),
    owner_id          uuid NOT NULL REFERENCES users (id),
    scope             text NOT NULL CHECK (scope IN ('site', 'instructor')),
    kind              text NOT NULL CHECK (kind IN ('percent', 'fixed')),
    percent_off       integer CHECK (percent_off BETWEEN 1 AND 100),
    amount_off_minor  bigint CHECK (amount_off_minor > 0),
    currency          text CHECK (currency ~ '^[A-Z]{3}$'),
    min_order_minor   bigint NOT NULL DEFAULT 0 CHECK (min_order_minor >= 0),
    starts_at         timestamptz,
    ends_at           timestamptz,
    max_uses          integer CHECK (max_uses > 0),
    max_uses_per_user integer CHECK (max_uses_per_user > 0),
    used_count        integer NOT NULL DEFAULT 0 CHECK (used_count >= 0),
    active            boolean NOT NULL DEFAULT true,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CHECK ((kind = 'percent') = (percent_off IS NOT NULL)),
    CHECK ((kind = 'fixed') = (amount_off_minor IS NOT NULL)),
    CHECK (kind = 'percent' OR currency IS NOT NULL),
    CHECK (starts_at IS NULL OR ends_at IS NULL OR starts_at < ends_at)
);
CREATE INDEX coupons_owner_idx ON coupons (owner_id, created_at DESC, id DESC);

-- An instructor coupon's courses (none listed: every course of its owner).
CREATE TABLE coupon_courses (
    coupon_id uuid NOT NULL REFERENCES coupons (id) ON DELETE CASCADE,
    course_id uuid NOT NULL REFERENCES courses (id),
    PRIMARY KEY (coupon_id, course_id)
);

ALTER TABLE orders ADD COLUMN coupon_id uuid REFERENCES coupons (id);

-- A coupon's use, counted once per paid order.
CREATE TABLE coupon_redemptions (
    coupon_id  uuid NOT NULL REFERENCES coupons (id),
    order_id   uuid NOT NULL UNIQUE REFERENCES orders (id),
    user_id    uuid NOT NULL REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX coupon_redemptions_user_idx ON coupon_redemptions (coupon_id, user_id);
CREATE INDEX orders_coupon_pending_idx ON orders (coupon_id, created_at) WHERE coupon_id IS NOT NULL AND status = 'pending';

-- Refunds: one or several lines of a paid order. requested -> approved (by an admin or the
-- policy) -> succeeded (the provider confirmed) or failed (visible to admins, retryable);
-- requested -> rejected.
CREATE TABLE refunds (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    order_id           uuid NOT NULL REFERENCES orders (id),
    user_id            uuid NOT NULL REFERENCES users (id),
    status             text NOT NULL DEFAULT 'requested'
                       CHECK (status IN ('requested', 'rejected', 'approved', 'succeeded', 'failed')),
    amount_minor       bigint NOT NULL CHECK (amount_minor > 0),
    currency           text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    reason             text NOT NULL DEFAULT '' CHECK (char_length(reason) <= 1000),
    auto_approved      boolean NOT NULL DEFAULT false,
    decided_by         uuid REFERENCES users (id),
    decided_at         timestamptz,
    decision_note      text CHECK (char_length(decision_note) <= 1000),
    provider_refund_id text,
    failure_reason     text CHECK (char_length(failure_reason) <= 500),
    attempts           integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    succeeded_at       timestamptz,
    CHECK ((status = 'succeeded') = (succeeded_at IS NOT NULL))
);
CREATE UNIQUE INDEX refunds_provider_refund_idx ON refunds (provider_refund_id) WHERE provider_refund_id IS NOT NULL;
CREATE INDEX refunds_order_idx ON refunds (order_id);
CREATE INDEX refunds_status_idx ON refunds (status, created_at, id);

CREATE TABLE refund_items (
    refund_id    uuid NOT NULL REFERENCES refunds (id) ON DELETE CASCADE,
    order_id     uuid NOT NULL,
    course_id    uuid NOT NULL,
    amount_minor bigint NOT NULL CHECK (amount_minor > 0),
    tax_minor    bigint NOT NULL CHECK (tax_minor >= 0),
    -- False once its refund was rejected: the line may be asked for again.
    open         boolean NOT NULL DEFAULT true,
    PRIMARY KEY (refund_id, course_id),
    FOREIGN KEY (order_id, course_id) REFERENCES order_items (order_id, course_id)
);
-- A line is refunded at most once.
CREATE UNIQUE INDEX refund_items_once ON refund_items (order_id, course_id) WHERE open;

-- Invoices and credit notes. Numbers are gapless and sequential per series and financial year:
-- allocated from a counter row under its lock in the transaction that pays (or refunds), so a
-- rollback returns the number with everything else. A document never changes once issued; the
-- worker only adds its PDF.
-- A series is its prefix (INVOICE_PREFIX, CREDIT_NOTE_PREFIX): a new prefix starts at 1.
CREATE TABLE billing_counters (
    prefix      text NOT NULL CHECK (prefix ~ '^[A-Z0-9][A-Z0-9-]{0,15}$'),
    fiscal_year text NOT NULL CHECK (fiscal_year ~ '^[0-9]{4}(-[0-9]{2})?$'),
    last_number integer NOT NULL CHECK (last_number >= 0),
    PRIMARY KEY (prefix, fiscal_year)
);

CREATE TABLE invoices (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    kind              text NOT NULL CHECK (kind IN ('invoice', 'credit_note')),
    number            text NOT NULL UNIQUE CHECK (char_length(number) BETWEEN 1 AND 60),
    fiscal_year       text NOT NULL,
    sequence          integer NOT NULL CHECK (sequence > 0),
    order_id          uuid NOT NULL REFERENCES orders (id),
    refund_id         uuid REFERENCES refunds (id),
    -- The invoice a credit note corrects.
    corrects_id       uuid REFERENCES invoices (id),
    user_id           uuid NOT NULL REFERENCES users (id),
    issued_at         timestamptz NOT NULL DEFAULT now(),
    currency          text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    -- What the document shows, fixed when issued:
    --   seller, buyer: {"name", "email", "address", "tax_id"} (missing keys: not shown)
    --   lines: [{"course_id", "description", "list_price_minor", "discount_minor", "net_minor",
    --            "tax_minor", "total_minor"}]
    seller            jsonb NOT NULL,
    buyer             jsonb NOT NULL,
    lines             jsonb NOT NULL,
    coupon_code       text,
    subtotal_minor    bigint NOT NULL CHECK (subtotal_minor >= 0),
    discount_minor    bigint NOT NULL CHECK (discount_minor >= 0),
    net_minor         bigint NOT NULL CHECK (net_minor >= 0),
    tax_minor         bigint NOT NULL CHECK (tax_minor >= 0),
    total_minor       bigint NOT NULL CHECK (total_minor >= 0),
    tax_label         text NOT NULL,
    tax_rate_bp       integer NOT NULL CHECK (tax_rate_bp BETWEEN 0 AND 10000),
    tax_inclusive     boolean NOT NULL,
    provider          text NOT NULL,
    payment_reference text NOT NULL,
    -- Set by the invoice worker once the PDF is stored (never a blob in a row).
    file_key          text CHECK (file_key LIKE 'private/invoices/%'),
    file_size         integer CHECK (file_size > 0),
    rendered_at       timestamptz,
    CHECK ((kind = 'credit_note') = (refund_id IS NOT NULL)),
    CHECK ((file_key IS NULL) = (rendered_at IS NULL))
);
CREATE UNIQUE INDEX invoices_one_per_order ON invoices (order_id) WHERE kind = 'invoice';
CREATE UNIQUE INDEX invoices_one_per_refund ON invoices (refund_id) WHERE kind = 'credit_note';
CREATE INDEX invoices_user_idx ON invoices (user_id, issued_at DESC);

-- The earnings ledger: one row per paid line and one per refunded line, never updated. For
-- every row: gross = tax + provider fee + platform fee + instructor share (refunds negative).
CREATE TABLE earnings_ledger (
    id                     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    entry                  text NOT NULL CHECK (entry IN ('sale', 'refund')),
    order_id               uuid NOT NULL REFERENCES orders (id),
    course_id              uuid NOT NULL REFERENCES courses (id),
    instructor_id          uuid NOT NULL REFERENCES users (id),
    refund_id              uuid REFERENCES refunds (id),
    currency               text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    gross_minor            bigint NOT NULL,
    tax_minor              bigint NOT NULL,
    provider_fee_minor     bigint NOT NULL,
    platform_fee_minor     bigint NOT NULL,
    instructor_share_minor bigint NOT NULL,
    occurred_at            timestamptz NOT NULL DEFAULT now(),
    UNIQUE (entry, order_id, course_id),
    CHECK (gross_minor = tax_minor + provider_fee_minor + platform_fee_minor + instructor_share_minor),
    CHECK ((entry = 'refund') = (refund_id IS NOT NULL))
);
CREATE INDEX earnings_ledger_instructor_idx ON earnings_ledger (instructor_id, occurred_at);
CREATE INDEX earnings_ledger_time_idx ON earnings_ledger (occurred_at);

-- The provider's fee of a payment, when it tells (Razorpay's `fee`), for the ledger.
ALTER TABLE orders ADD COLUMN provider_fee_minor bigint CHECK (provider_fee_minor >= 0);
