package e2e

import (
	"testing"
	"time"
)

// The header's theme switch with script: a choice applies at once without
// leaving the page, and the server keeps it (the next page has it too).
func TestThemeSwitchInPlace(t *testing.T) {
	st := startStack(t, stackOptions{})
	b := newBrowser(t, st)
	b.signIn()
	b.visit("/gateways")
	b.waitVisible(`[data-testid="theme-select"]`)
	b.exec(`window.__e2eNoReload = 1`)
	b.exec(`(() => { const s = document.querySelector('[data-testid=theme-select]'); s.value = "dark"; s.dispatchEvent(new Event("change", {bubbles: true})) })()`)
	if got := evalJS[string](b, `document.documentElement.getAttribute("data-theme") || ""`); got != "dark" {
		t.Fatalf("data-theme = %q right after choosing dark", got)
	}
	if !evalJS[bool](b, `window.__e2eNoReload === 1`) {
		t.Fatal("choosing a theme left the page")
	}
	// The cookie is set by the background POST: a new page comes dark.
	deadline := time.Now().Add(step)
	for {
		b.visit("/gateways")
		if evalJS[string](b, `document.documentElement.getAttribute("data-theme") || ""`) == "dark" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the next page is not dark: the choice was not kept")
		}
		time.Sleep(100 * time.Millisecond)
	}
	b.exec(`(() => { const s = document.querySelector('[data-testid=theme-select]'); s.value = "system"; s.dispatchEvent(new Event("change", {bubbles: true})) })()`)
	if got := evalJS[string](b, `document.documentElement.getAttribute("data-theme") || ""`); got != "" {
		t.Fatalf("data-theme = %q after choosing the system's", got)
	}
	b.assertClean("theme switch")
}
