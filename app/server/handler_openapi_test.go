package server_test

import (
	"bytes"
	"encoding/json"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/aiwfe/aiwfe/app/server"
	"github.com/aiwfe/aiwfe/app/server/servertest"
)

type openAPIDoc struct {
	OpenAPI string                                `json:"openapi"`
	Paths   map[string]map[string]json.RawMessage `json:"paths"`
}

// docs/openapi.json is a copy of the embedded canonical file.
func TestOpenAPIDocsCopy(t *testing.T) {
	docs, err := os.ReadFile("../../docs/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(docs, server.OpenAPI()) {
		t.Fatal("docs/openapi.json differs from app/server/openapi.json; run: cp app/server/openapi.json docs/openapi.json")
	}
}

func TestOpenAPIServedAndValid(t *testing.T) {
	srv := servertest.Start(t)
	res := srv.Client(t).Get("/api/v1/openapi.json")
	if res.Status != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("openapi.json: %d %s", res.Status, res.Header.Get("Content-Type"))
	}
	var raw map[string]any
	res.JSON(t, &raw)
	if raw["openapi"] != "3.1.0" {
		t.Fatalf("openapi = %v", raw["openapi"])
	}
	info, _ := raw["info"].(map[string]any)
	if info["title"] == nil || info["version"] == nil {
		t.Fatal("info needs title and version")
	}
	// Every $ref points at a component that exists.
	comps, _ := raw["components"].(map[string]any)
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if ref, ok := x["$ref"].(string); ok {
				parts := strings.Split(strings.TrimPrefix(ref, "#/components/"), "/")
				group, _ := comps[parts[0]].(map[string]any)
				if len(parts) != 2 || group[parts[1]] == nil {
					t.Errorf("dangling $ref %s", ref)
				}
			}
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(raw)
	if _, ok := comps["schemas"].(map[string]any)["Error"]; !ok {
		t.Error("no Error schema")
	}
	// Every operation answers something, and path parameters are declared.
	var doc openAPIDoc
	res.JSON(t, &doc)
	for p, ops := range doc.Paths {
		for m, raw := range ops {
			var o struct {
				Responses  map[string]any `json:"responses"`
				Parameters []struct {
					Name string `json:"name"`
					In   string `json:"in"`
				} `json:"parameters"`
			}
			json.Unmarshal(raw, &o)
			if len(o.Responses) == 0 {
				t.Errorf("%s %s has no responses", m, p)
			}
			for _, want := range regexp.MustCompile(`\{(\w+)\}`).FindAllStringSubmatch(p, -1) {
				found := false
				for _, prm := range o.Parameters {
					found = found || (prm.Name == want[1] && prm.In == "path")
				}
				if !found {
					t.Errorf("%s %s does not declare path parameter %s", m, p, want[1])
				}
			}
		}
	}
}

// The spec and the route table list the same /api endpoints. When you add
// a route under /api, add its path and method to app/server/openapi.json
// and copy the file to docs/openapi.json.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	srv := servertest.Start(t)
	var doc openAPIDoc
	if err := json.Unmarshal(server.OpenAPI(), &doc); err != nil {
		t.Fatal(err)
	}
	inSpec := map[string]bool{}
	for p, ops := range doc.Paths {
		for m := range ops {
			switch m {
			case "get", "put", "post", "delete", "patch", "options", "head", "trace":
				inSpec[strings.ToUpper(m)+" "+p] = true
			}
		}
	}
	// A parameter may carry a constraint (:id<int>).
	param := regexp.MustCompile(`:(\w+)(<[^>]*>)?\??`)
	registered := map[string]bool{}
	for _, r := range srv.Server.Fiber().GetRoutes(true) {
		// Catch-alls (the JSON 404, WebSocket prefixes) are not endpoints.
		if !strings.HasPrefix(r.Path, "/api/") || strings.Contains(r.Path, "*") || r.Method == "HEAD" || r.Method == "USE" {
			continue
		}
		registered[r.Method+" "+param.ReplaceAllString(r.Path, "{$1}")] = true
	}
	var missing, stale []string
	for k := range registered {
		if !inSpec[k] {
			missing = append(missing, k)
		}
	}
	for k := range inSpec {
		if !registered[k] {
			stale = append(stale, k)
		}
	}
	sort.Strings(missing)
	sort.Strings(stale)
	if len(missing) > 0 {
		t.Errorf("routes missing from app/server/openapi.json:\n  %s", strings.Join(missing, "\n  "))
	}
	if len(stale) > 0 {
		t.Errorf("paths in app/server/openapi.json that no route serves:\n  %s", strings.Join(stale, "\n  "))
	}
}
