package rules

import (
	"context"
	"github.com/PuerkitoBio/goquery"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/thingplus/thingplus-webapp/thingplus"
)

// fire pushes values through the sandbox and waits until n timeline entries exist.
func (hs *harness) fire(t *testing.T, n int, sensor string, values ...string) {
	t.Helper()
	at := time.Now()
	for i, v := range values {
		if err := hs.sb.PushValue(sensor, v, at.Add(time.Duration(i)*time.Millisecond)); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		p, err := hs.c.Timelines(context.Background(), hs.token, thingplus.TimelineQuery{})
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Entries) >= n {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("fewer than %d timeline entries", n)
}

func TestEventsTimeline(t *testing.T) {
	hs := newHarness(t)
	r := hs.do("GET", "/events", nil, "")
	if r.Code != http.StatusOK || r.find("events-empty").Length() != 1 {
		t.Fatalf("empty timeline: %d", r.Code)
	}
	hs.fire(t, 2, "b827ebd0a001-2-door4", "1", "-1")
	r = hs.do("GET", "/events", nil, "")
	rows := r.doc.Find(`[data-testid="event-row"]`)
	if rows.Length() != 2 {
		t.Fatalf("%d rows", rows.Length())
	}
	// Time policy: a log, to the second, in the user's zone (+9.00) named
	// once in the header; the datetime attribute carries the offset.
	if h := r.find("events-time-head").Text(); h != "Time (KST)" {
		t.Fatalf("time header %q", h)
	}
	rows.Each(func(_ int, s *goquery.Selection) {
		tm := s.Find("time")
		at, err := time.Parse(time.RFC3339, tm.AttrOr("datetime", ""))
		if err != nil || !strings.HasSuffix(tm.AttrOr("datetime", ""), "+09:00") ||
			tm.Text() != at.Format("2006-01-02 15:04:05") {
			t.Errorf("event time %q datetime %q (%v)", tm.Text(), tm.AttrOr("datetime", ""), err)
		}
	})
	newest := rows.First()
	if v := newest.Find(`[data-testid="event-value"]`).Text(); v != "-1" {
		t.Fatalf("newest first: value %q", v)
	}
	link := newest.Find(`[data-testid="event-rule"]`)
	if strings.TrimSpace(link.Text()) != "Car 2 door 4 OUT" || !strings.HasSuffix(link.AttrOr("href", ""), "/edit") {
		t.Fatalf("rule link %q %q", link.Text(), link.AttrOr("href", ""))
	}
	if !strings.Contains(newest.Text(), "Car 2 door 4") || newest.Find(`[data-testid="event-result"]`).AttrOr("data-success", "") != "y" {
		t.Fatalf("row %q", newest.Text())
	}
	if newest.Find(`[data-testid="severity"]`).AttrOr("data-severity", "") != "information" {
		t.Fatal("no severity chip")
	}
	panel := r.find("events-panel")
	if panel.AttrOr("hx-trigger", "") != "every 15s" || panel.AttrOr("hx-get", "") != "/events" || panel.Find("[data-since]").Length() != 1 {
		t.Fatal("the newest page does not refresh itself in place")
	}
	// the refresh answers the panel alone
	r = hs.do("GET", "/events", nil, targetEvents)
	if r.Code != http.StatusOK || r.page() || r.find("events-panel").Length() != 1 || r.find("events-filter").Length() != 0 {
		t.Fatal("the refresh is not the panel fragment")
	}
	// severity filter
	r = hs.do("GET", "/events?severity=fatal", nil, targetEvents)
	if r.doc.Find(`[data-testid="event-row"]`).Length() != 0 || r.find("events-empty").Length() != 1 || r.find("events-panel").AttrOr("hx-get", "") != "/events?severity=fatal" {
		t.Fatal("fatal filter")
	}
	if r := hs.do("GET", "/events?severity=information", nil, ""); r.doc.Find(`[data-testid="event-row"]`).Length() != 2 ||
		r.find("events-severity").Find("option[selected]").AttrOr("value", "") != "information" {
		t.Fatal("information filter")
	}
	// an older page does not poll and links back to the newest
	p, _ := hs.c.Timelines(context.Background(), hs.token, thingplus.TimelineQuery{})
	r = hs.do("GET", "/events?maxId="+p.Entries[1].ID, nil, "")
	if r.doc.Find(`[data-testid="event-row"]`).Length() != 1 || r.find("events-panel").AttrOr("hx-trigger", "") != "" || r.find("events-newest").Length() != 1 {
		t.Fatal("older page")
	}
	if r := hs.do("GET", "/events?maxId=abc&severity=<script>", nil, ""); r.Code != http.StatusOK {
		t.Fatalf("junk query: %d", r.Code)
	}
	// Thing+ down: the last good rows stay, marked, and polling continues
	hs.store.down.Store(true)
	r = hs.do("GET", "/events", nil, targetEvents)
	if r.Code != http.StatusServiceUnavailable || r.doc.Find(`[data-testid="event-row"]`).Length() != 2 ||
		!strings.Contains(r.find("events-stale").Text(), "Thing+ unavailable, retrying") || r.find("events-panel").AttrOr("hx-trigger", "") != "every 15s" {
		t.Fatalf("down: %d %s", r.Code, r.find("events-stale").Text())
	}
}

func TestEventsFailedPushAndPaging(t *testing.T) {
	hs := newHarness(t)
	hs.failing.Store(true)
	values := make([]string, eventsPerPage+3)
	for i := range values {
		values[i] = "1"
	}
	hs.fire(t, len(values), "b827ebd0a001-3-door1", values...)
	r := hs.do("GET", "/events", nil, "")
	rows := r.doc.Find(`[data-testid="event-row"]`)
	if rows.Length() != eventsPerPage {
		t.Fatalf("%d rows on the first page", rows.Length())
	}
	if rows.First().Find(`[data-testid="event-result"]`).AttrOr("data-success", "") != "n" || !strings.Contains(rows.First().Text(), "Failed") {
		t.Fatal("a failed push is not shown as failed")
	}
	older := r.find("events-older").AttrOr("href", "")
	if older == "" {
		t.Fatal("no link to older events")
	}
	r = hs.do("GET", older, nil, "")
	if n := r.doc.Find(`[data-testid="event-row"]`).Length(); n != 3 {
		t.Fatalf("%d rows on the older page", n)
	}
}
