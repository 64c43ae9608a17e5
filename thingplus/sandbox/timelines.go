package sandbox

import (
	"net/http"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
)

// TimelineEntry is one rule firing as GET /v2/timelines returns it (§5.11):
//
//	{"id":"42","type":"sensorValue",
//	 "node":[{"type":"sensor","id":"b827ebd0a001-1-door3"}],
//	 "rule":{"id":"7","name":"Car 1 door 3 IN","what":"dataPush","when":"countEvent"},
//	 "checked":"n","success":"y","severity":"information",
//	 "message":"<span>Car 1 door 3 IN: Car 1 door 3 = 1 (over 0)</span>",
//	 "time":"1700000000123","event":"b827ebd0a001-1-door3:1700000000000",
//	 "value":"1",
//	 "actions":[{"agent":"dataPush","type":"dataPush","success":"y","detail":"HTTP 204"}]}
//
// Sandbox additions (not in the sheet): "value" is the sensor value that
// fired the rule; "actions" has one result per action in rule order
// (e-mail, SMS and actuator actions are recorded, not sent; a dataPush detail
// is "HTTP <status>", "timeout", a network error class or "dropped: …",
// never the URL). rule.what lists the action agents, comma-separated, in rule
// order without repeats; rule.when is the trigger's sensor type. success is
// "y" only when every action succeeded. time is when the rule fired (ms, as a
// string); event is "<sensor id>:<value time>". message is HTML with the
// rule and sensor names escaped.
//
// An entry is written when its actions have finished (at most the push
// timeout after the firing), but its id is taken when the rule fires: the
// dataPush body names it. Ids grow with firing order, so an entry can appear
// a moment after one with a higher id.
type TimelineEntry struct {
	ID       string          `json:"id"`
	Type     string          `json:"type"`
	Node     []TimelineNode  `json:"node"`
	Rule     TimelineRule    `json:"rule"`
	Checked  string          `json:"checked"`
	Success  string          `json:"success"`
	Severity string          `json:"severity"`
	Message  string          `json:"message"`
	Time     string          `json:"time"`
	Event    string          `json:"event"`
	Value    string          `json:"value"`
	Actions  []ActionOutcome `json:"actions"`
	idNum    int64
	user     string
}

// TimelineNode is a node of a timeline entry (the sensor that fired).
type TimelineNode struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

// TimelineRule names the rule of a timeline entry.
type TimelineRule struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	What string `json:"what"`
	When string `json:"when"`
}

// ActionOutcome is the result of one action of a firing.
type ActionOutcome struct {
	Agent   string `json:"agent"`
	Type    string `json:"type"`
	Success string `json:"success"`
	Detail  string `json:"detail"`
}

// maxTimelinePerUser bounds memory: older entries are forgotten.
const maxTimelinePerUser = 10000

type timelineStore struct {
	next   atomic.Int64
	mu     sync.RWMutex
	byUser map[string][]*TimelineEntry // ascending id
	byID   map[string]*TimelineEntry
}

func newTimelineStore() *timelineStore {
	return &timelineStore{byUser: map[string][]*TimelineEntry{}, byID: map[string]*TimelineEntry{}}
}

func (ts *timelineStore) reserveID() int64 { return ts.next.Add(1) }

func (ts *timelineStore) add(e *TimelineEntry) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	list := append(ts.byUser[e.user], e)
	for i := len(list) - 1; i > 0 && list[i-1].idNum > list[i].idNum; i-- {
		list[i-1], list[i] = list[i], list[i-1]
	}
	if len(list) > maxTimelinePerUser {
		drop := len(list) - maxTimelinePerUser
		for _, old := range list[:drop] {
			delete(ts.byID, old.ID)
		}
		list = append([]*TimelineEntry(nil), list[drop:]...)
	}
	ts.byUser[e.user] = list
	ts.byID[e.ID] = e
}

// forUser lists a user's entries, newest first.
func (ts *timelineStore) forUser(user string) []*TimelineEntry {
	ts.mu.RLock()
	defer ts.mu.RUnlock()
	list := ts.byUser[user]
	out := make([]*TimelineEntry, len(list))
	for i, e := range list {
		out[len(list)-1-i] = e
	}
	return out
}

var timelineFilterKeys = []string{"severity", "rule", "success"}

func (ra *ruleArea) handleTimelines(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	lq, err := parseRuleListQuery(q, timelineFilterKeys, []string{"id"})
	if err != nil {
		writeErr(w, err)
		return
	}
	for _, sv := range lq.filters["severity"] {
		if !ruleHas(ruleSeverities, sv) {
			writeErr(w, schemaErr("filter[severity]: must be one of "+quoteList(ruleSeverities)))
			return
		}
	}
	maxID, sinceID := int64(-1), int64(-1)
	meta := map[string]any{}
	for _, p := range []struct {
		name string
		dst  *int64
	}{{"maxId", &maxID}, {"sinceId", &sinceID}} {
		if !q.Has(p.name) {
			continue
		}
		n, err := strconv.ParseInt(q.Get(p.name), 10, 64)
		if err != nil || n < 0 {
			writeErr(w, schemaErr(p.name+": must be a timeline id (a non-negative integer)"))
			return
		}
		*p.dst = n
		meta[p.name] = q.Get(p.name)
		lq.given = true
	}
	var list []*TimelineEntry
	for _, e := range ra.timelines.forUser(principalOf(r).UserID) {
		if maxID >= 0 && e.idNum > maxID {
			continue
		}
		if sinceID >= 0 && e.idNum <= sinceID {
			continue
		}
		if lq.match(e.field) {
			list = append(list, e)
		}
	}
	if lq.orderBy == "id" && !lq.desc {
		sort.Slice(list, func(i, j int) bool { return list[i].idNum < list[j].idNum })
	}
	from, to := lq.window(len(list))
	page := append([]*TimelineEntry{}, list[from:to]...)
	if !lq.given && len(list) <= lq.count {
		writeData(w, http.StatusOK, page, nil)
		return
	}
	meta["count"] = len(page)
	meta["page"] = lq.page
	meta["total"] = len(list)
	writeData(w, http.StatusOK, page, meta)
}

func (e *TimelineEntry) field(key string) string {
	switch key {
	case "severity":
		return e.Severity
	case "rule":
		return e.Rule.ID
	case "success":
		return e.Success
	}
	return ""
}

func (ra *ruleArea) handleTimeline(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	ra.timelines.mu.RLock()
	e, ok := ra.timelines.byID[id]
	ra.timelines.mu.RUnlock()
	switch {
	case !ok:
		writeErr(w, ruleNotFound("timeline "+id+" not found"))
	case e.user != principalOf(r).UserID:
		writeErr(w, ruleDenied("timeline "+id+": access denied"))
	default:
		writeData(w, http.StatusOK, e, nil)
	}
}
