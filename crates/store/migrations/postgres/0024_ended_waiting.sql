-- A dossier withdrawn while it waited for the citizen's papers asked before
-- its appointment: for the portal its processing ended at the request, so
-- it counts on time in 2.1 (SERVICE-INDEX.md). Derived from the history for
-- dossiers written before: the withdrawal came from awaiting_supplement and
-- the pause began (the last request or apology) no later than the due date
-- that stood. The index counters are recomputed once more.
ALTER TABLE dossiers ADD COLUMN ended_waiting BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE dossiers SET ended_waiting = TRUE
WHERE status = 'withdrawn' AND due_at IS NOT NULL
  AND EXISTS (SELECT 1 FROM dossier_events w WHERE w.dossier_id = dossiers.id
              AND w.action = 'withdraw' AND w.from_status = 'awaiting_supplement')
  AND (SELECT MAX(e.at) FROM dossier_events e WHERE e.dossier_id = dossiers.id
       AND e.action IN ('request_supplement', 'apologize')) <= due_at;
INSERT INTO index_rebuild_pending (id) VALUES (1) ON CONFLICT (id) DO NOTHING;
