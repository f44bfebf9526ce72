package httpapi

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/gorilla/mux"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/connectors/protocol"
)

// stubBroker is enough of a Broker to build the router; routes are only
// listed, never served.
type stubBroker struct{ Broker }

func (stubBroker) ID() string { return "kb-test" }

// testAPI builds the API with a minimal configuration.
func testAPI(t *testing.T) *api {
	t.Helper()
	signer, _ := brokerSigner(t)
	h, err := New(Config{Broker: stubBroker{}, Signer: signer, PublicJWKS: json.RawMessage(`{"keys":[]}`), SpoolDir: ivSpoolDir(t)})
	if err != nil {
		t.Fatal(err)
	}
	return h.(*api)
}

// routeSet returns "METHOD /path/{param}" for every route of the router.
func routeSet(t *testing.T, r *mux.Router) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	err := r.Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		tpl, err := route.GetPathTemplate()
		if err != nil {
			return nil
		}
		methods, err := route.GetMethods()
		if err != nil {
			return nil // a path prefix holding a subrouter
		}
		for _, m := range methods {
			out[m+" "+tpl] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// openAPIDoc is the parts of the document the tests read.
type openAPIDoc struct {
	OpenAPI    string                                `json:"openapi"`
	Info       map[string]any                        `json:"info"`
	Security   []map[string][]string                 `json:"security"`
	Paths      map[string]map[string]json.RawMessage `json:"paths"`
	Components struct {
		Schemas         map[string]map[string]any `json:"schemas"`
		SecuritySchemes map[string]map[string]any `json:"securitySchemes"`
		Headers         map[string]any            `json:"headers"`
		Responses       map[string]map[string]any `json:"responses"`
		Parameters      map[string]map[string]any `json:"parameters"`
	} `json:"components"`
}

type operation struct {
	OperationID string            `json:"operationId"`
	Summary     string            `json:"summary"`
	Parameters  []map[string]any  `json:"parameters"`
	RequestBody map[string]any    `json:"requestBody"`
	Responses   map[string]any    `json:"responses"`
	Security    *[]map[string]any `json:"security"`
}

var httpMethods = []string{"get", "put", "post", "delete", "patch", "head", "options", "trace"}

func loadDoc(t *testing.T) (openAPIDoc, map[string]operation) {
	t.Helper()
	var doc openAPIDoc
	if err := json.Unmarshal(OpenAPI(), &doc); err != nil {
		t.Fatalf("openapi.json is not valid JSON: %v", err)
	}
	ops := map[string]operation{}
	for path, item := range doc.Paths {
		for key, raw := range item {
			if !slices.Contains(httpMethods, key) {
				if key != "parameters" && key != "summary" && key != "description" {
					t.Errorf("%s: unexpected member %q", path, key)
				}
				continue
			}
			var op operation
			if err := json.Unmarshal(raw, &op); err != nil {
				t.Fatalf("%s %s: %v", key, path, err)
			}
			ops[strings.ToUpper(key)+" "+path] = op
		}
	}
	return doc, ops
}

// TestOpenAPICoversRoutes keeps the OpenAPI document and the router in
// step: every route and method is documented, and nothing else is.
func TestOpenAPICoversRoutes(t *testing.T) {
	a := testAPI(t)
	routes := routeSet(t, a.router)
	if len(routes) < 10 {
		t.Fatalf("only %d routes found", len(routes))
	}
	doc, ops := loadDoc(t)
	if !strings.HasPrefix(doc.OpenAPI, "3.1.") {
		t.Errorf("openapi %q, want 3.1.x", doc.OpenAPI)
	}
	if doc.Info["version"] != APIVersion {
		t.Errorf("info.version %v, want %s", doc.Info["version"], APIVersion)
	}
	var missing, extra []string
	for r := range routes {
		if _, ok := ops[r]; !ok {
			missing = append(missing, r)
		}
	}
	for o := range ops {
		if !routes[o] {
			extra = append(extra, o)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	for _, r := range missing {
		t.Errorf("route %s is not in openapi.json", r)
	}
	for _, o := range extra {
		t.Errorf("openapi.json documents %s, which the router does not serve", o)
	}
}

// publicPaths need no request token.
var publicPaths = []string{"/healthz", "/readyz", "/metrics", "/.well-known/jwks.json",
	"/.well-known/ketenbrug-configuration", "/v1/openapi.json"}

// TestOpenAPIDocument checks the document's own consistency: references
// resolve, operation ids are unique, path parameters are declared, the
// security requirements match the routes, and every response names the
// signature and request-id headers.
func TestOpenAPIDocument(t *testing.T) {
	doc, ops := loadDoc(t)

	// Every $ref resolves.
	var all any
	if err := json.Unmarshal(OpenAPI(), &all); err != nil {
		t.Fatal(err)
	}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch x := v.(type) {
		case map[string]any:
			if ref, ok := x["$ref"].(string); ok {
				if resolve(all, ref) == nil {
					t.Errorf("%s: $ref %s does not resolve", path, ref)
				}
			}
			for k, vv := range x {
				walk(path+"/"+k, vv)
			}
		case []any:
			for i, vv := range x {
				walk(path+"/"+strconv.Itoa(i), vv)
			}
		}
	}
	walk("", all)

	scheme := doc.Components.SecuritySchemes["requestToken"]
	if scheme["type"] != "http" || scheme["scheme"] != "bearer" || !strings.Contains(scheme["description"].(string), "PROTOCOL.md") {
		t.Errorf("security scheme %v", scheme)
	}
	if len(doc.Security) != 1 || doc.Security[0]["requestToken"] == nil {
		t.Errorf("the default security requirement is not the request token: %v", doc.Security)
	}
	for _, h := range []string{"KetenbrugSignature", "KetenbrugRequestId"} {
		if doc.Components.Headers[h] == nil {
			t.Errorf("no header %s in components", h)
		}
	}

	for name, s := range doc.Components.Schemas {
		props, _ := s["properties"].(map[string]any)
		req, _ := s["required"].([]any)
		for _, r := range req {
			if _, ok := props[r.(string)]; !ok {
				t.Errorf("schema %s requires %v, which it does not define", name, r)
			}
		}
	}

	ids := map[string]string{}
	param := regexp.MustCompile(`\{([^}]+)\}`)
	for key, op := range ops {
		if op.OperationID == "" || op.Summary == "" {
			t.Errorf("%s: operationId and summary are required", key)
		}
		if prev, dup := ids[op.OperationID]; dup {
			t.Errorf("operationId %s used by %s and %s", op.OperationID, prev, key)
		}
		ids[op.OperationID] = key
		path := strings.SplitN(key, " ", 2)[1]

		// Path parameters.
		declared := map[string]bool{}
		for _, p := range op.Parameters {
			p = deref(t, all, p)
			if p["in"] == "path" {
				declared[p["name"].(string)] = true
				if p["required"] != true {
					t.Errorf("%s: path parameter %v not required", key, p["name"])
				}
			}
		}
		for _, m := range param.FindAllStringSubmatch(path, -1) {
			if !declared[m[1]] {
				t.Errorf("%s: path parameter {%s} is not declared", key, m[1])
			}
			delete(declared, m[1])
		}
		for name := range declared {
			t.Errorf("%s: declares path parameter %s that the path lacks", key, name)
		}

		// Security: public routes say so; the others use the default.
		public := slices.Contains(publicPaths, path)
		switch {
		case public && (op.Security == nil || len(*op.Security) != 0):
			t.Errorf("%s is public but does not say security: []", key)
		case !public && op.Security != nil:
			t.Errorf("%s needs a request token but overrides security", key)
		case !public && op.Responses["401"] == nil:
			t.Errorf("%s needs a request token but documents no 401", key)
		}

		// Responses: at least one success; every response has the headers.
		success := false
		for status, r := range op.Responses {
			if strings.HasPrefix(status, "2") {
				success = true
			}
			resp := deref(t, all, r.(map[string]any))
			headers, _ := resp["headers"].(map[string]any)
			for _, h := range []string{"Ketenbrug-Signature", "Ketenbrug-Request-Id"} {
				if headers[h] == nil {
					t.Errorf("%s response %s lacks header %s", key, status, h)
				}
			}
			if status >= "400" && status != "default" || status == "default" {
				content, _ := resp["content"].(map[string]any)
				if content["application/problem+json"] == nil {
					t.Errorf("%s response %s is not a problem document", key, status)
				}
			}
		}
		if !success {
			t.Errorf("%s documents no success response", key)
		}
	}
}

// resolve follows a local JSON pointer.
func resolve(doc any, ref string) any {
	if !strings.HasPrefix(ref, "#/") {
		return nil
	}
	cur := doc
	for _, part := range strings.Split(ref[2:], "/") {
		part = strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		if cur, ok = m[part]; !ok {
			return nil
		}
	}
	return cur
}

func deref(t *testing.T, doc any, v map[string]any) map[string]any {
	t.Helper()
	for {
		ref, ok := v["$ref"].(string)
		if !ok {
			return v
		}
		r, ok := resolve(doc, ref).(map[string]any)
		if !ok {
			t.Fatalf("$ref %s", ref)
		}
		v = r
	}
}

// TestOpenAPIProblemCodes checks that the Problem schema lists every code
// the package can answer with: every token refusal reason of the protocol,
// the two of the middleware, and every code literal in the package's
// source.
func TestOpenAPIProblemCodes(t *testing.T) {
	doc, _ := loadDoc(t)
	code, _ := doc.Components.Schemas["Problem"]["properties"].(map[string]any)["code"].(map[string]any)
	var enum []string
	for _, c := range code["enum"].([]any) {
		enum = append(enum, c.(string))
	}
	want := map[string]bool{}
	for _, r := range protocol.Reasons {
		if r == protocol.ReasonRequestMismatch || r == protocol.ReasonStatusMismatch {
			continue // response signatures only; the SDK's, never the broker's
		}
		want["token_"+r] = true
	}
	want["token_"+errMissingToken.Reason] = true
	want["token_"+errRoleNotAllowed.Reason] = true
	for _, r := range protocol.BindingReasons {
		want["token_"+r] = true
	}
	for _, c := range sourceCodes(t) {
		want[c] = true
	}
	for c := range want {
		if !slices.Contains(enum, c) {
			t.Errorf("problem code %s is not in the Problem schema", c)
		}
	}
	for _, c := range enum {
		if !want[c] {
			t.Errorf("the Problem schema lists %s, which nothing answers with", c)
		}
	}
	// problemFor answers with each of them.
	if p := problemFor(&protocol.Error{Reason: protocol.ReasonExpired}); p.Code != "token_expired" || p.Status != http.StatusUnauthorized {
		t.Errorf("token refusal: %+v", p)
	}
}

// sourceCodes returns the problem codes written as literals in the
// package: the code of a bodyError and the second argument of newProblem.
func sourceCodes(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var codes []string
	lit := func(e ast.Expr) {
		if bl, ok := e.(*ast.BasicLit); ok && bl.Kind == token.STRING {
			s, err := strconv.Unquote(bl.Value)
			if err == nil {
				codes = append(codes, s)
			}
		}
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(af, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.CallExpr:
				if id, ok := x.Fun.(*ast.Ident); ok && id.Name == "newProblem" && len(x.Args) == 3 {
					lit(x.Args[1])
				}
			case *ast.CompositeLit:
				if id, ok := x.Type.(*ast.Ident); ok && id.Name == "bodyError" {
					for _, el := range x.Elts {
						if kv, ok := el.(*ast.KeyValueExpr); ok {
							if k, ok := kv.Key.(*ast.Ident); ok && k.Name == "code" {
								lit(kv.Value)
							}
						}
					}
				}
			}
			return true
		})
	}
	if len(codes) < 10 {
		t.Fatalf("found only %d code literals: %v", len(codes), codes)
	}
	return codes
}

