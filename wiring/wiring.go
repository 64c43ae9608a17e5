// Package wiring checks that the Thing+ rules feeding the trains point at
// the right place: every door sensor assigned to a car has exactly one
// active IN rule and one active OUT rule that push to this app with the
// current token. It lists each mismatch with the fix that resolves it. It
// knows nothing of HTTP; the caller applies fixes.
package wiring

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/thingplus/thingplus-webapp/thingplus"
)

// Directions a door rule pushes.
var Directions = []string{"IN", "OUT"}

// Door is a door sensor assigned to a car.
type Door struct {
	SensorID string
	Where    string // e.g. "신림-성수 car 2, Door 3"
}

// Expect is what an account's rules are checked against. The push URL is
// asked per account, sensor and direction, so per-train webhook tokens
// decide it.
type Expect interface {
	// Doors lists the door sensors on the cars of the account's trains.
	Doors(ctx context.Context, account string) ([]Door, error)
	// PushURL is the URL the account's rule for a sensor and direction
	// must carry now (with the current token).
	PushURL(ctx context.Context, account, sensorID, dir string) string
}

// Kind is a kind of mismatch.
type Kind string

const (
	Missing   Kind = "missing"   // a door on a car has no rule for a direction
	Orphan    Kind = "orphan"    // an active rule pushes here for a sensor on no car
	Stale     Kind = "stale"     // a rule carries an old or rotated token or another host
	Duplicate Kind = "duplicate" // a second active rule would count every passenger twice
	Inactive  Kind = "inactive"  // a door rule is switched off
)

// Fix is the one-click remedy of a problem.
type Fix string

const (
	Create     Fix = "create"     // create the door's rule for the direction
	Repoint    Fix = "repoint"    // put the current URL in the rule's push action
	Deactivate Fix = "deactivate" // switch the rule off
	Delete     Fix = "delete"     // delete the rule
	Activate   Fix = "activate"   // switch the rule on
)

// Problem is one mismatch.
type Problem struct {
	Kind      Kind
	SensorID  string
	Dir       string
	Where     string // the door's place, "" for a sensor on no car
	RuleID    string // "" for Missing
	RuleName  string
	Host      string // Stale: the host the rule pushes to
	OtherHost bool   // Stale: another host, not just another token
	Fix       Fix
}

// Key identifies a problem in a form post.
func (p Problem) Key() string {
	return strings.Join([]string{string(p.Kind), p.SensorID, p.Dir, p.RuleID}, "|")
}

// doorPush is a dataPush action of a rule aimed at a door webhook.
type doorPush struct {
	rule     thingplus.Rule
	sensor   string
	dir      string
	url      string
	active   bool
	template bool
}

// TriggerPath reads /api/trigger/{sensor}/{IN|OUT} from a push URL, on any host.
func TriggerPath(raw string) (sensor, dir string, ok bool) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", "", false
	}
	rest, found := strings.CutPrefix(u.EscapedPath(), "/api/trigger/")
	if !found {
		return "", "", false
	}
	s, d, found := strings.Cut(rest, "/")
	if !found || !slices.Contains(Directions, d) {
		return "", "", false
	}
	s, err = url.PathUnescape(s)
	return s, d, err == nil && s != ""
}

func pushesOf(rules []thingplus.Rule) []doorPush {
	var out []doorPush
	for _, r := range rules {
		for _, g := range r.Actions {
			for _, a := range g {
				if a.Agent != thingplus.AgentDataPush {
					continue
				}
				u := a.Method.Param("url")
				if s, d, ok := TriggerPath(u); ok {
					out = append(out, doorPush{rule: r, sensor: s, dir: d, url: u,
						active: r.Status == thingplus.RuleActivated, template: r.IsTemplate()})
				}
			}
		}
	}
	return out
}

func host(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// Check compares the rules with the doors. Problems come door by door (in
// the doors' order, IN before OUT), then the rules for sensors on no car.
func Check(rules []thingplus.Rule, doors []Door, pushURL func(sensorID, dir string) string) []Problem {
	pushes := pushesOf(rules)
	var out []Problem
	onCar := map[string]bool{}
	for _, d := range doors {
		onCar[d.SensorID] = true
		for _, dir := range Directions {
			want := pushURL(d.SensorID, dir)
			var good, stale, off []doorPush
			for _, p := range pushes {
				if p.sensor != d.SensorID || p.dir != dir || p.template {
					continue
				}
				switch {
				case !p.active:
					off = append(off, p)
				case p.url == want:
					good = append(good, p)
				default:
					stale = append(stale, p)
				}
			}
			base := Problem{SensorID: d.SensorID, Dir: dir, Where: d.Where}
			if len(good)+len(stale)+len(off) == 0 {
				p := base
				p.Kind, p.Fix = Missing, Create
				out = append(out, p)
			}
			for i, g := range good {
				if i == 0 {
					continue
				}
				out = append(out, with(base, Duplicate, Delete, g))
			}
			for i, s := range stale {
				fix := Repoint
				if len(good) > 0 || i > 0 {
					fix = Delete // re-pointing would make a duplicate
				}
				p := with(base, Stale, fix, s)
				p.Host, p.OtherHost = host(s.url), host(s.url) != host(want)
				out = append(out, p)
			}
			for _, o := range off {
				if len(good)+len(stale) == 0 && o.rule.ID == off[0].rule.ID {
					out = append(out, with(base, Inactive, Activate, o))
				}
			}
		}
	}
	for _, p := range pushes {
		if !onCar[p.sensor] && p.active && !p.template {
			out = append(out, with(Problem{SensorID: p.sensor, Dir: p.dir}, Orphan, Deactivate, p))
		}
	}
	return out
}

func with(p Problem, k Kind, f Fix, dp doorPush) Problem {
	p.Kind, p.Fix, p.RuleID, p.RuleName = k, f, dp.rule.ID, dp.rule.Name
	return p
}

// Repointed returns r with every push action for sensor/dir carrying url.
func Repointed(r thingplus.Rule, sensor, dir, newURL string) thingplus.Rule {
	acts := make([][]thingplus.RuleItem, len(r.Actions))
	for gi, g := range r.Actions {
		acts[gi] = slices.Clone(g)
		for i, a := range acts[gi] {
			if a.Agent != thingplus.AgentDataPush {
				continue
			}
			if s, d, ok := TriggerPath(a.Method.Param("url")); ok && s == sensor && d == dir {
				acts[gi][i].Method = a.Method.WithParams(map[string]any{"url": newURL})
			}
		}
	}
	r.Actions = acts
	return r
}

// DoorRule builds a door's rule for one direction, as the sandbox seeds
// them: sensorValue/countEvent over 0 (a person entered, IN) or under 0
// (one left, OUT), with a dataPush action to pushURL.
func DoorRule(timezone, sensorID, dir, pushURL string) thingplus.Rule {
	if timezone == "" {
		timezone = "+9.00"
	}
	method := thingplus.MethodOver
	if dir == "OUT" {
		method = thingplus.MethodUnder
	}
	gateway, _, _ := strings.Cut(sensorID, "-")
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
		Actions:    [][]thingplus.RuleItem{{thingplus.PushAction(pushURL)}},
	}
}

// DoorSensorType is the Thing+ sensor type of a door people-counter.
const DoorSensorType = "countEvent"
