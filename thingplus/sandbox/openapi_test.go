package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
)

// The contract check: every sandbox built by this package's test helpers
// serves through validating, which checks each /v2 response against
// openapi.json (the document the sandbox serves at /v2/openapi.json) and
// fails the test on a mismatch. TestMain reports how many were checked.

var (
	contractOnce   sync.Once
	contractDoc    *openapi3.T
	contractRouter routers.Router
	contractErr    error
	validatedCount atomic.Int64
)

func TestMain(m *testing.M) {
	code := m.Run()
	fmt.Printf("contract: %d sandbox responses validated against openapi.json\n", validatedCount.Load())
	os.Exit(code)
}

func loadContract() (*openapi3.T, routers.Router, error) {
	contractOnce.Do(func() {
		loader := openapi3.NewLoader()
		contractDoc, contractErr = loader.LoadFromData(openAPIDoc)
		if contractErr == nil {
			contractErr = contractDoc.Validate(context.Background())
		}
		if contractErr == nil {
			// Route on paths alone: the test strips the /v2 server prefix.
			bare := *contractDoc
			bare.Servers = nil
			contractRouter, contractErr = legacy.NewRouter(&bare)
		}
	})
	return contractDoc, contractRouter, contractErr
}

// validating wraps a sandbox handler: it records each response, checks it
// against the contract, then hands it on unchanged.
func validating(t testing.TB, h http.Handler) http.Handler {
	if _, _, err := loadContract(); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if strings.HasPrefix(r.URL.Path, "/v2/") {
			if err := checkResponse(r, rec); err != nil {
				t.Errorf("contract: %s %s → %d: %v\nbody: %.400s", r.Method, r.URL.Path, rec.Code, err, rec.Body.String())
			}
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	})
}

func checkResponse(r *http.Request, rec *httptest.ResponseRecorder) error {
	validatedCount.Add(1)
	doc, router, _ := loadContract()
	req := r.Clone(context.Background())
	req.URL.Path = strings.TrimPrefix(req.URL.Path, "/v2")
	req.URL.RawPath = ""
	route, params, err := router.FindRoute(req)
	if err != nil {
		// A route the contract does not list must be the 404 envelope.
		if rec.Code != http.StatusNotFound {
			return fmt.Errorf("undocumented route answered %d (%v)", rec.Code, err)
		}
		var v any
		if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
			return err
		}
		return doc.Components.Schemas["V2Error"].Value.VisitJSON(v)
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{ExcludeRequestBody: true, AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
	return openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: rec.Code, Header: rec.Header(),
		Body:    io.NopCloser(bytes.NewReader(rec.Body.Bytes())),
		Options: &openapi3filter.Options{IncludeResponseStatus: true},
	})
}

// The sandbox serves its contract, and the contract is a valid OpenAPI 3
// document that names every route the sandbox serves under /v2.
func TestOpenAPIServedAndComplete(t *testing.T) {
	_, c := newDevSandbox(t, devOptions(nil))
	r := c.anonymous().call("GET", "/v2/openapi.json", "")
	if r.status != 200 || !bytes.Equal(r.raw, openAPIDoc) {
		t.Fatalf("GET /v2/openapi.json: %d", r.status)
	}
	doc, _, err := loadContract()
	if err != nil {
		t.Fatal(err)
	}
	for _, route := range sandboxV2Routes(t) {
		method, path, _ := strings.Cut(route, " ")
		path = strings.TrimPrefix(path, "/v2")
		for _, name := range []string{"{id}", "{owner}"} {
			if strings.HasPrefix(path, "/gateways/"+name) {
				path = "/gateways/{gw}" + strings.TrimPrefix(path, "/gateways/"+name)
			}
		}
		item := doc.Paths.Find(path)
		if item == nil || item.GetOperation(method) == nil {
			t.Errorf("route %s is not in openapi.json", route)
		}
	}
}

// sandboxV2Routes reads the route patterns ("GET /v2/gateways/{id}") the
// package's sources register.
func sandboxV2Routes(t *testing.T) []string {
	files, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`"((?:GET|POST|PUT|DELETE) /v2/[^"]+)"`)
	var out []string
	for _, f := range files {
		if !strings.HasSuffix(f.Name(), ".go") || strings.HasSuffix(f.Name(), "_test.go") {
			continue
		}
		src, err := os.ReadFile(f.Name())
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllStringSubmatch(string(src), -1) {
			out = append(out, m[1])
		}
	}
	if len(out) < 50 {
		t.Fatalf("found only %d routes", len(out))
	}
	return out
}
