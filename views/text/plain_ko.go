package text

// plainWordsKo is plainWords in Korean.
var plainWordsKo = map[string]string{
	"type.temperature":     "온도",
	"type.humidity":        "습도",
	"type.countEvent":      "승하차 인원",
	"type.count":           "개수",
	"type.onoff":           "켜짐/꺼짐",
	"type.light":           "조도",
	"type.co2":             "이산화탄소",
	"type.dust":            "미세먼지",
	"type.noise":           "소음",
	"type.power":           "전력",
	"type.voltage":         "전압",
	"type.current":         "전류",
	"type.pressure":        "기압",
	"door.unit":            "명",
	"door.entered":         "승차 %d명",
	"door.left":            "하차 %d명",
	"door.zero":            "0명",
	"door.enters":          "%s에서 승차할 때",
	"door.leaves":          "%s에서 하차할 때",
	"time.head":            "시각 (%s)",
	"rules.col.modifiedin": "마지막 수정 (%s)",
}
