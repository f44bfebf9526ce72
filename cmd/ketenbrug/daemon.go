package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/connectors"
	"github.com/ketenbrug/ketenbrug/connectors/export"
)

// daemonConfig configures `ketenbrug connector run`. Durations are Go
// duration strings ("10s").
type daemonConfig struct {
	// Server is the broker's URL. Required.
	Server string `json:"server"`
	// Identity is the identity file the connector signs with. Required.
	Identity string `json:"identity"`
	// Adapter names the export format (school, uwv, debt, youth, generic);
	// Mapping is the generic adapter's mapping file.
	Adapter string `json:"adapter"`
	Mapping string `json:"mapping,omitempty"`
	// Drop is the folder the partner's system writes exports to; each is
	// synced once, then moved to Done (default Drop/done) or Failed
	// (default Drop/failed) next to a report. Empty: no syncing.
	Drop   string `json:"drop,omitempty"`
	Done   string `json:"done,omitempty"`
	Failed string `json:"failed,omitempty"`
	// Outbox is a folder that receives each inbox item as <id>.json;
	// DeliverURL instead POSTs each item to a local URL. One of the two
	// (or neither: no inbox following).
	Outbox     string `json:"outbox,omitempty"`
	DeliverURL string `json:"deliver_url,omitempty"`
	// PollInterval is how often the drop folder is scanned. Default 10s.
	PollInterval string `json:"poll_interval,omitempty"`
	// InboxWait is the long-poll of the inbox. Default 30s.
	InboxWait string `json:"inbox_wait,omitempty"`
	// AllowMassEnd applies a sync that ends more of the caseload than the
	// broker allows at once. Off, such an export is not applied: it goes
	// to Failed with its report (a truncated export must not end the
	// caseload). Turn it on only for a run you checked.
	AllowMassEnd bool `json:"allow_mass_end,omitempty"`
	// Purpose is the purpose the caseload is registered under (default
	// integrale-ondersteuning: shown only with the person's consent).
	Purpose string `json:"purpose,omitempty"`
	// TLS names the CA bundle of a broker served over HTTPS and, for mutual
	// TLS, the organisation's client certificate and key (ca_file,
	// client_cert, client_key).
	TLS connectors.TLSFiles `json:"tls,omitempty"`

	poll, wait time.Duration
}

func loadDaemonConfig(path string) (*daemonConfig, error) {
	if path == "" {
		return nil, errors.New("--config FILE is required")
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var cfg daemonConfig
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &cfg, nil
}

// Validate checks the configuration and fills in defaults; a bad
// configuration stops start-up.
func (c *daemonConfig) Validate() error {
	var errs []error
	if c.Server == "" || c.Identity == "" {
		errs = append(errs, errors.New("server and identity are required"))
	}
	if c.Drop != "" {
		if _, err := adapters.Open(c.Adapter, export.Config{Mapping: c.Mapping}); err != nil {
			errs = append(errs, fmt.Errorf("adapter: %w", err))
		}
		if c.Done == "" {
			c.Done = filepath.Join(c.Drop, "done")
		}
		if c.Failed == "" {
			c.Failed = filepath.Join(c.Drop, "failed")
		}
	}
	if c.Outbox != "" && c.DeliverURL != "" {
		errs = append(errs, errors.New("set outbox or deliver_url, not both"))
	}
	if c.DeliverURL != "" {
		if u, err := url.Parse(c.DeliverURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") {
			errs = append(errs, errors.New("deliver_url must be an http(s) URL"))
		}
	}
	if c.Drop == "" && c.Outbox == "" && c.DeliverURL == "" {
		errs = append(errs, errors.New("nothing to do: set drop, outbox or deliver_url"))
	}
	var err error
	if c.poll, err = durationOr(c.PollInterval, 10*time.Second); err != nil {
		errs = append(errs, fmt.Errorf("poll_interval: %w", err))
	}
	if c.wait, err = durationOr(c.InboxWait, 30*time.Second); err != nil || c.wait > broker.MaxInboxWait {
		errs = append(errs, fmt.Errorf("inbox_wait: at most %s", broker.MaxInboxWait))
	}
	return errors.Join(errs...)
}

func durationOr(s string, def time.Duration) (time.Duration, error) {
	if s == "" {
		return def, nil
	}
	d, err := time.ParseDuration(s)
	if err == nil && d <= 0 {
		err = errors.New("must be positive")
	}
	return d, err
}

// runDaemon syncs dropped exports and follows the inbox until ctx ends.
// Network errors and broker restarts are waited out with backoff; nothing
// is acknowledged before it was handed over.
func runDaemon(ctx context.Context, cfg *daemonConfig, logOut io.Writer) error {
	log := slog.New(slog.NewJSONHandler(logOut, nil))
	id, err := connectors.LoadIdentity(cfg.Identity)
	if err != nil {
		return err
	}
	hc, err := cfg.TLS.HTTPClient()
	if err != nil {
		return err
	}
	// No hc.Timeout: it would cut off a large caseload's sync. The SDK
	// bounds each request itself (Config.Timeout; a long-poll gets its
	// wait on top, a sync Config.SyncTimeout).
	c, err := connectors.New(connectors.Config{Server: cfg.Server, Identity: id, Logger: log, HTTPClient: hc})
	if err != nil {
		return err
	}
	for _, dir := range []string{cfg.Drop, cfg.Done, cfg.Failed, cfg.Outbox} {
		if dir != "" {
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return err
			}
		}
	}
	log.Info("connector running", "partner", id.Partner, "drop", cfg.Drop, "outbox", cfg.Outbox, "deliver_url", cfg.DeliverURL)
	done := make(chan struct{}, 2)
	if cfg.Drop != "" {
		go func() { watchDrop(ctx, c, cfg, log); done <- struct{}{} }()
	} else {
		done <- struct{}{}
	}
	if cfg.Outbox != "" || cfg.DeliverURL != "" {
		go func() { followInbox(ctx, c, cfg, log); done <- struct{}{} }()
	} else {
		done <- struct{}{}
	}
	<-done
	<-done
	log.Info("connector stopped")
	return nil
}

