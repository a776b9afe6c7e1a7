-- The service index (Decision 766/QĐ-TTg): counters per local day, unit and
-- metric, moved in the transaction of each event, rating or feedback.
CREATE TABLE index_counts (
    day TEXT NOT NULL,
    unit_code TEXT NOT NULL,
    metric TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (day, unit_code, metric)
);
CREATE INDEX index_counts_unit ON index_counts(unit_code, day);
-- The same counters summed by month ('YYYY-MM'), moved together with the daily
-- ones: a year's ranking reads twelve rows per unit and metric instead of 365.
CREATE TABLE index_counts_month (
    month TEXT NOT NULL,
    unit_code TEXT NOT NULL,
    metric TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (month, unit_code, metric)
);
-- One satisfaction rating per dossier, given after the result was returned.
CREATE TABLE ratings (
    dossier_id BIGINT PRIMARY KEY REFERENCES dossiers(id),
    unit_code TEXT NOT NULL,
    at BIGINT NOT NULL,
    scores TEXT NOT NULL,
    overall BIGINT NOT NULL,
    comment TEXT
);
CREATE INDEX ratings_unit_at ON ratings(unit_code, at);
-- Feedback (phản ánh, kiến nghị) to a unit, and its answer.
CREATE TABLE feedback (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    unit_code TEXT NOT NULL REFERENCES units(code),
    dossier_id BIGINT REFERENCES dossiers(id),
    name TEXT NOT NULL,
    contact TEXT NOT NULL,
    content TEXT NOT NULL,
    at BIGINT NOT NULL,
    due_at BIGINT NOT NULL,
    answer TEXT,
    answered_at BIGINT,
    answered_by TEXT
);
CREATE INDEX feedback_unit ON feedback(unit_code, id);
-- Drill-down from the index to the dossiers settled or received in a period.
CREATE INDEX dossiers_unit_finished ON dossiers(unit_code, finished_at);
CREATE INDEX dossiers_unit_received ON dossiers(unit_code, received_at);
