package text

// trainsZoneKo is trainsZone in Korean.
var trainsZoneKo = map[string]string{
	"trains.zone":             "시각 기준: %s (소유자의 Thing+ 시간대)",
	"trains.events.time.each": "시각 (열차마다 소유자의 시간대)",
	"trains.history.zone":     "시각은 소유자의 Thing+ 시간대(%s) 기준입니다.",
}
