-- Payments: orders (a cart of courses at the price of that moment), the provider's order or
-- checkout session, one payment row per course paid (seed 002's columns), and every event a
-- provider sent us, which is both the de-duplication key and the audit trail.

-- Bought enrollments say so (the seeds' word is `paid`) and remember their order.
ALTER TABLE enrollments DROP CONSTRAINT enrollments_source_check;
UPDATE enrollments SET source = 'paid' WHERE source = 'purchase';
ALTER TABLE enrollments ADD CONSTRAINT enrollments_source_check CHECK (source IN ('free', 'paid', 'admin'));

CREATE TABLE orders (
    -- Chosen before the provider is called (its notes and metadata carry it), written after.
    id                  uuid PRIMARY KEY,
    -- No cascade: accounts are anonymized, never deleted, and orders are accounting records.
    user_id             uuid NOT NULL REFERENCES users (id),
    provider            text NOT NULL CHECK (provider IN ('razorpay', 'stripe')),
    -- pending: the provider has the order, nobody has paid yet (a failed Razorpay payment keeps
    -- it pending: the learner may pay again); paid: the billing transaction ran; failed / expired:
    -- Stripe's asynchronous payment failed / its session expired unpaid.
    status              text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'paid', 'failed', 'expired')),
    currency            text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    amount_minor        bigint NOT NULL CHECK (amount_minor > 0),
    -- Razorpay's order id (`order_...`) or Stripe's Checkout Session id (`cs_...`).
    provider_order_id   text NOT NULL,
    checkout_url        text,
    -- Razorpay's payment id or Stripe's payment intent, once paid.
    provider_payment_id text,
    paid_via            text CHECK (paid_via IN ('verify', 'webhook', 'reconcile')),
    failure_reason      text,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    paid_at             timestamptz,
    UNIQUE (provider, provider_order_id),
    CHECK ((status = 'paid') = (paid_at IS NOT NULL))
);
CREATE INDEX orders_user_idx ON orders (user_id, created_at DESC, id DESC);

CREATE TABLE order_items (
    order_id      uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    course_id     uuid NOT NULL REFERENCES courses (id),
    -- What was bought, as it was: invoices and refunds use these, not today's course.
    title         text NOT NULL,
    instructor_id uuid NOT NULL REFERENCES users (id),
    price_minor   bigint NOT NULL CHECK (price_minor > 0),
    currency      text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    position      int NOT NULL CHECK (position >= 0),
    PRIMARY KEY (order_id, course_id)
);
CREATE INDEX order_items_course_idx ON order_items (course_id);

ALTER TABLE enrollments ADD COLUMN order_id uuid REFERENCES orders (id);

-- Seed 002's payments: user, course, amount, provider payment id, status; one row per course of
-- a paid order, which the unique key makes happen once however often the order is confirmed.
CREATE TABLE payments (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    order_id            uuid NOT NULL REFERENCES orders (id),
    user_id             uuid NOT NULL REFERENCES users (id),
    course_id           uuid NOT NULL REFERENCES courses (id),
    amount_minor        bigint NOT NULL CHECK (amount_minor >= 0),
    currency            text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    provider            text NOT NULL CHECK (provider IN ('razorpay', 'stripe')),
    provider_payment_id text NOT NULL,
    status              text NOT NULL DEFAULT 'captured' CHECK (status IN ('captured', 'refunded')),
    created_at          timestamptz NOT NULL DEFAULT now(),
    UNIQUE (order_id, course_id)
);
CREATE INDEX payments_user_idx ON payments (user_id, created_at DESC);
CREATE INDEX payments_course_idx ON payments (course_id);

-- Everything providers told us, verified or not. A verified event is recorded once per
-- (provider, event id) in the same transaction as what it caused, so a redelivery finds it and
-- does nothing; a refused delivery (bad signature, stale, malformed) is recorded alone, without
-- its body.
CREATE TABLE payment_events (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    provider       text NOT NULL CHECK (provider IN ('razorpay', 'stripe')),
    -- `webhook`, `verify` for Razorpay's checkout handler (event id `verify:<payment id>`), or
    -- `reconcile` when we asked the provider about an order still pending (`reconcile:<...>`).
    source         text NOT NULL CHECK (source IN ('webhook', 'verify', 'reconcile')),
    event_id       text CHECK (char_length(event_id) <= 200),
    event_type     text CHECK (char_length(event_type) <= 100),
    outcome        text NOT NULL CHECK (outcome IN (
                       'fulfilled', 'already_paid', 'payment_failed', 'expired', 'mismatch', 'unknown_order', 'ignored', 'refused',
                       'refunded', 'refund_failed')),
    order_id       uuid REFERENCES orders (id),
    detail         text NOT NULL DEFAULT '' CHECK (char_length(detail) <= 500),
    -- The verified body as received (refused deliveries keep none).
    payload        text,
    remote_address text NOT NULL DEFAULT '',
    received_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX payment_events_once ON payment_events (provider, event_id) WHERE event_id IS NOT NULL;
CREATE INDEX payment_events_order_idx ON payment_events (order_id) WHERE order_id IS NOT NULL;
CREATE INDEX payment_events_recent_idx ON payment_events (received_at DESC, id DESC);
CREATE INDEX payment_events_outcome_idx ON payment_events (outcome, received_at DESC, id DESC);
