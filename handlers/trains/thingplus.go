package trains

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/thingplus/thingplus-webapp/thingplus"
)

// DoorSensorType is the Thing+ sensor type of a door people-counter.
const DoorSensorType = "countEvent"

// ThingplusAPI is what the Thing+ adapter calls (*thingplus.Client).
type ThingplusAPI interface {
	AllGateways(ctx context.Context, token string, q thingplus.Query) ([]thingplus.Gateway, error)
	Sensors(ctx context.Context, token, gatewayID string, q thingplus.Query) ([]thingplus.Sensor, error)
	CreateRule(ctx context.Context, token string, r thingplus.Rule) (thingplus.Rule, error)
}

// Thingplus adapts the Thing+ client to SensorSource and DoorWirer.
type Thingplus struct {
	API ThingplusAPI
}

// DoorSensors lists the user's countEvent sensors over all gateways.
func (t Thingplus) DoorSensors(ctx context.Context, token string) ([]SensorChoice, error) {
	gws, err := t.API.AllGateways(ctx, token, thingplus.Query{})
	if err != nil {
		return nil, err
	}
	var out []SensorChoice
	for _, g := range gws {
		ss, err := t.API.Sensors(ctx, token, g.ID, thingplus.Query{})
		if err != nil {
			return nil, err
		}
		for _, s := range ss {
			if s.Type == DoorSensorType {
				name := s.Name
				if g.Name != "" {
					name = g.Name + " — " + s.Name
				}
				out = append(out, SensorChoice{ID: s.ID, Name: name})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// DoorRules builds a door's IN and OUT rules, as the sandbox seeds them:
// sensorValue/countEvent over 0 (a person entered) and under 0 (one left),
// each with a dataPush action to the app's push URL.
func DoorRules(timezone, sensorID, inURL, outURL string) (in, out thingplus.Rule) {
	if timezone == "" {
		timezone = "+9.00"
	}
	gateway, _, _ := strings.Cut(sensorID, "-")
	rule := func(dir, method, url string) thingplus.Rule {
		m := thingplus.Method{ID: method, Name: method}.WithParams(map[string]any{
			"degree": 0,
			"target": map[string]any{"type": "gateway", "id": gateway, "sensors": []string{sensorID}},
		})
		return thingplus.Rule{
			Name:     fmt.Sprintf("Door %s %s", sensorID, dir),
			Desc:     "Counts passengers on the trains page (" + dir + ")",
			Severity: thingplus.SeverityInformation,
			Timezone: timezone,
			Status:   thingplus.RuleActivated,
			Trigger: thingplus.Trigger{
				Agent: thingplus.AgentSensorValue, Type: DoorSensorType, Method: m,
				Filter: thingplus.TriggerFilter{Type: []string{"series"}, Gateway: thingplus.AllIDs(), Sensor: []string{sensorID}},
			},
			Conditions: [][]thingplus.RuleItem{{}},
			Actions:    [][]thingplus.RuleItem{{thingplus.PushAction(url)}},
		}
	}
	return rule("IN", thingplus.MethodOver, inURL), rule("OUT", thingplus.MethodUnder, outURL)
}

// WireDoor creates the door's IN and OUT rules. If the OUT rule fails, the
// error says the IN rule was created.
func (t Thingplus) WireDoor(ctx context.Context, token, timezone, sensorID, inURL, outURL string) error {
	in, out := DoorRules(timezone, sensorID, inURL, outURL)
	if _, err := t.API.CreateRule(ctx, token, in); err != nil {
		return err
	}
	if _, err := t.API.CreateRule(ctx, token, out); err != nil {
		return errors.Join(fmt.Errorf("the IN rule was created, the OUT rule was not"), err)
	}
	return nil
}
