-- Each unit's certificate authority and the signer certificates it issues to
-- the unit's leaders. Private keys are kept only sealed (PKCS#8 PBES2) under
-- a secret that lives in the data folder, never in the database.
CREATE TABLE signing_certs (
    serial TEXT PRIMARY KEY,
    unit_code TEXT NOT NULL REFERENCES units(code),
    is_ca BOOLEAN NOT NULL,
    username TEXT,
    subject TEXT NOT NULL,
    not_before BIGINT NOT NULL,
    not_after BIGINT NOT NULL,
    cert_der BYTEA NOT NULL,
    sealed_key BYTEA NOT NULL,
    issued_by TEXT NOT NULL,
    issued_at BIGINT NOT NULL,
    revoked_at BIGINT,
    revoke_reason TEXT,
    revoked_by TEXT
);
CREATE INDEX signing_certs_unit ON signing_certs(unit_code, is_ca);

-- A dossier's electronic result: the document the specialist attached and,
-- once the leader signs, the signed PDF (blobs by SHA-256) and who signed
-- when. Signing is recorded here rather than as a dossier event: events are
-- the state machine's transitions (each checked by the lifecycle and chained
-- in the audit log), and signing moves no state.
CREATE TABLE dossier_results (
    dossier_id BIGINT PRIMARY KEY REFERENCES dossiers(id),
    original_sha256 TEXT NOT NULL,
    original_size BIGINT NOT NULL,
    filename TEXT,
    attached_by TEXT NOT NULL,
    attached_at BIGINT NOT NULL,
    public_id TEXT UNIQUE,
    signed_sha256 TEXT,
    signed_size BIGINT,
    signed_by TEXT,
    signer_name TEXT,
    cert_serial TEXT REFERENCES signing_certs(serial),
    signed_at BIGINT
);
