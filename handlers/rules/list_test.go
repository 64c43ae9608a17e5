package rules

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/thingplus/thingplus-webapp/thingplus"
)

func TestListPage(t *testing.T) {
	hs := newHarness(t)
	r := hs.do("GET", "/rules", nil, "")
	if r.Code != http.StatusOK {
		t.Fatalf("status %d", r.Code)
	}
	if !r.page() {
		t.Fatal("a plain request must get the whole page")
	}
	rules := r.doc.Find(`[data-testid="rules-table"] [data-testid="rule-row"]`)
	templates := r.doc.Find(`[data-testid="templates-table"] [data-testid="rule-row"]`)
	// Time policy: a list, to the minute, in the user's zone (+9.00) named
	// once in the header; datetime carries the offset.
	if h := r.find("rules-modified-head").Text(); h != "Last modified (KST)" {
		t.Fatalf("modified header %q", h)
	}
	mods := r.doc.Find(`[data-testid="rule-modified"]`)
	if mods.Length() == 0 {
		t.Fatal("no modified times")
	}
	mods.Each(func(_ int, s *goquery.Selection) {
		at, err := time.Parse(time.RFC3339, s.AttrOr("datetime", ""))
		if err != nil || !strings.HasSuffix(s.AttrOr("datetime", ""), "+09:00") || s.Text() != at.Format("2006-01-02 15:04") {
			t.Errorf("modified %q datetime %q (%v)", s.Text(), s.AttrOr("datetime", ""), err)
		}
	})
	// 25 rules: the first page shows 20 of them, by name
	if rules.Length() != 20 || templates.Length() != 1 {
		t.Fatalf("%d rules, %d templates", rules.Length(), templates.Length())
	}
	if got := strings.TrimSpace(r.find("rules-count").Text()); got != "Showing rules 1–20 of 25 (25 in all) and 1 of 1 templates." {
		t.Fatalf("counter %q", got)
	}
	row := r.doc.Find(`tr#rule-4`)
	if got := strings.TrimSpace(row.Find(`[data-testid="rule-summary"]`).Text()); got != "When someone enters through Car 1 door 1 → push to Trains (IN)" {
		t.Fatalf("summary %q", got)
	}
	if got := strings.TrimSpace(r.doc.Find(`tr#rule-5 [data-testid="rule-summary"]`).Text()); got != "When someone leaves through Car 1 door 1 → push to Trains (OUT)" {
		t.Fatalf("summary %q", got)
	}
	chip := row.Find(`[data-testid="severity"]`)
	if !chip.HasClass("badge") || !chip.HasClass("info") || strings.TrimSpace(chip.Text()) != "Information" {
		t.Fatalf("severity chip %q %v", chip.Text(), chip.AttrOr("class", ""))
	}
	if st := row.Find(`[data-testid="status"]`).AttrOr("data-status", ""); st != "activated" {
		t.Fatalf("status %q", st)
	}
	if row.Find("time").AttrOr("datetime", "") == "" {
		t.Fatal("no last-modified time")
	}
	p2 := hs.do("GET", "/rules?page=2", nil, "")
	humid := p2.doc.Find(`tr:contains("Humidity over 80")`)
	if humid.Find(`[data-testid="status"]`).AttrOr("data-status", "") != "deactivated" ||
		strings.TrimSpace(humid.Find(`[data-testid="rule-toggle"]`).Text()) != "Activate" {
		t.Fatal("the deactivated rule does not offer Activate")
	}
	tpl := templates.First()
	if tpl.Find(`[data-testid="rule-use"]`).AttrOr("href", "") != "/rules/new?template=1" {
		t.Fatal("templates offer no 'use' link")
	}
	if r.doc.Find(`tr:contains("Other user")`).Length() != 0 {
		t.Fatal("another user's rule is listed")
	}
	// every control is labelled
	r.doc.Find("input:not([type=hidden]), select, textarea").Each(func(_ int, s *goquery.Selection) {
		id, _ := s.Attr("id")
		if id == "" || r.doc.Find(`label[for="`+id+`"]`).Length() == 0 {
			t.Errorf("control %s without a label", goquery.NodeName(s))
		}
	})
	r.doc.Find("button").Each(func(_ int, s *goquery.Selection) {
		if strings.TrimSpace(s.Text()) == "" && s.AttrOr("aria-label", "") == "" {
			t.Error("button without a name")
		}
	})
}

