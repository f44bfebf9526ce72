package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/connectors"
)

// The household of the story: two parents and two children. BSNs are
// test numbers that pass the elfproef.
var demoMembers = []struct {
	label, role string
	birthDate   string
}{
	{"moeder", broker.MemberParent, "1988-04-12"},
	{"vader", broker.MemberParent, "1985-09-30"},
	{"kind 1", broker.MemberChild, "2014-02-03"},
	{"kind 2", broker.MemberChild, "2019-07-21"},
}

// household plays level 1 and 2: involvements, the overview before and
// after consent, a match signal.
func (d *demo) household(ctx context.Context) error {
	members := make([]broker.MemberInput, len(demoMembers))
	for i, m := range demoMembers {
		members[i] = broker.MemberInput{Label: m.label, BSN: demoBSN(i), Role: m.role, BirthDate: m.birthDate}
	}
	hh, err := d.client["regisseur"].PutHousehold(ctx, "hh-1042", "integrale-ondersteuning",
		broker.HouseholdInput{Municipality: "gem-leusden", Area: "centrum", Members: members})
	if err != nil {
		return err
	}
	d.say("The coordinator (regisseur) of Leusden registers household hh-1042: %s.", memberLabels(hh.Members))

	if err := d.syncExports(ctx); err != nil {
		return err
	}

	if err := d.overview(ctx, "Before any consent, the coordinator asks which partners serve the household (purpose: integrated support):"); err != nil {
		return err
	}
	d.detail("Nothing: integrated support rests on consent, so voluntary care stays hidden.")

	consents := []struct {
		member  int
		givenBy string
		sectors []string
	}{
		{0, "self", []string{"debt", "youth", "education", "work-income"}},
		{2, "parent", []string{"youth", "education"}},
		{2, "self", []string{"youth", "education"}},
		{3, "parent", []string{"youth", "education"}},
	}
	for _, k := range consents {
		if err := d.client["cjg"].RecordConsent(ctx, "integrale-ondersteuning", map[string]any{
			"bsn": demoBSN(k.member), "purpose": "integrale-ondersteuning", "sectors": k.sectors,
			"given_by": k.givenBy, "evidence": "CJG dossier 2026-117, signed form",
			"explicit": true, "not_conditional": true,
		}, nil); err != nil {
			return err
		}
	}
	d.say("The mother consents for herself (debt, youth, education, work) and, as parent, for both children (youth, education);")
	d.detail("the first child, 12, consents too (youth care reveals health: a child of 12-15 has a say). Each consent is explicit,")
	d.detail("with its evidence and the note that support was not made conditional on it; the CJG professional records them.")
	d.detail("The father does not consent. BSNs travel in request bodies only; the broker keeps keyed pseudonyms, never the number.")

	// Level 1: the municipality consults only its few core partners.
	if err := d.setLevel(ctx, "gem-leusden", 1); err != nil {
		return err
	}
	if err := d.overview(ctx, "The operator sets Leusden to level 1: the very next overview shows only core partners, partner and contact:"); err != nil {
		return err
	}
	if err := d.setLevel(ctx, "gem-leusden", 2); err != nil {
		return err
	}
	if err := d.overview(ctx, "At level 2: every consented partner, with service, status, period and contact (the father's WW stays hidden):"); err != nil {
		return err
	}

	// Match signal: a second partner registers with the same household.
	in := broker.InvolvementInput{BSN: demoBSN(0), Service: "gezinscoaching", ServiceLabel: "Gezinscoaching", Status: "active",
		Start: "2026-11-01", Contact: broker.Contact{Name: "M. Jansen", Phone: "033-7654321"}}
	if _, _, err := d.client["cjg"].PutInvolvement(ctx, "cl-20418", "integrale-ondersteuning", in); err != nil {
		return err
	}
	inbox, err := d.client["regisseur"].Inbox(ctx, connectors.InboxQuery{Wait: 2 * time.Second})
	if err != nil {
		return err
	}
	d.say("The CJG starts family coaching for the mother; the coordinator's inbox gets %d match signal(s):", len(inbox.Items))
	for _, it := range inbox.Items {
		about := ""
		if it.About != nil {
			about = it.About.PartnerName + " " + it.About.ServiceLabel
		}
		d.detail("#%s %s in household %s: %s", it.ID, it.Kind, it.Household, strings.TrimSpace(about))
		if err := d.client["regisseur"].AckInbox(ctx, it.ID); err != nil {
			return err
		}
	}
	if err := d.followUp(ctx); err != nil {
		return err
	}

	// A refused request, with its reasons.
	_, err = d.client["kredietbank"].HouseholdOverview(ctx, "hh-1042", "integrale-ondersteuning")
	var pe *connectors.ProblemError
	if !errors.As(err, &pe) {
		return fmt.Errorf("the debt counsellor's household overview was not refused: %v", err)
	}
	d.say("The debt counsellor's connector asks for the household overview: refused (%d), reasons %s.", pe.Status, strings.Join(pe.Reasons, ", "))
	return nil
}

