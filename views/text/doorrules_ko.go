package text

// doorRulesKo is the Korean twin of doorrules.go.
var doorRulesKo = map[string]string{
	"trains.rules.checking":        "이 칸의 문 규칙을 Thing+에서 확인하고 있습니다…",
	"trains.rules.unavailable":     "Thing+가 응답하지 않아 문 규칙을 확인하지 못했습니다.",
	"trains.rules.retry":           "다시 확인",
	"trains.rules.allok":           "모든 문의 IN 규칙과 OUT 규칙이 이 앱으로 보내고 있습니다.",
	"trains.rules.problems":        "문 규칙 %d개가 이 앱에서 집계되지 않습니다.",
	"trains.rules.fix":             "연결 점검에서 바로잡기",
	"trains.rules.fixdoor":         "바로잡기",
	"trains.rules.state.ok":        "%s 규칙 정상",
	"trains.rules.state.missing":   "%s 규칙 없음",
	"trains.rules.state.stale":     "%s 규칙의 토큰이 오래되었습니다",
	"trains.rules.state.host":      "%s 규칙이 %s(으)로 보냅니다",
	"trains.rules.state.off":       "%s 규칙 꺼짐",
	"trains.rules.state.duplicate": "%s 규칙이 두 개입니다 (두 번 집계)",
}
