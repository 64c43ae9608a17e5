package sandbox

import (
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// ruleArea owns rules (§5.14), ruleAgents (§5.13), timelines (§5.11) and the
// rule engine (engine.go).
//
// Routes (all v2 envelope):
//
//	GET    /v2/rules            collection query: count, page, orderBy, orderDir,
//	                            filter[id|name|status|severity|template]
//	GET    /v2/rules/{id}       200; times as strings
//	POST   /v2/rules            201 message "OK", the stored rule, times as numbers
//	PUT    /v2/rules/{id}       200, the updated rule, times as numbers
//	DELETE /v2/rules/{id}       204
//	GET    /v2/ruleAgents[/{id}] no login
//	GET    /v2/timelines        maxId (inclusive), sinceId (exclusive), count, page,
//	                            filter[severity|rule|success]; newest first
//	GET    /v2/timelines/{id}
//
// Scopes (§3.4): rule-read for GETs of rules, rule for writes, timeline-read
// for timelines; a token whose client lacks it gets 403 ACL_DENY. Another
// user's rule or timeline entry is 403 ACCESSGROUP_DENY; a missing one 404
// NOT_FOUND (ownership is checked first, §8).
//
// PUT merges the body's top-level keys into the stored rule and validates
// the result as a whole, so both a full body (as Thing+ clients send, read
// fields included) and a partial one ({"status":"deactivated"}) work. Clients
// meant for the real Thing+ should send the full rule.
//
// Rule targets: a sensor named by a rule (filter.sensor, params.target.sensors
// of triggers, conditions and actuator actions) that the sandbox knows and
// that belongs to another user is 403 ACCESSGROUP_DENY. Unknown sensor ids are
// accepted: Thing+ stores rules as given and the sheet shows no 404 for rule
// targets (a rule may name a sensor before it is registered).
type ruleArea struct {
	s *Sandbox

	mu     sync.RWMutex
	rules  map[string]*rule
	nextID int64

	timelines *timelineStore
	engine    *engine
}

// maxRulesPerUser bounds memory; beyond it POST answers 471 BILLING (§4.6).
const maxRulesPerUser = 1000

// rule is a stored rule. Stored rules are immutable: PUT stores a new value.
type rule struct {
	id           string
	idNum        int64
	user         string
	ctime, mtime int64
	*compiledRule
}

func (r *rule) str(key string) string {
	s, _ := r.body[key].(string)
	return s
}

// active: activated and not a template; only active rules fire.
func (r *rule) active() bool {
	return r.str("status") == "activated" && r.str("template") != "true"
}

// field is the string a collection filter or sort compares.
func (r *rule) field(key string) string {
	if key == "id" {
		return r.id
	}
	return r.str(key)
}

// ruleView is a rule as the API returns it; ctime/mtime are numbers in
// write responses and strings in reads (§4.4).
type ruleView struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Desc       any    `json:"desc,omitempty"`
	Severity   string `json:"severity"`
	Timezone   string `json:"timezone"`
	Status     string `json:"status"`
	Template   string `json:"template"`
	Trigger    any    `json:"trigger"`
	Conditions any    `json:"conditions"`
	Actions    any    `json:"actions"`
	User       string `json:"_user"`
	Site       string `json:"_site"`
	Service    string `json:"_service"`
	Ctime      any    `json:"ctime"`
	Mtime      any    `json:"mtime"`
}

func (r *rule) view(timesAsNumbers bool) ruleView {
	v := ruleView{
		ID: r.id, Name: r.str("name"), Desc: r.body["desc"], Severity: r.str("severity"),
		Timezone: r.str("timezone"), Status: r.str("status"), Template: r.str("template"),
		Trigger: r.body["trigger"], Conditions: r.body["conditions"], Actions: r.body["actions"],
		User: r.user, Site: "1", Service: "1",
	}
	if timesAsNumbers {
		v.Ctime, v.Mtime = r.ctime, r.mtime
	} else {
		v.Ctime, v.Mtime = strconv.FormatInt(r.ctime, 10), strconv.FormatInt(r.mtime, 10)
	}
	return v
}

func newRuleArea(s *Sandbox) *ruleArea {
	ra := &ruleArea{s: s, rules: map[string]*rule{}, timelines: newTimelineStore()}
	ra.engine = newEngine(ra)
	ra.seed()
	return ra
}

