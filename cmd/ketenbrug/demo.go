package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/spf13/cobra"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/connectors"
)

func newDemoCommand() *cobra.Command {
	var keep, verbose bool
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Play the mission end to end on a temporary broker (real HTTP, real signed tokens)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDemo(cmd.Context(), cmd.OutOrStdout(), keep, verbose)
		},
	}
	cmd.Flags().BoolVar(&keep, "keep", false, "leave the broker running afterwards and print how to talk to it")
	cmd.Flags().BoolVar(&verbose, "verbose", false, "show the broker's request log")
	return cmd
}

// demo holds the running broker and the identities of the story.
type demo struct {
	out    io.Writer
	dir    string
	url    string
	sys    *System
	ids    map[string]*connectors.Identity
	client map[string]*connectors.Client
	step   int
}

func (d *demo) say(format string, args ...any) {
	d.step++
	fmt.Fprintf(d.out, "%2d. %s\n", d.step, fmt.Sprintf(format, args...))
}

func (d *demo) detail(format string, args ...any) {
	fmt.Fprintf(d.out, "      %s\n", fmt.Sprintf(format, args...))
}

func runDemo(ctx context.Context, out io.Writer, keep, verbose bool) (err error) {
	dir, err := os.MkdirTemp("", "ketenbrug-demo-*")
	if err != nil {
		return err
	}
	if !keep {
		defer os.RemoveAll(dir)
	}
	logOut := io.Discard
	if verbose {
		logOut = os.Stderr
	}
	log := slog.New(slog.NewJSONHandler(logOut, nil))
	f := &brokerFlags{data: filepath.Join(dir, "data"), id: "ketenbrug-demo", fourEyes: true, policyTimeout: 100 * time.Millisecond,
		syncMaxEnd: broker.DefaultSyncMaxEndFraction}
	if _, err := initDataDir(ctx, f, log); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	// The console runs too; with --keep it takes the demo sign-in links
	// printed at the end (loopback only, each once).
	sys, err := f.systemWith(ctx, log, func(c *SystemConfig) error {
		c.Console, c.PublicURL, c.ConsoleDemoLogin = true, "http://"+ln.Addr().String(), keep
		return nil
	})
	if err != nil {
		_ = ln.Close()
		return err
	}
	defer sys.Close()
	serveCtx, stopServing := context.WithCancel(ctx)
	defer stopServing()
	served := make(chan error, 1)
	go func() { served <- serveUntilDone(serveCtx, sys, ln, log) }()

	d := &demo{out: out, dir: dir, url: "http://" + ln.Addr().String(), sys: sys,
		ids: map[string]*connectors.Identity{}, client: map[string]*connectors.Client{}}
	fmt.Fprintf(out, "Ketenbrug demo — one household, one plan, one coordinator.\n")
	fmt.Fprintf(out, "A broker runs at %s on a fresh data directory; every call below is real HTTP with a signed token.\n\n", d.url)
	if err := d.run(ctx); err != nil {
		return err
	}
	if keep {
		fmt.Fprintf(out, "\nThe broker keeps running at %s (data in %s). Try:\n", d.url, dir)
		fmt.Fprintf(out, "  go run ./cmd/ketenbrug whoami --server %s --as %s\n", d.url, filepath.Join(dir, "kredietbank.json"))
		fmt.Fprintf(out, "  go run ./cmd/ketenbrug audit verify --server %s --as %s\n", d.url, filepath.Join(dir, "fg-anna.json"))
		if err := printDemoLinks(out, sys); err != nil {
			return err
		}
		fmt.Fprintf(out, "Press Ctrl-C to stop.\n")
		sig, stop := signal.NotifyContext(ctx, os.Interrupt)
		defer stop()
		<-sig.Done()
		// The directory stays (that is what --keep is for), so say where
		// the demo's private keys are left and how to remove them.
		fmt.Fprintf(out, "\nStopped. The demo's data directory and its partners' private keys stay in %s;\n"+
			"remove them when you are done: rm -rf %s\n", dir, dir)
	}
	stopServing()
	return <-served
}

// identity makes an identity, keeps its file in the demo directory and a
// client for it.
func (d *demo) identity(name, partner, sub string, role broker.Role) (json.RawMessage, error) {
	id, pub, err := connectors.NewIdentity(partner, sub, string(role), "EdDSA")
	if err != nil {
		return nil, err
	}
	return pub, d.keep(name, id)
}

// keep writes id's file to the demo directory and makes its client.
func (d *demo) keep(name string, id *connectors.Identity) error {
	if err := id.WriteFile(filepath.Join(d.dir, name+".json")); err != nil {
		return err
	}
	c, err := connectors.New(connectors.Config{Server: d.url, Identity: id})
	if err != nil {
		return err
	}
	d.ids[name], d.client[name] = id, c
	return nil
}

