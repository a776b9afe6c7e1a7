-- The due instants and paused minutes that events written before release 4
-- fixed, as the rules computed them when this release first opened the
-- database. Events written since carry them in their own payload. A refold
-- prefers a recorded fact to a computation from today's calendar, so a day
-- off added later never moves a promise already printed. Each row is keyed
-- (HMAC with the audit key over the event's hash and the facts).
CREATE TABLE event_frozen (
    event_id BIGINT PRIMARY KEY REFERENCES dossier_events(id),
    due_at BIGINT,
    pause_remaining BIGINT,
    mac TEXT NOT NULL
);
-- Dossiers whose events' facts are still to be recorded (done on start).
CREATE TABLE frozen_pending (dossier_id BIGINT PRIMARY KEY);
INSERT INTO frozen_pending (dossier_id) SELECT id FROM dossiers;
