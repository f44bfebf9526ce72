package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/cmd/ketenbrug-bench/dataset"
	"github.com/ketenbrug/ketenbrug/cmd/ketenbrug-bench/load"
	"github.com/ketenbrug/ketenbrug/connectors"
)

// seedWorkers is how many requests seeding through the API has in flight.
const seedWorkers = 16

// remoteTarget prepares a running broker: it registers the data set's
// partners as the operator and seeds households, involvements (one
// full-caseload sync per partner) and consents through the API.
func remoteTarget(ctx context.Context, ds *dataset.Dataset, c config, res *result, say func(string, ...any)) (*load.Target, error) {
	if err := loopbackOnly(c.server); err != nil {
		return nil, err
	}
	url := strings.TrimRight(c.server, "/")
	var conf struct {
		ID string `json:"id"`
	}
	if err := getJSON(ctx, url+"/.well-known/ketenbrug-configuration", &conf); err != nil {
		return nil, err
	}
	keys, err := brokerKeys(ctx, url)
	if err != nil {
		return nil, err
	}
	t, err := load.NewTarget(url, conf.ID, ds, keys)
	if err != nil || c.noSeed {
		return t, err
	}
	if c.as == "" {
		return nil, errors.New("--server needs --as (the operator's identity file) to register the data set's partners, or --no-seed")
	}
	start := time.Now()
	if err := registerPartners(ctx, url, c.as, ds); err != nil {
		return nil, err
	}
	say("registered %d partners; seeding through the API", len(ds.Municipalities())+len(ds.ChainPartners()))
	cl := load.NewHTTPClient(seedWorkers)
	defer cl.CloseIdleConnections()
	s := &seeders{url: url, hc: cl, ds: ds, clients: map[string]*connectors.Client{}}
	if err := parallel(ds.Households(), func(h int) error { return seedHousehold(ctx, s, h) }); err != nil {
		return nil, err
	}
	if err := seedInvolvements(ctx, s); err != nil {
		return nil, err
	}
	var consents atomic.Int64
	if err := parallel(ds.Persons(), func(i int) error {
		n, err := seedConsents(ctx, s, i)
		consents.Add(int64(n))
		return err
	}); err != nil {
		return nil, err
	}
	res.Consents = int(consents.Load())
	res.SeedSeconds = time.Since(start).Seconds()
	res.SeedRate = float64(ds.Involvements()) / res.SeedSeconds
	say("seeded through the API in %.1fs", res.SeedSeconds)
	return t, nil
}

// registerPartners registers every partner of ds as the operator of the
// identity file as (one already there is fine).
func registerPartners(ctx context.Context, url, as string, ds *dataset.Dataset) error {
	op, err := connectors.LoadIdentity(as)
	if err != nil {
		return err
	}
	opc, err := connectors.New(connectors.Config{Server: url, Identity: op, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return err
	}
	for _, ps := range [][]dataset.Partner{ds.Municipalities(), ds.ChainPartners()} {
		for _, p := range ps {
			req := map[string]any{"id": p.ID, "name": p.Name, "sector": p.Sector, "roles": p.Roles, "level": p.Level,
				"municipalities": p.Municipalities, "covenant": p.Covenant, "jwks": p.JWKS}
			_, err := opc.RegisterPartner(ctx, req)
			var pe *connectors.ProblemError
			if err != nil && !(errors.As(err, &pe) && pe.Status == http.StatusConflict) {
				return fmt.Errorf("registering %s: %w", p.ID, err)
			}
		}
	}
	return nil
}

// parallel calls f(0..n-1) from seedWorkers goroutines and returns the
// first error, after which no new call begins.
func parallel(n int, f func(int) error) error {
	var firstErr atomic.Pointer[error]
	var next atomic.Int64
	var wg sync.WaitGroup
	for range seedWorkers {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n && firstErr.Load() == nil; i = int(next.Add(1) - 1) {
				if err := f(i); err != nil {
					firstErr.CompareAndSwap(nil, &err)
				}
			}
		})
	}
	wg.Wait()
	if p := firstErr.Load(); p != nil {
		return *p
	}
	return nil
}

// seeders are SDK clients that act for the data set's partners (with the
// data set's keys), one per partner and acting person, made when first
// needed: seeding goes through the API as a partner's own program would.
type seeders struct {
	url string
	hc  *http.Client
	ds  *dataset.Dataset

	mu      sync.Mutex
	clients map[string]*connectors.Client // partner + "/" + sub → client
}

