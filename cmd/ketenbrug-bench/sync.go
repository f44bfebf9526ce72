package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/cmd/ketenbrug-bench/dataset"
	"github.com/ketenbrug/ketenbrug/cmd/ketenbrug-bench/load"
)

// defaultSyncLines is the number of lines of each sync the load tool
// sends unless --sync-lines says otherwise.
const defaultSyncLines = 5000

// syncFigures are what the two syncs measured.
type syncFigures struct {
	kind    string
	lines   int
	added   int
	signals int
	elapsed time.Duration
}

func (f *syncFigures) rate() float64 {
	if f == nil || f.elapsed <= 0 {
		return 0
	}
	return float64(f.added) / f.elapsed.Seconds()
}

// measureSyncs sends two full-caseload syncs through the broker's HTTP API
// (POST /v1/involvements/sync, NDJSON, signed like every request), as a
// partner does at night, each by a municipality of the data set as a
// professional of its social team (the data set leaves the municipalities'
// caseloads empty, so every line is added and nothing ends): one of
// persons who live alone (no match signals), one of household members,
// each of whose new involvements may be signalled to the other partners of
// the household and its coordinator. The rate is lines added per second
// of the request, as the partner sees it.
func measureSyncs(ctx context.Context, t *load.Target, ds *dataset.Dataset, syncLines int, res *result, say func(string, ...any)) error {
	if syncLines <= 0 || syncLines > 500_000 {
		return fmt.Errorf("--sync-lines %d: between 1 and 500000", syncLines)
	}
	munis := ds.Municipalities()
	inHouseholds := 0
	for h := ds.Households() - 1; h >= 0 && inHouseholds == 0; h-- {
		hh := ds.Household(h)
		inHouseholds = hh.Members[len(hh.Members)-1].Person + 1
	}
	if len(munis) < 2 || inHouseholds == 0 || inHouseholds >= ds.Persons() {
		say("sync: the data set has too few municipalities, households or persons outside them; not measured")
		return nil
	}
	cl := load.NewHTTPClient(1)
	defer cl.CloseIdleConnections()
	// A national partner's caseload takes minutes, not the load loop's
	// one: the sync's request may take as long as the broker needs — at
	// national scale, with the store larger than memory, household
	// members were seen at a few hundred lines a second.
	cl.Timeout = max(cl.Timeout, time.Duration(syncLines)*10*time.Millisecond)
	var errs []error
	for i, kind := range []string{"singles", "household-members"} {
		var body bytes.Buffer
		enc := json.NewEncoder(&body)
		for n := range syncLines {
			v := ds.Involvement(n % ds.Involvements())
			pick := dataset.Uint64(uint64(i+1), uint64(n))
			person := int(pick % uint64(inHouseholds))
			if kind == "singles" {
				person = inHouseholds + int(pick%uint64(ds.Persons()-inHouseholds))
			}
			v.Input.BSN = ds.BSN(person)
			if err := enc.Encode(struct {
				Ref string `json:"ref"`
				broker.InvolvementInput
			}{"bench-sync-" + strconv.Itoa(n), v.Input}); err != nil {
				return err
			}
		}
		say("sync: %d lines of %s by %s over HTTP", syncLines, kind, munis[i].ID)
		start := time.Now()
		status, out, err := t.Call(ctx, cl, load.Request{Partner: munis[i].ID, Sub: "bench-sync", Role: broker.RoleProfessional,
			Method: http.MethodPost, Path: "/v1/involvements/sync", Purpose: dataset.Purpose, Body: body.Bytes(),
			ContentType: "application/x-ndjson"})
		elapsed := time.Since(start)
		if err != nil {
			// The other sync is still measured.
			errs = append(errs, fmt.Errorf("sync of %s after %s: %w", kind, elapsed.Round(time.Second), err))
			continue
		}
		var sr broker.SyncResult
		if status != http.StatusOK || json.Unmarshal(out, &sr) != nil {
			errs = append(errs, fmt.Errorf("sync of %s: status %d: %.300s", kind, status, out))
			continue
		}
		f := &syncFigures{kind: kind, lines: syncLines, added: sr.Added, signals: sr.Signals, elapsed: elapsed}
		say("sync: %s: %d added, %d rejected, %d match signals in %s (%.0f lines added/s)", kind, sr.Added, sr.Rejected,
			sr.Signals, elapsed.Round(time.Millisecond), f.rate())
		if kind == "singles" {
			res.SyncSingle = f
		} else {
			res.SyncSignal = f
		}
	}
	return errors.Join(errs...)
}

func (f *syncFigures) signalCount() int {
	if f == nil {
		return 0
	}
	return f.signals
}
