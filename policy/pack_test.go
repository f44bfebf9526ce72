package policy

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"slices"
	"testing"
	"testing/fstest"

	"github.com/ketenbrug/ketenbrug/broker"
)

func TestPackSelectsPolicyFilesDeterministically(t *testing.T) {
	fsys := fstest.MapFS{
		"README.md":                  {Data: []byte("# guide")},
		".manifest":                  {Data: []byte(`{"rego_version": 1}`)},
		".regal/config.yaml":         {Data: []byte("rules: {}")},
		"data.json":                  {Data: []byte(`{"x": 1}`)},
		"ketenbrug/b.rego":           {Data: []byte(minimalPolicy)},
		"ketenbrug/a_test.rego":      {Data: []byte(minimalTest)},
		"ketenbrug/config/data.json": {Data: []byte(`{"y": 2}`)},
		"ketenbrug/notes.txt":        {Data: []byte("not policy")},
		"ketenbrug/input.json":       {Data: []byte(`{}`)},
	}
	a, err := Pack(fsys)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Pack(fsys)
	if err != nil || !bytes.Equal(a, b) {
		t.Fatalf("not deterministic: %v", err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(a))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	var names []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if !h.ModTime.Equal(h.ModTime.Truncate(0)) || h.ModTime.Unix() != 0 || h.Uid != 0 || h.Uname != "" {
			t.Errorf("%s: header not normalised: %+v", h.Name, h)
		}
		names = append(names, h.Name)
	}
	want := []string{"/.manifest", "/data.json", "/ketenbrug/a_test.rego", "/ketenbrug/b.rego", "/ketenbrug/config/data.json"}
	if !slices.Equal(names, want) {
		t.Errorf("packed %v, want %v", names, want)
	}
	// The packed bundle is one OPA reads, data at its directory's path.
	l, notes, err := load(t.Context(), a)
	if err != nil {
		t.Fatalf("%v %v", err, notes)
	}
	if _, ok := l.data["ketenbrug"].(map[string]any)["config"]; !ok {
		t.Errorf("data %v", l.data)
	}
}

func TestPackRefusesEmptyAndHuge(t *testing.T) {
	if _, err := Pack(fstest.MapFS{"README.md": {Data: []byte("x")}}); !errors.Is(err, broker.ErrInvalid) {
		t.Errorf("empty: %v", err)
	}
	huge := fstest.MapFS{"a.rego": {Data: bytes.Repeat([]byte("#"), MaxBundleSize+1)}}
	if _, err := Pack(huge); !errors.Is(err, broker.ErrTooLarge) {
		t.Errorf("huge: %v", err)
	}
	if _, err := PackDir("samples/golden/level-1-overview.input.json"); err == nil {
		t.Error("packed a file")
	}
}
