package sandbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestEngineDataPushBody(t *testing.T) {
	e := rtNew(t, nil)
	rc := rtNewReceiver(t, http.StatusNoContent)
	temp := rtSensor("b827ebd0a002-0-temperature", "b827ebd0a002", "temperature")
	id := e.create(rtRule("Hot <b>", temp.ID, temp.GatewayID, rtOver(30), rtPush(rc.srv.URL+"/hook?key=secret")))

	e.send(temp, "12", "31.5")
	e.idle()
	got := rc.waitFor(t, 1, 5*time.Second)
	if len(got) != 1 {
		t.Fatalf("%d pushes, want 1 (12 is not over 30)", len(got))
	}
	req := got[0]
	if req.method != "POST" || req.path != "/hook" || req.query != "key=secret" || req.contentType != "application/json" {
		t.Fatalf("push request %+v", req)
	}
	var body DataPushBody
	dec := json.NewDecoder(bytes.NewReader(req.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		t.Fatalf("body %s: %v", req.body, err)
	}
	var raw map[string]any
	_ = json.Unmarshal(req.body, &raw)
	if _, ok := raw["time"].(float64); !ok {
		t.Fatalf("time is %T, want a number", raw["time"])
	}
	tl := e.timeline("")
	if len(tl) != 1 {
		t.Fatalf("%d timeline entries, want 1", len(tl))
	}
	entry := tl[0]
	want := DataPushBody{Event: entry["id"].(string), Rule: DataPushRule{ID: id, Name: "Hot <b>"}, Severity: "warning",
		Gateway: temp.GatewayID, Sensor: temp.ID, Value: "31.5", Time: body.Time, Trigger: "over"}
	if body != want || body.Time <= 0 {
		t.Fatalf("body %+v, want %+v", body, want)
	}
	rule := entry["rule"].(map[string]any)
	node := entry["node"].([]any)[0].(map[string]any)
	if entry["success"] != "y" || entry["value"] != "31.5" || entry["type"] != "sensorValue" || entry["checked"] != "n" ||
		entry["severity"] != "warning" || rule["id"] != id || rule["what"] != "dataPush" || rule["when"] != "temperature" ||
		node["type"] != "sensor" || node["id"] != temp.ID || !strings.HasPrefix(entry["event"].(string), temp.ID+":") {
		t.Fatalf("timeline entry %v", entry)
	}
	if msg := entry["message"].(string); !strings.Contains(msg, "Hot &lt;b&gt;") || strings.Contains(msg, "<b>") {
		t.Fatalf("message not escaped: %q", msg)
	}
	acts := entry["actions"].([]any)
	if a := acts[0].(map[string]any); a["success"] != "y" || a["detail"] != "HTTP 204" {
		t.Fatalf("action outcome %v", a)
	}
	if strings.Contains(fmt.Sprint(entry), "secret") {
		t.Fatal("timeline leaks the push URL's key")
	}
}

func TestEngineSeededDoorRules(t *testing.T) {
	rc := rtNewReceiver(t, http.StatusNoContent)
	e := rtNew(t, rtPushURL(rc.srv.URL))
	door := SensorInfo{ID: "b827ebd0a001-2-door3", Name: "Car 2 door 3", Type: "countEvent", GatewayID: "b827ebd0a001", OwnerUserID: "1"}
	e.send(door, "1", "1", "-1")
	e.idle()
	got := rc.waitFor(t, 3, 5*time.Second)
	paths := []string{got[0].path, got[1].path, got[2].path}
	want := "/api/trigger/b827ebd0a001-2-door3/"
	if paths[0] != want+"IN" || paths[1] != want+"IN" || paths[2] != want+"OUT" || got[0].query != "key=k3y" {
		t.Fatalf("pushes %v", got)
	}
	// The same door id on another owner's sensor fires nothing of user 1.
	door.OwnerUserID = "2"
	e.send(door, "1")
	e.idle()
	if n := len(rc.received()); n != 3 {
		t.Fatalf("%d pushes after another owner's value, want 3", n)
	}
	// Unknown owner: nothing fires.
	door.OwnerUserID = ""
	e.send(door, "1")
	e.idle()
	if n := len(e.timeline("")); n != 3 {
		t.Fatalf("%d timeline entries, want 3", n)
	}
}

func TestEngineChanged(t *testing.T) {
	e := rtNew(t, nil)
	a := rtSensor("gw-0-onoff", "gw", "onoff")
	b := rtSensor("gw-1-onoff", "gw", "onoff")
	c := rtSensor("gw-2-onoff", "gw", "onoff")
	changed := func(params map[string]any) map[string]any {
		return map[string]any{"id": "changed", "name": "Changed", "params": params}
	}
	fromTo := e.create(rtRule("0→1", a.ID, a.GatewayID, changed(map[string]any{"from": "0", "to": 1}), rtEmail("a@b.c")))
	toOnly := e.create(rtRule("→1", b.ID, b.GatewayID, changed(map[string]any{"to": "1"}), rtEmail("a@b.c")))
	anyChange := e.create(rtRule("any", c.ID, c.GatewayID, changed(map[string]any{}), rtEmail("a@b.c")))

	e.send(a, "1", "0", "1", "1", "0", "2", "1", "0", "1.0") // 0→1, then 0→1.0 (numerically equal)
	e.send(b, "1", "0", "1", "1", "2", "1")                  // first value has no previous
	e.send(c, "5", "5", "6", "6", "5")
	e.idle()
	count := func(id string) int {
		return len(e.timeline("?filter[rule]=" + id))
	}
	if n := count(fromTo); n != 2 {
		t.Errorf("changed 0→1 fired %d times, want 2", n)
	}
	if n := count(toOnly); n != 2 {
		t.Errorf("changed →1 fired %d times, want 2", n)
	}
	if n := count(anyChange); n != 2 {
		t.Errorf("changed (any) fired %d times, want 2", n)
	}
	if v := e.timeline("?filter[rule]=" + fromTo)[0]["value"]; v != "1.0" {
		t.Errorf("newest 0→1 value %v", v)
	}
}

func TestEngineOverUnderRange(t *testing.T) {
	e := rtNew(t, nil)
	s := rtSensor("gw-0-temperature", "gw", "temperature")
	over := e.create(rtRule("over", s.ID, s.GatewayID, rtOver("20"), rtEmail("a@b.c")))
	under := e.create(rtRule("under", s.ID, s.GatewayID, map[string]any{"id": "under", "params": map[string]any{"degree": -5}}, rtEmail("a@b.c")))
	rng := e.create(rtRule("range", s.ID, s.GatewayID, map[string]any{"id": "range", "params": map[string]any{"min": 0, "max": 10}}, rtEmail("a@b.c")))
	e.send(s, "20", "20.01", "-5", "-5.5", "0", "10", "10.5", "abc", "", "7")
	e.idle()
	for id, want := range map[string]int{over: 1, under: 1, rng: 3} {
		if n := len(e.timeline("?filter[rule]=" + id)); n != want {
			t.Errorf("rule %s fired %d times, want %d", id, n, want)
		}
	}
}

func TestEngineConditions(t *testing.T) {
	e := rtNew(t, nil)
	trig := rtSensor("gw-0-door", "gw", "countEvent")
	b := rtSensor("gw-0-temperature", "gw", "temperature")
	c := rtSensor("gw-0-humidity", "gw", "humidity")
	d := rtSensor("gw-0-co2", "gw", "co2")
	cond := func(s SensorInfo, method string, params map[string]any) map[string]any {
		params["target"] = map[string]any{"type": "gateway", "id": s.GatewayID, "sensors": []any{s.ID}}
		return map[string]any{"agent": "sensorValue", "type": s.Type, "method": map[string]any{"id": method, "params": params}}
	}
	body := rtRule("cond", trig.ID, trig.GatewayID, rtOver(0), rtEmail("a@b.c"))
	body["conditions"] = []any{
		[]any{cond(b, "over", map[string]any{"degree": 10}), cond(c, "under", map[string]any{"degree": 5})}, // B>10 AND C<5
		[]any{cond(d, "over", map[string]any{"degree": 100})},                                               // OR D>100
	}
	id := e.create(body)
	fired := func() int { return len(e.timeline("?filter[rule]=" + id)) }
	step := func(s SensorInfo, v string) {
		e.send(s, v)
		e.idle()
	}

	step(trig, "1") // no condition sensor has a value yet
	if n := fired(); n != 0 {
		t.Fatalf("fired %d times without condition values", n)
	}
	step(b, "20")
	step(c, "9")
	step(trig, "1") // B ok, C not: first group false; D unknown
	if n := fired(); n != 0 {
		t.Fatalf("fired with C=9: %d", n)
	}
	step(c, "1")
	step(trig, "1") // first group true
	if n := fired(); n != 1 {
		t.Fatalf("AND group: fired %d, want 1", n)
	}
	step(b, "3")
	step(trig, "1") // first group false again
	if n := fired(); n != 1 {
		t.Fatalf("after B=3: fired %d, want 1", n)
	}
	step(d, "200")
	step(trig, "1") // second group true: OR
	if n := fired(); n != 2 {
		t.Fatalf("OR group: fired %d, want 2", n)
	}
	step(trig, "0") // the trigger itself must hold
	if n := fired(); n != 2 {
		t.Fatalf("trigger false: fired %d, want 2", n)
	}

	// A condition without target is checked on the firing value; an empty group is true.
	body = rtRule("self", trig.ID, trig.GatewayID, rtOver(0), rtEmail("a@b.c"))
	body["conditions"] = []any{[]any{map[string]any{"agent": "sensorValue", "type": "countEvent",
		"method": map[string]any{"id": "under", "params": map[string]any{"degree": 5}}}}}
	self := e.create(body)
	body["conditions"] = []any{[]any{cond(b, "over", map[string]any{"degree": 1000})}, []any{}}
	emptyGroup := e.create(body)
	step(trig, "3")
	step(trig, "7")
	if n := len(e.timeline("?filter[rule]=" + self)); n != 1 {
		t.Fatalf("self condition fired %d, want 1", n)
	}
	if n := len(e.timeline("?filter[rule]=" + emptyGroup)); n != 2 {
		t.Fatalf("empty group fired %d, want 2", n)
	}
}

func TestEngineInactiveRulesNeverFire(t *testing.T) {
	e := rtNew(t, nil)
	temp := rtSensor("b827ebd0a002-0-temperature", "b827ebd0a002", "temperature")
	hum := rtSensor("b827ebd0a002-0-humidity", "b827ebd0a002", "humidity")
	e.send(temp, "40", "45") // seeded template: over 30
	e.send(hum, "90", "95")  // seeded deactivated rule: over 80
	e.idle()
	if tl := e.timeline(""); len(tl) != 0 {
		t.Fatalf("template or deactivated rule fired: %v", tl)
	}
	// Switching the deactivated rule on makes it fire; its e-mail is recorded, not sent.
	e.wantStatus(e.do("PUT", "/v2/rules/2", e.tok1, map[string]any{"status": "activated"}), 200)
	e.send(hum, "91")
	e.idle()
	tl := e.timeline("")
	if len(tl) != 1 || tl[0]["success"] != "y" || tl[0]["rule"].(map[string]any)["what"] != "email" {
		t.Fatalf("activated rule: %v", tl)
	}
	detail := tl[0]["actions"].([]any)[0].(map[string]any)["detail"].(string)
	if !strings.Contains(detail, "not sent") || !strings.Contains(detail, "demo@example.com") {
		t.Fatalf("e-mail detail %q", detail)
	}
	// A template stays silent even when activated; a deleted rule is gone.
	e.wantStatus(e.do("DELETE", "/v2/rules/2", e.tok1, nil), 204)
	e.send(hum, "99")
	e.send(temp, "50")
	e.idle()
	if n := len(e.timeline("")); n != 1 {
		t.Fatalf("%d entries after delete, want 1", n)
	}
}

func TestEngineRecordsActionsInOrder(t *testing.T) {
	e := rtNew(t, nil)
	rc := rtNewReceiver(t, http.StatusOK)
	s := rtSensor("gw-0-temperature", "gw", "temperature")
	body := rtRule("all", s.ID, s.GatewayID, rtOver(0), rtEmail("x@y.z"))
	body["actions"] = []any{
		[]any{rtEmail("x@y.z"), map[string]any{"agent": "sms", "type": "sms", "method": map[string]any{"id": "send", "params": map[string]any{"to": "010", "message": "v={{value}}"}}}},
		[]any{map[string]any{"agent": "actuator", "type": "led", "method": map[string]any{"id": "led", "params": map[string]any{
			"command": map[string]any{"cmd": "blink"}, "target": map[string]any{"type": "gateway", "id": "gw", "sensors": []any{"gw-0-led"}}}}}, rtPush(rc.srv.URL)},
	}
	e.create(body)
	e.send(s, "4")
	e.idle()
	tl := e.timeline("")
	if len(tl) != 1 || tl[0]["success"] != "y" || tl[0]["rule"].(map[string]any)["what"] != "email,sms,actuator,dataPush" {
		t.Fatalf("entry %v", tl)
	}
	var details []string
	for _, a := range tl[0]["actions"].([]any) {
		details = append(details, a.(map[string]any)["detail"].(string))
	}
	if !strings.Contains(details[0], `"4 at gw-0-temperature"`) || !strings.Contains(details[1], `"v=4"`) ||
		!strings.Contains(details[2], "led blink on gw-0-led") || details[3] != "HTTP 200" {
		t.Fatalf("details %q", details)
	}
}

func TestEnginePushFailuresAreRecorded(t *testing.T) {
	e := rtNew(t, nil)
	e.sb.rules.engine.pushTimeout.Store(int64(200 * time.Millisecond))
	fail := rtNewReceiver(t, http.StatusInternalServerError)
	redirect := rtNewReceiver(t, http.StatusMovedPermanently)
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL
	closed.Close()
	s := rtSensor("gw-0-temperature", "gw", "temperature")
	ids := map[string]string{
		e.create(rtRule("500", s.ID, s.GatewayID, rtOver(0), rtPush(fail.srv.URL))):                  "HTTP 500",
		e.create(rtRule("301", s.ID, s.GatewayID, rtOver(0), rtPush(redirect.srv.URL))):              "HTTP 301",
		e.create(rtRule("refused", s.ID, s.GatewayID, rtOver(0), rtPush(closedURL+"?key=k"))):        "network error: dial",
		e.create(rtRule("mixed", s.ID, s.GatewayID, rtOver(0), rtEmail("a@b.c"), rtPush(closedURL))): "network error: dial",
	}
	e.send(s, "1")
	e.idle()
	for id, want := range ids {
		tl := e.timeline("?filter[rule]=" + id)
		if len(tl) != 1 || tl[0]["success"] != "n" {
			t.Fatalf("rule %s: %v", id, tl)
		}
		acts := tl[0]["actions"].([]any)
		if d := acts[len(acts)-1].(map[string]any)["detail"]; d != want {
			t.Errorf("rule %s detail %q, want %q", id, d, want)
		}
	}
	if n := len(e.timeline("?filter[success]=n")); n != 4 {
		t.Fatalf("filter[success]=n: %d", n)
	}
}

// TestEngineHangingTargetDoesNotStall: one rule pushes to a target that never
// answers, another to a healthy one; N values must all reach the healthy
// target quickly, the simulator side must never block, and every hanging
// push ends up in the timeline as a failure.
func TestEngineHangingTargetDoesNotStall(t *testing.T) {
	const n = 200
	e := rtNew(t, nil)
	e.sb.rules.engine.pushTimeout.Store(int64(150 * time.Millisecond))
	release := make(chan struct{})
	var hung atomic.Int64
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hung.Add(1)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() {
		close(release)
		hang.Close()
	})
	good := rtNewReceiver(t, http.StatusNoContent)
	s := rtSensor("gw-0-door", "gw", "countEvent")
	slow := e.create(rtRule("to hanging target", s.ID, s.GatewayID, rtOver(0), rtPush(hang.URL)))
	fast := e.create(rtRule("to healthy target", s.ID, s.GatewayID, rtOver(0), rtPush(good.srv.URL)))

	start := time.Now()
	var worst time.Duration
	for range n {
		t0 := time.Now()
		e.send(s, "1")
		worst = max(worst, time.Since(t0))
	}
	enqueue := time.Since(start)
	good.waitFor(t, n, 5*time.Second)
	delivered := time.Since(start)
	t.Logf("%d values: enqueued in %v (slowest %v); healthy target got all %d pushes after %v; hanging target saw %d requests",
		n, enqueue, worst, n, delivered, hung.Load())
	if worst > 50*time.Millisecond {
		t.Errorf("seriesArrived blocked for %v", worst)
	}
	if delivered > 3*time.Second {
		t.Errorf("healthy pushes took %v while a target hangs", delivered)
	}

	e.idle()
	t.Logf("all timeline entries written after %v; stats %+v", time.Since(start), e.sb.rules.engine.stats())
	slowEntries := e.timeline("?filter[rule]=" + slow)
	fastEntries := e.timeline("?filter[rule]=" + fast)
	if len(slowEntries) != n || len(fastEntries) != n {
		t.Fatalf("entries: hanging %d, healthy %d, want %d each", len(slowEntries), len(fastEntries), n)
	}
	kinds := map[string]int{}
	for _, en := range slowEntries {
		if en["success"] != "n" {
			t.Fatalf("hanging push recorded as success: %v", en)
		}
		kinds[en["actions"].([]any)[0].(map[string]any)["detail"].(string)]++
	}
	t.Logf("hanging target outcomes: %v", kinds)
	if kinds["timeout"] < pushTripAfter || kinds["timeout"]+kinds[pushDetailSkipped] != n {
		t.Fatalf("hanging outcomes %v", kinds)
	}
	for _, en := range fastEntries {
		if en["success"] != "y" {
			t.Fatalf("healthy push failed: %v", en)
		}
	}
}

