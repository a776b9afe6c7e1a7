-- The service index as the national portal computes it: 2.1 counts the
-- dossiers received or still in processing in a period, open ones too, and
-- new counters (electronic results, online dossiers that count for 3.3)
-- appear. The counters are recomputed from the history when the store next
-- opens (`index_rebuild_pending`), in the same way `motcua index rebuild` does.
CREATE TABLE index_rebuild_pending (id INTEGER PRIMARY KEY);
INSERT INTO index_rebuild_pending (id) VALUES (1);
-- 3.2: the procedures with an online dossier in a period, per receiving unit.
CREATE INDEX dossiers_received_online ON dossiers(received_by, received_at, procedure_code) WHERE channel = 'online';
