package text

// gwPaging is the text of the gateway list's pages (issue 11) and of the
// busy state a panel shows in place of a part Thing+ did not send.
var gwPaging = map[string]string{
	"gw.pager":          "Pages of gateways",
	"gw.pager.prev":     "Previous page",
	"gw.pager.next":     "Next page",
	"gw.pager.at":       "Page %d of %d",
	"gw.pager.atopen":   "Page %d",
	"gw.pager.page":     "Page %d",
	"gw.page.range":     "Gateways %d–%d of %d",
	"gw.page.rangeof":   "Gateways %d–%d of %d matching (%d in all)",
	"gw.page.rangeopen": "Gateways %d–%d",
	"gw.page.none":      "No gateways on page %d",
	"gw.page.empty":     "There are no gateways on page %d. Go back to an earlier page.",
	// In place of a part Thing+ did not send (handlers/web.Reason).
	"err.busy.in": "Thing+ is busy — try again in %d s.",
	"err.asof":    "Showing what arrived at %s.",
}
