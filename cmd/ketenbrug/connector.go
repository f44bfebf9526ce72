package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/connectors"
	"github.com/ketenbrug/ketenbrug/connectors/debt"
	"github.com/ketenbrug/ketenbrug/connectors/export"
	"github.com/ketenbrug/ketenbrug/connectors/generic"
	"github.com/ketenbrug/ketenbrug/connectors/school"
	"github.com/ketenbrug/ketenbrug/connectors/uwv"
	"github.com/ketenbrug/ketenbrug/connectors/youth"
)

// adapters are the export formats the binary reads.
var adapters = export.Registry{
	school.Name: school.Open, uwv.Name: uwv.Open, debt.Name: debt.Open,
	youth.Name: youth.Open, generic.Name: generic.Open,
}

func newConnectorCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "connector", Short: "Sync a partner's own export files with the broker, and follow its inbox"}
	var adapter, file, mapping, purpose string
	var dryRun, allowMassEnd bool
	sync := clientCommand("sync", "Map an export with an adapter, show what would change, and apply it as a full-caseload sync", cobra.NoArgs,
		func(cmd *cobra.Command) {
			f := cmd.Flags()
			f.StringVar(&adapter, "adapter", "", "export format: "+strings.Join(adapters.Names(), ", "))
			f.StringVar(&file, "file", "", "the export file")
			f.StringVar(&mapping, "mapping", "", "mapping file (generic adapter)")
			f.StringVar(&purpose, "purpose", DefaultRegistrationPurpose, registrationPurposeHelp)
			f.BoolVar(&dryRun, "dry-run", false, "only show what would be added, changed and ended")
			f.BoolVar(&allowMassEnd, "allow-mass-end", false, "apply the sync even when it ends more of the caseload than the broker allows at once (the export is complete, and those involvements really ended)")
		},
		func(cmd *cobra.Command, c *connectors.Client, _ []string) error {
			rep, err := syncExport(cmd.Context(), c, syncJob{adapter: adapter, file: file, mapping: mapping, purpose: purpose,
				dryRun: dryRun, allowMassEnd: allowMassEnd, progress: progressOut(cmd.ErrOrStderr())})
			printSyncReport(cmd.OutOrStdout(), rep)
			return err
		})
	var config string
	run := &cobra.Command{
		Use:   "run",
		Short: "Run the connector daemon: sync each export dropped in a folder, deliver the inbox to an outbox",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadDaemonConfig(config)
			if err != nil {
				return err
			}
			return runDaemon(cmd.Context(), cfg, cmd.ErrOrStderr())
		},
	}
	run.Flags().StringVar(&config, "config", "", "daemon configuration file (JSON)")
	cmd.AddCommand(sync, run)
	return cmd
}

// DefaultRegistrationPurpose is the purpose a connector registers its
// caseload under unless told otherwise: integrated support, which rests on
// consent, so the default policy shows each involvement only while the
// person's consent covers the partner. A partner with a statutory task
// names its statute purpose instead (--purpose, or "purpose" in the daemon's
// configuration).
const DefaultRegistrationPurpose = "integrale-ondersteuning"

const registrationPurposeHelp = "the purpose the involvements are registered under (doelbinding); under the default, " +
	"integrale-ondersteuning, an involvement is shown only with the person's consent"

// syncJob is one export to sync.
type syncJob struct {
	adapter, file, mapping, purpose string
	dryRun, allowMassEnd            bool
	progress                        func(done, total int64)
}

// syncReport is what a sync did, for the terminal and the daemon's report
// files. It never holds a BSN: problems name line and column only.
//
// Every line number is the export's own. The broker numbers its
// rejections by the line of the sync body, which differs from the export
// (a header, skipped rows); and a row skipped here is sent as a bare
// reference that the broker "rejects" for want of a BSN, only to keep
// that involvement as it was. So the broker's rejections are renumbered
// to the export's lines, and those of skipped rows are left out of Plan
// and Result (Rejected included): each bad row is listed once, in
// Skipped, with the field that was wrong.
type syncReport struct {
	File     string             `json:"file"`
	Adapter  string             `json:"adapter"`
	Rows     int                `json:"rows"`
	Skipped  []export.Problem   `json:"skipped"`
	Warnings int                `json:"warnings"`
	LeftOut  []export.Problem   `json:"left_out"`
	Plan     *broker.SyncResult `json:"plan,omitempty"`
	Result   *broker.SyncResult `json:"result,omitempty"`

	// body maps a line of the sync body to the export line it came from.
	body map[int]bodyLine
	kept int // bare-reference lines sent for skipped rows
}

