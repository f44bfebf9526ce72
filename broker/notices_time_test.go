package broker

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

// FuzzAuditTime: the cheap reader of an audit record's time agrees with
// decoding the record whole, for every input that decodes, and never
// panics on one that does not.
func FuzzAuditTime(f *testing.F) {
	at := time.Date(2026, 12, 3, 11, 0, 0, 123456789, time.UTC)
	sealed, _ := json.Marshal(AuditEntry{Seq: 7, PrevHash: "a", Hash: "b", Time: at, Event: EventChange,
		Subjects: []Pseudonym{"p1", "p2"}, Decision: DecisionAllow})
	for _, seed := range []string{string(sealed), `{"time":"2026-01-02T03:04:05Z"}`, `{"seq":1,"x":{"time":"2020-01-01T00:00:00Z"},"time":"2026-01-02T03:04:05+01:00"}`,
		`{"time":5}`, `{}`, `[]`, ``, `{"seq":`, `{"time":"gisteren"}`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		got, ok := auditTime(raw)
		var whole struct {
			Time *time.Time `json:"time"`
		}
		if json.Unmarshal(raw, &whole) != nil || whole.Time == nil || bytes.Count(bytes.ToLower(raw), []byte(`time"`)) != 1 {
			// The full decoder refuses it, has no time, or takes the last
			// of several keys matching "time" in any case (the audit log
			// writes one): any answer will do, as long as there is no
			// panic.
			return
		}
		if !ok || !got.Equal(*whole.Time) {
			t.Fatalf("auditTime(%q) = %v, %v; decoded whole: %v", raw, got, ok, *whole.Time)
		}
	})
}

// TestAuditTimeOfASealedRecord: the time of a record as the audit log
// writes it, with the thousand subjects of a sync chunk.
func TestAuditTimeOfASealedRecord(t *testing.T) {
	at := time.Date(2026, 12, 3, 11, 0, 0, 123456789, time.UTC)
	e := AuditEntry{Seq: 7, PrevHash: "a", Hash: "b", Time: at, Event: EventChange, Decision: DecisionAllow}
	for i := range 1000 {
		e.Subjects = append(e.Subjects, Pseudonym("p"+time.Duration(i).String()))
	}
	raw, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := auditTime(raw); !ok || !got.Equal(at) {
		t.Fatalf("auditTime = %v, %v; want %v", got, ok, at)
	}
}
