package gateways

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

// pageIDs is the ids of the rows shown, in order.
func pageIDs(r resp) []string {
	var ids []string
	for _, row := range rowCells(r.doc) {
		ids = append(ids, row[1])
	}
	return ids
}

func pagerText(r resp, testid string) string {
	return strings.TrimSpace(r.doc.Find(`[data-testid="` + testid + `"]`).Text())
}

// A sandbox account with 120 gateways: Thing+ (the sandbox, honouring
// count/page) makes each page; pages 1–3 show 50, 50 and 20 gateways, each
// once, in name order across pages; page 2's fragment is the panel alone
// with links that keep the address.
func TestSandboxGatewayPages(t *testing.T) {
	s := newSandboxHarness(t, true)
	if _, err := s.sb.SeedGateways("1", 117); err != nil { // the demo account has 3
		t.Fatal(err)
	}
	seen := map[string]int{}
	var names []string
	for page, want := range map[string]int{"": 50, "?page=2": 50, "?page=3": 20} {
		r := s.get("/gateways"+page, false)
		if r.Code != http.StatusOK {
			t.Fatalf("%s: status %d", page, r.Code)
		}
		ids := pageIDs(r)
		if len(ids) != want {
			t.Errorf("%s: %d rows, want %d", page, len(ids), want)
		}
		for _, id := range ids {
			seen[id]++
		}
		if got := pagerText(r, "gw-pageat"); !strings.HasSuffix(got, " of 3") {
			t.Errorf("%s: pager says %q", page, got)
		}
	}
	if len(seen) != 120 {
		t.Errorf("%d distinct gateways over 3 pages, want 120", len(seen))
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("%s shown %d times", id, n)
		}
	}
	for _, p := range []string{"", "?page=2", "?page=3"} {
		for _, row := range rowCells(s.get("/gateways"+p, true).doc) {
			names = append(names, strings.ToLower(row[0]))
		}
	}
	for i := 1; i < len(names); i++ {
		if names[i-1] > names[i] {
			t.Fatalf("not in name order across pages: %q before %q", names[i-1], names[i])
		}
	}

	r := s.get("/gateways?page=2", true)
	body := r.Body.String()
	if r.Code != http.StatusOK || !strings.HasPrefix(body, `<section id="gateways"`) || strings.Contains(body, "<html") {
		t.Fatalf("page 2 fragment: %d %.80q", r.Code, body)
	}
	if got := r.Header().Get("Vary"); got != "HX-Request" {
		t.Errorf("Vary = %q", got)
	}
	if got := pagerText(r, "gw-shown"); got != "Gateways 51–100 of 120" {
		t.Errorf("shown = %q", got)
	}
	prev, _ := r.doc.Find(`[data-testid="gw-prev"]`).Attr("href")
	next, _ := r.doc.Find(`[data-testid="gw-next"]`).Attr("hx-get")
	poll, _ := r.doc.Find(`#gateways`).Attr("hx-get")
	push, _ := r.doc.Find(`[data-testid="gw-pager"]`).Attr("hx-push-url")
	if prev != "/gateways" || next != "/gateways?page=3" || poll != "/gateways?page=2" || push != "true" {
		t.Errorf("prev %q next %q poll %q push %q", prev, next, poll, push)
	}
	if r := s.get("/gateways?sort=id&dir=desc&page=2", true); !strings.Contains(pagerLinks(r), "/gateways?dir=desc&sort=id&page=3") {
		t.Errorf("links lose the sort: %s", pagerLinks(r))
	}
}

func pagerLinks(r resp) string {
	var out []string
	r.doc.Find(`[data-testid="gw-pager"] a`).Each(func(_ int, a *goquery.Selection) {
		h, _ := a.Attr("href")
		out = append(out, h)
	})
	return strings.Join(out, " ")
}

// A page number that is not one, or past the end: a full page is sent to
// the nearest page's address (303), an htmx request gets that page with
// HX-Replace-Url; never a 500.
func TestSandboxBadPage(t *testing.T) {
	s := newSandboxHarness(t, true)
	if _, err := s.sb.SeedGateways("1", 117); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ q, want string }{
		{"0", "/gateways"}, {"-1", "/gateways"}, {"abc", "/gateways"},
		{"4", "/gateways?page=3"}, {"999999999999999999999", "/gateways?page=3"}, {"2&page=3", "/gateways?page=2"},
	} {
		r := s.get("/gateways?page="+tc.q, false)
		if r.Code != http.StatusSeeOther || r.Header().Get("Location") != tc.want {
			t.Errorf("page=%s: %d to %q, want 303 to %q", tc.q, r.Code, r.Header().Get("Location"), tc.want)
		}
		r = s.get("/gateways?page="+tc.q, true)
		if r.Code != http.StatusOK || r.Header().Get("HX-Replace-Url") != tc.want || len(pageIDs(r)) == 0 {
			t.Errorf("htmx page=%s: %d, HX-Replace-Url %q, %d rows", tc.q, r.Code, r.Header().Get("HX-Replace-Url"), len(pageIDs(r)))
		}
	}
	// Filtered here (status): clamped the same way.
	r := s.get("/gateways?status=stale&page=7", true)
	if r.Code != http.StatusOK || r.Header().Get("HX-Replace-Url") != "/gateways?status=stale" || len(pageIDs(r)) != 1 {
		t.Errorf("stale page 7: %d %q %v", r.Code, r.Header().Get("HX-Replace-Url"), pageIDs(r))
	}
}

