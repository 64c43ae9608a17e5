package e2e

import (
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"
)

// gatewayByName is the table row showing exactly that name.
func (b *browser) gatewayByName(name string) (gwRow, bool) {
	b.t.Helper()
	for _, r := range b.gatewayRows() {
		if r.Name == name {
			return r, true
		}
	}
	return gwRow{}, false
}

// waitGatewayNamed waits until the table has a row named name and returns it.
func (b *browser) waitGatewayNamed(what, name string) gwRow {
	b.t.Helper()
	deadline := time.Now().Add(step)
	for {
		if r, ok := b.gatewayByName(name); ok {
			return r
		}
		if time.Now().After(deadline) {
			var names []string
			for _, r := range b.gatewayRows() {
				names = append(names, r.Name)
			}
			b.t.Fatalf("%s: no row named %q within %s; the table shows %q", what, name, step, names)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// rowHasID is a JS condition: the table has a gateway row with that id.
func rowHasID(id string) string {
	return `[...document.querySelectorAll('#gateways table[data-testid="gw-table"] > tbody')].some(tb =>
		tb.querySelector("tr").querySelectorAll("td")[1].textContent.trim() === ` + jsString(id) + `)`
}

// Flow: gateway management from /gateways. Add a virtual gateway (first
// with an empty name: the message next to the field, the other input
// kept, the focus on the name; then with a Korean name); it shows in the
// table without a reload; open its row and its management panel, rename
// it (the row shows the new name), change its report interval, delete it
// after confirming: the row goes.
func TestGatewayManagement(t *testing.T) {
	start := time.Now()
	st := startStack(t, stackOptions{})
	b := newBrowser(t, st)
	b.signIn()
	b.click(`header nav a[href="/gateways"]`)
	b.waitVisible(`[data-testid="gw-table"]`)
	before := b.gatewayRows()
	b.exec(`window.__e2eNoReload = 7`)

	// Open the add form in place.
	b.click(`[data-testid="gw-add-open"]`)
	b.waitVisible(`[data-testid="gw-add-form"] [data-testid="gw-add-name"]`)
	if got := b.path(); got != "/gateways" {
		t.Errorf("opening the add form went to %s; it should open in place on /gateways", got)
	}
	b.checkPage("add gateway form") // console, labels, 390 px (light and dark)

	// An empty name, the other fields filled.
	const (
		name    = "테스트 가상 게이트웨이"
		renamed = "테스트 게이트웨이 (이름 변경)"
		minutes = "30"
	)
	model := b.value(`#gw-add-model`)
	site := b.value(`#gw-add-site`)
	if model == "" || site == "" {
		t.Fatalf("the add form preselects model %q and site %q; want both set", model, site)
	}
	b.typeInto(`#gw-add-name`, "")
	// A virtual gateway has no id to type: Thing+ makes it.
	if evalJS[bool](b, `!!document.querySelector("#gw-add-id")`) {
		t.Errorf("the virtual form asks for a gateway id")
	}
	b.typeInto(`#gw-add-minutes`, minutes)
	// Truly empty, the browser stops it (the field is required): nothing
	// is sent and the focus goes to the name.
	b.startRecording()
	b.click(`[data-testid="gw-add-submit"]`)
	time.Sleep(200 * time.Millisecond)
	for _, r := range b.recorded() {
		if strings.HasSuffix(r.URL, "/gateways") && r.Type != "Document" {
			t.Errorf("an empty name was sent (%s); the required field should stop it in the browser", r.URL)
		}
	}
	if !evalJS[bool](b, `document.activeElement === document.querySelector("#gw-add-name")`) {
		t.Errorf("after submitting an empty name the focus is not on the name field")
	}
	// Only spaces pass the browser; the server's message shows next to the field.
	b.typeInto(`#gw-add-name`, "   ")
	release := b.allow(`status of 422`)
	b.click(`[data-testid="gw-add-submit"]`)
	b.waitVisible(`[data-testid="gw-add-name-error"]`)
	b.waitHtmxIdle()
	release()
	next := evalJS[map[string]any](b, `(() => {
		const err = document.querySelector('[data-testid="gw-add-name-error"]');
		const input = document.querySelector("#gw-add-name");
		return {
			text: err.textContent.trim(),
			sameField: err.closest(".field") === input.closest(".field"),
			invalid: input.getAttribute("aria-invalid"),
			described: (input.getAttribute("aria-describedby") || "").split(/\s+/).includes(err.id),
			focused: document.activeElement === input,
			focus: document.activeElement ? document.activeElement.outerHTML.slice(0, 120) : "nothing",
			others: document.querySelectorAll('[data-testid="gw-add-form"] .error').length,
		};
	})()`)
	if next["text"] != "Enter a name." || next["sameField"] != true || next["invalid"] != "true" || next["described"] != true {
		t.Errorf("the empty-name message is not shown next to the name field: %v", next)
	}
	if next["others"] != float64(1) {
		t.Errorf("the form shows %v messages, want only the name's", next["others"])
	}
	if next["focused"] != true {
		t.Errorf("after the failed add the focus is on %v, want the name field", next["focus"])
	}
	for sel, want := range map[string]string{
		"#gw-add-name":  "", // the name comes back trimmed "#gw-add-minutes": minutes,
		"#gw-add-model": model, "#gw-add-site": site,
	} {
		if got := b.value(sel); got != want {
			t.Errorf("after the failed add %s = %q, want the typed %q kept", sel, got, want)
		}
	}
	if !evalJS[bool](b, `window.__e2eNoReload === 7`) {
		t.Errorf("the form with a mistake came back by a page reload, not in place")
	}
	b.assertClean("add form with an error")
	b.checkNarrow("add form with an error")

	// Correct it (a virtual gateway gets its id made for it).
	b.typeInto(`#gw-add-name`, name)
	b.click(`[data-testid="gw-add-submit"]`)
	b.waitVisible(`[data-testid="gw-add-notice"]`)
	if got := b.text(`[data-testid="gw-add-notice"]`); !strings.Contains(got, name) {
		t.Errorf("after adding, the form says %q; want it to name %q", got, name)
	}
	row := b.waitGatewayNamed("the new gateway in the table", name)
	if !evalJS[bool](b, `window.__e2eNoReload === 7`) {
		t.Errorf("the new gateway appeared by a page reload; the table should update in place")
	}
	if len(b.gatewayRows()) != len(before)+1 {
		t.Errorf("the table lists %d gateways after adding one to %d", len(b.gatewayRows()), len(before))
	}
	if got := b.value(`#gw-add-name`); got != "" {
		t.Errorf("after adding, the name field still holds %q; want a fresh form", got)
	}
	b.assertClean("gateway added")
	t.Logf("added %s (%s) after %s", row.Name, row.ID, time.Since(start).Round(time.Millisecond))

	// Open its row, then its management panel.
	slot := "#gwm-" + hex.EncodeToString([]byte(row.ID))
	toggle := fmt.Sprintf(`#gateways table[data-testid="gw-table"] > tbody button[hx-get*=%s]`, jsString(row.ID))
	// (htmx wires up swapped-in links when the swap settles; a click
	// before that would follow the link's no-JavaScript href.)
	b.waitHtmxIdle()
	b.click(toggle)
	b.waitVisible(slot + ` [data-testid="gw-manage-open"]`)
	b.waitHtmxIdle()
	b.click(slot + ` [data-testid="gw-manage-open"]`)
	b.waitVisible(slot + `[data-testid="gw-manage"] [data-testid="gw-rename-name"]`)
	b.waitHtmxIdle()
	if got := b.path(); got != "/gateways" {
		t.Fatalf("the management panel opened on %s; it should open in place in the row on /gateways", got)
	}
	if got := b.value(slot + ` [data-testid="gw-rename-name"]`); got != name {
		t.Errorf("the rename field holds %q, want the current name %q", got, name)
	}
	if got := b.value(slot + ` [data-testid="gw-interval-minutes"]`); got != minutes {
		t.Errorf("the interval field holds %q, want the %s minutes given when adding", got, minutes)
	}
	b.assertClean("management panel")

	// Rename: the row shows the new name, the panel stays open and says so.
	b.typeInto(slot+` [data-testid="gw-rename-name"]`, renamed)
	b.click(slot + ` [data-testid="gw-rename-submit"]`)
	b.waitFor("the renamed row", fmt.Sprintf(`[...document.querySelectorAll('#gateways table[data-testid="gw-table"] > tbody')].some(tb =>
		tb.querySelector("tr td").textContent.trim() === %s && !!tb.querySelector(%s))`,
		jsString(renamed), jsString(slot+` [data-testid="gw-manage-notice"]`)), step)
	b.waitHtmxIdle()
	if got := b.text(slot + ` [data-testid="gw-manage-notice"]`); !strings.Contains(got, renamed) {
		t.Errorf("after renaming, the panel says %q; want it to name %q", got, renamed)
	}
	if _, ok := b.gatewayByName(name); ok {
		t.Errorf("the old name %q is still in the table after renaming", name)
	}
	b.assertClean("gateway renamed")

	// Change the report interval.
	b.typeInto(slot+` [data-testid="gw-interval-minutes"]`, "7")
	b.click(slot + ` [data-testid="gw-interval-submit"]`)
	b.waitFor("the new interval in the panel", fmt.Sprintf(`(() => {
		const c = document.querySelector(%s);
		return c && c.textContent.includes("every 7 min");
	})()`, jsString(slot+` [data-testid="gw-interval-current"]`)), step)
	b.waitHtmxIdle()
	if got := b.text(slot + ` [data-testid="gw-manage-notice"]`); !strings.Contains(got, "7 min") {
		t.Errorf("after changing the interval, the panel says %q; want it to say 7 min", got)
	}
	if got := b.value(slot + ` [data-testid="gw-interval-minutes"]`); got != "7" {
		t.Errorf("after changing the interval, its field holds %q, want 7", got)
	}
	b.assertClean("interval changed")

	// Delete after confirming: the row goes, the status line says so.
	// The question is the app's own dialog (hx-confirm), never confirm().
	b.click(slot + ` [data-testid="gw-delete"]`)
	b.waitFor("the confirmation dialog", `document.querySelector("#confirm-dialog").open`, step)
	if q := b.text(`#confirm-dialog`); !strings.Contains(q, renamed) {
		t.Errorf("delete asked %q, want it to name the gateway", q)
	}
	b.click(`[data-testid="confirm-yes"]`)
	b.waitFor("the deleted row to go", "!("+rowHasID(row.ID)+")", step)
	b.waitFor("the status line", `document.querySelector('[data-testid="gw-changes"]').textContent.includes(`+jsString(renamed)+`)`, step)
	b.waitHtmxIdle()
	if msgs := b.dialogMessages(); len(msgs) != 0 {
		t.Errorf("the browser's own dialog opened: %q", msgs)
	}
	if !evalJS[bool](b, `window.__e2eNoReload === 7`) {
		t.Errorf("the flow reloaded the page; every change should happen in place")
	}
	if got := len(b.gatewayRows()); got != len(before) {
		t.Errorf("after deleting, the table lists %d gateways, want the %d from before", got, len(before))
	}
	b.assertClean("gateway deleted")

	// A fresh load agrees.
	b.visit("/gateways")
	if evalJS[bool](b, rowHasID(row.ID)) {
		t.Errorf("the deleted gateway %s is listed after a reload", row.ID)
	}
	t.Logf("flow took %s", time.Since(start).Round(time.Millisecond))
}
