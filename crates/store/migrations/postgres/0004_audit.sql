-- Tamper-evident history: each event is a link in its unit's hash chain.
ALTER TABLE dossier_events ADD COLUMN unit_code TEXT;
ALTER TABLE dossier_events ADD COLUMN unit_seq BIGINT;
ALTER TABLE dossier_events ADD COLUMN prev_hash TEXT;
ALTER TABLE dossier_events ADD COLUMN hash TEXT;
CREATE UNIQUE INDEX dossier_events_chain ON dossier_events(unit_code, unit_seq);
-- The newest link of each unit's chain.
CREATE TABLE audit_heads (
    unit_code TEXT PRIMARY KEY,
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL
);
-- Chain heads signed (HMAC) with the server's audit key, now and then.
CREATE TABLE audit_checkpoints (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at BIGINT NOT NULL,
    heads TEXT NOT NULL,
    mac TEXT NOT NULL
);
-- Reads of personal data by staff.
CREATE TABLE access_log (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at BIGINT NOT NULL,
    username TEXT NOT NULL,
    dossier_code TEXT NOT NULL,
    what TEXT NOT NULL
);
CREATE INDEX access_log_dossier ON access_log(dossier_code, at);
