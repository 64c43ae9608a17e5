package e2e

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"

	"github.com/thingplus/thingplus-webapp/views/text"
)

// latinWordsJS lists the Latin-letter words a person reads on the page
// (text and the labels screen readers read) that do not come from data:
// form values, code, keys (<kbd>), ids and the names of the user's things (gateways,
// sensors, rules, trains — marked by their test ids) are skipped.
const latinWordsJS = `(() => {
  const skip = (el) => el.closest('code, kbd, pre, script, style, textarea, select, datalist, svg, [data-testid*="name"], [data-testid*="sensor"], [data-testid*="rule"], [data-testid="whoami"], [data-testid*="gw-"], [data-testid*="id"], [data-testid*="value"], [lang="en"], [translate="no"], td, .crumbs');
  const out = new Set();
  const add = (s) => (s.replace(/\{\w+\}/g, "").match(/[A-Za-z][A-Za-z_+]*/g) || []).forEach(w => out.add(w));
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walk.nextNode(); n; n = walk.nextNode()) {
    if (n.parentElement && !skip(n.parentElement) && n.parentElement.getClientRects().length) add(n.textContent);
  }
  document.querySelectorAll('[aria-label], [title], [placeholder]').forEach(el => {
    if (skip(el)) return;
    ['aria-label', 'title', 'placeholder'].forEach(a => el.hasAttribute(a) && add(el.getAttribute(a)));
  });
  add(document.title);
  // words of the user's own names (theirs, their things') are data wherever they appear
  const data = new Set();
  document.querySelectorAll('[data-testid="whoami"], [data-testid*="name"], [translate="no"]').forEach(el =>
    (el.textContent.match(/[A-Za-z][A-Za-z_+]*/g) || []).forEach(w => data.add(w)));
  return JSON.stringify([...out].filter(w => !data.has(w)));
})()`

// tokensJS lists every dotted token on the page, table cells and select
// options included (which the Latin-word check skips as data): one that is
// a catalogue key is a text that was never written ("trains.outcome.x").
const tokensJS = `(() => {
  const out = new Set();
  const add = (s) => (s.match(/[a-z][A-Za-z]*(?:\.[A-Za-z_]+)+/g) || []).forEach(w => out.add(w));
  add(document.body.innerText);
  document.querySelectorAll('option').forEach(o => add(o.textContent));
  document.querySelectorAll('[aria-label], [title], [placeholder]').forEach(el =>
    ['aria-label', 'title', 'placeholder'].forEach(a => el.hasAttribute(a) && add(el.getAttribute(a))));
  return JSON.stringify([...out]);
})()`

// latinAllowed are the Latin words Korean pages may show: names and
// formats, units, and the Portal's own Latin terms.
var latinAllowed = map[string]bool{"Thing+": true, "Thing": true, "Daliworks": true, "English": true, "CSV": true,
	"JSON": true, "URL": true, "ID": true, "KST": true, "UTC": true, "SSE": true, "HTTP": true, "POST": true,
	"IN": true, "OUT": true, "Asia": true, "Seoul": true, "KiB": true, "HIDDEN": true, "Home": true, "End": true, "WEBHOOK_KEY": true}

func (b *browser) checkKoreanPage(where string) {
	b.t.Helper()
	if lang := evalJS[string](b, `document.documentElement.lang`); lang != "ko" {
		b.t.Errorf("%s: <html lang=%q>, want ko", where, lang)
	}
	var words []string
	if err := json.Unmarshal([]byte(evalJS[string](b, latinWordsJS)), &words); err != nil {
		b.t.Fatal(err)
	}
	var bad []string
	for _, w := range words {
		if !latinAllowed[w] && w != "demo" { // the signed-in account's loginId is data
			bad = append(bad, w)
		}
	}
	if len(bad) > 0 {
		b.t.Errorf("%s: Latin words on a Korean page: %s", where, strings.Join(bad, " "))
	}
	b.checkNoKeys(where)
}

