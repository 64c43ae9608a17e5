// Package gateways renders the gateway console: the live gateways table with
// rows that expand in place to devices and sensors, the gateway page, and
// the sensor page with its server-rendered SVG chart. Views take view models
// built by handlers/gateways and do no I/O; the page composes the same
// components that htmx requests receive.
package gateways

import "strconv"

// Page is the view model of /gateways.
type Page struct {
	Filter Filter
	Table  Table
}

// Filter is the search form's state (also kept in the URL).
type Filter struct {
	Q       string
	Status  string // "", on, off, error, stale
	Sort    string
	Dir     string
	Options []Option // status choices
	Tags    []Option // tag choices; nil when the account has no tags
}

// Option is one choice of a select.
type Option struct {
	Value, Label string
	Selected     bool
}

// Table is the live panel: the element htmx polls and replaces.
type Table struct {
	URL     string // this state's URL: the poll target
	PollSec int
	SortBy  string // current sort column and direction (hidden inputs for the form)
	SortDir string
	Columns []Column
	Rows    []Row
	Shown   string // "3 of 4 gateways"
	Updated Ago    // when the data was fetched
	Notice  Notice // "as of …, Thing+ unavailable, retrying"
	Empty   string // text when there are no rows
	Pager   Pager  // where the page stands among the pages of gateways
}

// Pager moves through the pages of gateways; every link keeps the
// search, filters and sort.
type Pager struct {
	Page, Pages int    // 1-based; Pages 0 = unknown (Thing+ gave no total)
	At          string // "Page 2 of 3"
	Label       string // the nav's accessible name
	PrevURL     string // "" on the first page
	NextURL     string // "" on the last page
	Links       []PageLink
}

// Shown reports whether there is more than one page to move through.
func (p Pager) Shown() bool { return p.Pages > 1 || p.PrevURL != "" || p.NextURL != "" }

// PageLink is one page number; N 0 is a gap ("…").
type PageLink struct {
	N       int
	Label   string
	Aria    string // "Page 3"
	URL     string
	Current bool
}

// Column is a sortable header cell.
type Column struct {
	Key, Label string
	Href       string // URL sorting by this column (toggling the direction when current)
	Sort       string // aria-sort: "ascending", "descending" or ""
	Num        bool
}

// Row is one gateway (a <tbody>: its row, and its detail when open).
type Row struct {
	ID       string
	Name     string
	Model    string
	Status   Badge
	Last     Ago
	Devices  string
	Sensors  string
	Open     bool
	Toggle   string // hx-get of the name button: expand (the gateway URL) or collapse (its row URL)
	Href     string // the gateway page
	Detail   *Detail
	Loading  string // "Loading…" label for the indicator
	ExpandLb string // accessible label of the toggle

	Manage *Manage // an open row's management panel, shown open (nil: the link that opens it)
}

// Detail is a gateway's devices and sensors.
type Detail struct {
	Groups []DeviceGroup
	Notice Notice
	Empty  string
}

// DeviceGroup is a device and its sensors (or "Other sensors" without one).
type DeviceGroup struct {
	ID      string
	Name    string
	Sensors []SensorRow
}

// SensorRow is one sensor in an expanded gateway.
type SensorRow struct {
	ID     string
	Name   string
	Href   string
	Type   string // "temperature (°C)"
	Value  string // "21.5 °C", or "—"
	Age    Ago
	Status Badge
}

// Badge is a status: Kind is the CSS kind (ok, off, bad, warn), Text the word.
type Badge struct {
	Kind, Text string
}

// Ago is a time shown as "12 s ago" with the absolute time as its title.
// Ms is the epoch ms for app.js's live "ago" (0 = never: shows Text only).
type Ago struct {
	Text  string
	Title string
	Ms    string
}

// Notice is a message shown in place.
type Notice struct {
	Kind string // ok, warn, bad
	Text string
}

// GatewayDetailPage is the view model of /gateways/{id}: the gateway's
// live part and, outside it, its management panel.
type GatewayDetailPage struct {
	ID    string
	Title string
	Live  LiveGateway
	// PortalURL opens the gateway in the Thing+ Portal ("" = not configured).
	PortalURL string
	Manage    *Manage // nil: no management (no Manager)
}

