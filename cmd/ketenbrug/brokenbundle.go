//go:build ketenbrug_brokenbundle

package main

import (
	"io/fs"
	"testing/fstest"

	"github.com/ketenbrug/ketenbrug/rego"
)

// Built with -tags ketenbrug_brokenbundle (TestStartupFailuresAreOneClearLine
// only), the binary's default policy bundle is the real one plus a test
// that fails, to show how start-up reports a bundle that fails its tests.
func init() {
	m := fstest.MapFS{}
	err := fs.WalkDir(rego.Bundle, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		raw, err := fs.ReadFile(rego.Bundle, path)
		m[path] = &fstest.MapFile{Data: raw, Mode: 0o644}
		return err
	})
	if err != nil {
		panic(err)
	}
	m["ketenbrug/broken_test.rego"] = &fstest.MapFile{Mode: 0o644,
		Data: []byte("package ketenbrug.broken_test\n\ntest_always_fails if {\n\tfalse\n}\n")}
	defaultBundle = m
}
