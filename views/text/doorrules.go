package text

// doorRules is the English text of the door-rule states in a car's panel.
var doorRules = map[string]string{
	"trains.rules.checking":        "Checking this car's door rules in Thing+…",
	"trains.rules.unavailable":     "Thing+ did not answer, so the doors' rules could not be checked.",
	"trains.rules.retry":           "Check again",
	"trains.rules.allok":           "Every door's IN and OUT rules push here.",
	"trains.rules.problems":        "%d door rule(s) do not count here.",
	"trains.rules.fix":             "Fix them in the wiring check",
	"trains.rules.fixdoor":         "Fix",
	"trains.rules.state.ok":        "%s rule OK",
	"trains.rules.state.missing":   "%s rule missing",
	"trains.rules.state.stale":     "%s rule has an old token",
	"trains.rules.state.host":      "%s rule pushes to %s",
	"trains.rules.state.off":       "%s rule switched off",
	"trains.rules.state.duplicate": "%s rule twice (counts double)",
}
