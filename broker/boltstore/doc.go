// Package boltstore keeps the broker's state in one bbolt file: it is the
// embedded implementation of broker.Store.
//
// Every write transaction is fsynced before Update returns (bbolt's NoSync
// is never set), so a write a client was told succeeded survives a crash.
// Readers never block the writer, and Backup streams a consistent copy of
// the file while the broker keeps serving.
//
// # Layout (schema version 4)
//
// All buckets are top level. Integers in keys are uint64 big-endian, so
// byte order is numeric order and appends land at the end of the B+tree.
// Values are JSON, except involvements, which use the compact binary codec
// of codec.go since schema 3 (the table of millions of rows that every
// overview reads); an index entry has an empty value and its key is the
// indexed term, a 0x00 byte and the target key.
//
//	meta                 "schema"        → uint64, the schema version
//	                     "active_policy" → policy version id ("" or absent: embedded default)
//	                     "audit_head"    → uint64 seq ‖ hash of the last audit record
//	partners             id → broker.Partner
//	consents             id → broker.Consent
//	consents_by_subject  pseudonym ‖ 0x00 ‖ consent id → ∅
//	policy_versions      id → broker.PolicyVersion
//	decisions            seq → broker.DecisionRecord (only the newest Config.DecisionCapacity)
//	audit                seq → the audit record, byte for byte as the audit log sealed it
//	audit_by_subject     epoch (uint32, seq / 1024) ‖ pseudonym ‖ 0x00 ‖ seq → ∅ (see auditEpoch)
//
// Schema 2 added (involvements.go):
//
//	involvements            partner ‖ 0x00 ‖ ref → broker.Involvement (binary since schema 3)
//	involvements_by_subject pseudonym ‖ 0x00 ‖ partner ‖ 0x00 ‖ ref → ∅
//	households              id → broker.Household
//	households_by_member    pseudonym ‖ 0x00 ‖ household id → ∅
//	inbox                   partner ‖ 0x00 ‖ seq → broker.InboxItem
//
// Schema 4 added (collaboration.go), for ambition levels 3 and 4:
//
//	assignments            id → broker.Assignment
//	assignments_by_partner partner ‖ 0x00 ‖ assignment id → ∅ (giver and recipient)
//	plans                  household id → broker.Plan (the current version)
//	plan_versions          household id ‖ 0x00 ‖ version → broker.Plan (every version, kept)
//	deliveries             id → broker.Delivery (pending webhook deliveries)
//	dead_letters           id → broker.DeadLetter
//
// Schema 5 (migrate_households.go) made household ids a namespace per
// municipality: households, households_by_member, plans and plan_versions
// are keyed by the household key municipality ‖ 0x00 ‖ id instead of the
// bare id, so that one municipality's household ids neither clash with
// nor reveal another's.
//
// Schema 6 added (sessions.go), for console logins:
//
//	console_sessions  SHA-256 of the session id (hex) → broker.ConsoleSession
//
// Schema 7 added (restrictions.go), for restriction and objection (AVG art. 18, 21):
//
//	restrictions             id → broker.Restriction
//	restrictions_by_subject  pseudonym ‖ 0x00 ‖ restriction id → ∅
//
// Schema 8 added match follow-ups (followups.go). Schema 9 added, for the
// involvement retention sweep, which reads only the ended involvements
// that are due (its migration fills it from the stored involvements, once):
//
//	involvements_ended  ended day (YYYY-MM-DD, broker.Involvement.EndedOn) ‖ 0x00 ‖ partner ‖ 0x00 ‖ ref → ∅
//
// # Adding an entity
//
// Declare a table (and any index) in tables.go, add a migration that
// creates the buckets, and write the methods of the entity's reader and
// writer interfaces (broker/store.go) with the table's get, put and scan
// helpers. Their contract is tested by package storetest, which
// TestConformance runs here and every other store runs too; bbolt's own
// matters (locking, migrations, the page check) are tested beside it. Migrations run in order at Open, inside one
// transaction; a file written by a newer binary is refused with
// ErrSchemaTooNew rather than misread.
package boltstore
