package rules

// DryRun is the "try on recent data" panel of the rule form.
type DryRun struct {
	Window  string   // hour | day | week
	Windows []Option // the choices
	Ran     bool     // a result (or a reason) is shown

	Unjudgeable string // why the rule cannot be judged ("" = it can)
	Unavailable bool   // Thing+ did not answer
	Reason      string // why, when more than unavailable (Thing+ busy, try again in n s)
	Invalid     bool   // the form has errors: fix them first

	Period    string // "2026-12-03 07:00 – 08:00"
	Sensor    string // the trigger sensor shown on the timeline
	Points    int    // values of the trigger sensors replayed
	Firings   []DryFiring
	More      int // firings not listed
	Actions   []DryAction
	Quota     string // the plan-limit warning, "" when none
	Truncated bool   // a sensor had more values than one request returns
	Chart     *DryChart
}

// DryFiring is one moment the rule would have fired.
type DryFiring struct {
	Time, ISO, Value string
}

// DryAction is how many actions of one kind would have been sent.
type DryAction struct {
	Label string
	Count int
}

// DryChart is the small server-rendered timeline of the trigger sensor's
// values (SVG coordinates), with a mark at each firing.
type DryChart struct {
	Width, Height int
	Line          string // polyline points "x,y x,y …"
	Marks         []DryMark
	Min, Max      string // value axis labels
	From, To      string // time axis labels
	Label         string // accessible summary
}

// DryMark is a firing on the chart.
type DryMark struct {
	X, Y  string
	Title string
}
