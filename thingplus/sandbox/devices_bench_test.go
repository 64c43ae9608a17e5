package sandbox

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// BenchmarkDevicesNew is the cost of New: the seed and a week of history.
func BenchmarkDevicesNew(b *testing.B) {
	for b.Loop() {
		New(Options{Seed: 1, SimulatorPace: -1}).Close()
	}
}

// BenchmarkDevicesList1000 is GET /v2/gateways for 1,000 gateways over loopback.
func BenchmarkDevicesList1000(b *testing.B) {
	for _, q := range []string{"", "?embed=status"} {
		b.Run("q="+q, func(b *testing.B) {
			sb := New(Options{Seed: 1, SimulatorPace: -1})
			defer sb.Close()
			u, err := sb.CreateUser("bulk", "bulk@example.com", "Bulk", "bulk")
			if err != nil {
				b.Fatal(err)
			}
			if _, err := sb.SeedGateways(u.ID, 1000); err != nil {
				b.Fatal(err)
			}
			tok, err := sb.issueToken(u.ID, "", time.Hour)
			if err != nil {
				b.Fatal(err)
			}
			srv := httptest.NewServer(sb.Handler())
			defer srv.Close()
			var size int64
			for b.Loop() {
				req, _ := http.NewRequest("GET", srv.URL+"/v2/gateways"+q, nil)
				req.Header.Set("Authorization", "Bearer "+tok)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				size, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					b.Fatalf("status %d", resp.StatusCode)
				}
			}
			b.ReportMetric(float64(size), "body-bytes")
		})
	}
}
