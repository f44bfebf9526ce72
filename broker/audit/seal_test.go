package audit

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ketenbrug/ketenbrug/broker"
)

// The canonical form is a contract with every stored entry: this test pins
// it byte for byte.
func TestSealCanonicalForm(t *testing.T) {
	e := broker.AuditEntry{
		Seq: 99, Hash: "ignored", // set by seal
		Time:  time.Date(2026, 11, 22, 20, 0, 0, 5000, time.FixedZone("CET", 3600)),
		Event: broker.EventDenial, RequestID: "req-1", Partner: "gem-leusden", Sub: "c.devries",
		Role: broker.RoleCoordinator, Action: broker.ActionHouseholdOverview, Purpose: "integrale-ondersteuning",
		Object: "household:hh-1042", Subjects: []broker.Pseudonym{"p:3f9a"}, Decision: broker.DecisionDeny,
		Reasons: []string{broker.ReasonNoConsent}, PolicyVersion: "v<1>&",
		Detail: map[string]string{"z": "last", "a": "first"},
	}
	raw, err := seal(&e, chainHead{seq: 41, hash: strings.Repeat("ab", 32)})
	if err != nil {
		t.Fatal(err)
	}
	const canonical = `{"seq":42,"prev_hash":"abababababababababababababababababababababababababababababababab",` +
		`"time":"2026-11-22T19:00:00.000005000Z","event":"denial","request_id":"req-1","partner":"gem-leusden",` +
		`"sub":"c.devries","role":"coordinator","action":"household.overview","purpose":"integrale-ondersteuning",` +
		`"object":"household:hh-1042","subjects":["p:3f9a"],"decision":"deny","reasons":["no_consent"],` +
		`"policy_version":"v\u003c1\u003e\u0026","detail":{"a":"first","z":"last"}}`
	sum := sha256.Sum256([]byte(canonical))
	wantHash := hex.EncodeToString(sum[:])
	if want := `{"hash":"` + wantHash + `",` + canonical[1:]; string(raw) != want {
		t.Fatalf("stored form\n got %s\nwant %s", raw, want)
	}
	if e.Seq != 42 || e.PrevHash != strings.Repeat("ab", 32) || e.Hash != wantHash || e.Time.Location() != time.UTC {
		t.Errorf("sealed entry fields: %+v", e)
	}
	if wantHash != "66eea6a4a1565baacd5cc4d08a94d665c6d415482f273a2849db37a09f63e520" {
		t.Errorf("hash of the pinned entry changed: %s", wantHash)
	}

	// The stored bytes verify as they are and decode to the sealed entry.
	claimed, intact, err := checkRecord(raw)
	if err != nil || !intact || claimed != wantHash {
		t.Errorf("checkRecord = %q %v %v", claimed, intact, err)
	}
	back, err := decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, e) {
		t.Errorf("decoded\n%+v\nwant\n%+v", back, e)
	}
}

func TestCheckRecord(t *testing.T) {
	e := entry(1)
	raw, _ := seal(&e, chainHead{})
	flipped := byte('0')
	if raw[9] == '0' {
		flipped = '1'
	}
	tests := []struct {
		name       string
		raw        string
		malformed  bool
		wantIntact bool
	}{
		{"intact", string(raw), false, true},
		{"edited", strings.Replace(string(raw), "gem-leusden", "gem-utrecht", 1), false, false},
		{"hash edited", string(raw[:9]) + string(flipped) + string(raw[10:]), false, false},
		{"empty", "", true, false},
		{"plain JSON", `{"seq":1,"prev_hash":""}`, true, false},
		{"upper-case hash", strings.ToUpper(string(raw[:75])) + string(raw[75:]), true, false},
		{"no comma", string(raw[:74]) + "}", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, intact, err := checkRecord([]byte(tt.raw))
			if (err != nil) != tt.malformed || intact != tt.wantIntact {
				t.Errorf("checkRecord = intact %v, err %v", intact, err)
			}
		})
	}
}

