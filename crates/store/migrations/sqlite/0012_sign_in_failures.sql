-- Failed sign-ins are counted per (client address, account), not per account:
-- a stranger's guesses slow the stranger, never lock the officer out.
CREATE TABLE sign_in_failures (
    client TEXT NOT NULL,
    account TEXT NOT NULL,
    failures BIGINT NOT NULL,
    blocked_until BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (client, account)
);
CREATE INDEX sign_in_failures_account ON sign_in_failures(account);
ALTER TABLE users DROP COLUMN failed_logins;
ALTER TABLE users DROP COLUMN locked_until;
