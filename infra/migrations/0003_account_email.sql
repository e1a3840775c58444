-- Account flows that need email, the record of sent emails, push devices.

-- One-time codes that verify an email address. Codes are stored as HMACs keyed with a
-- server secret (6 digits are too few to store as a plain hash). A new code replaces the old.
CREATE TABLE email_verifications (
    user_id     uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    code_hash   bytea NOT NULL CHECK (octet_length(code_hash) = 32),
    expires_at  timestamptz NOT NULL,
    attempts    integer NOT NULL DEFAULT 0,
    -- Resend throttling: when the last code went out and how many in the current hour.
    sent_at     timestamptz NOT NULL DEFAULT now(),
    sent_window_start timestamptz NOT NULL DEFAULT now(),
    sent_in_window integer NOT NULL DEFAULT 1
);

-- Single-use password reset tokens (SHA-256 of a 256-bit random token).
CREATE TABLE password_resets (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash  bytea NOT NULL UNIQUE CHECK (octet_length(token_hash) = 32),
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz
);
CREATE INDEX password_resets_user_idx ON password_resets (user_id, created_at DESC);

-- What the email worker sent, by the message key its job carries: a retried job whose
-- message already went out does not send it again.
CREATE TABLE sent_emails (
    message_key text PRIMARY KEY,
    message_id  text NOT NULL,
    kind        text NOT NULL,
    recipient   text NOT NULL,
    job_id      bigint,
    sent_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sent_emails_sent_at_idx ON sent_emails (sent_at);

-- Push device tokens (FCM registration tokens). A token belongs to one user at a time.
CREATE TABLE devices (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token       text NOT NULL UNIQUE CHECK (char_length(token) BETWEEN 1 AND 4096),
    platform    text NOT NULL CHECK (platform IN ('android', 'ios', 'web')),
    name        text CHECK (char_length(name) <= 100),
    created_at  timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX devices_user_idx ON devices (user_id);

-- Deliveries per push message and device, so a retried push job skips devices already done.
CREATE TABLE push_deliveries (
    message_key text NOT NULL,
    device_id   uuid NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    delivered_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (message_key, device_id)
);
