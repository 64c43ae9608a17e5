// Package trains renders the trains screens: live car cards, management
// forms and the event log. Views take view models and do no I/O; the page
// composes the same components that the SSE stream and htmx responses send.
package trains

import (
	"context"
	"strconv"

	"github.com/thingplus/thingplus-webapp/views/text"
)

// Page is the view model of /trains.
type Page struct {
	List      List
	PushIN    string         // the shape of a push URL for an IN rule (no token)
	PushOUT   string         // same for OUT
	StreamURL string         // SSE stream URL (one per tab)
	Tab       string         // this tab's id: the stream and the polling fallback carry it
	Sensors   []SensorOption // the user's Thing+ sensors, offered when assigning a door
	// SensorsURL loads Sensors after the page (they come from Thing+, and
	// the page never waits for Thing+); "" when Sensors are already known.
	SensorsURL string
}

// List is everything inside the live trains region: it is also the SSE
// "snapshot" event and the htmx response of every management form.
type List struct {
	Trains  []Train
	Options []TrainOption // every train, for "move car to"
	CanWire bool
	PollURL string // polling fallback (answers 204 while this tab's stream is live)
	// Structure fingerprints everything but the counts: a stream that
	// starts behind the page catches up with car frames while it matches.
	Structure string
	PollSec   int
	Form      Form   // the form that failed validation, with its input
	Notice    Notice // a message above the list
	// Open is the form just submitted (as Form.ID): the panels around it
	// stay open, so its error or its result is in view.
	Open string
}

// trainFormPrefixes are the forms in a train's "Manage" panel, by id prefix.
var trainFormPrefixes = []string{"rename-", "running-", "reset-", "delete-", "addcar-", "levels-", "schedule-", "share-", "token-", "repoint-", "claim-"}

// carFormPrefixes are the forms in a car's "Manage" panel, by id prefix.
var carFormPrefixes = []string{"door-", "cap-", "correct-", "resetcar-", "position-", "up-", "down-", "removecar-", "move-"}

// TrainOpen reports whether t's management panel holds the open form.
func (l List) TrainOpen(t Train) bool {
	for _, p := range trainFormPrefixes {
		if l.Open == p+t.IDString() {
			return true
		}
	}
	return false
}

// CarOpen reports whether c's management panel holds the open form
// (including its doors' forms).
func (l List) CarOpen(c Car) bool {
	for _, p := range carFormPrefixes {
		if l.Open == p+c.IDString() {
			return true
		}
	}
	for _, d := range c.Doors {
		if l.Open == "wire-"+d.SensorID || l.Open == "unassign-"+d.SensorID {
			return true
		}
	}
	return false
}

// Notice is a message shown in place.
type Notice struct {
	Kind string // ok, warn, bad
	Text string
	// At is the form (Form.ID) or anchor the notice belongs next to: the
	// confirmation appears beside the control that was used. "" puts it
	// above the list.
	At string
}

// NoticeAt returns the notice when it belongs at id.
func (l List) NoticeAt(id string) (Notice, bool) {
	return l.Notice, l.Notice.Text != "" && l.Notice.At == id
}

// Form is the state of one submitted form: its id, the user's input and the
// error to show next to it.
type Form struct {
	ID     string
	Values map[string]string
	Error  string
	Field  string // the field the error is about; "" for the form's main field
}

// Value returns the user's input for field when the form is formID.
func (f Form) Value(formID, field, def string) string {
	if f.ID == formID {
		if v, ok := f.Values[field]; ok {
			return v
		}
	}
	return def
}

// Checked is a checkbox's state: the user's input when the form is formID,
// else def.
func (f Form) Checked(formID, field string, def bool) bool {
	if f.ID == formID {
		return f.Values[field] != ""
	}
	return def
}

