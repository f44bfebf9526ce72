package storetest

import (
	"encoding/json"
	"testing"

	"github.com/ketenbrug/ketenbrug/broker"
)

func partner(id string) broker.Partner {
	return broker.Partner{
		ID: id, Name: "Partner " + id, Sector: broker.SectorDebt, Municipalities: []string{"gm0327"},
		Roles: []broker.Role{broker.RoleConnector}, Level: 2, Covenant: "2026-1",
		JWKS:   json.RawMessage(`{"keys":[{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","kid":"k1"}]}`),
		Status: broker.PartnerActive, CreatedAt: t0, UpdatedAt: t0, Revision: 1,
	}
}

func partnerID(p broker.Partner) string { return p.ID }

func consent(id string, subject broker.Pseudonym) broker.Consent {
	return broker.Consent{
		ID: id, Subject: subject, Purpose: "integrale-ondersteuning", Sectors: []broker.Sector{broker.SectorDebt},
		GivenBy: broker.GivenBySelf, ValidFrom: "2026-01-01",
		RecordedBy: broker.Actor{Partner: "gm0327", Sub: "c.devries"}, RecordedAt: t0,
	}
}

func consentID(c broker.Consent) string { return c.ID }

func restriction(id string, subject broker.Pseudonym) broker.Restriction {
	return broker.Restriction{
		ID: id, Subject: subject, Kind: "objection", Purpose: "integrale-ondersteuning", Ground: "personal situation",
		RecordedBy: broker.Actor{Partner: "gm0327", Sub: "c.devries"}, RecordedAt: t0,
	}
}

func restrictionID(r broker.Restriction) string { return r.ID }

func testPartners(t *testing.T, s broker.Store) {
	view(t, s, func(tx broker.ReadTx) error {
		_, err := tx.Partner("p1")
		is(t, "Partner of an empty store", err, broker.ErrNotFound)
		ps, err := tx.Partners()
		ok(t, "Partners of an empty store", err)
		same(t, "Partners of an empty store", ids(ps, partnerID), []string{})
		return nil
	})
	changed := partner("p1")
	changed.Name, changed.Revision, changed.Webhook = "Renamed", 2, "https://p1.example/hook"
	update(t, s, func(tx broker.Tx) error {
		for _, id := range []string{"p2", "p10", "p1"} {
			ok(t, "PutPartner", tx.PutPartner(partner(id)))
		}
		ok(t, "PutPartner replacing", tx.PutPartner(changed))
		is(t, "PutPartner without id", tx.PutPartner(partner("")), broker.ErrInvalid)
		return nil
	})
	view(t, s, func(tx broker.ReadTx) error {
		p, err := tx.Partner("p1")
		ok(t, "Partner", err)
		same(t, "replaced partner", p, changed)
		ps, err := tx.Partners()
		ok(t, "Partners", err)
		same(t, "Partners, by id", ids(ps, partnerID), []string{"p1", "p10", "p2"})
		same(t, "Partners' values", ps[2], partner("p2"))
		return nil
	})
}