// LiveGateway is the part of the gateway page that refreshes itself.
type LiveGateway struct {
	Live       Live
	ID         string
	Status     Badge
	StatusNote string // "No report within 1.5 × every 5 min." when stale
	Model      string
	Interval   string // "5 min", or "—"
	Last       Ago    // the newest of its status and its sensors' values
	Devices    string
	Sensors    string
	Tags       []Link // each links to the list filtered by it
	History    []HistoryItem
	Detail     Detail
}

// HistoryItem is one status report: the gateway's own (no Href) or a
// sensor's.
type HistoryItem struct {
	Name, Href string
	Status     Badge
	At         Ago
}

// SensorPage is the view model of /gateways/{gw}/sensors/{id}.
type SensorPage struct {
	Title       string
	GatewayName string
	GatewayHref string
	ID          string
	Type        string
	Value       string
	Age         Ago
	Status      Badge
	Ranges      []RangeLink
	Chart       Chart
	Stats       []Stat
	CSVHref     string
	CSVLabel    string
	Notice      Notice
	Points      []PointRow // the chart's data as a table
	Summary     string     // "60 points, one per minute (average)"
	ValueHead   string     // the data table's value column: "Average", "Sum"…
	StatsNote   string     // where the statistics come from
	Live        Live       // the page refreshes itself in place
	Form        ChartForm  // range and aggregation picker
}

// Live is a panel that polls its own URL.
type Live struct {
	URL     string
	PollSec int
	Updated Ago
}

// Poll is the refresh period in htmx syntax.
func (l Live) Poll() string {
	if l.PollSec <= 0 {
		return "15s"
	}
	return strconv.Itoa(l.PollSec) + "s"
}

// ChartForm is the sensor page's range and aggregation picker (a GET form,
// so it works without script and the state stays in the URL).
type ChartForm struct {
	Action  string
	Ranges  []Option
	From    string
	To      string
	Every   []Option
	Fn      []Option
	Problem string // what was wrong with the query, shown in place
}

// RangeLink switches the chart's range.
type RangeLink struct {
	Label, Href string
	Current     bool
}

// Stat is one summary figure (min, max, average, latest).
type Stat struct {
	Label, Value, Testid string
}

// PointRow is one point in the data table.
type PointRow struct {
	Time, Value string
}

// Chart is an SVG line (or bar) chart with every coordinate computed by the
// handler. Points are the readout targets: a <title> each for the mouse
// without script, and app.js moves a cursor over them with the keyboard.
type Chart struct {
	ViewBox string // "0 0 720 300"
	Title   string
	Desc    string
	Lines   []string // polyline "x,y x,y …" per unbroken run
	Dots    []Dot    // lone points
	Bars    []Bar    // counters: IN and OUT per interval
	Points  []ChartPoint
	Legend  []LegendItem
	YTicks  []Tick
	XTicks  []Tick
	XTitle  AxisTitle // "Time (KST, UTC+9)"
	YTitle  AxisTitle // "temperature (°C)"
	Frame   Frame
	Empty   string // text shown when there is nothing to draw
	Hint    string // how to read values with the keyboard
}

// Dot is one point drawn alone.
type Dot struct{ X, Y string }

// ChartPoint is one value the readout can show: where, and what it says.
type ChartPoint struct{ X, Y, Label string }

// Bar is one bar of a counter chart.
type Bar struct{ X, Y, W, H, Class string }

// LegendItem names a bar colour.
type LegendItem struct{ Class, Label string }

// AxisTitle is an axis's name; Transform rotates the value axis's.
type AxisTitle struct{ X, Y, Text, Transform string }

// Tick is an axis label and its grid line. Odd labels hide on narrow
// screens, where the larger text needs the room.
type Tick struct {
	X, Y   string // label anchor
	Label  string
	Anchor string // text-anchor: start, middle, end
	X1     string // grid line start/end
	Y1     string
	X2     string
	Y2     string
	Odd    bool
}

// Frame is the plot area's rectangle.
type Frame struct{ X, Y, W, H string }

// Poll is the refresh period in htmx syntax ("15s").
func (t Table) Poll() string {
	if t.PollSec <= 0 {
		return "15s"
	}
	return strconv.Itoa(t.PollSec) + "s"
}

// Class is the badge's class attribute.
func (b Badge) Class() string { return "badge " + b.Kind }

func ariaBool(b bool) string {
	if b {
		return "true"
	}
	return "false"
}
