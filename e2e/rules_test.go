package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp/kb"
)

// choose picks an option of a <select> as a user does (the page gets the
// input and change events; htmx pickers refresh the form on change).
func (b *browser) choose(sel, value string) {
	b.t.Helper()
	ok := evalJS[bool](b, fmt.Sprintf(`(() => {
		const s = document.querySelector(%s);
		if (!s || ![...s.options].some(o => o.value === %s)) return false;
		s.focus();
		s.value = %s;
		s.dispatchEvent(new Event("input", {bubbles: true}));
		s.dispatchEvent(new Event("change", {bubbles: true}));
		return true;
	})()`, jsString(sel), jsString(value), jsString(value)))
	if !ok {
		b.t.Fatalf("%s has no option %q", sel, value)
	}
	b.waitHtmxIdle()
}

// value is a form control's current value.
func (b *browser) value(sel string) string {
	b.t.Helper()
	return evalJS[string](b, fmt.Sprintf(`(() => { const e = document.querySelector(%s); return e ? e.value : "(missing)"; })()`, jsString(sel)))
}

// ruleRow finds the rules table row of a rule by its name.
type ruleRow struct {
	ID     string `json:"id"`
	Status string `json:"status"`
	Chip   string `json:"chip"`
	Gone   bool   `json:"gone"`
}

func (b *browser) ruleRowByName(name string) (ruleRow, bool) {
	b.t.Helper()
	r := evalJS[*ruleRow](b, fmt.Sprintf(`(() => {
		for (const tr of document.querySelectorAll('tr[data-testid="rule-row"]')) {
			if (tr.querySelector('[data-testid="rule-name"]').textContent.trim() === %s) {
				const chip = tr.querySelector('[data-testid="status"]');
				return {id: tr.dataset.ruleId, status: chip.dataset.status, chip: chip.textContent.trim(), gone: false};
			}
		}
		return null;
	})()`, jsString(name)))
	if r == nil {
		return ruleRow{}, false
	}
	return *r, true
}

func (b *browser) ruleRowByID(id string) ruleRow {
	b.t.Helper()
	return evalJS[ruleRow](b, fmt.Sprintf(`(() => {
		const tr = document.getElementById("rule-" + %s);
		if (!tr || tr.dataset.testid !== "rule-row") return {id: %s, gone: true};
		const chip = tr.querySelector('[data-testid="status"]');
		return {id: %s, status: chip.dataset.status, chip: chip.textContent.trim(), gone: false};
	})()`, jsString(id), jsString(id), jsString(id)))
}

func (b *browser) waitRuleStatus(id, status string) {
	b.t.Helper()
	b.waitFor("rule "+id+" "+status, fmt.Sprintf(`(() => { const tr = document.getElementById("rule-%s");
		const c = tr && tr.querySelector('[data-testid="status"]'); return c && c.dataset.status === %s; })()`, id, jsString(status)), step)
}

