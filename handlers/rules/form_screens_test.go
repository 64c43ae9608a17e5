package rules

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

// sensorOfType finds a sensor of typ in the sandbox account, with its gateway.
func (hs *harness) sensorOfType(typ string) (gw, id string) {
	hs.t.Helper()
	list, err := hs.h.sensors.SensorChoices(hs.t.Context(), hs.token)
	if err != nil {
		hs.t.Fatal(err)
	}
	for _, g := range list {
		for _, s := range g.Sensors {
			if s.Type == typ {
				return g.ID, s.ID
			}
		}
	}
	hs.t.Fatalf("no %s sensor in the sandbox", typ)
	return "", ""
}

// A new rule's default action follows the trigger's sensor: e-mail for a
// temperature, "count a passenger" for a door counter; a kind the user
// picked is never changed behind their back.
func TestDefaultActionFollowsSensorType(t *testing.T) {
	hs := newHarness(t)
	page := hs.do("GET", "/rules/new", nil, "")
	vals := formValues(page.find("rule-form"))
	if vals.Get("a0.kind") != "app" || vals.Get("a0.auto") != "app" {
		t.Fatalf("new form: kind %q auto %q", vals.Get("a0.kind"), vals.Get("a0.auto"))
	}
	if page.find("t-sensor").AttrOr("hx-post", "") != "/rules" {
		t.Fatal("choosing the trigger sensor does not refresh the form")
	}
	gw, temp := hs.sensorOfType("temperature")
	vals.Set("t.gateway", gw)
	vals.Set("t.sensor", temp)
	vals.Set("op", "refresh")
	r := hs.do("POST", "/rules", vals, targetForm)
	if k := r.find("a0-kind").Find("option[selected]").AttrOr("value", ""); k != "email" {
		t.Fatalf("temperature trigger: default action %q, want email", k)
	}
	vals = formValues(r.find("rule-form"))
	gw, door := hs.sensorOfType(counterType)
	vals.Set("t.gateway", gw)
	vals.Set("t.sensor", door)
	vals.Set("op", "refresh")
	r = hs.do("POST", "/rules", vals, targetForm)
	if k := r.find("a0-kind").Find("option[selected]").AttrOr("value", ""); k != "app" {
		t.Fatalf("door trigger: default action %q, want app", k)
	}
	// the user picks "call a URL": a later sensor change keeps it
	vals = formValues(r.find("rule-form"))
	vals.Set("a0.kind", "url")
	vals.Set("op", "refresh")
	r = hs.do("POST", "/rules", vals, targetForm)
	vals = formValues(r.find("rule-form"))
	if vals.Get("a0.auto") != "" {
		t.Fatal("the user's choice is still marked as the form's")
	}
	gw, temp = hs.sensorOfType("temperature")
	vals.Set("t.gateway", gw)
	vals.Set("t.sensor", temp)
	vals.Set("op", "refresh")
	r = hs.do("POST", "/rules", vals, targetForm)
	if k := r.find("a0-kind").Find("option[selected]").AttrOr("value", ""); k != "url" {
		t.Fatalf("the user's kind was replaced by %q", k)
	}
}

// After a failed save the error summary takes the focus (htmx and browsers
// focus [autofocus] in what they show).
func TestFailedSaveFocusesErrorSummary(t *testing.T) {
	hs := newHarness(t)
	r := hs.do("POST", "/rules", with(validForm(), "name", ""), targetForm)
	sum := r.find("form-errors")
	if r.Code != 422 || sum.AttrOr("id", "") != "form-errors" || sum.AttrOr("tabindex", "") != "-1" || sum.AttrOr("autofocus", "x") == "x" {
		t.Fatalf("error summary %d %v", r.Code, sum.Nodes)
	}
}

// The time zones are listed by their offset (Brisbane +10.00 before
// Adelaide +10.50), in winter and in summer.
func TestZonesByOffset(t *testing.T) {
	z := newZones()
	for _, now := range []time.Time{time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC), time.Date(2026, 7, 15, 0, 0, 0, 0, time.UTC)} {
		opts := z.options("Asia/Seoul", now)
		last := -24 * 3600
		pos := map[string]int{}
		for i, o := range opts {
			_, off := now.In(z.locs[o.Value]).Zone()
			if off < last {
				t.Fatalf("%s: %s (%d) after an offset of %d", now.Month(), o.Label, off, last)
			}
			last, pos[o.Value] = off, i
		}
		if pos["Australia/Adelaide"] > pos["Australia/Brisbane"] && now.Month() == time.July {
			t.Fatal("Adelaide +9.50 in July comes after Brisbane +10")
		}
	}
	// Seoul is still the zone for +9.00 (first listed of that offset)
	if z.zoneFor("+9.00", time.Now()) != "Asia/Seoul" {
		t.Fatal("zoneFor changed")
	}
}

// "Use" on a template opens the form filled from it, and the picker shows
// that template.
func TestUseTemplateShowsItInThePicker(t *testing.T) {
	hs := newHarness(t)
	r := hs.do("GET", "/rules/new?template="+url.QueryEscape("1"), nil, "")
	if got := r.find("template-select").Find("option[selected]"); got.AttrOr("value", "") != "1" {
		t.Fatalf("picker shows %q", strings.TrimSpace(got.Text()))
	}
	if r.find("template-filled").Length() != 1 {
		t.Fatal("no 'filled from template' notice")
	}
}
