// Package pgstore keeps the broker's state in PostgreSQL: the second
// implementation of broker.Store (and broker.SessionStore), for a region
// that runs several brokers on one replicated database (issue 20). It is
// held to the same contract as boltstore by package storetest
// (TestConformance, against a real server).
//
// # Schema
//
// Versioned migrations, migrations/NNNN_what.sql, embedded in the binary.
// Open applies those the database lacks, in order, each in a transaction
// with its row in schema_migrations, while holding a session-level
// pg_advisory_lock, so brokers starting together migrate once; a database
// migrated by a newer binary is refused (ErrSchemaTooNew).
//
// Every entity is a row whose value column is the domain type's JSON
// encoding, the same bytes boltstore keeps, stored as json rather than
// jsonb so that they come back byte for byte (jsonb reorders the keys of
// a partner's JWKS, a json.RawMessage). Beside it are the columns the
// readers look up or order by: keys, partner, subject, municipality,
// sequence numbers. Every text key is COLLATE "C", because the contract
// orders strings byte-wise, as Go does. Audit records are bytea, opaque to
// the store; audit_head is one row holding the chain head; decision and
// inbox sequence numbers come from a counters table (transactional, so a
// rolled-back writer leaves no gap, unlike a SEQUENCE). The table list is
// migrations/0001_initial.sql.
//
// # Isolation
//
// View is a REPEATABLE READ, READ ONLY transaction: one snapshot for all
// its reads, and it never waits for a writer.
//
// Update is a READ COMMITTED transaction whose first statement takes a
// transaction-level advisory lock (pg_advisory_xact_lock), the writer
// lock, shared by every broker on the database. Writers therefore run one
// at a time, and each statement after the lock sees every earlier
// writer's commit: the transaction behaves as if writers were serialised,
// which is what the contract and the audit chain need, without
// SERIALIZABLE's aborted transactions under load. bbolt has a single
// writer too, so the domain loses nothing; the audit log's group commit
// keeps the number of write transactions low. AppendAudit also locks the
// chain head row (SELECT … FOR UPDATE) in the appending transaction and
// refuses a seq that does not follow it, so the chain stays one chain even
// against a writer that skipped the lock. A serialization failure or
// deadlock, which the lock should rule out, runs fn again (at most
// maxAttempts times), which the contract allows.
//
// Console sessions are not audited state and skip the writer lock: each
// call is its own short transaction.
//
// A session left idle inside a transaction for 30 s is ended by
// PostgreSQL (idle_in_transaction_session_timeout, unless the DSN sets
// it), so a frozen broker cannot hold the writer lock for the others.
// Sessions also commit with synchronous_commit = on unless the DSN names
// a level, so that a server default of off cannot make Update acknowledge
// a write that a crash then loses.
//
// # Several brokers
//
// Beyond the store contract, pgstore has what brokers sharing a database
// need (issue 20): ReplayCache, the request tokens' replay cache in the
// replay table (schema 2), so a token used at one broker is refused at
// all; Listen, the inbox signals of every broker (AppendInbox notifies
// in its transaction, LISTEN/NOTIFY delivers on commit), which wake
// long-polls across brokers; Exclusive, work one broker does at a time
// (a session advisory lock, released by PostgreSQL when that broker's
// connection ends), used for webhook delivery; and Import, which fills
// an empty database from bbolt's export (ketenbrug migrate).
//
// A walk (a method taking fn) reads in pages of pageSize rows, keyed on
// its order, instead of holding a cursor open: fn may read through the
// same transaction, and a connection runs one query at a time.
//
// Keys PostgreSQL's text cannot hold (a NUL byte, invalid UTF-8) are
// refused in Go with ErrInvalid, or found absent, before any statement:
// a failed statement would abort the whole transaction.
//
// Times inside values are the domain's JSON encoding, so they come back as
// the same instant, as with boltstore.
//
// The pseudonym secret and the broker key are never stored here: they
// stay files beside the broker; Bind records only their fingerprint.
package pgstore
