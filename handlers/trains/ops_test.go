package trains

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/thingplus/thingplus-webapp/trains"
)

// Crowd levels per train: the form's answer confirms next to the form, the
// cars of that train take the new levels, other trains keep theirs; bad
// input stays in the form with the error (422).
func TestLevelsForm(t *testing.T) {
	e := newEnv(t, nil)
	// Car 2000 (capacity 160) at 100 %: normal by default.
	if err := e.store.CorrectCount(context.Background(), 2000, 160, "test"); err != nil {
		t.Fatal(err)
	}
	resp, b := e.do(req{method: "POST", path: "/trains/1000/levels", body: form("spacious", "50", "normal", "70", "caution", "90"), ctype: formType, user: true, htmx: true})
	d := doc(t, b)
	if resp.StatusCode != 200 || d.Find(`[data-form="levels-1000"] [data-testid="form-ok"]`).Text() != "Crowd levels saved: spacious up to 50 %, normal up to 70 %, caution up to 90 %." {
		t.Fatalf("levels: %d %s", resp.StatusCode, b)
	}
	if lv := d.Find(`#car-2000-live`).AttrOr("data-level", ""); lv != "crowded" {
		t.Fatalf("car 2000 at 100 %% with caution up to 90 %%: level %q", lv)
	}
	if !d.Find(`#train-1000-manage`).Is("[open]") || d.Find(`#train-1002-manage`).Is("[open]") {
		t.Fatal("the panel holding the form stays open, no other")
	}
	if got := d.Find(`#train-1000 [data-testid="legend"]`).Text(); !strings.Contains(got, "up to 50 %") || !strings.Contains(got, "above 90 %") {
		t.Fatalf("legend: %q", got)
	}
	if got := d.Find(`#train-1002 [data-testid="legend"]`).Text(); !strings.Contains(got, "up to 80 %") {
		t.Fatalf("other train's legend: %q", got)
	}
	resp, b = e.do(req{method: "POST", path: "/trains/1000/levels", body: form("spacious", "90", "normal", "70", "caution", "x"), ctype: formType, user: true, htmx: true})
	d = doc(t, b)
	if resp.StatusCode != 422 || d.Find(`#levels-1000-spacious`).AttrOr("value", "") != "90" || d.Find(`#levels-1000-caution`).AttrOr("value", "") != "x" ||
		!strings.Contains(d.Find(`[data-form="levels-1000"] [data-testid="form-error"]`).Text(), "spacious < normal < caution") {
		t.Fatalf("bad levels: %d %s", resp.StatusCode, b)
	}
	if got := e.store.ThresholdsOf(1000); got != (trains.Thresholds{Spacious: 50, Normal: 70, Caution: 90}) {
		t.Fatalf("stored %v after a refused change", got)
	}
}

func TestScheduleForm(t *testing.T) {
	e := newEnv(t, nil)
	post := func(body string) (int, string) {
		resp, b := e.do(req{method: "POST", path: "/trains/1002/schedule", body: body, ctype: formType, user: true, htmx: true})
		return resp.StatusCode, b
	}
	st, b := post(form("on", "true", "at", "02:30", "zone", "Asia/Seoul"))
	if st != 200 || doc(t, b).Find(`[data-form="schedule-1002"] [data-testid="form-ok"]`).Text() != "Every car resets to 0 at 02:30 (Asia/Seoul)." {
		t.Fatalf("schedule: %d %s", st, b)
	}
	if s := e.store.Settings(1002); !s.ResetOn || s.ResetMinute != 150 || s.Zone != "Asia/Seoul" {
		t.Fatalf("stored %+v", s)
	}
	st, b = post(form("at", "02:30", "zone", "UTC"))
	if st != 200 || !strings.Contains(b, "The end-of-service reset is off.") || e.store.Settings(1002).ResetOn {
		t.Fatalf("off: %d", st)
	}
	st, b = post(form("on", "true", "at", "25:00", "zone", "UTC"))
	d := doc(t, b)
	if st != 422 || d.Find(`#schedule-1002-at`).AttrOr("aria-invalid", "") != "true" || d.Find(`#schedule-1002-at`).AttrOr("value", "") != "25:00" ||
		!d.Find(`#schedule-1002-on`).Is("[checked]") {
		t.Fatalf("bad time: %d %s", st, b)
	}
	st, b = post(form("on", "true", "at", "01:00", "zone", "Mars/Base"))
	d = doc(t, b)
	if st != 422 || d.Find(`#schedule-1002-zone`).AttrOr("aria-invalid", "") != "true" || d.Find(`#schedule-1002-zone-error`).Text() == "" {
		t.Fatalf("bad zone: %d %s", st, b)
	}
}

