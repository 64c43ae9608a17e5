package trains

import (
	"context"
	"encoding/csv"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/thingplus/thingplus-webapp/handlers/web"
	"github.com/thingplus/thingplus-webapp/thingplus"
	"github.com/thingplus/thingplus-webapp/trains"
	"github.com/thingplus/thingplus-webapp/views/text"
)

// A train's times are in its owner's Thing+ zone, named, for every reader:
// a viewer in Seoul sharing a New York owner's train reads New York times
// on the car cards, the event log and its CSV, and the history, while their
// own trains stay in KST. A mixed log names the zone on every time.
func TestTrainTimesInOwnerZone(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	e.users["3"] = testUser{thingplus.User{ID: "3", LoginID: "nyc", Timezone: "-5.00"}, "token-3"}
	ny := thingplus.Zone("-5.00")

	// The owner creates the train through the page: it takes their zone.
	resp, _ := e.do(req{method: "POST", path: "/trains", ctype: formType, body: form("name", "뉴욕선"), as: "3"})
	if resp.StatusCode >= 400 {
		t.Fatalf("create: %d", resp.StatusCode)
	}
	ts, _ := e.store.TrainsFor(ctx, trains.Principal{UserID: "3", LoginID: "nyc"})
	if len(ts) != 1 || ts[0].OwnerZone != "-5.00" {
		t.Fatalf("created %+v, want the owner's zone -5.00", ts)
	}
	id := ts[0].ID
	car, err := e.store.AddCar(ctx, id, 100)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.store.AssignDoor(ctx, car.ID, trains.Door{SensorID: "nyc-door1", Label: "Door 1"}); err != nil {
		t.Fatal(err)
	}
	if err := e.store.ShareTrain(ctx, id, "demo", trains.RoleViewer); err != nil {
		t.Fatal(err)
	}
	tok, _ := e.store.Token(ctx, id)
	for _, p := range []string{"/api/trigger/nyc-door1/IN?key=" + tok.Token, "/api/trigger/" + sensor(1, 1) + "/IN?key=" + testKey} {
		if resp, _ := e.do(req{method: "POST", path: p}); resp.StatusCode != 204 {
			t.Fatalf("push %s: %d", p, resp.StatusCode)
		}
	}
	evs, _ := e.store.Events(ctx, trains.EventFilter{Limit: 10})
	at := map[int64]time.Time{} // event time by train
	for _, ev := range evs {
		if ev.Type == trains.TypeIn {
			at[ev.TrainID] = ev.Time
		}
	}

	// Car cards: the zone named on the train, each time in it.
	_, body := e.do(req{method: "GET", path: "/trains", user: true})
	d := doc(t, body)
	sec := d.Find(`[data-testid="train"][data-train-id="` + strconv.FormatInt(id, 10) + `"]`)
	if z := sec.Find(`[data-testid="train-zone"]`).Text(); !strings.Contains(z, "UTC-05:00") {
		t.Fatalf("shared train's zone %q, want the owner's UTC-05:00", z)
	}
	upd := sec.Find(`[data-testid="car-updated"]`)
	if want := at[id].In(ny).Format(web.LogTimeLayout) + " UTC-05:00"; upd.AttrOr("title", "") != want {
		t.Fatalf("car changed %q, want %q", upd.AttrOr("title", ""), want)
	}
	if dt, err := time.Parse(time.RFC3339, upd.AttrOr("datetime", "")); err != nil || !strings.HasSuffix(upd.AttrOr("datetime", ""), "-05:00") || !dt.Equal(at[id].Truncate(time.Second)) {
		t.Fatalf("car datetime %q (%v)", upd.AttrOr("datetime", ""), err)
	}
	own := d.Find(`[data-testid="train"][data-train-id="1000"]`)
	if z := own.Find(`[data-testid="train-zone"]`).Text(); !strings.Contains(z, "KST") {
		t.Fatalf("own train's zone %q, want KST", z)
	}
	if got := own.Find(`[data-testid="car-updated"]`).First().AttrOr("title", ""); got != at[1000].In(thingplus.DefaultZone).Format(web.LogTimeLayout)+" KST" {
		t.Fatalf("own car changed %q", got)
	}

	// The log of the shared train alone: one zone, named in the header.
	_, body = e.do(req{method: "GET", path: "/trains/events?train=" + strconv.FormatInt(id, 10), user: true})
	d = doc(t, body)
	if h := d.Find(`[data-testid="events-time-head"]`).Text(); strings.TrimSpace(h) != "Time (UTC-05:00)" {
		t.Fatalf("header %q", h)
	}
	if tm := d.Find(`[data-testid="event"] td.time time`).First().Text(); tm != at[id].In(ny).Format(web.LogTimeLayout) {
		t.Fatalf("log time %q", tm)
	}
	// Both trains: two zones, each time names its own.
	_, body = e.do(req{method: "GET", path: "/trains/events", user: true})
	d = doc(t, body)
	if h := strings.TrimSpace(d.Find(`[data-testid="events-time-head"]`).Text()); h != "Time (each train's owner's zone)" {
		t.Fatalf("mixed header %q", h)
	}
	d.Find(`[data-testid="event"]`).Each(func(_ int, s *goquery.Selection) {
		tm := s.Find("td.time time").Text()
		if !strings.HasSuffix(tm, " KST") && !strings.HasSuffix(tm, " UTC-05:00") {
			t.Errorf("mixed log time %q names no zone", tm)
		}
	})

	// The CSV: each event with its train owner's offset.
	_, body = e.do(req{method: "GET", path: "/trains/events.csv", user: true})
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, r := range rows[1:] {
		if r[5] != "IN" {
			continue
		}
		train, _ := strconv.ParseInt(r[2], 10, 64)
		loc := thingplus.DefaultZone
		if train == id {
			loc = ny
		}
		if want := at[train].In(loc).Format(web.CSVTimeLayout); r[1] != want {
			t.Errorf("csv time of train %d: %q, want %q", train, r[1], want)
		}
		seen++
	}
	if seen != 2 {
		t.Fatalf("csv IN rows %d: %v", seen, rows)
	}

	// The history: slots and peaks in the owner's zone, named.
	_, body = e.do(req{method: "GET", path: "/trains/" + strconv.FormatInt(id, 10) + "/history", user: true})
	d = doc(t, body)
	if z := d.Find(`[data-testid="history-zone"]`).Text(); !strings.Contains(z, "UTC-05:00") {
		t.Fatalf("history zone %q", z)
	}
	if p := d.Find(`[data-testid="peak"]`).Text(); !strings.Contains(p, at[id].In(ny).Format("15:04")) {
		t.Fatalf("peak %q, want at %s", p, at[id].In(ny).Format("15:04"))
	}

	// The owner signs in again with another zone: every reader follows.
	if err := e.store.SetOwnerZone(ctx, "3", "+1.00"); err != nil {
		t.Fatal(err)
	}
	_, body = e.do(req{method: "GET", path: "/trains", user: true})
	sec = doc(t, body).Find(`[data-testid="train"][data-train-id="` + strconv.FormatInt(id, 10) + `"]`)
	if z := sec.Find(`[data-testid="train-zone"]`).Text(); !strings.Contains(z, "UTC+01:00") {
		t.Fatalf("after the owner's new zone: %q", z)
	}
}

// Every outcome the log can hold has words in both languages, for the
// filter and for the rows (the filter once showed "trains.outcome.dismissed").
func TestEveryOutcomeHasWords(t *testing.T) {
	for _, o := range trains.Outcomes {
		for _, key := range []string{"trains.outcome." + string(o), "trains.result." + string(o)} {
			if !text.Has(key) {
				t.Errorf("no text for %s", key)
			}
			if ko := text.In(text.Korean, key); ko == key || ko == text.In(text.English, key) {
				t.Errorf("no Korean for %s: %q", key, ko)
			}
		}
	}
}
