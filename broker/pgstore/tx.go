package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/ketenbrug/ketenbrug/broker"
)

// readTx implements broker.ReadTx over a pgx transaction.
type readTx struct {
	tx  pgx.Tx
	ctx context.Context
	cfg *Config
}

// writeTx implements broker.Tx; its reads run in the same transaction.
type writeTx struct {
	readTx
}

var (
	_ broker.ReadTx = (*readTx)(nil)
	_ broker.Tx     = (*writeTx)(nil)
)

// pageSize is how many rows a walk reads per query. A walk reads in pages
// (keyset pagination on its order) instead of holding a cursor open,
// because fn may read through the same transaction, and one connection
// cannot run a query while another's rows are still streaming. Pages of
// one transaction see one state: a View is a snapshot, and an Update holds
// the writer lock.
const pageSize = 500

// key reports whether s can be a key: PostgreSQL's text holds neither a
// NUL byte nor invalid UTF-8, and a statement that tried would abort the
// whole transaction. A lookup of such a key finds nothing; a put fails
// with ErrInvalid, before any statement.
func key(s ...string) bool {
	for _, k := range s {
		if strings.IndexByte(k, 0) >= 0 || !utf8.ValidString(k) {
			return false
		}
	}
	return true
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("pgstore: "+format+": %w", append(args, broker.ErrInvalid)...)
}

func notFound(what string, k any) error {
	return fmt.Errorf("%s %q: %w", what, fmt.Sprint(k), broker.ErrNotFound)
}

func encode(what string, v any) ([]byte, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("pgstore: encode %s: %w", what, err)
	}
	return raw, nil
}

// get decodes the one value q selects; no row is ErrNotFound.
func get[T any](r *readTx, what string, k any, q string, args ...any) (T, error) {
	var v T
	var raw []byte
	if err := r.tx.QueryRow(r.ctx, q, args...).Scan(&raw); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return v, notFound(what, k)
		}
		return v, dbErr("read "+what, err)
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return v, fmt.Errorf("pgstore: decode %s %q: %w", what, fmt.Sprint(k), err)
	}
	return v, nil
}

// values decodes every value q selects (one json column), in its order.
// It reads all rows before decoding, so the connection is free again.
func values[T any](r *readTx, what string, q string, args ...any) ([]T, error) {
	rows, err := r.tx.Query(r.ctx, q, args...)
	if err != nil {
		return nil, dbErr("read "+what, err)
	}
	raws, err := pgx.CollectRows(rows, pgx.RowTo[[]byte])
	if err != nil {
		return nil, dbErr("read "+what, err)
	}
	out := make([]T, 0, len(raws))
	for _, raw := range raws {
		var v T
		if err := json.Unmarshal(raw, &v); err != nil {
			return nil, fmt.Errorf("pgstore: decode %s: %w", what, err)
		}
		out = append(out, v)
	}
	return out, nil
}

// walk calls fn for each value of the pages fetch returns: fetch gets the
// last value of the previous page (nil for the first) and returns up to
// pageSize values after it. fn's error stops the walk and is returned.
func walk[T any](fn func(T) error, fetch func(last *T) ([]T, error)) error {
	var last *T
	for {
		page, err := fetch(last)
		if err != nil {
			return err
		}
		for _, v := range page {
			if err := fn(v); err != nil {
				return err
			}
		}
		if len(page) < pageSize {
			return nil
		}
		last = &page[len(page)-1]
	}
}

// exec runs a statement and returns how many rows it touched.
func (w *writeTx) exec(what, q string, args ...any) (int64, error) {
	tag, err := w.tx.Exec(w.ctx, q, args...)
	if err != nil {
		return 0, dbErr(what, err)
	}
	return tag.RowsAffected(), nil
}

// seqArg turns a uint64 sequence number into the bigint it is stored as;
// ok is false beyond bigint's range, where nothing is stored.
func seqArg(n uint64) (int64, bool) {
	if n > math.MaxInt64 {
		return 0, false
	}
	return int64(n), true
}
