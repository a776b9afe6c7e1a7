-- Fees paid online: one order per attempt, named by a reference the
-- channel carries back (VNPay's vnp_TxnRef, the purpose of a VietQR
-- transfer). The channel's confirmation settles it; a confirmed order's
-- payment (with its receipt) names it, once: a second confirmation of the
-- same order never records a second payment.
CREATE TABLE payment_orders (
    id BIGSERIAL PRIMARY KEY,
    reference TEXT NOT NULL UNIQUE,
    dossier_id BIGINT NOT NULL REFERENCES dossiers(id),
    unit_code TEXT NOT NULL,
    channel TEXT NOT NULL,
    amount_vnd BIGINT NOT NULL,
    state TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    settled_at BIGINT,
    provider_txn TEXT,
    detail TEXT
);
CREATE INDEX payment_orders_state ON payment_orders(state, created_at);
CREATE INDEX payment_orders_dossier ON payment_orders(dossier_id);
ALTER TABLE payments ADD COLUMN order_ref TEXT;
CREATE UNIQUE INDEX payments_order_ref ON payments(order_ref);
