package text

// trainsZone are the texts of the trains' one time zone: their owner's.
var trainsZone = map[string]string{
	"trains.zone":             "Times in %s (the owner's Thing+ time zone)",
	"trains.events.time.each": "Time (each train's owner's zone)",
	"trains.history.zone":     "Times in %s (the owner's Thing+ time zone).",
}