// schemaTypes maps the document's schemas to the Go types they describe.
var schemaTypes = map[string]any{
	"Statistics": broker.Statistics{}, "StatisticsMeasure": broker.StatisticsMeasure{}, "StatisticsRow": broker.StatisticsRow{},
	"StatisticsCell": broker.StatisticsCell{}, "StatisticsGap": broker.StatisticsGap{},
	"Partner": broker.Partner{}, "Whoami": broker.Whoami{}, "ConsentView": broker.ConsentView{},
	"ConsentList": broker.ConsentList{}, "Withdrawal": broker.Withdrawal{}, "Actor": broker.Actor{},
	"PolicyVersion": broker.PolicyVersion{}, "PolicyReport": broker.PolicyReport{}, "PolicyTest": broker.PolicyTest{},
	"DryRunReport": broker.DryRunReport{}, "DryRunChange": broker.DryRunChange{}, "Decision": broker.Decision{}, "Explanation": broker.Explanation{},
	"Replay": broker.Replay{}, "ReplayedDecision": broker.ReplayedDecision{},
	"DecisionInput": broker.DecisionInput{}, "CallerFacts": broker.CallerFacts{}, "MunicipalityFacts": broker.MunicipalityFacts{},
	"HouseholdFacts": broker.HouseholdFacts{}, "HouseholdSummary": broker.HouseholdSummary{}, "HouseholdList": broker.HouseholdList{}, "SubjectFacts": broker.SubjectFacts{}, "ConsentFacts": broker.ConsentFacts{},
	"PartnerFacts": broker.PartnerFacts{}, "Candidate": broker.Candidate{},
	"AuditEntry": broker.AuditEntry{}, "Disclosure": broker.Disclosure{}, "AuditVerification": broker.AuditVerification{},
	"AuditProblem": broker.AuditProblem{}, "SubjectAccessReport": broker.SubjectAccessReport{}, "SubjectAccessRow": broker.SubjectAccessRow{},
	"InvolvementInput": broker.InvolvementInput{}, "InvolvementView": broker.InvolvementView{}, "InvolvementPage": broker.InvolvementPage{},
	"Contact": broker.Contact{}, "SyncResult": broker.SyncResult{}, "SyncRejection": broker.SyncRejection{},
	"HouseholdInput": broker.HouseholdInput{}, "MemberInput": broker.MemberInput{}, "HouseholdView": broker.HouseholdView{},
	"MemberView": broker.MemberView{}, "Overview": broker.Overview{}, "MemberOverview": broker.MemberOverview{},
	"ShownInvolvement": broker.ShownInvolvement{}, "InboxView": broker.InboxView{}, "InboxPage": broker.InboxPage{},
	"PartnerRequest": PartnerRequest{}, "ConsentRequest": ConsentRequest{}, "PersonRequest": PersonRequest{}, "LookupRequest": LookupRequest{}, "AuditEntryList": broker.AuditPage{}, "BuildInfo": protocol.BuildInfo{}, "PurposeList": PurposeList{}, "RejectRequest": RejectRequest{}, "PurposeChoice": broker.PurposeChoice{}, "ProcessingRegister": broker.ProcessingRegister{}, "ProcessingActivity": broker.ProcessingActivity{}, "RegisterParty": broker.RegisterParty{},
	"Configuration": Configuration{}, "Problem": Problem{},
	"PersonKey": broker.PersonKey{}, "PersonKeyRequest": PersonKeyRequest{}, "PersonKeyList": struct {
		Partner string             `json:"partner"`
		Persons []broker.PersonKey `json:"persons"`
	}{},
	"SyncLine":    syncLine{},
	"LoginConfig": broker.LoginConfig{}, "LoginConfigRequest": LoginConfigRequest{}, "RoleMapping": broker.RoleMapping{},
	// Assignments, plans and webhook deliveries (levels 3 and 4).
	"AssignmentRequest": AssignmentRequest{}, "StepRequest": StepRequest{}, "AgreementStatusRequest": AgreementStatusRequest{},
	"AssignmentView": broker.AssignmentView{}, "AssignmentStep": broker.AssignmentStep{}, "AssignmentList": broker.AssignmentList{},
	"PlanInput": broker.PlanInput{}, "Goal": broker.Goal{}, "Agreement": broker.Agreement{}, "AgreementView": broker.AgreementView{},
	"PlanView": broker.PlanView{}, "PlanHistory": broker.PlanHistory{}, "PlanVersion": broker.PlanVersion{},
	"PlanSignal": broker.PlanSignal{}, "Delivery": broker.Delivery{}, "DeadLetter": broker.DeadLetter{},
	"DeadLetterList": broker.DeadLetterList{}, "AssignmentFacts": broker.AssignmentFacts{}, "PlanFacts": broker.PlanFacts{},
	// The data subject's rights and breach support.
	"RestrictionRequest": RestrictionRequest{}, "LiftRequest": LiftRequest{},
	"RestrictionView": broker.RestrictionView{}, "RestrictionList": broker.RestrictionList{},
	"RestrictionFacts": broker.RestrictionFacts{},
	"DisclosureQuery":  broker.DisclosureQuery{}, "DisclosureReport": broker.DisclosureReport{},
	"DisclosureRow": broker.DisclosureRow{}, "RectificationSignal": broker.RectificationSignal{},
	"InformSignal": broker.InformSignal{}, "InformMember": broker.InformMember{},
	// Match follow-ups.
	"FollowupView": broker.FollowupView{}, "FollowupList": broker.FollowupList{}, "FollowupStep": broker.FollowupStep{},
	"FollowupContact": broker.FollowupContact{}, "FollowupSignal": broker.FollowupSignal{},
	"FollowupFacts": broker.FollowupFacts{}, "ContactRequest": ContactRequest{}, "CloseRequest": CloseRequest{},
	"ReassignRequest": ReassignRequest{},
	// The bulk match-signal question of a sync chunk.
	"SignalGroup": broker.SignalGroup{},
}

