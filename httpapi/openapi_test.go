package httpapi

import (
	"encoding/json"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/leadscore/leadscore/httpapi/internal/fakesvc"
)

func fetchOpenAPI(t *testing.T) (*server, map[string]any) {
	t.Helper()
	s := NewServer(Config{Service: fakesvc.New(time.Time{})}).(*server)
	w := httptest.NewRecorder()
	s.ServeHTTP(w, httptest.NewRequest("GET", "/api/v1/openapi.json", nil))
	if w.Code != 200 || w.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("openapi.json: %d %s", w.Code, w.Header().Get("Content-Type"))
	}
	var doc map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	return s, doc
}

// TestOpenAPICoversEveryRoute holds the document and the router to each
// other: every registered route is documented with its method, and every
// documented operation is a route the server answers.
func TestOpenAPICoversEveryRoute(t *testing.T) {
	s, doc := fetchOpenAPI(t)
	if doc["openapi"] != "3.1.0" {
		t.Errorf("openapi %v", doc["openapi"])
	}
	paths, _ := doc["paths"].(map[string]any)
	registered := map[string]bool{}
	for _, rt := range s.routes {
		registered[rt.pattern()] = true
		// The route must be what the mux serves for that path.
		path := strings.NewReplacer("{id}", "x", "{name}", "y", "{version}", "z").Replace(rt.path)
		if _, pat := s.mux.Handler(httptest.NewRequest(rt.method, path, nil)); pat != rt.pattern() {
			t.Errorf("%s: the mux serves %q", rt.pattern(), pat)
		}
		item, _ := paths[rt.path].(map[string]any)
		op, _ := item[strings.ToLower(rt.method)].(map[string]any)
		if op == nil {
			t.Errorf("%s is not in the OpenAPI document", rt.pattern())
			continue
		}
		if _, ok := op["responses"].(map[string]any); !ok {
			t.Errorf("%s has no responses", rt.pattern())
		}
		sec, _ := op["security"].([]any)
		switch rt.auth {
		case authBearer:
			if op["x-scope"] != string(rt.scope) || len(sec) != 1 {
				t.Errorf("%s documents scope %v and security %v, the route needs %s", rt.pattern(), op["x-scope"], sec, rt.scope)
			}
		case authNone:
			if len(sec) != 0 {
				t.Errorf("%s needs no key but documents %v", rt.pattern(), sec)
			}
		}
	}
	for path, item := range paths {
		for method := range item.(map[string]any) {
			if p := strings.ToUpper(method) + " " + path; !registered[p] {
				t.Errorf("the document has %s, which is no route", p)
			}
		}
	}
	if len(registered) < 30 {
		t.Errorf("only %d routes", len(registered))
	}
}

// TestOpenAPIRefsResolve checks that every $ref points at a component.
func TestOpenAPIRefsResolve(t *testing.T) {
	_, doc := fetchOpenAPI(t)
	comps := doc["components"].(map[string]any)
	var walk func(v any, at string)
	n := 0
	walk = func(v any, at string) {
		switch v := v.(type) {
		case map[string]any:
			if r, ok := v["$ref"].(string); ok {
				n++
				parts := strings.Split(strings.TrimPrefix(r, "#/components/"), "/")
				group, _ := comps[parts[0]].(map[string]any)
				if len(parts) != 2 || group[parts[1]] == nil {
					t.Errorf("%s: dangling $ref %s", at, r)
				}
			}
			for k, c := range v {
				walk(c, at+"/"+k)
			}
		case []any:
			for _, c := range v {
				walk(c, at)
			}
		}
	}
	walk(doc, "")
	if n < 50 {
		t.Errorf("only %d refs: the document is thinner than expected", n)
	}
	schemas := comps["schemas"].(map[string]any)
	lead := schemas["Lead"].(map[string]any)
	props := lead["properties"].(map[string]any)
	for _, f := range []string{"id", "email", "first_name", "account_id", "fields", "created_at"} {
		if props[f] == nil {
			t.Errorf("Lead lacks %s", f)
		}
	}
	if req, _ := lead["required"].([]any); !slices.Contains(req, any("id")) || slices.Contains(req, any("email")) {
		t.Errorf("Lead required %v", lead["required"])
	}
	if schemas["LeadInput"].(map[string]any)["required"] != nil {
		t.Error("LeadInput has required fields")
	}
	key := schemas["NewAPIKey"].(map[string]any)["properties"].(map[string]any)
	if key["secret"] == nil || key["scopes"] == nil || key["Hash"] != nil || key["hash"] != nil {
		t.Errorf("NewAPIKey properties %v", key)
	}
}
