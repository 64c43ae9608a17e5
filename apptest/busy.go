package apptest

import "net/http"

// BusyGate answers the requests busy says yes to as a busy Thing+ does
// (429 with Retry-After: 30 and the v2 error body) and passes the others
// to next: a Thing+ on loopback that is busy for some endpoints.
func BusyGate(busy func(r *http.Request) bool, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !busy(r) {
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Retry-After", "30")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusTooManyRequests)
		w.Write([]byte(`{"statusCode":429,"message":"Too Many Requests"}`))
	})
}
