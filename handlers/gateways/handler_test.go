package gateways

import (
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/gin-gonic/gin"

	"github.com/thingplus/thingplus-webapp/handlers/web"
	"github.com/thingplus/thingplus-webapp/thingplus"
	"github.com/thingplus/thingplus-webapp/views/layout"
	"github.com/thingplus/thingplus-webapp/views/text"
)

func init() { gin.SetMode(gin.TestMode) }

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

var testNow = time.Date(2025, 3, 1, 3, 0, 0, 0, time.UTC) // 12:00 KST

func demoUser() thingplus.User {
	return thingplus.User{ID: "1", LoginID: "demo", Nickname: "Demo", Timezone: "+9.00"}
}

// app is a gin engine with the gateways routes behind a middleware that
// signs the user in, as the lead's auth group does.
func app(h *Handler, u thingplus.User, token string) *gin.Engine {
	r := gin.New()
	r.Use(web.WithShell(layout.Shell{Assets: layout.Assets{CSS: "/assets/app.css", JS: "/assets/app.js", HTMX: "/assets/htmx.js"}}),
		web.WithSignInAgain(func(c *gin.Context) { web.Redirect(c, "/auth/login?expired=1") }),
		func(c *gin.Context) { web.SetSignedIn(c, u, token); c.Next() })
	h.Register(r)
	return r
}

type harness struct {
	t     testing.TB
	up    *upstream
	clock *clock
	h     *Handler
	eng   *gin.Engine
}

func newHarness(t testing.TB, n int) *harness {
	hs := &harness{t: t, clock: &clock{t: testNow}}
	hs.up = newUpstream(t, n, testNow)
	src := hs.up.client(thingplus.WithTimeout(300 * time.Millisecond))
	hs.h = New(src, Options{Now: hs.clock.Now})
	hs.eng = app(hs.h, demoUser(), goodToken)
	return hs
}

type resp struct {
	*httptest.ResponseRecorder
	doc *goquery.Document
}

func (hs *harness) get(path string, htmx bool) resp {
	hs.t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	if htmx {
		req.Header.Set("HX-Request", "true")
	}
	rec := httptest.NewRecorder()
	hs.eng.ServeHTTP(rec, req)
	return parse(hs.t, rec)
}

// parse reads a response as HTML; a row fragment is parsed in its table
// context, as htmx does when it swaps it into the table.
func parse(t testing.TB, rec *httptest.ResponseRecorder) resp {
	body := rec.Body.Bytes()
	if bytes.HasPrefix(body, []byte("<tbody")) {
		body = append(append([]byte("<table>"), body...), "</table>"...)
	}
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return resp{rec, doc}
}

func texts(s *goquery.Selection) []string {
	var out []string
	s.Each(func(_ int, x *goquery.Selection) { out = append(out, strings.TrimSpace(x.Text())) })
	return out
}

// rowCells returns each gateway row's cells as text.
func rowCells(doc *goquery.Document) [][]string {
	var rows [][]string
	doc.Find(`[data-testid="gw-table"] > tbody > tr:first-child`).Each(func(_ int, tr *goquery.Selection) {
		rows = append(rows, texts(tr.Find("td")))
	})
	return rows
}

func TestListPageAndFragment(t *testing.T) {
	hs := newHarness(t, 12)
	for _, htmx := range []bool{false, true} {
		t.Run(fmt.Sprintf("htmx=%v", htmx), func(t *testing.T) {
			r := hs.get("/gateways", htmx)
			if r.Code != http.StatusOK {
				t.Fatalf("status %d: %s", r.Code, r.Body)
			}
			if got := r.Header().Get("Vary"); got != "HX-Request" {
				t.Errorf("Vary = %q", got)
			}
			isPage := strings.Contains(r.Body.String(), "<!doctype html>") || strings.Contains(r.Body.String(), "<html")
			if isPage == htmx {
				t.Errorf("page=%v for htmx=%v", isPage, htmx)
			}
			if htmx && !strings.HasPrefix(r.Body.String(), `<section id="gateways"`) {
				t.Errorf("fragment starts %q", r.Body.String()[:60])
			}
			if !htmx && r.doc.Find(`[data-testid="gw-filter"]`).Length() != 1 {
				t.Error("page has no filter form")
			}
			panel := r.doc.Find(`[data-testid="gw-panel"]`)
			if panel.Length() != 1 {
				t.Fatal("no panel")
			}
			if v, _ := panel.Attr("hx-trigger"); v != "every 15s" {
				t.Errorf("hx-trigger = %q", v)
			}
			if v, _ := panel.Attr("hx-push-url"); v != "false" {
				t.Errorf("hx-push-url = %q", v)
			}
			if v, _ := panel.Attr("hx-get"); v != "/gateways" {
				t.Errorf("hx-get = %q", v)
			}
			rows := rowCells(r.doc)
			if len(rows) != 12 {
				t.Fatalf("%d rows", len(rows))
			}
			// Sorted by name: "Gateway 001" first, Korean names after Latin.
			if rows[0][0] != "Gateway 001" || rows[0][1] != "b827ebd0a002" || rows[0][2] != "Raspberry Pi-Developer" {
				t.Errorf("row 0 = %v", rows[0])
			}
			if rows[0][3] != "on" || rows[0][4] != "1 s ago" || rows[0][5] != "3" || rows[0][6] != "12" {
				t.Errorf("row 0 = %v", rows[0])
			}
			if got := r.doc.Find(`[data-testid="gw-shown"]`).Text(); got != "12 gateways" {
				t.Errorf("shown = %q", got)
			}
			title, _ := r.doc.Find(`[data-testid="gw-table"] > tbody td[title]`).First().Attr("title")
			if title != "2025-03-01 11:59:59 KST" {
				t.Errorf("absolute time = %q", title)
			}
			if since, _ := r.doc.Find(`[data-testid="gw-updated"]`).Attr("data-since"); since != fmt.Sprint(testNow.UnixMilli()) {
				t.Errorf("updated data-since = %q", since)
			}
		})
	}
}