// FieldError returns the error of formID when it is about field; an error
// without a field goes to the form's main field (main is true).
func (f Form) FieldError(formID, field string, main bool) string {
	if f.ID == formID && (f.Field == field || (f.Field == "" && main)) {
		return f.Error
	}
	return ""
}

// ErrorFor returns the error of formID, or "".
func (f Form) ErrorFor(formID string) string {
	if f.ID == formID {
		return f.Error
	}
	return ""
}

// Train is one train with its cars.
type Train struct {
	ID       int64
	Name     string
	Running  bool
	Cars     []Car
	Count    int // passengers in all cars
	Capacity int

	Role      string // the reader's role: viewer, editor, owner
	Owner     string // the owner's loginId ("" = not claimed yet)
	Zone      string // the zone of its times, the owner's Thing+ zone ("KST")
	CanEdit   bool   // cars, doors, counts, running
	CanOwn    bool   // rename, delete, share, token
	Claimable bool   // no owner yet: an admin may claim it

	// The owner's panel (CanOwn only).
	PushIN, PushOUT string // this train's push URLs with its token, {sensorId} to fill in
	GraceUntil      string // when the previous token stops working ("" = none)
	LegacyInUse     bool   // the legacy shared key moved a count lately
	Shares          []ShareRow
	Levels          Levels
	Roomiest        int // position of the car with the most room (0: no cars)
	Reset           Reset
	Flags           []Flag // open door-sensor health flags ("needs attention")
}

// Levels are a train's crowd thresholds in percent of capacity.
type Levels struct {
	Spacious, Normal, Caution int
}

// Reset is a train's end-of-service reset setting.
type Reset struct {
	On    bool
	Clock string // HH:MM
	Zone  string
}

// Flag is a door-sensor health flag on a car.
type Flag struct {
	ID       int64
	CarID    int64
	Position int    // the car's position
	Kind     string // silent, drift_clamped, drift_high
	Short    string // a few words for the car card
	Text     string // what was seen and what to do
	Since    string
}

// IDString is the id for URLs and element ids.
func (t Train) IDString() string { return strconv.FormatInt(t.ID, 10) }

// Car is one car card.
type Car struct {
	ID         int64
	TrainID    int64
	Position   int
	Cars       int // cars in the train, for "move down"
	Capacity   int
	Count      int
	Percent    int
	Level      string // spacious, normal, caution, crowded
	FillPct    int    // the bar's fill, percent of its width (= Percent, at most 100)
	OverPct    int    // passengers beyond capacity, percent of capacity (at most 100 drawn)
	UpdatedMs  int64  // 0 = never
	Updated    string // absolute time with its zone, for title and no-JS
	UpdatedISO string // the same instant, RFC 3339 with the zone's offset
	Doors      []Door
	Flags      []Flag // open door-sensor health flags
	CanEdit    bool   // the reader may manage this car
	CanOwn     bool   // the reader owns its train (wire doors, see push URLs)
	// CheckRules: the panel loads its doors' rule states (the owner, with
	// Thing+ at hand).
	CheckRules bool
}

// IDString is the id for URLs and element ids.
func (c Car) IDString() string { return strconv.FormatInt(c.ID, 10) }

// Door is a door sensor on a car.
type Door struct {
	SensorID string
	Label    string
	Inverted bool
	PushIN   string
	PushOUT  string
}

// TrainOption is a train in a select.
type TrainOption struct {
	ID   int64
	Name string
}

// SensorOption is a Thing+ sensor offered for assignment.
type SensorOption struct {
	ID   string
	Name string
}

// Events is the view model of /trains/events.
type Events struct {
	Zone      string // the zone its times are in, named once in the header ("KST")
	Filter    EventFilter
	Trains    []TrainOption
	Cars      []CarGroup // the car filter's choices, by train
	Outcomes  []string
	Rows      []EventRow
	NextURL   string // older events, "" at the end
	CSVURL    string
	FilterURL string // the current filter, for the table's refresh
}

