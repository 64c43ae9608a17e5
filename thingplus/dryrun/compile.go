// Package dryrun answers "what would this rule have done": it turns a Thing+
// rule into the shared evaluator's form (thingplus/ruleeval), fetches the
// series Thing+ recorded for the sensors involved and replays them, counting
// the actions each firing would have sent. It knows nothing of HTTP.
package dryrun

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/thingplus/thingplus-webapp/thingplus"
	"github.com/thingplus/thingplus-webapp/thingplus/ruleeval"
)

// Plan is a rule ready for replay.
type Plan struct {
	Rule     ruleeval.Rule
	Triggers []string // sensors whose values can fire the rule
	Sensors  []string // every sensor involved: triggers, then condition sensors
	Gateway  string   // the trigger's target gateway, when it names one
}

// Unjudgeable says why a rule cannot be judged (an agent or a method the
// evaluator does not know, a trigger that names no sensor).
type Unjudgeable struct{ Reason string }

func (u *Unjudgeable) Error() string { return "cannot judge this rule: " + u.Reason }

// Compile reads a rule's trigger and conditions. Anything the evaluator does
// not know is an *Unjudgeable, never a guess.
func Compile(r thingplus.Rule) (Plan, error) {
	var p Plan
	t := r.Trigger
	if t.Agent != thingplus.AgentSensorValue {
		return p, &Unjudgeable{Reason: fmt.Sprintf("trigger agent %q", t.Agent)}
	}
	it, err := item(t.Method, "trigger")
	if err != nil {
		return p, err
	}
	it.Sensors = uniq(append(slices.Clone(t.Filter.Sensor), it.Sensors...))
	if len(it.Sensors) == 0 {
		return p, &Unjudgeable{Reason: "the trigger names no sensor"}
	}
	p.Rule.Trigger = it
	p.Triggers = it.Sensors
	p.Sensors = slices.Clone(it.Sensors)
	if tg := targetOf(t.Method); tg.Type == "gateway" {
		p.Gateway = tg.ID
	}
	for gi, g := range r.Conditions {
		group := make([]ruleeval.Item, 0, len(g))
		for ii, c := range g {
			where := fmt.Sprintf("condition %d.%d", gi+1, ii+1)
			if c.Agent != thingplus.AgentSensorValue {
				return p, &Unjudgeable{Reason: fmt.Sprintf("%s: agent %q", where, c.Agent)}
			}
			ci, err := item(c.Method, where)
			if err != nil {
				return p, err
			}
			p.Sensors = uniq(append(p.Sensors, ci.Sensors...))
			group = append(group, ci)
		}
		p.Rule.Conds = append(p.Rule.Conds, group)
	}
	return p, nil
}

type target struct {
	Type    string   `json:"type"`
	ID      string   `json:"id"`
	Sensors []string `json:"sensors"`
}

func targetOf(m thingplus.Method) target {
	var t target
	if raw, ok := m.ParamsMap()["target"]; ok {
		_ = json.Unmarshal(raw, &t) // a malformed target names no sensor
	}
	return t
}

// item reads a sensorValue method as the sandbox's validator does: numbers
// from numeric strings or numbers, from/to kept as given.
func item(m thingplus.Method, where string) (ruleeval.Item, error) {
	it := ruleeval.Item{Method: m.ID, Sensors: uniq(targetOf(m).Sensors)}
	if !ruleeval.Known(m.ID) {
		return it, &Unjudgeable{Reason: fmt.Sprintf("%s: method %q", where, m.ID)}
	}
	params := m.ParamsMap()
	num := func(key string) (float64, error) {
		if _, ok := params[key]; !ok {
			return 0, &Unjudgeable{Reason: fmt.Sprintf("%s: %s is missing", where, key)}
		}
		v, err := ruleeval.Number(m.Param(key))
		if err != nil {
			return 0, &Unjudgeable{Reason: fmt.Sprintf("%s: %s is not a number", where, key)}
		}
		return v, nil
	}
	var err error
	switch m.ID {
	case ruleeval.Over, ruleeval.Under:
		it.Degree, err = num("degree")
	case ruleeval.Range:
		if it.Min, err = num("min"); err == nil {
			it.Max, err = num("max")
		}
	case ruleeval.Changed:
		if _, ok := params["from"]; ok {
			it.From, it.HasFrom = m.Param("from"), true
		}
		if _, ok := params["to"]; ok {
			it.To, it.HasTo = m.Param("to"), true
		}
	}
	return it, err
}

func uniq(ids []string) []string {
	var out []string
	for _, id := range ids {
		if id != "" && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}
