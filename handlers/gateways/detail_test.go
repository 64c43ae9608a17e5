package gateways

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/thingplus/thingplus-webapp/thingplus"
	"github.com/thingplus/thingplus-webapp/thingplus/sandbox"
)

// tagHarness is the handler over the real sandbox (cached client, as main
// wires it) whose app client may also write tags, so a test can make some.
type tagHarness struct {
	harness
	c     *thingplus.Client
	token string
}

func newTagHarness(t *testing.T) *tagHarness {
	t.Helper()
	s := &tagHarness{}
	s.t = t
	s.clock = &clock{t: time.Now()}
	sb := sandbox.New(sandbox.Options{SimulatorPace: -1, Seed: 3, Now: s.clock.Now,
		App:    sandbox.AppClient{ID: "webapp-test", Secret: "s3cret", Name: "webapp test", Scopes: append(thingplus.AppScopes(), "tag")},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	t.Cleanup(sb.Close)
	srv := httptest.NewServer(sb.Handler())
	t.Cleanup(srv.Close)
	c, err := thingplus.New(srv.URL+"/v2", thingplus.WithTimeout(2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if s.token, err = sb.TokenFor("1"); err != nil {
		t.Fatal(err)
	}
	s.c = c
	s.h = New(thingplus.NewCached(c, thingplus.CacheOptions{Now: s.clock.Now}), Options{Now: s.clock.Now})
	s.eng = app(s.h, demoUser(), s.token)
	return s
}

func testids(s *goquery.Selection) []string {
	var out []string
	s.Find("[data-testid]").Each(func(_ int, x *goquery.Selection) { out = append(out, x.AttrOr("data-testid", "")) })
	return out
}

// The gateway's own page: facts, devices and sensors linking to their
// pages, a status history, the management forms; its live part polls
// /live, which answers the same component.
func TestGatewayDetailPage(t *testing.T) {
	s := newTagHarness(t)
	r := s.get("/gateways/b827ebd0a002", false)
	if r.Code != http.StatusOK || r.doc.Find("html").Length() != 1 {
		t.Fatalf("page: %d", r.Code)
	}
	if r.doc.Find(`[data-testid="gw-table"]`).Length() != 0 {
		t.Error("the page is still the list table")
	}
	d := r.doc
	field := func(id string) string { return strings.TrimSpace(d.Find(`[data-testid="` + id + `"]`).First().Text()) }
	if field("gw-title") == "" || field("gw-page-status") != "on" || field("gw-page-id") != "b827ebd0a002" ||
		field("gw-page-model") == "" || field("gw-page-interval") == "—" || field("gw-page-tags") != "None" {
		t.Errorf("facts: title %q status %q id %q model %q interval %q tags %q", field("gw-title"), field("gw-page-status"),
			field("gw-page-id"), field("gw-page-model"), field("gw-page-interval"), field("gw-page-tags"))
	}
	links := d.Find(`[data-testid="gw-sensor-link"]`)
	if links.Length() == 0 || !strings.HasPrefix(links.First().AttrOr("href", ""), "/gateways/b827ebd0a002/sensors/") {
		t.Errorf("sensor links: %d %q", links.Length(), links.First().AttrOr("href", ""))
	}
	hist := d.Find(`[data-testid="gw-history-item"]`)
	if hist.Length() < 2 || !strings.Contains(d.Find(`[data-testid="gw-history"]`).Text(), "This gateway") {
		t.Errorf("history: %d items", hist.Length())
	}
	// Newest first.
	var prev int64 = 1 << 62
	hist.Each(func(_ int, tr *goquery.Selection) {
		ms, _ := strconv.ParseInt(tr.Find("td[data-since]").AttrOr("data-since", "0"), 10, 64)
		if ms > prev {
			t.Errorf("history out of order: %d after %d", ms, prev)
		}
		prev = ms
	})
	manage := d.Find(`[data-testid="gw-page-manage"]`)
	if manage.Find(`[data-testid="gw-rename-form"]`).Length() != 1 || manage.Find(`[data-testid="gw-interval-form"]`).Length() != 1 ||
		manage.Find(`[data-testid="gw-delete-form"]`).AttrOr("action", "") != "/gateways/b827ebd0a002/delete" {
		t.Error("management forms missing")
	}
	if d.Find(`#gw-live [data-testid="gw-page-manage"]`).Length() != 0 {
		t.Error("the management panel is inside the polled part")
	}
	live := d.Find(`#gw-live`)
	if live.AttrOr("hx-get", "") != "/gateways/b827ebd0a002/live" || !strings.HasPrefix(live.AttrOr("hx-trigger", ""), "every ") {
		t.Errorf("live part: %q %q", live.AttrOr("hx-get", ""), live.AttrOr("hx-trigger", ""))
	}

	f := s.get("/gateways/b827ebd0a002/live", true)
	if f.Code != http.StatusOK || f.doc.Find("html > body > section#gw-live").Length() != 1 || f.doc.Find("h1, nav").Length() != 0 {
		t.Fatalf("live fragment: %d %s", f.Code, f.Body)
	}
	if got, want := strings.Join(testids(f.doc.Find("#gw-live")), ","), strings.Join(testids(live), ","); got != want {
		t.Errorf("fragment and page differ:\n%s\n%s", got, want)
	}
	// The list's toggle still opens the row in place.
	if row := s.get("/gateways/b827ebd0a002", true); row.Code != 200 || row.doc.Find(`[data-testid="gw-detail"]`).Length() != 1 {
		t.Errorf("row toggle: %d", row.Code)
	}
	if nf := s.get("/gateways/nosuch", false); nf.Code != http.StatusNotFound {
		t.Errorf("unknown gateway: %d", nf.Code)
	}
}

// A gateway that stopped reporting says so in words, with its interval.
func TestGatewayDetailNoRecentReport(t *testing.T) {
	s := newTagHarness(t)
	r := s.get("/gateways/b827ebd0a003", false)
	status := strings.TrimSpace(r.doc.Find(`[data-testid="gw-page-status"] .badge`).Text())
	note := r.doc.Find(`[data-testid="gw-page-status-note"]`).Text()
	if r.Code != 200 || status != "no recent report (every 1 min)" || !strings.Contains(note, "every ") {
		t.Errorf("stale gateway: %d %q %q", r.Code, status, note)
	}
}

// maxSince is the newest data-since under sel.
func maxSince(sel *goquery.Selection) int64 {
	var m int64
	sel.Each(func(_ int, x *goquery.Selection) {
		if ms, _ := strconv.ParseInt(x.AttrOr("data-since", "0"), 10, 64); ms > m {
			m = ms
		}
	})
	return m
}

// One freshness: the page's and the open row's "last report" are never
// older than the newest sensor value they show.
func TestGatewayFreshnessAgrees(t *testing.T) {
	s := newTagHarness(t)
	// The sandbox's seeded sensor values are newer than the gateway's
	// status leaf on some gateways; check all four seeded ones.
	for _, id := range []string{"b827ebd0a001", "b827ebd0a002", "b827ebd0a003", "b827ebd0a004"} {
		p := s.get("/gateways/"+id, false)
		newest := maxSince(p.doc.Find(`[data-testid="gw-sensor"] td[data-since]`))
		last, _ := strconv.ParseInt(p.doc.Find(`[data-testid="gw-page-last"] [data-since]`).AttrOr("data-since", "0"), 10, 64)
		if last < newest {
			t.Errorf("%s page: last report %d older than a sensor %d", id, last, newest)
		}
		row := s.get("/gateways/"+id, true)
		rowLast := row.doc.Find(`tbody > tr:first-child > td`).Eq(4).AttrOr("title", "")
		pageLast := p.doc.Find(`[data-testid="gw-page-last"] [data-since]`).AttrOr("title", "")
		if rowLast != pageLast {
			t.Errorf("%s: open row says %q, page %q", id, rowLast, pageLast)
		}
	}
	r := gwRow{Status: statusIn{Value: "on", Loaded: true, Time: 1000, ExpireAt: 2000, Interval: time.Minute}}
	r.freshen(500)
	if r.Status.Time != 1000 || r.Status.ExpireAt != 2000 {
		t.Errorf("an older sensor moved the report: %+v", r.Status)
	}
	r.freshen(3000)
	if r.Status.Time != 3000 || r.Status.ExpireAt != 0 || r.Status.key(time.UnixMilli(3000)) != stOn {
		t.Errorf("a newer sensor: %+v", r.Status)
	}
}

// Tags: no select without tags; with one, the select lists it, ?tag= keeps
// only the gateways carrying it (in the URL of the poll and the sort
// links), and the gateway page links its tags to that filter.
func TestGatewayTagFilter(t *testing.T) {
	s := newTagHarness(t)
	if r := s.get("/gateways", false); r.doc.Find(`[data-testid="gw-tag"]`).Length() != 0 {
		t.Fatal("a tag select without tags")
	}
	ctx := context.Background()
	tag, err := s.c.CreateTag(ctx, s.token, "Line 2 <cars>", []string{"b827ebd0a002-0-temperature"})
	if err != nil {
		t.Fatal(err)
	}
	id := string(tag.ID)
	s.h.last = newLastGood(16)
	s.h.src.(*thingplus.Cached).Invalidate(s.token)
	r := s.get("/gateways", false)
	opts := texts(r.doc.Find(`[data-testid="gw-tag"] option`))
	if strings.Join(opts, "|") != "All tags|Line 2 <cars>" {
		t.Fatalf("tag options %v", opts)
	}
	f := s.get("/gateways?tag="+id, true)
	rows := rowCells(f.doc)
	if f.Code != 200 || len(rows) != 1 || rows[0][1] != "b827ebd0a002" {
		t.Fatalf("tag filter rows %v", rows)
	}
	if got := f.doc.Find(`#gateways`).AttrOr("hx-get", ""); got != "/gateways?tag="+id {
		t.Errorf("poll URL %q", got)
	}
	if href := f.doc.Find(`thead a`).First().AttrOr("href", ""); !strings.Contains(href, "tag="+id) {
		t.Errorf("sort link %q loses the tag", href)
	}
	page := s.get("/gateways?tag="+id, false)
	if sel := page.doc.Find(`[data-testid="gw-tag"] option[selected]`).Text(); sel != "Line 2 <cars>" {
		t.Errorf("selected tag %q", sel)
	}
	p := s.get("/gateways/b827ebd0a002", false)
	a := p.doc.Find(`[data-testid="gw-page-tag"]`)
	if a.Length() != 1 || a.Text() != "Line 2 <cars>" || a.AttrOr("href", "") != "/gateways?tag="+id {
		t.Errorf("page tags: %d %q %q", a.Length(), a.Text(), a.AttrOr("href", ""))
	}
	if other := s.get("/gateways?tag=nosuch", true); len(rowCells(other.doc)) != 0 || other.Code != 200 {
		t.Errorf("unknown tag: %d rows", len(rowCells(other.doc)))
	}
}

// The status history shows the gateway's own report time even when a newer
// sensor value moved its "last report".
func TestHistoryKeepsOwnReport(t *testing.T) {
	v := viewer{now: time.UnixMilli(100_000), loc: time.UTC}
	r := gwRow{ID: "g", Status: statusIn{Value: "on", Loaded: true, Time: 10_000, Interval: time.Minute}}
	r.freshen(90_000)
	items := v.history(&r, []statusReport{{Name: "door", Href: "/x", Status: statusIn{Value: "on", Loaded: true, Time: 90_000}}})
	if len(items) != 2 || items[0].Name != "door" || items[1].Name != "This gateway" || items[1].At.Ms != "10000" {
		t.Fatalf("history %+v", items)
	}
	if l := v.liveOf(&r, detailData{}, 15); l.Last.Ms != "90000" || l.Status.Text != "on" {
		t.Errorf("live last %q status %q", l.Last.Ms, l.Status.Text)
	}
}
