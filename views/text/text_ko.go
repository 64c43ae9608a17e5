package text

// catalogsKo lists the Korean maps of every feature, in lookup order; each
// has the same keys as its English twin (catalogue_test.go checks). Korean
// follows the Thing+ Portal: 합니다체, and its terms (게이트웨이, 디바이스,
// 센서, 규칙, 트리거, 조건, 액션, 타임라인).
var catalogsKo = []map[string]string{coreKo, gatewaysKo, rulesKo, trainsKo, boundsKo, opsKo, rulesToolsKo, sinceKo, screensKo, trainsOpsKo, homeTextsKo, shellTextsKo, trainsAccessKo, rulesListKo, doorRulesKo, gatewayPageKo, addKindsKo, plainWordsKo, gwPagingKo, trainsZoneKo}

var coreKo = map[string]string{
	"app.name":           "Thing+ 웹앱",
	"nav.home":           "홈",
	"nav.gateways":       "게이트웨이",
	"nav.rules":          "규칙",
	"nav.events":         "이벤트",
	"nav.trains":         "열차",
	"nav.signout":        "로그아웃",
	"nav.signin":         "로그인",
	"nav.skip":           "본문으로 건너뛰기",
	"nav.main":           "주 메뉴",
	"home.title":         "환영합니다",
	"home.lead":          "Thing+ 게이트웨이와 센서를 실시간으로 살펴보고, JSON 없이 규칙을 관리하고, 지하철 칸마다 얼마나 붐비는지 지금 바로 확인합니다.",
	"home.signin":        "Thing+ 계정으로 로그인",
	"home.signup":        "Thing+ 계정 만들기",
	"home.hello":         "%s님, 안녕하세요",
	"home.signedin":      "Thing+에 %s 계정으로 로그인되어 있습니다.",
	"home.card.gateways": "게이트웨이, 디바이스, 센서의 실시간 상태와 최신 값, 이력 차트를 봅니다.",
	"home.card.rules":    "규칙: 트리거, 조건, 액션을 만들고, 켜고 끄고, 수정합니다.",
	"home.card.trains":   "열차: Thing+ 규칙이 보내 주는 칸별 승객 수를 실시간으로 봅니다.",
	"auth.denied":        "접근을 허용하지 않으셔서 로그인되지 않았습니다. 언제든 다시 시도할 수 있습니다.",
	"auth.failed":        "Thing+ 로그인에 실패했습니다: %s 다시 시도해 주십시오.",
	"auth.state":         "로그인 링크가 만료되었거나 이미 사용되었습니다.",
	"auth.upstream":      "Thing+가 올바르게 응답하지 않았습니다.",
	"auth.signedout":     "로그아웃되었습니다.",
	"auth.expired":       "Thing+ 로그인이 만료되었습니다. 다시 로그인해 주십시오.",
	"auth.tryagain":      "다시 시도",
	"err.title":          "문제가 발생했습니다",
	"err.invalid":        "입력한 내용을 확인해 주십시오.",
	"err.not_found":      "찾을 수 없습니다.",
	"err.forbidden":      "다른 계정의 항목입니다.",
	"err.unauthorized":   "로그인해 주십시오.",
	"err.conflict":       "이미 있습니다.",
	"err.unavailable":    "지금 Thing+에 연결할 수 없어 다시 시도하고 있습니다.",
	"err.internal":       "서버에서 문제가 발생했습니다. 기록해 두었습니다.",
	"err.sessions":       "잠시 세션을 사용할 수 없습니다. 로그인은 유지되니 잠시 후 다시 시도해 주십시오.",
	"err.offline":        "연결이 끊겼습니다. 다시 연결하는 중…",
	"err.csrf":           "다른 사이트에서 온 요청이라 거부했습니다.",
	"footer.text":        "Thing+ 웹앱 — 데이터 출처: Thing+ (Daliworks).",
	"footer.sandbox":     "내장 Thing+ 샌드박스에 연결되어 있습니다.",
	"common.updated":     "갱신",
	"common.loading":     "불러오는 중…",
	"theme.toggle":       "테마",
	"lang.label":         "언어",
	"lang.ko":            "한국어",
	"lang.en":            "English",
}

var boundsKo = map[string]string{
	"err.busy":      "지금 Thing+가 바쁩니다. 잠시 후 다시 시도해 주십시오.",
	"err.toolarge":  "Thing+ 응답이 너무 커서 표시할 수 없습니다.",
	"err.too_large": "양식이 너무 커서 보낼 수 없습니다. 줄여 주십시오.",
}

var opsKo = map[string]string{
	"auth.expiring":         "Thing+ 로그인이 %s 후 끝납니다.",
	"auth.expiring.hours":   "%d시간",
	"auth.expiring.minutes": "%d분",
	"auth.renew":            "다시 로그인",
}

// KoreanLatinAllowed are the Latin words Korean pages may show: product and
// format names, units, and the Portal's own Latin terms.
var KoreanLatinAllowed = []string{"Thing+", "Thing", "Daliworks", "English", "CSV", "JSON", "URL", "ID", "KST", "UTC",
	"SSE", "HTTP", "POST", "MAC", "IMEI", "UUID", "KiB", "HIDDEN", "Asia", "Seoul", "new", "sensorId", "IN", "OUT", "Home", "End"}
