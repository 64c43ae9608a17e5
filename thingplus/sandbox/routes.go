package sandbox

import "net/http"

// routes is the sandbox's whole route table: each area adds its own.
func (s *Sandbox) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	s.auth.routes(mux)
	s.devices.routes(mux)
	s.rules.routes(mux)
	return mux
}
