package httpapi

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/ketenbrug/ketenbrug/broker"
)

func TestPlanPrecondition(t *testing.T) {
	cases := []struct {
		name        string
		ifMatch     string
		ifNoneMatch string
		create      bool
		want        uint64
		status      int // 0: no error
	}{
		{"current etag", `"3"`, "", false, 3, 0},
		{"etag with spaces", ` "12" `, "", true, 12, 0},
		{"create", "", "*", true, 0, 0},
		{"create where not allowed", "", "*", false, 0, http.StatusPreconditionRequired},
		{"nothing", "", "", true, 0, http.StatusPreconditionRequired},
		{"nothing on close", "", "", false, 0, http.StatusPreconditionRequired},
		{"star", "*", "", true, 0, http.StatusPreconditionRequired},
		{"both", `"1"`, "*", true, 0, http.StatusPreconditionRequired},
		{"other if-none-match", "", `"2"`, true, 0, http.StatusPreconditionRequired},
		{"weak etag", `W/"3"`, "", false, 0, http.StatusPreconditionFailed},
		{"unquoted", "3", "", false, 0, http.StatusPreconditionFailed},
		{"zero", `"0"`, "", false, 0, http.StatusPreconditionFailed},
		{"list", `"3", "4"`, "", false, 0, http.StatusPreconditionFailed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPut, "/v1/households/hh-1/plan", nil)
			if tc.ifMatch != "" {
				r.Header.Set("If-Match", tc.ifMatch)
			}
			if tc.ifNoneMatch != "" {
				r.Header.Set("If-None-Match", tc.ifNoneMatch)
			}
			got, err := planPrecondition(r, tc.create)
			if tc.status == 0 {
				if err != nil || got != tc.want {
					t.Fatalf("got %d, %v; want %d", got, err, tc.want)
				}
				return
			}
			p := problemFor(err)
			if p.Status != tc.status {
				t.Fatalf("status %d (%s), want %d", p.Status, p.Code, tc.status)
			}
			if tc.status == http.StatusPreconditionRequired && p.Code != "precondition_required" {
				t.Errorf("code %s", p.Code)
			}
			if tc.status == http.StatusPreconditionFailed && !errors.Is(err, broker.ErrPreconditionFailed) {
				t.Errorf("err %v", err)
			}
		})
	}
}

func TestPlanFormat(t *testing.T) {
	cases := []struct{ query, accept, want string }{
		{"", "", broker.PlanFormatJSON},
		{"format=html", "application/json", broker.PlanFormatHTML},
		{"format=markdown", "", broker.PlanFormatMarkdown},
		{"", "text/html,application/xhtml+xml;q=0.9", broker.PlanFormatHTML},
		{"", "text/markdown; charset=utf-8", broker.PlanFormatMarkdown},
		{"", "application/json", broker.PlanFormatJSON},
		{"", "image/png", broker.PlanFormatJSON},
	}
	for _, tc := range cases {
		r := httptest.NewRequest(http.MethodGet, "/v1/households/hh-1/plan?"+tc.query, nil)
		if tc.accept != "" {
			r.Header.Set("Accept", tc.accept)
		}
		got, err := planFormat(r)
		if err != nil || got != tc.want {
			t.Errorf("%q %q: %s, %v; want %s", tc.query, tc.accept, got, err, tc.want)
		}
	}
	r := httptest.NewRequest(http.MethodGet, "/v1/households/hh-1/plan?format=pdf", nil)
	if _, err := planFormat(r); !errors.Is(err, broker.ErrInvalid) {
		t.Errorf("format=pdf: %v", err)
	}
}