func TestListStatusBadges(t *testing.T) {
	hs := newHarness(t, 10)
	r := hs.get("/gateways?sort=id", true)
	want := map[string]string{ // by id: i%10 = 3 off, 5 err, 8 expired
		"b827ebd0a001": "on", "b827ebd0a004": "off", "b827ebd0a006": "error", "b827ebd0a009": "no recent report (every 1 min)",
	}
	kinds := map[string]string{"on": "ok", "off": "off", "error": "bad", "no recent report (every 1 min)": "warn"}
	r.doc.Find(`[data-testid="gw-table"] > tbody`).Each(func(_ int, tb *goquery.Selection) {
		id := strings.TrimSpace(tb.Find("td").Eq(1).Text())
		w, ok := want[id]
		if !ok {
			return
		}
		badge := tb.Find("td").Eq(3)
		if got := strings.TrimSpace(badge.Text()); got != w {
			t.Errorf("%s badge %q, want %q", id, got, w)
		}
		if !badge.HasClass(kinds[w]) {
			t.Errorf("%s badge class %q", id, badge.AttrOr("class", ""))
		}
		delete(want, id)
	})
	if len(want) != 0 {
		t.Errorf("rows not found: %v", want)
	}
}

func TestListSearchFilterSort(t *testing.T) {
	hs := newHarness(t, 30)
	cases := []struct {
		path  string
		check func(t *testing.T, rows [][]string, doc *goquery.Document)
	}{
		{"/gateways?q=%EC%8B%A0%EB%A6%BC", func(t *testing.T, rows [][]string, doc *goquery.Document) { // 신림
			if len(rows) != 1 || rows[0][0] != "Subway 신림-성수 line" {
				t.Errorf("rows = %v", rows)
			}
			if got := doc.Find(`[data-testid="gw-shown"]`).Text(); got != "1 of 30 gateways" {
				t.Errorf("shown = %q", got)
			}
		}},
		{"/gateways?q=B827EBD0A00A", func(t *testing.T, rows [][]string, _ *goquery.Document) {
			if len(rows) != 1 || rows[0][1] != "b827ebd0a00a" {
				t.Errorf("rows = %v", rows)
			}
		}},
		{"/gateways?status=error", func(t *testing.T, rows [][]string, _ *goquery.Document) {
			if len(rows) != 3 {
				t.Errorf("%d error rows", len(rows))
			}
			for _, r := range rows {
				if r[3] != "error" {
					t.Errorf("row %v", r)
				}
			}
		}},
		{"/gateways?status=stale&q=gateway", func(t *testing.T, rows [][]string, _ *goquery.Document) {
			if len(rows) != 2 { // Gateway 008 and 018 (028 has a Korean name)
				t.Errorf("rows = %v", rows)
			}
		}},
		{"/gateways?q=nothing-like-this", func(t *testing.T, rows [][]string, doc *goquery.Document) {
			if len(rows) != 0 || doc.Find(`[data-testid="gw-empty"]`).Text() != "No gateway matches this search." {
				t.Errorf("rows %v, empty %q", rows, doc.Find(`[data-testid="gw-empty"]`).Text())
			}
		}},
		{"/gateways?sort=id&dir=desc", func(t *testing.T, rows [][]string, doc *goquery.Document) {
			if rows[0][1] != "b827ebd0a01e" || rows[29][1] != "b827ebd0a001" {
				t.Errorf("first %v last %v", rows[0], rows[29])
			}
			th := doc.Find(`th[aria-sort]`)
			if th.Length() != 1 || th.AttrOr("aria-sort", "") != "descending" || !strings.Contains(th.Text(), "ID") {
				t.Errorf("aria-sort on %q = %q", th.Text(), th.AttrOr("aria-sort", ""))
			}
			// Clicking the current column again flips the order.
			if href := doc.Find(`th a:contains("ID")`).AttrOr("href", ""); href != "/gateways?sort=id" {
				t.Errorf("sort link = %q", href)
			}
		}},
		{"/gateways?sort=status", func(t *testing.T, rows [][]string, _ *goquery.Document) {
			order := []string{}
			for _, r := range rows {
				if len(order) == 0 || order[len(order)-1] != r[3] {
					order = append(order, r[3])
				}
			}
			if strings.Join(order, ",") != "error,no recent report (every 1 min),off,on" {
				t.Errorf("status order %v", order)
			}
		}},
		{"/gateways?sort=last&dir=desc&q=gateway+00", func(t *testing.T, rows [][]string, _ *goquery.Document) {
			// Gateway 00i reported i s ago (i%10 == 8 reported 2 h ago; 007 has a Korean name).
			var got []string
			for _, r := range rows {
				got = append(got, r[0])
			}
			if strings.Join(got, ",") != "Gateway 001,Gateway 002,Gateway 003,Gateway 004,Gateway 005,Gateway 006,Gateway 009,Gateway 008" {
				t.Errorf("by last report: %v", got)
			}
		}},
		{"/gateways?sort=bogus&dir=sideways&status=weird", func(t *testing.T, rows [][]string, _ *goquery.Document) {
			if len(rows) != 30 || rows[0][0] != "Gateway 001" {
				t.Errorf("bad params not ignored: %d rows, first %v", len(rows), rows[0])
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.path, func(t *testing.T) {
			r := hs.get(tc.path, true)
			if r.Code != http.StatusOK {
				t.Fatalf("status %d", r.Code)
			}
			tc.check(t, rowCells(r.doc), r.doc)
		})
	}
}

func TestFilterStateInURL(t *testing.T) {
	hs := newHarness(t, 5)
	r := hs.get("/gateways?q=gate&status=on&sort=last&dir=desc", false)
	if v := r.doc.Find(`[data-testid="gw-q"]`).AttrOr("value", ""); v != "gate" {
		t.Errorf("search kept = %q", v)
	}
	if v := r.doc.Find(`[data-testid="gw-status"] option[selected]`).AttrOr("value", ""); v != "on" {
		t.Errorf("status kept = %q", v)
	}
	panel := r.doc.Find(`[data-testid="gw-panel"]`)
	if got := panel.AttrOr("hx-get", ""); got != "/gateways?dir=desc&q=gate&sort=last&status=on" {
		t.Errorf("poll URL = %q", got)
	}
	if r.doc.Find(`input[name=sort][value=last]`).Length() != 1 || r.doc.Find(`input[name=dir][value=desc]`).Length() != 1 {
		t.Error("sort state not in hidden inputs")
	}
	for _, l := range []string{"gw-q", "gw-status"} {
		id := r.doc.Find(`[data-testid="`+l+`"]`).AttrOr("id", "")
		if r.doc.Find(`label[for="`+id+`"]`).Length() != 1 {
			t.Errorf("%s has no label", l)
		}
	}
}

func TestRowExpandsAndCollapses(t *testing.T) {
	hs := newHarness(t, 3)
	id := "b827ebd0a001"
	r := hs.get("/gateways/"+id, true)
	if r.Code != http.StatusOK {
		t.Fatalf("status %d: %s", r.Code, r.Body)
	}
	if !strings.HasPrefix(r.Body.String(), `<tbody><tr>`) {
		t.Errorf("fragment starts %q", r.Body.String()[:40])
	}
	btn := r.doc.Find(`tbody button`).First()
	if btn.AttrOr("aria-expanded", "") != "true" || btn.AttrOr("hx-get", "") != "/gateways/"+id+"/row" {
		t.Errorf("toggle = %v %v", btn.AttrOr("aria-expanded", ""), btn.AttrOr("hx-get", ""))
	}
	if r.doc.Find(`input[name=open][value="`+id+`"]`).Length() != 1 {
		t.Error("no open marker for the poll")
	}
	groups := r.doc.Find(`[data-testid="gw-device"]`)
	if got := texts(groups.Find(`[data-testid="gw-device-name"]`)); len(got) != 3 || !strings.HasPrefix(got[0], "Car 1") {
		t.Errorf("devices = %v", got)
	}
	sensors := r.doc.Find(`[data-testid="gw-sensor"]`)
	if sensors.Length() != 12 {
		t.Fatalf("%d sensors", sensors.Length())
	}
	first := texts(sensors.First().Find("td"))
	if first[0] != "Car 1 door 1" || first[1] != "People through a door (people)" || first[2] != "1 person entered" || first[3] != "11 s ago" || first[4] != "on" {
		t.Errorf("sensor row = %v", first)
	}
	if v := texts(sensors.Eq(1).Find(`[data-testid="gw-sensor-value"]`)); v[0] != "1 person left" {
		t.Errorf("door out value = %v", v)
	}
	if href := sensors.First().Find(`[data-testid="gw-sensor-link"]`).AttrOr("href", ""); href != "/gateways/"+id+"/sensors/"+id+"-1-door1" {
		t.Errorf("sensor link = %q", href)
	}

	r = hs.get("/gateways/"+id+"/row", true)
	if r.Code != http.StatusOK || r.doc.Find(`[data-testid="gw-detail"]`).Length() != 0 {
		t.Fatalf("collapse: status %d, detail %d", r.Code, r.doc.Find(`[data-testid="gw-detail"]`).Length())
	}
	btn = r.doc.Find(`tbody button`).First()
	if btn.AttrOr("aria-expanded", "") != "false" || btn.AttrOr("hx-get", "") != "/gateways/"+id {
		t.Errorf("collapsed toggle = %v %v", btn.AttrOr("aria-expanded", ""), btn.AttrOr("hx-get", ""))
	}
}

func TestGatewayPageWithoutHtmx(t *testing.T) {
	hs := newHarness(t, 3)
	r := hs.get("/gateways/b827ebd0a001", false)
	if r.Code != http.StatusOK {
		t.Fatalf("status %d", r.Code)
	}
	if got := r.doc.Find(`h1[data-testid="gw-title"]`).Text(); got != "Subway 신림-성수 line" {
		t.Errorf("title = %q", got)
	}
	if r.doc.Find("html").Length() != 1 || r.doc.Find(`[data-testid="gw-sensor"]`).Length() != 12 {
		t.Error("not a full page with sensors")
	}
	if r.doc.Find(`th a`).Length() != 0 {
		t.Error("gateway page has sort links")
	}
}

// With a portal configured, the gateway page links to the gateway in the
// Thing+ Portal (the id escaped into the template); without, no link.
func TestGatewayPagePortalLink(t *testing.T) {
	hs := newHarness(t, 3)
	if hs.get("/gateways/b827ebd0a001", false).doc.Find(`[data-testid="gw-portal"]`).Length() != 0 {
		t.Fatal("a portal link without a portal")
	}
	hs.h = New(hs.up.client(thingplus.WithTimeout(300*time.Millisecond)), Options{Now: hs.clock.Now, PortalURL: "https://svc.thingplus.net/#/gateway/{id}"})
	hs.eng = app(hs.h, demoUser(), goodToken)
	a := hs.get("/gateways/b827ebd0a001", false).doc.Find(`[data-testid="gw-portal"]`)
	if a.AttrOr("href", "") != "https://svc.thingplus.net/#/gateway/b827ebd0a001" || a.AttrOr("rel", "") != "noopener noreferrer" {
		t.Fatalf("portal link %q %q", a.AttrOr("href", ""), a.AttrOr("rel", ""))
	}
	if got := portalLink("https://p/{id}", "a/b c"); got != "https://p/a%2Fb%20c" {
		t.Fatalf("id not escaped: %q", got)
	}
}

// Open rows ride along with the poll and come back open.
func TestPollKeepsOpenRows(t *testing.T) {
	hs := newHarness(t, 5)
	r := hs.get("/gateways?open=b827ebd0a003&open=b827ebd0a005&open=nope", true)
	if r.Code != http.StatusOK {
		t.Fatalf("status %d", r.Code)
	}
	var open []string
	r.doc.Find(`input[name=open]`).Each(func(_ int, s *goquery.Selection) { open = append(open, s.AttrOr("value", "")) })
	if strings.Join(open, ",") != "b827ebd0a003,b827ebd0a005" {
		t.Errorf("open rows = %v", open)
	}
	if n := r.doc.Find(`[data-testid="gw-sensor"]`).Length(); n != 24 {
		t.Errorf("%d sensors shown", n)
	}
	if r.doc.Find(`[data-testid="gw-panel"]`).AttrOr("hx-include", "") != "[name=open], [data-testid=gw-updated]" {
		t.Error("poll does not include open rows")
	}
}

func TestErrorsForbiddenNotFoundExpired(t *testing.T) {
	hs := newHarness(t, 3)
	cases := []struct {
		path   string
		htmx   bool
		status int
		testid string
	}{
		{"/gateways/b827ebd0a0ff", false, 403, "error"},
		{"/gateways/b827ebd0a0ff", true, 403, "toast"},
		{"/gateways/nosuch", false, 404, "error"},
		{"/gateways/nosuch/row", true, 404, "toast"},
		{"/gateways/b827ebd0a001/sensors/nosuch", false, 404, "error"},
		{"/gateways/b827ebd0a0ff/sensors/x-1-door1", false, 403, "error"},
		{"/gateways/b827ebd0a001/sensors/nosuch/series.csv", false, 404, "error"},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%s htmx=%v", tc.path, tc.htmx), func(t *testing.T) {
			r := hs.get(tc.path, tc.htmx)
			if r.Code != tc.status {
				t.Fatalf("status %d, want %d", r.Code, tc.status)
			}
			if r.doc.Find(`[data-testid="`+tc.testid+`"]`).Length() != 1 {
				t.Errorf("no %s in %s", tc.testid, r.Body)
			}
		})
	}
	hs.up.setMode(modeExpired)
	for _, path := range []string{"/gateways", "/gateways/b827ebd0a001", "/gateways/b827ebd0a001/sensors/b827ebd0a001-1-door1"} {
		r := hs.get(path, true)
		if r.Code != http.StatusNoContent || r.Header().Get("HX-Redirect") != "/auth/login?expired=1" {
			t.Errorf("%s htmx: status %d HX-Redirect %q", path, r.Code, r.Header().Get("HX-Redirect"))
		}
		r = hs.get(path, false)
		if r.Code != http.StatusSeeOther || r.Header().Get("Location") != "/auth/login?expired=1" {
			t.Errorf("%s: status %d Location %q", path, r.Code, r.Header().Get("Location"))
		}
	}
}