func testConsents(t *testing.T, s broker.Store) {
	update(t, s, func(tx broker.Tx) error {
		ok(t, "PutConsent", tx.PutConsent(consent("c2", "s1")))
		ok(t, "PutConsent", tx.PutConsent(consent("c1", "s1")))
		ok(t, "PutConsent", tx.PutConsent(consent("c3", "s2")))
		is(t, "PutConsent without id", tx.PutConsent(consent("", "s1")), broker.ErrInvalid)
		is(t, "PutConsent without subject", tx.PutConsent(consent("c9", "")), broker.ErrInvalid)
		return nil
	})
	withdrawn := consent("c2", "s2")
	withdrawn.Withdrawn = &broker.Withdrawal{At: at(5), By: broker.Actor{Partner: "gm0327", Sub: "c.devries"}}
	view(t, s, func(tx broker.ReadTx) error {
		c, err := tx.Consent("c1")
		ok(t, "Consent", err)
		same(t, "Consent", c, consent("c1", "s1"))
		_, err = tx.Consent("c9")
		is(t, "Consent never stored", err, broker.ErrNotFound)
		cs, err := tx.ConsentsOf("s1")
		ok(t, "ConsentsOf", err)
		same(t, "ConsentsOf, by id", ids(cs, consentID), []string{"c1", "c2"})
		cs, err = tx.ConsentsOf("s-none")
		ok(t, "ConsentsOf a subject without consents", err)
		same(t, "ConsentsOf a subject without consents", ids(cs, consentID), []string{})
		return nil
	})
	// A replacement that moves the consent to another subject (and
	// withdraws it) moves it in ConsentsOf too.
	update(t, s, func(tx broker.Tx) error { return tx.PutConsent(withdrawn) })
	view(t, s, func(tx broker.ReadTx) error {
		cs, err := tx.ConsentsOf("s1")
		ok(t, "ConsentsOf", err)
		same(t, "ConsentsOf the old subject", ids(cs, consentID), []string{"c1"})
		cs, err = tx.ConsentsOf("s2")
		ok(t, "ConsentsOf", err)
		same(t, "ConsentsOf the new subject, withdrawn included", cs, []broker.Consent{withdrawn, consent("c3", "s2")})
		return nil
	})
}

func testRestrictions(t *testing.T, s broker.Store) {
	update(t, s, func(tx broker.Tx) error {
		ok(t, "PutRestriction", tx.PutRestriction(restriction("r2", "s1")))
		ok(t, "PutRestriction", tx.PutRestriction(restriction("r1", "s1")))
		ok(t, "PutRestriction", tx.PutRestriction(restriction("r3", "s2")))
		is(t, "PutRestriction without id", tx.PutRestriction(restriction("", "s1")), broker.ErrInvalid)
		is(t, "PutRestriction without subject", tx.PutRestriction(restriction("r9", "")), broker.ErrInvalid)
		return nil
	})
	lifted := restriction("r2", "s2")
	lifted.Lifted = &broker.Withdrawal{At: at(5), By: broker.Actor{Partner: "gm0327", Sub: "c.devries"}}
	view(t, s, func(tx broker.ReadTx) error {
		r, err := tx.Restriction("r1")
		ok(t, "Restriction", err)
		same(t, "Restriction", r, restriction("r1", "s1"))
		_, err = tx.Restriction("r9")
		is(t, "Restriction never stored", err, broker.ErrNotFound)
		rs, err := tx.RestrictionsOf("s1")
		ok(t, "RestrictionsOf", err)
		same(t, "RestrictionsOf, by id", ids(rs, restrictionID), []string{"r1", "r2"})
		return nil
	})
	update(t, s, func(tx broker.Tx) error { return tx.PutRestriction(lifted) })
	view(t, s, func(tx broker.ReadTx) error {
		rs, err := tx.RestrictionsOf("s1")
		ok(t, "RestrictionsOf", err)
		same(t, "RestrictionsOf the old subject", ids(rs, restrictionID), []string{"r1"})
		rs, err = tx.RestrictionsOf("s2")
		ok(t, "RestrictionsOf", err)
		same(t, "RestrictionsOf the new subject, lifted included", rs, []broker.Restriction{lifted, restriction("r3", "s2")})
		return nil
	})
}

