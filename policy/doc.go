// Package policy is the OPA engine behind broker.PolicyEngine.
//
// A policy version is an OPA bundle (tar.gz) whose id is the hex SHA-256 of
// its bytes. Check compiles a bundle strictly (Rego v1), requires the
// entrypoint data.ketenbrug.decision and runs the bundle's own tests with
// OPA's tester; only bundles that pass are stored by the broker. Each
// version's query is prepared once and cached; the active version is
// swapped atomically, so no request is dropped or sees half a version.
//
// Decide is on the hot path of every request: the input is converted to an
// OPA value directly (no JSON round trip), evaluated under a deadline, and
// the decision read from the result term with a strict shape check.
// Everything that goes wrong — an error, the deadline, an undefined or
// malformed answer — is a denial with reason policy_error plus an error
// matching broker.ErrPolicy (fail closed).
//
// Pack and Test serve the CLI: ketenbrug policy push DIR packs a directory
// deterministically, and ketenbrug policy test DIR runs the same checks the
// broker runs on upload. Explain answers what-if questions with the rules
// that held and a condensed trace.
//
// The default bundle and the policy authoring guide live in rego/.
package policy
