package policy

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"
	"time"

	"github.com/ketenbrug/ketenbrug/broker"
)

// MaxBundleSize bounds a packed bundle and what Check reads from one
// (uncompressed, per file).
const MaxBundleSize = 8 << 20

// Pack packs a policy directory into an OPA bundle (tar.gz) that is
// deterministic: the same files give the same bytes, and so the same version
// id. It takes the policy files only: *.rego (rules and tests), files named
// data.json (the policy data, placed at the path of their directory, as OPA
// does) and a .manifest at the root. Hidden directories (such as .regal or
// .git), README files and everything else are left out.
func Pack(fsys fs.FS) ([]byte, error) {
	var files []string
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if p != "." && strings.HasPrefix(name, ".") {
				return fs.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		switch {
		case p == ".manifest",
			name == "data.json",
			strings.HasSuffix(name, ".rego") && !strings.HasPrefix(name, "."):
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("policy: pack: %w", err)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("policy: pack: %w: no *.rego or data.json files", broker.ErrInvalid)
	}

	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	tw := tar.NewWriter(zw)
	var total int64
	for _, p := range files { // fs.WalkDir visits in lexical order
		body, err := fs.ReadFile(fsys, p)
		if err != nil {
			return nil, fmt.Errorf("policy: pack: %w", err)
		}
		total += int64(len(body))
		if total > MaxBundleSize {
			return nil, fmt.Errorf("policy: pack: %w: the files exceed %d bytes", broker.ErrTooLarge, MaxBundleSize)
		}
		hdr := &tar.Header{
			Typeflag: tar.TypeReg,
			Name:     "/" + path.Clean(p),
			Size:     int64(len(body)),
			Mode:     0o644,
			ModTime:  time.Unix(0, 0).UTC(),
			Format:   tar.FormatPAX,
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, err
		}
		if _, err := tw.Write(body); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// PackDir packs the policy directory dir; see Pack.
func PackDir(dir string) ([]byte, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("policy: pack: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("policy: pack: %s is not a directory", dir)
	}
	return Pack(os.DirFS(dir))
}
