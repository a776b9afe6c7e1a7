-- Online submissions in progress (one question per page): the answers so far.
CREATE TABLE drafts (
    id TEXT PRIMARY KEY,
    procedure_code TEXT NOT NULL REFERENCES procedures(code),
    data TEXT NOT NULL,
    dossier_code TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX drafts_updated ON drafts(updated_at);
