-- Password reset requests are enqueued for every address (the request costs the same whether
-- or not an account exists); the email worker makes the token. A retried job reuses its row
-- (and replaces the token it could not deliver) through the job's message key.
ALTER TABLE password_resets ADD COLUMN message_key text UNIQUE;
