package e2e

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/css"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// Budgets of the issue for the first load of /trains.
const (
	trainsMaxBytes    = 60 * 1024
	trainsMaxRequests = 8
)

// carState is what a car card shows.
type carState struct {
	ID    string `json:"id"`
	Train string `json:"train"`
	Count string `json:"count"`
	Level string `json:"level"`
	Label string `json:"label"`
}

const carsJS = `[...document.querySelectorAll('[data-testid="car"]')].map(c => {
	const live = c.querySelector('[data-testid="car-live"]');
	const t = c.closest('[data-testid="train"]');
	return {
		id: c.dataset.carId,
		train: t ? t.querySelector('[data-testid="train-name"]').textContent.trim() : "",
		count: live ? live.querySelector('[data-testid="car-count"]').textContent.trim() : "",
		level: live ? live.dataset.level : "",
		label: live ? live.querySelector('[data-testid="car-level"]').textContent.trim() : "",
	};
})`

func (b *browser) cars() []carState {
	b.t.Helper()
	return evalJS[[]carState](b, carsJS)
}

func (b *browser) car(id string) carState {
	b.t.Helper()
	for _, c := range b.cars() {
		if c.ID == id {
			return c
		}
	}
	b.t.Fatalf("car %s is not on the page", id)
	return carState{}
}

// waitLive waits for the connection badge to say the stream is open.
func (b *browser) waitLive(within time.Duration) {
	b.t.Helper()
	b.waitFor("the live badge to show the stream is open",
		`document.querySelector('[data-testid="live-badge"]').dataset.state === "live"`, within)
}

// waitCar waits until the car card shows count (and level, if given), and
// returns how long that took; it fails the test if it does not happen.
func (b *browser) waitCar(id, count, level string, within time.Duration) time.Duration {
	b.t.Helper()
	took, err := b.tryWaitCar(id, count, level, within)
	if err != "" {
		b.t.Fatal(err)
	}
	return took
}

