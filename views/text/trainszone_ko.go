package text

// trainsZoneKo is trainsZone in Korean.
var trainsZoneKo = map[string]string{
	"trains.zone":             "시각 기준: %s (소유자의 Thing+ 시간대)",
	"trains.events.time.each": "시각 (열차마다 소유자의 시간대)",
	"trains.history.zone":     "시각은 소유자의 Thing+ 시간대(%s) 기준입니다.",

	"trains.outcome.wrong_train":  "다른 열차의 출입문",
	"trains.outcome.rate_limited": "거부 요청 과다",
	"trains.outcome.flagged":      "확인 필요",
	"trains.outcome.dismissed":    "확인 처리됨",
	"trains.result.wrong_train":   "거부: 다른 열차의 출입문",
	"trains.result.rate_limited":  "거부: 거부된 요청이 너무 많음",
}
