package audit

import (
	"context"
	"fmt"
	"io"

	"github.com/ketenbrug/ketenbrug/broker"
)

// Limits of Entries.
const (
	DefaultPage = 100
	MaxPage     = 10_000
)

// Entries returns up to limit entries from seq from on, in order. A limit
// of zero or less means DefaultPage; more than MaxPage is cut to MaxPage.
func (l *Log) Entries(ctx context.Context, from uint64, limit int) ([]broker.AuditEntry, error) {
	if limit <= 0 {
		limit = DefaultPage
	}
	limit = min(limit, MaxPage)
	var out []broker.AuditEntry
	err := l.cfg.Store.View(func(tx broker.ReadTx) error {
		return tx.AuditRaw(from, func(_ uint64, raw []byte) error {
			if len(out) >= limit {
				return io.EOF
			}
			if len(out)%256 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			e, err := decode(raw)
			if err != nil {
				return err
			}
			out = append(out, e)
			return nil
		})
	})
	return out, err
}

// BySubject returns every entry about subject — as a subject or in a
// disclosure — in order: the basis of a resident's access report.
func (l *Log) BySubject(ctx context.Context, subject broker.Pseudonym) ([]broker.AuditEntry, error) {
	var out []broker.AuditEntry
	err := l.cfg.Store.View(func(tx broker.ReadTx) error {
		seqs, err := tx.AuditSeqsOf(subject)
		if err != nil {
			return err
		}
		out = make([]broker.AuditEntry, 0, len(seqs))
		for i, seq := range seqs {
			if i%256 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			raw, err := tx.AuditGet(seq)
			if err != nil {
				return fmt.Errorf("audit: subject index names entry %d: %w", seq, err)
			}
			e, err := decode(raw)
			if err != nil {
				return err
			}
			out = append(out, e)
		}
		return nil
	})
	return out, err
}

// Export writes the stored records from seq from on to w, one per line,
// byte for byte, for archiving and for VerifyChain elsewhere. It returns
// how many it wrote.
func (l *Log) Export(ctx context.Context, w io.Writer, from uint64) (int, error) {
	n := 0
	err := l.cfg.Store.View(func(tx broker.ReadTx) error {
		return tx.AuditRaw(from, func(_ uint64, raw []byte) error {
			if n%1024 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			if _, err := w.Write(raw); err != nil {
				return err
			}
			if _, err := w.Write([]byte{'\n'}); err != nil {
				return err
			}
			n++
			return nil
		})
	})
	return n, err
}
