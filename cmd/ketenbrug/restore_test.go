package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/connectors"
	"github.com/ketenbrug/ketenbrug/connectors/protocol"
)

// TestRestoreRoundTrip: a backup taken while serving, with the broker key
// and the pseudonym secret, restores into a new directory that starts with
// the same partners and an intact audit chain; a live directory, a key of
// another broker and missing parts are refused, leaving nothing behind.
func TestRestoreRoundTrip(t *testing.T) {
	tb := newTestBroker(t)
	tb.register(t, "kredietbank", broker.SectorDebt, []broker.Role{broker.RoleConnector}, newTestKey(t, protocol.AlgEdDSA))
	resp, err := tb.operator.Do(context.Background(), connectors.Request{Method: http.MethodGet, Path: "/v1/backup"})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	backup := filepath.Join(dir, "backup.db")
	if err := os.WriteFile(backup, resp.Body, 0o600); err != nil {
		t.Fatal(err)
	}
	live := tb.sys.Config.DataDir
	o := restoreOptions{from: backup, key: filepath.Join(live, brokerKeyFile), secret: filepath.Join(live, secretFile)}

	refused := []struct {
		name string
		o    restoreOptions
		want string
	}{
		{"into a live directory", with(o, func(o *restoreOptions) { o.data = live }), "holds a broker already"},
		{"without the secret", with(o, func(o *restoreOptions) { o.data = filepath.Join(dir, "a"); o.secret = "" }), "--pseudonym-secret is required"},
		{"with another broker's key", with(o, func(o *restoreOptions) { o.data = filepath.Join(dir, "b"); o.key = otherBroker(t, brokerKeyFile) }), "is not the one"},
		{"with another broker's secret", with(o, func(o *restoreOptions) { o.data = filepath.Join(dir, "d"); o.secret = otherBroker(t, secretFile) }), "is not the one"},
		{"from a file that is no store", with(o, func(o *restoreOptions) { o.data = filepath.Join(dir, "c"); o.from = o.key }), ""},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			err := restore(context.Background(), &out, tc.o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("restore: %v, want %q", err, tc.want)
			}
			if tc.o.data != live {
				if _, err := os.Stat(tc.o.data); err == nil {
					t.Errorf("a refused restore left %s behind", tc.o.data)
				}
			}
		})
	}
	if !isInitialised(live) {
		t.Fatal("the refused restore touched the live directory")
	}

	o.data = filepath.Join(dir, "restored")
	var out bytes.Buffer
	if err := restore(context.Background(), &out, o); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "audit chain intact") || !strings.Contains(out.String(), "ketenbrug serve --data "+o.data) {
		t.Errorf("restore printed %q", out.String())
	}
	sys, err := CreateSystem(context.Background(), SystemConfig{DataDir: o.data, ID: testBrokerID})
	if err != nil {
		t.Fatal(err)
	}
	defer sys.Close()
	if p, err := sys.Service.LookupPartner("kredietbank"); err != nil || p.Sector != broker.SectorDebt {
		t.Fatalf("the restored broker lacks the partner: %+v, %v", p, err)
	}
	if fi, err := os.Stat(filepath.Join(o.data, secretFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("the restored secret: %v, %v", fi, err)
	}
}

func with(o restoreOptions, f func(*restoreOptions)) restoreOptions {
	f(&o)
	return o
}

// otherBroker makes a data directory of another broker and returns the
// path of its file name (its key or its secret).
func otherBroker(t *testing.T, name string) string {
	t.Helper()
	d, _, err := prepareDataDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return d.file(name)
}
