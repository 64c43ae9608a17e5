// Package ruleeval judges Thing+ sensorValue rules: whether a trigger
// (changed from→to, over, under, range) holds for a sensor value, and whether
// a rule's conditions hold (items AND-ed within a group, groups OR-ed).
//
// It is the one evaluator of the app: the sandbox's rule engine calls it for
// every value that arrives, and the rules screen's dry-run replays a sensor's
// recorded series through it (Replay). It knows nothing of HTTP or JSON.
package ruleeval

import (
	"math"
	"strconv"
	"strings"
)

// Trigger and condition methods of the sensorValue agent.
const (
	Changed = "changed"
	Over    = "over"
	Under   = "under"
	Range   = "range"
)

// Methods lists the methods Holds can judge.
var Methods = []string{Changed, Over, Under, Range}

// Known reports whether m is a method Holds can judge.
func Known(m string) bool {
	for _, k := range Methods {
		if k == m {
			return true
		}
	}
	return false
}

// Item is a trigger or a condition item, already validated.
type Item struct {
	Method           string
	Degree, Min, Max float64 // over/under: Degree; range: Min ≤ v ≤ Max
	From, To         string  // changed: values compared as numbers when both are numeric
	HasFrom, HasTo   bool
	// Sensors are the sensors the item names. A condition with sensors is
	// judged on each one's latest value; without, on the firing value.
	Sensors []string
}

// State is what is remembered of a sensor: its latest value and the one before.
type State struct {
	Value, Prev string
	HasPrev     bool
}

// Lookup returns a sensor's state; ok is false for a sensor never seen.
type Lookup func(sensorID string) (State, bool)

// Rule is a rule's trigger and its condition groups.
type Rule struct {
	Trigger Item
	Conds   [][]Item
}

// Holds reports whether the item holds for value, the state of its sensor
// being st (value is st.Value for a state just remembered).
func (it *Item) Holds(value string, st State) bool {
	switch it.Method {
	case Over, Under, Range:
		v, err := Number(value)
		if err != nil {
			return false
		}
		switch it.Method {
		case Over:
			return v > it.Degree
		case Under:
			return v < it.Degree
		default:
			return it.Min <= v && v <= it.Max
		}
	case Changed:
		if !st.HasPrev || SameValue(st.Prev, value) {
			return false
		}
		if it.HasFrom && !SameValue(st.Prev, it.From) {
			return false
		}
		return !it.HasTo || SameValue(value, it.To)
	}
	return false
}

// Fires reports whether the rule fires for a value of its trigger sensor:
// the trigger holds and so do the conditions.
func (r *Rule) Fires(value string, st State, lookup Lookup) bool {
	return r.Trigger.Holds(value, st) && r.ConditionsHold(value, st, lookup)
}

// ConditionsHold: groups are OR-ed, the items of a group AND-ed; no groups or
// an empty group is true. An item with sensors holds when every one of them
// has a latest value that satisfies it (a sensor never seen fails it).
func (r *Rule) ConditionsHold(value string, st State, lookup Lookup) bool {
	if len(r.Conds) == 0 {
		return true
	}
	for _, group := range r.Conds {
		ok := true
		for i := range group {
			if !group[i].holdsOn(value, st, lookup) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func (it *Item) holdsOn(value string, st State, lookup Lookup) bool {
	if len(it.Sensors) == 0 {
		return it.Holds(value, st)
	}
	for _, id := range it.Sensors {
		s, ok := lookup(id)
		if !ok || !it.Holds(s.Value, s) {
			return false
		}
	}
	return true
}

// Describe is a short text of the item: "over 30", "range 1…5", "changed 0→1".
func (it *Item) Describe() string {
	num := func(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
	switch it.Method {
	case Over, Under:
		return it.Method + " " + num(it.Degree)
	case Range:
		return "range " + num(it.Min) + "…" + num(it.Max)
	case Changed:
		from, to := "any", "any"
		if it.HasFrom {
			from = it.From
		}
		if it.HasTo {
			to = it.To
		}
		return "changed " + from + "→" + to
	}
	return it.Method
}

// Number reads a numeric string (spaces around it allowed) as a finite float.
func Number(s string) (float64, error) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		return 0, err
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, strconv.ErrRange
	}
	return f, nil
}

// SameValue compares sensor values as numbers when both are numeric ("1" = "1.0").
func SameValue(a, b string) bool {
	if a == b {
		return true
	}
	x, errA := Number(a)
	y, errB := Number(b)
	return errA == nil && errB == nil && x == y
}
