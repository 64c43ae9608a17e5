package handlers_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/thingplus/thingplus-webapp/apptest"
)

// busyGate answers GETs of the given paths as a busy Thing+ does (429,
// Retry-After: 30) and passes everything else to the sandbox.
func busyGate(paths []string, next http.Handler) http.Handler {
	return apptest.BusyGate(func(r *http.Request) bool {
		return r.Method == http.MethodGet && slices.Contains(paths, r.URL.Path)
	}, next)
}

// Thing+ answers the overview's three calls (gateways, rules, firings) with
// 429 + Retry-After: 30: the signed-in home page still renders (200), and
// each of its Thing+ cards says Thing+ is busy and for how long, in the
// language the browser asks for or the one chosen with the lang cookie.
func TestHomeCardsSayThingplusIsBusy(t *testing.T) {
	e := newEnv(t, envOpts{memory: true, overview: true, busy: []string{"/v2/gateways", "/v2/rules", "/v2/timelines"}})
	b := apptest.NewBrowser(t)
	e.signIn(b, "")
	for _, tc := range []struct {
		name    string
		headers []string
		want    string
	}{
		{"en", []string{"Accept-Language", "en-US,en;q=0.9"}, "Thing+ is busy — try again in 30 s."},
		{"ko", []string{"Accept-Language", "ko-KR,ko;q=0.9"}, "Thing+가 바쁩니다. 30초 후에 다시 시도해 주십시오."},
		{"ko cookie", []string{"Accept-Language", "en", "Cookie", "lang=ko"}, "Thing+가 바쁩니다. 30초 후에 다시 시도해 주십시오."},
	} {
		r := b.Get(e.app.URL+"/", tc.headers...)
		if r.StatusCode != http.StatusOK {
			t.Fatalf("%s: status %d", tc.name, r.StatusCode)
		}
		doc, err := goquery.NewDocumentFromReader(strings.NewReader(r.Body))
		if err != nil {
			t.Fatal(err)
		}
		for _, card := range []string{"ov-gateways", "ov-rules", "ov-firings"} {
			sel := doc.Find(`[data-testid="` + card + `"]`)
			if sel.Length() == 0 {
				t.Fatalf("%s: no %s card: %.600s", tc.name, card, r.Body)
			}
			if got := strings.Join(strings.Fields(sel.Text()), " "); !strings.Contains(got, tc.want) {
				t.Errorf("%s: %s says %q, want %q", tc.name, card, got, tc.want)
			}
		}
	}
}
