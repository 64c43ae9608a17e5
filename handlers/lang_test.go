package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/thingplus/thingplus-webapp/apptest"
)

func langOf(t *testing.T, r *apptest.Response) string {
	t.Helper()
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(r.Body))
	if err != nil {
		t.Fatal(err)
	}
	lang, _ := doc.Find("html").Attr("lang")
	return lang
}

func TestLanguageChoice(t *testing.T) {
	e := newEnv(t, envOpts{memory: true})
	cases := []struct{ accept, want string }{
		{"", "ko"},                             // no preference: Korean first
		{"ko-KR,ko;q=0.9,en-US;q=0.8", "ko"},   // a Korean browser
		{"en-US,en;q=0.9", "en"},               // an English browser
		{"fr-FR,fr;q=0.9", "ko"},               // neither: Korean
		{"fr;q=0.9,en;q=0.5,ko;q=0.1", "en"},   // the better match wins
		{"de, en-GB;q=0.8", "en"},              // a regional English
		{"*;q=0.1, garbage;;", "ko"},           // junk: the default
		{strings.Repeat("en-US,", 2000), "ko"}, // over the parser's limit: the default
	}
	for _, tc := range cases {
		b := apptest.NewBrowser(t)
		b.AcceptLanguage = ""
		r := b.Get(e.app.URL+"/", "Accept-Language", tc.accept)
		if r.StatusCode != http.StatusOK {
			t.Fatalf("%q: status %d", tc.accept, r.StatusCode)
		}
		if got := langOf(t, r); got != tc.want {
			t.Errorf("Accept-Language %.40q: <html lang=%q>, want %q", tc.accept, got, tc.want)
		}
		if !strings.Contains(strings.Join(r.Header.Values("Vary"), ","), "Accept-Language") {
			t.Errorf("%q: Vary %v lacks Accept-Language", tc.accept, r.Header.Values("Vary"))
		}
	}
}

// The switch is a plain form: it works without JavaScript, beats
// Accept-Language, is remembered for a year and returns to the same page.
func TestLanguageSwitchWithoutJS(t *testing.T) {
	e := newEnv(t, envOpts{memory: true})
	b := apptest.NewBrowser(t)
	b.AcceptLanguage = "ko-KR"
	page := b.Get(e.app.URL + "/?m=signedout")
	if langOf(t, page) != "ko" {
		t.Fatalf("first visit: lang %q", langOf(t, page))
	}
	doc, _ := goquery.NewDocumentFromReader(strings.NewReader(page.Body))
	form := doc.Find(`form[data-testid="lang-switch"]`)
	if form.AttrOr("method", "") != "post" || form.AttrOr("action", "") != "/lang" {
		t.Fatalf("switch form: %v", form.Nodes)
	}
	next := form.Find(`input[name="next"]`).AttrOr("value", "")
	if next != "/?m=signedout" {
		t.Fatalf("switch returns to %q", next)
	}
	if form.Find(`button[value="ko"]`).AttrOr("aria-pressed", "") != "true" {
		t.Fatal("current language not marked pressed")
	}
	r := b.PostForm(e.app.URL+"/lang", url.Values{"lang": {"en"}, "next": {next}})
	if r.StatusCode != http.StatusSeeOther || r.Location() != e.app.URL+"/?m=signedout" {
		t.Fatalf("switch: %d → %q", r.StatusCode, r.Location())
	}
	var ck *http.Cookie
	for _, c := range r.Cookies() {
		if c.Name == "lang" {
			ck = c
		}
	}
	if ck == nil || ck.Value != "en" || ck.MaxAge < 365*24*3600 || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode {
		t.Fatalf("cookie %+v", ck)
	}
	if got := langOf(t, b.Get(e.app.URL+"/")); got != "en" {
		t.Fatalf("after switching to English with a Korean browser: lang %q", got)
	}
	// an open redirect is refused, a bad language is refused
	r = b.PostForm(e.app.URL+"/lang", url.Values{"lang": {"ko"}, "next": {"//evil.example/"}})
	if r.StatusCode != http.StatusSeeOther || r.Location() != e.app.URL+"/" {
		t.Fatalf("next=//evil: %d → %q", r.StatusCode, r.Location())
	}
	if got := langOf(t, b.Get(e.app.URL+"/")); got != "ko" {
		t.Fatalf("back to Korean: %q", got)
	}
	if r := b.PostForm(e.app.URL+"/lang", url.Values{"lang": {"fr"}}); r.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("lang=fr: %d", r.StatusCode)
	}
	// cross-site switching is refused like every other POST
	if r := b.PostForm(e.app.URL+"/lang", url.Values{"lang": {"en"}}, "Origin", "http://evil.example", "Sec-Fetch-Site", "cross-site"); r.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-site switch: %d", r.StatusCode)
	}
}
