package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp/kb"
)

// signIn goes through the sandbox's login and consent pages with the mouse
// and lands on the greeting.
func (b *browser) signIn() {
	b.t.Helper()
	b.signInAs("demo")
}

// signInAs signs in as a sandbox account whose password is its loginId
// (demo, other).
func (b *browser) signInAs(login string) {
	b.t.Helper()
	b.visit("/")
	b.click(`[data-testid="signin"]`)
	b.waitVisible(`#loginId`)
	b.onSandbox("login page")
	b.assertClean("sandbox login page")
	b.checkLabels("sandbox login page")
	b.typeInto(`#loginId`, login)
	b.typeInto(`#password`, login)
	b.click(`[data-testid="login-form"] button[type="submit"]`)
	b.waitVisible(`[data-testid="decision-form"] button[name="allow"]`)
	b.onSandbox("consent page")
	if got := b.text(`[data-testid="client-name"]`); got == "" {
		b.t.Errorf("the consent page does not name the app")
	}
	b.assertClean("sandbox consent page")
	b.checkLabels("sandbox consent page")
	b.click(`[data-testid="decision-form"] button[name="allow"]`)
	b.waitVisible(`[data-testid="greeting"]`)
	b.assertClean("home after sign-in")
}

// onSandbox checks that the tab is on the sandbox (Thing+), not the app.
func (b *browser) onSandbox(what string) {
	b.t.Helper()
	if loc := b.location(); !strings.HasPrefix(loc, b.st.SandboxURL+"/") {
		b.t.Fatalf("%s: expected the Thing+ sandbox (%s), the tab is on %s", what, b.st.SandboxURL, loc)
	}
}

// Flow 1: sign in through the sandbox's login and consent pages, the home
// page greets the demo user, sign out, and the back button does not bring
// a signed-in page back.
func TestSignInAndOut(t *testing.T) {
	st := startStack(t, stackOptions{})
	b := newBrowser(t, st)

	b.visit("/")
	if n := b.count(`[data-testid="home-signed-out"]`); n != 1 {
		t.Fatalf("the home page of a visitor should invite to sign in (signed-out section found %d times)", n)
	}
	b.checkPage("home (signed out)")

	b.startRecording()
	b.signIn()
	if got := b.text(`[data-testid="greeting"]`); !strings.Contains(got, "Demo") {
		t.Errorf("greeting = %q, want it to name the demo user (nickname Demo)", got)
	}
	if got := b.text(`[data-testid="whoami"]`); got == "" {
		t.Errorf("the header does not show who is signed in")
	}
	for _, nav := range []string{"/gateways", "/rules", "/trains"} {
		if b.count(`header nav a[href="`+nav+`"]`) != 1 {
			t.Errorf("the navigation has no link to %s", nav)
		}
	}
	if r := b.response("/"); r == nil {
		t.Errorf("no response recorded for the signed-in home page")
	} else if cc := header(r, "Cache-Control"); !strings.Contains(cc, "no-store") {
		t.Errorf("signed-in home page: Cache-Control = %q, want no-store (else back after sign-out shows it)", cc)
	}
	b.checkPage("home (signed in)")

	b.click(`[data-testid="signout"]`)
	b.waitVisible(`[data-testid="home-signed-out"]`)
	if b.count(`[data-testid="signout"]`) != 0 || b.count(`[data-testid="greeting"]`) != 0 {
		t.Fatalf("after sign-out the page still shows a signed-in user")
	}
	b.assertClean("home after sign-out")

	// Back: the previous entry is the signed-in home; it must not come back
	// (neither from the HTTP cache nor from the back/forward cache).
	b.back()
	if b.count(`[data-testid="greeting"]`) != 0 || b.count(`[data-testid="signout"]`) != 0 {
		t.Errorf("the back button shows a signed-in page after sign-out (%s); "+
			"Chrome restores it from the back/forward cache although it is no-store", b.location())
	}
	b.assertClean("back after sign-out")

	// The session really ended on the server: a signed-in page needs sign-in.
	b.open(st.URL + "/trains")
	b.waitFor("the sign-in pages", `location.origin === `+jsString(st.SandboxURL), step)
	b.assertClean("a signed-in page after sign-out")
}

// The main flow with the keyboard alone: Tab to "Sign in", type the
// credentials, Enter, Enter on "Allow".
func TestSignInWithKeyboard(t *testing.T) {
	st := startStack(t, stackOptions{})
	b := newBrowser(t, st)
	b.visit("/")
	b.tabTo(`[data-testid="signin"]`, 12)
	b.keys(kb.Enter)
	b.waitVisible(`#loginId`)
	b.onSandbox("login page")
	b.waitFor("focus in the login field (autofocus)", `document.activeElement && document.activeElement.id === "loginId"`, step)
	b.keys("demo")
	b.keys(kb.Tab)
	b.keys("demo")
	b.keys(kb.Enter)
	b.waitVisible(`[data-testid="decision-form"] button[name="allow"]`)
	b.tabTo(`[data-testid="decision-form"] button[name="allow"]`, 12)
	b.keys(kb.Enter)
	b.waitVisible(`[data-testid="greeting"]`)
	if got := b.text(`[data-testid="greeting"]`); !strings.Contains(got, "Demo") {
		t.Errorf("greeting = %q, want it to name Demo", got)
	}
	// Sign out with the keyboard too.
	b.tabTo(`[data-testid="signout"]`, 30)
	b.keys(kb.Enter)
	b.waitVisible(`[data-testid="home-signed-out"]`)
	b.assertClean("keyboard sign-in and sign-out")
}

func header(r *request, name string) string {
	for k, v := range r.Headers {
		if strings.EqualFold(k, name) {
			if s, ok := v.(string); ok {
				return s
			}
		}
	}
	return ""
}
