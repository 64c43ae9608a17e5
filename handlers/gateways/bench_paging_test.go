package gateways

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// The table fragment (htmx, the 15 s poll) of a 4,000-gateway account, full
// request over loopback to the Thing+ stand-in, uncached: the default view
// (Thing+ makes the page) and a status filter (judged here: every gateway
// is read, one page rendered). Reports the fragment's bytes.
//
//	go test -run '^$' -bench Fragment4000 -benchtime 20x ./handlers/gateways/
func BenchmarkFragment4000(b *testing.B) {
	up := newUpstream(b, 4000, time.Now())
	srv := httptest.NewServer(app(New(up.client(), Options{}), demoUser(), goodToken))
	b.Cleanup(srv.Close)
	for _, bc := range []struct{ name, path string }{
		{"default", "/gateways"}, {"page40", "/gateways?page=40"}, {"status-on", "/gateways?status=on"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			req, _ := http.NewRequest(http.MethodGet, srv.URL+bc.path, nil)
			req.Header.Set("HX-Request", "true")
			var n int64
			b.ReportAllocs()
			for b.Loop() {
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				n, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Fatalf("status %d", resp.StatusCode)
				}
			}
			b.ReportMetric(float64(n), "bytes/fragment")
		})
	}
}
