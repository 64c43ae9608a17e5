package text

// trainsZone are the texts of the trains' one time zone: their owner's.
var trainsZone = map[string]string{
	"trains.zone":             "Times in %s (the owner's Thing+ time zone)",
	"trains.events.time.each": "Time (each train's owner's zone)",
	"trains.history.zone":     "Times in %s (the owner's Thing+ time zone).",

	// The event log's outcomes that had no words (the filter showed keys).
	"trains.outcome.wrong_train":  "another train's door",
	"trains.outcome.rate_limited": "too many refused pushes",
	"trains.outcome.flagged":      "flagged",
	"trains.outcome.dismissed":    "flag dismissed",
	"trains.result.wrong_train":   "refused: another train's door",
	"trains.result.rate_limited":  "refused: too many refused pushes",
}