// knownDrift lists members that encoding/json sends but the document, as
// the intended contract, leaves out. Each is a reported bug.
var knownDrift = map[string]map[string]string{
	// ConsentView.Subject is never set: it shadows the embedded
	// Consent.Subject so that the pseudonym is not sent.
	"ConsentView": {"subject": "broker/consents.go"},
	// Likewise RestrictionView.Subject.
	"RestrictionView": {"subject": "broker/restriction.go"},
}

// jsonMembers returns the members encoding/json writes for struct type t,
// and whether each may be left out (omitempty).
func jsonMembers(t reflect.Type) map[string]bool {
	type cand struct {
		depth     int
		omitempty bool
		tagged    bool
	}
	best := map[string][]cand{}
	var walk func(t reflect.Type, depth int)
	walk = func(t reflect.Type, depth int) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			tag := f.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			if f.Anonymous && name == "" {
				ft := f.Type
				if ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				if ft.Kind() == reflect.Struct {
					walk(ft, depth+1)
					continue
				}
			}
			if !f.IsExported() {
				continue
			}
			if name == "" {
				name = f.Name
			}
			best[name] = append(best[name], cand{depth: depth, omitempty: strings.Contains(opts, "omitempty"), tagged: tag != ""})
		}
	}
	walk(t, 0)
	out := map[string]bool{}
	for name, cs := range best {
		sort.Slice(cs, func(i, j int) bool { return cs[i].depth < cs[j].depth })
		if len(cs) > 1 && cs[0].depth == cs[1].depth && cs[0].tagged == cs[1].tagged {
			continue // ambiguous: encoding/json drops it
		}
		out[name] = cs[0].omitempty
	}
	return out
}

