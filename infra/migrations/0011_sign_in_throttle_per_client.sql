-- Sign-in back-off per account *and* client address, so that failures sent from one place
-- cannot lock the owner out from another; and a much higher per-account ceiling across every
-- address against guessing spread over many addresses. The statements that use these tables
-- are in `Throttle` (Shared/Identity/Users.swift).

-- SHA-256 of the client's address (an IPv6 client by its /64); empty for re-authentication
-- keys (one per signed-in user) and for requests whose address is unknown. Existing rows keep
-- the empty key: they run out like any other lock.
ALTER TABLE login_throttle
    ADD COLUMN client_key bytea NOT NULL DEFAULT '\x'::bytea CHECK (octet_length(client_key) IN (0, 32));
ALTER TABLE login_throttle DROP CONSTRAINT login_throttle_pkey;
ALTER TABLE login_throttle ADD PRIMARY KEY (account_key, client_key);

-- Failed sign-ins per account key from all addresses together, in a window that starts with
-- the first failure and lasts an hour.
CREATE TABLE login_ceiling (
    account_key  bytea PRIMARY KEY CHECK (octet_length(account_key) = 32),
    window_start timestamptz NOT NULL DEFAULT now(),
    failures     integer NOT NULL DEFAULT 0 CHECK (failures >= 0)
);
