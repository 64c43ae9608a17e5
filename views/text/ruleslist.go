package text

// rulesList holds the texts of the rules list's sorting, gateway filter,
// paging, confirmation dialog and mobile cards (issue 17).
var rulesList = map[string]string{
	"rules.filter.qshort":  "Name or what it does",
	"rules.filter.gateway": "Gateway",
	"rules.filter.sort":    "Sort by",
	"rules.sort.name":      "Name",
	"rules.sort.modified":  "Last change",
	"rules.sort.severity":  "Severity",
	"rules.list.count":     "Showing rules %d–%d of %d (%d in all) and %d of %d templates.",
	"rules.pager":          "Pages of rules",
	"rules.pager.prev":     "Previous page",
	"rules.pager.next":     "Next page",
	"rules.pager.at":       "Page %d of %d",
	"rules.col.template":   "Template",
	"rules.template.norun": "A template never runs; “Use” starts a rule from it.",
	"confirm.title":        "Please confirm",
	"confirm.yes":          "Yes, go ahead",
	"confirm.cancel":       "Cancel",
	"gw.portal.open":       "Open this gateway in the Thing+ Portal (new tab)",
	"rules.delete.dialog":  "Delete",
}
