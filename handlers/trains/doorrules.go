package trains

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/thingplus/thingplus-webapp/handlers/web"
	"github.com/thingplus/thingplus-webapp/thingplus"
	"github.com/thingplus/thingplus-webapp/trains"
	vt "github.com/thingplus/thingplus-webapp/views/trains"
	"github.com/thingplus/thingplus-webapp/wiring"
)

// RuleSource lists the signed-in user's Thing+ rules (optional; without it
// a car's panel shows no rule states).
type RuleSource interface {
	ListRules(ctx context.Context, token string) ([]thingplus.Rule, error)
}

// ListRules lists the user's rules, for the door-rule states.
func (t Thingplus) ListRules(ctx context.Context, token string) ([]thingplus.Rule, error) {
	return t.API.ListRules(ctx, token)
}

// rulesBudget bounds the wait on Thing+ for a car's door-rule states: past
// it the panel says "unavailable" and offers to check again.
const rulesBudget = 5 * time.Second

// doorRules is GET /trains/cars/:id/rules (the owner's, by the route's
// guard): the IN and OUT rule states of each door on the car, from the
// same check as /rules/wiring. Loaded when the car's panel opens, so the
// page never waits on Thing+; a Thing+ failure is an "unavailable" answer
// in place (200, so htmx swaps it), never an error page.
func (h *Handler) doorRules(c *gin.Context) {
	id, _ := strconv.ParseInt(c.Param("id"), 10, 64)
	car, err := h.store.Car(c.Request.Context(), id)
	if err != nil {
		web.Fail(c, err)
		return
	}
	vm := vt.CarRules{CarID: car.ID, Unavailable: true}
	if h.rules != nil && web.TokenOf(c) != "" {
		ctx, cancel := context.WithTimeout(c.Request.Context(), rulesBudget)
		defer cancel()
		rules, err := h.rules.ListRules(ctx, web.TokenOf(c))
		if err != nil {
			h.cfg.Log.WarnContext(ctx, "trains: list rules for door states", "car", car.ID, "err", err)
			vm.Reason = web.Reason(c, err)
		} else {
			vm = h.carRules(ctx, principal(c).UserID, car.ID, car.Doors, rules)
		}
	}
	c.Header("Cache-Control", "no-store")
	web.Component(c, http.StatusOK, vt.DoorRulesCheck(vm))
}

// carRules runs the wiring check on the car's doors alone and reads each
// door's IN and OUT state from its problems (none: the rule is fine).
func (h *Handler) carRules(ctx context.Context, account string, carID int64, doors []trains.Door, rules []thingplus.Rule) vt.CarRules {
	ws := make([]wiring.Door, 0, len(doors))
	for _, d := range doors {
		ws = append(ws, wiring.Door{SensorID: d.SensorID})
	}
	problems := wiring.Check(rules, ws, func(sensorID, dir string) string {
		return h.PushURLFor(ctx, account, sensorID, dir)
	})
	vm := vt.CarRules{CarID: carID}
	for _, d := range doors {
		row := vt.DoorRules{SensorID: d.SensorID,
			IN:  ruleState(problems, d.SensorID, "IN"),
			OUT: ruleState(problems, d.SensorID, "OUT")}
		for _, s := range []vt.RuleState{row.IN, row.OUT} {
			if s.State != vt.RuleOK {
				vm.Problems++
			}
		}
		vm.Doors = append(vm.Doors, row)
	}
	return vm
}

// ruleState is a door direction's state: its worst problem, if any.
// Problems for sensors on no car (orphans: the account's other cars here)
// are not the door's.
func ruleState(ps []wiring.Problem, sensorID, dir string) vt.RuleState {
	s := vt.RuleState{Dir: dir, State: vt.RuleOK}
	rank := 0
	for _, p := range ps {
		if p.SensorID != sensorID || p.Dir != dir || p.Kind == wiring.Orphan {
			continue
		}
		state, host := stateOf(p)
		if r := stateRank[state]; r > rank {
			rank, s.State, s.Host = r, state, host
		}
	}
	return s
}

// stateRank orders states by how badly they miscount: no rule or one
// switched off counts nothing, a stale one counts nothing here, a double
// one counts twice.
var stateRank = map[string]int{vt.RuleDuplicate: 1, vt.RuleStale: 2, vt.RuleHost: 3, vt.RuleOff: 4, vt.RuleMissing: 5}

func stateOf(p wiring.Problem) (state, host string) {
	switch p.Kind {
	case wiring.Missing:
		return vt.RuleMissing, ""
	case wiring.Inactive:
		return vt.RuleOff, ""
	case wiring.Duplicate:
		return vt.RuleDuplicate, ""
	}
	if p.OtherHost {
		return vt.RuleHost, p.Host
	}
	return vt.RuleStale, ""
}
