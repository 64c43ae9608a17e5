package trains

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

func render(t *testing.T, c templ.Component) (*goquery.Document, string) {
	t.Helper()
	var buf bytes.Buffer
	if err := c.Render(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	d, err := goquery.NewDocumentFromReader(strings.NewReader(buf.String()))
	if err != nil {
		t.Fatal(err)
	}
	return d, buf.String()
}

func sampleList() List {
	return List{
		Trains: []Train{
			{ID: 1000, Name: "신림-성수", Running: true, Cars: []Car{
				{ID: 2000, TrainID: 1000, Position: 1, Cars: 2, Capacity: 4, Count: 7, Percent: 175, Level: "crowded",
					FillPct: 100, OverPct: 75, UpdatedMs: 1700000000000, Updated: "2023-11-14 22:13:20",
					Doors: []Door{{SensorID: "gw-1-door1", Label: "Door 1", PushIN: "http://x/in", PushOUT: "http://x/out"}}, CanEdit: true, CanOwn: true},
				{ID: 2001, TrainID: 1000, Position: 2, Cars: 2, Capacity: 5, Level: "spacious", CanEdit: true, CanOwn: true},
			}, Levels: Levels{80, 130, 150}, Roomiest: 2, Role: "owner", CanEdit: true, CanOwn: true, Owner: "demo",
				PushIN: "http://x/api/trigger/{sensorId}/IN?key=tok", PushOUT: "http://x/api/trigger/{sensorId}/OUT?key=tok"},
			{ID: 1004, Name: `<script>alert(1)</script>`, Role: "owner", CanEdit: true, CanOwn: true, Owner: "demo"},
		},
		Options: []TrainOption{{1000, "신림-성수"}, {1004, "x"}},
		PollURL: "/trains/poll?sh=abc", PollSec: 10,
	}
}

func TestCarLive(t *testing.T) {
	d, html := render(t, CarLive(sampleList().Trains[0].Cars[0], false))
	live := d.Find(`[data-testid="car-live"]`)
	if live.AttrOr("id", "") != "car-2000-live" || live.AttrOr("sse-swap", "") != "car-2000" || live.AttrOr("hx-swap", "") != "outerHTML settle:0ms" {
		t.Fatalf("live attrs: %s", html)
	}
	if _, oob := live.Attr("hx-swap-oob"); oob {
		t.Fatal("oob without asking")
	}
	// Crowd level: colour class and a text label (colour is not the only signal).
	lv := d.Find(`[data-testid="car-level"]`)
	if lv.Text() != "Crowded" || lv.AttrOr("class", "") != "badge lvl lvl-crowded" {
		t.Fatalf("level: %q %q", lv.Text(), lv.AttrOr("class", ""))
	}
	// The bar: full to capacity in the level's colour, the 75 % beyond
	// capacity as a hatched second bar on the same scale, and a text label.
	bar := d.Find(`[data-testid="crowd-bar"]`)
	if d.Find(`[data-testid="car-count"]`).Text() != "7" || bar.AttrOr("aria-label", "") != "175 % of capacity: Crowded" ||
		bar.Find(`[data-testid="crowd-fill"]`).AttrOr("width", "") != "100%" || bar.Find(`[data-testid="crowd-fill"]`).AttrOr("class", "") != "crowd-fill lvl-crowded" ||
		bar.Find(`[data-testid="crowd-over"]`).AttrOr("width", "") != "75%" {
		t.Fatalf("count or bar: %s", html)
	}
	if d.Find("time").AttrOr("data-since", "") != "1700000000000" {
		t.Fatal("updated time")
	}
	d, _ = render(t, CarLive(sampleList().Trains[0].Cars[1], true))
	if d.Find(`[data-testid="car-live"]`).AttrOr("hx-swap-oob", "") != "true" || d.Find(`[data-testid="car-updated"]`).Text() != "never" {
		t.Fatal("oob / never")
	}
}

func TestListBody(t *testing.T) {
	l := sampleList()
	l.Form = Form{ID: "cap-2000", Values: map[string]string{"capacity": "-3"}, Error: "capacity must be 1 to 10000"}
	d, html := render(t, ListBody(l))
	if strings.Contains(html, "<script>") {
		t.Fatal("train name not escaped")
	}
	if d.Find(`[data-testid="train"]`).Length() != 2 || d.Find(`[data-testid="car"]`).Length() != 2 {
		t.Fatal("trains or cars missing")
	}
	// The page, the SSE event and the form answers share CarLive.
	if d.Find(`#car-2000 > [data-testid="car-live"]`).Length() != 1 {
		t.Fatal("car card does not compose CarLive")
	}
	in := d.Find("#cap-2000-capacity")
	if in.AttrOr("value", "") != "-3" || in.AttrOr("aria-invalid", "") != "true" || in.AttrOr("aria-describedby", "") != "cap-2000-capacity-error" {
		t.Fatal("failed form lost its input or error wiring")
	}
	if d.Find("#cap-2000-capacity-error").Text() != "capacity must be 1 to 10000" {
		t.Fatal("error text")
	}
	if d.Find("#cap-2001-capacity").AttrOr("value", "") != "5" {
		t.Fatal("other forms must keep their own values")
	}
	// Every form posts with htmx into the list and works without JavaScript.
	d.Find("form").Each(func(_ int, f *goquery.Selection) {
		if f.AttrOr("method", "") != "post" || f.AttrOr("action", "") != f.AttrOr("hx-post", "x") || f.AttrOr("hx-target", "") != "#trains-list" {
			t.Errorf("form %s", f.AttrOr("data-form", ""))
		}
	})
	// Move buttons only where they make sense; move-to lists other trains only.
	if d.Find(`#car-2000 [data-testid="move-up"]`).Length() != 0 || d.Find(`#car-2000 [data-testid="move-down"]`).Length() != 1 ||
		d.Find(`#car-2001 [data-testid="move-down"]`).Length() != 0 {
		t.Fatal("move buttons")
	}
	if d.Find(`#move-2000-train option`).Length() != 1 {
		t.Fatal("move-to options")
	}
	poll := d.Find(`[data-testid="poll"]`)
	if poll.AttrOr("hx-trigger", "") != "every 10s" || poll.AttrOr("hx-swap", "") != "none" {
		t.Fatal("poll")
	}
	// Labels point at inputs.
	d.Find("label[for]").Each(func(_ int, l *goquery.Selection) {
		if d.Find("#"+l.AttrOr("for", "")).Length() != 1 {
			t.Errorf("label for %q has no input", l.AttrOr("for", ""))
		}
	})
}

func TestPageBody(t *testing.T) {
	d, _ := render(t, PageBody(Page{List: sampleList(), PushIN: "http://h/api/trigger/{sensorId}/IN?key=k", StreamURL: "/trains/stream?tab=t1", Tab: "t1",
		Sensors: []SensorOption{{ID: "gw-1-door2", Name: "Car 1 door 2"}}}))
	if d.Find(`[hx-ext="sse"][sse-connect="/trains/stream?tab=t1"] #trains-list[sse-swap="snapshot"]`).Length() != 1 {
		t.Fatal("sse wiring")
	}
	if d.Find(`[data-testid="push-url-in"]`).AttrOr("value", "") != "http://h/api/trigger/{sensorId}/IN?key=k" {
		t.Fatal("push URL")
	}
	if d.Find("#trains-tab").AttrOr("value", "") != "t1" || d.Find("datalist#trains-sensors option").Length() != 1 {
		t.Fatal("tab or sensors")
	}
}

func TestEventsTable(t *testing.T) {
	e := Events{Rows: []EventRow{{ID: 1, Time: "t", TrainID: 1000, CarID: 2000, Type: "OUT", Outcome: "clamped", Delta: 0},
		{ID: 2, Outcome: "applied", Delta: -1}, {ID: 3, Outcome: "bad_key", SensorID: "<b>x</b>"}},
		CSVURL: "/trains/events.csv", NextURL: "/trains/events?before=1"}
	d, html := render(t, EventsTable(e))
	if strings.Contains(html, "<b>x</b>") || d.Find(`[data-testid="event"]`).Length() != 3 || d.Find("th[scope=col]").Length() != 9 {
		t.Fatal("table")
	}
	if d.Find(`[data-testid="event"]`).Eq(1).Find("td.num").First().Text() != "-1" {
		t.Fatal("delta")
	}
	if d.Find(`[data-testid="older"]`).AttrOr("hx-get", "") != "/trains/events?before=1" {
		t.Fatal("older link")
	}
}

// Every text key the trains views use exists in the catalogue.
func TestTextKeys(t *testing.T) {
	keys := regexp.MustCompile(`text\.T\("(trains\.[a-z._]+)"\)`)
	for _, f := range []string{"trains.templ", "events.templ", "heatmap.templ"} {
		src := mustRead(t, f)
		for _, m := range keys.FindAllStringSubmatch(src, -1) {
			if !strings.HasSuffix(m[1], ".") && !text.Has(m[1]) {
				t.Errorf("%s: missing text key %s", f, m[1])
			}
		}
	}
	for _, l := range []string{"spacious", "normal", "caution", "crowded"} {
		if !text.Has("trains.level." + l) {
			t.Errorf("level %s", l)
		}
	}
	for _, o := range []string{"applied", "clamped", "duplicate", "unknown_sensor", "bad_key", "invalid", "corrected", "reset"} {
		if !text.Has("trains.outcome."+o) || !text.Has("trains.result."+o) {
			t.Errorf("outcome %s", o)
		}
	}
}

func mustRead(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestViewerList: a viewer's train has the live cars and none of the
// manage controls, push URLs or the owner's panel.
func TestViewerList(t *testing.T) {
	l := sampleList()
	l.Trains = l.Trains[:1]
	tr := &l.Trains[0]
	tr.Role, tr.CanEdit, tr.CanOwn, tr.PushIN, tr.PushOUT = "viewer", false, false, "", ""
	for i := range tr.Cars {
		tr.Cars[i].CanEdit, tr.Cars[i].CanOwn = false, false
		tr.Cars[i].Doors = nil
	}
	d, html := render(t, ListBody(l))
	if d.Find(`[data-testid="car-live"]`).Length() != 2 {
		t.Fatal("viewer lost the live cars")
	}
	if n := d.Find(`[data-testid="train-manage"], [data-testid="car-manage"], [data-testid="owner-panel"]`).Length(); n != 0 || strings.Contains(html, "key=") {
		t.Fatalf("viewer gets %d manage panels", n)
	}
	if d.Find(`[data-testid="train-role"]`).Text() != "Shared with you as viewer by demo" {
		t.Fatalf("role badge %q", d.Find(`[data-testid="train-role"]`).Text())
	}
	// The owner gets the panel with the train's own push URLs.
	d, _ = render(t, ListBody(sampleList()))
	if d.Find(`[data-train-id="1000"] [data-testid="train-push-in"]`).AttrOr("value", "") != "http://x/api/trigger/{sensorId}/IN?key=tok" ||
		d.Find(`[data-testid="train-role"]`).Length() != 0 {
		t.Fatal("owner panel")
	}
}
