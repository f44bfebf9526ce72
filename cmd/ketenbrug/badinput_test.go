package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/connectors"
)

// noInput are the authenticated operations that read nothing from the
// request but its token: no body, no path or query parameter. Every other
// operation of the OpenAPI document gets the bad-input cases below; an
// operation added with no input must be listed here, so that none is
// forgotten.
var noInput = map[string]bool{
	"GET /v1/audit/verify": true, "GET /v1/backup": true, "GET /v1/partners": true, "GET /v1/policies": true,
	"GET /v1/whoami": true, "GET /v1/webhooks/dead-letters": true, "GET /v1/policies/register": true, "GET /v1/purposes": true,
}

// badBodies are JSON bodies every JSON endpoint must refuse with a 4xx
// problem that names what is wrong, storing nothing.
var badBodies = map[string][]byte{
	"unknown field":  []byte(`{"zz_unknown": 1}`),
	"trailing data":  []byte(`{} {}`),
	"wrong type":     []byte(`[1, 2, 3]`),
	"duplicate keys": []byte(`{"status": "active", "status": "ended"}`),
	"not JSON":       []byte(`status=active`),
	"empty":          []byte(` `),
	"a BSN as a key": []byte(`{"111222333": 1}`),
	"too large":      append(append([]byte(`{"note": "`), bytes.Repeat([]byte("a"), 2<<20)...), `"}`...),
}

// badPathValues replace each path parameter in turn.
var badPathValues = map[string]string{
	"spaces":        url.PathEscape("bad id"),
	"too long":      strings.Repeat("a", 300),
	"control chars": url.PathEscape("a\x00b"),
	"unicode":       url.PathEscape("ü-id"),
}

// badQueryValues are bad values per query parameter name.
var badQueryValues = map[string][]string{
	"limit": {"-1", "x", "100000000"}, "after": {"bad id", "-3"}, "wait": {"1h", "soon"}, "from": {"x"},
	"status": {"bogus"}, "side": {"both-ways"}, "format": {"pdf"}, "n": {"x", "-1"}, "dry_run": {"maybe"},
	"version": {"x"}, "household": {"bad id"}, "note": {strings.Repeat("n", 5000)},
}

var pathParam = regexp.MustCompile(`\{[a-z_]+\}`)

// goodPathValue fills a path parameter with a value that exists in the
// region, so that only the input under test is wrong.
func goodPathValue(param string) string {
	switch param {
	case "{id}":
		return "hh-c"
	case "{ref}":
		return "kb-17"
	case "{agreement}":
		return "w-kb"
	case "{version}":
		return "v-x"
	}
	return "x"
}

func TestBadInputOnEveryEndpoint(t *testing.T) {
	tb := newTestBrokerWith(t, func(c *SystemConfig) { c.Limits.PartnerRate = 1e6 })
	r := newRegion(t, tb, 4, nil)
	ctx := context.Background()
	callers := map[string]*connectors.Client{"operator": tb.operator, "coordinator": r.coord, "connector": r.kb,
		"professional": r.kbProf, "privacy-officer": r.fg}

	resp, body := tb.get(t, "/v1/openapi.json")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("openapi: %d", resp.StatusCode)
	}
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	changesBefore := countChanges(t, tb)
	tried := 0
	// try sends one bad request as every caller: each answer must be a 4xx
	// problem document (never a 5xx, never a success), and at least one
	// caller — one allowed to call the operation — must get a refusal of
	// the input itself (400, 413, 415 or 422).
	try := func(t *testing.T, method, path string, req connectors.Request) {
		t.Helper()
		tried++
		validated := false
		var got []string
		for _, name := range slices.Sorted(mapsKeys(callers)) {
			req.Method, req.Path, req.Purpose = method, path, debtPurpose
			_, err := callers[name].Do(ctx, req)
			var pe *connectors.ProblemError
			if !errors.As(err, &pe) {
				t.Errorf("%s %s as %s: %v, want a 4xx problem", method, path, name, err)
				continue
			}
			if pe.Status >= 500 || pe.Code == "" {
				t.Errorf("%s %s as %s: %d %s", method, path, name, pe.Status, pe.Code)
			}
			switch pe.Status {
			case http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType,
				http.StatusUnprocessableEntity, http.StatusPreconditionRequired:
				validated = true
			}
			got = append(got, name+":"+pe.Code)
		}
		if !validated {
			t.Errorf("%s %.120s: no caller got the input refused: %v", method, path, got)
		}
	}

	var ops []string
	for p, item := range doc.Paths {
		for m := range item {
			if m == "get" || m == "post" || m == "put" || m == "delete" {
				ops = append(ops, strings.ToUpper(m)+" "+p)
			}
		}
	}
	sort.Strings(ops)
	for _, op := range ops {
		method, tmpl, _ := strings.Cut(op, " ")
		if !strings.HasPrefix(tmpl, "/v1/") || tmpl == "/v1/openapi.json" {
			continue
		}
		var spec struct {
			RequestBody *struct {
				Content map[string]json.RawMessage `json:"content"`
			} `json:"requestBody"`
			Parameters []struct {
				Name string `json:"name"`
				In   string `json:"in"`
				Ref  string `json:"$ref"`
			} `json:"parameters"`
		}
		if err := json.Unmarshal(doc.Paths[tmpl][strings.ToLower(method)], &spec); err != nil {
			t.Fatal(err)
		}
		good := pathParam.ReplaceAllStringFunc(tmpl, goodPathValue)
		cases := 0
		t.Run(op, func(t *testing.T) {
			if spec.RequestBody != nil {
				if _, ok := spec.RequestBody.Content["application/json"]; ok {
					for _, name := range slices.Sorted(mapsKeys(badBodies)) {
						cases++
						try(t, method, good, connectors.Request{Body: badBodies[name], ContentType: "application/json"})
					}
				}
				cases++
				try(t, method, good, connectors.Request{Body: []byte("<xml/>"), ContentType: "application/xml"})
			}
			for _, p := range pathParam.FindAllString(tmpl, -1) {
				for _, name := range slices.Sorted(mapsKeys(badPathValues)) {
					cases++
					path := strings.Replace(tmpl, p, badPathValues[name], 1)
					path = pathParam.ReplaceAllStringFunc(path, goodPathValue)
					req := connectors.Request{}
					if spec.RequestBody != nil {
						req.Body, req.ContentType = []byte(`{}`), "application/json"
					}
					try(t, method, path, req)
				}
			}
			for _, prm := range spec.Parameters {
				if prm.In != "query" {
					continue
				}
				for _, v := range badQueryValues[prm.Name] {
					cases++
					req := connectors.Request{}
					if spec.RequestBody != nil {
						req.Body, req.ContentType = []byte(`{}`), "application/json"
					}
					try(t, method, good+"?"+url.Values{prm.Name: {v}}.Encode(), req)
				}
			}
			if cases == 0 && !noInput[op] {
				t.Errorf("%s has no bad-input case: give it one, or list it in noInput", op)
			}
		})
	}
	if n := countChanges(t, tb); n != changesBefore {
		t.Errorf("bad input changed something: %d change entries in the audit trail, %d before", n, changesBefore)
	}
	t.Logf("%d bad requests tried, each as %d callers (%d requests), over %d operations; nothing stored",
		tried, len(callers), tried*len(callers), len(ops))
}

func countChanges(t *testing.T, tb *testBroker) int {
	n := 0
	for _, e := range auditTrail(t, tb) {
		if e.Event == broker.EventChange {
			n++
		}
	}
	return n
}

func mapsKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}