// Upstream faults: the panel keeps the last good data "as of …" with 503
// (htmx swaps it and polling continues), never a 500.
func TestFaultsKeepLastGoodData(t *testing.T) {
	for _, mode := range []string{modeFail, modeSlow, modeGarbage, modeHuge} {
		t.Run(mode, func(t *testing.T) {
			hs := newHarness(t, 8)
			if mode == modeHuge {
				src := hs.up.client(thingplus.WithMaxBody(1 << 20))
				hs.h = New(src, Options{Now: hs.clock.Now})
				hs.eng = app(hs.h, demoUser(), goodToken)
			}
			good := hs.get("/gateways?open=b827ebd0a001", true)
			if good.Code != 200 {
				t.Fatalf("first load %d", good.Code)
			}
			hs.up.setMode(mode)
			hs.clock.Add(time.Minute)
			for _, htmx := range []bool{true, false} {
				start := time.Now()
				r := hs.get("/gateways?open=b827ebd0a001", htmx)
				if time.Since(start) > 3*time.Second {
					t.Errorf("took %v", time.Since(start))
				}
				if r.Code != http.StatusServiceUnavailable {
					t.Fatalf("htmx=%v status %d: %s", htmx, r.Code, r.Body)
				}
				if n := len(rowCells(r.doc)); n != 8 {
					t.Errorf("htmx=%v: %d rows kept", htmx, n)
				}
				notice := r.doc.Find(`[data-testid="gw-notice"]`).Text()
				want := "As of 2025-03-01 12:00:00 KST: Thing+ is unavailable, retrying."
				if mode == modeHuge { // the reason, not just "unavailable"
					want = "Thing+ answer too large to show. Showing what arrived at 2025-03-01 12:00:00 KST."
				}
				if notice != want {
					t.Errorf("notice = %q", notice)
				}
				if r.doc.Find(`[data-testid="gw-panel"]`).AttrOr("hx-trigger", "") != "every 15s" {
					t.Error("polling stops")
				}
				if got := r.doc.Find(`[data-testid="gw-updated"]`).Text(); got != "1 min ago" {
					t.Errorf("updated = %q", got)
				}
			}
			// The open row's detail comes from its last good copy.
			r := hs.get("/gateways/b827ebd0a001", true)
			if r.Code != http.StatusServiceUnavailable || r.doc.Find(`[data-testid="gw-sensor"]`).Length() != 12 {
				t.Errorf("row: status %d, %d sensors", r.Code, r.doc.Find(`[data-testid="gw-sensor"]`).Length())
			}
			if !asOf(r.doc.Find(`[data-testid="gw-detail-notice"]`).Text()) {
				t.Errorf("row notice = %q", r.doc.Find(`[data-testid="gw-detail-notice"]`).Text())
			}
			// Recovery: fresh data, no notice, 200.
			hs.up.setMode(modeOK)
			r = hs.get("/gateways", true)
			if r.Code != 200 || r.doc.Find(`[data-testid="gw-notice"]`).Length() != 0 {
				t.Errorf("after recovery: %d, notice %q", r.Code, r.doc.Find(`[data-testid="gw-notice"]`).Text())
			}
		})
	}
}

