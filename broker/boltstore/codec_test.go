package boltstore

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/ketenbrug/ketenbrug/broker"
)

func sampleInvolvement(i int) broker.Involvement {
	at := time.Date(2026, 11, 22, 19, 0, 0, 123456789, time.UTC)
	return broker.Involvement{ID: fmt.Sprintf("i-%d", i), Partner: "kredietbank", Ref: fmt.Sprintf("dossier-%04d", i),
		Subject: broker.Pseudonym(fmt.Sprintf("p:%022d", i)), Service: "schuldregeling", ServiceLabel: "Schuldregeling — één plan",
		Status: broker.InvolvementActive, Start: "2026-09-01", Contact: broker.Contact{Name: "P. de Boer", Phone: "033-4567890"},
		CreatedAt: at, UpdatedAt: at.Add(time.Hour), Revision: uint64(i)}
}

func TestInvolvementCodecRoundTrip(t *testing.T) {
	for _, v := range []broker.Involvement{sampleInvolvement(1), {}, {ID: "x", Contact: broker.Contact{Email: "a@b.example"},
		CreatedAt: time.Unix(-5, 7).UTC(), Revision: 1 << 60}} {
		raw := involvementCodec{}.encode(nil, &v)
		var got broker.Involvement
		if err := (involvementCodec{}).decode(raw, &got); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, v) {
			t.Errorf("round trip:\n got %#v\nwant %#v", got, v)
		}
		// Any truncation is an error, never a panic or a silent short row.
		for n := range len(raw) {
			if err := (involvementCodec{}).decode(raw[:n], &got); err == nil {
				t.Errorf("decode of %d of %d bytes succeeded", n, len(raw))
			}
		}
	}
}

// The binary form must decode to what the JSON form decoded to, so that
// switching the codec changes nothing a caller sees.
func TestInvolvementCodecMatchesJSON(t *testing.T) {
	v := sampleInvolvement(7)
	raw, _ := json.Marshal(v)
	var viaJSON broker.Involvement
	if err := json.Unmarshal(raw, &viaJSON); err != nil {
		t.Fatal(err)
	}
	viaBin, err := involvements.decode([]byte("k"), involvementCodec{}.encode(nil, &v))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(viaBin, viaJSON) {
		t.Fatalf("binary %#v\n  json %#v", viaBin, viaJSON)
	}
	if len(raw) < 2*len(involvementCodec{}.encode(nil, &v)) {
		t.Errorf("binary is %d bytes, JSON %d: expected under half", len(involvementCodec{}.encode(nil, &v)), len(raw))
	}
}

// A schema-2 file holds involvements as JSON; opening it with this binary
// re-encodes them, and they read the same before and after.
func TestMigrateInvolvementsToBinary(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ketenbrug.db")
	log := slog.New(slog.DiscardHandler)
	old, err := open(path, Config{Logger: log}, migrations()[:2])
	if err != nil {
		t.Fatal(err)
	}
	const n = 25_000 // more than one batch of the migration
	want := make([]broker.Involvement, n)
	err = old.db.Update(func(tx *bbolt.Tx) error {
		for i := range n {
			want[i] = sampleInvolvement(i)
			raw, _ := json.Marshal(&want[i])
			if err := tx.Bucket(bucketInvolvements).Put(involvementKey(want[i].Partner, want[i].Ref), raw); err != nil {
				return err
			}
			if err := involvementsBySubject.add(tx, string(want[i].Subject), involvementKey(want[i].Partner, want[i].Ref)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	old.Close()

	s, err := Open(path, Config{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if v, _ := s.SchemaVersion(); v != len(migrations()) {
		t.Fatalf("schema %d after migration, want %d", v, len(migrations()))
	}
	err = s.db.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketInvolvements).ForEach(func(k, v []byte) error {
			if v[0] != formatInvolvementV1 {
				return fmt.Errorf("%q still JSON", k)
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	mustView(t, s, func(tx broker.ReadTx) error {
		for _, i := range []int{0, 1, 9_999, 10_000, n - 1} {
			got, err := tx.Involvement(want[i].Partner, want[i].Ref)
			if err != nil {
				return err
			}
			if !reflect.DeepEqual(got, want[i]) {
				t.Errorf("involvement %d:\n got %#v\nwant %#v", i, got, want[i])
			}
			vs, err := tx.InvolvementsOf(want[i].Subject)
			if err != nil || len(vs) != 1 {
				t.Errorf("InvolvementsOf(%d) = %d, %v", i, len(vs), err)
			}
		}
		return nil
	})
	if err := s.Check(); err != nil {
		t.Fatal(err)
	}
}

func BenchmarkInvolvementDecode(b *testing.B) {
	v := sampleInvolvement(3)
	bin := involvementCodec{}.encode(nil, &v)
	js, _ := json.Marshal(&v)
	b.Run("binary", func(b *testing.B) {
		b.ReportAllocs()
		b.ReportMetric(float64(len(bin)), "bytes")
		for b.Loop() {
			if _, err := involvements.decode(nil, bin); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("json", func(b *testing.B) {
		b.ReportAllocs()
		b.ReportMetric(float64(len(js)), "bytes")
		for b.Loop() {
			if _, err := involvements.decode(nil, js); err != nil {
				b.Fatal(err)
			}
		}
	})
}