// TestOpenAPISchemasMatchTypes checks that each schema of a Go type lists
// exactly the members encoding/json writes, and, for response schemas,
// requires exactly the members without omitempty.
func TestOpenAPISchemasMatchTypes(t *testing.T) {
	doc, _ := loadDoc(t)
	for name, v := range schemaTypes {
		t.Run(name, func(t *testing.T) {
			s, ok := doc.Components.Schemas[name]
			if !ok {
				t.Fatalf("no schema %s", name)
			}
			props, _ := s["properties"].(map[string]any)
			members := jsonMembers(reflect.TypeOf(v))
			for m := range knownDrift[name] {
				if _, still := members[m]; !still {
					t.Errorf("%s.%s no longer drifts: remove it from knownDrift", name, m)
				}
				delete(members, m)
			}
			for m := range members {
				if _, ok := props[m]; !ok {
					t.Errorf("member %s of %s is not in the schema", m, name)
				}
			}
			for p := range props {
				if _, ok := members[p]; !ok {
					t.Errorf("the schema lists %s, which %s does not have", p, name)
				}
			}
			if s["additionalProperties"] == false {
				return // a request schema: required is what the broker demands
			}
			var required []string
			req, _ := s["required"].([]any)
			for _, r := range req {
				required = append(required, r.(string))
			}
			for m, omitempty := range members {
				if !omitempty && !slices.Contains(required, m) {
					t.Errorf("%s.%s is always sent but not required", name, m)
				}
			}
		})
	}
	// Every schema named like a Go type is checked.
	for name, s := range doc.Components.Schemas {
		if _, ok := schemaTypes[name]; !ok && s["type"] == "object" && s["additionalProperties"] == false &&
			!slices.Contains([]string{"KeysRequest", "WithdrawConsentRequest", "EndInvolvementRequest", "PersonOverviewRequest"}, name) {
			t.Errorf("request schema %s is not tied to a Go type in schemaTypes", name)
		}
	}
}

// The one served document holds the collaboration routes.
func TestOpenAPIHoldsCollaborationRoutes(t *testing.T) {
	var doc openAPIDoc
	if err := json.Unmarshal(OpenAPI(), &doc); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/v1/assignments", "/v1/households/{id}/plan", "/v1/webhooks/dead-letters", "/v1/restrictions",
		"/v1/followups", "/v1/followups/{id}/reassign"} {
		if doc.Paths[p] == nil {
			t.Errorf("no path %s in the served document", p)
		}
	}
}
