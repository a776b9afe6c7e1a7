-- Instants are UTC milliseconds since the epoch (BIGINT) in both backends.
CREATE TABLE provinces (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL
);
CREATE TABLE units (
    code TEXT PRIMARY KEY,
    province_code TEXT NOT NULL REFERENCES provinces(code),
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    name_folded TEXT NOT NULL
);
CREATE INDEX units_province ON units(province_code);
CREATE TABLE unit_hours (
    unit_code TEXT PRIMARY KEY REFERENCES units(code),
    sessions TEXT NOT NULL
);
-- scope '' is national; otherwise a unit code.
CREATE TABLE calendar_overrides (
    scope TEXT NOT NULL,
    day TEXT NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (scope, day)
);
CREATE TABLE procedures (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    field TEXT NOT NULL,
    name_folded TEXT NOT NULL,
    spec TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    full_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    roles TEXT NOT NULL,
    province_code TEXT REFERENCES provinces(code),
    active BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE user_units (
    user_id BIGINT NOT NULL REFERENCES users(id),
    unit_code TEXT NOT NULL REFERENCES units(code),
    PRIMARY KEY (user_id, unit_code)
);
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE TABLE code_counters (
    unit_code TEXT NOT NULL,
    day TEXT NOT NULL,
    last BIGINT NOT NULL,
    PRIMARY KEY (unit_code, day)
);
CREATE TABLE dossiers (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    unit_code TEXT NOT NULL REFERENCES units(code),
    procedure_code TEXT NOT NULL REFERENCES procedures(code),
    channel TEXT NOT NULL,
    status TEXT NOT NULL,
    paused_from TEXT,
    assignee TEXT,
    applicant_name TEXT NOT NULL,
    applicant_id_number TEXT NOT NULL,
    applicant_dob TEXT NOT NULL,
    applicant_phone TEXT NOT NULL,
    applicant_email TEXT,
    applicant_address TEXT NOT NULL,
    fields TEXT NOT NULL,
    lookup_key TEXT NOT NULL,
    version BIGINT NOT NULL,
    submitted_at BIGINT NOT NULL,
    received_at BIGINT,
    due_at BIGINT,
    pause_remaining BIGINT,
    finished_at BIGINT,
    returned_at BIGINT,
    apologized BOOLEAN NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX dossiers_unit_id ON dossiers(unit_code, id);
CREATE INDEX dossiers_unit_status_id ON dossiers(unit_code, status, id);
CREATE INDEX dossiers_assignee ON dossiers(assignee, status, id);
CREATE TABLE dossier_events (
    id INTEGER PRIMARY KEY,
    dossier_id BIGINT NOT NULL REFERENCES dossiers(id),
    seq BIGINT NOT NULL,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    role TEXT NOT NULL,
    action TEXT NOT NULL,
    from_status TEXT,
    to_status TEXT NOT NULL,
    note TEXT,
    payload TEXT NOT NULL,
    UNIQUE (dossier_id, seq)
);
-- History is append-only.
CREATE TRIGGER dossier_events_no_update BEFORE UPDATE ON dossier_events
BEGIN SELECT RAISE(ABORT, 'dossier_events is append-only'); END;
CREATE TRIGGER dossier_events_no_delete BEFORE DELETE ON dossier_events
BEGIN SELECT RAISE(ABORT, 'dossier_events is append-only'); END;
CREATE TABLE documents (
    id TEXT PRIMARY KEY,
    dossier_id BIGINT REFERENCES dossiers(id),
    doc_code TEXT,
    sha256 TEXT,
    size BIGINT NOT NULL,
    content_type TEXT,
    filename TEXT,
    paper BOOLEAN NOT NULL,
    uploaded_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX documents_dossier ON documents(dossier_id);
