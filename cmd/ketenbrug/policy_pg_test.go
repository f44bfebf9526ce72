package main

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/connectors"
	"github.com/ketenbrug/ketenbrug/connectors/protocol"
)

// policyBound is the stated bound (issue 20) within which a policy
// version approved or rolled back at one broker is in force at the
// others: the default --store-refresh. The test refreshes every 50 ms, so
// it has dozens of periods' slack on a loaded machine.
const policyBound = 2 * time.Second

// TestPolicyActivationAcrossBrokers: two brokers on one PostgreSQL
// database. A privacy officer pushes a changed bundle at broker 1 and a
// second one approves it there (four eyes); within the bound broker 2
// decides with the new version, and behaves as it says (a covenant the
// new version accepts is allowed there). A rollback at broker 2 is then
// in force at broker 1 within the bound, with the old behaviour.
func TestPolicyActivationAcrossBrokers(t *testing.T) {
	store := testPostgresURL(t)
	const refresh = 50 * time.Millisecond
	b1, b2 := twoBrokersOnPostgres(t, store, refresh, nil)
	ctx := context.Background()

	annaKey, benKey := newTestKey(t, protocol.AlgEdDSA), newTestKey(t, protocol.AlgEdDSA)
	b1.register(t, "fg-regio", broker.SectorMunicipality, []broker.Role{broker.RolePrivacyOfficer}, newTestKey(t, protocol.AlgEdDSA))
	anna1 := b1.bindPerson(t, "fg-regio", "anna.bakker", annaKey, broker.RolePrivacyOfficer)
	ben1 := b1.bindPerson(t, "fg-regio", "ben.visser", benKey, broker.RolePrivacyOfficer)
	ben2 := b2.client(t, benKey.identity(t, "fg-regio", "ben.visser", broker.RolePrivacyOfficer))
	for deadline := time.Now().Add(policyBound); ben2.JSON(ctx, http.MethodGet, "/v1/whoami", "", nil, nil) != nil; time.Sleep(refresh) {
		if time.Now().After(deadline) {
			t.Fatal("broker 2 does not know ben.visser's key after 2s")
		}
	}

	// What the active policy decides, asked of a broker: a privacy
	// officer of a partner on covenant 2027-1 reading consents. The
	// built-in policy accepts covenant 2026-1 only.
	const newCovenant = "2027-1"
	decide := func(c *connectors.Client) broker.Decision {
		t.Helper()
		in := broker.DecisionInput{Action: broker.ActionConsentRead, Purpose: crashPurpose,
			Caller: broker.CallerFacts{Partner: "fg-regio", Sector: broker.SectorMunicipality, Role: broker.RolePrivacyOfficer,
				Sub: "ben.visser", Level: 2, Covenant: newCovenant, Municipalities: []string{"gem-test"}},
			Relations: []string{broker.RelationPrivacyOffice}}
		var x broker.Explanation
		if err := c.JSON(ctx, http.MethodPost, "/v1/policies/explain", "", in, &x); err != nil {
			t.Fatal(err)
		}
		return x.Decision
	}
	// inForce waits until the broker c talks to decides with version and
	// returns how long that took from since.
	inForce := func(name string, c *connectors.Client, version string, since time.Time) (broker.Decision, time.Duration) {
		t.Helper()
		for {
			d := decide(c)
			if d.Version == version {
				return d, time.Since(since)
			}
			if time.Since(since) > policyBound {
				t.Fatalf("%s still decides with %.12s %s after approval elsewhere, want %.12s", name, d.Version, time.Since(since), version)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}

	builtin := decide(ben2)
	if builtin.Allow {
		t.Fatalf("the built-in policy allows covenant %s: the test's change would show nothing: %+v", newCovenant, builtin)
	}
	bundle := bundleFrom(t, func(dir string) {
		if err := editPolicyData(filepath.Join(dir, "data.json"), func(m map[string]any) {
			cov := m["ketenbrug_config"].(map[string]any)["covenant"].(map[string]any)
			cov["accepted"] = []string{"2026-1", newCovenant}
		}); err != nil {
			t.Fatal(err)
		}
	})
	resp, err := anna1.Do(ctx, connectors.Request{Method: http.MethodPost, Path: "/v1/policies?note=covenant-2027",
		Body: bundle, ContentType: "application/gzip"})
	if err != nil {
		t.Fatal(err)
	}
	var pushed broker.PolicyVersion
	if err := json.Unmarshal(resp.Body, &pushed); err != nil {
		t.Fatal(err)
	}
	// Pending is not in force anywhere.
	time.Sleep(4 * refresh)
	if d := decide(ben2); d.Version != builtin.Version {
		t.Fatalf("a pending version decides at broker 2: %+v", d)
	}
	var v broker.PolicyVersion
	if err := ben1.JSON(ctx, http.MethodPost, "/v1/policies/"+pushed.ID+"/approve", "", nil, &v); err != nil {
		t.Fatal(err)
	}
	approved := time.Now()
	if v.Status != broker.PolicyActive {
		t.Fatalf("approved %+v", v)
	}
	d, took := inForce("broker 2", ben2, pushed.ID, approved)
	if !d.Allow {
		t.Errorf("broker 2 decides with the new version but refuses covenant %s: %+v", newCovenant, d)
	}
	var listed struct {
		Versions []broker.PolicyVersion `json:"versions"`
	}
	if err := ben2.JSON(ctx, http.MethodGet, "/v1/policies", "", nil, &listed); err != nil {
		t.Fatal(err)
	}
	for _, lv := range listed.Versions {
		want := map[string]string{builtin.Version: broker.PolicyRetired, pushed.ID: broker.PolicyActive}[lv.ID]
		if lv.Status != want {
			t.Errorf("broker 2 lists version %.12s as %s, want %s", lv.ID, lv.Status, want)
		}
	}

	// Back to the built-in version, at broker 2; broker 1 follows.
	if err := ben2.JSON(ctx, http.MethodPost, "/v1/policies/"+builtin.Version+"/rollback", "", nil, &v); err != nil {
		t.Fatal(err)
	}
	rolledBack := time.Now()
	d, tookBack := inForce("broker 1", ben1, builtin.Version, rolledBack)
	if d.Allow {
		t.Errorf("broker 1 decides with the built-in version again but allows covenant %s: %+v", newCovenant, d)
	}
	t.Logf("approval at broker 1 in force at broker 2 after %s; rollback at broker 2 in force at broker 1 after %s (refresh %s, bound %s)",
		took.Round(time.Millisecond), tookBack.Round(time.Millisecond), refresh, policyBound)
}
