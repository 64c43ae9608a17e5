package e2e

import (
	"fmt"
	"math"
	"testing"
	"time"
)

// viewState is where a form sits on screen, where the page is scrolled and
// what has the focus.
type viewState struct {
	ScrollY float64 `json:"scrollY"`
	FormTop float64 `json:"formTop"`
	Focus   string  `json:"focus"`
}

func (b *browser) viewOf(form string) viewState {
	b.t.Helper()
	return evalJS[viewState](b, fmt.Sprintf(`(() => {
		const f = document.querySelector('form[data-form=%s]');
		const a = document.activeElement;
		const af = a && a.form ? a.form.dataset.form : "";
		return {scrollY: window.scrollY, formTop: f ? f.getBoundingClientRect().top : -1e6,
			focus: af + " " + (a ? (a.getAttribute("data-testid") || a.id || a.tagName) : "")};
	})()`, jsString(form)))
}

// submitInPlace sends a management form with its button, as a user does,
// with the form in the middle of the screen, and checks that the answer
// comes in place: the form has not moved (± 3 px), the focus is back on the
// button, and the confirmation (want) is next to it, inside the viewport.
func (b *browser) submitInPlace(form, button, at, want string) {
	b.t.Helper()
	b.exec(fmt.Sprintf(`document.querySelector('form[data-form=%s]').scrollIntoView({block: "center"})`, jsString(form)))
	time.Sleep(100 * time.Millisecond)
	before := b.viewOf(form)
	sel := fmt.Sprintf(`form[data-form=%s] [data-testid=%s]`, jsString(form), jsString(button))
	b.click(sel)
	ok := fmt.Sprintf(`document.querySelector(%s)`, jsString(at+` [data-testid="form-ok"]`))
	b.waitFor("the confirmation of "+form, ok+` && `+ok+`.textContent.trim() === `+jsString(want), step)
	b.waitHtmxIdle()
	after := b.viewOf(form)
	// The view holds still around the form used: it stays where it was on
	// screen. (scrollY itself changes only by what was added or removed
	// above the form, e.g. a door added to the list above the door form.)
	if d := math.Abs(after.FormTop - before.FormTop); d > 3 {
		b.t.Errorf("%s: the form moved %.0f px on screen (top %.0f → %.0f, scrollY %.0f → %.0f)", form, d, before.FormTop, after.FormTop, before.ScrollY, after.ScrollY)
	}
	if after.Focus != form+" "+button {
		b.t.Errorf("%s: focus went to %q, want the %s button", form, after.Focus, button)
	}
	in := evalJS[bool](b, `(() => { const r = `+ok+`.getBoundingClientRect(); return r.top >= 0 && r.bottom <= window.innerHeight && r.height > 0; })()`)
	if !in {
		b.t.Errorf("%s: the confirmation %q is outside the viewport", form, want)
	}
	b.t.Logf("%s: form top %.0f → %.0f px, scrollY %.0f → %.0f, focus %q", form, before.FormTop, after.FormTop, before.ScrollY, after.ScrollY, after.Focus)
}

// barRatio is the crowd bar's fill and overflow widths as shares of the
// bar's width, and the percentage the card states.
type barRatio struct {
	Fill    float64 `json:"fill"`
	Over    float64 `json:"over"`
	Percent string  `json:"percent"`
}

func (b *browser) bar(car string) barRatio {
	return evalJS[barRatio](b, fmt.Sprintf(`(() => {
		const live = document.querySelector('#car-%s-live');
		const track = live.querySelector('.crowd-bg').getBoundingClientRect().width;
		const over = live.querySelector('[data-testid="crowd-over"]');
		return {fill: live.querySelector('[data-testid="crowd-fill"]').getBoundingClientRect().width / track,
			over: over ? over.getBoundingClientRect().width / track : 0,
			percent: live.querySelector('[data-testid="car-percent"]').textContent.trim()};
	})()`, car))
}