// bodyLine is where a line of the sync body came from.
type bodyLine struct {
	file int  // the export's line
	kept bool // a skipped row's bare reference
}

// fromExport renames the broker's rejections in r by the export's lines
// and drops those of skipped rows' bare references (see syncReport).
func (rep *syncReport) fromExport(r *broker.SyncResult) {
	out := r.Problems[:0]
	for _, p := range r.Problems {
		src, ok := rep.body[p.Line]
		if ok && src.kept {
			continue
		}
		if ok {
			p.Line = src.file
		}
		out = append(out, p)
	}
	r.Problems = out
	// The broker rejects every bare reference; its count is exact even
	// when it details only the first rejections.
	r.Rejected = max(r.Rejected-rep.kept, 0)
}

// syncExport maps the export to the broker's NDJSON, asks the broker what
// a sync would do (dry run), and applies it unless job.dryRun — or unless
// it would end more of the caseload than the broker allows at once and
// job.allowMassEnd is not set. A second run of the same file changes
// nothing.
//
// The NDJSON is never written to disk: it holds BSNs in clear, and a
// temporary file would outlive a killed process in a directory nobody
// watches. Instead the export is mapped afresh each time the body is read
// (exportBody): once here for the report, and for each request once to
// hash it (the token binds the body) and once to send it. Mapping is
// cheap next to the broker's work, and deterministic (one "today" for the
// job); should the export change between two readings, the body no longer
// matches its hash and the broker refuses it with nothing applied.
func syncExport(ctx context.Context, c *connectors.Client, job syncJob) (syncReport, error) {
	rep := syncReport{File: job.file, Adapter: job.adapter, Skipped: []export.Problem{}, LeftOut: []export.Problem{},
		body: map[int]bodyLine{}}
	if job.file == "" || job.adapter == "" {
		return rep, errors.New("--adapter and --file are required")
	}
	a, err := adapters.Open(job.adapter, export.Config{Mapping: job.mapping})
	if err != nil {
		return rep, err
	}
	body := &exportBody{file: job.file, adapter: a, today: time.Now()}
	defer body.Close()
	// The first reading makes the report and finds a file that cannot be
	// read before the broker is asked anything.
	sum, err := body.report(func(p export.Problem) {
		if p.Warning {
			rep.LeftOut = append(rep.LeftOut, p)
		} else {
			rep.Skipped = append(rep.Skipped, p)
		}
	}, func(n, fileLine int, kept bool) {
		rep.body[n] = bodyLine{file: fileLine, kept: kept}
	}, job.progress)
	rep.Rows, rep.Warnings, rep.kept = sum.Rows, sum.Warnings, sum.Kept
	if err != nil {
		return rep, fmt.Errorf("reading %s: %w", job.file, err)
	}
	if job.purpose == "" {
		job.purpose = DefaultRegistrationPurpose
	}
	plan, err := c.SyncWith(ctx, body, broker.SyncOptions{DryRun: true, Purpose: job.purpose})
	if err != nil {
		return rep, err
	}
	rep.fromExport(&plan)
	rep.Plan = &plan
	if job.dryRun {
		return rep, nil
	}
	if plan.MassEnd && !job.allowMassEnd {
		return rep, fmt.Errorf("not applied: this sync would end %d of your %d live involvements, and the broker allows at most %d at once. "+
			"Is %s complete? If those involvements really ended, sync again with --allow-mass-end (connector daemon: \"allow_mass_end\": true)",
			plan.Ended, plan.Live, plan.EndLimit, job.file)
	}
	res, err := c.SyncWith(ctx, body, broker.SyncOptions{AllowMassEnd: job.allowMassEnd, Purpose: job.purpose})
	if err != nil {
		return rep, err
	}
	rep.fromExport(&res)
	rep.Result = &res
	return rep, nil
}

// exportBody is the sync body of an export file, mapped afresh from the
// file each time it is read from the start; it is an io.ReadSeeker that
// can only seek to the start, which is all the SDK asks of a body. A
// skipped row is sent as its bare reference (when it has one), so that a
// typo in tonight's export leaves that involvement as it was instead of
// ending it as missing from the caseload.
type exportBody struct {
	file    string
	adapter export.Adapter
	today   time.Time

	pr   *io.PipeReader
	done chan struct{}
}

