package protocol

// BuildInfo says which build of the broker answers: its module version, the
// commit it was built from (Modified when the tree had changes), the Go
// version and the revision of the policy bundle it carries (the content
// hash of its built-in bundle). The broker publishes it in
// /.well-known/ketenbrug-configuration, so that a partner can tell which
// broker it talks to.
type BuildInfo struct {
	Version        string `json:"version"`
	Commit         string `json:"commit"`
	Modified       bool   `json:"modified,omitempty"`
	GoVersion      string `json:"go_version"`
	PolicyRevision string `json:"policy_revision"`
}