func testPolicyVersions(t *testing.T, s broker.Store) {
	version := func(id string, minute int) broker.PolicyVersion {
		return broker.PolicyVersion{ID: id, Bundle: []byte{0x1f, 0x8b, 0, 1, 2}, Note: "note " + id, Status: "pending",
			UploadedBy: broker.Actor{Partner: "gm0327", Sub: "fg"}, UploadedAt: at(minute)}
	}
	view(t, s, func(tx broker.ReadTx) error {
		id, err := tx.ActivePolicy()
		ok(t, "ActivePolicy of an empty store", err)
		if id != "" {
			t.Errorf("ActivePolicy of an empty store = %q, want \"\"", id)
		}
		return nil
	})
	update(t, s, func(tx broker.Tx) error {
		ok(t, "PutPolicyVersion", tx.PutPolicyVersion(version("v-b", 2)))
		ok(t, "PutPolicyVersion", tx.PutPolicyVersion(version("v-a", 2)))
		ok(t, "PutPolicyVersion", tx.PutPolicyVersion(version("v-c", 1)))
		is(t, "PutPolicyVersion without id", tx.PutPolicyVersion(version("", 1)), broker.ErrInvalid)
		is(t, "SetActivePolicy of an unknown version", tx.SetActivePolicy("v-none"), broker.ErrNotFound)
		return nil
	})
	approved := version("v-a", 2)
	approved.Status, approved.ApprovedBy, approved.ApprovedAt = "approved", &broker.Actor{Partner: "gm0327", Sub: "fg2"}, new(at(3))
	update(t, s, func(tx broker.Tx) error {
		ok(t, "PutPolicyVersion replacing", tx.PutPolicyVersion(approved))
		return tx.SetActivePolicy("v-a")
	})
	view(t, s, func(tx broker.ReadTx) error {
		v, err := tx.PolicyVersion("v-a")
		ok(t, "PolicyVersion", err)
		same(t, "PolicyVersion", v, approved)
		_, err = tx.PolicyVersion("v-none")
		is(t, "PolicyVersion never stored", err, broker.ErrNotFound)
		vs, err := tx.PolicyVersions()
		ok(t, "PolicyVersions", err)
		same(t, "PolicyVersions, by upload time then id", ids(vs, func(v broker.PolicyVersion) string { return v.ID }),
			[]string{"v-c", "v-a", "v-b"})
		id, err := tx.ActivePolicy()
		ok(t, "ActivePolicy", err)
		if id != "v-a" {
			t.Errorf("ActivePolicy = %q, want v-a", id)
		}
		return nil
	})
	update(t, s, func(tx broker.Tx) error { return tx.SetActivePolicy("") })
	view(t, s, func(tx broker.ReadTx) error {
		id, err := tx.ActivePolicy()
		ok(t, "ActivePolicy", err)
		if id != "" {
			t.Errorf("ActivePolicy after a return to the default = %q, want \"\"", id)
		}
		return nil
	})
}

func testDecisions(t *testing.T, s broker.Store) {
	view(t, s, func(tx broker.ReadTx) error {
		rs, err := tx.RecentDecisions(10)
		ok(t, "RecentDecisions of an empty store", err)
		if len(rs) != 0 {
			t.Errorf("RecentDecisions of an empty store: %d records", len(rs))
		}
		return nil
	})
	for i := range 5 {
		update(t, s, func(tx broker.Tx) error {
			return tx.PutDecision(broker.DecisionRecord{Time: at(i), RequestID: string(rune('a' + i)),
				Decision: broker.Decision{Allow: i%2 == 0, Version: "v1"}})
		})
	}
	view(t, s, func(tx broker.ReadTx) error {
		rs, err := tx.RecentDecisions(3)
		ok(t, "RecentDecisions", err)
		same(t, "RecentDecisions(3), newest first", ids(rs, func(r broker.DecisionRecord) string { return r.RequestID }),
			[]string{"e", "d", "c"})
		for i := 1; i < len(rs); i++ {
			if rs[i].Seq >= rs[i-1].Seq {
				t.Errorf("RecentDecisions: seq %d listed after %d, want descending", rs[i].Seq, rs[i-1].Seq)
			}
		}
		if len(rs) > 0 && (rs[0].Seq == 0 || !rs[0].Time.Equal(at(4)) || rs[0].Decision.Allow != true) {
			t.Errorf("RecentDecisions: newest = %+v", rs[0])
		}
		rs, err = tx.RecentDecisions(0)
		ok(t, "RecentDecisions(0)", err)
		if len(rs) != 0 {
			t.Errorf("RecentDecisions(0): %d records", len(rs))
		}
		rs, err = tx.RecentDecisions(100)
		ok(t, "RecentDecisions(100)", err)
		if len(rs) != 5 {
			t.Errorf("RecentDecisions(100): %d records, want all 5", len(rs))
		}
		return nil
	})
}
