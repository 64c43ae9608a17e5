package sandbox

import "net/http"

// routes is the sandbox's whole route table: each area adds its own.
func (s *Sandbox) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /v2/openapi.json", serveOpenAPI)
	s.auth.routes(mux)
	s.devices.routes(mux)
	s.rules.routes(mux)
	s.extras.routes(mux)
	return routeFirst(mux)
}

// routeFirst is the first step of Thing+'s check order: a path or method it
// does not serve is the v2 error envelope with 404 NOT_FOUND, never Go's
// plain-text "404 page not found" or "405 Method Not Allowed".
func routeFirst(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := mux.Handler(r); pattern == "" {
			writeError(w, http.StatusNotFound, "NOT_FOUND", "no route "+r.Method+" "+r.URL.Path)
			return
		}
		mux.ServeHTTP(w, r)
	})
}