// client returns the client of sub acting for partner in role.
func (s *seeders) client(partner, sub string, role broker.Role) (*connectors.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.clients[partner+"/"+sub]; c != nil {
		return c, nil
	}
	p, ok := s.ds.Partner(partner)
	if !ok {
		return nil, fmt.Errorf("partner %s is not in the data set", partner)
	}
	key, err := load.PartnerKey(*p)
	if err != nil {
		return nil, err
	}
	raw, err := json.Marshal(key)
	if err != nil {
		return nil, err
	}
	file, err := json.Marshal(connectors.Identity{Partner: partner, Sub: sub, Role: string(role), Key: raw})
	if err != nil {
		return nil, err
	}
	id, err := connectors.ParseIdentity(file)
	if err != nil {
		return nil, err
	}
	c, err := connectors.New(connectors.Config{Server: s.url, Identity: id, HTTPClient: s.hc, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return nil, err
	}
	s.clients[partner+"/"+sub] = c
	return c, nil
}

// seedHousehold registers household h as its municipality's coordinator.
func seedHousehold(ctx context.Context, s *seeders, h int) error {
	hh := s.ds.Household(h)
	members := make([]broker.MemberInput, len(hh.Members))
	for k, m := range hh.Members {
		members[k] = broker.MemberInput{Label: m.Label, BSN: m.BSN, Role: m.Role, BirthYear: m.BirthYear, Shielded: m.Shielded}
	}
	c, err := s.client(hh.Municipality, "seed", broker.RoleCoordinator)
	if err != nil {
		return err
	}
	in := broker.HouseholdInput{Municipality: hh.Municipality, Area: hh.Area, Coordinator: &hh.Coordinator, Members: members}
	if _, err := c.PutHousehold(ctx, hh.ID, dataset.Purpose, in); err != nil {
		return fmt.Errorf("household %s: %w", hh.ID, err)
	}
	return nil
}

// seedInvolvements sends one full-caseload sync per chain partner; only a
// partner that signed the accepted covenant must succeed.
func seedInvolvements(ctx context.Context, s *seeders) error {
	ds := s.ds
	for pi, p := range ds.ChainPartners() {
		var buf bytes.Buffer
		_, count := ds.InvolvementOf(pi, 0)
		for k := range count {
			j, _ := ds.InvolvementOf(pi, k)
			v := ds.Involvement(j)
			line, _ := json.Marshal(struct {
				Ref string `json:"ref"`
				broker.InvolvementInput
			}{v.Ref, v.Input})
			buf.Write(line)
			buf.WriteByte('\n')
		}
		c, err := s.client(p.ID, "connector", broker.RoleConnector)
		if err != nil {
			return err
		}
		if _, err := c.SyncWith(ctx, bytes.NewReader(buf.Bytes()), broker.SyncOptions{Purpose: dataset.Purpose}); err != nil &&
			p.Covenant == dataset.Covenant {
			return fmt.Errorf("sync of %s: %w", p.ID, err)
		}
	}
	return nil
}

// seedConsents records the live consents of person i and returns how
// many it sent.
func seedConsents(ctx context.Context, s *seeders, i int) (int, error) {
	n := 0
	for _, k := range s.ds.Consents(i) {
		if k.Withdrawn != nil {
			continue
		}
		c, err := s.client(k.RecordedBy.Partner, "consulent", broker.RoleCoordinator)
		if err != nil {
			return n, err
		}
		err = c.RecordConsent(ctx, k.Purpose, map[string]any{"bsn": s.ds.BSN(i), "purpose": k.Purpose, "all": k.AllSectors,
			"sectors": k.Sectors, "given_by": k.GivenBy, "evidence": k.Evidence, "valid_from": k.ValidFrom,
			"valid_until": k.ValidUntil, "explicit": k.Explicit, "not_conditional": k.NotConditional}, nil)
		if err != nil {
			err = fmt.Errorf("consent of person %d: %w", i, err)
		}
		n++
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// loopbackOnly refuses a server that is not on this machine: the tool
// sends load only to loopback addresses.
func loopbackOnly(server string) error {
	u := strings.TrimPrefix(strings.TrimPrefix(server, "http://"), "https://")
	host, _, err := net.SplitHostPort(strings.SplitN(u, "/", 2)[0])
	if err != nil {
		return fmt.Errorf("--server %q: %w", server, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("--server %q: the bench only loads brokers on a loopback address", server)
	}
	return nil
}

func getJSON(ctx context.Context, url string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: status %d", url, resp.StatusCode)
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// freeLoopbackAddr returns a loopback address with a port that was free a
// moment ago.
func freeLoopbackAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := ln.Addr().String()
	return addr, ln.Close()
}
