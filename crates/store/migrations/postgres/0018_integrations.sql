-- What a unit's outside systems need (merchant codes, accounts, addresses,
-- secrets). Secret values are sealed (XChaCha20-Poly1305 under a key derived
-- from integrations.key, bound to their unit, system and field).
CREATE TABLE integration_settings (
    unit_code TEXT NOT NULL REFERENCES units(code),
    system TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    secret BOOLEAN NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (unit_code, system, key)
);
