package ruleeval

import (
	"slices"
	"sync"
)

// Tracker remembers every sensor's latest value and the one before, as a
// rule engine sees values arrive. It is safe for concurrent use.
type Tracker struct {
	mu   sync.Mutex
	last map[string]State
}

// NewTracker returns an empty tracker.
func NewTracker() *Tracker { return &Tracker{last: map[string]State{}} }

// Remember records a new value of a sensor and returns its state after it.
func (t *Tracker) Remember(sensorID, value string) State {
	t.mu.Lock()
	defer t.mu.Unlock()
	old, seen := t.last[sensorID]
	st := State{Value: value, Prev: old.Value, HasPrev: seen}
	t.last[sensorID] = st
	return st
}

// State returns a sensor's state; ok is false for a sensor never seen.
func (t *Tracker) State(sensorID string) (State, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	st, ok := t.last[sensorID]
	return st, ok
}

// Point is one recorded value of a sensor.
type Point struct {
	Sensor string
	Time   int64 // ms
	Value  string
}

// Firing is a moment the rule fired: the trigger sensor's value and its time.
type Firing struct {
	Sensor string
	Time   int64
	Value  string
}

// Replay feeds points (of the trigger sensors and of every sensor a
// condition names) in time order through a fresh tracker, as an engine
// would receive them, and returns each moment the rule fires. A point is a
// candidate when its sensor is one of triggers. Points of the same time keep
// the order they were given in.
func Replay(r Rule, triggers []string, points []Point) []Firing {
	pts := slices.Clone(points)
	slices.SortStableFunc(pts, func(a, b Point) int {
		switch {
		case a.Time < b.Time:
			return -1
		case a.Time > b.Time:
			return 1
		}
		return 0
	})
	t := NewTracker()
	var out []Firing
	for _, p := range pts {
		st := t.Remember(p.Sensor, p.Value)
		if !slices.Contains(triggers, p.Sensor) {
			continue
		}
		if r.Fires(p.Value, st, t.State) {
			out = append(out, Firing{Sensor: p.Sensor, Time: p.Time, Value: p.Value})
		}
	}
	return out
}
