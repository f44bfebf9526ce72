// Package audit is the broker's append-only, hash-chained audit trail: it
// implements broker.AuditLog and broker.AuditReader over the store.
//
// Each entry is sealed with the hash of the one before it, so editing,
// removing, inserting or reordering a stored entry breaks the chain where
// Verify finds it. Periodic checkpoints sign the head with the broker's
// key, so rewriting a whole stretch of the chain, hashes and all, is found
// too — up to the last checkpoint; entries after it are protected by the
// chain alone until the next one. Exporting checkpoints elsewhere (Export,
// VerifyChain) anchors the chain outside the broker's own file.
//
// Record shares one store transaction, and so one fsync, between all
// callers waiting at that moment (group commit): with many concurrent
// requests the cost of durability is spread over the batch.
//
// # Canonical form
//
// The canonical form of an entry is a JSON object of the fields of
// broker.AuditEntry except "hash", in this order and with the same
// omitempty rules, encoded as encoding/json encodes a struct:
//
//	seq, prev_hash, time, event, request_id, partner, sub, sub_known,
//	sub_via, role, action, purpose, object, subjects, decision, reasons,
//	bases, policy_version, disclosed, detail
//
// (sub_known and sub_via came later; being omitted when empty, entries
// written before them keep their hash.)
//
// "time" is UTC with exactly nine fraction digits
// (2026-11-22T19:00:00.000000000Z); "detail" keys are sorted; strings use
// encoding/json's escapes (including \u003c, \u003e and \u0026 for <, >
// and &, and U+FFFD for invalid UTF-8); there is no whitespace. prev_hash
// of the first entry is "".
//
// The hash of an entry is the lower-case hex SHA-256 of its canonical
// bytes. The stored record is the canonical object with the hash as its
// first member:
//
//	stored    = `{"hash":"` ‖ hash ‖ `",` ‖ canonical[1:]
//	canonical = `{` ‖ stored[75:]
//
// so verification hashes the stored bytes themselves and never re-encodes a
// decoded entry: a new Go release or a new AuditEntry field cannot turn a
// sound old entry into a false alarm. A stored record decodes as a
// broker.AuditEntry, hash included.
//
// # Checkpoints and purges
//
// A checkpoint entry (event "checkpoint") signs the entry before it: its
// detail holds head_seq and head_hash (its own seq − 1 and prev_hash), kid
// and sig, a Signer's signature over
//
//	"ketenbrug-audit/v1 checkpoint " ‖ head_seq ‖ " " ‖ head_hash
//
// A purge entry (event "purge") records a retention purge and signs the
// first entry kept and the hash it links to, which is gone from the store:
//
//	"ketenbrug-audit/v1 purge " ‖ first_seq ‖ " " ‖ anchor_hash
//
// A chain that does not start at seq 1 verifies only with such an anchor.
package audit
