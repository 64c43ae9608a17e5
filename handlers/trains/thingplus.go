package trains

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/thingplus/thingplus-webapp/rulehistory"
	"github.com/thingplus/thingplus-webapp/thingplus"
	"github.com/thingplus/thingplus-webapp/wiring"
)

// DoorSensorType is the Thing+ sensor type of a door people-counter.
const DoorSensorType = wiring.DoorSensorType

// ThingplusAPI is what the Thing+ adapter calls (*thingplus.Client).
type ThingplusAPI interface {
	AllGateways(ctx context.Context, token string, q thingplus.Query) ([]thingplus.Gateway, error)
	Sensors(ctx context.Context, token, gatewayID string, q thingplus.Query) ([]thingplus.Sensor, error)
	ListRules(ctx context.Context, token string) ([]thingplus.Rule, error)
	CreateRule(ctx context.Context, token string, r thingplus.Rule) (thingplus.Rule, error)
	UpdateRule(ctx context.Context, token string, r thingplus.Rule) (thingplus.Rule, error)
	Sensor(ctx context.Context, token, gatewayID, id string, q thingplus.Query) (thingplus.Sensor, error)
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

// DoorRules builds a door's IN and OUT rules (wiring.DoorRule: over 0 and
// under 0, each with a dataPush action to the app's push URL).
func DoorRules(timezone, sensorID, inURL, outURL string) (in, out thingplus.Rule) {
	return wiring.DoorRule(timezone, sensorID, "IN", inURL), wiring.DoorRule(timezone, sensorID, "OUT", outURL)
}

// WireResult says which of a door's rules WireDoor created and which
// already pushed to this app ("IN", "OUT").
type WireResult struct {
	Created  []string
	Existing []string
}

// pushesTo reports whether an activated rule has a dataPush action to url.
func pushesTo(r thingplus.Rule, url string) bool {
	if r.IsTemplate() || r.Status == thingplus.RuleDeactivated {
		return false
	}
	for _, group := range r.Actions {
		for _, a := range group {
			if a.Agent == thingplus.AgentDataPush && a.Method.Param("url") == url {
				return true
			}
		}
	}
	return false
}

// Journal records a rule as the rules history keeps it: after a create,
// before an update. An error refuses the change (no change without a
// version to go back to). A nil Journal records nothing.
type Journal func(action string, r thingplus.Rule) error

func (j Journal) note(action string, r thingplus.Rule) error {
	if j == nil {
		return nil
	}
	return j(action, r)
}

// WireDoor creates the door's IN and OUT rules, unless an activated rule
// already pushes to that URL: a second rule would count every passenger
// twice. If the OUT rule fails, the error says the IN rule was created.
// Each created rule goes to j, so the rules history shows it.
func (t Thingplus) WireDoor(ctx context.Context, token, timezone, sensorID, inURL, outURL string, j Journal) (WireResult, error) {
	var res WireResult
	existing, err := t.API.ListRules(ctx, token)
	if err != nil {
		return res, err
	}
	in, out := DoorRules(timezone, sensorID, inURL, outURL)
	for _, d := range []struct {
		dir, url string
		rule     thingplus.Rule
	}{{"IN", inURL, in}, {"OUT", outURL, out}} {
		if slices.ContainsFunc(existing, func(r thingplus.Rule) bool { return pushesTo(r, d.url) }) {
			res.Existing = append(res.Existing, d.dir)
			continue
		}
		created, err := t.API.CreateRule(ctx, token, d.rule)
		if err != nil {
			if len(res.Created) > 0 {
				err = errors.Join(fmt.Errorf("the %s rule was created, the %s rule was not", res.Created[0], d.dir), err)
			}
			return res, err
		}
		res.Created = append(res.Created, d.dir)
		// The rule exists in Thing+ now: a failed snapshot is logged by
		// the journal, it cannot undo the create.
		_ = j.note(rulehistory.Create, created)
	}
	return res, nil
}

// HasSensor asks Thing+ whether the token's account has the sensor
// (GET /gateways/{gw}/sensors/{id}; the gateway is the id's first part).
// Not found or forbidden means no; other failures are errors.
func (t Thingplus) HasSensor(ctx context.Context, token, sensorID string) (bool, error) {
	gateway, _, ok := strings.Cut(sensorID, "-")
	if !ok || gateway == "" {
		return false, nil
	}
	_, err := t.API.Sensor(ctx, token, gateway, sensorID, thingplus.Query{})
	switch {
	case err == nil:
		return true, nil
	case thingplus.IsKind(err, thingplus.KindNotFound), thingplus.IsKind(err, thingplus.KindForbidden):
		return false, nil
	}
	return false, err
}

// Repoint changes the URL of every dataPush action for which newURL says
// so (a train's rules after its token was rotated) and reports how many
// rules it updated. Each rule goes to j as it was before the change.
func (t Thingplus) Repoint(ctx context.Context, token string, newURL func(old string) (string, bool), j Journal) (int, error) {
	rules, err := t.API.ListRules(ctx, token)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, r := range rules {
		before := r
		before.Actions = cloneActions(r.Actions)
		changed := false
		for gi, group := range r.Actions {
			for ai, a := range group {
				if a.Agent != thingplus.AgentDataPush {
					continue
				}
				if u, ok := newURL(a.Method.Param("url")); ok {
					r.Actions[gi][ai].Method = a.Method.WithParams(map[string]any{"url": u})
					changed = true
				}
			}
		}
		if !changed {
			continue
		}
		if err := j.note(rulehistory.Update, before); err != nil {
			return n, err
		}
		if _, err := t.API.UpdateRule(ctx, token, r); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// cloneActions copies the action groups, so a rule's snapshot keeps its old
// URLs while the rule itself is changed.
func cloneActions(groups [][]thingplus.RuleItem) [][]thingplus.RuleItem {
	out := make([][]thingplus.RuleItem, len(groups))
	for i, g := range groups {
		out[i] = slices.Clone(g)
	}
	return out
}