// EventFilter is the filter form's state.
type EventFilter struct {
	TrainID string
	CarID   string
	Outcome string
	Error   string
}

// CarGroup is one train's cars in the car filter.
type CarGroup struct {
	Train string
	Cars  []CarOption
}

// CarOption is one car in a select.
type CarOption struct {
	ID   int64
	Name string
}

// EventRow is one log line.
type EventRow struct {
	ID         int64
	Time       string
	TimeISO    string // with the offset, for machines and screen readers
	TimeMs     int64
	TrainID    int64
	CarID      int64
	TrainName  string // "" when the train is gone (the raw id shows)
	CarName    string // "Car 2"; "" when the car is gone
	DoorLabel  string // the door's label, or "" (the raw sensor id shows)
	SensorID   string
	Type       string
	Outcome    string
	Delta      int
	CountAfter int
	EventKey   string
	Reason     string
}

// LevelNames are the crowd levels, least crowded first.
var LevelNames = []string{"spacious", "normal", "caution", "crowded"}

// LevelBadge maps a crowd level to its badge class: one colour and one
// icon per level, the same colour as the level's bar.
func LevelBadge(level string) string {
	switch level {
	case "spacious", "normal", "caution":
		return "badge lvl lvl-" + level
	}
	return "badge lvl lvl-crowded"
}

// OutcomeBadge maps an event outcome to a badge class.
func OutcomeBadge(o string) string {
	switch o {
	case "applied", "corrected", "reset":
		return "badge ok"
	case "clamped", "duplicate":
		return "badge info"
	case "unknown_sensor", "invalid":
		return "badge warn"
	}
	return "badge bad"
}

func itoa(n int) string { return strconv.Itoa(n) }

func i64(n int64) string { return strconv.FormatInt(n, 10) }
func signed(n int) string {
	if n > 0 {
		return "+" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

// History is the view model of /trains/:id/history: a car × time heatmap
// of one service day.
type History struct {
	TrainID    int64
	TrainName  string
	Day        string // the service day's date, YYYY-MM-DD
	StartMs    int64  // the service day's start (Unix ms), for checks
	BucketMs   int64  // a slot's length in ms
	MaxDay     string // the latest day the picker offers
	From       string // the service day's start time, HH:MM
	Zone       string
	TimeZone   string // the zone of the slots' and peaks' times, the owner's ("KST")
	Error      string // a bad day in the picker
	Live       bool   // the current service day: refreshed every minute
	RefreshURL string
	Width      int // SVG width in user units
	Height     int
	Hours      []HourMark
	Rows       []HistoryRow
	Levels     Levels
}

// HourMark labels a column of the heatmap at a full hour.
type HourMark struct {
	X     int
	Label string
}

// HistoryRow is one car's row of the heatmap.
type HistoryRow struct {
	Position  int
	Y         int
	Cells     []HistoryCell
	PeakCount int
	PeakPct   int
	PeakAt    string // "" when nobody was aboard
}

// HistoryCell is one 10-minute slot of one car.
type HistoryCell struct {
	X      int
	Count  int // most passengers in the slot; -1 before the slot begins
	Level  string
	Title  string
	Bucket int
}

// Heatmap geometry, in SVG user units.
const (
	HeatLabelW = 56
	HeatCellW  = 6
	HeatCellH  = 22
	HeatTop    = 18
)

func hy(y int) string { return strconv.Itoa(y) }

// eventKeyTitle shows a push's de-duplication key on hover.
func eventKeyTitle(k string) string {
	if k == "" {
		return ""
	}
	return "event " + k
}

// typeText names an event type; a refused push's raw type shows as sent.
func typeText(ctx context.Context, t string) string {
	if k := "trains.type." + t; text.Has(k) {
		return text.T(ctx, k)
	}
	return t
}

// ShareRow is one account a train is shared with.
type ShareRow struct {
	Login string
	Role  string // viewer, editor
}
