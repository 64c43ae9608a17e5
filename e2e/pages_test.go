package e2e

import (
	"testing"
	"time"
)

// Flow 6 and the layout budgets on every page a signed-in user reaches:
// no console errors or CSP violations, every control labelled, nothing
// overflowing a 390 px wide screen in the light or the dark theme.
func TestEveryPage(t *testing.T) {
	st := startStack(t, stackOptions{})
	b := newBrowser(t, st)
	b.signIn()
	ruleEdit := "/rules"
	b.visit("/rules")
	if id := evalJS[string](b, `(() => { const r = document.querySelector('[data-testid="rule-row"]'); return r ? r.dataset.ruleId : ""; })()`); id != "" {
		ruleEdit = "/rules/" + id + "/edit"
	}
	for _, p := range []struct {
		path, ready string
	}{
		{"/", `[data-testid="greeting"]`},
		{"/gateways", `[data-testid="gw-table"]`},
		{"/gateways/b827ebd0a001", `[data-testid="gw-sensors"]`},
		{"/gateways/b827ebd0a002/sensors/b827ebd0a002-0-humidity", `[data-testid="chart-svg"]`},
		{"/gateways/b827ebd0a002/sensors/b827ebd0a002-0-humidity?range=week", `[data-testid="chart-svg"]`},
		{"/rules", `[data-testid="rules-tables"]`},
		{"/rules/new", `[data-testid="rule-form"]`},
		{ruleEdit, `[data-testid="rule-form"]`},
		{"/events", `[data-testid="events-panel"]`},
		{"/trains", `[data-testid="trains-page"]`},
		{"/trains/events", `main`},
	} {
		b.visit(p.path)
		b.waitVisible(p.ready)
		time.Sleep(100 * time.Millisecond) // late scripts, the first stream events
		b.checkPage(p.path)
	}
}
