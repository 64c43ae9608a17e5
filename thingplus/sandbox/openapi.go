package sandbox

import (
	_ "embed"
	"net/http"
)

// openAPIDoc is the sandbox's API contract (OpenAPI 3): every endpoint it
// serves, with the request and response shapes of the fact sheet. The test
// suite validates every response the sandbox gives against it.
//
//go:embed openapi.json
var openAPIDoc []byte

// OpenAPI returns the contract, for tests in other packages.
func OpenAPI() []byte { return openAPIDoc }

func serveOpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, _ = w.Write(openAPIDoc)
}
