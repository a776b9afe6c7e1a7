-- Lookup keys are kept only as a keyed hash (HMAC-SHA256 under <data-dir>/lookup.key).
-- The store hashes the clear keys of earlier releases on start, then drops
-- the clear column (it needs the secret, which SQL does not have).
ALTER TABLE dossiers ADD COLUMN lookup_hash TEXT NOT NULL DEFAULT '';
-- The verification page names the signed document an uploaded file is, when it is another one.
CREATE INDEX dossier_results_signed_sha256 ON dossier_results(signed_sha256);
