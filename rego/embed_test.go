package rego

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestBundleEmbedsEveryPolicyFile guards against a policy file that exists
// on disk (and so passes opa test) but is missing from the binary.
func TestBundleEmbedsEveryPolicyFile(t *testing.T) {
	var onDisk, embedded []string
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && strings.HasPrefix(d.Name(), ".") && path != "." {
			return filepath.SkipDir
		}
		if !d.IsDir() && (strings.HasSuffix(path, ".rego") || d.Name() == "data.json") {
			onDisk = append(onDisk, filepath.ToSlash(path))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = fs.WalkDir(Bundle, ".", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			embedded = append(embedded, path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(onDisk)
	slices.Sort(embedded)
	if !slices.Equal(onDisk, embedded) {
		t.Errorf("embedded %v, on disk %v", embedded, onDisk)
	}
	if _, err := os.Stat("README.md"); err != nil {
		t.Errorf("the authoring guide is missing: %v", err)
	}
	if _, err := fs.Stat(Bundle, "README.md"); err == nil {
		t.Error("README.md must not be part of the bundle")
	}
}
