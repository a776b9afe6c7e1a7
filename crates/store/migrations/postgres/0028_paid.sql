-- Whether a receipt is in force, kept with the dossier as its projection
-- folds it from the payment and void events: the rules offer a payment or
-- a void from the dossier alone. One receipt in force per dossier at most.
ALTER TABLE dossiers ADD COLUMN paid BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE dossiers SET paid = TRUE
WHERE EXISTS (SELECT 1 FROM payments p WHERE p.dossier_id = dossiers.id AND p.voided_at IS NULL);
CREATE UNIQUE INDEX payments_in_force ON payments(dossier_id) WHERE voided_at IS NULL;