func (ra *ruleArea) routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /v2/rules", ra.scoped("rule-read", ra.handleList))
	mux.HandleFunc("POST /v2/rules", ra.scoped("rule", ra.handleCreate))
	mux.HandleFunc("GET /v2/rules/{id}", ra.scoped("rule-read", ra.handleGet))
	mux.HandleFunc("PUT /v2/rules/{id}", ra.scoped("rule", ra.handleUpdate))
	mux.HandleFunc("DELETE /v2/rules/{id}", ra.scoped("rule", ra.handleDelete))
	mux.HandleFunc("GET /v2/ruleAgents", ra.handleRuleAgents)
	mux.HandleFunc("GET /v2/ruleAgents/{id}", ra.handleRuleAgent)
	mux.HandleFunc("GET /v2/timelines", ra.scoped("timeline-read", ra.handleTimelines))
	mux.HandleFunc("GET /v2/timelines/{id}", ra.scoped("timeline-read", ra.handleTimeline))
}

// scoped admits a signed-in caller whose token carries scope (rule implies
// rule-read); otherwise 401, the jsonwebtoken 403, or 403 ACL_DENY.
func (ra *ruleArea) scoped(scope string, h http.HandlerFunc) http.HandlerFunc {
	return ra.s.requireUser(func(w http.ResponseWriter, r *http.Request) {
		if ra.s.requireScope(w, r, scope) {
			h(w, r)
		}
	})
}

func (ra *ruleArea) start() { ra.engine.start() }

// SeriesEvent is a sensor value that arrived (simulator or PUT series).
type SeriesEvent struct {
	Sensor SensorInfo
	Value  string
	Time   int64 // ms
}

// seriesArrived hands a value to the rule engine; it never blocks the caller
// (a full queue drops the value and counts it).
func (ra *ruleArea) seriesArrived(ev SeriesEvent) { ra.engine.enqueue(ev) }

var (
	ruleFilterKeys = []string{"id", "name", "status", "severity", "template"}
	ruleOrderKeys  = []string{"id", "name", "status", "severity", "template", "ctime", "mtime"}
)

func (ra *ruleArea) handleList(w http.ResponseWriter, r *http.Request) {
	lq, err := parseRuleListQuery(r.URL.Query(), ruleFilterKeys, ruleOrderKeys)
	if err != nil {
		writeErr(w, err)
		return
	}
	user := principalOf(r).UserID
	ra.mu.RLock()
	var list []*rule
	for _, rl := range ra.rules {
		if rl.user == user && lq.match(rl.field) {
			list = append(list, rl)
		}
	}
	ra.mu.RUnlock()
	sortRules(list, lq.orderBy, lq.desc)
	from, to := lq.window(len(list))
	views := make([]ruleView, 0, to-from)
	for _, rl := range list[from:to] {
		views = append(views, rl.view(false))
	}
	var meta any
	if lq.given || len(list) > lq.count {
		meta = map[string]any{"count": len(views), "page": lq.page, "total": len(list)}
	}
	writeData(w, http.StatusOK, views, meta)
}

