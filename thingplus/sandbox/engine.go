package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"html"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/thingplus/thingplus-webapp/thingplus/ruleeval"
)

// DataPushBody is the JSON body the sandbox POSTs (Content-Type
// application/json) to a dataPush action's params.url when a rule fires.
// Thing+ does not document its own body (§9.2); this one is the sandbox's:
//
//	{"event":"42",                                  // timeline entry id (use it to de-duplicate)
//	 "rule":{"id":"7","name":"Car 1 door 3 IN"},
//	 "severity":"information",                      // information | warning | fatal
//	 "gateway":"b827ebd0a001",                      // gateway of the sensor that fired
//	 "sensor":"b827ebd0a001-1-door3",               // sensor that fired
//	 "value":"1",                                   // its value, always a string
//	 "time":1700000000000,                          // the value's time, ms since epoch (a number)
//	 "trigger":"over"}                              // trigger method id: changed | over | under | range
//
// Any 2xx answer is success; anything else, a network error or no answer
// within the push timeout (2 s) is a failure. Either way the firing's
// timeline entry records it (success "y"/"n"); nothing is retried. Redirects
// are followed as the sandbox's PushClient does (Go's default: 301/302/303
// turn into GET). A destination that leaves 8 pushes in a row unanswered is
// skipped for 5 s (those pushes are recorded as failures at once).
type DataPushBody struct {
	Event    string       `json:"event"`
	Rule     DataPushRule `json:"rule"`
	Severity string       `json:"severity"`
	Gateway  string       `json:"gateway"`
	Sensor   string       `json:"sensor"`
	Value    string       `json:"value"`
	Time     int64        `json:"time"`
	Trigger  string       `json:"trigger"`
}

