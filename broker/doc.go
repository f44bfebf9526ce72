// Package broker is the domain of Ketenbrug: partners and municipalities,
// persons (as pseudonyms), households, involvements, consents, policy
// versions, decisions and audit entries, the rules that keep them valid, and
// the services that orchestrate one request.
//
// The package imports nothing else from the project. It declares, where they
// are consumed, the small interfaces it needs from the outside world — a
// Store for its state, a Decider for policy questions, an AuditLog for the
// tamper-evident trail — and the concrete implementations (boltstore, policy,
// audit) are wired together in cmd/ketenbrug only.
//
// Privacy is the reason this package exists: a BSN never leaves a request
// body. It is validated with the elfproef (ParseBSN) and immediately turned
// into a keyed pseudonym (Pseudonymizer); only the pseudonym is stored,
// logged, audited or handed to the policy.
package broker
