package e2e

import (
	"strings"
	"testing"
)

// The harness must see what it is meant to catch: a test that cannot fail
// proves nothing. Inline script and inline style are what a careless view
// would add; the app's CSP blocks them and the browser reports it.
func TestHarnessSeesCSPViolationsAndErrors(t *testing.T) {
	st := startStack(t, stackOptions{})
	b := newBrowser(t, st)
	b.visit("/")
	b.exec(`const s = document.createElement("script"); s.textContent = "window.__inline = 1"; document.body.appendChild(s)`)
	b.exec(`document.body.setAttribute("style", "color: red")`)
	b.exec(`setTimeout(() => { throw new Error("e2e deliberate") }, 0)`)
	b.exec(`console.error("e2e deliberate console error")`)
	b.waitFor("the reports", `true`, step)
	got := b.takeProblems()
	all := strings.Join(got, "\n")
	for _, want := range []string{"script-src", "style-src", "e2e deliberate", "e2e deliberate console error"} {
		if !strings.Contains(all, want) {
			t.Errorf("the harness did not report %q; it saw:\n%s", want, all)
		}
	}
	if evalJS[bool](b, `window.__inline === 1`) {
		t.Errorf("an inline script ran: the CSP does not block inline script")
	}
}

func TestLoopback(t *testing.T) {
	for u, want := range map[string]bool{
		"http://127.0.0.1:3000/x":        true,
		"http://localhost:3000/":         true,
		"http://[::1]:8080/":             true,
		"data:image/png;base64,AAAA":     true,
		"https://unpkg.com/htmx.org":     false,
		"http://10.0.0.5/":               false,
		"https://fonts.googleapis.com/x": false,
	} {
		if got := loopback(u); got != want {
			t.Errorf("loopback(%q) = %v, want %v", u, got, want)
		}
	}
}
