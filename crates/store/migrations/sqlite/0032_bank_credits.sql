-- Credits the bank reported on a unit's account (a SePay-shaped webhook),
-- each once (the bank's id), with what became of it: matched to an online
-- order (its reference in the transfer's content, the same amount), or
-- left for the accountant (no order, another amount, the order settled).
CREATE TABLE bank_credits (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    unit_code TEXT NOT NULL,
    provider_id TEXT NOT NULL,
    account_no TEXT NOT NULL,
    amount_vnd BIGINT NOT NULL,
    content TEXT NOT NULL,
    reference_code TEXT NOT NULL,
    transferred_at TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    order_ref TEXT,
    state TEXT NOT NULL,
    detail TEXT,
    UNIQUE (unit_code, provider_id)
);
CREATE INDEX bank_credits_state ON bank_credits(unit_code, state);