func TestListFilters(t *testing.T) {
	hs := newHarness(t)
	cases := []struct {
		query     string
		rules     int
		templates int
	}{
		{"status=deactivated", 1, 0},
		{"q=door+3", 6, 0},
		{"q=" + url.QueryEscape("TEMPERATURE"), 0, 1},
		{"severity=warning", 0, 1},
		{"severity=fatal", 0, 0},
		{"status=bogus&severity=bogus&sort=bogus&page=x", 20, 1}, // unknown values are ignored (20: one page)
		{"q=door+3&status=activated&severity=information", 6, 0},
	}
	for _, tc := range cases {
		r := hs.do("GET", "/rules?"+tc.query, nil, targetTables)
		if r.Code != http.StatusOK {
			t.Fatalf("%s: status %d", tc.query, r.Code)
		}
		if r.page() || r.find("rules-tables").Length() != 1 {
			t.Fatalf("%s: not the tables fragment", tc.query)
		}
		if r.find("rules-filter").Length() != 0 {
			t.Fatalf("%s: the fragment must not re-render the filter form (focus)", tc.query)
		}
		nr := r.doc.Find(`[data-testid="rules-table"] [data-testid="rule-row"]`).Length()
		nt := r.doc.Find(`[data-testid="templates-table"] [data-testid="rule-row"]`).Length()
		if nr != tc.rules || nt != tc.templates {
			t.Errorf("%s: %d rules, %d templates; want %d, %d", tc.query, nr, nt, tc.rules, tc.templates)
		}
		if tc.rules == 0 && r.find("rules-empty").Length() != 1 {
			t.Errorf("%s: no empty-state text", tc.query)
		}
	}
	// the page keeps the filters in its form (state in the URL)
	r := hs.do("GET", "/rules?q=door&status=deactivated", nil, "")
	if r.doc.Find("#rules-q").AttrOr("value", "") != "door" || r.doc.Find(`#rules-status option[selected]`).AttrOr("value", "") != "deactivated" {
		t.Fatal("filters not kept in the page")
	}
	if r.find("rules-clear").Length() != 1 {
		t.Fatal("no way to clear the filters")
	}
}

func TestToggleInPlace(t *testing.T) {
	hs := newHarness(t)
	r := hs.do("POST", "/rules/4/status", url.Values{"status": {"deactivated"}}, "rule-4")
	if r.Code != http.StatusOK {
		t.Fatalf("status %d: %s", r.Code, r.Body)
	}
	row := r.doc.Find("tr#rule-4")
	if row.Length() != 1 || r.page() {
		t.Fatalf("want the row alone, got %s", r.Body)
	}
	if row.AttrOr("data-status", "") != "false" || strings.TrimSpace(row.Find(`[data-testid="rule-toggle"]`).Text()) != "Activate" {
		t.Fatal("row not deactivated")
	}
	got := hs.rule("4")
	if got.Status != thingplus.RuleDeactivated || got.Trigger.Method.Param("degree") != "0" || !strings.Contains(got.Actions[0][0].Method.Param("url"), webhookKey) {
		t.Fatalf("stored %+v", got)
	}
	// without JavaScript: a redirect back to the list
	r = hs.do("POST", "/rules/4/status", url.Values{"status": {"activated"}}, "")
	if r.Code != http.StatusSeeOther || r.Header().Get("Location") != "/rules" || !strings.Contains(r.Header().Get("Set-Cookie"), "flash=rules.done.activated") {
		t.Fatalf("plain toggle: %d %s", r.Code, r.Header().Get("Location"))
	}
	if hs.rule("4").Status != thingplus.RuleActivated {
		t.Fatal("not activated")
	}
	// bad status, another user's rule: a toast, the row stays
	r = hs.do("POST", "/rules/4/status", url.Values{"status": {"on"}}, "rule-4")
	if r.Code != http.StatusUnprocessableEntity || r.Header().Get("HX-Retarget") != "#toasts" || r.find("toast").Length() != 1 {
		t.Fatalf("bad status: %d %v", r.Code, r.Header())
	}
	r = hs.do("POST", "/rules/3/status", url.Values{"status": {"activated"}}, "rule-3")
	if r.Code != http.StatusForbidden || r.find("toast").Length() != 1 {
		t.Fatalf("other user's rule: %d %s", r.Code, r.Body)
	}
}