// DataPushRule names the rule in a DataPushBody.
type DataPushRule struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Engine sizing. Values arrive on engineShards queues (a sensor always uses
// the same one, so its values are evaluated in order); a full queue drops the
// value. dataPush requests go through one lane per destination host
// (scheme://host:port): pushWorkersPerLane workers, each with a queue of
// pushLaneQueue; a sensor's pushes always use the same worker, so one
// destination receives a sensor's pushes in firing order. A full queue fails
// the push at once ("dropped"), so a hanging destination only ever costs its
// own lane. When pushTripAfter
// pushes in a row to a destination time out or fail to connect, the lane
// fails its pushes at once ("skipped") for pushCoolOff, then tries again
// (one more unanswered push re-opens it; any HTTP answer closes it).
const (
	engineShards       = 4
	engineShardQueue   = 256
	defaultPushTimeout = 2 * time.Second
	maxPushLanes       = 256
	pushWorkersPerLane = 8
	pushLaneQueue      = 512
	pushTripAfter      = pushWorkersPerLane
	pushCoolOff        = 5 * time.Second
)

// Push outcomes that are not an HTTP status.
const (
	pushDetailSkipped   = "skipped: destination not answering"
	pushDetailQueueFull = "dropped: push queue full for this destination"
)

type engine struct {
	ra     *ruleArea
	shards []chan SeriesEvent

	ctx    context.Context // cancelled by Close: aborts pushes in flight
	cancel context.CancelFunc

	pushTimeout atomic.Int64 // ns

	states *ruleeval.Tracker // every sensor's latest value and the one before

	lanesMu sync.Mutex
	lanes   map[string]*pushLane

	received, dropped, processed atomic.Int64
	fired, inflight              atomic.Int64
	pushOK, pushFailed, pushLost atomic.Int64
	lastWarn                     atomic.Int64
}

type pushLane struct {
	qs          []chan pushJob // one per worker
	failsInRow  atomic.Int64   // timeouts and connection failures in a row
	openedUntil atomic.Int64   // unix ns; pushes fail at once before it
}

type pushJob struct {
	f   *firing
	i   int
	url string
}

// engineStats is a snapshot of the engine counters (tests, logs).
type engineStats struct {
	Received, Dropped, Processed, Fired, Inflight, PushOK, PushFailed, PushDropped int64
}

func newEngine(ra *ruleArea) *engine {
	e := &engine{ra: ra, states: ruleeval.NewTracker(), lanes: map[string]*pushLane{}}
	e.ctx, e.cancel = context.WithCancel(context.Background())
	e.pushTimeout.Store(int64(defaultPushTimeout))
	for range engineShards {
		e.shards = append(e.shards, make(chan SeriesEvent, engineShardQueue))
	}
	return e
}

func (e *engine) stats() engineStats {
	return engineStats{Received: e.received.Load(), Dropped: e.dropped.Load(), Processed: e.processed.Load(),
		Fired: e.fired.Load(), Inflight: e.inflight.Load(), PushOK: e.pushOK.Load(),
		PushFailed: e.pushFailed.Load(), PushDropped: e.pushLost.Load()}
}

func (e *engine) start() {
	s := e.ra.s
	s.goBackground(func(stop <-chan struct{}) {
		<-stop
		e.cancel()
	})
	for _, q := range e.shards {
		s.goBackground(func(stop <-chan struct{}) {
			for {
				select {
				case <-stop:
					return
				case ev := <-q:
					e.process(ev)
				}
			}
		})
	}
}

// enqueue never blocks: a full shard drops the value and counts it.
func (e *engine) enqueue(ev SeriesEvent) {
	e.received.Add(1)
	select {
	case e.shards[shardOf(ev.Sensor.ID, engineShards)] <- ev:
	default:
		n := e.dropped.Add(1)
		e.warnf("rule engine queue full: sensor value dropped", "dropped", n)
	}
}

// shardOf maps a sensor id to one of n queues.
func shardOf(sensorID string, n int) int {
	h := fnv.New32a()
	_, _ = h.Write([]byte(sensorID))
	return int(h.Sum32() % uint32(n))
}

// warnf logs at most once every 10 s.
func (e *engine) warnf(msg string, args ...any) {
	now := time.Now().UnixNano()
	last := e.lastWarn.Load()
	if now-last < int64(10*time.Second) || !e.lastWarn.CompareAndSwap(last, now) {
		return
	}
	e.ra.s.log.Warn(msg, args...)
}

// process evaluates one value against the owner's active rules.
func (e *engine) process(ev SeriesEvent) {
	defer e.processed.Add(1)
	st := e.states.Remember(ev.Sensor.ID, ev.Value)
	for _, rl := range e.ra.activeRulesFor(ev.Sensor) {
		if rl.eval.Fires(ev.Value, st, e.states.State) {
			e.fire(rl, ev)
		}
	}
}

// targets reports whether a trigger names the sensor: by id (filter.sensor or
// params.target.sensors) or, when it names no sensor, by sensor type; the
// gateway constraints (filter.gateway list, target gateway id) apply when the
// sensor's gateway is known.
func (ci *compiledItem) targets(s SensorInfo) bool {
	if len(ci.Sensors) > 0 {
		if !ruleHas(ci.Sensors, s.ID) {
			return false
		}
	} else if ci.typ != s.Type || ci.targetType == "tag" {
		return false // tags are not modelled: a tag target must list its sensors
	}
	if s.GatewayID != "" {
		if ci.gateways != nil && !ruleHas(ci.gateways, s.GatewayID) {
			return false
		}
		if ci.targetType == "gateway" && ci.targetID != s.GatewayID {
			return false
		}
	}
	return true
}

// conditions are the rule's condition groups as the evaluator takes them.
func (cr *compiledRule) evalRule() *ruleeval.Rule {
	r := &ruleeval.Rule{Trigger: cr.trigger.Item}
	for _, g := range cr.conds {
		items := make([]ruleeval.Item, len(g))
		for i := range g {
			items[i] = g[i].Item
		}
		r.Conds = append(r.Conds, items)
	}
	return r
}

// firing is one rule firing whose actions are running.
type firing struct {
	e       *engine
	rule    *rule
	ev      SeriesEvent
	id      int64
	firedAt int64
	results []ActionOutcome
	pending atomic.Int64
}

func (e *engine) fire(rl *rule, ev SeriesEvent) {
	e.fired.Add(1)
	e.inflight.Add(1)
	f := &firing{e: e, rule: rl, ev: ev, id: e.ra.timelines.reserveID(), firedAt: e.ra.s.nowMs(),
		results: make([]ActionOutcome, len(rl.actions))}
	f.pending.Store(int64(len(rl.actions)) + 1)
	for i, a := range rl.actions {
		f.results[i] = ActionOutcome{Agent: a.agent, Type: a.typ}
		if a.agent == "dataPush" {
			e.push(f, i, a.url)
			continue
		}
		f.results[i].Success, f.results[i].Detail = "y", recordedDetail(a, f)
		f.done()
	}
	f.done()
}

// done counts one action (or the dispatch) finished; the last one writes the timeline entry.
func (f *firing) done() {
	if f.pending.Add(-1) != 0 {
		return
	}
	e := f.e
	rl := f.rule
	success := "y"
	var what []string
	for _, r := range f.results {
		if r.Success != "y" {
			success = "n"
		}
		if !ruleHas(what, r.Agent) {
			what = append(what, r.Agent)
		}
	}
	name := rl.str("name")
	sensorName := f.ev.Sensor.Name
	if sensorName == "" {
		sensorName = f.ev.Sensor.ID
	}
	msg := fmt.Sprintf("%s: %s = %s (%s)", name, sensorName, f.ev.Value, rl.trigger.Describe())
	e.ra.timelines.add(&TimelineEntry{
		ID: strconv.FormatInt(f.id, 10), idNum: f.id, user: rl.user,
		Type: rl.trigger.agent, Node: []TimelineNode{{Type: "sensor", ID: f.ev.Sensor.ID}},
		Rule:    TimelineRule{ID: rl.id, Name: name, What: strings.Join(what, ","), When: rl.trigger.typ},
		Checked: "n", Success: success, Severity: rl.str("severity"),
		Message: "<span>" + html.EscapeString(msg) + "</span>",
		Time:    strconv.FormatInt(f.firedAt, 10),
		Event:   f.ev.Sensor.ID + ":" + strconv.FormatInt(f.ev.Time, 10),
		Value:   f.ev.Value, Actions: f.results,
	})
	e.inflight.Add(-1)
}

// recordedDetail describes an e-mail, SMS or actuator action, which the
// sandbox records instead of performing.
func recordedDetail(a compiledAction, f *firing) string {
	str := func(k string) string { s, _ := a.params[k].(string); return s }
	switch a.agent {
	case "email":
		return fmt.Sprintf("recorded, not sent: e-mail to %s, subject %q", str("to"), fillPlaceholders(str("subject"), f))
	case "sms":
		return fmt.Sprintf("recorded, not sent: SMS to %s: %q", str("to"), fillPlaceholders(str("message"), f))
	case "actuator":
		cmd := ""
		if c, ok := a.params["command"].(map[string]any); ok {
			cmd, _ = c["cmd"].(string)
		}
		var targets []string
		if t, ok := a.params["target"].(map[string]any); ok {
			targets = ruleStrings(t["sensors"])
			if len(targets) == 0 {
				id, _ := t["id"].(string)
				targets = []string{id}
			}
		}
		return fmt.Sprintf("recorded, not sent: %s %s on %s", a.typ, cmd, strings.Join(targets, ","))
	}
	return "recorded"
}

// fillPlaceholders expands the e-mail placeholders of §5.14.
func fillPlaceholders(s string, f *firing) string {
	return strings.NewReplacer(
		"{{value}}", f.ev.Value,
		"{{triggerSensor}}", f.ev.Sensor.ID,
		"{{triggerGateway}}", f.ev.Sensor.GatewayID,
		"{{triggerCondition}}", f.rule.trigger.Describe(),
	).Replace(s)
}

// push queues a dataPush on its destination's lane; it never blocks.
func (e *engine) push(f *firing, i int, rawURL string) {
	fail := func(detail string) {
		e.pushLost.Add(1)
		e.pushFailed.Add(1)
		f.results[i].Success, f.results[i].Detail = "n", detail
		f.done()
	}
	lane := e.lane(pushHost(rawURL))
	if lane == nil {
		fail("dropped: too many push destinations")
		return
	}
	select {
	case lane.qs[shardOf(f.ev.Sensor.ID, len(lane.qs))] <- pushJob{f: f, i: i, url: rawURL}:
	default:
		e.warnf("dataPush queue full for a destination: push dropped")
		fail(pushDetailQueueFull)
	}
}

func pushHost(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// lane returns the destination's lane, starting it on first use.
func (e *engine) lane(host string) *pushLane {
	e.lanesMu.Lock()
	defer e.lanesMu.Unlock()
	if l, ok := e.lanes[host]; ok {
		return l
	}
	if len(e.lanes) >= maxPushLanes || e.ctx.Err() != nil {
		return nil
	}
	l := &pushLane{}
	e.lanes[host] = l
	for range pushWorkersPerLane {
		q := make(chan pushJob, pushLaneQueue)
		l.qs = append(l.qs, q)
		e.ra.s.goBackground(func(stop <-chan struct{}) {
			for {
				select {
				case <-stop:
					return
				case j := <-q:
					ok, detail := false, pushDetailSkipped
					if time.Now().UnixNano() >= l.openedUntil.Load() {
						var answered bool
						ok, answered, detail = e.doPush(j)
						l.record(answered)
					}
					if ok {
						e.pushOK.Add(1)
						j.f.results[j.i].Success = "y"
					} else {
						e.pushFailed.Add(1)
						j.f.results[j.i].Success = "n"
					}
					j.f.results[j.i].Detail = detail
					j.f.done()
				}
			}
		})
	}
	return l
}

// record notes whether the destination answered, opening the lane for
// pushCoolOff after pushTripAfter silent failures in a row.
func (l *pushLane) record(answered bool) {
	if answered {
		l.failsInRow.Store(0)
		return
	}
	if l.failsInRow.Add(1) >= pushTripAfter {
		// Stay one failure away from tripping: after the cool-off a single
		// unanswered push opens the lane again.
		l.failsInRow.Store(pushTripAfter - 1)
		l.openedUntil.Store(time.Now().Add(pushCoolOff).UnixNano())
	}
}

// doPush POSTs the DataPushBody: ok is a 2xx answer, answered any HTTP
// answer. The detail never contains the URL (it may carry a webhook key).
func (e *engine) doPush(j pushJob) (ok, answered bool, detail string) {
	f := j.f
	body, _ := json.Marshal(DataPushBody{
		Event:    strconv.FormatInt(f.id, 10),
		Rule:     DataPushRule{ID: f.rule.id, Name: f.rule.str("name")},
		Severity: f.rule.str("severity"),
		Gateway:  f.ev.Sensor.GatewayID,
		Sensor:   f.ev.Sensor.ID,
		Value:    f.ev.Value,
		Time:     f.ev.Time,
		Trigger:  f.rule.trigger.Method,
	})
	timeout := time.Duration(e.pushTimeout.Load())
	ctx, cancel := context.WithTimeout(e.ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, j.url, bytes.NewReader(body))
	if err != nil {
		return false, true, "invalid URL"
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "thingplus-sandbox-rule-engine")
	resp, err := e.ra.s.opts.PushClient.Do(req)
	if err != nil {
		detail := pushErrorClass(err)
		e.ra.s.log.Debug("dataPush failed", "rule", f.rule.id, "host", pushHost(j.url), "error", detail)
		return false, errors.Is(err, context.Canceled), detail
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	return resp.StatusCode >= 200 && resp.StatusCode < 300, true, "HTTP " + strconv.Itoa(resp.StatusCode)
}

// pushErrorClass names a client error without its URL.
func pushErrorClass(err error) string {
	var ne net.Error
	var oe *net.OpError
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "cancelled: sandbox closing"
	case errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.As(err, &oe):
		return "network error: " + oe.Op
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return "request failed: " + ruleClip(ue.Err.Error(), 120)
	}
	return "request failed"
}
