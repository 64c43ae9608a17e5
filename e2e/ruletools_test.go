package e2e

import (
	"strconv"
	"strings"
	"testing"
)

// Flow: a rule's dry-run on recent data, in place on the edit form; then
// deleting a rule and bringing it back from its history.
func TestRuleDryRunAndRestore(t *testing.T) {
	st := startStack(t, stackOptions{})
	b := newBrowser(t, st)
	b.signIn()
	b.visit("/rules")
	b.waitVisible(`[data-testid="rules-tables"]`)
	const name = "Car 1 door 1 IN"
	row, ok := b.ruleRowByName(name)
	if !ok {
		t.Fatalf("no seeded rule %q", name)
	}

	// Dry-run over the last day: the result replaces the panel only.
	b.visit("/rules/" + row.ID + "/edit")
	b.waitVisible(`[data-testid="dryrun"]`)
	b.checkPage("rule form with the dry-run panel")
	b.typeInto(`#rf-desc`, "typed before trying") // must survive the try
	b.choose(`#dry-window`, "day")
	b.exec(`window.__e2eNoReload = 7`)
	b.click(`[data-testid="dry-run"]`)
	b.waitVisible(`[data-testid="dry-count"]`)
	b.waitHtmxIdle()
	if !evalJS[bool](b, `window.__e2eNoReload === 7`) {
		t.Errorf("the dry-run reloaded the page")
	}
	n, err := strconv.Atoi(strings.TrimSpace(b.text(`[data-testid="dry-count"]`)))
	if err != nil || n == 0 {
		t.Fatalf("dry-run count %q: a day of door traffic should fire the IN rule", b.text(`[data-testid="dry-count"]`))
	}
	if marks := b.count(`[data-testid="dry-mark"]`); marks != n {
		t.Errorf("%d firings but %d marks on the timeline", n, marks)
	}
	if !strings.Contains(b.text(`[data-testid="dry-actions"]`), "Pushes: "+strconv.Itoa(n)) {
		t.Errorf("actions %q, want Pushes: %d", b.text(`[data-testid="dry-actions"]`), n)
	}
	if got := b.value(`#rf-desc`); got != "typed before trying" {
		t.Errorf("the description typed before trying became %q", got)
	}
	if got := b.value(`#dry-window`); got != "day" {
		t.Errorf("the period went back to %q", got)
	}
	b.assertClean("dry-run")
	b.checkPage("rule form with a dry-run result")

	// Delete the rule from the list, then restore it from its history.
	b.visit("/rules")
	b.waitVisible(`[data-testid="rules-tables"]`)
	b.click(`#rule-` + row.ID + ` [data-testid="rule-delete"]`)
	b.confirmInApp()
	b.waitFor("the rule row to go", `(() => { const tr = document.getElementById("rule-`+row.ID+`"); return !tr || tr.dataset.testid !== "rule-row"; })()`, step)
	b.click(`[data-testid="rules-history-link"]`)
	b.waitVisible(`[data-testid="history-index"]`)
	b.checkPage("rule history index")
	gone := `[data-testid="history-rule"][data-rule-id="` + row.ID + `"]`
	if !strings.Contains(b.text(gone), "deleted") {
		t.Fatalf("the deleted rule is not marked deleted: %q", b.text(gone))
	}
	b.click(gone + ` [data-testid="history-open"]`)
	b.waitVisible(`[data-testid="history-deleted"]`)
	b.checkPage("history of a deleted rule")
	b.click(`[data-testid="version"]:first-child [data-testid="version-restore"]`)
	b.confirmInApp()
	b.waitVisible(`[data-testid="rule-history"] .notice.ok`)
	if msg := b.text(`[data-testid="rule-history"] .notice.ok`); !strings.Contains(msg, "Rule "+row.ID+" had been deleted") {
		t.Errorf("the restore does not say the rule got a new id: %q", msg)
	}
	// The restored rule's version compared with the rule as it is now: the same.
	b.click(`[data-testid="version"]:first-child [data-testid="version-diff"]`)
	b.waitVisible(`[data-testid="rule-diff"]`)
	if b.count(`[data-testid="diff-none"]`) != 1 {
		t.Errorf("the restored version differs from the live rule: %q", b.text(`[data-testid="rule-diff"]`))
	}
	b.checkPage("version diff")
	b.visit("/rules")
	b.waitVisible(`[data-testid="rules-tables"]`)
	again, ok := b.ruleRowByName(name)
	if !ok || again.ID == row.ID || again.Status != "activated" {
		t.Fatalf("after restoring: %+v (old id %s)", again, row.ID)
	}
	b.assertClean("restored")
}

// confirmInApp answers the app's own confirmation dialog (hx-confirm).
func (b *browser) confirmInApp() {
	b.t.Helper()
	b.waitFor("the confirmation dialog", `document.querySelector("#confirm-dialog").open`, step)
	b.click(`[data-testid="confirm-yes"]`)
}
