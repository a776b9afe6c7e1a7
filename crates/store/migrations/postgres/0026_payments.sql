-- Fees paid: one row per payment (the event in the dossier's history holds
-- the same facts, hashed in the audit chain), and the electronic receipts'
-- numbers, gapless per unit and year: the counter moves in the payment's
-- own transaction, so a refused payment leaves no hole.
CREATE TABLE payments (
    id BIGSERIAL PRIMARY KEY,
    dossier_id BIGINT NOT NULL REFERENCES dossiers(id),
    unit_code TEXT NOT NULL,
    method TEXT NOT NULL,
    total_vnd BIGINT NOT NULL,
    lines TEXT NOT NULL,
    receipt_year INTEGER NOT NULL,
    receipt_no BIGINT NOT NULL,
    receipt TEXT NOT NULL,
    paid_at BIGINT NOT NULL,
    paid_by TEXT NOT NULL,
    event_seq BIGINT NOT NULL,
    voided_at BIGINT,
    voided_by TEXT,
    void_reason TEXT,
    UNIQUE (unit_code, receipt_year, receipt_no),
    UNIQUE (unit_code, receipt)
);
CREATE INDEX payments_dossier ON payments(dossier_id);
CREATE INDEX payments_unit_day ON payments(unit_code, paid_at);
CREATE TABLE receipt_counters (
    unit_code TEXT NOT NULL,
    year INTEGER NOT NULL,
    last BIGINT NOT NULL,
    PRIMARY KEY (unit_code, year)
);
