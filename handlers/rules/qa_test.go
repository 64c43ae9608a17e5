package rules

import (
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"
)

// A long Korean description (allowed: at most 1000 characters) and a long
// e-mail body are saved whole, never cut at a byte limit without a word.
func TestLongTextIsNeverCutSilently(t *testing.T) {
	hs := newHarness(t)
	desc := strings.Repeat("신림", 400) // 800 characters, 2400 bytes
	r := hs.do(http.MethodPost, "/rules", with(validForm(), "desc", desc), "")
	if r.Code != http.StatusSeeOther {
		t.Fatalf("save: status %d, want 303; %s", r.Code, r.find("form-errors").Text())
	}
	if got := hs.newest().Desc; got != desc {
		t.Fatalf("desc saved with %d characters, want %d", utf8.RuneCountInString(got), utf8.RuneCountInString(desc))
	}

	body := strings.Repeat("가", 1500) // 4500 bytes
	r = hs.do(http.MethodPost, "/rules", with(validForm(), "name", "mail", "a0.kind", "email", "a0.to", "ops@example.com",
		"a0.subject", "door", "a0.body", body), "")
	if r.Code != http.StatusSeeOther {
		t.Fatalf("save e-mail: status %d, want 303; %s", r.Code, r.doc.Find(".error, [data-testid=upstream-error]").Text())
	}
	if got := hs.newest().Actions[0][0].Method.Param("body"); got != body {
		t.Fatalf("e-mail body saved with %d characters, want %d", utf8.RuneCountInString(got), utf8.RuneCountInString(body))
	}

	// Longer than any field may be: an error next to the field, not a cut.
	r = hs.do(http.MethodPost, "/rules", with(validForm(), "name", "mail", "a0.kind", "email", "a0.to", "ops@example.com",
		"a0.body", strings.Repeat("x", 20000)), hx(targetForm))
	if r.Code != http.StatusUnprocessableEntity || r.find("err-a0.body").Length() != 1 {
		t.Fatalf("20000-character body: status %d, body error %q", r.Code, r.find("err-a0.body").Text())
	}
}

// Raw JSON over the limit is refused as too large, and what was typed is
// shown back whole, not cut to a broken document.
func TestOversizedRawJSONSaysSoAndKeepsInput(t *testing.T) {
	hs := newHarness(t)
	raw := `{"name":"n","desc":"` + strings.Repeat("x", maxRawBytes) + `"}`
	r := hs.do(http.MethodPost, "/rules", with(validForm(), "tab", "advanced", "raw", raw), hx(targetForm))
	if r.Code != http.StatusUnprocessableEntity {
		t.Fatalf("status %d, want 422", r.Code)
	}
	if got, want := r.find("err-raw").Text(), "larger than 256 KiB"; !strings.Contains(got, want) {
		t.Errorf("raw error %q, want it to say %q", got, want)
	}
	if got := r.doc.Find(`textarea[name="raw"]`).Text(); got != raw {
		t.Errorf("textarea keeps %d of %d bytes", len(got), len(raw))
	}
}

// A line break in the e-mail subject or recipients is refused next to the
// field (it would add mail headers at the sender), with the input kept.
func TestEmailHeaderInjectionRefusedInPlace(t *testing.T) {
	hs := newHarness(t)
	before := hs.count()
	for _, tc := range []struct{ field, to, subject string }{
		{"a0.subject", "ops@example.com", "hi\r\nBcc: evil@example.com"},
		{"a0.to", "ops@example.com,\r\n evil@example.com", "hi"},
	} {
		r := hs.do(http.MethodPost, "/rules", with(validForm(), "a0.kind", "email", "a0.to", tc.to, "a0.subject", tc.subject), hx(targetForm))
		if r.Code != http.StatusUnprocessableEntity || r.find("err-"+tc.field).Length() != 1 {
			t.Errorf("%s: status %d, error %q", tc.field, r.Code, r.find("err-"+tc.field).Text())
		}
	}
	if hs.count() != before {
		t.Fatal("a rule was saved")
	}
}

// Exactly one page of firings: no "Older" link to an empty page; and an
// older page with nothing on it says so instead of "No rule has fired yet".
func TestEventsPagingAtTheEnd(t *testing.T) {
	hs := newHarness(t)
	values := make([]string, eventsPerPage)
	for i := range values {
		values[i] = "1"
	}
	hs.fire(t, len(values), "b827ebd0a001-3-door1", values...)
	r := hs.do(http.MethodGet, "/events", nil, "")
	if n := r.doc.Find(`[data-testid="event-row"]`).Length(); n != eventsPerPage {
		t.Fatalf("%d rows", n)
	}
	if href, ok := r.find("events-older").Attr("href"); ok {
		t.Errorf("an Older link (%s) although nothing is older", href)
	}
	r = hs.do(http.MethodGet, "/events?maxId=0", nil, "")
	if r.doc.Find(`[data-testid="event-row"]`).Length() != 0 {
		t.Fatal("maxId=0 has rows")
	}
	if got := r.find("events-empty").Text(); strings.Contains(got, "No rule has fired yet") || !strings.Contains(got, "No older events") {
		t.Errorf("empty older page says %q", strings.TrimSpace(got))
	}
	if r.find("events-newest").Length() != 1 {
		t.Error("the empty older page has no way back to the newest")
	}
}

// The advanced tab shows the JSON as a person writes it: a push URL's "&"
// and a name's "<" as themselves, not \u0026 and \u003c; a literal
// backslash-u text stays what it was, and switching back loses nothing.
func TestAdvancedTabShowsPlainCharacters(t *testing.T) {
	hs := newHarness(t)
	name := `<b>Door</b> & "exit" \u003c`
	u := "https://example.com/hook?a=1&b=<2>"
	r := hs.do(http.MethodPost, "/rules", with(validForm(), "name", name, "a0.kind", "url", "a0.url", u, "op", "tab-advanced"), hx(targetForm))
	raw := r.doc.Find(`textarea[name="raw"]`).Text()
	if r.Code != http.StatusOK || !strings.Contains(raw, `"https://example.com/hook?a=1&b=<2>"`) || !strings.Contains(raw, `"<b>Door</b> & \"exit\" \\u003c"`) {
		t.Fatalf("status %d, raw:\n%s", r.Code, raw)
	}
	r = hs.do(http.MethodPost, "/rules", with(formValues(r.doc.Find("form")), "op", "tab-form"), hx(targetForm))
	if got := r.doc.Find(`input[name="name"]`).AttrOr("value", ""); got != name {
		t.Errorf("name back in the form: %q", got)
	}
	if got := r.doc.Find(`input[name="a0.url"]`).AttrOr("value", ""); got != u {
		t.Errorf("url back in the form: %q", got)
	}
}