// personIdentity is identity for a person-bound key.
func (d *demo) personIdentity(name, partner, person string, role broker.Role) (json.RawMessage, error) {
	id, pub, err := connectors.NewPersonIdentity(partner, person, string(role), "EdDSA")
	if err != nil {
		return nil, err
	}
	return pub, d.keep(name, id)
}

// mergeJWKS joins the keys of several public sets into one, for a partner
// with several people (each with their own key).
func mergeJWKS(sets ...json.RawMessage) (json.RawMessage, error) {
	all := jwk.NewSet()
	for _, s := range sets {
		set, err := jwk.Parse(s)
		if err != nil {
			return nil, err
		}
		for i := 0; i < set.Len(); i++ {
			k, _ := set.Key(i)
			if err := all.AddKey(k); err != nil {
				return nil, err
			}
		}
	}
	return json.Marshal(all)
}

func (d *demo) run(ctx context.Context) error {
	operator, err := connectors.LoadIdentity(filepath.Join(d.sys.Config.DataDir, operatorFile))
	if err != nil {
		return err
	}
	if d.client["operator"], err = connectors.New(connectors.Config{Server: d.url, Identity: operator}); err != nil {
		return err
	}
	op := d.client["operator"]

	// The region: Leusden at level 2, Amersfoort at level 4, and the
	// partners around their households, each with its own key.
	type reg struct {
		name, id, title string
		sector          broker.Sector
		roles           []broker.Role
		level           int
		munis           []string
		people          [][2]string // identity name, sub
		// persons: the people get person-bound keys (verified persons);
		// the organisation key is then the office's own system's.
		persons bool
	}
	leusden, both := []string{"gem-leusden"}, []string{"gem-leusden", "gem-amersfoort"}
	regs := []reg{
		{"gem", "gem-leusden", "Gemeente Leusden (sociaal team)", broker.SectorMunicipality,
			[]broker.Role{broker.RoleCoordinator, broker.RoleProfessional, broker.RoleAnalyst}, 2, leusden, [][2]string{{"regisseur", "c.devries"}}, false},
		{"gem-amf", "gem-amersfoort", "Gemeente Amersfoort (wijkteam)", broker.SectorMunicipality,
			[]broker.Role{broker.RoleCoordinator, broker.RoleProfessional}, 4, []string{"gem-amersfoort"}, [][2]string{{"regisseur-amf", "s.bos"}}, false},
		{"kredietbank", "kredietbank", "Kredietbank Eemland (schuldhulpverlening)", broker.SectorDebt,
			[]broker.Role{broker.RoleConnector, broker.RoleProfessional}, 4, both, [][2]string{{"kredietbank", "connector"}, {"schuldhulp", "p.deboer"}}, false},
		{"cjg", "cjg-leusden", "Centrum voor Jeugd en Gezin Leusden", broker.SectorYouth,
			[]broker.Role{broker.RoleConnector, broker.RoleProfessional}, 2, leusden, [][2]string{{"cjg", "m.jansen"}}, false},
		{"school", "basisschool-de-regenboog", "Basisschool De Regenboog", broker.SectorEducation,
			[]broker.Role{broker.RoleConnector}, 2, leusden, [][2]string{{"school", "connector"}}, false},
		{"uwv", "uwv", "UWV", broker.SectorWorkIncome,
			[]broker.Role{broker.RoleConnector}, 2, both, [][2]string{{"uwv", "connector"}}, false},
		{"fg", "fg-regio", "Privacy office of the region (FG)", broker.SectorMunicipality,
			[]broker.Role{broker.RolePrivacyOfficer}, 2, both, [][2]string{{"fg-anna", "anna.bakker"}, {"fg-ben", "ben.visser"}}, true},
	}
	for _, r := range regs {
		var pubs []json.RawMessage
		if r.persons {
			pub, err := d.identity(r.name+"-office", r.id, "office", r.roles[0])
			if err != nil {
				return err
			}
			pubs = append(pubs, pub)
		}
		for _, p := range r.people {
			if r.persons {
				continue
			}
			role := r.roles[0]
			if r.sector != broker.SectorMunicipality && p[1] != "connector" {
				role = broker.RoleProfessional
			}
			pub, err := d.identity(p[0], r.id, p[1], role)
			if err != nil {
				return err
			}
			pubs = append(pubs, pub)
		}
		jwks, err := mergeJWKS(pubs...)
		if err != nil {
			return err
		}
		req := map[string]any{"id": r.id, "name": r.title, "sector": r.sector, "roles": r.roles, "level": r.level,
			"municipalities": r.munis, "covenant": "2026-1", "jwks": jwks}
		if r.id == "fg-regio" {
			req["privacy_office"] = true // the region's privacy office supervises the whole broker
		}
		if _, err := op.RegisterPartner(ctx, req); err != nil {
			return fmt.Errorf("registering %s: %w", r.id, err)
		}
		if !r.persons {
			continue
		}
		for _, p := range r.people {
			pub, err := d.personIdentity(p[0], r.id, p[1], r.roles[0])
			if err != nil {
				return err
			}
			if _, err := op.PutPersonKey(ctx, r.id, p[1], []string{string(r.roles[0])}, pub); err != nil {
				return fmt.Errorf("binding %s to %s: %w", p[1], r.id, err)
			}
		}
	}
	d.say("The operator registered two municipalities and their partners, each with its own public key:")
	for _, r := range regs {
		d.detail("%-26s %s (sector %s, level %d)", r.id, r.title, r.sector, r.level)
	}
	d.detail("The two privacy officers each got a person-bound key: a token signed with one acts as that person only,")
	d.detail("which four eyes, policy approval and the audit trail rest on.")
	d.detail("A municipality's level is its ambition (1 consult core partners … 4 one joint plan); a request works at")
	d.detail("the lower of the municipality's and the partner's level.")

	me, err := d.client["kredietbank"].Whoami(ctx)
	if err != nil {
		return err
	}
	d.say("The debt counsellor's connector signs a request; the broker knows it as %s (%s, role %s, level %d), and its signed answer verified.",
		me.Partner, me.Sector, me.Role, me.Level)

	if err := d.replayAttack(ctx); err != nil {
		return err
	}

	if err := d.household(ctx); err != nil {
		return err
	}
	if err := d.refusedAssignment(ctx); err != nil {
		return err
	}
	if err := d.assignment(ctx); err != nil {
		return err
	}
	if err := d.plan(ctx); err != nil {
		return err
	}
	if err := d.policyChange(ctx); err != nil {
		return err
	}
	if err := d.figures(ctx); err != nil {
		return err
	}
	if err := d.auditTrail(ctx, demoBSN(0)); err != nil {
		return err
	}
	return nil
}