// Every form confirms what it did, next to itself.
func TestConfirmationsInPlace(t *testing.T) {
	e := newEnv(t, nil)
	cases := []struct{ path, body, at, want string }{
		{"/trains/cars/2001/correct", form("count", "3", "reason", "manual count"), "correct-2001", "Car 2 set to 3 passengers — reason: manual count"},
		{"/trains/cars/2001/capacity", form("capacity", "160"), "cap-2001", "Car 2 capacity set to 160 passengers."},
		{"/trains/cars/2001/reset", "", "resetcar-2001", "Car 2 set to 0 passengers."},
		{"/trains/cars/2003/doors", form("sensorId", "s-1", "label", "Door 1"), "door-2003", "Door sensor s-1 added to car 1."},
		{"/trains/doors/unassign", form("sensorId", "s-1"), "door-2003", "Door sensor s-1 removed from car 1."},
		{"/trains/cars/2001/position", form("position", "1", "form", "up-2001"), "car-2001", "Car moved to position 1."},
		{"/trains/1002/cars", form("capacity", "160"), "addcar-1002", "Car 4 added (capacity 160)."},
		{"/trains/cars/2006/delete", "", "train-1002", "Car 4 removed."},
		{"/trains/1004/delete", "", "", "Train 홍대입구-서울대입구 deleted."},
	}
	for _, c := range cases {
		resp, b := e.do(req{method: "POST", path: c.path, body: c.body, ctype: formType, user: true, htmx: true})
		d := doc(t, b)
		sel := `[data-testid="trains-notice"]`
		if strings.HasPrefix(c.at, "train-") || strings.HasPrefix(c.at, "car-") {
			sel = "#" + c.at + ` [data-testid="form-ok"]`
		} else if c.at != "" {
			sel = `[data-form="` + c.at + `"] [data-testid="form-ok"]`
		}
		if resp.StatusCode != 200 || d.Find(sel).Text() != c.want || d.Find(`[data-testid="form-ok"], [data-testid="trains-notice"]`).Length() != 1 {
			t.Errorf("%s: %d, %s = %q, want %q", c.path, resp.StatusCode, sel, d.Find(sel).Text(), c.want)
		}
	}
}

// The history page: the current service day by default, a picked earlier
// day, a bad day answered in place; the heatmap alone for htmx.
func TestHistoryPage(t *testing.T) {
	seoul, _ := time.LoadLocation("Asia/Seoul")
	now := time.Date(2026, 3, 2, 9, 5, 0, 0, seoul)
	e := newEnv(t, func(_ *Deps, c *Config) { c.Now = func() time.Time { return now } })
	// Events of an earlier day written through the store's clock are not
	// possible here; the current day's pushes use the wall clock, so check
	// shape and routing with today's (empty) day and a picked day.
	resp, b := e.do(req{method: "GET", path: "/trains/1000/history", user: true})
	d := doc(t, b)
	if resp.StatusCode != 200 || d.Find(`[data-testid="heatmap"]`).AttrOr("data-day", "") != "2026-03-02" ||
		d.Find(`[data-testid="heatmap"]`).AttrOr("hx-trigger", "") != "every 60s" || d.Find(`rect.heat-cell`).Length() != 3*144 {
		t.Fatalf("history: %d cells %d %s", resp.StatusCode, d.Find(`rect.heat-cell`).Length(), d.Find(`[data-testid="heatmap"]`).AttrOr("data-day", ""))
	}
	// 09:05 is in slot 48 (01:00 + 8 h): slots up to it are drawn, later ones are not yet.
	if d.Find(`rect[data-car="1"][data-bucket="48"]`).AttrOr("data-count", "") != "0" || d.Find(`rect[data-car="1"][data-bucket="49"]`).AttrOr("data-count", "") != "-1" {
		t.Fatal("slots before and after now")
	}
	resp, b = e.do(req{method: "GET", path: "/trains/1000/history?day=2026-02-27", user: true, htmx: true})
	d = doc(t, b)
	if resp.StatusCode != 200 || d.Find(`[data-testid="heatmap"]`).AttrOr("data-day", "") != "2026-02-27" || d.Find("main#main").Length() != 0 ||
		d.Find(`[data-testid="heatmap"]`).AttrOr("hx-trigger", "") != "" {
		t.Fatalf("earlier day: %d", resp.StatusCode)
	}
	for _, bad := range []string{"yesterday", "2026-03-03"} {
		resp, b = e.do(req{method: "GET", path: "/trains/1000/history?day=" + bad, user: true})
		if d = doc(t, b); resp.StatusCode != 422 || d.Find(`#history-day-error`).Text() == "" || d.Find(`[data-testid="heatmap"]`).Length() != 1 {
			t.Fatalf("bad day %q: %d", bad, resp.StatusCode)
		}
	}
	if resp, _ = e.do(req{method: "GET", path: "/trains/999/history", user: true}); resp.StatusCode != 404 {
		t.Fatalf("unknown train: %d", resp.StatusCode)
	}
	_ = context.Background()
}