func memberLabels(ms []broker.MemberView) string {
	var parts []string
	for _, m := range ms {
		parts = append(parts, m.Label)
	}
	return strings.Join(parts, ", ")
}

// setLevel has the operator change a municipality's ambition level.
func (d *demo) setLevel(ctx context.Context, id string, level int) error {
	p, err := d.client["operator"].GetPartner(ctx, id)
	if err != nil {
		return err
	}
	req := map[string]any{"id": p.ID, "name": p.Name, "sector": p.Sector, "roles": p.Roles, "level": level,
		"municipalities": p.Municipalities, "covenant": p.Covenant}
	if p.TeamLead != nil {
		req["team_lead"] = p.TeamLead // an update replaces the whole registration
	}
	_, err = d.client["operator"].UpdatePartner(ctx, id, req)
	return err
}

// overview prints the coordinator's household overview.
func (d *demo) overview(ctx context.Context, title string) error {
	o, err := d.client["regisseur"].HouseholdOverview(ctx, "hh-1042", "integrale-ondersteuning")
	if err != nil {
		return err
	}
	d.say("%s", title)
	for _, m := range o.Members {
		if len(m.Involvements) == 0 {
			d.detail("%-7s —", m.Label)
			continue
		}
		for _, inv := range m.Involvements {
			d.detail("%-7s %s", m.Label, describe(inv))
		}
	}
	return nil
}

func describe(v broker.ShownInvolvement) string {
	var parts []string
	if v.PartnerName != "" {
		parts = append(parts, v.PartnerName)
	}
	if v.ServiceLabel != "" {
		parts = append(parts, v.ServiceLabel)
	}
	if v.Status != "" {
		parts = append(parts, v.Status)
	}
	if v.Start != "" {
		parts = append(parts, "since "+v.Start)
	}
	if v.Contact != nil {
		parts = append(parts, "contact "+v.Contact.Name+" "+v.Contact.Phone)
	}
	return strings.Join(parts, " · ")
}

// syncExports writes each partner's export in its own system's format and
// syncs it through its adapter, as `ketenbrug connector sync` does.
func (d *demo) syncExports(ctx context.Context) error {
	b := func(i int) string { return demoBSN(i) }
	exports := []struct {
		client, adapter, file, content, member string
	}{
		{"kredietbank", "debt", "kredietbank.csv",
			"Dossiernummer,BSN,Fase,Startdatum,Einddatum,Schuldhulpverlener,Telefoon\n" +
				"2026-0117," + b(0) + ",schuldregeling,12-01-2026,,P. de Boer,033-4567890\n" +
				"2026-0142," + b(10) + ",stabilisatie,03-03-2026,,P. de Boer,033-4567890\n", "moeder"},
		{"uwv", "uwv", "uwv-uitkeringen.jsonl",
			`{"uitkeringsnummer": "WW-2026-004512", "bsn": "` + b(1) + `", "regeling": "WW", "ingangsdatum": "2026-03-02", "einddatum": null, "contact": {"naam": "Team WW Amersfoort", "telefoon": "088 898 20 01"}}` + "\n", "vader"},
		{"school", "school", "leerlingen.csv",
			"Leerlingnummer;BSN;Ondersteuningsvorm;Begindatum;Einddatum;Contactpersoon;Telefoon\n" +
				"5521;" + b(2) + ";Extra ondersteuning;01-09-2026;;J. Smit (intern begeleider);033-2221100\n" +
				"5540;123456789;Dyslexiebegeleiding;01-10-2026;;J. Smit (intern begeleider);033-2221100\n", "kind 1"},
		{"cjg", "youth", "cjg.csv",
			"Clientnummer,BSN,Hulpvorm,Start,Eind,Jeugdprofessional,Telefoon\n" +
				"CJG-20417," + b(3) + ",Opvoedondersteuning,01-09-2026,,M. Jansen,033-7654321\n", "kind 2"},
	}
	d.say("Each partner's connector syncs its own system's export through its adapter (CSV, JSON lines; BSNs only in the file):")
	for _, x := range exports {
		path := filepath.Join(d.dir, x.file)
		if err := os.WriteFile(path, []byte(x.content), 0o600); err != nil {
			return err
		}
		rep, err := syncExport(ctx, d.client[x.client], syncJob{adapter: x.adapter, file: path})
		if err != nil {
			return fmt.Errorf("%s sync: %w", x.client, err)
		}
		line := fmt.Sprintf("%-26s %-22s %d added", d.ids[x.client].Partner, x.file, rep.Result.Added)
		for _, p := range rep.Skipped {
			line += fmt.Sprintf("; line %d skipped: %s", p.Line, p.Reason)
		}
		d.detail("%s", line)
	}
	again, err := syncExport(ctx, d.client["kredietbank"], syncJob{adapter: "debt", file: filepath.Join(d.dir, "kredietbank.csv")})
	if err != nil {
		return err
	}
	d.detail("Synced again, the same export changes nothing: %d added, %d changed, %d unchanged.",
		again.Result.Added, again.Result.Changed, again.Result.Unchanged)
	return nil
}
