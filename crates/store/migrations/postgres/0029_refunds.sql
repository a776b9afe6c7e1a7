-- A fee paid back: when, by whom (the accountant) and why, on the payment
-- it returns (the refund event in the dossier's history holds the same).
-- A refunded payment is no longer in force: the dossier may pay again.
ALTER TABLE payments ADD COLUMN refunded_at BIGINT;
ALTER TABLE payments ADD COLUMN refunded_by TEXT;
ALTER TABLE payments ADD COLUMN refund_reason TEXT;
DROP INDEX payments_in_force;
CREATE UNIQUE INDEX payments_in_force ON payments(dossier_id) WHERE voided_at IS NULL AND refunded_at IS NULL;
CREATE INDEX payments_unit_refunded ON payments(unit_code, refunded_at);
