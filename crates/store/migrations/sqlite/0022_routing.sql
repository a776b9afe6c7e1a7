-- Reception regardless of boundary (Decree 118/2025, art. 14): a dossier
-- has the unit that received it and the unit competent to decide it
-- (`unit_code`, which works on it). Every dossier before this was decided
-- where it was received.
ALTER TABLE dossiers ADD COLUMN received_by TEXT NOT NULL DEFAULT '';
UPDATE dossiers SET received_by = unit_code;
-- When it was routed (NULL: never): the receiving unit keeps the documents
-- taken in up to then.
ALTER TABLE dossiers ADD COLUMN routed_at INTEGER;
CREATE INDEX dossiers_routed_out ON dossiers(received_by, id) WHERE routed_at IS NOT NULL;
-- The routing event is a link of both chains: its own row sits in the
-- receiving unit's chain, this second link in the competent unit's.
CREATE TABLE event_links (
    event_id INTEGER NOT NULL REFERENCES dossier_events(id),
    unit_code TEXT NOT NULL,
    unit_seq INTEGER NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    UNIQUE (unit_code, unit_seq)
);
CREATE TRIGGER event_links_no_update BEFORE UPDATE ON event_links
BEGIN SELECT RAISE(ABORT, 'event_links is append-only'); END;
CREATE TRIGGER event_links_no_delete BEFORE DELETE ON event_links
BEGIN SELECT RAISE(ABORT, 'event_links is append-only'); END;
