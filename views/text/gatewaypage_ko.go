package text

// gatewayPageKo is gatewayPage in Korean.
var gatewayPageKo = map[string]string{
	"gw.page.facts":           "게이트웨이 정보",
	"gw.page.status":          "상태",
	"gw.page.stale":           "보고 주기(%s마다)가 허용하는 시간보다 오래 보고가 없습니다.",
	"gw.page.interval":        "보고 주기",
	"gw.page.model":           "모델",
	"gw.page.last":            "최근 보고",
	"gw.page.last.hint":       "게이트웨이 상태와 센서 값 중 가장 최근 시각입니다.",
	"gw.page.counts":          "디바이스와 센서",
	"gw.page.counts.value":    "디바이스 %s개, 센서 %s개",
	"gw.page.tags":            "태그",
	"gw.page.notags":          "없음",
	"gw.page.history":         "상태 기록",
	"gw.page.history.lead":    "Thing+는 게이트웨이 상태의 기록을 보관하지 않으므로, 게이트웨이와 각 센서의 최근 상태 보고를 최신순으로 보여 줍니다.",
	"gw.page.history.self":    "이 게이트웨이",
	"gw.page.history.empty":   "아직 상태 보고가 없습니다.",
	"gw.page.history.caption": "최근 상태 보고 (최신순)",
	"gw.page.history.source":  "보고한 곳",
	"gw.page.history.at":      "보고 시각",
	"gw.page.sensors":         "디바이스와 센서",
	"gw.page.manage":          "관리",
	"gw.filter.tag":           "태그",
	"gw.filter.alltags":       "모든 태그",
}

// addKindsKo is addKinds in Korean.
var addKindsKo = map[string]string{
	"gw.add.section":        "게이트웨이 추가",
	"gw.add.real.title":     "실제 게이트웨이 추가",
	"gw.add.real.open":      "실제 게이트웨이 추가…",
	"gw.add.virtual.lead":   "Thing+가 시뮬레이션하며 ID도 만들어 줍니다.",
	"gw.add.real.lead":      "보유한 게이트웨이를 하드웨어 ID로 등록합니다.",
	"gw.add.switch.real":    "실제 게이트웨이를 추가하시겠습니까?",
	"gw.add.switch.virtual": "가상 게이트웨이를 추가하시겠습니까?",
	"gw.add.id.real":        "게이트웨이 ID",
	"gw.add.id.hint.real":   "기기에 표시된 MAC 주소, IMEI 또는 UUID입니다.",
}
