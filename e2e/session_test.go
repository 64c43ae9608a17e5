package e2e

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

// Flow 5: when the session is gone during an htmx request (here memcached
// is emptied, as when the session expires or memcached is replaced), the
// whole tab goes to sign in — not a login page inside the table — and comes
// back to where it was.
func TestSessionExpiryDuringHtmxRefresh(t *testing.T) {
	st := startStack(t, stackOptions{})
	b := newBrowser(t, st)
	b.signIn()

	for _, c := range []struct {
		name    string
		trigger func()
	}{
		{"the table's 15 s refresh", func() {
			// The request the poll sends (same element, URL and headers),
			// without waiting 15 s for the timer.
			b.exec(`const p = document.getElementById("gateways");
				htmx.ajax("GET", p.getAttribute("hx-get"), {source: p, target: p, swap: "outerHTML"})`)
		}},
		{"typing in the search box", func() {
			b.typeInto(`[data-testid="gw-q"]`, "subway")
		}},
	} {
		parent := t
		t.Run(strings.ReplaceAll(c.name, " ", "_"), func(t *testing.T) {
			b.t = t
			defer func() {
				if t.Failed() {
					b.saveArtifacts("failure")
				}
				b.t = parent
			}()
			b.visit("/gateways?q=b827")
			b.waitVisible(`#gateways`)
			st.FlushSessions()
			c.trigger()
			b.waitFor("the tab to leave the app for sign-in", `location.origin === `+jsString(st.SandboxURL), 10*time.Second)
			b.waitFor("the sign-in page", `!!document.querySelector('[data-testid="login-form"], [data-testid="decision-form"]')`, step)
			if n := b.count(`#gateways`); n != 0 {
				t.Errorf("the sign-in page is inside the app's page (found #gateways)")
			}
			b.assertClean("sign-in after the session ended")
			// Sign in again (the sandbox may remember the user and only ask
			// for consent): back to the gateways page.
			if b.count(`[data-testid="login-form"]`) == 1 {
				b.typeInto(`#loginId`, "demo")
				b.typeInto(`#password`, "demo")
				b.click(`[data-testid="login-form"] button[type="submit"]`)
			}
			b.waitVisible(`[data-testid="decision-form"] button[name="allow"]`)
			b.click(`[data-testid="decision-form"] button[name="allow"]`)
			b.waitFor("the app again", `location.origin === `+jsString(st.URL), step)
			u, _ := url.Parse(b.location())
			if u.Path != "/gateways" {
				t.Errorf("after signing in again the tab is on %s, want back on /gateways", u)
			}
			b.waitVisible(`#gateways`)
			b.assertClean("back on the gateways page")
		})
	}
}