func TestFaultWithoutLastGoodData(t *testing.T) {
	hs := newHarness(t, 4)
	hs.up.setMode(modeFail)
	for _, htmx := range []bool{true, false} {
		r := hs.get("/gateways", htmx)
		if r.Code != http.StatusServiceUnavailable {
			t.Fatalf("status %d", r.Code)
		}
		if got := r.doc.Find(`[data-testid="gw-notice"]`).Text(); got != "Thing+ is unavailable, retrying. Nothing to show yet." {
			t.Errorf("notice = %q", got)
		}
		if len(rowCells(r.doc)) != 0 || r.doc.Find(`[data-testid="gw-panel"]`).Length() != 1 {
			t.Error("want an empty panel that keeps polling")
		}
	}
	r := hs.get("/gateways/b827ebd0a001/sensors/b827ebd0a001-1-door1", false)
	if r.Code != http.StatusServiceUnavailable || r.doc.Find(`[data-testid="sensor-notice"]`).Length() != 1 || r.doc.Find(`[data-testid="chart-empty"]`).Length() != 1 {
		t.Errorf("sensor page: %d %s", r.Code, r.Body)
	}
	r = hs.get("/gateways/b827ebd0a001", true)
	if r.Code != http.StatusServiceUnavailable {
		t.Errorf("row: %d", r.Code)
	}
}

