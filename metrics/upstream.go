package metrics

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Transport wraps next (nil: http.DefaultTransport) so every call to Thing+
// is counted by endpoint template, method and status, with its latency.
func (m *Metrics) Transport(next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	if m == nil {
		return next
	}
	return roundTripper{m: m, next: next}
}

type roundTripper struct {
	m    *Metrics
	next http.RoundTripper
}

func (t roundTripper) RoundTrip(r *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := t.next.RoundTrip(r)
	code := "error"
	if err == nil {
		code = strconv.Itoa(resp.StatusCode)
	}
	t.m.upstream.WithLabelValues(Endpoint(r.URL.Path), knownMethod(r.Method), code).Observe(time.Since(start).Seconds())
	return resp, err
}

// fixedWords stand where an id could stand in a Thing+ path but are part of
// the endpoint's name.
var fixedWords = map[string]bool{"me": true, "token": true, "authorize": true, "decision": true}

// Endpoint turns a Thing+ path into a template of bounded cardinality:
// "/v2/gateways/abc/sensors/s1/series" → "/gateways/{id}/sensors/{id}/series".
// Thing+ paths alternate collection and id after the version prefix; the
// app builds every path itself, so collection names come from its code and
// only ids vary.
func Endpoint(path string) string {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	if len(segs) > 0 && len(segs[0]) >= 2 && segs[0][0] == 'v' && isDigits(segs[0][1:]) {
		segs = segs[1:]
	}
	if len(segs) > 8 {
		segs = append(segs[:8], "…")
	}
	var b strings.Builder
	for i, s := range segs {
		b.WriteByte('/')
		if i%2 == 1 && !fixedWords[s] {
			b.WriteString("{id}")
			continue
		}
		if len(s) > 32 {
			s = "{long}"
		}
		b.WriteString(s)
	}
	return b.String()
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

func codeLabel(code int) string { return strconv.Itoa(code) }
