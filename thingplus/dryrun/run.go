package dryrun

import (
	"context"
	"slices"
	"time"

	"github.com/thingplus/thingplus-webapp/thingplus"
	"github.com/thingplus/thingplus-webapp/thingplus/ruleeval"
)

// MaxPoints is how many raw points are asked per sensor (Thing+'s cap for
// raw series, §4.3); a busier sensor is replayed over its newest points.
const MaxPoints = 10080

// EmailsPerMonth is the trial plan's e-mail quota (beyond it Thing+ stops the rule).
const EmailsPerMonth = 200

// SeriesSource reads a sensor's recorded values (*thingplus.Client).
type SeriesSource interface {
	Series(ctx context.Context, token, gatewayID, sensorID string, q thingplus.SeriesQuery) (thingplus.SeriesLeaf, error)
}

// Result is what the rule would have done over [From, To).
type Result struct {
	From, To  time.Time
	Plan      Plan
	Series    map[string][]ruleeval.Point // every involved sensor's points, oldest first
	Firings   []ruleeval.Firing
	Actions   map[string]int // action agent → how many would have been sent
	Truncated []string       // sensors with more points than MaxPoints
	// EmailsPerMonth is the e-mail count scaled to 30 days; OverQuota says
	// it exceeds EmailsPerMonth.
	EmailsPerMonth int
	OverQuota      bool
}

// Run replays the rule over the recorded series of [from, to). gatewayOf
// names the gateway of a sensor (the trigger's target gateway is used first).
func Run(ctx context.Context, src SeriesSource, token string, r thingplus.Rule, gatewayOf func(sensorID string) string, from, to time.Time) (Result, error) {
	res := Result{From: from, To: to, Series: map[string][]ruleeval.Point{}, Actions: map[string]int{}}
	plan, err := Compile(r)
	if err != nil {
		return res, err
	}
	res.Plan = plan
	var all []ruleeval.Point
	for _, id := range plan.Sensors {
		gw := plan.Gateway
		if gw == "" || !slices.Contains(plan.Triggers, id) {
			if g := gatewayOf(id); g != "" {
				gw = g
			}
		}
		if gw == "" {
			return res, &Unjudgeable{Reason: "no gateway known for sensor " + id}
		}
		leaf, err := src.Series(ctx, token, gw, id, thingplus.SeriesQuery{DataStart: from, DataEnd: to, Interval: "0", Count: MaxPoints})
		if err != nil {
			return res, err
		}
		if len(leaf.Data) >= MaxPoints {
			res.Truncated = append(res.Truncated, id)
		}
		pts := make([]ruleeval.Point, 0, len(leaf.Data))
		for _, p := range leaf.Data {
			pts = append(pts, ruleeval.Point{Sensor: id, Time: int64(p.Time), Value: p.Text})
		}
		res.Series[id] = pts
		all = append(all, pts...)
	}
	res.Firings = ruleeval.Replay(plan.Rule, plan.Triggers, all)
	for _, g := range r.Actions {
		for _, a := range g {
			res.Actions[a.Agent] += len(res.Firings)
		}
	}
	if days := to.Sub(from).Hours() / 24; days > 0 {
		res.EmailsPerMonth = int(float64(res.Actions[thingplus.AgentEmail]) * 30 / days)
	}
	res.OverQuota = res.EmailsPerMonth > EmailsPerMonth
	return res, nil
}
