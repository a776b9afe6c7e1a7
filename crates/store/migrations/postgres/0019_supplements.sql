-- A supplement resumes the clock where it stopped: keep since when it stands
-- still, and how many supplements were asked (the national index counts a
-- dossier asked more than once as late). Both follow from the events.
ALTER TABLE dossiers ADD COLUMN paused_at BIGINT;
ALTER TABLE dossiers ADD COLUMN supplement_requests BIGINT NOT NULL DEFAULT 0;

UPDATE dossiers SET supplement_requests = (
    SELECT COUNT(*) FROM dossier_events e
    WHERE e.dossier_id = dossiers.id AND e.action = 'request_supplement'
);

-- While paused, the clock stopped at the last request, or at an apology given
-- after it (the apology restarts the count toward its new date).
UPDATE dossiers SET paused_at = (
    SELECT MAX(e.at) FROM dossier_events e
    WHERE e.dossier_id = dossiers.id AND e.action IN ('request_supplement', 'apologize')
)
WHERE status = 'awaiting_supplement';