// canonicalBody with seq and prev_hash must carry every field of broker.AuditEntry but the hash,
// with the same JSON names, or a new field would silently go unhashed.
func TestCanonicalMirrorsAuditEntry(t *testing.T) {
	tags := func(typ reflect.Type) map[string]reflect.Type {
		out := map[string]reflect.Type{}
		for f := range typ.Fields() {
			out[f.Tag.Get("json")] = f.Type
		}
		return out
	}
	entryTags, canonTags := tags(reflect.TypeFor[broker.AuditEntry]()), tags(reflect.TypeFor[canonicalBody]())
	canonTags["seq"], canonTags["prev_hash"] = reflect.TypeFor[uint64](), reflect.TypeFor[string]()
	delete(entryTags, "hash")
	if entryTags["time"] != reflect.TypeFor[time.Time]() || canonTags["time"] != reflect.TypeFor[string]() {
		t.Fatal("time is no longer a time.Time encoded as a string")
	}
	delete(entryTags, "time")
	delete(canonTags, "time")
	if !reflect.DeepEqual(entryTags, canonTags) {
		t.Errorf("AuditEntry fields %v\ncanonical fields %v", entryTags, canonTags)
	}
	// And the stored form decodes with every field back.
	e := entry(3)
	e.Reasons, e.Detail = []string{"r"}, map[string]string{"k": "v"}
	e.SubKnown, e.SubVia = broker.SubVerified, "key:k1"
	raw, _ := seal(&e, chainHead{})
	var generic map[string]json.RawMessage
	if err := json.Unmarshal(raw, &generic); err != nil {
		t.Fatal(err)
	}
	for tag := range tags(reflect.TypeFor[broker.AuditEntry]()) {
		name, _, _ := strings.Cut(tag, ",")
		if _, ok := generic[name]; !ok && name != "request_id" {
			t.Errorf("stored form lacks %q", name)
		}
	}
}

// referenceEntry is the canonical form written as one struct: seal's
// spliced encoding must equal encoding/json's encoding of it.
type referenceEntry struct {
	Seq      uint64 `json:"seq"`
	PrevHash string `json:"prev_hash"`
	canonicalBody
}

func TestSpliceEqualsWholeEncoding(t *testing.T) {
	weird := entry(5)
	weird.Sub, weird.Detail = "a\"b<\u2028\xff", map[string]string{"é": "\t", "a": ""}
	heads := []chainHead{{}, {seq: 7, hash: strings.Repeat("0f", 32)}, {seq: 1 << 60, hash: "not \"hex\" <>"}}
	for _, e := range []broker.AuditEntry{entry(1), weird, {Event: "change", Action: "x", Decision: "allow"}} {
		for _, head := range heads {
			sealed := e
			raw, err := seal(&sealed, head)
			if err != nil {
				t.Fatal(err)
			}
			ref := referenceEntry{Seq: head.seq + 1, PrevHash: head.hash, canonicalBody: canonicalBody{
				Time: e.Time.UTC().Format(timeLayout), Event: e.Event, RequestID: e.RequestID, Partner: e.Partner,
				Sub: e.Sub, Role: e.Role, Action: e.Action, Purpose: e.Purpose, Object: e.Object,
				Subjects: e.Subjects, Decision: e.Decision, Reasons: e.Reasons, Bases: e.Bases,
				PolicyVersion: e.PolicyVersion, Disclosed: e.Disclosed, Detail: e.Detail}}
			want, _ := json.Marshal(&ref)
			if got := "{" + string(raw[headerLen:]); got != string(want) {
				t.Errorf("canonical form\n got %s\nwant %s", got, want)
			}
			if sum := sha256.Sum256(want); hex.EncodeToString(sum[:]) != sealed.Hash {
				t.Errorf("hash %s is not the SHA-256 of the canonical form", sealed.Hash)
			}
		}
	}
}

func TestQuickFields(t *testing.T) {
	e := entry(1)
	raw, _ := seal(&e, chainHead{seq: 41, hash: strings.Repeat("0a", 32)})
	first := entry(2)
	rawFirst, _ := seal(&first, chainHead{})
	tests := []struct {
		name string
		raw  string
		ok   bool
	}{
		{"sealed", string(raw), true},
		{"first entry", string(rawFirst), true},
		{"odd prev hash", strings.Replace(string(raw), `"prev_hash":"0a`, `"prev_hash":"Za`, 1), false},
		{"members reordered", strings.Replace(string(raw), `"seq":42,`, ``, 1) + "", false},
		{"escaped event", strings.Replace(string(raw), `"event":"disclosure"`, `"event":"disc\u006fsure"`, 1), false},
		{"huge seq", strings.Replace(string(raw), `"seq":42`, `"seq":123456789012345678901`, 1), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := quickFields([]byte(tt.raw))
			if ok != tt.ok {
				t.Fatalf("quickFields ok = %v, want %v", ok, tt.ok)
			}
			if !ok {
				return
			}
			var want fields
			if err := json.Unmarshal([]byte(tt.raw), &want); err != nil {
				t.Fatal(err)
			}
			want.Detail = nil
			if !reflect.DeepEqual(got, want) {
				t.Errorf("quickFields = %+v, JSON says %+v", got, want)
			}
		})
	}
}