func TestDelete(t *testing.T) {
	hs := newHarness(t)
	// without JavaScript: a confirmation page first
	r := hs.do("GET", "/rules/6/delete", nil, "")
	if r.Code != http.StatusOK || r.find("delete-confirm").Length() != 1 || !strings.Contains(r.Body.String(), "Car 1 door 2 IN") {
		t.Fatalf("confirm page %d", r.Code)
	}
	if hs.rule("6").ID != "6" {
		t.Fatal("GET deleted the rule")
	}
	// with htmx: the tables come back as the user saw them (the filter of
	// the page, from HX-Current-URL), the counter already without the rule
	r = hs.do("POST", "/rules/6/delete", url.Values{"name": {"Car 1 door 2 IN"}}, targetTables, "HX-Current-URL", "http://app.test/rules?q=door+2")
	if r.Code != http.StatusOK || r.find("rules-tables").Length() != 1 || r.Header().Get("HX-Retarget") != "#rules-tables" || !strings.Contains(r.find("rules-notice").Text(), "Deleted “Car 1 door 2 IN”.") {
		t.Fatalf("htmx delete: %d %s", r.Code, r.Body)
	}
	if got := strings.TrimSpace(r.find("rules-count").Text()); got != "Showing rules 1–5 of 5 (24 in all) and 0 of 1 templates." {
		t.Fatalf("counter after delete %q", got)
	}
	if r.doc.Find("tr#rule-6").Length() != 0 {
		t.Fatal("the deleted rule is still listed")
	}
	if _, err := hs.c.GetRule(t.Context(), hs.token, "6"); !thingplus.IsKind(err, thingplus.KindNotFound) {
		t.Fatalf("still there: %v", err)
	}
	// deleting again is not an error (double click, two tabs)
	r = hs.do("POST", "/rules/6/delete", nil, targetTables)
	if r.Code != http.StatusOK {
		t.Fatalf("second delete: %d", r.Code)
	}
	// without JavaScript: a redirect with a one-shot flash, shown once
	r = hs.do("POST", "/rules/7/delete", nil, "")
	if r.Code != http.StatusSeeOther || r.Header().Get("Location") != "/rules" {
		t.Fatalf("plain delete: %d %s", r.Code, r.Header().Get("Location"))
	}
	cookie := r.Result().Cookies()
	if len(cookie) != 1 || cookie[0].Value != "rules.done.deleted" || !cookie[0].HttpOnly {
		t.Fatalf("flash cookie %v", cookie)
	}
	r = hs.do("GET", "/rules", nil, "", "Cookie", "flash=rules.done.deleted")
	if !strings.Contains(r.find("notice").Text(), "Rule deleted.") {
		t.Fatal("no confirmation notice")
	}
	if c := r.Result().Cookies(); len(c) != 1 || c[0].MaxAge >= 0 {
		t.Fatalf("the flash is not dropped once shown: %v", c)
	}
	// a reload (no cookie any more) shows no notice; an unknown flash neither
	if r = hs.do("GET", "/rules", nil, ""); r.find("notice").Length() != 0 {
		t.Fatal("the notice survives a reload")
	}
	if r = hs.do("GET", "/rules", nil, "", "Cookie", "flash=auth.expired"); r.find("notice").Length() != 0 {
		t.Fatal("a foreign flash key is shown")
	}
	r = hs.do("POST", "/rules/3/delete", nil, "rule-3")
	if r.Code != http.StatusForbidden {
		t.Fatalf("other user's rule: %d", r.Code)
	}
	// the delete button asks first (hx-confirm), naming the rule
	r = hs.do("GET", "/rules", nil, "")
	form := r.doc.Find(`tr#rule-8 [data-testid="rule-delete"]`).Closest("form")
	if !strings.Contains(form.AttrOr("hx-confirm", ""), "Car 1 door 3 IN") || form.AttrOr("hx-post", "") != "/rules/8/delete" {
		t.Fatal("delete does not ask for confirmation")
	}
	if b := form.Find("button"); !b.HasClass("outline") || !b.HasClass("danger") {
		t.Fatal("delete is not the quiet outline button")
	}
	if r.find("confirm-dialog").Length() != 1 {
		t.Fatal("the page has no confirmation dialog")
	}
}

