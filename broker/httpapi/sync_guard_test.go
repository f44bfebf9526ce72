package httpapi

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/connectors/protocol"
)

// ivLines is a caseload of refs c-00000… of one person.
func ivLines(bsn, service string, n int) []string {
	var lines []string
	for i := range n {
		lines = append(lines, ivLine(fmt.Sprintf("c-%05d", i), bsn, service))
	}
	return lines
}

// TestSyncMassEndOverHTTP: a truncated export is refused with 409
// mass_end_refused naming the figures and how to allow it; nothing of it
// is applied; the dry run shows the figures; allow_mass_end=true applies it.
func TestSyncMassEndOverHTTP(t *testing.T) {
	e := ivNewEnv(t)
	a := e.bsn()
	if _, pe := e.sync("uwv", "", ivLines(a, "ww", 30)...); pe != nil {
		t.Fatal(pe)
	}
	truncated := ivLines(a, "wia", 5) // and a changed service, which must not be applied either

	res, pe := e.sync("uwv", "?dry_run=true", truncated...)
	if pe != nil || !res.MassEnd || res.Ended != 25 || res.Live != 30 || res.EndLimit != 10 {
		t.Fatalf("dry run %+v %v", res, pe)
	}

	before := len(e.auditEntries())
	_, pe = e.sync("uwv", "", truncated...)
	ivExpect(t, pe, http.StatusConflict, "mass_end_refused", "")
	for _, w := range []string{"end 25 of your 30 live involvements", "at most 10", "Nothing was applied", "allow_mass_end=true", "--allow-mass-end"} {
		if !strings.Contains(pe.Detail, w) {
			t.Errorf("the detail does not say %q: %s", w, pe.Detail)
		}
	}
	for ref, st := range e.list("uwv") {
		if st != broker.InvolvementActive {
			t.Fatalf("a refused sync ended %s", ref)
		}
	}
	es := e.auditEntries()[before:]
	if len(es) != 1 || es[0].Event != broker.EventDenial || es[0].Reasons[0] != broker.ReasonMassEnd || es[0].RequestID == "" {
		t.Fatalf("the refusal's audit entries: %+v", es)
	}

	for _, bad := range []string{"?allow_mass_end=yes please", "?allow_mass_end=2"} {
		_, pe = e.sync("uwv", strings.ReplaceAll(bad, " ", "%20"), truncated...)
		ivExpect(t, pe, http.StatusUnprocessableEntity, "invalid_input", "allow_mass_end")
	}

	res, pe = e.sync("uwv", "?allow_mass_end=true", truncated...)
	if pe != nil || res.Ended != 25 || res.Changed != 5 {
		t.Fatalf("allowed %+v %v", res, pe)
	}
}

// TestSyncSpoolsOnlyInTheSpoolDir: while a sync's body arrives, it is
// spooled in the spool directory (its name already removed where the
// system allows), nothing in the system's temporary directory; after the
// answer, nothing is left anywhere.
func TestSyncSpoolsOnlyInTheSpoolDir(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	e := ivNewEnv(t)
	a := e.bsn()
	// Over the 2 MiB the test server's echo check reads ahead: blank
	// lines, which a sync skips.
	body := []byte(strings.Join(ivLines(a, "ww", 50), "\n") + strings.Repeat("\n", 3<<20))
	id := e.ids["uwv/connector"]
	now := time.Now()
	tok, err := id.Signer().SignRequest(protocol.Claims{Issuer: id.Partner, Subject: id.Sub, Audience: ivBrokerID, IssuedAt: now,
		Expiry: now.Add(time.Minute), ID: protocol.NewJTI(), Method: http.MethodPost, URI: "/v1/involvements/sync",
		Role: id.Role, Purpose: ivPurpose, BodyHash: protocol.BodyHash(body)})
	if err != nil {
		t.Fatal(err)
	}
	pr, pw := io.Pipe()
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/v1/involvements/sync", pr)
	req.ContentLength = int64(len(body))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/x-ndjson")
	type answer struct {
		status int
		body   []byte
		err    error
	}
	done := make(chan answer, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- answer{err: err}
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		done <- answer{status: resp.StatusCode, body: b}
	}()
	half := len(body) - 512<<10
	if _, err := pw.Write(body[:half]); err != nil {
		t.Fatal(err)
	}
	// Most of the body is in: the handler holds its spool file open.
	spooled := ""
	for deadline := time.Now().Add(5 * time.Second); spooled == "" && time.Now().Before(deadline); {
		spooled = openFileUnder(e.spool)
		time.Sleep(5 * time.Millisecond)
	}
	if _, err := os.Stat("/proc/self/fd"); err == nil && spooled == "" {
		t.Error("no spool file open in the spool directory mid-sync")
	}
	if f := openFileUnder(tmp); f != "" {
		t.Errorf("a file in TMPDIR is open mid-sync: %s", f)
	}
	if spooled != "" && !strings.HasSuffix(spooled, " (deleted)") {
		t.Errorf("the spool file still has its name mid-sync: %s", spooled)
	}
	if _, err := pw.Write(body[half:]); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	ans := <-done
	if ans.err != nil || ans.status != http.StatusOK {
		t.Fatalf("sync: %d %s %v", ans.status, ans.body, ans.err)
	}
	var res broker.SyncResult
	if err := json.Unmarshal(ans.body, &res); err != nil || res.Added != 50 {
		t.Fatalf("%s %v", ans.body, err)
	}
	// A refused sync and a tampered one leave nothing either.
	e.sync("uwv", "", ivLines(a, "ww", 1)...)
	for _, dir := range []string{e.spool, tmp} {
		if left, _ := os.ReadDir(dir); len(left) != 0 {
			t.Errorf("%s holds %d files after the syncs", dir, len(left))
		}
	}
}

// openFileUnder returns the target of one of this process's open files
// under dir, from /proc/self/fd (Linux), or "".
func openFileUnder(dir string) string {
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return ""
	}
	for _, fd := range fds {
		target, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name()))
		if err == nil && strings.HasPrefix(target, dir+string(filepath.Separator)) {
			return target
		}
	}
	return ""
}

// TestSpoolDirIsRequired: no spool directory, a missing one, a file, or
// one that others may enter is refused when the handler is built.
func TestSpoolDirIsRequired(t *testing.T) {
	open := filepath.Join(t.TempDir(), "open")
	if err := os.Mkdir(open, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(open, 0o755); err != nil { // whatever the umask
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, dir, want string }{
		{"none", "", "SpoolDir is required"},
		{"missing", filepath.Join(t.TempDir(), "missing"), "no such file"},
		{"a file", file, "not a directory"},
		{"open to others", open, "chmod 700"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := Config{SpoolDir: tc.dir}
			if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("SpoolDir %q: %v", tc.dir, err)
			}
		})
	}
	c := Config{SpoolDir: ivSpoolDir(t)}
	if err := c.Validate(); err != nil && strings.Contains(err.Error(), "SpoolDir") {
		t.Fatalf("a 0700 directory: %v", err)
	}
}

// ivSpoolDir makes a spool directory of mode 0700.
func ivSpoolDir(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "spool")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	return dir
}