// The trains page an operator keeps open: the demo moves within seconds,
// every management form answers in place, the bar is as long as its
// percentage, and the history's numbers are the event log's.
func TestTrainsInPlaceAndHonest(t *testing.T) {
	st := startStack(t, stackOptions{separateSandbox: true})
	b := newBrowser(t, st)
	b.signIn()
	b.visit("/trains")
	opened := time.Now()
	b.waitLive(5 * time.Second)

	// The demo: a car of 신림-성수 changes within 5 s of opening the page.
	const demoCars = `[...document.querySelectorAll('[data-train-id="1000"] [data-testid="car-live"]')].map(l => l.dataset.count).join(",")`
	first := evalJS[string](b, demoCars)
	b.waitFor("the demo train to move", demoCars+` !== `+jsString(first), 5*time.Second-time.Since(opened))
	t.Logf("first demo change %s after opening the page", time.Since(opened).Round(100*time.Millisecond))

	// A car of 잠실-을지로3가 (no doors: only our forms move it).
	const car, train = "2004", "1002"
	b.openDetails("#car-" + car + "-manage")
	b.typeInto("#cap-"+car+"-capacity", "160")
	b.submitInPlace("cap-"+car, "set-capacity", `form[data-form="cap-`+car+`"]`, "Car 2 capacity set to 160 passengers.")
	b.typeInto("#correct-"+car+"-count", "128")
	b.typeInto("#correct-"+car+"-reason", "manual count")
	b.submitInPlace("correct-"+car, "correct", `form[data-form="correct-`+car+`"]`, "Car 2 set to 128 passengers — reason: manual count")
	if r := b.bar(car); math.Abs(r.Fill-0.80) > 0.01 || r.Over != 0 || r.Percent != "80 %" {
		t.Errorf("128 of 160: the bar is %.3f full (overflow %.3f), the card says %q; want 0.80 and 80 %%", r.Fill, r.Over, r.Percent)
	}
	b.typeInto("#correct-"+car+"-count", "240")
	b.typeInto("#correct-"+car+"-reason", "rush")
	b.submitInPlace("correct-"+car, "correct", `form[data-form="correct-`+car+`"]`, "Car 2 set to 240 passengers — reason: rush")
	if r := b.bar(car); math.Abs(r.Fill-1) > 0.01 || math.Abs(r.Over-0.5) > 0.01 || r.Percent != "150 %" {
		t.Errorf("240 of 160: fill %.3f, overflow %.3f, card %q; want full, 0.5 beyond and 150 %%", r.Fill, r.Over, r.Percent)
	}
	if lv := b.car(car); lv.Level != "caution" {
		t.Errorf("150 %% is %q, want caution", lv.Level)
	}
	b.typeInto("#door-"+car+"-sensorId", "b827ebd0a002-0-humidity") // a sensor demo has in Thing+
	b.typeInto("#door-"+car+"-label", "Door 9")
	b.submitInPlace("door-"+car, "assign", `form[data-form="door-`+car+`"]`, "Door sensor b827ebd0a002-0-humidity added to car 2.")

	// The door just assigned has no rules in Thing+: its row says so (the
	// panel, drawn open, asks at once).
	b.waitFor("the new door's rule states", `[...document.querySelectorAll('#car-`+car+`-manage [data-testid="door"][data-sensor-id="b827ebd0a002-0-humidity"] [data-testid="door-rule"]')].map(r => r.dataset.dir+"="+r.dataset.state).join(" ") === "IN=missing OUT=missing"`, 5*time.Second)
	// Opening a car of 신림-성수 loads its doors' states: one IN and one OUT
	// badge per door, none still loading.
	b.openDetails("#car-2000-manage")
	b.waitFor("car 2000's door-rule states", `(() => {
		const doors = document.querySelectorAll('#car-2000-manage [data-testid="door"]');
		const st = document.querySelector('#car-2000-rules');
		return doors.length > 0 && st && st.dataset.state !== "loading" &&
			[...doors].every(d => d.querySelectorAll('[data-testid="door-rule"][data-state]').length === 2);
	})()`, 5*time.Second)
	t.Logf("car 2000's door rules: %s", evalJS[string](b, `document.querySelector('#car-2000-rules').dataset.state`))

	b.openDetails("#train-" + train + "-manage")
	b.typeInto("#levels-"+train+"-caution", "140")
	b.submitInPlace("levels-"+train, "set-levels", `form[data-form="levels-`+train+`"]`,
		"Crowd levels saved: spacious up to 80 %, normal up to 130 %, caution up to 140 %.")
	if lv := b.car(car); lv.Level != "crowded" {
		t.Errorf("150 %% with caution up to 140 %% is %q, want crowded", lv.Level)
	}
	b.typeInto("#schedule-"+train+"-zone", "UTC")
	b.submitInPlace("schedule-"+train, "set-schedule", `form[data-form="schedule-`+train+`"]`, "Every car resets to 0 at 01:00 (UTC).")
	b.assertClean("management forms in place")

	// History: each slot of the heatmap holds the most passengers the event
	// log shows for the car in that slot (our corrections today).
	b.visit("/trains/" + train + "/history")
	check := evalJS[map[string]any](b, `(() => {
		const h = document.querySelector('[data-testid="heatmap"]');
		const start = +h.dataset.start, size = +h.dataset.bucketMs;
		const cells = {};
		document.querySelectorAll('rect.heat-cell[data-car="2"]').forEach(r => cells[r.dataset.bucket] = +r.dataset.count);
		const peak = +document.querySelector('[data-testid="peak"][data-car="2"]').dataset.count;
		return {start, size, cells, peak};
	})()`)
	b.visit("/trains/events?car=" + car)
	log := evalJS[[]map[string]any](b, `[...document.querySelectorAll('[data-testid="event"]')].filter(r => ["applied","clamped","corrected","reset"].includes(r.dataset.outcome)).map(r => ({time: +r.dataset.time, count: +r.dataset.count}))`)
	if len(log) == 0 {
		t.Fatal("the event log shows none of our corrections")
	}
	start, size := check["start"].(float64), check["size"].(float64)
	cells := check["cells"].(map[string]any)
	want := map[string]float64{}
	peak := 0.0
	for _, e := range log {
		k := fmt.Sprint(int(math.Floor((e["time"].(float64) - start) / size)))
		want[k] = math.Max(want[k], e["count"].(float64))
		peak = math.Max(peak, e["count"].(float64))
	}
	for k, w := range want {
		if got, _ := cells[k].(float64); got != w {
			t.Errorf("heatmap slot %s of car 2 shows %v, the event log's most is %v", k, cells[k], w)
		}
	}
	if check["peak"].(float64) != peak {
		t.Errorf("heatmap peak %v, event log's %v", check["peak"], peak)
	}
	t.Logf("heatmap vs event log: %d slots with events, peak %v", len(want), peak)
	b.assertClean("history and event log")
}
