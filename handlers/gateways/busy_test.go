package gateways

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/thingplus/thingplus-webapp/views/text"
)

// Thing+ answers one endpoint (a gateway's sensors) with 429 and
// Retry-After: 30 over real HTTP: the gateway page still renders, with its
// row, and the part that did not arrive says Thing+ is busy and for how
// long, not just "unavailable"; the same in Korean.
func TestBusyPartSaysSo(t *testing.T) {
	hs := newHarness(t, 3)
	hs.up.setMode(modeBusySensors)
	hs.eng.ContextWithFallback = true // as the app's routes: the language rides on the request's context
	id := "b827ebd0a001"
	for _, tc := range []struct{ lang, want string }{
		{"en", "Thing+ is busy — try again in 30 s."},
		{"ko", "Thing+가 바쁩니다. 30초 후에 다시 시도해 주십시오."},
	} {
		for _, path := range []string{"/gateways/" + id, "/gateways/" + id + "/live", "/gateways?open=" + id} {
			lang, _ := text.ParseLang(tc.lang)
			req := httptest.NewRequest(http.MethodGet, path, nil)
			req = req.WithContext(text.WithLang(req.Context(), lang))
			if strings.HasSuffix(path, "/live") {
				req.Header.Set("HX-Request", "true")
			}
			rec := httptest.NewRecorder()
			hs.eng.ServeHTTP(rec, req)
			r := parse(t, rec)
			if r.Code != http.StatusOK && r.Code != http.StatusServiceUnavailable {
				t.Fatalf("%s %s: status %d", tc.lang, path, r.Code)
			}
			if !strings.Contains(r.Body.String(), id) {
				t.Errorf("%s %s: the gateway itself is missing", tc.lang, path)
			}
			got := strings.TrimSpace(r.doc.Find(`[data-testid="gw-detail-notice"]`).First().Text())
			if got != tc.want {
				t.Errorf("%s %s: part says %q, want %q", tc.lang, path, got, tc.want)
			}
		}
	}
	// The whole list busy: the panel says so in place (503, htmx swaps it).
	hs.up.setMode(modeBusy)
	r := hs.get("/gateways?page=2&q=x", true)
	if got := strings.TrimSpace(r.doc.Find(`[data-testid="gw-notice"]`).Text()); r.Code != http.StatusServiceUnavailable || got != "Thing+ is busy — try again in 30 s." {
		t.Errorf("list: %d %q", r.Code, got)
	}
	// Down, not busy: the panel's own "unavailable".
	hs.up.setMode(modeFail)
	r = hs.get("/gateways?page=3&q=y", true)
	if got := strings.TrimSpace(r.doc.Find(`[data-testid="gw-notice"]`).Text()); !strings.Contains(got, "unavailable") {
		t.Errorf("down: %q", got)
	}
}
