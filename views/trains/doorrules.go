package trains

import "strconv"

// Rule states of a door's IN or OUT rule in Thing+ (the loader fills them
// in after the page, from the wiring check).
const (
	RuleOK        = "ok"        // one switched-on rule pushes here with the current token
	RuleMissing   = "missing"   // no rule for the direction
	RuleStale     = "stale"     // the rule carries an old or rotated token
	RuleHost      = "host"      // the rule pushes to another host
	RuleOff       = "off"       // the rule is switched off
	RuleDuplicate = "duplicate" // a second rule would count every passenger twice
)

// RuleState is one direction of a door.
type RuleState struct {
	Dir   string // IN or OUT
	State string // one of the Rule* states
	Host  string // RuleHost: where the rule pushes
}

// DoorRules is one door's IN and OUT rule states.
type DoorRules struct {
	SensorID string
	IN, OUT  RuleState
}

// CarRules is the door-rule check of a car's doors, shown in its panel.
type CarRules struct {
	CarID       int64
	Unavailable bool   // Thing+ was slow or down: nothing is known
	Reason      string // why, when more than unavailable (Thing+ busy, try again in n s)
	Doors       []DoorRules
	Problems    int // door directions not ok
}

// IDString is the car id for URLs and element ids.
func (r CarRules) IDString() string { return strconv.FormatInt(r.CarID, 10) }

// RulesURL is the loader's URL of a car's door-rule check.
func RulesURL(carID int64) string { return "/trains/cars/" + strconv.FormatInt(carID, 10) + "/rules" }

// doorRulesID is the element id of a door row's rule states (by index: a
// sensor id may hold characters an id selector would need escaped).
func doorRulesID(carID int64, i int) string {
	return "car-" + strconv.FormatInt(carID, 10) + "-door-" + strconv.Itoa(i) + "-rules"
}

// ruleBadge is the badge class of a state: ok, off, or a problem.
func ruleBadge(state string) string {
	switch state {
	case RuleOK:
		return "badge ok"
	case RuleOff:
		return "badge off"
	case RuleMissing:
		return "badge bad"
	}
	return "badge warn"
}
