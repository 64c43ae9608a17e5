package trains

import (
	"strings"
	"testing"
)

// TestDoorRulesLoader: the owner's car panel holds an empty slot per door
// and a loader that asks for the rule states only when the panel opens
// (at once when it is drawn open); others get neither.
func TestDoorRulesLoader(t *testing.T) {
	l := sampleList()
	c := l.Trains[0].Cars[0]
	c.CheckRules = true
	d, html := render(t, CarCard(c, l))
	st := d.Find(`[data-testid="door-rules-status"]`)
	if st.AttrOr("hx-get", "") != "/trains/cars/2000/rules" || st.AttrOr("hx-trigger", "") != "toggle from:#car-2000-manage once" ||
		st.AttrOr("id", "") != "car-2000-rules" || st.AttrOr("hx-swap", "") != "outerHTML" {
		t.Fatalf("loader: %s", html)
	}
	slot := d.Find(`[data-testid="door"] [data-testid="door-rules"]`)
	if slot.Length() != 1 || slot.AttrOr("id", "") != doorRulesSlot(2000, "gw-1-door1") || strings.TrimSpace(slot.Text()) != "" {
		t.Fatalf("slot: %s", html)
	}
	// Drawn open (a form in it was just used): load at once.
	l.Open = "cap-2000"
	d, _ = render(t, CarCard(c, l))
	if got := d.Find(`[data-testid="door-rules-status"]`).AttrOr("hx-trigger", ""); got != "load" {
		t.Fatalf("open panel trigger %q", got)
	}
	// Not the owner (or no Thing+ rules at hand): nothing asked, no slots.
	c.CheckRules = false
	d, _ = render(t, CarCard(c, l))
	if n := d.Find(`[data-testid="door-rules-status"], [data-testid="door-rules"]`).Length(); n != 0 {
		t.Fatalf("%d rule elements without CheckRules", n)
	}
}

// TestDoorRulesCheck: each state in words with its badge icon, out of band
// into the door's slot; problems link to the wiring check; unavailable
// offers to check again and leaves the slots alone.
func TestDoorRulesCheck(t *testing.T) {
	r := CarRules{CarID: 2000, Problems: 5, Doors: []DoorRules{
		{SensorID: "gw-1-door1", IN: RuleState{"IN", RuleOK, ""}, OUT: RuleState{"OUT", RuleOK, ""}},
		{SensorID: "gw-1-door2", IN: RuleState{"IN", RuleMissing, ""}, OUT: RuleState{"OUT", RuleOff, ""}},
		{SensorID: `gw-1-"d3"`, IN: RuleState{"IN", RuleStale, ""}, OUT: RuleState{"OUT", RuleHost, "http://old.example:3000"}},
		{SensorID: "gw-1-door4", IN: RuleState{"IN", RuleDuplicate, ""}, OUT: RuleState{"OUT", RuleOK, ""}},
	}}
	d, html := render(t, DoorRulesCheck(r))
	st := d.Find(`[data-testid="door-rules-status"]`)
	if st.AttrOr("id", "") != "car-2000-rules" || st.AttrOr("data-state", "") != "problems" ||
		!strings.Contains(st.Text(), "5 door rule(s) do not count here.") || st.Find(`a[href="/rules/wiring"]`).Length() != 1 {
		t.Fatalf("status: %s", html)
	}
	want := map[string][2]string{
		"gw-1-door1": {"IN rule OK", "OUT rule OK"},
		"gw-1-door2": {"IN rule missing", "OUT rule switched off"},
		`gw-1-"d3"`:  {"IN rule has an old token", "OUT rule pushes to http://old.example:3000"},
		"gw-1-door4": {"IN rule twice (counts double)", "OUT rule OK"},
	}
	badges := map[string]string{RuleOK: "badge ok", RuleMissing: "badge bad", RuleOff: "badge off", RuleStale: "badge warn", RuleHost: "badge warn", RuleDuplicate: "badge warn"}
	slots := d.Find(`[data-testid="door-rules"]`)
	if slots.Length() != 4 {
		t.Fatalf("%d slots", slots.Length())
	}
	for i, dr := range r.Doors {
		s := slots.Eq(i)
		if s.AttrOr("id", "") != doorRulesSlot(2000, dr.SensorID) || s.AttrOr("hx-swap-oob", "") != "true" || s.AttrOr("data-sensor-id", "") != dr.SensorID {
			t.Fatalf("slot %d: %s", i, html)
		}
		rules := s.Find(`[data-testid="door-rule"]`)
		for j, rs := range []RuleState{dr.IN, dr.OUT} {
			b := rules.Eq(j)
			if strings.TrimSpace(b.Text()) != want[dr.SensorID][j] || b.AttrOr("class", "") != badges[rs.State] || b.AttrOr("data-state", "") != rs.State || b.AttrOr("data-dir", "") != rs.Dir {
				t.Errorf("%s %s: %q class %q", dr.SensorID, rs.Dir, b.Text(), b.AttrOr("class", ""))
			}
		}
		fix := s.Find(`[data-testid="door-rules-fix"]`)
		if ok := dr.IN.State == RuleOK && dr.OUT.State == RuleOK; ok != (fix.Length() == 0) || (!ok && fix.AttrOr("href", "") != "/rules/wiring") {
			t.Errorf("%s: fix link %d", dr.SensorID, fix.Length())
		}
	}
	if slots.Eq(2).AttrOr("id", "") == doorRulesSlot(2000, "gw-1-door1") || strings.ContainsAny(slots.Eq(2).AttrOr("id", ""), `"`) {
		t.Fatal("slot ids must be distinct and id-safe")
	}

	// All fine: a short all-clear, no link.
	d, _ = render(t, DoorRulesCheck(CarRules{CarID: 2000, Doors: r.Doors[:1]}))
	if st := d.Find(`[data-testid="door-rules-status"]`); st.AttrOr("data-state", "") != "ok" || st.Find("a").Length() != 0 {
		t.Fatal("all-clear")
	}

	// Unavailable: a retry in place, no door slot touched.
	d, html = render(t, DoorRulesCheck(CarRules{CarID: 2000, Unavailable: true}))
	st = d.Find(`[data-testid="door-rules-status"]`)
	retry := st.Find(`[data-testid="door-rules-retry"]`)
	if st.AttrOr("data-state", "") != "unavailable" || !strings.Contains(st.Text(), "could not be checked") ||
		retry.AttrOr("hx-get", "") != "/trains/cars/2000/rules" || retry.AttrOr("hx-target", "") != "#car-2000-rules" ||
		d.Find(`[data-testid="door-rules"]`).Length() != 0 {
		t.Fatalf("unavailable: %s", html)
	}
}
