// Package trains is the subway crowd-monitoring domain: trains made of cars,
// door people-counter sensors assigned to cars, passenger counts that Thing+
// rule pushes move up and down, and an event log of every push and manual
// change. It owns its SQLite storage and knows nothing of HTTP.
//
// All writes go through one writer goroutine that batches concurrent pushes
// into a single transaction (group commit): a push is acknowledged only after
// the transaction holding it has been committed to disk.
package trains

import (
	"strings"
	"time"
)

// Train is an ordered set of cars.
type Train struct {
	ID         int64
	Name       string
	Running    bool
	Cars       []Car  // in order of Position
	OwnerID    string // Thing+ user id of the owner; "" = not claimed yet
	OwnerLogin string // the owner's loginId, for display
	OwnerZone  string // the owner's Thing+ time zone ("+9.00"; "" unknown): the zone of its times
	Role       Role   // what the reader may do (set by TrainsFor / TrainFor)
}

// Car is one car of a train with its passenger count.
type Car struct {
	ID        int64
	TrainID   int64
	Position  int // 1-based order within the train
	Capacity  int
	Count     int
	UpdatedAt time.Time // last change of Count (zero if never changed)
	Doors     []Door
}

// Door is a people-counter sensor mounted on a car door.
type Door struct {
	SensorID string // Thing+ sensor id, e.g. "b827ebd0a001-1-door3"
	Label    string // e.g. "Door 3"
	Inverted bool   // the sensor is mounted the other way round: IN and OUT swap
}

// EventType says what kind of change an event records.
type EventType string

// Event types.
const (
	TypeIn      EventType = "IN"
	TypeOut     EventType = "OUT"
	TypeCorrect EventType = "CORRECT"
	TypeReset   EventType = "RESET"
)

// ParseType parses a push direction, in any letter case. Only IN and OUT are
// valid push types.
func ParseType(s string) (EventType, error) {
	switch t := EventType(strings.ToUpper(strings.TrimSpace(s))); t {
	case TypeIn, TypeOut:
		return t, nil
	}
	return "", errf(ErrInvalid, "type must be IN or OUT")
}

// Outcome says what became of an event.
type Outcome string

// Outcomes recorded in the event log.
const (
	OutcomeApplied       Outcome = "applied"        // count moved by Delta
	OutcomeClamped       Outcome = "clamped"        // OUT on an empty car: count stays at zero
	OutcomeDuplicate     Outcome = "duplicate"      // event key seen before: acknowledged, not counted
	OutcomeUnknownSensor Outcome = "unknown_sensor" // no car holds the sensor
	OutcomeBadKey        Outcome = "bad_key"        // webhook key missing or wrong
	OutcomeWrongTrain    Outcome = "wrong_train"    // a train's token pushed another train's sensor
	OutcomeRateLimited   Outcome = "rate_limited"   // refused pushes from one address over WEBHOOK_RATE
	OutcomeInvalid       Outcome = "invalid"        // malformed push (bad type, oversized field)
	OutcomeCorrected     Outcome = "corrected"      // count set by hand, with a reason
	OutcomeReset         Outcome = "reset"          // count set to zero by hand
)

// Outcomes lists every outcome, for filters.
var Outcomes = []Outcome{
	OutcomeApplied, OutcomeClamped, OutcomeDuplicate, OutcomeUnknownSensor,
	OutcomeBadKey, OutcomeWrongTrain, OutcomeRateLimited, OutcomeInvalid, OutcomeCorrected, OutcomeReset, OutcomeFlagged, OutcomeDismissed,
}

// Event is one line of the event log.
type Event struct {
	ID         int64
	Time       time.Time
	TrainID    int64 // 0 when unknown
	CarID      int64 // 0 when unknown
	SensorID   string
	Type       EventType
	Outcome    Outcome
	Delta      int
	CountAfter int
	EventKey   string
	Reason     string
}

// Push is one people-counter push from a Thing+ rule.
type Push struct {
	// TrainID is the train whose token authorised the push; a sensor on
	// another train's car is refused (ErrWrongTrain). 0 = any train (the
	// legacy shared key).
	TrainID  int64
	SensorID string
	Type     EventType // IN or OUT
	EventKey string    // optional de-duplication key (Thing+ timeline/event id)
}

// Rejected is a push refused before it reached the counts (e.g. a bad key).
type Rejected struct {
	SensorID string
	Type     string
	EventKey string
	Outcome  Outcome
	Reason   string
}

// Result is what Apply did with a push.
type Result struct {
	Outcome Outcome
	Event   Event
	Car     Car // the car after the push (zero for an unknown sensor)
}

// Limits on stored strings.
const (
	MaxNameLen     = 100
	MaxSensorIDLen = 128
	MaxEventKeyLen = 128
	MaxReasonLen   = 500
	MaxLabelLen    = 50
	MaxCapacity    = 10000
)

// Errors returned by the store. Test with errors.Is.
// Each has an application code (apperr), also when returned bare.
var (
	ErrInvalid       error = kind("invalid input")
	ErrNotFound      error = kind("not found")
	ErrConflict      error = kind("conflict")
	ErrUnknownSensor error = kind("no car holds this sensor")
	ErrClosed        error = kind("store closed")
	ErrWrongTrain    error = kind("sensor is on another train")
	ErrForbidden     error = kind("forbidden")
)

// Level is a car's crowd level.
type Level string

// Crowd levels, from least to most crowded.
const (
	Spacious Level = "spacious"
	Normal   Level = "normal"
	Caution  Level = "caution"
	Crowded  Level = "crowded"
)

// Thresholds are the upper bounds, in percent of capacity, of the first three
// crowd levels; anything above Caution is crowded.
type Thresholds struct {
	Spacious int
	Normal   int
	Caution  int
}

// DefaultThresholds are Seoul Metro's congestion bands: up to 80 % spacious,
// up to 130 % normal, up to 150 % caution, above that crowded.
var DefaultThresholds = Thresholds{Spacious: 80, Normal: 130, Caution: 150}

// Validate reports whether the thresholds are positive and increasing.
func (t Thresholds) Validate() error {
	if t.Spacious <= 0 || t.Normal <= t.Spacious || t.Caution <= t.Normal {
		return errf(ErrInvalid, "thresholds must satisfy 0 < spacious < normal < caution (got %d, %d, %d)",
			t.Spacious, t.Normal, t.Caution)
	}
	return nil
}

// Level returns the crowd level of count passengers in a car of the given
// capacity. A car without capacity is spacious when empty, crowded otherwise.
func (t Thresholds) Level(count, capacity int) Level {
	if capacity <= 0 {
		if count <= 0 {
			return Spacious
		}
		return Crowded
	}
	pct := count * 100 // compare count*100 <= threshold*capacity, exact in integers
	switch {
	case pct <= t.Spacious*capacity:
		return Spacious
	case pct <= t.Normal*capacity:
		return Normal
	case pct <= t.Caution*capacity:
		return Caution
	}
	return Crowded
}

// Percent returns count as a whole percentage of capacity (0 without capacity).
func Percent(count, capacity int) int {
	if capacity <= 0 {
		return 0
	}
	return count * 100 / capacity
}