func TestSensorPage(t *testing.T) {
	hs := newHarness(t, 2)
	base := "/gateways/b827ebd0a001/sensors/b827ebd0a001-1-door2"
	for _, rg := range []struct {
		key    string
		points int
	}{{"hour", 56}, {"day", 90}, {"week", 158}} {
		t.Run(rg.key, func(t *testing.T) {
			// fn=sum: Thing+'s buckets (a counter alone is drawn as IN/OUT bars
			// from raw events, tested against the sandbox).
			r := hs.get(base+"?range="+rg.key+"&fn=sum", false)
			if r.Code != 200 {
				t.Fatalf("status %d: %s", r.Code, r.Body)
			}
			d := r.doc
			if got := d.Find(`[data-testid="sensor-title"]`).Text(); got != "Car 1 door 2" {
				t.Errorf("title = %q", got)
			}
			if got := d.Find(`[data-testid="sensor-gateway"]`).Text(); got != "Subway 신림-성수 line" {
				t.Errorf("gateway = %q", got)
			}
			if got := d.Find(`[data-testid="sensor-value"]`).Text(); got != "1 person left" {
				t.Errorf("value = %q", got)
			}
			if got := d.Find(`[data-testid="sensor-type"]`).Text(); got != "People through a door (people)" {
				t.Errorf("type = %q", got)
			}
			if got := d.Find(`[data-testid="sensor-count"]`).Text(); got != fmt.Sprint(rg.points) {
				t.Errorf("points = %q, want %d", got, rg.points)
			}
			if d.Find(`[data-testid="sensor-min"]`).Text() != "-4 ea" || d.Find(`[data-testid="sensor-max"]`).Text() != "4 ea" {
				t.Errorf("min/max = %q %q", d.Find(`[data-testid="sensor-min"]`).Text(), d.Find(`[data-testid="sensor-max"]`).Text())
			}
			svg := d.Find(`[data-testid="chart-svg"]`)
			if svg.AttrOr("role", "") != "img" || svg.Find("title").Text() == "" || svg.Find("desc").Text() == "" {
				t.Error("chart lacks role/title/desc")
			}
			if n := svg.Find(`[data-testid="chart-line"]`).Length(); n < 2 {
				t.Errorf("%d lines: gaps should break the line", n)
			}
			cur := d.Find(`[data-testid="sensor-range"][aria-current="page"]`)
			if cur.Length() != 1 || !strings.Contains(cur.AttrOr("href", ""), "range="+rg.key) {
				t.Errorf("current range link = %v", cur.AttrOr("href", ""))
			}
			if href := d.Find(`[data-testid="sensor-csv"]`).AttrOr("href", ""); href != base+"/series.csv?fn=sum&range="+rg.key {
				t.Errorf("csv = %q", href)
			}
			if n := d.Find(`[data-testid="sensor-data"] tbody tr`).Length(); n != rg.points {
				t.Errorf("data table %d rows", n)
			}
			if strings.Contains(r.Body.String(), "style=") || strings.Contains(r.Body.String(), "<script>") {
				t.Error("inline style or script (CSP)")
			}
		})
	}
	// The summary says what the points are.
	r := hs.get(base+"?fn=sum", false)
	if got := r.doc.Find(`[data-testid="sensor-summary"]`).Text(); got != "56 points, one per minute (sum)." {
		t.Errorf("summary = %q", got)
	}
}