// Filters this app judges (search, status, tag) read every gateway and page
// what matched: the counts say how many matched of how many.
func TestSandboxFilteredPages(t *testing.T) {
	s := newSandboxHarness(t, true)
	if _, err := s.sb.SeedGateways("1", 117); err != nil {
		t.Fatal(err)
	}
	r := s.get("/gateways?status=on&page=3", true)
	if got := pagerText(r, "gw-shown"); r.Code != http.StatusOK || got != "Gateways 101–119 of 119 matching (120 in all)" {
		t.Errorf("status=on page 3: %d %q", r.Code, got)
	}
	if len(pageIDs(r)) != 19 {
		t.Errorf("%d rows", len(pageIDs(r)))
	}
	r = s.get("/gateways?q=bench+gateway+11", true) // 11 and 110–117
	if got := pagerText(r, "gw-shown"); got != "9 of 120 gateways" || r.doc.Find(`[data-testid="gw-pager"]`).Length() != 0 {
		t.Errorf("search: %q, pager %d", got, r.doc.Find(`[data-testid="gw-pager"]`).Length())
	}
}

// An upstream that ignores page (every page is page 1) or count (every
// call answers everything): the list notices, reads every gateway once
// (AllGateways terminates) and pages them itself; no page repeats another's
// rows and the calls stay few.
func TestUpstreamIgnoringPaging(t *testing.T) {
	for _, mode := range []string{modeIgnorePage, modeIgnoreCount} {
		t.Run(mode, func(t *testing.T) {
			hs := newHarness(t, 120)
			hs.up.setMode(mode)
			seen := map[string]bool{}
			for _, p := range []string{"", "?page=2", "?page=3"} {
				before := hs.up.calls.Load()
				r := hs.get("/gateways"+p, true)
				if r.Code != http.StatusOK {
					t.Fatalf("%s: status %d", p, r.Code)
				}
				for _, id := range pageIDs(r) {
					if seen[id] {
						t.Errorf("%s repeats %s", p, id)
					}
					seen[id] = true
				}
				if calls := hs.up.calls.Load() - before; calls > 5 {
					t.Errorf("%s: %d upstream calls", p, calls)
				}
			}
			if len(seen) != 120 {
				t.Errorf("%d gateways over 3 pages, want 120", len(seen))
			}
		})
	}
}

// getAs is get for htmx with the HX-Trigger an element of the page sends
// ("" for a link without an id, such as a sort link).
func (hs *harness) getAs(path, trigger string) resp {
	hs.t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Header.Set("HX-Request", "true")
	if trigger != "" {
		req.Header.Set("HX-Trigger", trigger)
	}
	rec := httptest.NewRecorder()
	hs.eng.ServeHTTP(rec, req)
	return parse(hs.t, rec)
}

// An open row belongs to its page. A sort link sends the open rows of the
// old order: the ones not on the new page leave the pushed address; the
// poll and the refresher, which push nothing, get the address corrected;
// an open row still shown stays open and in the address. The refresher
// keeps the page (the table carries it).
func TestOpenRowsFollowTheirPage(t *testing.T) {
	s := newSandboxHarness(t, true)
	if _, err := s.sb.SeedGateways("1", 117); err != nil {
		t.Fatal(err)
	}
	first, second := pageIDs(s.get("/gateways", true)), pageIDs(s.get("/gateways?page=2", true))
	on1, on2 := first[0], second[0]
	q := "open=" + url.QueryEscape(on1) + "&open=" + url.QueryEscape(on2)

	r := s.getAs("/gateways?"+q, "") // a sort link's request, page 1
	if got := r.Header().Get("HX-Push-Url"); got != "/gateways?open="+url.QueryEscape(on1) {
		t.Errorf("sort link: HX-Push-Url %q, want only the row shown", got)
	}
	if r.doc.Find(`input[name=open][value="`+on1+`"]`).Length() != 1 || r.doc.Find(`input[name=open][value="`+on2+`"]`).Length() != 0 {
		t.Errorf("open inputs: %v", r.doc.Find(`input[name=open]`).Map(func(_ int, x *goquery.Selection) string { v, _ := x.Attr("value"); return v }))
	}

	r = s.getAs("/gateways?page=2&"+q, "gateways") // the poll of page 2
	if got := r.Header().Get("HX-Replace-Url"); got != "/gateways?page=2&open="+url.QueryEscape(on2) || r.Header().Get("HX-Push-Url") != "" {
		t.Errorf("poll: HX-Replace-Url %q, HX-Push-Url %q", got, r.Header().Get("HX-Push-Url"))
	}
	if page, _ := r.doc.Find(`#gateways input[name=page]`).Attr("value"); page != "2" {
		t.Errorf("the table does not carry its page for the refresher: %q", page)
	}

	r = s.getAs("/gateways?open="+url.QueryEscape(on1), "") // nothing to drop
	if r.Header().Get("HX-Push-Url") != "" || r.Header().Get("HX-Replace-Url") != "" {
		t.Errorf("nothing dropped, yet HX-Push-Url %q HX-Replace-Url %q", r.Header().Get("HX-Push-Url"), r.Header().Get("HX-Replace-Url"))
	}
	if s.get("/gateways", true).doc.Find(`#gateways input[name=page]`).Length() != 0 {
		t.Error("page 1 carries a page input")
	}
}
