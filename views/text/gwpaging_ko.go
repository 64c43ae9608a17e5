package text

var gwPagingKo = map[string]string{
	"gw.pager":          "게이트웨이 페이지",
	"gw.pager.prev":     "이전 페이지",
	"gw.pager.next":     "다음 페이지",
	"gw.pager.at":       "%d / %d 페이지",
	"gw.pager.atopen":   "%d 페이지",
	"gw.pager.page":     "%d 페이지",
	"gw.page.range":     "게이트웨이 %d–%d (전체 %d대)",
	"gw.page.rangeof":   "게이트웨이 %d–%d (조건에 맞는 %d대, 전체 %d대)",
	"gw.page.rangeopen": "게이트웨이 %d–%d",
	"gw.page.none":      "%d 페이지에 게이트웨이가 없습니다",
	"gw.page.empty":     "%d 페이지에는 게이트웨이가 없습니다. 앞 페이지로 돌아가십시오.",
	"err.busy.in":       "Thing+가 바쁩니다. %d초 후에 다시 시도해 주십시오.",
	"err.asof":          "%s에 받은 내용을 표시합니다.",
}