func TestCrossSitePostRefused(t *testing.T) {
	hs := newHarness(t)
	for _, hdr := range [][]string{
		{"Sec-Fetch-Site", "cross-site"},
		{"Origin", "http://evil.example"},
	} {
		for _, path := range []string{"/rules", "/rules/4/status", "/rules/4/delete", "/rules/4"} {
			r := hs.do("POST", path, with(validForm(), "status", "deactivated"), "", hdr...)
			if r.Code != http.StatusForbidden {
				t.Errorf("%s with %v: status %d, want 403", path, hdr, r.Code)
			}
		}
	}
	if hs.rule("4").Status != thingplus.RuleActivated {
		t.Fatal("a cross-site POST changed a rule")
	}
	if all, _ := hs.c.ListRules(t.Context(), hs.token); len(all) != 26 {
		t.Fatalf("a cross-site POST created or deleted a rule: %d rules", len(all))
	}
	// the same request from the app's own pages goes through
	r := hs.do("POST", "/rules/4/status", url.Values{"status": {"deactivated"}}, "rule-4", "Sec-Fetch-Site", "same-origin")
	if r.Code != http.StatusOK {
		t.Fatalf("same-origin: %d", r.Code)
	}
}

func TestListUnavailableKeepsLastGood(t *testing.T) {
	hs := newHarness(t)
	if r := hs.do("GET", "/rules", nil, ""); r.Code != http.StatusOK {
		t.Fatal(r.Code)
	}
	hs.store.down.Store(true)
	r := hs.do("GET", "/rules?status=deactivated", nil, targetTables)
	if r.Code != http.StatusServiceUnavailable {
		t.Fatalf("status %d", r.Code)
	}
	if !strings.Contains(r.find("rules-stale").Text(), "Thing+ unavailable, retrying") {
		t.Fatal("no unavailable notice")
	}
	if n := r.doc.Find(`[data-testid="rule-row"]`).Length(); n != 1 {
		t.Fatalf("last good data not shown: %d rows", n)
	}
	tables := r.find("rules-tables")
	if tables.AttrOr("hx-trigger", "") != "every 15s" || tables.AttrOr("hx-get", "") != "/rules?status=deactivated" {
		t.Fatal("the stale tables do not retry")
	}
	hs.store.down.Store(false)
	r = hs.do("GET", "/rules?status=deactivated", nil, targetTables)
	if r.Code != http.StatusOK || r.find("rules-stale").Length() != 0 || r.find("rules-tables").AttrOr("hx-trigger", "") != "" {
		t.Fatal("did not recover")
	}
}
