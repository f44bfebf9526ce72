package export

import (
	"bytes"
	"iter"
	"reflect"
	"strings"
	"testing"

	"github.com/ketenbrug/ketenbrug/broker"
)

// TestWriteSyncTellsWhereEachLineCameFrom: Written names, for every line
// of the body, the export line it came from and whether it is a skipped
// row's bare reference; a skipped row without a reference writes nothing.
func TestWriteSyncTellsWhereEachLineCameFrom(t *testing.T) {
	rows := iter.Seq2[Row, error](func(yield func(Row, error) bool) {
		_ = yield(Row{Line: 2, Ref: "a", Input: broker.InvolvementInput{BSN: "999990196", Service: "s", Status: "active"}}, nil) &&
			yield(Row{}, &Problem{Line: 3, Column: "fase", Reason: "bad", Ref: "b"}) &&
			yield(Row{}, &Problem{Line: 4, Column: "dossiernummer", Reason: "is empty"}) &&
			yield(Row{Line: 5, Ref: "c", Input: broker.InvolvementInput{BSN: "999990202", Service: "s", Status: "active"}}, nil)
	})
	type src struct {
		body, file int
		kept       bool
	}
	var got []src
	var buf bytes.Buffer
	sum, err := SyncOptions{KeepSkipped: true, Written: func(b, f int, kept bool) { got = append(got, src{b, f, kept}) }}.WriteSync(&buf, rows)
	if err != nil {
		t.Fatal(err)
	}
	want := []src{{1, 2, false}, {2, 3, true}, {3, 5, false}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("written: got %+v, want %+v", got, want)
	}
	if n := strings.Count(buf.String(), "\n"); n != 3 || sum.Rows != 2 || sum.Kept != 1 || sum.Skipped != 2 {
		t.Errorf("%d lines, summary %+v:\n%s", n, sum, buf.String())
	}
}
