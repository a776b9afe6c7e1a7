-- The instant after which a dossier counts as late (Projection::late_from, in ms;
-- 0 = late whatever the time), so that "late" work lists read a partial index
-- instead of testing every row of a unit.
ALTER TABLE dossiers ADD COLUMN late_from BIGINT;

UPDATE dossiers SET late_from = CASE
    WHEN apologized THEN 0
    WHEN status IN ('submitted', 'refused', 'withdrawn') THEN NULL
    WHEN status = 'awaiting_supplement' THEN CASE WHEN pause_remaining = 0 THEN 0 END
    WHEN status IN ('result_ready', 'returned', 'rejected') THEN CASE WHEN finished_at > due_at THEN 0 END
    ELSE due_at
END;

CREATE INDEX dossiers_unit_late ON dossiers(unit_code, id, late_from) WHERE late_from IS NOT NULL;
