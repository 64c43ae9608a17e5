package rules

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/thingplus/thingplus-webapp/thingplus"
	"github.com/thingplus/thingplus-webapp/views/text"
)

// names maps sensor ids to their names (from the sensor picker); a missing
// id is shown as is.
type names map[string]string

func (n names) of(id string) string {
	if s := n[id]; s != "" {
		return s
	}
	return id
}

func (n names) list(ctx context.Context, ids []string) string {
	switch len(ids) {
	case 0:
		return text.T(ctx, "rules.sum.anysensor")
	case 1:
		return n.of(ids[0])
	}
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = n.of(id)
	}
	return fmt.Sprintf(text.T(ctx, "rules.sum.anyof"), strings.Join(out, ", "))
}

// Summary is a rule in one readable line, e.g.
// "When Car 1 door 3 is over 0 → push to Trains (IN)".
func Summary(ctx context.Context, r thingplus.Rule, n names) string {
	var b strings.Builder
	trig := r.TriggerSensors()
	if key, ok := doorPhrase(r.Trigger); ok {
		b.WriteString(text.T(ctx, key, n.list(ctx, trig)))
	} else if r.Trigger.Agent == thingplus.AgentSensorValue {
		fmt.Fprintf(&b, text.T(ctx, "rules.sum.when"), n.list(ctx, trig), methodPhrase(ctx, r.Trigger.Method))
	} else {
		fmt.Fprintf(&b, text.T(ctx, "rules.sum.when"), r.Trigger.Agent, methodPhrase(ctx, r.Trigger.Method))
	}
	var groups []string
	for _, g := range r.Conditions {
		var items []string
		for _, it := range g {
			items = append(items, itemPhrase(ctx, it, n))
		}
		if len(items) > 0 {
			groups = append(groups, strings.Join(items, text.T(ctx, "rules.sum.and")))
		}
	}
	if len(groups) > 0 {
		b.WriteString(fmt.Sprintf(text.T(ctx, "rules.sum.if"), strings.Join(groups, text.T(ctx, "rules.sum.or"))))
	}
	var acts []string
	for _, g := range r.Actions {
		for _, it := range g {
			acts = append(acts, actionPhrase(ctx, it, trig, n))
		}
	}
	if len(acts) == 0 {
		acts = []string{text.T(ctx, "rules.sum.nothing")}
	}
	b.WriteString(" → ")
	b.WriteString(strings.Join(acts, ", "))
	return b.String()
}

// doorPhrase names a door counter's trigger by what people do: a countEvent
// value over 0 is someone entering, under 0 someone leaving (not "is under 0").
func doorPhrase(t thingplus.Trigger) (string, bool) {
	if t.Agent != thingplus.AgentSensorValue || t.Type != counterType || t.Method.Param("degree") != "0" {
		return "", false
	}
	switch t.Method.ID {
	case thingplus.MethodOver:
		return "door.enters", true
	case thingplus.MethodUnder:
		return "door.leaves", true
	}
	return "", false
}

func methodPhrase(ctx context.Context, m thingplus.Method) string {
	switch m.ID {
	case thingplus.MethodOver:
		return fmt.Sprintf(text.T(ctx, "rules.sum.over"), m.Param("degree"))
	case thingplus.MethodUnder:
		return fmt.Sprintf(text.T(ctx, "rules.sum.under"), m.Param("degree"))
	case thingplus.MethodRange:
		return fmt.Sprintf(text.T(ctx, "rules.sum.range"), m.Param("min"), m.Param("max"))
	case thingplus.MethodChanged:
		from, to := m.Param("from"), m.Param("to")
		switch {
		case from != "" && to != "":
			return fmt.Sprintf(text.T(ctx, "rules.sum.changedfromto"), from, to)
		case to != "":
			return fmt.Sprintf(text.T(ctx, "rules.sum.changedto"), to)
		case from != "":
			return fmt.Sprintf(text.T(ctx, "rules.sum.changedfrom"), from)
		}
		return text.T(ctx, "rules.sum.changed")
	}
	return fmt.Sprintf(text.T(ctx, "rules.sum.method"), m.ID)
}

// itemSensors is the sensor a condition is about: params.target.sensors.
func itemSensors(m thingplus.Method) []string {
	var t struct {
		Sensors []string `json:"sensors"`
	}
	if raw, ok := m.ParamsMap()["target"]; ok {
		_ = jsonUnmarshal(raw, &t)
	}
	return t.Sensors
}

func itemPhrase(ctx context.Context, it thingplus.RuleItem, n names) string {
	if it.Agent == thingplus.AgentSensorValue {
		who := it.Type
		if s := itemSensors(it.Method); len(s) > 0 {
			who = n.list(ctx, s)
		}
		return who + " " + methodPhrase(ctx, it.Method)
	}
	return it.Agent + " " + methodPhrase(ctx, it.Method)
}

func actionPhrase(ctx context.Context, it thingplus.RuleItem, trig []string, n names) string {
	switch it.Agent {
	case thingplus.AgentDataPush:
		u := it.Method.Param("url")
		if sensor, dir, ok := webhookPath(u); ok {
			if len(trig) == 1 && trig[0] == sensor {
				return fmt.Sprintf(text.T(ctx, "rules.sum.trains"), dir)
			}
			return fmt.Sprintf(text.T(ctx, "rules.sum.trainsfor"), dir, n.of(sensor))
		}
		host := u
		if p, err := url.Parse(u); err == nil && p.Host != "" {
			host = p.Host
		}
		return fmt.Sprintf(text.T(ctx, "rules.sum.push"), host)
	case thingplus.AgentEmail:
		return fmt.Sprintf(text.T(ctx, "rules.sum.email"), it.Method.Param("to"))
	case "sms":
		return fmt.Sprintf(text.T(ctx, "rules.sum.sms"), it.Method.Param("to"))
	case thingplus.AgentActuator:
		return fmt.Sprintf(text.T(ctx, "rules.sum.actuator"), it.Type)
	}
	return it.Agent
}
