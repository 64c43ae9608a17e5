package e2e

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp/kb"
)

// axeFile is axe-core, fetched by `go tool task vendor-axe`; the tests
// inject it into the page, the app never ships it.
const axeFile = "testdata/axe-core-4.10.3.min.js"

type axeViolation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// checkAxe runs axe-core on the open page and fails on any serious or
// critical violation (colour contrast included).
func (b *browser) checkAxe(where string, axe string) {
	b.t.Helper()
	b.exec(`window.__axe = undefined`)
	evalJS[bool](b, axe+";true")
	b.exec(`axe.run(document, {resultTypes: ["violations"]}).then(r => { window.__axe = JSON.stringify(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map(n => n.target.join(" "))}))); }, e => { window.__axe = JSON.stringify([{id: "axe-error", impact: "critical", help: String(e), nodes: []}]); })`)
	b.waitFor("axe results on "+where, "typeof window.__axe === 'string'", 30*time.Second)
	var vs []axeViolation
	if err := json.Unmarshal([]byte(evalJS[string](b, "window.__axe")), &vs); err != nil {
		b.t.Fatalf("%s: axe results: %v", where, err)
	}
	for _, v := range vs {
		if v.Impact == "serious" || v.Impact == "critical" {
			b.t.Errorf("%s: axe %s (%s): %s — %s", where, v.ID, v.Impact, v.Help, strings.Join(v.Nodes, " | "))
		}
	}
}

// Every page a signed-in user reaches, in the light and the dark scheme:
// no serious or critical axe-core violation.
func TestAxeEveryPage(t *testing.T) {
	src, err := os.ReadFile(axeFile)
	if err != nil {
		t.Fatalf("%v (run: go tool task vendor-axe)", err)
	}
	st := startStack(t, stackOptions{})
	b := newBrowser(t, st)
	b.visit("/")
	for _, scheme := range []string{"light", "dark"} {
		call(b, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}})
		b.visit("/")
		b.checkAxe("signed-out home ("+scheme+")", string(src))
	}
	b.signIn()
	pages := []struct{ path, ready string }{
		{"/", `[data-testid="overview"]`},
		{"/gateways", `[data-testid="gw-table"]`},
		{"/gateways/b827ebd0a001", `[data-testid="gw-sensors"]`},
		{"/gateways/b827ebd0a002/sensors/b827ebd0a002-0-humidity", `[data-testid="chart-svg"]`},
		{"/gateways/b827ebd0a001/sensors/b827ebd0a001-1-door1?range=day", `[data-testid="chart-svg"]`},
		{"/rules", `[data-testid="rules-tables"]`},
		{"/rules/new", `[data-testid="rule-form"]`},
		{"/events", `[data-testid="events-panel"]`},
		{"/trains", `[data-testid="trains-page"]`},
		{"/shortcuts", `[data-testid="shortcuts"]`},
		{"/no/such/page", `[data-error="not-found"]`},
	}
	for _, scheme := range []string{"light", "dark"} {
		call(b, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}})
		for _, p := range pages {
			b.open(b.st.URL + p.path)
			b.waitVisible(p.ready)
			b.checkAxe(p.path+" ("+scheme+")", string(src))
		}
	}
	b.takeProblems() // the 404 page's status is logged by the console on purpose
}

// The sensor page refreshes in place (no reload), its chart reads out by
// keyboard, the shortcuts work and an unknown address is the app's 404.
func TestSensorLiveReadoutShortcuts(t *testing.T) {
	st := startStack(t, stackOptions{})
	b := newBrowser(t, st)
	b.signIn()
	b.visit("/gateways/b827ebd0a002/sensors/b827ebd0a002-0-humidity")
	b.waitVisible(`[data-testid="chart-svg"]`)
	b.exec(`window.__notReloaded = true`)
	since := evalJS[string](b, `document.querySelector('[data-testid="sensor-updated"]').dataset.since`)
	b.waitFor("the live panel to refresh", `window.__notReloaded && document.querySelector('[data-testid="sensor-updated"]').dataset.since !== `+jsString(since), 40*time.Second)

	// Keyboard readout: focus the chart, End then ArrowLeft.
	b.exec(`document.querySelector('[data-testid="chart-svg"]').focus()`)
	b.keys(kb.End)
	last := b.text(`[data-testid="chart-readout"]`)
	b.keys(kb.ArrowLeft)
	prev := b.text(`[data-testid="chart-readout"]`)
	if !strings.Contains(last, "%") || !strings.Contains(last, " · ") || prev == last {
		t.Errorf("readout: last %q, previous %q", last, prev)
	}

	// Shortcuts: ? opens the help, g r goes to the rules.
	b.exec(`document.activeElement.blur()`)
	b.keys("?")
	b.waitFor("the shortcuts dialog", `document.getElementById("shortcuts-dialog").open`, 5*time.Second)
	b.keys(kb.Escape)
	b.waitFor("the dialog to close", `!document.getElementById("shortcuts-dialog").open`, 5*time.Second)
	b.keys("g")
	b.keys("r")
	b.waitFor("the rules page", `location.pathname === "/rules"`, 10*time.Second)

	// 404 with ways on.
	b.open(st.URL + "/no/such/page")
	b.waitVisible(`[data-error="not-found"] [data-testid="error-nav"]`)
	b.takeProblems()
}