func TestSeriesCSV(t *testing.T) {
	hs := newHarness(t, 2)
	rec := hs.get("/gateways/b827ebd0a001/sensors/b827ebd0a001-1-door2/series.csv?range=hour&fn=sum", false)
	if rec.Code != 200 {
		t.Fatalf("status %d", rec.Code)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Errorf("content type %q", ct)
	}
	if cd := rec.Header().Get("Content-Disposition"); !strings.HasPrefix(cd, `attachment; filename="b827ebd0a001-1-door2-hour.csv"`) {
		t.Errorf("disposition %q", cd)
	}
	recs, err := csv.NewReader(strings.NewReader(rec.Body.String())).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 57 || strings.Join(recs[0], ",") != "time,time_ms,value" {
		t.Fatalf("%d records, header %v", len(recs), recs[0])
	}
	// web.CSVTimeLayout: ISO 8601 with milliseconds and the zone offset, as in the trains CSV
	if recs[1][0] != "2025-03-01T11:01:00.000+09:00" || recs[1][1] != fmt.Sprint(testNow.Add(-59*time.Minute).UnixMilli()) || recs[1][2] != "-4" {
		t.Errorf("first record %v", recs[1])
	}
}

func TestUntrustedNamesAreText(t *testing.T) {
	hs := newHarness(t, 0)
	gws := genGateways(2, testNow)
	gws[0]["name"] = `<script>alert("x")</script>`
	gws[1]["name"] = `"><img src=x onerror=alert(1)>`
	hs.up.setGateways(gws)
	r := hs.get("/gateways", false)
	body := r.Body.String()
	if strings.Contains(body, "<script>alert") || strings.Contains(body, "<img src=x") {
		t.Fatal("markup from a gateway name reached the page")
	}
	names := map[string]bool{}
	for _, row := range rowCells(r.doc) {
		names[row[0]] = true
	}
	if !names[`<script>alert("x")</script>`] || !names[`"><img src=x onerror=alert(1)>`] {
		t.Errorf("names not shown as text: %v", names)
	}
}

