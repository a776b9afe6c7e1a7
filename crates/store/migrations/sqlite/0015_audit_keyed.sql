-- From this mark on, every link of a unit's chain is keyed (HMAC with the
-- audit key, hash prefixed "k1:"): links after the head recorded here for
-- the unit must be keyed; links before keep the unkeyed rule they were
-- written with. The mark is signed with the audit key, which also tells a
-- process opening the database with another key that its key is wrong.
CREATE TABLE audit_keyed_from (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    at BIGINT NOT NULL,
    heads TEXT NOT NULL,
    mac TEXT NOT NULL
);
