// Package rego carries Ketenbrug's default policy bundle, so that the
// binary always has a policy to start with: data.json (the policy data,
// under data.ketenbrug_config) and the Rego modules and their tests under
// ketenbrug/. README.md in this directory is the policy authoring guide; it is
// not part of the bundle.
//
// The directory is a normal OPA bundle: opa test, opa check --strict,
// opa fmt and regal lint work on it as is.
package rego

import "embed"

// Bundle is the default policy bundle as a file system: data.json and
// ketenbrug/*.rego (rules and *_test.rego tests). policy.Pack turns it into
// the tar.gz the broker stores.
//
//go:embed data.json ketenbrug/*.rego
var Bundle embed.FS