// write maps the export once into w.
func (b *exportBody) write(w io.Writer, report func(export.Problem), written func(bodyLine, fileLine int, kept bool),
	progress func(done, total int64)) (export.Summary, error) {
	in, err := os.Open(b.file)
	if err != nil {
		return export.Summary{}, err
	}
	defer in.Close()
	var r io.Reader = in
	if progress != nil {
		var total int64
		if fi, err := in.Stat(); err == nil {
			total = fi.Size()
		}
		counted := &countingReader{r: in, total: total, progress: progress}
		defer counted.finish()
		r = counted
	}
	opts := export.SyncOptions{KeepSkipped: true, Report: report, Written: written}
	return opts.WriteSync(w, b.adapter.Rows(r, export.Options{File: filepath.Base(b.file), Today: b.today}))
}

// report reads the export once for its summary, its problems and where
// each line of the body comes from.
func (b *exportBody) report(report func(export.Problem), written func(bodyLine, fileLine int, kept bool),
	progress func(done, total int64)) (export.Summary, error) {
	return b.write(io.Discard, report, written, progress)
}

func (b *exportBody) Read(p []byte) (int, error) {
	if b.pr == nil {
		pr, pw := io.Pipe()
		b.pr, b.done = pr, make(chan struct{})
		go func() {
			defer close(b.done)
			_, err := b.write(pw, nil, nil, nil)
			pw.CloseWithError(err)
		}()
	}
	return b.pr.Read(p)
}

// Seek starts the next reading from the top of the export.
func (b *exportBody) Seek(offset int64, whence int) (int64, error) {
	if offset != 0 || whence != io.SeekStart {
		return 0, errors.New("an export body can only be read again from the start")
	}
	return 0, b.Close()
}

// Close ends a reading in progress.
func (b *exportBody) Close() error {
	if b.pr != nil {
		b.pr.CloseWithError(io.ErrClosedPipe)
		<-b.done
		b.pr = nil
	}
	return nil
}

func printSyncReport(w io.Writer, rep syncReport) {
	fmt.Fprintf(w, "%s (%s): %d rows mapped, %d skipped, %d with a value left out\n", rep.File, rep.Adapter, rep.Rows, len(rep.Skipped), rep.Warnings)
	for _, p := range rep.Skipped {
		fmt.Fprintf(w, "  skipped line %d%s: %s\n", p.Line, column(p.Column), p.Reason)
	}
	for _, p := range rep.LeftOut {
		fmt.Fprintf(w, "  line %d%s left out: %s\n", p.Line, column(p.Column), p.Reason)
	}
	show := func(verb string, r *broker.SyncResult) {
		fmt.Fprintf(w, "%s: %d added, %d changed, %d unchanged, %d ended, %d rejected by the broker\n",
			verb, r.Added, r.Changed, r.Unchanged, r.Ended, r.Rejected)
		for _, p := range r.Problems {
			fmt.Fprintf(w, "  rejected line %d %s%s: %s\n", p.Line, p.Ref, column(p.Field), p.Reason)
		}
	}
	if rep.Plan != nil {
		show("the broker would make", rep.Plan)
		if rep.Plan.MassEnd {
			fmt.Fprintf(w, "  this would end %d of %d live involvements (at most %d at once): refused without --allow-mass-end\n",
				rep.Plan.Ended, rep.Plan.Live, rep.Plan.EndLimit)
		}
	}
	if rep.Result != nil {
		show("applied", rep.Result)
	}
}

// countingReader reports reading progress of a large export.
type countingReader struct {
	r        io.Reader
	n, total int64
	progress func(done, total int64)
	last     time.Time
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.progress != nil && time.Since(c.last) > 200*time.Millisecond {
		c.last = time.Now()
		c.progress(c.n, c.total)
	}
	return n, err
}

func (c *countingReader) finish() {
	if c.progress != nil {
		c.progress(c.total, c.total)
	}
}

// progressOut draws a progress bar on a terminal and prints nothing
// otherwise (logs and CI keep plain lines).
func progressOut(w io.Writer) func(done, total int64) {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return func(done, total int64) {
		if total <= 0 {
			return
		}
		const width = 30
		filled := int(done * width / total)
		fmt.Fprintf(w, "\rreading export [%s%s] %3d%%", strings.Repeat("#", filled), strings.Repeat(".", width-filled), done*100/total)
		if done >= total {
			fmt.Fprintln(w)
		}
	}
}

// writeJSONFile writes v to path atomically (temporary file, fsync,
// rename), so that a reader never sees half a file and a crash leaves
// either the old state or the new one.
func writeJSONFile(path string, v any) error {
	raw, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(append(raw, '\n')); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// column names a column or field in a report line: " (fase)", or nothing.
func column(name string) string {
	if name == "" {
		return ""
	}
	return " (" + name + ")"
}
