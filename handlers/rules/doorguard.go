package rules

import (
	"context"
	"strconv"
	"strings"

	"github.com/thingplus/thingplus-webapp/thingplus"
	views "github.com/thingplus/thingplus-webapp/views/rules"
	"github.com/thingplus/thingplus-webapp/views/text"
)

// The door-rule guard. A door people-counter sends "1" when a passenger
// gets on and "-1" when one gets off. A rule that counts a passenger in
// this app must fire for its own direction only: a "changes" trigger (or an
// "over -2") fires on both values and would count every exit as an entry.

// isDoor reports whether the trigger's sensor is a door people-counter.
func isDoor(s views.Sensorish) bool {
	return s.Type == "countEvent" || (s.Type == "" && strings.Contains(s.Sensor, "-door"))
}

// appDir is the direction of the form's first "count in this app" action
// ("" when it has none).
func appDir(f views.Form) string {
	for _, a := range f.Actions {
		if a.Kind == kindApp {
			return a.Dir
		}
	}
	return ""
}

// fires reports whether the trigger fires for value v, and whether the
// answer is known (a malformed threshold is another field's error).
func fires(s views.Sensorish, v float64) (bool, bool) {
	num := func(x string) (float64, bool) {
		n, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		return n, err == nil
	}
	switch s.Method {
	case thingplus.MethodOver:
		d, ok := num(s.Degree)
		return v > d, ok
	case thingplus.MethodUnder:
		d, ok := num(s.Degree)
		return v < d, ok
	case thingplus.MethodRange:
		lo, ok1 := num(s.Min)
		hi, ok2 := num(s.Max)
		return lo <= v && v <= hi, ok1 && ok2
	}
	// "changes" fires on any new value, whichever the direction.
	return true, true
}

// doorTriggerError says why the trigger does not suit a door counted in
// direction dir ("" when it does, or when it cannot tell).
func doorTriggerError(ctx context.Context, s views.Sensorish, dir string) string {
	own, other := 1.0, -1.0
	if dir == DirOut {
		own, other = -1, 1
	}
	onOwn, ok1 := fires(s, own)
	onOther, ok2 := fires(s, other)
	if !ok1 || !ok2 {
		return ""
	}
	switch {
	case onOther && s.Method == thingplus.MethodChanged:
		return text.T(ctx, "rules.err.door.changed."+dir)
	case onOther && onOwn:
		return text.T(ctx, "rules.err.door.both."+dir)
	case onOther:
		return text.T(ctx, "rules.err.door.reversed."+dir)
	case !onOwn:
		return text.T(ctx, "rules.err.door.never."+dir)
	}
	return ""
}

// presetDoorTrigger sets the trigger of a door rule that counts in this
// app to the one that fires for its direction only (IN: over 0, OUT: under
// 0), unless the trigger already does.
func presetDoorTrigger(f *views.Form) {
	dir := appDir(*f)
	if dir == "" || f.TriggerLocked != "" || !isDoor(f.Trigger) || doorTriggerError(context.Background(), f.Trigger, dir) == "" && f.Trigger.Method != "" {
		return
	}
	f.Trigger.Method, f.Trigger.Degree = thingplus.MethodOver, "0"
	if dir == DirOut {
		f.Trigger.Method = thingplus.MethodUnder
	}
}

// presetsTrigger reports whether a refresh caused by the field named name
// (htmx's HX-Trigger-Name) presets a door trigger: choosing an action's
// kind or direction, or the trigger's sensor — never the trigger's own
// method, which the user is choosing.
func presetsTrigger(name string) bool {
	return strings.HasSuffix(name, ".kind") || strings.HasSuffix(name, ".dir") || name == "t.sensor"
}

// checkDoorTrigger reports a door rule whose trigger would also fire on
// the opposite direction, at the trigger's method.
func checkDoorTrigger(ctx context.Context, f views.Form, set func(k, msg string)) {
	if f.TriggerLocked != "" || !isDoor(f.Trigger) {
		return
	}
	for _, a := range f.Actions {
		if a.Kind != kindApp {
			continue
		}
		if msg := doorTriggerError(ctx, f.Trigger, a.Dir); msg != "" {
			set(f.Trigger.Prefix+".method", msg)
			return
		}
	}
}
