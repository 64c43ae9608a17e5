package handlers_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"
	"golang.org/x/oauth2"

	"github.com/thingplus/thingplus-webapp/assets"
	"github.com/thingplus/thingplus-webapp/handlers"
	"github.com/thingplus/thingplus-webapp/handlers/session"
)

// benchEngine is the real route table with in-process sessions and the
// given public features.
func benchEngine(b *testing.B, public ...handlers.PublicFeature) (*gin.Engine, *assets.Assets) {
	gin.SetMode(gin.ReleaseMode)
	a := assets.New()
	return handlers.New(handlers.Deps{
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Assets: a,
		Sessions: session.New(session.Options{Secret: []byte(testSecret)}),
		OAuth:    &oauth2.Config{ClientID: "x", Endpoint: oauth2.Endpoint{AuthURL: "http://127.0.0.1:1/a", TokenURL: "http://127.0.0.1:1/t"}},
		Public:   public,
	}), a
}

// BenchmarkServeGzip serves vendored htmx and the home page to a browser
// that accepts gzip, through the whole middleware chain; it reports the
// bytes on the wire per request next to the CPU time.
func BenchmarkServeGzip(b *testing.B) {
	engine, a := benchEngine(b)
	for _, bc := range []struct{ name, path string }{
		{"htmx", a.Path("vendor/htmx-2.0.11.min.js")},
		{"app.css", a.Path("app.css")},
		{"home", "/"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			req := httptest.NewRequest(http.MethodGet, bc.path, nil)
			req.Header.Set("Accept-Encoding", "gzip, deflate, br")
			var wire int
			b.ReportAllocs()
			for b.Loop() {
				w := httptest.NewRecorder()
				engine.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatalf("%s: %d", bc.path, w.Code)
				}
				wire = w.Body.Len()
			}
			b.ReportMetric(float64(wire), "wire-bytes")
		})
	}
}
