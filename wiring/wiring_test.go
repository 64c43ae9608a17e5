package wiring

import (
	"testing"

	"github.com/thingplus/thingplus-webapp/thingplus"
)

func urlOf(sensor, dir string) string {
	return "https://app.example/api/trigger/" + sensor + "/" + dir + "?key=NEW"
}

func rule(id, sensor, dir, url string, active bool) thingplus.Rule {
	r := DoorRule("+9.00", sensor, dir, url)
	r.ID = id
	if !active {
		r.Status = thingplus.RuleDeactivated
	}
	return r
}

func TestCheckFindsEveryKind(t *testing.T) {
	doors := []Door{{SensorID: "gw-1-door1"}, {SensorID: "gw-1-door2"}, {SensorID: "gw-1-door3"}, {SensorID: "gw-1-door4"}}
	rules := []thingplus.Rule{
		// door1: fine
		rule("1", "gw-1-door1", "IN", urlOf("gw-1-door1", "IN"), true),
		rule("2", "gw-1-door1", "OUT", urlOf("gw-1-door1", "OUT"), true),
		// door2: IN twice, OUT with an old key
		rule("3", "gw-1-door2", "IN", urlOf("gw-1-door2", "IN"), true),
		rule("4", "gw-1-door2", "IN", urlOf("gw-1-door2", "IN"), true),
		rule("5", "gw-1-door2", "OUT", "https://app.example/api/trigger/gw-1-door2/OUT?key=OLD", true),
		// door3: IN switched off, OUT to another host
		rule("6", "gw-1-door3", "IN", urlOf("gw-1-door3", "IN"), false),
		rule("7", "gw-1-door3", "OUT", "http://old-host:3000/api/trigger/gw-1-door3/OUT?key=NEW", true),
		// door4: nothing. A sensor on no car pushes here.
		rule("8", "gw-9-door1", "IN", urlOf("gw-9-door1", "IN"), true),
		// not a door rule at all
		{ID: "9", Name: "mail", Status: thingplus.RuleActivated, Actions: [][]thingplus.RuleItem{{thingplus.EmailAction("a@b.c", "x", "")}}},
	}
	got := Check(rules, doors, urlOf)
	want := []struct {
		k      Kind
		sensor string
		dir    string
		rule   string
		fix    Fix
	}{
		{Duplicate, "gw-1-door2", "IN", "4", Delete},
		{Stale, "gw-1-door2", "OUT", "5", Repoint},
		{Inactive, "gw-1-door3", "IN", "6", Activate},
		{Stale, "gw-1-door3", "OUT", "7", Repoint},
		{Missing, "gw-1-door4", "IN", "", Create},
		{Missing, "gw-1-door4", "OUT", "", Create},
		{Orphan, "gw-9-door1", "IN", "8", Deactivate},
	}
	if len(got) != len(want) {
		t.Fatalf("%d problems, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		g := got[i]
		if g.Kind != w.k || g.SensorID != w.sensor || g.Dir != w.dir || g.RuleID != w.rule || g.Fix != w.fix {
			t.Errorf("problem %d: %+v, want %+v", i, g, w)
		}
	}
	if got[1].OtherHost || !got[3].OtherHost {
		t.Errorf("old key vs other host: %+v / %+v", got[1], got[3])
	}
	// re-pointing the stale rule fixes it
	fixed := Repointed(rules[4], "gw-1-door2", "OUT", urlOf("gw-1-door2", "OUT"))
	rules[4] = fixed
	if ps := Check(rules[:5], doors[:2], urlOf); len(ps) != 1 || ps[0].Kind != Duplicate {
		t.Fatalf("after re-pointing: %+v", ps)
	}
}

func TestTriggerPath(t *testing.T) {
	for raw, want := range map[string]string{
		"http://h/api/trigger/b827-1-door3/IN?key=x": "b827-1-door3 IN",
		"http://h/api/trigger/a%2Fb/OUT":             "a/b OUT",
		"http://h/api/trigger/x/SIDEWAYS":            "",
		"http://h/other/x/IN":                        "",
		"::bad":                                      "",
	} {
		s, d, ok := TriggerPath(raw)
		got := ""
		if ok {
			got = s + " " + d
		}
		if got != want {
			t.Errorf("%s: %q, want %q", raw, got, want)
		}
	}
}
