package e2e

import (
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
)

// pageOf is the ?page= of the tab's address ("" on page 1).
func (b *browser) pageOf() (page string, u *url.URL) {
	u, _ = url.Parse(b.location())
	return u.Query().Get("page"), u
}

// waitPage waits until the address says page (with htmx, pushed) and the
// table lists n rows; it returns their ids.
func (b *browser) waitPage(page string, n int) []string {
	b.t.Helper()
	deadline := time.Now().Add(step)
	for {
		got := ids(b.gatewayRows())
		if p, _ := b.pageOf(); p == page && len(got) == n {
			return got
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("waited for page %q with %d rows; the URL is %s and the table lists %d", page, n, b.location(), len(got))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// The gateway list's pager in a real browser, on an account of 60
// gateways (50 a page): Next and a page number swap the table in place and
// push ?page=N, Back returns to the previous page, an open row's id does
// not ride into another page's address, the paged list passes axe, and
// without JavaScript the pager is plain links to the same pages.
func TestGatewayPager(t *testing.T) {
	axe, err := os.ReadFile(axeFile)
	if err != nil {
		t.Fatalf("%v (run: go tool task vendor-axe)", err)
	}
	st := startStack(t, stackOptions{moreGateways: 57}) // the demo account has 3
	b := newBrowser(t, st)
	b.signIn()
	b.visit("/gateways")
	b.waitVisible(`[data-testid="gw-pager"]`)
	page1 := b.waitPage("", 50)
	if got := b.text(`[data-testid="gw-pageat"]`); !strings.HasSuffix(got, "2") {
		t.Errorf("the pager says %q on page 1 of 2", got)
	}

	// Open a row on page 1: its id is in the panel (for the poll), not in
	// the address of page 2.
	b.click(`#gateways button[hx-get*="` + page1[0] + `"]`)
	b.waitVisible(`#gateways [data-testid="gw-detail"]`)
	b.waitHtmxIdle()
	b.exec(`window.__e2eNoReload = 1`)
	b.click(`[data-testid="gw-next"]`)
	page2 := b.waitPage("2", 10)
	if _, u := b.pageOf(); u.Query().Has("open") {
		t.Errorf("the open row of page 1 rides into page 2's address: %s", u)
	}
	if n := b.count(`#gateways [data-testid="gw-detail"]`); n != 0 {
		t.Errorf("%d open rows on page 2", n)
	}
	all := append(slices.Clone(page1), page2...)
	slices.Sort(all)
	if len(slices.Compact(all)) != 60 {
		t.Errorf("pages 1 and 2 show %d distinct gateways, want 60", len(slices.Compact(all)))
	}
	for _, id := range []string{"b827ebd0a001", "b827ebd0a002", "b827ebd0a003"} {
		if !slices.Contains(all, id) {
			t.Errorf("the demo gateway %s is on neither page", id)
		}
	}
	if got := b.text(`[data-testid="gw-pageno"]`); got != "2" {
		t.Errorf("the current page number reads %q on page 2", got)
	}
	b.assertClean("next page")

	// Back: page 1 again, the same rows.
	b.back()
	if got := b.waitPage("", 50); !slices.Equal(got, page1) {
		t.Errorf("Back shows other rows than page 1")
	}
	// A page number goes to that page.
	b.click(`[data-testid="gw-pager"] a[href$="page=2"]:not([rel])`)
	if got := b.waitPage("2", 10); !slices.Equal(got, page2) {
		t.Errorf("the page number 2 shows other rows than Next did: %v, %v", got, page2)
	}
	if !evalJS[bool](b, `window.__e2eNoReload === 1`) {
		t.Errorf("paging reloaded the page; it should swap the table in place")
	}
	// A change made from this page (what a rename or delete announces)
	// reloads the table where it was: page 2, not page 1.
	b.exec(`document.querySelector("#gateways").setAttribute("data-e2e-before-refresh", "1")`)
	b.exec(`htmx.trigger(document.body, "gw-changed")`)
	deadline := time.Now().Add(step)
	for b.count(`#gateways[data-e2e-before-refresh]`) != 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	b.waitHtmxIdle()
	if b.count(`#gateways[data-e2e-before-refresh]`) != 0 {
		t.Errorf("the refresher did not reload the table")
	}
	if got := ids(b.gatewayRows()); !slices.Equal(got, page2) {
		t.Errorf("after a change the table shows %d other rows than page 2 (page 1 again?)", len(got))
	}
	if p, _ := b.pageOf(); p != "2" {
		t.Errorf("after a change the address is on page %q", p)
	}
	b.assertClean("page number")
	b.checkAxe("gateways page 2", string(axe))

	// Without JavaScript the pager is plain links: whole pages, same rows.
	call(b, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
	defer call(b, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: false})
	b.open(st.URL + "/gateways")
	b.waitPage("", 50)
	b.click(`[data-testid="gw-next"]`)
	if got := b.waitPage("2", 10); !slices.Equal(got, page2) {
		t.Errorf("without script, Next shows other rows: %v", got)
	}
	b.click(`[data-testid="gw-prev"]`)
	if got := b.waitPage("", 50); !slices.Equal(got, page1) {
		t.Errorf("without script, Previous shows other rows than page 1")
	}
}
