-- The day online payment was enabled for a unit: the first time one of its
-- online channels (vnpay, vietqr, paygov) was set up. The index's online
-- payment indicators (3.5a, 3.5b, 3.6) count from that instant. Units set
-- up before take the oldest of their channels' settings as it stands.
CREATE TABLE payment_enabled (
    unit_code TEXT PRIMARY KEY,
    since BIGINT NOT NULL
);
INSERT INTO payment_enabled (unit_code, since)
SELECT unit_code, MIN(updated_at) FROM integration_settings
WHERE system IN ('vnpay', 'vietqr', 'paygov') GROUP BY unit_code;
