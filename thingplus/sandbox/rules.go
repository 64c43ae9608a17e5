package sandbox

import "net/http"

// ruleArea owns rules, ruleAgents, timelines and the rule engine.
// Placeholder until the rules area lands.
type ruleArea struct{ s *Sandbox }

func newRuleArea(s *Sandbox) *ruleArea { return &ruleArea{s: s} }

func (ra *ruleArea) routes(mux *http.ServeMux) {}

func (ra *ruleArea) start() {}

// SeriesEvent is a sensor value that arrived (simulator or PUT series).
type SeriesEvent struct {
	Sensor SensorInfo
	Value  string
	Time   int64 // ms
}

// seriesArrived hands a value to the rule engine; it must never block the caller.
func (ra *ruleArea) seriesArrived(ev SeriesEvent) {}
