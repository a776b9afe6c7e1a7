-- Who sent an upload not yet attached (client address, IPv6 by /64, or the
-- signed-in account): unattached bytes are capped per client and in total,
-- and forgotten with their files after a day.
ALTER TABLE documents ADD COLUMN client TEXT;
CREATE INDEX documents_unattached ON documents(created_at) WHERE dossier_id IS NULL;
CREATE INDEX documents_unattached_client ON documents(client) WHERE dossier_id IS NULL;
-- Whether other documents still name a purged file's bytes.
CREATE INDEX documents_sha256 ON documents(sha256);