func TestEngineQueueFullDropsWithoutBlocking(t *testing.T) {
	e := rtNew(t, nil)
	// An engine that is not started: nothing drains its queues.
	eng := newEngine(e.sb.rules)
	s := rtSensor("gw-0-door", "gw", "countEvent")
	start := time.Now()
	for range 2000 {
		eng.enqueue(SeriesEvent{Sensor: s, Value: "1"})
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("2000 enqueues took %v", d)
	}
	st := eng.stats()
	if st.Received != 2000 || st.Dropped != 2000-engineShardQueue {
		t.Fatalf("stats %+v, want %d dropped", st, 2000-engineShardQueue)
	}
}

func TestEngineCloseAbortsPushes(t *testing.T) {
	e := rtNew(t, nil)
	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer hang.Close()
	defer close(release)
	s := rtSensor("gw-0-door", "gw", "countEvent")
	e.create(rtRule("hang", s.ID, s.GatewayID, rtOver(0), rtPush(hang.URL)))
	e.send(s, "1", "1", "1")
	deadline := time.Now().Add(2 * time.Second)
	for e.sb.rules.engine.stats().Processed < 3 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	start := time.Now()
	e.sb.Close()
	if d := time.Since(start); d > time.Second {
		t.Fatalf("Close took %v with pushes in flight", d)
	}
}

