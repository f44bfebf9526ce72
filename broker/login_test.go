package broker

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func FuzzParseRoleMapping(f *testing.F) {
	for _, s := range []string{"coordinator=regisseurs", "privacy-officer=CN=privacy,OU=groups", "connector=x", "=x", "professional=", "x", "operator=\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseRoleMapping(s)
		if err != nil {
			return
		}
		if m.Role == RoleConnector || m.Value == "" || strings.ContainsAny(m.Value, "\x00\n\r") {
			t.Fatalf("accepted %q as %+v", s, m)
		}
		if again, err := ParseRoleMapping(string(m.Role) + "=" + m.Value); err != nil || again != m {
			t.Fatalf("round trip of %+v: %+v, %v", m, again, err)
		}
	})
}

// FuzzMapClaims: whatever an ID token's claims hold, only the partner's
// own mapped roles come of them, and a person id is a valid one.
func FuzzMapClaims(f *testing.F) {
	f.Add("anna.bakker", "regisseurs", "Anna")
	f.Add("111222333", "regisseurs", "x")
	f.Add("", "beheer", "\x00")
	p := &Partner{ID: "p", Roles: []Role{RoleCoordinator, RoleProfessional}}
	lc := LoginConfig{PersonClaim: "preferred_username", NameClaim: "name", RolesClaim: "groups",
		RoleMap: []RoleMapping{{RoleCoordinator, "regisseurs"}, {RoleOperator, "beheer"}}}
	f.Fuzz(func(t *testing.T, person, group, name string) {
		id, err := lc.MapClaims(p, map[string]any{"preferred_username": person, "groups": []any{group, 7}, "name": name})
		if err != nil {
			return
		}
		if !ValidPersonID(id.Person) || len(id.Roles) == 0 || len(id.Name) > maxDisplayName {
			t.Fatalf("mapped %+v", id)
		}
		for _, r := range id.Roles {
			if !p.HasRole(r) {
				t.Fatalf("role %s the partner does not hold", r)
			}
		}
	})
}

func TestCheckIssuer(t *testing.T) {
	for raw, ok := range map[string]bool{
		"https://login.gemeente.example": true, "http://127.0.0.1:8443": true, "http://localhost/x": true,
		"http://login.example": false, "https://u:p@login.example": false, "https://login.example?x=1": false,
		"ftp://login.example": false, "login.example": false, "": false,
	} {
		if err := CheckIssuer(raw); (err == nil) != ok {
			t.Errorf("CheckIssuer(%q) = %v", raw, err)
		}
	}
}

// TestSecretDirConfines: a client secret is sent to the partner's issuer,
// so only a file of the login-secrets directory, readable by its owner
// only, may be one (never, say, the pseudonym secret).
func TestSecretDirConfines(t *testing.T) {
	data := t.TempDir()
	dir := filepath.Join(data, "login-secrets")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	write := func(path, s string, mode os.FileMode) string {
		if err := os.WriteFile(path, []byte(s), mode); err != nil {
			t.Fatal(err)
		}
		return path
	}
	good := write(filepath.Join(dir, "a.secret"), "geheim\n", 0o600)
	outside := write(filepath.Join(data, "pseudonym.secret"), "geheim\n", 0o600)
	open := write(filepath.Join(dir, "open.secret"), "geheim\n", 0o644)
	two := write(filepath.Join(dir, "two.secret"), "a\nb\n", 0o600)
	link := filepath.Join(dir, "link.secret")
	if err := os.Symlink(outside, link); err != nil {
		t.Fatal(err)
	}
	d := SecretDir(dir)
	if s, err := d.Read(good); err != nil || s != "geheim" {
		t.Fatalf("Read(good) = %q, %v", s, err)
	}
	for _, f := range []string{outside, open, two, link, filepath.Join(dir, "missing"), dir + "/../pseudonym.secret"} {
		if _, err := d.Read(f); err == nil {
			t.Errorf("Read(%s) accepted", f)
		}
	}
	if _, err := SecretDir("").Read(good); err == nil {
		t.Error("no directory accepted a file")
	}
}
