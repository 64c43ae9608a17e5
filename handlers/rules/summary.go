package rules

import (
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

func (n names) list(ids []string) string {
	switch len(ids) {
	case 0:
		return text.T("rules.sum.anysensor")
	case 1:
		return n.of(ids[0])
	}
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = n.of(id)
	}
	return fmt.Sprintf(text.T("rules.sum.anyof"), strings.Join(out, ", "))
}

// Summary is a rule in one readable line, e.g.
// "When Car 1 door 3 is over 0 → push to Trains (IN)".
func Summary(r thingplus.Rule, n names) string {
	var b strings.Builder
	trig := r.TriggerSensors()
	if r.Trigger.Agent == thingplus.AgentSensorValue {
		fmt.Fprintf(&b, text.T("rules.sum.when"), n.list(trig), methodPhrase(r.Trigger.Method))
	} else {
		fmt.Fprintf(&b, text.T("rules.sum.when"), r.Trigger.Agent, methodPhrase(r.Trigger.Method))
	}
	var groups []string
	for _, g := range r.Conditions {
		var items []string
		for _, it := range g {
			items = append(items, itemPhrase(it, n))
		}
		if len(items) > 0 {
			groups = append(groups, strings.Join(items, text.T("rules.sum.and")))
		}
	}
	if len(groups) > 0 {
		b.WriteString(fmt.Sprintf(text.T("rules.sum.if"), strings.Join(groups, text.T("rules.sum.or"))))
	}
	var acts []string
	for _, g := range r.Actions {
		for _, it := range g {
			acts = append(acts, actionPhrase(it, trig, n))
		}
	}
	if len(acts) == 0 {
		acts = []string{text.T("rules.sum.nothing")}
	}
	b.WriteString(" → ")
	b.WriteString(strings.Join(acts, ", "))
	return b.String()
}

func methodPhrase(m thingplus.Method) string {
	switch m.ID {
	case thingplus.MethodOver:
		return fmt.Sprintf(text.T("rules.sum.over"), m.Param("degree"))
	case thingplus.MethodUnder:
		return fmt.Sprintf(text.T("rules.sum.under"), m.Param("degree"))
	case thingplus.MethodRange:
		return fmt.Sprintf(text.T("rules.sum.range"), m.Param("min"), m.Param("max"))
	case thingplus.MethodChanged:
		from, to := m.Param("from"), m.Param("to")
		switch {
		case from != "" && to != "":
			return fmt.Sprintf(text.T("rules.sum.changedfromto"), from, to)
		case to != "":
			return fmt.Sprintf(text.T("rules.sum.changedto"), to)
		case from != "":
			return fmt.Sprintf(text.T("rules.sum.changedfrom"), from)
		}
		return text.T("rules.sum.changed")
	}
	return fmt.Sprintf(text.T("rules.sum.method"), m.ID)
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

func itemPhrase(it thingplus.RuleItem, n names) string {
	if it.Agent == thingplus.AgentSensorValue {
		who := it.Type
		if s := itemSensors(it.Method); len(s) > 0 {
			who = n.list(s)
		}
		return who + " " + methodPhrase(it.Method)
	}
	return it.Agent + " " + methodPhrase(it.Method)
}

func actionPhrase(it thingplus.RuleItem, trig []string, n names) string {
	switch it.Agent {
	case thingplus.AgentDataPush:
		u := it.Method.Param("url")
		if sensor, dir, ok := webhookPath(u); ok {
			if len(trig) == 1 && trig[0] == sensor {
				return fmt.Sprintf(text.T("rules.sum.trains"), dir)
			}
			return fmt.Sprintf(text.T("rules.sum.trainsfor"), dir, n.of(sensor))
		}
		host := u
		if p, err := url.Parse(u); err == nil && p.Host != "" {
			host = p.Host
		}
		return fmt.Sprintf(text.T("rules.sum.push"), host)
	case thingplus.AgentEmail:
		return fmt.Sprintf(text.T("rules.sum.email"), it.Method.Param("to"))
	case "sms":
		return fmt.Sprintf(text.T("rules.sum.sms"), it.Method.Param("to"))
	case thingplus.AgentActuator:
		return fmt.Sprintf(text.T("rules.sum.actuator"), it.Type)
	}
	return it.Agent
}
