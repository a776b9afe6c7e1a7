-- Catalog versions: every import is a version with the date it takes effect,
-- nationally (province_code NULL) or for one province, holding the whole
-- active catalog as imported. A dossier keeps the version it was received
-- under, so its fee and time limit never change under it. The catalog in
-- place before versions existed becomes version 1 and every existing
-- dossier points to it.
CREATE TABLE catalog_versions (
    id BIGINT PRIMARY KEY,
    province_code TEXT REFERENCES provinces(code),
    effective_from BIGINT NOT NULL,
    note TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE catalog_version_procedures (
    version_id BIGINT NOT NULL REFERENCES catalog_versions(id),
    code TEXT NOT NULL,
    spec TEXT NOT NULL,
    PRIMARY KEY (version_id, code)
);
INSERT INTO catalog_versions (id, province_code, effective_from, note, created_by, created_at)
SELECT 1, NULL, 0, 'Danh mục trước khi có phiên bản', 'migration', COALESCE(MAX(updated_at), 0)
FROM procedures;
-- Retired procedures too: a dossier received before their retirement still
-- reads them.
INSERT INTO catalog_version_procedures (version_id, code, spec)
SELECT 1, code, spec FROM procedures;
ALTER TABLE dossiers ADD COLUMN catalog_version BIGINT NOT NULL DEFAULT 1;
