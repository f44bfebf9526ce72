// Command ketenbrug-bench is Ketenbrug's load tool. It seeds a broker with a
// deterministic synthetic data set (package dataset beside it), runs a
// closed loop of signing partner identities against it (package load), and
// in the same run measures the crypto-only ceiling, OPA's own REST server
// deciding the same recorded inputs, and the broker's embedded engine. The
// last line of --json is one JSON object with every figure.
//
//	go run ./cmd/ketenbrug-bench --duration 20s --json
//
// By default it builds the broker binary (go build, or --broker PATH),
// initialises a temporary data directory with `ketenbrug init`, writes the
// data set straight into its store and starts `ketenbrug serve` on a
// loopback port as a child process: the broker under load is the binary
// that ships, with its own wiring. --server loads a running broker instead.
// It is its own program so that the broker binary links neither the load
// generator nor OPA's server runtime.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/ketenbrug/ketenbrug/cmd/ketenbrug-bench/dataset"
)

// config is what the load tool is told.
type config struct {
	persons, households, involvements int
	municipalities                    int
	syncLines                         int
	seed                              uint64
	clients                           int
	duration                          time.Duration
	requests                          int
	mix                               string
	server                            string
	as                                string
	noSeed                            bool
	broker                            string
	opa                               string
	peerDuration                      time.Duration
	jsonOut                           bool
	cpuprofile                        string
	verifyEvery                       int
	// store, when set, runs the started broker on this PostgreSQL
	// database (issue 20): the data set is seeded into bbolt as usual and
	// moved there with `ketenbrug migrate` before serve.
	store string
	// openLoop are the percentages of the closed loop's maximum rate the
	// open loop runs at after it (none: no open loop).
	openLoop []int
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newCommand().ExecuteContext(ctx)
	stop()
	if err != nil {
		os.Exit(1)
	}
}

func newCommand() *cobra.Command {
	var c config
	cmd := &cobra.Command{
		Use:   "ketenbrug-bench",
		Short: "Load-test a broker with a seeded synthetic region and compare it with the crypto ceiling and OPA's REST API",
		Long: `ketenbrug-bench seeds a broker with a deterministic synthetic data set (municipalities at
levels 1-4, chain partners of every sector, households, persons with valid BSNs, involvements and
consents), then runs a closed loop of concurrent partner identities against it over loopback HTTP
with keep-alive: every request carries a freshly signed request token, every response is signed by
the broker. By default the broker is its own: the ketenbrug binary (built with 'go build', or
--broker) serving a temporary data directory as a child process; the data set is written straight
into its store before it starts (synthetic data: no policy question, no audit entry). With
--server it talks to a running broker instead and seeds it through the API as the operator named
by --as.

In the same run it measures the crypto-only ceiling (requests per second this machine reaches
doing nothing but the three signatures a request needs, on all cores), the same overview decisions
through OPA's own REST API (OPA's server started in this process, or 'opa run --server' from
--opa), and through the broker's policy engine embedded in this process. With the broker started here it
also sends two full-caseload syncs of 5,000 new lines over HTTP, each by a municipality: persons
who live alone (sync_single_lines_per_s) and household members whose other partners may get
match signals (sync_signal_lines_per_s). Everything listens on 127.0.0.1 only and every phase is
bounded in time.`,
		Args:          cobra.NoArgs,
		SilenceUsage:  true,
		SilenceErrors: false,
		RunE: func(cmd *cobra.Command, _ []string) error {
			res, err := runBench(cmd.Context(), cmd.ErrOrStderr(), c)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if !c.jsonOut {
				res.printTable(out)
				return nil
			}
			res.printTable(cmd.ErrOrStderr())
			b, err := json.Marshal(res.summary())
			if err != nil {
				return err
			}
			fmt.Fprintln(out, string(b))
			return nil
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&c.persons, "persons", dataset.DefaultPersons, "persons in the data set")
	fl.IntVar(&c.syncLines, "sync-lines", defaultSyncLines, "lines of each of the two full-caseload syncs (at most 500000, the broker's bound on one caseload)")
	fl.IntVar(&c.households, "households", 0, "households (default 30% of persons)")
	fl.IntVar(&c.involvements, "involvements", 0, "involvements (default 3 per person)")
	fl.IntVar(&c.municipalities, "municipalities", dataset.DefaultMunicipalities, "municipalities (levels 1-4 in turn)")
	fl.Uint64Var(&c.seed, "seed", 1, "seed of the data set and of the request mix")
	fl.IntVar(&c.clients, "clients", 64, "concurrent clients (partner identities), each in a closed loop")
	fl.DurationVar(&c.duration, "duration", 10*time.Second, "how long the load runs (at most 10m)")
	fl.IntVar(&c.requests, "requests", 0, "stop after this many requests (0: only --duration bounds the run)")
	fl.IntSliceVar(&c.openLoop, "open-loop", []int{25, 50, 75}, "after the closed loop, run an open loop (fixed arrival rate, latency from the intended send time) at these percentages of its maximum rate, each for --duration; --open-loop 0 for none")
	fl.StringVar(&c.mix, "mix", "overview=80,upsert=15,consent=5", "operation mix in percent: household overview, involvement upsert, consent record")
	fl.StringVar(&c.server, "server", "", "load a running broker at this URL (loopback only) instead of starting one")
	fl.StringVar(&c.as, "as", "", "with --server: the operator's identity file, to register the data set's partners")
	fl.BoolVar(&c.noSeed, "no-seed", false, "with --server: the broker already holds this data set (same sizes and seed)")
	fl.StringVar(&c.broker, "broker", "", "the ketenbrug binary to start; default: 'go build' it from this module")
	fl.StringVar(&c.opa, "opa", "", "an opa binary for the peer measurement ('opa run --server'); default: OPA's server package in this process")
	fl.DurationVar(&c.peerDuration, "peer-duration", 4*time.Second, "how long each comparison (crypto ceiling, OPA REST, embedded engine) runs")
	fl.BoolVar(&c.jsonOut, "json", false, "print one JSON object as the last line (the table goes to stderr)")
	fl.StringVar(&c.cpuprofile, "cpuprofile", "", "write a CPU profile of the load phase to this file (with the broker started here: the broker's, from its /debug/pprof)")
	fl.StringVar(&c.store, "store", "", "run the started broker on this PostgreSQL database (postgres://…, empty, no password in it): the data set is seeded into bbolt and moved there with 'ketenbrug migrate'")
	fl.IntVar(&c.verifyEvery, "verify-every", 50, "verify the broker's response signature on every n-th response (0: never)")
	return cmd
}
