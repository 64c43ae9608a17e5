package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
)

// The gateway's own page: its facts, sensors linking to their pages, the
// status history and the management forms; the live part refreshes in
// place (no reload) while what is typed in the rename field stays.
func TestGatewayDetailPage(t *testing.T) {
	st := startStack(t, stackOptions{})
	b := newBrowser(t, st)
	b.signIn()
	b.visit("/gateways/b827ebd0a002")
	b.waitVisible(`[data-testid="gw-live"]`)
	if b.count(`[data-testid="gw-table"]`) != 0 {
		t.Error("the gateway page is still the list table")
	}
	if s := b.text(`[data-testid="gw-page-status"] .badge`); s != "on" {
		t.Errorf("status %q", s)
	}
	for _, sel := range []string{"gw-page-interval", "gw-page-model", "gw-page-last", "gw-page-tags"} {
		if strings.TrimSpace(b.text(`[data-testid="`+sel+`"]`)) == "" {
			t.Errorf("%s is empty", sel)
		}
	}
	if n := b.count(`[data-testid="gw-history-item"]`); n < 2 {
		t.Errorf("%d status reports", n)
	}
	href := evalJS[string](b, `document.querySelector('[data-testid="gw-sensor-link"]').getAttribute("href")`)
	if !strings.HasPrefix(href, "/gateways/b827ebd0a002/sensors/") {
		t.Errorf("sensor link %q", href)
	}
	b.typeInto(`[data-testid="gw-rename-name"]`, "typed, not sent")
	b.exec(`window.__notReloaded = true`)
	since := evalJS[string](b, `document.querySelector('[data-testid="gw-live-updated"]').dataset.since`)
	b.waitFor("the gateway page to refresh in place",
		`window.__notReloaded && document.querySelector('[data-testid="gw-live-updated"]').dataset.since !== `+jsString(since), 40*time.Second)
	if v := b.value(`[data-testid="gw-rename-name"]`); v != "typed, not sent" {
		t.Errorf("the refresh wiped the rename field: %q", v)
	}
	b.checkPage("gateway page") // console, labels, 390 px (light and dark)

	// The page's link opens the sensor page.
	b.click(`[data-testid="gw-sensor-link"]`)
	b.waitVisible(`[data-testid="sensor-title"]`)
	if !strings.HasPrefix(b.path(), "/gateways/b827ebd0a002/sensors/") {
		t.Errorf("sensor link went to %s", b.path())
	}
}

// Below 640 px every gateway is a card: the toggle (its primary action)
// and, once open, the management button are inside the 390 px screen, the
// column names stay as the cards' legend, nothing scrolls sideways.
func TestGatewayMobileCards(t *testing.T) {
	st := startStack(t, stackOptions{})
	b := newBrowser(t, st)
	b.signIn()
	call(b, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{
		Width: 390, Height: 844, DeviceScaleFactor: 1, Mobile: true})
	defer call(b, emulation.ClearDeviceMetricsOverride, cdp.Empty{})
	b.visit("/gateways")
	b.waitVisible(`[data-testid="gw-table"]`)
	const inside = `const inside = (el) => { if (!el) return false; const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0 && r.left >= 0 && r.right <= 390; };`
	bad := evalJS[[]string](b, `(() => { `+inside+`
		const out = [];
		const cards = [...document.querySelectorAll('[data-testid="gw-table"] > tbody')];
		if (cards.length === 0) out.push("no gateways");
		for (const tb of cards) {
			const id = tb.querySelector("td:nth-child(2)").textContent;
			if (getComputedStyle(tb).display !== "block") out.push(id + " is not a card");
			if (!inside(tb.querySelector("button"))) out.push(id + "'s toggle is off-screen");
			if (!inside(tb.querySelector("td:nth-child(4)"))) out.push(id + "'s status is off-screen");
			if (!inside(tb.querySelector("td:nth-child(7)"))) out.push(id + "'s sensors count is off-screen");
		}
		for (const th of document.querySelectorAll('[data-testid="gw-table"] thead th')) {
			if (getComputedStyle(th).display !== "none" && !inside(th)) out.push("legend " + th.textContent + " off-screen");
		}
		return out;
	})()`)
	if len(bad) > 0 {
		t.Errorf("at 390 px: %s", strings.Join(bad, "; "))
	}
	b.click(`[data-testid="gw-table"] > tbody button`)
	b.waitVisible(`[data-testid="gw-detail"] [data-testid="gw-manage-open"]`)
	b.waitHtmxIdle()
	if !evalJS[bool](b, `(() => { `+inside+` return inside(document.querySelector('[data-testid="gw-manage-open"]')) && inside(document.querySelector('[data-testid="gw-sensor-link"]')); })()`) {
		t.Error("the open card's management button or sensor link is off-screen")
	}
	if w := evalJS[int](b, `document.documentElement.scrollWidth`); w > 390 {
		t.Errorf("the gateways page scrolls sideways at 390 px (%d)", w)
	}
	b.visit("/gateways/b827ebd0a001")
	b.waitVisible(`[data-testid="gw-page-manage"]`)
	if !evalJS[bool](b, `(() => { `+inside+` return inside(document.querySelector('[data-testid="gw-rename-submit"]')) && inside(document.querySelector('[data-testid="gw-delete"]')); })()`) {
		t.Error("the gateway page's management buttons are off-screen")
	}
	if w := evalJS[int](b, `document.documentElement.scrollWidth`); w > 390 {
		t.Errorf("the gateway page scrolls sideways at 390 px (%d)", w)
	}
}
