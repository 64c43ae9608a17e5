// Package rules renders the rules screens (/rules, the rule form) and the
// events timeline (/events). Components only loop and branch over the view
// models below; handlers/rules builds them.
package rules

import "github.com/thingplus/thingplus-webapp/views/layout"

// List is the /rules screen.
type List struct {
	Zone      string // the zone of its times, named once in the header ("KST")
	Filter    Filter
	Rules     []Row
	Templates []Row
	// Totals before filtering, to tell "no rules" from "nothing matches".
	TotalRules, TotalTemplates int
	Notice                     layout.Notice
	Stale                      *Stale // set when Thing+ is unavailable and Rules are the last good data
	// RefreshURL re-reads the tables (kept filters), used while stale.
	RefreshURL string
	Tools      Tools // history link, wiring check

	Gateways []Option // the gateway filter's choices (those with rules), "Car 1 (8)"
	Pager    Pager    // the rules table's page
}

// Sort orders of the rules list (the Filter's Sort); SortName is the default.
const (
	SortName     = "name"     // A→Z, so a door's IN and OUT rules sit together
	SortModified = "modified" // last change first
	SortSeverity = "severity" // fatal first, then by name
)

// PageSize is how many rules one page of the list shows.
const PageSize = 20

// Pager is where the rules table stands in the matching rules.
type Pager struct {
	Page, Pages int // 1-based; Pages is at least 1
	From, To    int // 1-based positions shown (0, 0 when none)
	Matching    int // rules matching the filter, over all pages
	PrevURL     string
	NextURL     string
}

// Filter is the search state, kept in the URL.
type Filter struct {
	Q        string
	Status   string // "", activated, deactivated
	Severity string // "", information, warning, fatal
	Gateway  string // "", or the id of the gateway of the rules' trigger sensor
	Sort     string // SortName (default), SortModified, SortSeverity
	Page     int    // 1-based; 0 or 1 is the first page
}

// Active reports whether any filter is set (sorting and paging are not filters).
func (f Filter) Active() bool {
	return f.Q != "" || f.Status != "" || f.Severity != "" || f.Gateway != ""
}

// Stale says since when the data shown is old.
type Stale struct {
	AsOfMs int64  // epoch ms of the data shown (0: never loaded)
	AsOf   string // formatted time
	// Reason is why, when more than "unavailable" (handlers/web.Reason:
	// Thing+ busy, try again in n s; its answer too large).
	Reason string
}

// Row is one rule or template in a table.
type Row struct {
	ID          string
	Name        string
	Desc        string
	Summary     string // "When Car 1 door 3 is over 0 → push to Trains (IN)"
	Severity    string // information, warning, fatal (anything else shown as is)
	Active      bool
	Template    bool
	Modified    string // in the user's time zone
	ModifiedISO string // for <time datetime>
	Deleted     bool   // render the "deleted" placeholder row
}

// Option is one choice of a select.
type Option struct {
	Value, Label string
}

// Form is the create/edit form: what the user typed, the choices offered,
// and what is wrong.
type Form struct {
	Action   string // POST target: /rules or /rules/{id}
	ID       string // empty when creating
	Tab      string // "form" or "advanced"
	Base     string // the rule being edited as JSON (webhook keys hidden); keeps what the form does not show
	Name     string
	Desc     string
	Severity string
	Zone     string // an IANA name from Zones, or an offset like "+9.00"
	Status   string
	Template bool

	Trigger       Sensorish
	TriggerLocked string // non-empty: the trigger is kept as is (this is its summary)

	Conditions []Sensorish
	Actions    []Action

	Raw string // advanced tab: the rule as JSON

	Errors   map[string]string // form field name → message
	Upstream *Upstream         // Thing+ refused the rule

	Zones        []Option
	Gateways     []Option
	Templates    []Option // "start from template" choices (new rules only)
	PickerDown   string   // the sensor list could not be loaded: why, in words ("" = loaded)
	PushHint     string   // what an "app" action does, e.g. "POSTs to this app's webhook for the trigger's door"
	TriggerLabel string   // the trigger sensor's name, for "for this door"
	MaxItems     int      // 5: items per group
	MaxGroups    int      // 5

	DryRun  DryRun // "try on recent data"
	History bool   // link to the rule's history
}

// Err returns the message for a field ("" when fine).
func (f Form) Err(field string) string { return f.Errors[field] }

// Invalid is "true" when the field has an error (for aria-invalid).
func (f Form) Invalid(field string) string {
	if f.Errors[field] != "" {
		return "true"
	}
	return "false"
}

// Upstream is a Thing+ rejection shown in place.
type Upstream struct {
	Code, Message string
	// Unavailable: Thing+ did not answer (down, busy), so the message is
	// shown alone, not as Thing+ refusing the rule.
	Unavailable bool
}

// Sensorish is a sensorValue trigger or condition: a sensor and a method.
type Sensorish struct {
	Prefix  string // form name prefix: "t" for the trigger, "c0", "c1"… for conditions
	Group   int    // conditions: the OR group it belongs to
	Gateway string
	Sensor  string
	Type    string // sensor type, kept when the sensor list is unavailable
	Method  string // changed, over, under, range
	Degree  string
	From    string
	To      string
	Min     string
	Max     string
	Sensors []Option // sensors of the chosen gateway
	Raw     string   // a condition the form cannot edit: kept as this JSON
	Summary string   // its readable form, when Raw is set
}

// Action is one action of the form.
type Action struct {
	Prefix  string // "a0", "a1"…
	Group   int
	Kind    string // app, url, email, other
	Dir     string // app: IN or OUT
	URL     string // url
	To      string // email
	Subject string
	Body    string
	Raw     string // other: kept as this JSON
	Summary string // other: its readable form
	Auto    string // the kind the form chose by itself (follows the trigger's sensor type); "" once the user chose
}

// Events is the /events screen.
type Events struct {
	Zone      string // the zone its times are in, named once in the header ("KST")
	Severity  string // filter
	Entries   []Event
	Newest    bool   // showing the newest page: refresh in place
	OlderURL  string // next (older) page, "" at the end
	NewestURL string // back to the newest page
	PanelURL  string // what the panel polls
	UpdatedMs int64  // when the data was read (epoch ms)
	Stale     *Stale
}

// Event is one rule firing.
type Event struct {
	ID          string
	Time        string
	TimeISO     string
	Severity    string
	RuleID      string
	RuleName    string
	Sensor      string // name (or id)
	Value       string
	Action      string // what ran (dataPush, email…), readable
	Success     bool
	RuleMissing bool // no rule id: no link
}