// TestEngineFiresOnSeriesPut: a value PUT through the sandbox API (the
// devices area's series route) fires the seeded door rule, and the push
// carries the sensor's gateway. Skips while the devices area has no series route.
func TestEngineFiresOnSeriesPut(t *testing.T) {
	rc := rtNewReceiver(t, http.StatusNoContent)
	e := rtNew(t, rtPushURL(rc.srv.URL))
	path := "/v2/gateways/b827ebd0a001/sensors/b827ebd0a001-3-door4/series"
	at := time.Now().Add(time.Minute).UnixMilli()
	r := e.do("PUT", path, e.tok1, map[string]any{"value": "1", "time": at})
	if r.status == http.StatusNotFound || r.status == http.StatusMethodNotAllowed {
		t.Skipf("no series route yet: %d %s", r.status, r.raw)
	}
	e.wantStatus(r, http.StatusOK)
	e.wantStatus(e.do("PUT", path, e.tok1, []any{map[string]any{"value": "-1", "time": at + 1}}), http.StatusOK)
	got := rc.waitFor(t, 2, 5*time.Second)
	var first, second DataPushBody
	_ = json.Unmarshal(got[0].body, &first)
	_ = json.Unmarshal(got[1].body, &second)
	if got[0].path != "/api/trigger/b827ebd0a001-3-door4/IN" || got[1].path != "/api/trigger/b827ebd0a001-3-door4/OUT" ||
		first.Gateway != "b827ebd0a001" || first.Value != "1" || first.Time != at || first.Rule.Name != "Car 3 door 4 IN" ||
		second.Value != "-1" || second.Trigger != "under" {
		t.Fatalf("pushes %v / %+v / %+v", got, first, second)
	}
	e.idle()
	if tl := e.timeline(""); len(tl) != 2 || tl[0]["success"] != "y" {
		t.Fatalf("timeline %v", tl)
	}
}