// The table fragment for 50 gateways stays within 12 KB, and 2 KB gzipped.
func TestFragmentSizeBudget(t *testing.T) {
	hs := newHarness(t, 50)
	r := hs.get("/gateways", true)
	if r.Code != 200 || len(rowCells(r.doc)) != 50 {
		t.Fatalf("status %d, %d rows", r.Code, len(rowCells(r.doc)))
	}
	raw := r.Body.Len()
	var gz bytes.Buffer
	w, _ := gzip.NewWriterLevel(&gz, gzip.DefaultCompression)
	w.Write(r.Body.Bytes())
	w.Close()
	t.Logf("50-gateway fragment: %d bytes, %d gzipped", raw, gz.Len())
	if raw > 12*1024 {
		t.Errorf("fragment %d bytes > 12 KB", raw)
	}
	if gz.Len() > 2*1024 {
		t.Errorf("gzipped %d bytes > 2 KB", gz.Len())
	}
}

func TestStatusKey(t *testing.T) {
	now := testNow
	at := func(d time.Duration) thingplus.Millis { return thingplus.Millis(now.Add(d).UnixMilli()) }
	cases := []struct {
		s    statusIn
		want string
	}{
		{statusIn{}, stOff},
		{statusIn{Loaded: true, Value: "on", Time: at(-time.Second), ExpireAt: at(time.Minute)}, stOn},
		{statusIn{Loaded: true, Value: "on", Time: at(-time.Hour), ExpireAt: at(-time.Second)}, stStale},
		{statusIn{Loaded: true, Value: "on", Time: at(-time.Hour), ExpireAt: thingplus.Never, Interval: time.Minute}, stStale},
		{statusIn{Loaded: true, Value: "on", Time: at(-80 * time.Second), ExpireAt: thingplus.Never, Interval: time.Minute}, stOn},
		{statusIn{Loaded: true, Value: "on", Time: at(-time.Hour), ExpireAt: thingplus.Never}, stOn},
		{statusIn{Loaded: true, Value: "err", Time: at(-time.Hour), ExpireAt: at(-time.Second)}, stError},
		{statusIn{Loaded: true, Value: "off", Time: at(-time.Second)}, stOff},
		{statusIn{Loaded: true, Value: "off", Time: at(-72 * time.Hour), ExpireAt: at(-71 * time.Hour), Interval: time.Minute}, stStale},
		{statusIn{Loaded: true, Value: "on", Time: at(-time.Hour), ExpireAt: at(time.Hour), Interval: time.Minute}, stStale},
		{statusIn{Loaded: true, Value: "banana"}, stOff},
	}
	for i, tc := range cases {
		if got := tc.s.key(now); got != tc.want {
			t.Errorf("case %d: %q, want %q", i, got, tc.want)
		}
	}
}

