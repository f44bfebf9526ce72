package boltstore

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
)

// TestOpenRefusesADamagedFile: a file that is not a bbolt database, or is
// cut short, is refused with ErrDamaged, never opened or overwritten.
func TestOpenRefusesADamagedFile(t *testing.T) {
	for _, tc := range []struct {
		name    string
		content []byte
	}{
		{"another program's file", bytes.Repeat([]byte("not a bbolt page "), 4096)},
		{"cut short", nil}, // the first 100 bytes of a real store
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "ketenbrug.db")
			content := tc.content
			if content == nil {
				st, err := Open(path, Config{Logger: slog.New(slog.DiscardHandler)})
				if err != nil {
					t.Fatal(err)
				}
				if err := st.Close(); err != nil {
					t.Fatal(err)
				}
				raw, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				content = raw[:100]
			}
			if err := os.WriteFile(path, content, 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := Open(path, Config{Logger: slog.New(slog.DiscardHandler)})
			if !errors.Is(err, ErrDamaged) {
				t.Fatalf("Open = %v, want ErrDamaged", err)
			}
			after, _ := os.ReadFile(path)
			if !bytes.Equal(after, content) {
				t.Error("the damaged file was changed")
			}
		})
	}
}
