package e2e

import (
	"strconv"
	"strings"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
)

// checkPage runs the checks every main page must pass: no console errors or
// CSP violations, a label on every form control, and at a 390 px wide
// viewport, light and dark, nothing overflowing horizontally.
func (b *browser) checkPage(where string) {
	b.t.Helper()
	b.assertClean(where)
	b.checkLabels(where)
	b.checkNarrow(where)
	b.assertClean(where + " (after the layout checks)")
}

const describeJS = `const describe = el => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
	(el.getAttribute("name") ? "[name=" + el.getAttribute("name") + "]" : "") +
	(el.dataset && el.dataset.testid ? "[data-testid=" + el.dataset.testid + "]" : "") +
	(typeof el.className === "string" && el.className.trim() ? "." + el.className.trim().split(/\s+/).join(".") : "");`

// checkLabels: every form control has a label (or aria-label/-labelledby),
// every button and link has a name, and ids are unique (labels and ARIA
// references point at ids).
func (b *browser) checkLabels(where string) {
	b.t.Helper()
	bad := evalJS[[]string](b, `(() => {
	`+describeJS+`
	const bad = [];
	for (const el of document.querySelectorAll("input, select, textarea")) {
		if (el.type === "hidden") continue;
		const by = (el.getAttribute("aria-labelledby") || "").trim();
		const ok = (el.labels && [...el.labels].some(l => l.textContent.trim() !== "")) ||
			(el.getAttribute("aria-label") || "").trim() !== "" ||
			(by !== "" && by.split(/\s+/).every(id => document.getElementById(id)));
		if (!ok) bad.push(describe(el) + " has no label");
	}
	for (const el of document.querySelectorAll("button, a[href], summary")) {
		const name = (el.getAttribute("aria-label") || el.textContent || el.getAttribute("title") || "").trim();
		if (!name && !el.querySelector("img[alt]:not([alt='']), svg[aria-label]")) bad.push(describe(el) + " has no accessible name");
	}
	const seen = new Set();
	for (const el of document.querySelectorAll("[id]")) {
		if (seen.has(el.id)) bad.push("duplicate id " + el.id);
		seen.add(el.id);
	}
	return bad;
})()`)
	for _, s := range bad {
		b.t.Errorf("%s: %s", where, s)
	}
}

type layoutReport struct {
	ScrollWidth int      `json:"sw"`
	ClientWidth int      `json:"cw"`
	Background  string   `json:"bg"`
	Offenders   []string `json:"offenders"`
}

const layoutJS = `(() => {
	` + describeJS + `
	const de = document.documentElement;
	const cw = de.clientWidth;
	const out = {sw: de.scrollWidth, cw: cw, bg: "", offenders: []};
	for (const el of [document.body, de]) {
		const c = getComputedStyle(el).backgroundColor;
		if (c && c !== "transparent" && c !== "rgba(0, 0, 0, 0)") { out.bg = c; break; }
	}
	const scrolls = el => {
		for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
			const o = getComputedStyle(p).overflowX;
			if (o === "auto" || o === "scroll" || o === "hidden" || o === "clip") return true;
		}
		return false;
	};
	const wide = [];
	for (const el of document.body.querySelectorAll("*")) {
		const r = el.getBoundingClientRect();
		if (r.width === 0 || r.height === 0) continue;
		const s = getComputedStyle(el);
		if (s.visibility === "hidden" || s.position === "fixed") continue;
		if (r.right > cw + 1) wide.push(describe(el) + " reaches x=" + Math.round(r.right));
		if (r.right > cw + 1 && r.left < cw && !scrolls(el)) {
			out.offenders.push(describe(el) + " reaches x=" + Math.round(r.right));
			if (out.offenders.length >= 8) break;
		}
	}
	if (out.sw > cw && out.offenders.length === 0) out.offenders = wide.slice(0, 8);
	return out;
})()`

// checkNarrow looks at the page 390 px wide in the light and the dark theme.
func (b *browser) checkNarrow(where string) {
	b.t.Helper()
	defer func() {
		call(b, emulation.ClearDeviceMetricsOverride, cdp.Empty{})
		call(b, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: ""}}})
	}()
	lum := map[string]float64{}
	for _, scheme := range []string{"light", "dark"} {
		call(b, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{
			Width: 390, Height: 844, DeviceScaleFactor: 1, Mobile: true})
		call(b, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}})
		r := evalJS[layoutReport](b, layoutJS)
		if r.ClientWidth != 390 {
			b.t.Errorf("%s (%s): the viewport is %d px wide, want 390 (is the viewport meta tag there?)", where, scheme, r.ClientWidth)
		}
		if r.ScrollWidth > r.ClientWidth || len(r.Offenders) > 0 {
			b.t.Errorf("%s at 390 px (%s): the page scrolls sideways (scrollWidth %d > %d); overflowing: %s",
				where, scheme, r.ScrollWidth, r.ClientWidth, strings.Join(r.Offenders, "; "))
		}
		lum[scheme] = luminance(r.Background)
	}
	// The header's theme switch applies on change: no Apply button left to
	// wrap onto a line of its own.
	if evalJS[bool](b, `(() => { const b = document.querySelector('[data-testid=theme-apply]'); return !!b && b.offsetParent !== null })()`) {
		b.t.Errorf("%s: the theme form still shows its Apply button with script on", where)
	}
	if !(lum["dark"] < 0.4 && lum["light"] > 0.6) {
		b.t.Errorf("%s: background luminance light %.2f, dark %.2f: the dark theme does not apply", where, lum["light"], lum["dark"])
	}
}

// luminance of a CSS rgb()/rgba() colour, 0 (black) to 1 (white); white when
// no colour is set (the browser's default canvas).
func luminance(css string) float64 {
	css = strings.TrimSpace(css)
	i, j := strings.IndexByte(css, '('), strings.IndexByte(css, ')')
	if i < 0 || j < i {
		return 1
	}
	parts := strings.Split(css[i+1:j], ",")
	if len(parts) < 3 {
		parts = strings.Fields(strings.ReplaceAll(css[i+1:j], "/", " "))
	}
	if len(parts) < 3 {
		return 1
	}
	var v [3]float64
	for k := 0; k < 3; k++ {
		f, err := strconv.ParseFloat(strings.TrimSpace(parts[k]), 64)
		if err != nil {
			return 1
		}
		v[k] = f / 255
	}
	return 0.2126*v[0] + 0.7152*v[1] + 0.0722*v[2]
}
