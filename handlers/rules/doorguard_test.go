package rules

import (
	"net/http"
	"strings"
	"testing"
)

// The door-rule guard, against the real sandbox: a "count in this app"
// rule on a door sensor is refused with a clear message when its trigger
// also fires on the opposite direction (nothing is created), and choosing
// the action or its direction presets the trigger that fits.
func TestDoorRuleGuard(t *testing.T) {
	hs := newHarness(t)
	before := hs.count()
	cases := []struct {
		name string
		kv   []string
		want string
	}{
		{"changes + IN", []string{"t.method", "changed", "t.degree", "\x00", "a0.dir", "IN"}, "every exit would count as an entry"},
		{"changes + OUT", []string{"t.method", "changed", "t.degree", "\x00", "a0.dir", "OUT"}, "every entry would count as an exit"},
		{"over -2 + IN", []string{"t.method", "over", "t.degree", "-2", "a0.dir", "IN"}, "exits would count as entries"},
		{"under 0 + IN", []string{"t.method", "under", "t.degree", "0", "a0.dir", "IN"}, "instead of 1, so exits would count as entries"},
		{"over 1 + IN", []string{"t.method", "over", "t.degree", "1", "a0.dir", "IN"}, "nobody would be counted in"},
		{"range -1..1 + OUT", []string{"t.method", "range", "t.degree", "\x00", "t.min", "-1", "t.max", "1", "a0.dir", "OUT"}, "entries would count as exits"},
	}
	for _, c := range cases {
		r := hs.do("POST", "/rules", with(validForm(), c.kv...), targetForm)
		msg := r.doc.Find(`#rf-t\.method-error, [id="rf-t.method-error"]`).Text()
		if r.Code != http.StatusUnprocessableEntity || !strings.Contains(r.Body.String(), c.want) {
			t.Errorf("%s: %d, method error %q; want 422 with %q", c.name, r.Code, msg, c.want)
		}
	}
	if hs.count() != before {
		t.Fatal("a refused door rule was created")
	}
	// The fitting triggers are accepted: over 0 for IN, under 0.5 for OUT.
	for _, kv := range [][]string{{"t.method", "over", "t.degree", "0", "a0.dir", "IN", "name", "in"}, {"t.method", "under", "t.degree", "0.5", "a0.dir", "OUT", "name", "out"}} {
		if r := hs.do("POST", "/rules", with(validForm(), kv...), targetForm); r.Code != http.StatusNoContent {
			t.Fatalf("%v: %d %s", kv, r.Code, r.Body)
		}
	}
	// Presets: choosing the direction (a refresh from a0.dir) with "changes"
	// gives over 0 for IN, under 0 for OUT.
	for dir, want := range map[string]string{"IN": "over", "OUT": "under"} {
		r := hs.do("POST", "/rules", with(validForm(), "op", "refresh", "t.method", "changed", "t.degree", "\x00", "a0.dir", dir), targetForm, "HX-Trigger-Name", "a0.dir")
		if got := r.doc.Find(`[data-testid="t-method"] option[selected]`).AttrOr("value", ""); r.Code != 200 || got != want {
			t.Errorf("refresh with %s: method %q (status %d), want %s", dir, got, r.Code, want)
		}
	}
	// Choosing the trigger's method itself is never overridden.
	r := hs.do("POST", "/rules", with(validForm(), "op", "refresh", "t.method", "changed", "t.degree", "\x00", "a0.dir", "IN"), targetForm, "HX-Trigger-Name", "t.method")
	if got := r.doc.Find(`[data-testid="t-method"] option[selected]`).AttrOr("value", ""); got != "changed" {
		t.Errorf("the method the user chose became %q", got)
	}
	// A user's own fitting trigger is kept (over 0.5 for IN is fine).
	r = hs.do("POST", "/rules", with(validForm(), "op", "refresh", "t.method", "over", "t.degree", "0.5", "a0.dir", "IN"), targetForm, "HX-Trigger-Name", "a0.dir")
	if r.doc.Find(`[data-testid="t-method"] option[selected]`).AttrOr("value", "") != "over" || !strings.Contains(r.Body.String(), `value="0.5"`) {
		t.Error("a fitting trigger was overwritten")
	}
}