func sortRules(list []*rule, orderBy string, desc bool) {
	less := func(a, b *rule) int {
		switch orderBy {
		case "", "id":
			return cmpInt64(a.idNum, b.idNum)
		case "ctime":
			return cmpInt64(a.ctime, b.ctime)
		case "mtime":
			return cmpInt64(a.mtime, b.mtime)
		default:
			return strings.Compare(a.field(orderBy), b.field(orderBy))
		}
	}
	sort.SliceStable(list, func(i, j int) bool {
		c := less(list[i], list[j])
		if c == 0 {
			c = cmpInt64(list[i].idNum, list[j].idNum)
			return c < 0 // ties stay in id order either way
		}
		if desc {
			return c > 0
		}
		return c < 0
	})
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// ruleFor finds a rule the caller owns: errDenied for another user's, errNotFound for none.
func (ra *ruleArea) ruleFor(id, user string) (*rule, error) {
	ra.mu.RLock()
	rl, ok := ra.rules[id]
	ra.mu.RUnlock()
	switch {
	case !ok:
		return nil, ruleNotFound("rule " + id + " not found")
	case rl.user != user:
		return nil, ruleDenied("rule " + id + ": access denied")
	}
	return rl, nil
}

func (ra *ruleArea) handleGet(w http.ResponseWriter, r *http.Request) {
	rl, err := ra.ruleFor(r.PathValue("id"), principalOf(r).UserID)
	if err != nil {
		writeErr(w, err)
		return
	}
	writeData(w, http.StatusOK, rl.view(false), nil)
}

func (ra *ruleArea) handleCreate(w http.ResponseWriter, r *http.Request) {
	user := principalOf(r).UserID
	body, err := decodeRuleBody(r.Body)
	if err != nil {
		writeErr(w, err)
		return
	}
	cr, err := validateRule(body)
	if err != nil {
		writeErr(w, err)
		return
	}
	if err := ra.checkTargets(cr, user); err != nil {
		writeErr(w, err)
		return
	}
	rl, err := ra.add(user, cr)
	if err != nil {
		writeError(w, 471, "BILLING", err.Error())
		return
	}
	writeDataMsg(w, http.StatusCreated, "OK", rl.view(true))
}

// add stores a new rule for user.
func (ra *ruleArea) add(user string, cr *compiledRule) (*rule, error) {
	now := ra.s.nowMs()
	ra.mu.Lock()
	defer ra.mu.Unlock()
	n := 0
	for _, rl := range ra.rules {
		if rl.user == user {
			n++
		}
	}
	if n >= maxRulesPerUser {
		return nil, ruleErrText("rule limit reached (" + strconv.Itoa(maxRulesPerUser) + " per user)")
	}
	ra.nextID++
	rl := &rule{id: strconv.FormatInt(ra.nextID, 10), idNum: ra.nextID, user: user, ctime: now, mtime: now, compiledRule: cr}
	ra.rules[rl.id] = rl
	return rl, nil
}

func (ra *ruleArea) handleUpdate(w http.ResponseWriter, r *http.Request) {
	user := principalOf(r).UserID
	old, err := ra.ruleFor(r.PathValue("id"), user)
	if err != nil {
		writeErr(w, err)
		return
	}
	body, err := decodeRuleBody(r.Body)
	if err != nil {
		writeErr(w, err)
		return
	}
	merged := make(map[string]any, len(old.body)+len(body))
	for k, v := range old.body {
		merged[k] = v
	}
	for k, v := range body {
		merged[k] = v
	}
	cr, err := validateRule(merged)
	if err != nil {
		writeErr(w, err)
		return
	}
	if err := ra.checkTargets(cr, user); err != nil {
		writeErr(w, err)
		return
	}
	ra.mu.Lock()
	cur, ok := ra.rules[old.id]
	if !ok {
		ra.mu.Unlock()
		writeErr(w, ruleNotFound("rule "+old.id+" not found"))
		return
	}
	mtime := ra.s.nowMs()
	if mtime < cur.mtime {
		mtime = cur.mtime
	}
	rl := &rule{id: cur.id, idNum: cur.idNum, user: cur.user, ctime: cur.ctime, mtime: mtime, compiledRule: cr}
	ra.rules[rl.id] = rl
	ra.mu.Unlock()
	// PUT answers like a read (times as strings); only creation answers numbers (§4.4).
	writeData(w, http.StatusOK, rl.view(false), nil)
}

func (ra *ruleArea) handleDelete(w http.ResponseWriter, r *http.Request) {
	rl, err := ra.ruleFor(r.PathValue("id"), principalOf(r).UserID)
	if err != nil {
		writeErr(w, err)
		return
	}
	ra.mu.Lock()
	delete(ra.rules, rl.id)
	ra.mu.Unlock()
	writeNoContent(w)
}

// checkTargets refuses a rule naming a known sensor of another user.
func (ra *ruleArea) checkTargets(cr *compiledRule, user string) error {
	for _, id := range cr.sensorIDs() {
		if info, ok := ra.s.devices.lookupSensor(id); ok && info.OwnerUserID != user {
			return ruleDenied("sensor " + id + ": access denied")
		}
	}
	return nil
}

// sensorIDs lists every sensor a rule names.
func (cr *compiledRule) sensorIDs() []string {
	ids := append([]string{}, cr.trigger.Sensors...)
	for _, g := range cr.conds {
		for _, c := range g {
			ids = append(ids, c.Sensors...)
		}
	}
	for _, a := range cr.actions {
		if t, ok := a.params["target"].(map[string]any); ok {
			ids = append(ids, ruleStrings(t["sensors"])...)
		}
	}
	return uniqStrings(ids)
}

// activeRulesFor lists the active rules of the sensor's owner whose trigger targets it.
func (ra *ruleArea) activeRulesFor(s SensorInfo) []*rule {
	if s.OwnerUserID == "" {
		return nil
	}
	ra.mu.RLock()
	defer ra.mu.RUnlock()
	var out []*rule
	for _, rl := range ra.rules {
		if rl.user == s.OwnerUserID && rl.active() && rl.trigger.targets(s) {
			out = append(out, rl)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].idNum < out[j].idNum })
	return out
}

// ruleErrText is an error with a fixed text.
type ruleErrText string

func (e ruleErrText) Error() string { return string(e) }

// ruleErr is a sentinel error with a more precise message.
type ruleErr struct {
	msg      string
	sentinel error
}

func (e *ruleErr) Error() string { return e.msg }
func (e *ruleErr) Unwrap() error { return e.sentinel }

func ruleNotFound(msg string) error { return &ruleErr{msg: msg, sentinel: errNotFound} }
func ruleDenied(msg string) error   { return &ruleErr{msg: msg, sentinel: errDenied} }
