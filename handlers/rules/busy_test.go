package rules

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/thingplus/thingplus-webapp/apptest"
	"github.com/thingplus/thingplus-webapp/rulehistory"
)

// gate answers the requests hs.busy picks with Thing+'s 429 and
// Retry-After: 30, and passes the rest to the sandbox: a busy Thing+ on
// loopback, one endpoint at a time.
func (hs *harness) gate(next http.Handler) http.Handler {
	return apptest.BusyGate(func(r *http.Request) bool {
		f := hs.busy.Load()
		return f != nil && (*f)(r)
	}, next)
}

// busyOn makes Thing+ busy for one method and path (a trailing "*" takes
// the path as a prefix, a leading "*" as a suffix).
func busyOn(method, path string) func(*http.Request) bool {
	return func(r *http.Request) bool {
		if r.Method != method {
			return false
		}
		switch {
		case strings.HasSuffix(path, "*"):
			return strings.HasPrefix(r.URL.Path, strings.TrimSuffix(path, "*"))
		case strings.HasPrefix(path, "*"):
			return strings.HasSuffix(r.URL.Path, strings.TrimPrefix(path, "*"))
		}
		return r.URL.Path == path
	}
}

var busyText = map[string]string{
	"en": "Thing+ is busy — try again in 30 s.",
	"ko": "Thing+가 바쁩니다. 30초 후에 다시 시도해 주십시오.",
}

// Thing+ answers the one endpoint a panel needs with 429 + Retry-After: 30:
// the rules list, the events page, the rule form (its sensor picker, a
// save, an edit) and the dry run each still answer with their panel (page
// and htmx fragment), in their documented status, saying Thing+ is busy
// and for how long, in English and in Korean; a save keeps the input.
func TestBusyPanelsSaySo(t *testing.T) {
	type tc struct {
		name         string
		busy         func(*http.Request) bool
		method, path string
		form         url.Values
		target       hx
		status       int
		testid       string // the element that says it ("" = anywhere in the body)
	}
	cases := []tc{
		{"list page", busyOn("GET", "/v2/rules"), "GET", "/rules", nil, "", 503, "rules-stale"},
		{"list fragment", busyOn("GET", "/v2/rules"), "GET", "/rules?sort=name", nil, targetTables, 503, "rules-stale"},
		{"events page", busyOn("GET", "/v2/timelines"), "GET", "/events", nil, "", 503, "events-stale"},
		{"events fragment", busyOn("GET", "/v2/timelines"), "GET", "/events?severity=", nil, targetEvents, 503, "events-stale"},
		{"form picker", busyOn("GET", "/v2/gateways"), "GET", "/rules/new", nil, "", 200, "picker-down"},
		{"form save", busyOn("POST", "/v2/rules"), "POST", "/rules", validForm(), "rule-form", 503, "upstream-error"},
		{"form save no-JS", busyOn("POST", "/v2/rules"), "POST", "/rules", validForm(), "", 503, "upstream-error"},
		{"edit form", busyOn("GET", "/v2/rules/*"), "GET", "/rules/{id}/edit", nil, "", 503, ""},
		{"dry run", busyOn("GET", "*/series"), "POST", "/rules", hotForm(), targetDryRun, 503, "dry-unavailable"},
		{"dry run no-JS", busyOn("GET", "*/series"), "POST", "/rules", hotForm(), "", 503, "dry-unavailable"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			hs := newHarness(t)
			hs.h.WithDryRun(hs.c)
			path := c.path
			if strings.Contains(path, "{id}") {
				rules, err := hs.c.ListRules(context.Background(), hs.token)
				if err != nil || len(rules) == 0 {
					t.Fatalf("no rule to edit: %v", err)
				}
				path = strings.Replace(path, "{id}", rules[0].ID, 1)
			}
			hs.busy.Store(&c.busy)
			for _, lang := range []string{"en", "ko"} {
				r := hs.do(c.method, path, c.form, c.target, "X-Test-Lang", lang)
				if r.Code != c.status {
					t.Fatalf("%s: status %d, want %d: %s", lang, r.Code, c.status, r.Body)
				}
				if c.target != "" && r.page() {
					t.Errorf("%s: a whole page for an htmx request", lang)
				}
				got := r.Body.String()
				if c.testid != "" {
					if r.find(c.testid).Length() == 0 {
						t.Fatalf("%s: no %s in the answer: %s", lang, c.testid, r.Body)
					}
					got = strings.Join(strings.Fields(r.find(c.testid).Text()), " ")
				}
				if !strings.Contains(got, busyText[lang]) {
					t.Errorf("%s: %q does not say %q", lang, got, busyText[lang])
				}
				if c.form != nil && c.target != targetDryRun {
					if v, _ := r.doc.Find(`input[name="name"]`).Attr("value"); v != c.form.Get("name") {
						t.Errorf("%s: the typed name was lost: %q", lang, v)
					}
				}
			}
		})
	}
}

// lostHistory is a rule history that cannot keep a snapshot.
type lostHistory struct{ History }

func (lostHistory) Record(context.Context, rulehistory.Version) (rulehistory.Version, error) {
	return rulehistory.Version{}, errors.New("disk full")
}

// A save that did not reach Thing+ (it was busy, or the snapshot before the
// change could not be kept) says what happened, not "Thing+ refused the
// rule"; the input stays.
func TestSaveNotRefusedSaysWhatHappened(t *testing.T) {
	hs := newHarness(t)
	rules, err := hs.c.ListRules(context.Background(), hs.token)
	if err != nil || len(rules) == 0 {
		t.Fatalf("no rule to edit: %v", err)
	}
	hs.h.WithHistory(lostHistory{})
	r := hs.do("POST", "/rules/"+rules[0].ID, validForm(), "rule-form")
	got := strings.Join(strings.Fields(r.find("upstream-error").Text()), " ")
	if r.Code != http.StatusServiceUnavailable || got != "The rule's current state could not be saved to the history, so nothing was changed. Try again in a moment." {
		t.Errorf("snapshot lost: %d %q", r.Code, got)
	}
	if v, _ := r.doc.Find(`input[name="name"]`).Attr("value"); v != validForm().Get("name") {
		t.Errorf("the typed name was lost: %q", v)
	}
	if after := hs.rule(rules[0].ID); after.Name != rules[0].Name {
		t.Errorf("the rule changed although its snapshot was not kept: %q", after.Name)
	}
}
