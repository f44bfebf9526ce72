package httpapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/connectors"
)

// stTimeout is the read and write timeout of the servers of this file:
// far shorter than the syncs they are sent take to apply.
const stTimeout = 300 * time.Millisecond

// stChunkPause is added to every chunk a sync commits, as a file larger
// than memory adds it at national scale: a sync of a few chunks then
// outlasts stTimeout on any machine, while no one chunk comes near it.
const stChunkPause = stTimeout / 3

// stSyncWatch is the broker with its syncs watched: each chunk a sync
// commits is slowed by stChunkPause and then sent on progressed (when
// someone is listening), and each sync's outcome on ended.
type stSyncWatch struct {
	Broker
	progressed chan int
	ended      chan error
}

func (w *stSyncWatch) Sync(ctx context.Context, c *broker.Caller, items iter.Seq[broker.SyncItem], opts broker.SyncOptions) (broker.SyncResult, error) {
	handlers := opts.Progress
	opts.Progress = func(done int) {
		time.Sleep(stChunkPause)
		if handlers != nil {
			handlers(done)
		}
		select {
		case w.progressed <- done:
		default:
		}
	}
	res, err := w.Broker.Sync(ctx, c, items, opts)
	w.ended <- err
	return res, err
}

// stServer serves e's broker behind an http.Server with read and write
// timeouts of stTimeout, told to the API as `ketenbrug serve` tells it
// its own, and returns a client of uwv's connector that does not retry.
func stServer(t *testing.T, e *ivEnv) (*connectors.Client, *stSyncWatch) {
	t.Helper()
	signer, pubJSON := brokerSigner(t)
	w := &stSyncWatch{Broker: e.svc, progressed: make(chan int), ended: make(chan error, 1)}
	h, err := New(Config{Broker: w, Signer: signer, PublicJWKS: pubJSON, Registry: prometheus.NewRegistry(),
		Logger: e.sys.Logger, SpoolDir: ivSpoolDir(t), WriteTimeout: stTimeout})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ReadTimeout, srv.Config.WriteTimeout = stTimeout, stTimeout
	srv.Start()
	t.Cleanup(srv.Close)
	c, err := connectors.New(connectors.Config{Server: srv.URL, Identity: e.ids["uwv/connector"], MaxRetries: -1,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	return c, w
}

// stCaseload is a caseload of n persons who live alone (no household, so
// no match signals): one line each, every BSN its own.
func stCaseload(n int) []byte {
	var b bytes.Buffer
	for i, next := 0, 100_000_000; i < n; next++ {
		bsn := fmt.Sprintf("%09d", next)
		if _, err := broker.ParseBSN(bsn); err != nil {
			continue
		}
		b.WriteString(ivLine(fmt.Sprintf("st-%06d", i), bsn, "ww"))
		b.WriteByte('\n')
		i++
	}
	return b.Bytes()
}

// stLines is the size of the caseloads of this file: 20 chunks.
const stLines = 20_000

// TestSyncOutlastsServerTimeouts: a sync that takes far longer to apply
// than the server's read and write timeouts, but keeps making progress,
// is applied whole and answered: it is not cut off (the national-scale
// sync of 500,000 lines ended in EOF at the client when the write
// deadline passed while it was being applied).
func TestSyncOutlastsServerTimeouts(t *testing.T) {
	e := ivNewEnv(t)
	c, w := stServer(t, e)
	res, err := c.SyncWith(e.ctx, bytes.NewReader(stCaseload(stLines)), broker.SyncOptions{Purpose: ivPurpose})
	if err != nil {
		t.Fatalf("a sync of %d lines behind read and write timeouts of %s: %v (the broker: %v)", stLines, stTimeout, err, <-w.ended)
	}
	if res.Lines != stLines || res.Added != stLines || res.Rejected != 0 {
		t.Fatalf("result %+v", res)
	}
	if err := <-w.ended; err != nil {
		t.Fatal(err)
	}
}

// TestSyncEndsWhenItsClientGoesAway: a sync whose client hangs up while it
// is being applied is cancelled, its deadlines moved or not.
func TestSyncEndsWhenItsClientGoesAway(t *testing.T) {
	e := ivNewEnv(t)
	c, w := stServer(t, e)
	ctx, hangUp := context.WithCancel(e.ctx)
	defer hangUp()
	sent := make(chan error, 1)
	go func() {
		_, err := c.SyncWith(ctx, bytes.NewReader(stCaseload(stLines)), broker.SyncOptions{Purpose: ivPurpose})
		sent <- err
	}()
	select {
	case <-w.progressed: // the first chunk is in
	case err := <-w.ended:
		t.Fatalf("the sync ended before its first chunk: %v", err)
	}
	hangUp()
	if err := <-w.ended; !errors.Is(err, context.Canceled) {
		t.Fatalf("the sync of a client that hung up ended with %v, want it cancelled", err)
	}
	if err := <-sent; err == nil {
		t.Fatal("the client that hung up got an answer")
	}
}
