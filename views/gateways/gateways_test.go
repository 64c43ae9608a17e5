package gateways

import (
	"bytes"
	"context"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"

	"github.com/thingplus/thingplus-webapp/views/text"
)

func render(t *testing.T, c templ.Component) (string, *goquery.Document) {
	t.Helper()
	var buf bytes.Buffer
	if err := c.Render(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	html := buf.String()
	body := html
	if strings.HasPrefix(body, "<tbody") {
		body = "<table>" + body + "</table>" // parsed in its table, as htmx does
	}
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return html, doc
}

func byID(doc *goquery.Document, id string) *goquery.Selection {
	return doc.Find(`[data-testid="` + id + `"]`)
}

func sampleRow() Row {
	return Row{
		ID: "b827ebd0a001", Name: "Subway 신림-성수 line", Model: "Open API Gateway",
		Status:  Badge{Kind: "ok", Text: "on"},
		Last:    Ago{Text: "12 s ago", Title: "2025-03-01 11:59:48 KST", Ms: "1740797988000"},
		Devices: "3", Sensors: "12", Toggle: "/gateways/b827ebd0a001", Href: "/gateways/b827ebd0a001",
	}
}

func sampleTable() Table {
	r2 := sampleRow()
	r2.ID, r2.Name, r2.Status, r2.Last = "b827ebd0a003", "Offline", Badge{Kind: "warn", Text: "no recent report"}, Ago{Text: "never"}
	return Table{
		URL: "/gateways?q=a%26b&sort=id", PollSec: 15, SortBy: "id", SortDir: "asc",
		Columns: []Column{{Key: "name", Label: "Name", Href: "/gateways?q=a%26b"}, {Key: "id", Label: "ID", Href: "/gateways?dir=desc&sort=id", Sort: "ascending"}},
		Rows:    []Row{sampleRow(), r2},
		Shown:   "2 gateways",
		Updated: Ago{Text: "0 s ago", Title: "2025-03-01 12:00:00 KST", Ms: "1740798000000"},
	}
}

func TestGatewaysTable(t *testing.T) {
	_, doc := render(t, GatewaysTable(sampleTable()))
	panel := byID(doc, "gw-panel")
	for attr, want := range map[string]string{
		"id": "gateways", "hx-get": "/gateways?q=a%26b&sort=id", "hx-trigger": "every 15s",
		"hx-swap": "outerHTML", "hx-push-url": "false", "hx-include": "[name=open], [data-testid=gw-updated]",
	} {
		if got := panel.AttrOr(attr, ""); got != want {
			t.Errorf("panel %s = %q, want %q", attr, got, want)
		}
	}
	if got := byID(doc, "gw-updated").AttrOr("data-since", ""); got != "1740798000000" {
		t.Errorf("updated data-since = %q", got)
	}
	table := byID(doc, "gw-table")
	if table.AttrOr("hx-target", "") != "closest tbody" || table.Find("caption").Length() != 1 {
		t.Error("table lacks its row target or caption")
	}
	rows := table.Find("tbody")
	if rows.Length() != 2 {
		t.Fatalf("%d rows", rows.Length())
	}
	cells := rows.First().Find("td")
	want := []string{"Subway 신림-성수 line", "b827ebd0a001", "Open API Gateway", "on", "12 s ago", "3", "12"}
	for i, w := range want {
		if got := strings.TrimSpace(cells.Eq(i).Text()); got != w {
			t.Errorf("cell %d = %q, want %q", i, got, w)
		}
	}
	if !cells.Eq(3).HasClass("ok") || cells.Eq(4).AttrOr("title", "") != "2025-03-01 11:59:48 KST" {
		t.Error("status class or absolute time missing")
	}
	second := rows.Eq(1).Find("td")
	if !second.Eq(3).HasClass("warn") || second.Eq(4).AttrOr("title", "none") != "none" {
		t.Errorf("never-reported row: class %q title %q", second.Eq(3).AttrOr("class", ""), second.Eq(4).AttrOr("title", "none"))
	}
	btn := rows.First().Find("button")
	if btn.AttrOr("hx-get", "") != "/gateways/b827ebd0a001" || btn.AttrOr("aria-expanded", "") != "false" {
		t.Errorf("toggle %v %v", btn.AttrOr("hx-get", ""), btn.AttrOr("aria-expanded", ""))
	}
	th := doc.Find("thead th")
	if th.Eq(1).AttrOr("aria-sort", "") != "ascending" || th.Eq(0).AttrOr("aria-sort", "none") != "none" {
		t.Error("aria-sort wrong")
	}
	if doc.Find("thead").AttrOr("hx-target", "") != "#gateways" || doc.Find("thead").AttrOr("hx-push-url", "") != "true" {
		t.Error("sort links do not replace the panel and push the URL")
	}
	if th.Eq(0).Find("a").AttrOr("hx-get", "") != "/gateways?q=a%26b" {
		t.Errorf("sort link = %q", th.Eq(0).Find("a").AttrOr("hx-get", ""))
	}
	if doc.Find(`input[name=sort][value=id]`).Length() != 1 {
		t.Error("sort state input missing")
	}
	if byID(doc, "gw-empty").Length() != 0 || byID(doc, "gw-notice").Length() != 0 {
		t.Error("empty text or notice shown with rows")
	}
}

func TestGatewaysTableEmptyAndNotice(t *testing.T) {
	tb := Table{URL: "/gateways", Empty: "You have no gateways yet.", Notice: Notice{Kind: "warn", Text: "As of 12:00: Thing+ is unavailable, retrying."}}
	_, doc := render(t, GatewaysTable(tb))
	if byID(doc, "gw-empty").Text() != "You have no gateways yet." {
		t.Error("no empty text")
	}
	n := byID(doc, "gw-notice")
	if n.AttrOr("role", "") != "status" || !n.HasClass("warn") || !strings.Contains(n.Text(), "retrying") {
		t.Errorf("notice = %q role %q", n.Text(), n.AttrOr("role", ""))
	}
	if byID(doc, "gw-panel").AttrOr("hx-trigger", "") != "every 15s" {
		t.Error("poll default")
	}
}

func TestGatewayRowOpen(t *testing.T) {
	r := sampleRow()
	r.Open, r.Toggle = true, "/gateways/b827ebd0a001/row"
	r.Detail = &Detail{Groups: []DeviceGroup{
		{ID: "b827ebd0a001-1", Name: "Car 1", Sensors: []SensorRow{{ID: "s1", Name: "Car 1 door 1", Href: "/gateways/b827ebd0a001/sensors/s1",
			Type: "countEvent (ea)", Value: "1 ea", Age: Ago{Text: "3 s ago", Title: "t", Ms: "1"}, Status: Badge{Kind: "ok", Text: "on"}}}},
		{ID: "b827ebd0a001-2", Name: "Car 2"},
	}}
	html, doc := render(t, GatewayRow(r))
	if !strings.HasPrefix(html, "<tbody><tr>") {
		t.Errorf("starts %q", html[:20])
	}
	if doc.Find("button").AttrOr("aria-expanded", "") != "true" {
		t.Error("not expanded")
	}
	det := byID(doc, "gw-detail")
	if det.Find("td").First().AttrOr("colspan", "") != "7" || det.Find(`input[name=open]`).AttrOr("value", "") != "b827ebd0a001" {
		t.Error("detail row lacks colspan or open marker")
	}
	if byID(doc, "gw-link").AttrOr("href", "") != "/gateways/b827ebd0a001" {
		t.Error("no link to the gateway page")
	}
	groups := byID(doc, "gw-device")
	if groups.Length() != 2 || !strings.Contains(groups.First().Find("th").Text(), "Car 1") {
		t.Fatalf("groups = %d", groups.Length())
	}
	s := byID(doc, "gw-sensor")
	if s.Length() != 1 || byID(doc, "gw-sensor-value").Text() != "1 ea" || strings.TrimSpace(byID(doc, "gw-sensor-status").Text()) != "on" {
		t.Errorf("sensor row = %q", s.Text())
	}
	if byID(doc, "gw-sensor-status").Find(".badge.ok").Length() != 1 {
		t.Error("sensor badge class")
	}
	if !strings.Contains(groups.Eq(1).Text(), text.T(context.Background(), "gw.nosensors")) {
		t.Error("empty device says nothing")
	}
}

func TestGatewayRowDetailEmptyAndNotice(t *testing.T) {
	r := sampleRow()
	r.Open = true
	r.Detail = &Detail{Empty: "This gateway has no devices or sensors.", Notice: Notice{Kind: "bad", Text: "down"}}
	_, doc := render(t, GatewayRow(r))
	if byID(doc, "gw-detail-empty").Length() != 1 || byID(doc, "gw-sensors").Length() != 0 {
		t.Error("empty detail")
	}
	if byID(doc, "gw-detail-notice").AttrOr("role", "") != "alert" {
		t.Error("bad notice should be an alert")
	}
}

// Untrusted strings stay text everywhere, including the hand-written row.
func TestEscaping(t *testing.T) {
	evil := `"><script>alert(1)</script><b x='`
	r := Row{ID: evil, Name: evil, Model: evil, Status: Badge{Kind: `ok onmouseover=alert(1)`, Text: evil},
		Last: Ago{Text: evil, Title: evil}, Devices: evil, Sensors: evil, Toggle: "/gateways/" + evil, Href: "/gateways/x"}
	html, doc := render(t, GatewaysTable(Table{Rows: []Row{r}}))
	if strings.Contains(html, "<script>") || strings.Contains(html, "onmouseover") {
		t.Fatalf("markup leaked: %s", html)
	}
	cells := doc.Find("tbody td")
	for i := 0; i < 7; i++ {
		if got := cells.Eq(i).Text(); got != evil && i != 3 {
			t.Errorf("cell %d = %q", i, got)
		}
	}
	if !cells.Eq(3).HasClass("off") {
		t.Errorf("unknown status kind gave class %q", cells.Eq(3).AttrOr("class", ""))
	}
	if got := doc.Find("button").AttrOr("hx-get", ""); got != "/gateways/"+evil {
		t.Errorf("hx-get = %q", got)
	}
	if got := cells.Eq(4).AttrOr("title", ""); got != evil {
		t.Errorf("title = %q", got)
	}
}

func TestGatewaysPage(t *testing.T) {
	p := Page{Filter: Filter{Q: "신림", Status: "on", Options: []Option{{Value: "", Label: "All"}, {Value: "on", Label: "on", Selected: true}}}, Table: sampleTable()}
	_, doc := render(t, GatewaysPage(p))
	f := byID(doc, "gw-filter")
	if f.AttrOr("hx-get", "") != "/gateways" || f.AttrOr("hx-target", "") != "#gateways" || f.AttrOr("hx-push-url", "") != "true" || f.AttrOr("action", "") != "/gateways" {
		t.Error("filter form attributes")
	}
	if byID(doc, "gw-q").AttrOr("value", "") != "신림" || byID(doc, "gw-status").Find("option[selected]").AttrOr("value", "") != "on" {
		t.Error("filter state not shown")
	}
	for _, id := range []string{"gw-q", "gw-status"} {
		if doc.Find(`label[for="`+byID(doc, id).AttrOr("id", "?")+`"]`).Length() != 1 {
			t.Errorf("%s unlabelled", id)
		}
	}
	if byID(doc, "gw-title").Length() != 1 || byID(doc, "gw-panel").Length() != 1 {
		t.Error("title or panel missing")
	}
}

func TestSensorPageView(t *testing.T) {
	p := SensorPage{
		Title: "Car 1 door 2", GatewayName: "Subway", GatewayHref: "/gateways/gw", ID: "gw-1-door2", Type: "countEvent (ea)",
		Value: "-1 ea", Age: Ago{Text: "5 s ago", Title: "t", Ms: "5"}, Status: Badge{Kind: "ok", Text: "on"},
		Ranges: []RangeLink{{Label: "Last hour", Href: "/x?range=hour", Current: true}, {Label: "Last day", Href: "/x?range=day"}},
		Chart: Chart{ViewBox: "0 0 720 260", Title: "Car 1 door 2 over the last hour", Desc: "Line chart",
			Lines: []string{"60.0,20.0 70.0,30.0"}, Dots: []Dot{{X: "80.0", Y: "40.0"}},
			YTicks: []Tick{{X: "54", Y: "12", Label: "4"}}, XTicks: []Tick{{X: "60", Y: "250", Label: "11:15"}},
			Frame: Frame{X: "60", Y: "12", W: "646", H: "214"}},
		Stats:   []Stat{{Label: "Minimum", Value: "-4 ea", Testid: "sensor-min"}},
		CSVHref: "/x/series.csv?range=hour", CSVLabel: "Download CSV",
		Points:  []PointRow{{Time: "2025-03-01 11:01", Value: "-4"}},
		Summary: "56 points, one per minute (sum).",
	}
	html, doc := render(t, SensorPageView(p))
	if strings.Contains(html, "style=") {
		t.Error("inline style (CSP)")
	}
	checks := map[string]string{"sensor-title": "Car 1 door 2", "sensor-value": "-1 ea", "sensor-type": "countEvent (ea)",
		"sensor-min": "-4 ea", "sensor-summary": "56 points, one per minute (sum).", "sensor-gateway": "Subway"}
	for id, want := range checks {
		if got := strings.TrimSpace(byID(doc, id).Text()); got != want {
			t.Errorf("%s = %q, want %q", id, got, want)
		}
	}
	svg := byID(doc, "chart-svg")
	if svg.AttrOr("viewbox", svg.AttrOr("viewBox", "")) != "0 0 720 260" || svg.AttrOr("role", "") != "img" {
		t.Error("svg attributes")
	}
	if byID(doc, "chart-line").AttrOr("points", "") != "60.0,20.0 70.0,30.0" || byID(doc, "chart-dot").Length() != 1 {
		t.Error("line or dot")
	}
	if byID(doc, "chart-empty").Length() != 0 {
		t.Error("empty text with data")
	}
	if cur := doc.Find(`[data-testid="sensor-range"][aria-current="page"]`); cur.Text() != "Last hour" {
		t.Errorf("current range = %q", cur.Text())
	}
	if byID(doc, "sensor-csv").AttrOr("href", "") != "/x/series.csv?range=hour" {
		t.Error("csv link")
	}
	if byID(doc, "sensor-data").Find("tbody tr").Length() != 1 {
		t.Error("data table")
	}
}

func TestEveryTextKeyExists(t *testing.T) {
	re := regexp.MustCompile(`text\.T\((?:[a-z.]+, )?"([^"]+)"\)`)
	n := 0
	for _, src := range []string{"gateways.templ", "sensor.templ"} {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			n++
			if !text.Has(m[1]) {
				t.Errorf("%s uses missing text %q", src, m[1])
			}
		}
	}
	if n < 20 {
		t.Errorf("only %d keys found: the pattern is broken", n)
	}
}

