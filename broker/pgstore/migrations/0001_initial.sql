-- Schema 1: the broker's state as broker/store.go describes it.
--
-- Every value column holds the domain type's JSON encoding (the same bytes
-- boltstore keeps), as json, not jsonb: json keeps the bytes as written,
-- so a partner's JWKS (a json.RawMessage) and anything else the domain
-- hashes or signs comes back byte for byte, where jsonb would reorder its
-- keys. The columns beside it are the keys and terms the readers look up
-- or order by. Every text key is COLLATE "C": the store contract orders
-- strings byte-wise, as Go does, whatever the database's locale.

-- meta: the active policy version ('active_policy') and the fingerprint of
-- the secrets the store is bound to ('binding').
CREATE TABLE meta (
    key   text COLLATE "C" PRIMARY KEY,
    value text NOT NULL
);

-- counters: the sequences of decision records and inbox items. A table,
-- not a SEQUENCE: a sequence is not transactional, and a rolled-back
-- writer would leave gaps that the decision ring's trimming (newest seq −
-- capacity) would mistake for records.
CREATE TABLE counters (
    name  text COLLATE "C" PRIMARY KEY,
    value bigint NOT NULL
);
INSERT INTO counters (name, value) VALUES ('decisions', 0), ('inbox', 0);

CREATE TABLE partners (
    id    text COLLATE "C" PRIMARY KEY,
    value json NOT NULL
);

CREATE TABLE consents (
    id      text COLLATE "C" PRIMARY KEY,
    subject text COLLATE "C" NOT NULL,
    value   json NOT NULL
);
CREATE INDEX consents_by_subject ON consents (subject, id);

CREATE TABLE restrictions (
    id      text COLLATE "C" PRIMARY KEY,
    subject text COLLATE "C" NOT NULL,
    value   json NOT NULL
);
CREATE INDEX restrictions_by_subject ON restrictions (subject, id);

CREATE TABLE policy_versions (
    id    text COLLATE "C" PRIMARY KEY,
    value json NOT NULL
);

-- decisions: the ring a dry-run replays; PutDecision trims it to the
-- configured capacity.
CREATE TABLE decisions (
    seq   bigint PRIMARY KEY,
    value json NOT NULL
);

-- audit: the records byte for byte as the audit log sealed them (bytea:
-- the store never parses them). audit_head is one row, the chain head,
-- which AppendAudit locks (SELECT … FOR UPDATE) in the appending
-- transaction, so two brokers can never both extend the same head.
CREATE TABLE audit (
    seq bigint PRIMARY KEY,
    raw bytea NOT NULL
);
CREATE TABLE audit_head (
    one  boolean PRIMARY KEY DEFAULT true CHECK (one),
    seq  bigint NOT NULL,
    hash text COLLATE "C" NOT NULL
);
INSERT INTO audit_head (seq, hash) VALUES (0, '');
CREATE TABLE audit_subjects (
    subject text COLLATE "C" NOT NULL,
    seq     bigint NOT NULL,
    PRIMARY KEY (subject, seq)
);
-- PurgeAudit removes by seq.
CREATE INDEX audit_subjects_by_seq ON audit_subjects (seq);

CREATE TABLE involvements (
    partner text COLLATE "C" NOT NULL,
    ref     text COLLATE "C" NOT NULL,
    subject text COLLATE "C" NOT NULL,
    value   json NOT NULL,
    PRIMARY KEY (partner, ref)
);
CREATE INDEX involvements_by_subject ON involvements (subject, partner, ref);

-- households: ids are a namespace per municipality, so the key is both.
CREATE TABLE households (
    municipality text COLLATE "C" NOT NULL,
    id           text COLLATE "C" NOT NULL,
    value        json NOT NULL,
    PRIMARY KEY (municipality, id)
);
CREATE TABLE household_members (
    subject      text COLLATE "C" NOT NULL,
    municipality text COLLATE "C" NOT NULL,
    id           text COLLATE "C" NOT NULL,
    PRIMARY KEY (subject, municipality, id),
    FOREIGN KEY (municipality, id) REFERENCES households ON DELETE CASCADE
);
CREATE INDEX household_members_by_household ON household_members (municipality, id);

-- inbox: one sequence for all partners (counters 'inbox').
CREATE TABLE inbox (
    seq     bigint PRIMARY KEY,
    partner text COLLATE "C" NOT NULL,
    acked   boolean NOT NULL,
    value   json NOT NULL
);
CREATE INDEX inbox_by_partner ON inbox (partner, seq);

CREATE TABLE assignments (
    id        text COLLATE "C" PRIMARY KEY,
    giver     text COLLATE "C" NOT NULL,
    recipient text COLLATE "C" NOT NULL,
    value     json NOT NULL
);
CREATE INDEX assignments_by_giver ON assignments (giver, id);
CREATE INDEX assignments_by_recipient ON assignments (recipient, id);

-- plan_versions: every version of every plan; the current one is the
-- highest version of its household.
CREATE TABLE plan_versions (
    municipality text COLLATE "C" NOT NULL,
    household    text COLLATE "C" NOT NULL,
    version      bigint NOT NULL,
    value        json NOT NULL,
    PRIMARY KEY (municipality, household, version)
);

CREATE TABLE deliveries (
    id    text COLLATE "C" PRIMARY KEY,
    value json NOT NULL
);
CREATE TABLE dead_letters (
    id    text COLLATE "C" PRIMARY KEY,
    value json NOT NULL
);

-- console_sessions: keyed by the SHA-256 of the session id, never the id.
CREATE TABLE console_sessions (
    id_hash text COLLATE "C" PRIMARY KEY,
    value   json NOT NULL
);
