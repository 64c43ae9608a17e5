package e2e

import (
	"context"
	"encoding/csv"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
)

// gwRow is what one gateway row of the table shows.
type gwRow struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Badge string `json:"badge"`
	Class string `json:"class"`
	Open  bool   `json:"open"`
}

// Rows are the table's <tbody> elements (each a gateway and, when open,
// its detail row); the status is the fourth cell (a badge or the cell's
// own class).
const gwRowsJS = `[...document.querySelectorAll('#gateways table[data-testid="gw-table"] > tbody')].map(tb => {
	const tds = tb.querySelector("tr").querySelectorAll("td");
	const badge = tds[3].querySelector(".badge") || tds[3];
	return {
		id: tds[1].textContent.trim(),
		name: tds[0].textContent.trim(),
		badge: badge.textContent.trim(),
		class: badge.className,
		open: !!tb.querySelector('[data-testid="gw-detail"]'),
	};
})`

func (b *browser) gatewayRows() []gwRow {
	b.t.Helper()
	return evalJS[[]gwRow](b, gwRowsJS)
}

func ids(rows []gwRow) []string {
	var out []string
	for _, r := range rows {
		out = append(out, r.ID)
	}
	slices.Sort(out)
	return out
}

// waitRows waits until the table lists exactly want (ids, any order) and
// the address bar has the query.
func (b *browser) waitRows(want []string, query url.Values) {
	b.t.Helper()
	slices.Sort(want)
	deadline := time.Now().Add(step)
	for {
		got := ids(b.gatewayRows())
		u, _ := url.Parse(b.location())
		q := u.Query()
		okQuery := true
		for k := range query {
			if q.Get(k) != query.Get(k) {
				okQuery = false
			}
		}
		if slices.Equal(got, want) && okQuery {
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("waited for rows %v with URL query %v; the table lists %v and the URL is %s", want, query, got, u)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Flow 2: the gateways table with the seeded gateways and their badges,
// search and status filter (with the URL following, and back), a row
// expanding to its sensors, a sensor page's chart and its CSV download.
func TestGateways(t *testing.T) {
	st := startStack(t, stackOptions{})
	b := newBrowser(t, st)
	b.signIn()
	b.click(`header nav a[href="/gateways"]`)
	b.waitVisible(`[data-testid="gw-table"]`)
	b.checkPage("gateways")

	rows := b.gatewayRows()
	byID := map[string]gwRow{}
	for _, r := range rows {
		byID[r.ID] = r
	}
	// The two live gateways are "on"; the one whose status expired three
	// days ago is shown as not healthy ("off", or "no recent report": its last report is
	// far older than its report interval allows).
	for id, want := range map[string]struct {
		name    string
		badges  []string
		classes []string
	}{
		"b827ebd0a001": {"신림-성수", []string{"on"}, []string{"ok"}},
		"b827ebd0a002": {"", []string{"on"}, []string{"ok"}},
		"b827ebd0a003": {"", []string{"off", "no recent report (every 1 min)"}, []string{"off", "warn", "bad"}},
	} {
		r, ok := byID[id]
		if !ok {
			t.Errorf("gateway %s is not in the table; rows: %+v", id, rows)
			continue
		}
		if !strings.Contains(r.Name, want.name) {
			t.Errorf("gateway %s is named %q, want it to contain %q", id, r.Name, want.name)
		}
		classOK := false
		for _, c := range want.classes {
			classOK = classOK || strings.Contains(" "+r.Class+" ", " "+c+" ")
		}
		if !slices.Contains(want.badges, r.Badge) || !classOK {
			t.Errorf("gateway %s badge = %q (class %q), want one of %v (class %v)", id, r.Badge, r.Class, want.badges, want.classes)
		}
	}
	if _, ok := byID["b827ebd0a0ff"]; ok {
		t.Errorf("another user's gateway b827ebd0a0ff is listed")
	}
	all := ids(rows)

	// Search narrows the table in place and the URL follows.
	b.exec(`window.__e2eNoReload = 1`)
	b.typeInto(`[data-testid="gw-q"]`, "a002")
	b.waitRows([]string{"b827ebd0a002"}, url.Values{"q": {"a002"}})
	// Status filter (search cleared): only the offline gateway.
	b.typeInto(`[data-testid="gw-q"]`, "")
	b.waitRows(all, url.Values{"q": {""}})
	offline := "off" // the filter's value, not the badge's words
	if byID["b827ebd0a003"].Badge != "off" {
		offline = "stale"
	}
	b.run("choose status "+offline, chromedp.SetValue(chromedp.CSS(`[data-testid="gw-status"]`), offline))
	b.click(`[data-testid="gw-apply"]`)
	b.waitRows([]string{"b827ebd0a003"}, url.Values{"status": {offline}})
	if !evalJS[bool](b, `window.__e2eNoReload === 1`) {
		t.Errorf("filtering reloaded the page; it should swap the table in place")
	}
	b.assertClean("search and filter")
	// The state lives in the URL: a fresh load of it shows the same.
	filtered := b.location()
	b.open(filtered)
	b.waitRows([]string{"b827ebd0a003"}, url.Values{"status": {offline}})
	// Back goes to the previous state.
	b.back()
	b.waitRows(all, nil)
	b.assertClean("back to the whole table")

	// A row expands in place to its devices and sensors.
	b.visit("/gateways")
	b.click(`#gateways button[hx-get*="b827ebd0a001"]`)
	b.waitVisible(`#gateways [data-testid="gw-detail"] [data-testid="gw-sensors"]`)
	sensors := evalJS[[]string](b, `[...document.querySelectorAll('#gateways [data-testid="gw-detail"] [data-testid="gw-sensor-link"]')].map(a => a.textContent.trim())`)
	if len(sensors) != 12 || !slices.Contains(sensors, "Car 1 door 3") {
		t.Errorf("the subway gateway expands to %d sensors %v, want its 12 door sensors", len(sensors), sensors)
	}
	if got := evalJS[string](b, `document.querySelector('#gateways button[hx-get*="b827ebd0a001"]').getAttribute("aria-expanded")`); got != "true" {
		t.Errorf("the expanded row's button has aria-expanded=%q", got)
	}
	b.checkPage("gateways with a row open")

	// A sensor page draws its chart.
	b.click(`#gateways button[hx-get*="b827ebd0a002"]`)
	b.waitVisible(`#gateways a[data-testid="gw-sensor-link"][href*="b827ebd0a002-0-temperature"]`)
	b.click(`#gateways a[data-testid="gw-sensor-link"][href*="b827ebd0a002-0-temperature"]`)
	b.waitVisible(`[data-testid="chart-svg"]`)
	type chartShape struct {
		W      float64 `json:"w"`
		H      float64 `json:"h"`
		Marks  int     `json:"marks"`
		Points int     `json:"points"`
		Title  string  `json:"title"`
	}
	chart := evalJS[chartShape](b, `(() => {
		const svg = document.querySelector('[data-testid="chart-svg"]');
		const r = svg.getBoundingClientRect();
		const marks = svg.querySelectorAll("polyline, path, circle, rect:not(.chart-frame)");
		let points = 0;
		for (const m of svg.querySelectorAll("polyline")) points += (m.getAttribute("points") || "").trim().split(/\s+/).length;
		for (const m of svg.querySelectorAll("path")) points += ((m.getAttribute("d") || "").match(/[ML]/g) || []).length;
		return {w: r.width, h: r.height, marks: marks.length, points: points, title: svg.querySelector("title").textContent};
	})()`)
	if chart.W < 200 || chart.H < 100 || chart.Points < 10 {
		t.Errorf("the sensor chart is empty or tiny: %+v", chart)
	}
	b.checkPage("sensor page")

	// The CSV download works: the browser saves a file with the same data.
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(b.ctx, step)
	_, err := chromedp.CallBrowser(ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
		Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dir})
	cancel()
	if err != nil {
		t.Fatalf("allow downloads: %v", err)
	}
	b.click(`[data-testid="sensor-csv"]`)
	file := waitFile(t, dir, ".csv", step)
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil {
		t.Fatalf("the downloaded CSV does not parse: %v", err)
	}
	if len(recs) < 10 || strings.Join(recs[0], ",") != "time,time_ms,value" {
		t.Errorf("the CSV %s has %d lines, header %v", filepath.Base(file), len(recs), recs[0])
	}
	t.Logf("downloaded %s: %d data lines", filepath.Base(file), len(recs)-1)
	b.assertClean("CSV download")
}

// waitFile waits for a finished download with that extension in dir.
func waitFile(t *testing.T, dir, ext string, within time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if strings.HasSuffix(e.Name(), ext) {
				return filepath.Join(dir, e.Name())
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	entries, _ := os.ReadDir(dir)
	t.Fatalf("no %s file was downloaded within %s (the folder has %v)", ext, within, entries)
	return ""
}
