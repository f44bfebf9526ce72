package broker

import (
	"context"
	"errors"
)

// SignalChunk builds lines into a chunk and classifies it against the
// store as syncChunk does: which lines are new involvements that need match
// signals. Nothing is written. For TestBulkSignalsEqualPerLine.
func (s *Service) SignalChunk(c *Caller, lines []SyncItem) ([]Involvement, []bool, error) {
	chunk := make([]Involvement, 0, len(lines))
	for _, it := range lines {
		v, err := s.build(c, it.Ref, it.Input)
		if err != nil {
			return nil, nil, err
		}
		chunk = append(chunk, v)
	}
	need := make([]bool, len(chunk))
	err := s.cfg.Store.View(func(tx ReadTx) error {
		for i := range chunk {
			v := &chunk[i]
			old, err := tx.Involvement(v.Partner, v.Ref)
			switch {
			case err == nil:
				v.ID = old.ID
				need[i] = !old.sameContent(v) && (old.Subject != v.Subject || old.Status == InvolvementEnded && v.Status != InvolvementEnded)
			case errors.Is(err, ErrNotFound):
				v.ID = newID("i")
				need[i] = v.Status != InvolvementEnded
			default:
				return err
			}
		}
		return nil
	})
	return chunk, need, err
}

// BulkSignals is the bulk path of a sync chunk's match signals.
func (s *Service) BulkSignals(ctx context.Context, c *Caller, chunk []Involvement, need []bool) ([]InboxItem, error) {
	return s.bulkSignals(ctx, c, chunk, need)
}

// PerLineSignals is the per-line path the bulk path is held to.
func (s *Service) PerLineSignals(ctx context.Context, c *Caller, chunk []Involvement, need []bool) ([]InboxItem, error) {
	return s.chunkSignalsPerLine(ctx, c, chunk, need)
}

// Disclosed is what the audit entry of the change that raises it records
// of it.
func Disclosed(it *InboxItem) []Disclosure { return it.disclosed }
