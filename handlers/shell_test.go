package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/thingplus/thingplus-webapp/apptest"
)

// The theme switch works without script: a form post sets the cookie and
// returns to the page; the page then carries data-theme. Only local return
// addresses are followed.
func TestThemeWithoutScript(t *testing.T) {
	e := newEnv(t, envOpts{memory: true})
	b := apptest.NewBrowser(t)
	home := b.Get(e.app.URL + "/")
	if !strings.Contains(home.Body, `data-testid="theme-form"`) || strings.Contains(home.Body, `data-theme="`) {
		t.Fatalf("home: theme form missing or a theme set by default")
	}
	origin := []string{"Origin", e.app.URL}
	r := b.PostForm(e.app.URL+"/theme", url.Values{"theme": {"dark"}, "back": {"/shortcuts"}}, origin...)
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/shortcuts" {
		t.Fatalf("post: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
	page := b.Get(e.app.URL + "/shortcuts")
	if !strings.Contains(page.Body, `<html lang="en" data-theme="dark">`) || !strings.Contains(page.Body, `<option value="dark" selected>`) {
		t.Errorf("dark not applied: %.300s", page.Body)
	}
	for _, back := range []string{"//evil.example/x", "https://evil.example/", "/\\evil.example"} {
		r := b.PostForm(e.app.URL+"/theme", url.Values{"theme": {"system"}, "back": {back}}, origin...)
		if r.Header.Get("Location") != "/" {
			t.Errorf("back %q went to %q", back, r.Header.Get("Location"))
		}
	}
	if page := b.Get(e.app.URL + "/"); strings.Contains(page.Body, `data-theme="`) {
		t.Error("system theme still sets data-theme")
	}
}

// An unknown address is the app's own 404 page, with the header and ways
// on; htmx gets a toast.
func TestNotFoundPage(t *testing.T) {
	e := newEnv(t, envOpts{memory: true})
	b := apptest.NewBrowser(t)
	r := b.Get(e.app.URL + "/no/such/page")
	if r.StatusCode != http.StatusNotFound || !strings.Contains(r.Body, `data-error="not-found"`) ||
		!strings.Contains(r.Body, `data-testid="error-nav"`) || !strings.Contains(r.Body, `class="top"`) {
		t.Fatalf("404: %d %.400s", r.StatusCode, r.Body)
	}
	r = b.Get(e.app.URL+"/no/such/page", "HX-Request", "true")
	if r.StatusCode != http.StatusNotFound || !strings.Contains(r.Body, `data-toast`) || strings.Contains(r.Body, "<html") {
		t.Errorf("htmx 404: %d %.200s", r.StatusCode, r.Body)
	}
}
