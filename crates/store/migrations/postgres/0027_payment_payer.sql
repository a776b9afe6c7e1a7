-- A receipt names the payer as they were when they paid: a later
-- correction of the applicant's details does not rewrite a receipt.
-- Payments written before take the dossier's details as they stand.
ALTER TABLE payments ADD COLUMN payer_name TEXT NOT NULL DEFAULT '';
ALTER TABLE payments ADD COLUMN payer_address TEXT NOT NULL DEFAULT '';
UPDATE payments SET
    payer_name = (SELECT d.applicant_name FROM dossiers d WHERE d.id = payments.dossier_id),
    payer_address = (SELECT d.applicant_address FROM dossiers d WHERE d.id = payments.dossier_id);
