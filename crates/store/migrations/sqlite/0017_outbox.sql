-- Effects of the history on the outside world (webhooks now; SMS, the
-- national portal and payments later), written in the transaction of the
-- event that causes them and delivered by a worker, each once per key.
CREATE TABLE webhooks (
    id INTEGER PRIMARY KEY,
    unit_code TEXT NOT NULL REFERENCES units(code),
    url TEXT NOT NULL,
    -- The secret is derived from the server's integration key and this
    -- nonce; the database never holds it.
    nonce TEXT NOT NULL,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX webhooks_unit ON webhooks (unit_code) WHERE active;

CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    unit_code TEXT NOT NULL,
    target_id BIGINT,
    idempotency_key TEXT NOT NULL UNIQUE,
    payload TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'dead')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    lease_until BIGINT,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    done_at BIGINT
);
CREATE INDEX outbox_pending ON outbox (next_attempt_at) WHERE state = 'pending';
CREATE INDEX outbox_dead ON outbox (unit_code, id) WHERE state = 'dead';
