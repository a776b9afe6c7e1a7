-- The queue of a center: services (named groups of procedure fields), the
-- counters that serve them, tickets numbered per unit and day, every call
-- shown on the display board (numbered per unit, in commit order), and
-- appointments booked ahead. Instants are UTC milliseconds; days are local
-- (Vietnam) dates as YYYY-MM-DD.
CREATE TABLE queue_services (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    unit_code TEXT NOT NULL REFERENCES units(code),
    name TEXT NOT NULL,
    -- Procedure fields (lĩnh vực) served, one a line; empty = every field no other service names.
    fields TEXT NOT NULL,
    position BIGINT NOT NULL,
    active BOOLEAN NOT NULL,
    UNIQUE (unit_code, name)
);
CREATE TABLE queue_counters (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    unit_code TEXT NOT NULL REFERENCES units(code),
    number BIGINT NOT NULL,
    name TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    UNIQUE (unit_code, number)
);
CREATE TABLE queue_counter_services (
    counter_id BIGINT NOT NULL REFERENCES queue_counters(id),
    service_id BIGINT NOT NULL REFERENCES queue_services(id),
    PRIMARY KEY (counter_id, service_id)
);
CREATE TABLE queue_numbers (
    unit_code TEXT NOT NULL,
    day TEXT NOT NULL,
    last BIGINT NOT NULL,
    PRIMARY KEY (unit_code, day)
);
CREATE TABLE queue_tickets (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    unit_code TEXT NOT NULL REFERENCES units(code),
    day TEXT NOT NULL,
    number BIGINT NOT NULL,
    token TEXT NOT NULL UNIQUE,
    service_id BIGINT NOT NULL REFERENCES queue_services(id),
    status TEXT NOT NULL,
    priority BIGINT NOT NULL,
    target_counter_id BIGINT REFERENCES queue_counters(id),
    counter_id BIGINT REFERENCES queue_counters(id),
    phone TEXT,
    dossier_code TEXT,
    appointment_code TEXT,
    issued_at BIGINT NOT NULL,
    queued_at BIGINT NOT NULL,
    called_at BIGINT,
    started_at BIGINT,
    finished_at BIGINT,
    updated_at BIGINT NOT NULL,
    UNIQUE (unit_code, day, number)
);
CREATE INDEX queue_tickets_open ON queue_tickets(unit_code, day, status);
CREATE INDEX queue_tickets_counter ON queue_tickets(counter_id, status);
CREATE TABLE queue_call_seq (
    unit_code TEXT PRIMARY KEY,
    last BIGINT NOT NULL
);
CREATE TABLE queue_calls (
    unit_code TEXT NOT NULL,
    seq BIGINT NOT NULL,
    ticket_id BIGINT NOT NULL REFERENCES queue_tickets(id),
    number BIGINT NOT NULL,
    counter_number BIGINT NOT NULL,
    counter_name TEXT NOT NULL,
    service_name TEXT NOT NULL,
    at BIGINT NOT NULL,
    PRIMARY KEY (unit_code, seq)
);
CREATE TABLE queue_appointments (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    unit_code TEXT NOT NULL REFERENCES units(code),
    service_id BIGINT NOT NULL REFERENCES queue_services(id),
    day TEXT NOT NULL,
    slot TEXT NOT NULL,
    full_name TEXT NOT NULL,
    phone TEXT,
    created_at BIGINT NOT NULL,
    ticket_id BIGINT REFERENCES queue_tickets(id)
);
CREATE INDEX queue_appointments_slot ON queue_appointments(unit_code, service_id, day, slot);