// The pager's links are plain links whose URL is their whole state: the
// panel's hx-include (open rows, for the poll) is unset on the pager, so an
// open row's id cannot ride into the pushed URL of another page (the
// browser proof is e2e TestGatewayPager).
func TestPagerIncludesNothing(t *testing.T) {
	tb := sampleTable()
	tb.Rows[0].Open = true
	tb.Pager = Pager{Page: 1, Pages: 2, At: "Page 1 of 2", Label: "Pages", NextURL: "/gateways?page=2",
		Links: []PageLink{{N: 1, Label: "1", URL: "/gateways", Current: true}, {N: 2, Label: "2", URL: "/gateways?page=2"}}}
	_, doc := render(t, GatewaysTable(tb))
	if v, _ := byID(doc, "gw-panel").Attr("hx-include"); !strings.Contains(v, "[name=open]") {
		t.Fatalf("the panel's poll no longer includes open rows: %q", v)
	}
	nav := byID(doc, "gw-pager")
	if v, _ := nav.Attr("hx-include"); v != "unset" {
		t.Errorf("pager hx-include = %q, want unset", v)
	}
	if v, _ := nav.Attr("hx-push-url"); v != "true" {
		t.Errorf("pager hx-push-url = %q", v)
	}
	nav.Find("a[hx-get]").Each(func(_ int, a *goquery.Selection) {
		if a.AttrOr("hx-get", "") != a.AttrOr("href", "") || strings.Contains(a.AttrOr("href", ""), "open=") {
			t.Errorf("pager link href %q hx-get %q", a.AttrOr("href", ""), a.AttrOr("hx-get", ""))
		}
	})
}