// replayAttack sends one signed request twice: the second is refused. The
// request is the SDK's own, taken off the wire as an eavesdropper would,
// so that the demo replays exactly what a connector sends.
func (d *demo) replayAttack(ctx context.Context) error {
	var captured *http.Request
	tap := &http.Client{Transport: roundTripper(func(r *http.Request) (*http.Response, error) {
		if r.Header.Get("Authorization") != "" {
			captured = r.Clone(ctx)
		}
		return http.DefaultTransport.RoundTrip(r)
	})}
	c, err := connectors.New(connectors.Config{Server: d.url, Identity: d.ids["kredietbank"], HTTPClient: tap, MaxRetries: -1})
	if err != nil {
		return err
	}
	if _, err := c.Whoami(ctx); err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(captured)
	if err != nil {
		return err
	}
	var p struct {
		Code string `json:"code"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&p)
	resp.Body.Close()
	replay := fmt.Sprint(resp.StatusCode)
	if p.Code != "" {
		replay += " " + p.Code
	}
	d.say("An eavesdropper replays a captured token: first use %d, replay %s. A token is good for one request only.", http.StatusOK, replay)
	return nil
}

// roundTripper lets a function be an http.RoundTripper.
type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// policyChange shows four eyes: one privacy officer pushes, cannot approve
// her own change, a second one approves.
func (d *demo) policyChange(ctx context.Context) error {
	dir := filepath.Join(d.dir, "policy")
	if err := copyEmbeddedBundle(dir); err != nil {
		return err
	}
	if err := editPolicyData(filepath.Join(dir, "data.json"), func(m map[string]any) {
		if k, ok := m["ketenbrug_config"].(map[string]any); ok {
			k["audit_retention_days"] = 1826
		}
	}); err != nil {
		return err
	}
	bundle, err := packBundle(dir)
	if err != nil {
		return err
	}
	v, err := d.client["fg-anna"].PushPolicy(ctx, bundle, "retention 5 years")
	if err != nil {
		return err
	}
	d.say("Privacy officer Anna pushes a policy change (audit retention 5 years): compiled, %d Rego tests passed, stored as %s (%s).",
		v.Report.Passed, shortID(v.ID), v.Status)
	_, err = d.client["fg-anna"].ApprovePolicy(ctx, v.ID)
	var pe *connectors.ProblemError
	if !errors.As(err, &pe) {
		return fmt.Errorf("self-approval was not refused: %v", err)
	}
	d.say("Anna tries to approve her own change: refused (%d %s) — four eyes.", pe.Status, pe.Code)
	var dry broker.DryRunReport
	if err := d.client["fg-ben"].DryRunPolicy(ctx, v.ID, 0, &dry); err != nil {
		return err
	}
	d.say("Ben dry-runs it against the %d recent decisions: %d would change.", dry.Compared, dry.Changed)
	active, err := d.client["fg-ben"].ApprovePolicy(ctx, v.ID)
	if err != nil {
		return err
	}
	d.say("Ben approves: version %s is now %s; the next request is decided by it.", shortID(active.ID), active.Status)
	return nil
}

// levelName names an ambition level of Mens Centraal by number and what
// it lets a region do.
func levelName(level int) string {
	names := map[int]string{
		1: "consulting a few core partners",
		2: "consulting many partners",
		3: "giving each other assignments",
		4: "joint agreements on joint goals: one plan",
	}
	return fmt.Sprintf("level %d (%s)", level, names[level])
}

func (d *demo) auditTrail(ctx context.Context, resident string) error {
	list, err := d.client["fg-ben"].AuditEntries(ctx, url.Values{"from": {"1"}, "limit": {"1000"}, "reference": {"AVG-2026-0142"}})
	if err != nil {
		return err
	}
	counts := map[string]int{}
	for _, e := range list.Entries {
		counts[e.Event]++
	}
	d.say("The audit trail holds %d entries (%s); each names partner, person, role, action, purpose, decision and policy version — never a BSN.",
		len(list.Entries), formatCounts(counts))
	rep, err := d.client["fg-ben"].SubjectAccess(ctx, resident, "AVG-2026-0142")
	if err != nil {
		return err
	}
	d.say("The mother asks who looked at her data (inzage); the report lists %d events:", len(rep.Events))
	for _, e := range rep.Events {
		d.detail("%s  %s (%s) %s %s", e.Time.Format("15:04:05"), e.PartnerName, e.Sub, e.Action, e.Decision)
	}
	ver, err := d.client["fg-ben"].VerifyAudit(ctx)
	if err != nil {
		return err
	}
	state := "intact"
	if !ver.OK {
		state = fmt.Sprintf("BROKEN (%d problems)", len(ver.Problems))
	}
	d.say("The audit chain is verified: %s, %d entries hash-chained and checkpoint-signed by the broker", state, ver.Entries)
	d.detail("(%d more than the listing above: reading the trail and answering the access request are audited too).", ver.Entries-len(list.Entries))
	if !ver.OK {
		return errors.New("the audit chain did not verify")
	}
	return nil
}

func formatCounts(m map[string]int) string {
	var parts []string
	for _, k := range []string{broker.EventChange, broker.EventDisclosure, broker.EventDenial, broker.EventCheckpoint} {
		if m[k] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", m[k], k))
		}
	}
	return strings.Join(parts, ", ")
}

// demoBSN returns the n-th valid test BSN of the demo (elfproef passes).
func demoBSN(n int) string {
	for i := 100000000 + n*7919; ; i++ {
		s := fmt.Sprint(i)
		if _, err := broker.ParseBSN(s); err == nil {
			return s
		}
	}
}

// demoPersonas are the people of the demo who get a sign-in link to the
// web console.
var demoPersonas = []struct {
	title, partner, person, name string
	role                         broker.Role
}{
	{"coordinator (regisseur), Amersfoort", "gem-amersfoort", "s.bos", "Sanne Bos", broker.RoleCoordinator},
	{"professional, debt counselling", "kredietbank", "p.deboer", "Piet de Boer", broker.RoleProfessional},
	{"privacy officer", "fg-regio", "anna.bakker", "Anna Bakker", broker.RolePrivacyOfficer},
	{"second privacy officer (four eyes)", "fg-regio", "ben.visser", "Ben Visser", broker.RolePrivacyOfficer},
	{"operator", operatorID, "operator", "Beheerder van de regio", broker.RoleOperator},
}

// printDemoLinks prints a one-time console sign-in link per persona: each
// works once, from this machine, while the demo runs.
func printDemoLinks(out io.Writer, sys *System) error {
	if sys.Console == nil {
		return nil
	}
	fmt.Fprintf(out, "The web console, without an identity provider: one sign-in link per persona, each valid once and only from this machine:\n")
	for _, p := range demoPersonas {
		link, err := sys.Console.DemoLink(p.partner, p.person, p.name, p.role)
		if err != nil {
			return fmt.Errorf("demo sign-in link for %s: %w", p.person, err)
		}
		fmt.Fprintf(out, "  %-36s %s\n", p.title, link)
	}
	return nil
}
