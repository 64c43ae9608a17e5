package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// Trains belong to their owners: "other" signs in and sees none of demo's
// trains; demo shares 신림-성수 with other as viewer from the train's
// Manage panel; other's open page then shows the train live, without any
// manage control or key, and follows its counts.
func TestTrainsSharedAsViewer(t *testing.T) {
	st := startStack(t, stackOptions{})
	o, d := newBrowser(t, st), newBrowser(t, st)
	o.signInAs("other")
	o.visit("/trains")
	o.waitLive(5 * time.Second)
	if n := o.count(`[data-testid="train"]`); n != 0 {
		t.Fatalf("other sees %d trains of demo", n)
	}
	if got := o.text(`[data-testid="no-trains"]`); !strings.Contains(got, "Create your first train") {
		t.Errorf("the empty page says %q", got)
	}

	d.signIn()
	d.visit("/trains")
	d.waitLive(5 * time.Second)
	train := evalJS[string](d, `[...document.querySelectorAll('[data-testid="train"]')].find(t => t.querySelector('[data-testid="train-name"]').textContent.trim() === "신림-성수").dataset.trainId`)
	d.openDetails(fmt.Sprintf(`#train-%s [data-testid="train-manage"]`, train))
	d.typeInto(fmt.Sprintf("#share-%s-login", train), "other")
	d.click(fmt.Sprintf(`#train-%s [data-testid="share"]`, train))
	d.waitFor("the share in the owner's list", fmt.Sprintf(`!!document.querySelector('#train-%s [data-testid="share"][data-login="other"]')`, train), step)

	// other's page: the train arrives over the open stream, read-only.
	start := time.Now()
	o.waitFor("the shared train on other's page", fmt.Sprintf(`!!document.querySelector('#train-%s [data-testid="car"]')`, train), 5*time.Second)
	if took := time.Since(start); took > 4*time.Second {
		t.Errorf("the shared train showed after %s", took)
	}
	if got := o.text(fmt.Sprintf(`#train-%s [data-testid="train-role"]`, train)); got != "Shared with you as viewer by demo" {
		t.Errorf("role badge %q", got)
	}
	if n := o.count(`[data-testid="train-manage"], [data-testid="car-manage"], [data-testid="owner-panel"]`); n != 0 {
		t.Errorf("the viewer has %d manage panels", n)
	}
	if html := evalJS[string](o, `document.body.innerHTML`); strings.Contains(html, "key=") && !strings.Contains(html, "key={") {
		t.Error("a push key is on the viewer's page")
	}
	// A passenger on 신림-성수 moves other's page live (the sandbox's
	// simulated riders move it too, so wait for a change, not a number).
	car := evalJS[string](o, fmt.Sprintf(`document.querySelector('#train-%s [data-testid="car"]').dataset.carId`, train))
	before := o.car(car).Count
	if code := st.Push("b827ebd0a001-1-door1", "IN", "e2e-share-1"); code != 204 {
		t.Fatalf("push: %d", code)
	}
	o.waitFor("a live count on the viewer's page", fmt.Sprintf(
		`document.querySelector('#car-%s [data-testid="car-count"]').textContent.trim() !== %s`, car, jsString(before)), 5*time.Second)
	o.assertClean("viewer's trains page")
	d.assertClean("owner's trains page")
}
