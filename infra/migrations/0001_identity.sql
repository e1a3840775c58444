-- Identity: users, refresh tokens, sign-in throttling.

-- Session defaults every connection relies on (decoders expect UTC ISO timestamps). Set on the
-- database so that connections through PgBouncer need no extra round trips.
DO $$
BEGIN
    EXECUTE format('ALTER DATABASE %I SET timezone TO %L', current_database(), 'UTC');
    EXECUTE format('ALTER DATABASE %I SET datestyle TO %L', current_database(), 'ISO, YMD');
    EXECUTE format('ALTER DATABASE %I SET statement_timeout TO %L', current_database(), '10s');
    EXECUTE format('ALTER DATABASE %I SET idle_in_transaction_session_timeout TO %L', current_database(), '60s');
END
$$;

CREATE TABLE users (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    -- Lowercased and NFC-normalized by the application; unique.
    email             text NOT NULL CHECK (char_length(email) BETWEEN 3 AND 254 AND email = normalize(email, NFC)),
    name              text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
    role              text NOT NULL CHECK (role IN ('student', 'instructor', 'admin')),
    status            text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended', 'deleted')),
    -- Argon2id in PHC string form; NULL once the account is deleted.
    password_hash     text CHECK (password_hash IS NULL OR password_hash LIKE '$argon2id$%'),
    email_verified_at timestamptz,
    -- Bumped to invalidate every access token of the user (password change, sign-out everywhere).
    token_version     integer NOT NULL DEFAULT 0,
    headline          text CHECK (char_length(headline) <= 120),
    bio               text CHECK (char_length(bio) <= 2000),
    phone             text CHECK (char_length(phone) <= 20),
    avatar_url        text CHECK (char_length(avatar_url) <= 2048),
    links             jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(links) = 'object'),
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    deleted_at        timestamptz,
    CHECK ((status = 'deleted') = (deleted_at IS NOT NULL))
);

CREATE UNIQUE INDEX users_email_key ON users (email);

-- Rotating refresh tokens. A token is spent once (used_at); presenting a spent one again
-- revokes its whole family (every token descended from the same sign-in).
CREATE TABLE refresh_tokens (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    family_id   uuid NOT NULL,
    token_hash  bytea NOT NULL CHECK (octet_length(token_hash) = 32),
    user_agent  text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    revoked_at  timestamptz
);

CREATE UNIQUE INDEX refresh_tokens_hash_key ON refresh_tokens (token_hash);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id) WHERE revoked_at IS NULL;
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_expires_idx ON refresh_tokens (expires_at);

-- Failed sign-ins per account key (SHA-256 of the normalized email, so unknown emails are
-- throttled exactly like known ones and no address is stored here).
CREATE TABLE login_throttle (
    account_key  bytea PRIMARY KEY CHECK (octet_length(account_key) = 32),
    failures     integer NOT NULL DEFAULT 0,
    locked_until timestamptz,
    updated_at   timestamptz NOT NULL DEFAULT now()
);