// Flow 3: create a rule through the form, first with a mistake (the message
// next to the field, every typed value kept), then correctly; it is in the
// table; deactivate (mouse) and activate (keyboard) it in place; delete it
// after confirming.
func TestRules(t *testing.T) {
	st := startStack(t, stackOptions{})
	b := newBrowser(t, st)
	b.signIn()
	b.click(`header nav a[href="/rules"]`)
	b.waitVisible(`[data-testid="rules-tables"]`)
	b.checkPage("rules")

	b.click(`[data-testid="rule-new"]`)
	b.waitVisible(`[data-testid="rule-form"]`)
	b.checkPage("new rule form")

	// The pickers re-render the form (htmx) as the trigger takes shape.
	const (
		gateway = "b827ebd0a001"
		sensor  = "b827ebd0a001-2-door3"
		name    = "E2E door 3 of car 2 OUT"
		desc    = "Made by the end-to-end test"
	)
	b.choose(`#rf-t-gateway`, gateway)
	b.waitFor("the gateway's sensors in the picker", `!!document.querySelector('#rf-t-sensor option[value="`+sensor+`"]')`, step)
	b.choose(`#rf-t-sensor`, sensor)
	b.waitFor("the sensor chosen", `document.querySelector("#rf-t-sensor").value === "`+sensor+`"`, step)
	b.waitHtmxIdle() // the sensor refreshes the form (the default action follows its type)
	// An OUT door rule fires under 0 (a door sends -1 when someone leaves);
	// the form refuses over 0 with OUT (the door-rule guard).
	b.choose(`#rf-t-method`, "under")
	b.waitFor("the threshold field", `!!document.querySelector("#rf-t-degree")`, step)
	b.typeInto(`#rf-name`, name)
	b.typeInto(`#rf-desc`, desc)
	b.choose(`#rf-severity`, "warning")
	b.choose(`#rf-a0-dir`, "OUT")
	b.typeInto(`#rf-t-degree`, "lots") // the mistake
	b.assertClean("filling the rule form")

	release := b.allow(`status of 422`)
	b.exec(`window.__e2eNoReload = 3`)
	b.click(`[data-testid="rule-save"]`)
	b.waitVisible(`[data-testid="err-t.degree"]`)
	release()
	if !evalJS[bool](b, `window.__e2eNoReload === 3`) {
		t.Errorf("the form with a mistake came back by a page reload, not in place")
	}
	b.waitFor("the focus on the error summary", `!!document.activeElement && document.activeElement.id === "form-errors"`, step)
	// The message is next to its field and tied to it for screen readers.
	next := evalJS[map[string]any](b, `(() => {
		const err = document.querySelector('[data-testid="err-t.degree"]');
		const input = document.querySelector("#rf-t-degree");
		return {
			text: err.textContent.trim(),
			sameField: err.closest(".field") === input.closest(".field"),
			invalid: input.getAttribute("aria-invalid"),
			described: (input.getAttribute("aria-describedby") || "").split(/\s+/).includes(err.id),
		};
	})()`)
	if next["text"] == "" || next["sameField"] != true || next["invalid"] != "true" || next["described"] != true {
		t.Errorf("the threshold error is not shown next to its field: %v", next)
	}
	for sel, want := range map[string]string{
		"#rf-name": name, "#rf-desc": desc, "#rf-severity": "warning", "#rf-t-gateway": gateway,
		"#rf-t-sensor": sensor, "#rf-t-method": "under", "#rf-t-degree": "lots", "#rf-a0-dir": "OUT",
	} {
		if got := b.value(sel); got != want {
			t.Errorf("after the failed save %s = %q, want the typed %q kept", sel, got, want)
		}
	}
	b.checkPage("rule form with an error")

	// Correct it and save: the rule is in the table.
	b.typeInto(`#rf-t-degree`, "0")
	b.click(`[data-testid="rule-save"]`)
	b.waitFor("the new rule in the rules table", `[...document.querySelectorAll('[data-testid="rule-name"]')].some(a => a.textContent.trim() === `+jsString(name)+`)`, step)
	row, _ := b.ruleRowByName(name)
	if row.Status != "activated" {
		t.Errorf("the new rule shows status %q (%s), want activated", row.Status, row.Chip)
	}
	summary := evalJS[string](b, `document.querySelector("#rule-`+row.ID+` [data-testid=rule-summary]").textContent`)
	if !strings.Contains(summary, "door 3") || !strings.Contains(summary, "OUT") {
		t.Errorf("the new rule's summary %q does not describe door 3 and OUT", summary)
	}
	b.assertClean("rule created")

	// Deactivate with the mouse: the row changes in place.
	b.exec(`window.__e2eNoReload = 4`)
	b.click(`#rule-` + row.ID + ` [data-testid="rule-toggle"]`)
	b.waitRuleStatus(row.ID, "deactivated")
	// Activate with the keyboard alone.
	b.exec(`document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0)`)
	b.tabTo(`#rule-`+row.ID+` [data-testid="rule-toggle"]`, 400)
	b.keys(kb.Enter)
	b.waitRuleStatus(row.ID, "activated")
	if !evalJS[bool](b, `window.__e2eNoReload === 4`) {
		t.Errorf("toggling reloaded the page; the row should change in place")
	}
	if !evalJS[bool](b, `!!document.activeElement && !!document.activeElement.closest("#rule-`+row.ID+`")`) {
		t.Errorf("after toggling with the keyboard the focus left the rule's row (it is on %s): "+
			"a keyboard user loses their place; give the toggle a stable id so htmx keeps the focus",
			evalJS[string](b, `document.activeElement ? document.activeElement.tagName + " " + document.activeElement.textContent.trim().slice(0, 40) : "nothing"`))
	}
	b.assertClean("rule toggled")

	// Delete: the app's own confirmation dialog (never the browser's
	// confirm()); Cancel keeps the rule, the dialog's Delete removes it and
	// the counter follows at once.
	b.answerDialogs(func(string) bool { return false })
	count := func() string {
		return evalJS[string](b, `document.querySelector('[data-testid="rules-count"]').dataset.total`)
	}
	before := count()
	b.click(`#rule-` + row.ID + ` [data-testid="rule-delete"]`)
	b.waitFor("the confirmation dialog", `document.querySelector("#confirm-dialog").open`, step)
	if txt := b.text(`[data-testid="confirm-text"]`); !strings.Contains(txt, name) {
		t.Errorf("the dialog asks %q, want the rule's name", txt)
	}
	b.checkAxe("the delete confirmation dialog", axeSource(t))
	b.click(`[data-testid="confirm-cancel"]`)
	b.waitFor("the dialog closed", `!document.querySelector("#confirm-dialog").open`, step)
	b.waitHtmxIdle()
	if _, ok := b.ruleRowByName(name); !ok {
		t.Fatalf("Cancel deleted the rule")
	}
	b.click(`#rule-` + row.ID + ` [data-testid="rule-delete"]`)
	b.waitFor("the confirmation dialog", `document.querySelector("#confirm-dialog").open`, step)
	b.click(`[data-testid="confirm-yes"]`)
	b.waitFor("the rule row to go", `!document.getElementById("rule-`+row.ID+`")`, step)
	b.waitVisible(`[data-testid="rules-notice"]`)
	if after := count(); after == before {
		t.Errorf("the counter still says %s rules after the delete", after)
	}
	if msgs := b.dialogMessages(); len(msgs) != 0 {
		t.Errorf("the browser's own confirm() was used: %q", msgs)
	}
	b.answerDialogs(nil)
	b.visit("/rules")
	if _, ok := b.ruleRowByName(name); ok {
		t.Errorf("the deleted rule is still listed after a reload")
	}
	if b.count(`[data-testid="rules-notice"]`) != 0 {
		t.Errorf("the delete message came back on reload")
	}
}
