package e2e

import (
	"os"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
)

// axeSource is axe-core for checkAxe.
func axeSource(t *testing.T) string {
	t.Helper()
	src, err := os.ReadFile(axeFile)
	if err != nil {
		t.Fatalf("%v (run: go tool task vendor-axe)", err)
	}
	return string(src)
}

// Sorting and paging the rules keep the URL: a reload or a shared link shows
// the same page in the same order, and Back returns to the previous one.
func TestRulesSortAndPagingKeepTheURL(t *testing.T) {
	st := startStack(t, stackOptions{})
	b := newBrowser(t, st)
	b.signIn()
	b.visit("/rules")
	b.waitVisible(`[data-testid="rules-tables"]`)
	b.exec(`window.__e2eNoReload = 1`)
	b.choose(`#rules-sort`, "severity")
	b.waitFor("the sort in the URL", `location.search === "?sort=severity"`, step)
	b.waitHtmxIdle()
	b.click(`[data-testid="rules-next"]`)
	b.waitFor("page 2 in the URL", `location.search === "?page=2&sort=severity"`, step)
	b.waitHtmxIdle()
	if !evalJS[bool](b, `window.__e2eNoReload === 1`) {
		t.Errorf("sorting or paging reloaded the page")
	}
	page2 := b.text(`[data-testid="rules-pageno"]`)
	first := b.text(`[data-testid="rules-table"] [data-testid="rule-name"]`)
	if !strings.HasPrefix(page2, "Page 2 of") || first == "" {
		t.Fatalf("page 2 shows %q, first rule %q", page2, first)
	}
	// a reload of that address: the same page, the same order, the sort kept in the form
	b.visit("/rules?page=2&sort=severity")
	b.waitVisible(`[data-testid="rules-tables"]`)
	if got := b.text(`[data-testid="rules-pageno"]`); got != page2 {
		t.Errorf("after a reload the pager says %q, want %q", got, page2)
	}
	if got := b.text(`[data-testid="rules-table"] [data-testid="rule-name"]`); got != first {
		t.Errorf("after a reload the first rule is %q, want %q", got, first)
	}
	if got := b.value(`#rules-sort`); got != "severity" {
		t.Errorf("after a reload the sort select says %q", got)
	}
	// the previous page link, then a filter: the page resets, the sort stays
	b.click(`[data-testid="rules-prev"]`)
	b.waitFor("page 1 in the URL", `location.search === "?sort=severity"`, step)
	b.waitHtmxIdle()
	b.typeInto(`#rules-q`, "door 1")
	b.waitFor("the search in the URL", `location.search.includes("q=door+1") && location.search.includes("sort=severity") && !location.search.includes("page=")`, step)
	b.assertClean("rules sort and paging")
}

// Below 640 px the rules are stacked cards: every row's actions are inside
// the 390 px screen, nothing scrolls sideways.
func TestRulesMobileCards(t *testing.T) {
	st := startStack(t, stackOptions{})
	b := newBrowser(t, st)
	b.signIn()
	call(b, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{
		Width: 390, Height: 844, DeviceScaleFactor: 1, Mobile: true})
	defer call(b, emulation.ClearDeviceMetricsOverride, cdp.Empty{})
	b.visit("/rules")
	b.waitVisible(`[data-testid="rules-tables"]`)
	bad := evalJS[[]string](b, `(() => {
		const out = [];
		const rows = [...document.querySelectorAll('[data-testid="rule-row"]')];
		if (rows.length === 0) out.push("no rows");
		for (const tr of rows) {
			if (getComputedStyle(tr).display !== "block") out.push(tr.id + " is not a card");
			for (const sel of ['[data-testid="rule-edit"]', '[data-testid="rule-delete"]', '[data-testid="rule-toggle"], [data-testid="rule-use"]']) {
				const el = tr.querySelector(sel);
				if (!el) { out.push(tr.id + " lacks " + sel); continue; }
				const r = el.getBoundingClientRect();
				if (r.width === 0 || r.height === 0 || r.left < 0 || r.right > 390) out.push(tr.id + " " + sel + " at " + Math.round(r.left) + "–" + Math.round(r.right));
			}
		}
		return out;
	})()`)
	if len(bad) > 0 {
		t.Errorf("at 390 px: %s", strings.Join(bad, "; "))
	}
	if w := evalJS[int](b, `document.documentElement.scrollWidth`); w > 390 {
		t.Errorf("the rules page scrolls sideways at 390 px (%d)", w)
	}
}