// tryWaitCar is waitCar that reports the failure instead (with what the
// page, the store and the stream each say).
func (b *browser) tryWaitCar(id, count, level string, within time.Duration) (time.Duration, string) {
	b.t.Helper()
	start := time.Now()
	cond := fmt.Sprintf(`(() => { const l = document.querySelector('#car-%s-live'); return l && l.dataset.count === %s && (%s === "" || l.dataset.level === %s); })()`,
		id, jsString(count), jsString(level), jsString(level))
	deadline := start.Add(within)
	for {
		if evalJS[bool](b, cond) {
			return time.Since(start), ""
		}
		if time.Now().After(deadline) {
			c := b.car(id)
			stream := "no car-" + id + " event"
			if m, ok := b.lastSSE("car-" + id); ok {
				stream = fmt.Sprintf("%d car-%s events, the last (%s ago) with data-count=%s",
					m.N, id, time.Since(m.At).Round(time.Millisecond), attr(m.Data, "data-count"))
			}
			return 0, fmt.Sprintf("car %s: waited %s for count %s level %q; the page shows count %s level %q (%s); "+
				"the app's store has %s; the stream delivered %s",
				id, within, count, level, c.Count, c.Level, c.Label, b.st.CarCount(id), stream)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// openDetails opens a <details> by its summary (a click), if it is closed.
func (b *browser) openDetails(sel string) {
	b.t.Helper()
	if !evalJS[bool](b, fmt.Sprintf(`document.querySelector(%s).open`, jsString(sel))) {
		b.click(sel + " > summary")
	}
	b.waitFor(sel+" open", fmt.Sprintf(`document.querySelector(%s).open`, jsString(sel)), step)
}

// Flow 4, and the page-weight, Korean-text and keyboard checks of /trains.
func TestTrainsLive(t *testing.T) {
	st := startStack(t, stackOptions{separateSandbox: true})
	b := newBrowser(t, st)
	b.signIn()

	// First load, cold cache: the whole page within the budget.
	call(b, network.SetCacheDisabled, network.SetCacheDisabledParams{CacheDisabled: true})
	b.startRecording()
	b.visit("/trains")
	b.waitLive(5 * time.Second)
	time.Sleep(700 * time.Millisecond) // late requests (favicon, stream data)
	b.checkBudget(b.recorded())
	call(b, network.SetCacheDisabled, network.SetCacheDisabledParams{CacheDisabled: false})

	b.checkKorean("신림-성수")
	b.checkPage("trains")

	// A car with no door sensors of the seed (잠실-을지로3가): give it a door
	// sensor and a capacity through the page, so only our pushes move it.
	var target carState
	for _, c := range b.cars() {
		if c.Train == "잠실-을지로3가" {
			target = c
			break
		}
	}
	if target.ID == "" {
		t.Fatalf("the seeded train 잠실-을지로3가 with cars is not on the page; cars: %+v", b.cars())
	}
	// A sensor of demo's Thing+ (the offline depot gateway's: no rule pushes
	// from it), as the page accepts only sensors the account has.
	const sensor = "b827ebd0a003-0-temperature"
	manage := fmt.Sprintf(`#car-%s [data-testid="car-manage"]`, target.ID)
	b.openDetails(manage)
	b.typeInto(fmt.Sprintf("#door-%s-sensorId", target.ID), sensor)
	b.click(fmt.Sprintf(`#car-%s [data-testid="assign"]`, target.ID))
	b.waitFor("the door on the car", fmt.Sprintf(`!!document.querySelector('#car-%s [data-testid="door"][data-sensor-id=%s]')`, target.ID, jsString(sensor)), step)
	b.openDetails(manage)
	b.typeInto(fmt.Sprintf("#cap-%s-capacity", target.ID), "10")
	b.click(fmt.Sprintf(`#car-%s [data-testid="set-capacity"]`, target.ID))
	b.waitFor("capacity 10", fmt.Sprintf(`document.querySelector('#car-%s-live').textContent.includes("capacity 10")`, target.ID), step)
	b.assertClean("door and capacity set")
	b.waitCar(target.ID, "0", "spacious", step)

	// Pushes move exactly that car, live, within a second, without a reload.
	b.exec(`window.__e2eNoReload = 42`)
	others := map[string]string{}
	for _, c := range b.cars() {
		if c.Train == "잠실-을지로3가" && c.ID != target.ID {
			others[c.ID] = c.Count
		}
	}
	event := 0
	push := func(dir string, n int) {
		t.Helper()
		for i := 0; i < n; i++ {
			event++
			if code := st.Push(sensor, dir, fmt.Sprintf("e2e-%d", event)); code != 204 {
				t.Fatalf("push %s #%d: status %d, want 204", dir, event, code)
			}
		}
	}
	// One push at a time (each sent as soon as the page shows the last one):
	// each shows within a second,
	// and the crowd level follows the count (capacity 10).
	var slowest time.Duration
	levels := map[int]string{1: "spacious", 8: "spacious", 9: "normal", 13: "normal", 14: "caution", 15: "caution", 16: "crowded"}
	count := 0
	for _, dir := range strings.Split(strings.Repeat("IN ", 16)+strings.Repeat("OUT ", 8), " ") {
		if dir == "" {
			continue
		}
		push(dir, 1)
		if dir == "IN" {
			count++
		} else {
			count--
		}
		took := b.waitCar(target.ID, fmt.Sprint(count), levels[count], 3*time.Second)
		if took > time.Second {
			t.Errorf("push %s → count %d showed after %s, want within 1 s", dir, count, took)
		}
		slowest = max(slowest, took)
	}
	t.Logf("push → page, one at a time: slowest update %s", slowest.Round(time.Millisecond))
	if got := b.car(target.ID).Label; !strings.EqualFold(got, "Spacious") {
		t.Errorf("crowd level text = %q, want Spacious (colour is never the only signal)", got)
	}
	// A burst (several doors of one car at once) must end on the right count too.
	push("IN", 5)
	count += 5
	if took, err := b.tryWaitCar(target.ID, fmt.Sprint(count), "", time.Second); err != "" {
		t.Errorf("after a burst of 5 pushes: %s", err)
	} else {
		t.Logf("burst of 5 pushes → page: %s", took.Round(time.Millisecond))
	}
	push("OUT", 5)
	count -= 5
	b.tryWaitCar(target.ID, fmt.Sprint(count), "", time.Second)
	// A repeated event id is not counted twice.
	if code := st.Push(sensor, "IN", fmt.Sprintf("e2e-%d", event)); code != 204 {
		t.Errorf("duplicate push: status %d, want 204", code)
	}
	time.Sleep(500 * time.Millisecond)
	if got := b.st.CarCount(target.ID); got != fmt.Sprint(count) {
		t.Errorf("after a duplicate event the store has %s, want %d", got, count)
	}
	for id, before := range others {
		if got := b.car(id).Count; got != before {
			t.Errorf("car %s of the same train changed from %s to %s: the push moved the wrong car", id, before, got)
		}
	}
	if !evalJS[bool](b, `window.__e2eNoReload === 42`) {
		t.Errorf("the page reloaded during the live updates")
	}
	b.assertClean("live updates")

	// Correct the count with the keyboard alone.
	b.correctCountWithKeyboard(target.ID, "3")

	// Restart the app: the page says it lost the connection, then catches up
	// with a full snapshot. While the app is away and just back, the stream
	// and the polling fallback are held off, so the changes made meanwhile
	// can only reach the page through the snapshot of the reconnect.
	b.checkRestart(target.ID, sensor, push)
}

// checkBudget: ≤ 8 requests and ≤ 60 KB transferred for the first load.
func (b *browser) checkBudget(reqs []request) {
	b.t.Helper()
	// The budget is the page's weight (HTML, CSS, scripts, images): the
	// live stream's bytes are data that keeps arriving, shown but not counted.
	var total float64
	var lines []string
	for _, r := range reqs {
		state := ""
		if r.Finished {
			total += r.Bytes
		} else {
			state = " (streaming, not counted)"
		}
		lines = append(lines, fmt.Sprintf("%6.0f B  %3d  %s%s", r.Bytes, r.Status, r.URL, state))
	}
	b.t.Logf("first load of /trains: %d requests, %.1f KB transferred\n%s", len(reqs), total/1024, strings.Join(lines, "\n"))
	if len(reqs) > trainsMaxRequests {
		b.t.Errorf("first load of /trains made %d requests, budget %d", len(reqs), trainsMaxRequests)
	}
	if total > trainsMaxBytes {
		b.t.Errorf("first load of /trains transferred %.1f KB, budget %d KB", total/1024, trainsMaxBytes/1024)
	}
}

// checkKorean: the Hangul text is in the page as a text node and Chromium
// drew its glyphs with a CJK font (not boxes); a screenshot is kept.
func (b *browser) checkKorean(s string) {
	b.t.Helper()
	found := evalJS[bool](b, fmt.Sprintf(`(() => {
		const w = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
		for (let n = w.nextNode(); n; n = w.nextNode()) {
			const el = n.parentElement;
			if (n.nodeValue.includes(%s) && el.checkVisibility() && el.getClientRects().length > 0) {
				el.setAttribute("data-e2e-korean", "");
				return true;
			}
		}
		return false;
	})()`, jsString(s)))
	if !found {
		b.t.Fatalf("no visible text node contains %q", s)
	}
	defer b.exec(`document.querySelectorAll("[data-e2e-korean]").forEach(e => e.removeAttribute("data-e2e-korean"))`)
	ids := b.nodeIDs("[data-e2e-korean]")
	fonts := call(b, css.GetPlatformFontsForNode, css.GetPlatformFontsForNodeParams{NodeID: ids[0]})
	var used []string
	cjk := false
	for _, f := range fonts.Fonts {
		used = append(used, fmt.Sprintf("%s (%d glyphs)", f.FamilyName, int(f.GlyphCount)))
		name := strings.ToUpper(f.FamilyName + " " + f.PostScriptName)
		if f.GlyphCount > 0 && (strings.Contains(name, "CJK") || strings.Contains(name, "KR") || strings.Contains(name, "GOTHIC")) {
			cjk = true
		}
	}
	if !cjk {
		b.t.Errorf("%q was not drawn with a CJK font (fonts used: %s); install fonts-noto-cjk and name it in the CSS font stack", s, strings.Join(used, ", "))
	}
	shot := b.screenshot("korean")
	if img, err := png.Decode(bytes.NewReader(shot)); err != nil || img.Bounds().Dx() < 100 {
		b.t.Errorf("the screenshot is not a usable PNG: %v", err)
	}
	el := get(b, "screenshot of the Korean name", chromedp.Screenshot(chromedp.CSS("[data-e2e-korean]")))
	if img, err := png.Decode(bytes.NewReader(el)); err != nil {
		b.t.Errorf("element screenshot: %v", err)
	} else if ink := inkRatio(img); ink < 0.02 {
		b.t.Errorf("the Korean name's box is blank in the screenshot (%.1f%% ink)", ink*100)
	}
}

// inkRatio is the share of pixels that differ clearly from the corner pixel
// (the background).
func inkRatio(img image.Image) float64 {
	bg := img.At(img.Bounds().Min.X, img.Bounds().Min.Y)
	br, bgc, bb, _ := bg.RGBA()
	ink, all := 0, 0
	for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y++ {
		for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			d := absDiff(r, br) + absDiff(g, bgc) + absDiff(bl, bb)
			if d > 3*0x4000 {
				ink++
			}
			all++
		}
	}
	if all == 0 {
		return 0
	}
	return float64(ink) / float64(all)
}

func absDiff(a, b uint32) uint32 {
	if a > b {
		return a - b
	}
	return b - a
}

// correctCountWithKeyboard opens the car's settings, types a count and a
// reason, and submits, with Tab, Enter and typing only.
func (b *browser) correctCountWithKeyboard(carID, count string) {
	b.t.Helper()
	b.exec(`document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0)`)
	b.tabTo(fmt.Sprintf(`#car-%s [data-testid="car-manage"] > summary`, carID), 250)
	// The panel stays open after the last form sent from it; else Enter opens it.
	if !evalJS[bool](b, fmt.Sprintf(`document.querySelector('#car-%s [data-testid="car-manage"]').open`, carID)) {
		b.keys(kb.Enter)
	}
	b.tabTo(fmt.Sprintf(`#correct-%s-count`, carID), 40)
	b.keys(kb.End)
	for i := 0; i < 4; i++ {
		b.keys(kb.Backspace)
	}
	b.keys(count)
	b.keys(kb.Tab)
	b.keys("counted at the platform")
	b.keys(kb.Enter)
	b.waitCar(carID, count, "", 3*time.Second)
	b.assertClean("count corrected with the keyboard")
}

// checkRestart stops and starts the app under the open page.
func (b *browser) checkRestart(carID, sensor string, push func(dir string, n int)) {
	b.t.Helper()
	st := b.st
	// What the browser reports while the server is away is expected here:
	// failed requests, and the sse extension logging the EventSource error.
	release := b.allow(`ERR_CONNECTION_REFUSED|ERR_BLOCKED_BY_CLIENT|ERR_EMPTY_RESPONSE|ERR_CONNECTION_RESET|ERR_INCOMPLETE_CHUNKED_ENCODING|/trains/(stream|poll)|console.error: "\[object Event\]"`)
	defer func() {
		time.Sleep(200 * time.Millisecond) // late reports of the outage
		release()
	}()
	before := b.car(carID).Count
	b.exec(`window.__e2eNoReload = 43`)

	hold := func(on bool) {
		var pats []*network.BlockPattern
		if on {
			for _, p := range []string{"/trains/stream", "/trains/poll"} {
				pats = append(pats, &network.BlockPattern{URLPattern: "*://*:*" + p + "*", Block: true})
			}
		}
		call(b, network.SetBlockedURLs, network.SetBlockedURLsParams{URLPatterns: pats})
	}
	hold(true)
	st.App.stop()
	b.waitFor("the badge to show the connection is lost",
		`document.querySelector('[data-testid="live-badge"]').dataset.state !== "live"`, 5*time.Second)
	badge := evalJS[[]string](b, `(() => { const e = document.querySelector('[data-testid="live-badge"]');
		return [e.dataset.state, e.textContent.trim(), e.dataset.textLive]; })()`)
	if badge[1] == "" || badge[1] == badge[2] {
		b.t.Errorf("with the app stopped the badge (state %s) says %q", badge[0], badge[1])
	}
	b.t.Logf("app stopped: the badge says %q", badge[1])
	st.App.start(b.t)
	push("IN", 4)
	want := fmt.Sprint(atoi(before) + 4)
	time.Sleep(1500 * time.Millisecond)
	if got := b.car(carID).Count; got != before {
		b.t.Fatalf("the car changed to %s while the stream was held off: the harness did not isolate the snapshot", got)
	}
	hold(false)
	b.waitLive(15 * time.Second)
	b.waitCar(carID, want, "", 5*time.Second)
	if !evalJS[bool](b, `window.__e2eNoReload === 43`) {
		b.t.Errorf("the page reloaded to catch up; it should catch up with the snapshot in place")
	}
	// And the stream is live again: one more push arrives within a second.
	time.Sleep(300 * time.Millisecond)
	push("IN", 1)
	if took := b.waitCar(carID, fmt.Sprint(atoi(want)+1), "", 3*time.Second); took > time.Second {
		b.t.Errorf("after the restart a push took %s to show", took)
	}
}

// attr reads an attribute's value from an HTML fragment (diagnostics only).
func attr(html, name string) string {
	i := strings.Index(html, name+`="`)
	if i < 0 {
		return "?"
	}
	rest := html[i+len(name)+2:]
	if j := strings.IndexByte(rest, '"'); j >= 0 {
		return rest[:j]
	}
	return "?"
}

func atoi(s string) int {
	n := 0
	fmt.Sscan(s, &n)
	return n
}

// Without Server-Sent Events (a proxy that buffers or blocks them), the page
// says so and the polling fallback still brings pushes in.
func TestTrainsPollingFallback(t *testing.T) {
	st := startStack(t, stackOptions{})
	b := newBrowser(t, st)
	b.signIn()
	release := b.allow(`ERR_BLOCKED_BY_CLIENT|/trains/stream|console.error: "\[object Event\]"`)
	defer release()
	call(b, network.SetBlockedURLs, network.SetBlockedURLsParams{URLPatterns: []*network.BlockPattern{
		{URLPattern: "*://*:*/trains/stream*", Block: true}}})
	b.visit("/trains")
	b.waitFor("the badge to show the stream is not live",
		`document.querySelector('[data-testid="live-badge"]').dataset.state === "offline"`, 10*time.Second)
	// A car of 신림-성수 holds door sensor 1 of car 1; the simulator may move
	// it too, so the check is "the page catches up with the store".
	carID := evalJS[string](b, `(() => { const d = document.querySelector('[data-testid="door"][data-sensor-id="b827ebd0a001-1-door1"]');
		return d ? d.closest('[data-testid="car"]').dataset.carId : ""; })()`)
	if carID == "" {
		t.Fatalf("no car holds the seeded door sensor b827ebd0a001-1-door1")
	}
	for i := 0; i < 3; i++ {
		if code := st.Push("b827ebd0a001-1-door1", "IN", fmt.Sprintf("fallback-%d", i)); code != 204 {
			t.Fatalf("push: status %d", code)
		}
	}
	start := time.Now()
	deadline := start.Add(25 * time.Second)
	for {
		want := st.CarCount(carID)
		if b.car(carID).Count == want {
			t.Logf("the polling fallback showed count %s after %s", want, time.Since(start).Round(time.Millisecond))
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("with the stream blocked the page still shows %s for car %s after 25 s; the store has %s",
				b.car(carID).Count, carID, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestTrainsNoPollingWhileLive: while the stream is live the fallback does
// not poll at all (it used to ask every 10 s and get 204s); once the stream
// is cut, it polls.
func TestTrainsNoPollingWhileLive(t *testing.T) {
	st := startStack(t, stackOptions{})
	b := newBrowser(t, st)
	b.signIn()
	b.visit("/trains")
	b.waitFor("the stream to be live",
		`document.querySelector('[data-testid="live-badge"]').dataset.state === "live"`, 10*time.Second)
	b.exec(`window.__polls = 0; document.addEventListener("htmx:beforeSend", e => {
		if ((e.detail.requestConfig.path || "").indexOf("/trains/poll") === 0) window.__polls++; });`)
	time.Sleep(11 * time.Second) // longer than the 10 s poll period
	if n := evalJS[int](b, `window.__polls`); n != 0 {
		t.Fatalf("the fallback polled %d times while the stream was live", n)
	}
	if !evalJS[bool](b, `!document.querySelector('[data-poll-fallback]').classList.contains("polling")`) {
		t.Fatal("the fallback is marked polling while the stream is live")
	}
	// Cut the stream: the fallback takes over.
	release := b.allow(`ERR_BLOCKED_BY_CLIENT|ERR_INCOMPLETE_CHUNKED_ENCODING|ERR_EMPTY_RESPONSE|/trains/stream|console.error: "\[object Event\]"`)
	defer release()
	b.exec(`document.body.dispatchEvent(new CustomEvent("htmx:sseError", {bubbles: true}))`)
	b.waitFor("the fallback to poll", `window.__polls > 0`, 15*time.Second)
}

// TestTrainsTwoTabs: a change made in one tab shows in another within a
// second; a structure change made elsewhere redraws the other tab's list
// without closing the panel its user works in, losing what they typed or
// moving their focus.
func TestTrainsTwoTabs(t *testing.T) {
	st := startStack(t, stackOptions{})
	a, b := newBrowser(t, st), newBrowser(t, st)
	for _, x := range []*browser{a, b} {
		x.signIn()
		x.visit("/trains")
		x.waitLive(5 * time.Second)
	}
	// Cars of 잠실-을지로3가 have no door sensors: only these tabs move them.
	var cars []string
	for _, c := range a.cars() {
		if c.Train == "잠실-을지로3가" {
			cars = append(cars, c.ID)
		}
	}
	if len(cars) < 2 {
		t.Fatalf("the seeded train 잠실-을지로3가 has cars %v", cars)
	}
	work, other := cars[0], cars[1]

	// A opens a car's panel and starts typing a reason.
	a.openDetails(fmt.Sprintf(`#car-%s [data-testid="car-manage"]`, work))
	a.typeInto(fmt.Sprintf("#correct-%s-count", work), "2")
	a.typeInto(fmt.Sprintf("#correct-%s-reason", work), "half typed")

	// B corrects another car's count: A sees it within a second.
	b.openDetails(fmt.Sprintf(`#car-%s [data-testid="car-manage"]`, other))
	b.typeInto(fmt.Sprintf("#correct-%s-count", other), "4")
	b.typeInto(fmt.Sprintf("#correct-%s-reason", other), "from the other tab")
	b.click(fmt.Sprintf(`#car-%s [data-testid="correct"]`, other))
	if took := a.waitCar(other, "4", "", 3*time.Second); took > time.Second {
		t.Errorf("a correction in one tab showed in the other after %s, want within 1 s", took)
	}

	// B renames the train (a structure change): A's list is redrawn.
	train := evalJS[string](b, fmt.Sprintf(`document.querySelector('#car-%s').closest('[data-testid="train"]').dataset.trainId`, other))
	b.openDetails(fmt.Sprintf(`#train-%s [data-testid="train-manage"]`, train))
	b.typeInto(fmt.Sprintf("#rename-%s-name", train), "잠실 🚇 2")
	start := time.Now()
	b.click(fmt.Sprintf(`#train-%s [data-testid="rename"]`, train))
	a.waitFor("the new name in the other tab",
		fmt.Sprintf(`document.querySelector('#train-%s [data-testid="train-name"]').textContent === "잠실 🚇 2"`, train), 3*time.Second)
	if took := time.Since(start); took > time.Second {
		t.Errorf("a rename in one tab showed in the other after %s, want within 1 s", took)
	}
	if !evalJS[bool](a, fmt.Sprintf(`document.querySelector('#car-%s [data-testid="car-manage"]').open`, work)) {
		t.Errorf("the redraw closed the panel the user was working in")
	}
	if got := evalJS[string](a, fmt.Sprintf(`document.querySelector('#correct-%s-count').value + "|" + document.querySelector('#correct-%s-reason').value`, work, work)); got != "2|half typed" {
		t.Errorf("the redraw changed the count and reason being typed to %q", got)
	}
	if got := evalJS[string](a, `document.activeElement ? document.activeElement.id : ""`); got != fmt.Sprintf("correct-%s-reason", work) {
		t.Errorf("the redraw moved the focus to %q", got)
	}
	// A carries on typing and submits: the correction lands.
	a.keys("; counted")
	a.keys(kb.Enter)
	a.waitCar(work, "2", "", 3*time.Second)
	// The confirmation is next to the form used (issue 16), not above the list.
	a.waitFor("the correction's confirmation", fmt.Sprintf(`!!document.querySelector('form[data-form="correct-%s"] [data-testid="form-ok"]')`, work), step)
	a.assertClean("two tabs")
	b.assertClean("two tabs")
}
