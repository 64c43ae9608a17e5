package text

// gatewayPage holds the texts of the gateway page (status, history, tags)
// and of the tag filter on the gateway list.
var gatewayPage = map[string]string{
	"gw.page.facts":           "About this gateway",
	"gw.page.status":          "Status",
	"gw.page.stale":           "No report for longer than its interval (every %s) allows.",
	"gw.page.interval":        "Report interval",
	"gw.page.model":           "Model",
	"gw.page.last":            "Last report",
	"gw.page.last.hint":       "The newest of the gateway's status and its sensors' values.",
	"gw.page.counts":          "Devices and sensors",
	"gw.page.counts.value":    "%s devices, %s sensors",
	"gw.page.tags":            "Tags",
	"gw.page.notags":          "None",
	"gw.page.history":         "Status history",
	"gw.page.history.lead":    "Thing+ keeps no history of a gateway's status, so this lists the latest status report of the gateway and of each of its sensors, newest first.",
	"gw.page.history.self":    "This gateway",
	"gw.page.history.empty":   "No status report yet.",
	"gw.page.history.caption": "Latest status reports, newest first",
	"gw.page.history.source":  "From",
	"gw.page.history.at":      "Reported",
	"gw.page.sensors":         "Devices and sensors",
	"gw.page.manage":          "Manage",
	"gw.filter.tag":           "Tag",
	"gw.filter.alltags":       "All tags",
}

// addKinds are the texts of the two ways to add a gateway: virtual (no id)
// and real (its hardware id).
var addKinds = map[string]string{
	"gw.add.section":        "Add a gateway",
	"gw.add.real.title":     "Add a real gateway",
	"gw.add.real.open":      "Add a real gateway…",
	"gw.add.virtual.lead":   "Thing+ simulates it and makes its id.",
	"gw.add.real.lead":      "A gateway you own, registered by its hardware id.",
	"gw.add.switch.real":    "Adding a real gateway instead?",
	"gw.add.switch.virtual": "Adding a virtual gateway instead?",
	"gw.add.id.real":        "Gateway id",
	"gw.add.id.hint.real":   "Its MAC address, IMEI or UUID, as printed on the device.",
}