func TestNaturalCompare(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"door 2", "door 10", -1}, {"door 10", "door 2", 1}, {"a", "a", 0}, {"a1", "a01", 1},
		{"Car 1 door 3", "Car 1 door 12", -1}, {"", "a", -1}, {"잠실", "신림", 1},
	} {
		if got := naturalOrder(tc.a, tc.b); got != tc.want {
			t.Errorf("naturalCompare(%q, %q) = %d", tc.a, tc.b, got)
		}
	}
}

func TestNiceScaleNeverLoops(t *testing.T) {
	for _, c := range [][2]float64{{0, 0}, {-4, 4}, {1e308, -1e308}, {-1e308, 1e308}, {5, 5}, {0.001, 0.002}, {1e-300, 2e-300}, {-3, 1e15}} {
		lo, hi, step, ok := niceScale(c[0], c[1], 5)
		if ok && (hi <= lo || step <= 0 || (hi-lo)/step > 20) {
			t.Errorf("niceScale(%v) = %v %v %v", c, lo, hi, step)
		}
	}
	lo, hi, step, ok := niceScale(-4, 4, 5)
	if !ok || lo != -4 || hi != 4 || step != 2 {
		t.Errorf("niceScale(-4, 4) = %v %v %v", lo, hi, step)
	}
}

func TestLastGoodIsBounded(t *testing.T) {
	l := newLastGood(3)
	for i := 0; i < 10; i++ {
		l.put(fmt.Sprint(i), i, testNow)
	}
	if l.len() != 3 {
		t.Errorf("len %d", l.len())
	}
	if _, _, ok := l.get("0"); ok {
		t.Error("oldest kept")
	}
	if v, _, ok := lastOf[int](l, "9"); !ok || v != 9 {
		t.Errorf("newest = %v %v", v, ok)
	}
}

func TestURLsEscapeIDs(t *testing.T) {
	if got := sensorHref("gw 1", "a/b"); got != "/gateways/gw%201/sensors/a%2Fb" {
		t.Errorf("sensorHref = %q", got)
	}
	st := parseListState(url.Values{"q": {strings.Repeat("x", 500)}, "open": {"a", "a", "b"}}, 10)
	if len([]rune(st.Q)) != 101 || len(st.Open) != 2 {
		t.Errorf("state = %d runes, open %v", len([]rune(st.Q)), st.Open)
	}
}

func TestHandlerTextKeysExist(t *testing.T) {
	re := regexp.MustCompile(`text\.T\((?:[a-z.]+, )?"([^"]+)"\)`)
	files, _ := filepath.Glob("*.go")
	n := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			n++
			if !text.Has(m[1]) {
				t.Errorf("%s uses missing text %q", f, m[1])
			}
		}
	}
	// Keys built from parts.
	for _, k := range append(append([]string{}, sortKeys...), "name") {
		if !text.Has("gw.col." + k) {
			t.Errorf("missing gw.col.%s", k)
		}
	}
	for _, r := range ranges {
		for _, k := range []string{"gw.range." + r.Key, "gw.range." + r.Key + ".noun", "gw.every." + r.Interval} {
			if !text.Has(k) {
				t.Errorf("missing %s", k)
			}
		}
	}
	for _, k := range append(statusKeys, "average", "sum", "count") {
		if !text.Has("gw.status."+k) && !text.Has("gw.func."+k) {
			t.Errorf("missing text for %s", k)
		}
	}
	if n < 20 {
		t.Errorf("only %d keys found", n)
	}
}

func TestFilterFormPushesCanonicalURL(t *testing.T) {
	hs := newHarness(t, 3)
	req := httptest.NewRequest(http.MethodGet, "/gateways?q=gate&status=&sort=name&dir=asc&open=b827ebd0a002", nil)
	req.Header.Set("HX-Request", "true")
	req.Header.Set("HX-Trigger", "gw-filter")
	rec := httptest.NewRecorder()
	hs.eng.ServeHTTP(rec, req)
	if got := rec.Header().Get("HX-Push-Url"); got != "/gateways?q=gate&open=b827ebd0a002" {
		t.Errorf("HX-Push-Url = %q", got)
	}
	// The poll never pushes.
	r := hs.get("/gateways?q=gate", true)
	if got := r.Header().Get("HX-Push-Url"); got != "" {
		t.Errorf("poll pushes %q", got)
	}
}

// asOf reports whether a notice says the data shown is the last good copy:
// "As of …" for an outage, "… Showing what arrived at …" with a reason.
func asOf(notice string) bool {
	return strings.HasPrefix(notice, "As of ") || strings.Contains(notice, " Showing what arrived at ")
}
