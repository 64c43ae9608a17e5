package text

// sinceKo is the Korean twin of since.go.
var sinceKo = map[string]string{
	"since.back":     "게이트웨이 %s이(가) 다시 보고합니다.",
	"since.change":   "규칙 “%[1]s”: %[3]s님이 %[2]s",
	"since.dismiss":  "다음 방문까지 숨기기",
	"since.failed":   "규칙 “%s”이(가) %s 실행되었고, 그중 %d번 실패했습니다.",
	"since.fired":    "규칙 “%s”이(가) %s 실행되었습니다.",
	"since.times":    "%d번",
	"since.first":    "첫 방문이라 아직 비교할 것이 없습니다. 다음부터는 이 상자에 바뀐 점을 요약합니다.",
	"since.lead":     "%s 이후:",
	"since.nothing":  "지난 방문(%s) 이후 바뀐 것이 없습니다.",
	"since.peak":     "%s 최대 %d %% (한 칸에 %d명/%d명).",
	"since.rejected": "열차로 보낸 전송 %d건이 거부되었습니다.",
	"since.silent":   "게이트웨이 %s의 보고가 끊겼습니다 (%s).",
	"since.title":    "지난 방문 이후",
}