// backoff doubles a wait up to a minute.
type backoff struct{ d time.Duration }

func (b *backoff) next() time.Duration {
	if b.d == 0 {
		b.d = time.Second
	} else if b.d < time.Minute {
		b.d *= 2
	}
	return b.d
}

func (b *backoff) reset() { b.d = 0 }

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// watchDrop scans the drop folder and syncs each export once its size has
// stopped changing (the partner's system may still be writing it).
func watchDrop(ctx context.Context, c *connectors.Client, cfg *daemonConfig, log *slog.Logger) {
	sizes := map[string]int64{}
	var bo backoff
	for {
		entries, err := os.ReadDir(cfg.Drop)
		if err != nil {
			log.Error("reading the drop folder", "error", err)
		}
		wait := cfg.poll
		for _, e := range entries {
			name := e.Name()
			if !e.Type().IsRegular() || strings.HasPrefix(name, ".") {
				continue
			}
			info, err := e.Info()
			if err != nil {
				continue
			}
			if prev, ok := sizes[name]; !ok || prev != info.Size() {
				sizes[name] = info.Size() // not stable yet: look again next round
				continue
			}
			path := filepath.Join(cfg.Drop, name)
			rep, err := syncExport(ctx, c, syncJob{adapter: cfg.Adapter, file: path, mapping: cfg.Mapping, purpose: cfg.Purpose,
				allowMassEnd: cfg.AllowMassEnd})
			if err != nil && transientSync(err) {
				log.Warn("sync postponed: broker unreachable", "file", name, "error", err)
				wait = bo.next()
				break
			}
			bo.reset()
			delete(sizes, name)
			dest := cfg.Done
			if err != nil {
				dest = cfg.Failed
				log.Error("sync failed", "file", name, "error", err)
			} else {
				log.Info("synced", "file", name, "rows", rep.Rows, "skipped", len(rep.Skipped),
					"added", rep.Result.Added, "changed", rep.Result.Changed, "ended", rep.Result.Ended)
			}
			report := struct {
				syncReport
				Error string `json:"error,omitempty"`
				At    string `json:"at"`
			}{rep, errString(err), time.Now().UTC().Format(time.RFC3339)}
			if werr := writeJSONFile(filepath.Join(dest, name+".report.json"), report); werr != nil {
				log.Error("writing the sync report", "file", name, "error", werr)
			}
			if merr := os.Rename(path, filepath.Join(dest, name)); merr != nil {
				log.Error("moving the export", "file", name, "error", merr)
			}
		}
		if !sleep(ctx, wait) {
			return
		}
	}
}

// transientSync tells a sync worth retrying later (the broker is down or
// overloaded) from one that failed for good (a bad file, a refusal).
func transientSync(err error) bool {
	var pe *connectors.ProblemError
	if errors.As(err, &pe) {
		return pe.Status >= 500 || pe.Status == http.StatusTooManyRequests
	}
	var netErr *url.Error
	return errors.As(err, &netErr)
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// followInbox long-polls the inbox and hands each item over, acknowledging
// it only afterwards. Outbox files are named by item id and written only
// when absent, so an item redelivered after a crash between hand-over and
// acknowledgement is not handed over twice.
func followInbox(ctx context.Context, c *connectors.Client, cfg *daemonConfig, log *slog.Logger) {
	var bo backoff
	hc := &http.Client{Timeout: 30 * time.Second}
	for ctx.Err() == nil {
		page, err := c.Inbox(ctx, connectors.InboxQuery{Wait: cfg.wait})
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			d := bo.next()
			log.Warn("inbox unreachable; retrying", "after", d.String(), "error", err)
			sleep(ctx, d)
			continue
		}
		bo.reset()
		for _, it := range page.Items {
			if err := handOver(ctx, hc, cfg, it); err != nil {
				log.Error("handing over an inbox item; will retry", "id", it.ID, "error", err)
				sleep(ctx, bo.next())
				break
			}
			if err := c.AckInbox(ctx, it.ID); err != nil {
				log.Warn("acknowledging an inbox item; will retry", "id", it.ID, "error", err)
				break
			}
			log.Info("inbox item delivered", "id", it.ID, "kind", it.Kind)
		}
	}
}

func handOver(ctx context.Context, hc *http.Client, cfg *daemonConfig, it broker.InboxView) error {
	if cfg.Outbox != "" {
		path := filepath.Join(cfg.Outbox, "item-"+it.ID+".json")
		if _, err := os.Stat(path); err == nil {
			return nil // handed over before; only the acknowledgement was lost
		}
		return writeJSONFile(path, it)
	}
	raw, err := json.Marshal(it)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, cfg.DeliverURL, bytes.NewReader(raw))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", "ketenbrug-inbox-"+it.ID)
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("deliver_url answered %d", resp.StatusCode)
	}
	return nil
}