// checkNoKeys fails on a catalogue key shown instead of its text.
func (b *browser) checkNoKeys(where string) {
	b.t.Helper()
	var toks []string
	if err := json.Unmarshal([]byte(evalJS[string](b, tokensJS)), &toks); err != nil {
		b.t.Fatal(err)
	}
	for _, k := range toks {
		if text.LooksLikeKey(k) {
			b.t.Errorf("%s: the catalogue key %q shows instead of its text", where, k)
		}
	}
}

// The whole tour in Korean, as a new user with a Korean browser sees it
// on the first visit — the sandbox's login and consent pages included —
// then the switch to English with JavaScript off, and the tour in English.
// Screenshots of both land in test-output/TestLanguageTour/.
func TestLanguageTour(t *testing.T) {
	st := startStack(t, stackOptions{})
	b := newBrowser(t, st)
	call(b, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: network.Headers{"Accept-Language": "ko-KR,ko;q=0.9"}})
	b.visit("/")
	b.waitVisible(`[data-testid="signin"]`)
	b.checkKoreanPage("home, signed out")
	b.screenshot("ko-home")
	b.click(`[data-testid="signin"]`)
	b.waitVisible(`#loginId`)
	b.onSandbox("login page")
	b.checkKoreanPage("sandbox login")
	b.screenshot("ko-sandbox-login")
	b.typeInto(`#loginId`, "demo")
	b.typeInto(`#password`, "demo")
	b.click(`[data-testid="login-form"] button[type="submit"]`)
	b.waitVisible(`[data-testid="decision-form"] button[name="allow"]`)
	b.checkKoreanPage("sandbox consent")
	b.screenshot("ko-sandbox-consent")
	b.click(`[data-testid="decision-form"] button[name="allow"]`)
	b.waitVisible(`[data-testid="greeting"]`)

	pages := []struct{ path, ready, name string }{
		{"/", `[data-testid="greeting"]`, "home"},
		{"/gateways", `[data-testid="gw-table"]`, "gateways"},
		{"/gateways/b827ebd0a001", `[data-testid="gw-sensors"]`, "gateway"},
		{"/gateways/b827ebd0a002/sensors/b827ebd0a002-0-humidity", `[data-testid="chart-svg"]`, "sensor"},
		{"/rules", `[data-testid="rules-tables"]`, "rules"},
		{"/rules/new", `[data-testid="rule-form"]`, "rule-new"},
		{"/events", `[data-testid="events-panel"]`, "events"},
		{"/trains", `[data-testid="trains-page"]`, "trains"},
		{"/trains/events", `main`, "trains-events"},
		{"/trains/1000/history", `[data-testid="heatmap"]`, "trains-history"},
		{"/rules/history", `main`, "rules-history"},
		{"/rules/wiring", `main`, "rules-wiring"},
		{"/gateways/new", `main`, "gateway-new"},
		{"/shortcuts", `main`, "shortcuts"},
	}
	for _, p := range pages {
		b.visit(p.path)
		b.waitVisible(p.ready)
		time.Sleep(300 * time.Millisecond) // the first stream events
		b.checkKoreanPage(p.path)
		b.screenshot("ko-" + p.name)
	}

	// The switch without JavaScript: a plain form post, back to this page.
	b.visit("/gateways")
	call(b, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
	b.click(`[data-testid="lang-en"]`)
	b.waitFor("English page", `document.documentElement.lang === "en"`, 10*time.Second)
	if b.path() != "/gateways" || !strings.Contains(b.text("h1"), "Gateways") {
		t.Fatalf("after the switch: %s, h1 %q", b.path(), b.text("h1"))
	}
	call(b, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: false})
	for _, p := range pages {
		b.visit(p.path)
		b.waitVisible(p.ready)
		if lang := evalJS[string](b, `document.documentElement.lang`); lang != "en" {
			t.Errorf("%s: lang %q after choosing English (the cookie beats Accept-Language)", p.path, lang)
		}
		b.checkNoKeys(p.path)
		b.screenshot("en-" + p.name)
	}
}
