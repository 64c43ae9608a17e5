package sandbox

import (
	"net/http"
	"strconv"
	"testing"
	"time"
)

func TestTimelines(t *testing.T) {
	e := rtNew(t, nil)
	s := rtSensor("gw-0-temperature", "gw", "temperature")
	warn := e.create(rtRule("warn", s.ID, s.GatewayID, rtOver(0), rtEmail("a@b.c")))
	fatal := rtRule("fatal", s.ID, s.GatewayID, rtOver(10), rtEmail("a@b.c"))
	fatal["severity"] = "fatal"
	fatalID := e.create(fatal)
	for _, v := range []string{"1", "11", "2", "12"} { // warn ×4, fatal ×2
		e.send(s, v)
		e.idle() // one value at a time: ids follow the value order
	}

	r := e.do("GET", "/v2/timelines", e.tok1, nil)
	e.wantStatus(r, http.StatusOK)
	if r.env["_meta"] != nil {
		t.Fatalf("_meta without a query: %s", r.raw)
	}
	all := e.timeline("")
	if len(all) != 6 {
		t.Fatalf("%d entries, want 6", len(all))
	}
	ids := make([]int, len(all))
	for i, en := range all {
		ids[i], _ = strconv.Atoi(en["id"].(string))
		if i > 0 && ids[i] >= ids[i-1] {
			t.Fatalf("not newest first: %v", ids)
		}
		if _, ok := en["time"].(string); !ok {
			t.Fatalf("time %T, want string", en["time"])
		}
	}
	if all[0]["value"] != "12" || all[len(all)-1]["value"] != "1" {
		t.Fatalf("values newest first: %v … %v", all[0]["value"], all[len(all)-1]["value"])
	}

	// maxId is inclusive, sinceId exclusive.
	mid := strconv.Itoa(ids[2])
	got := e.timeline("?maxId=" + mid)
	if len(got) != 4 || got[0]["id"] != mid {
		t.Fatalf("maxId=%s: %d entries, first %v", mid, len(got), got[0]["id"])
	}
	got = e.timeline("?sinceId=" + mid)
	if len(got) != 2 || got[1]["id"] != strconv.Itoa(ids[1]) {
		t.Fatalf("sinceId=%s: %v", mid, got)
	}
	got = e.timeline("?maxId=" + strconv.Itoa(ids[1]) + "&sinceId=" + strconv.Itoa(ids[4]))
	if len(got) != 3 {
		t.Fatalf("window: %d entries, want 3", len(got))
	}
	if got := e.timeline("?maxId=0"); len(got) != 0 {
		t.Fatalf("maxId with no match: %v", got)
	}
	r = e.do("GET", "/v2/timelines?maxId="+mid+"&sinceId=0&count=2", e.tok1, nil)
	meta, _ := r.env["_meta"].(map[string]any)
	if meta["maxId"] != mid || meta["sinceId"] != "0" || meta["count"] != float64(2) || meta["total"] != float64(4) {
		t.Fatalf("_meta %v", meta)
	}

	// filter[severity], filter[rule], count, oldest first.
	got = e.timeline("?filter[severity]=fatal")
	if len(got) != 2 || got[0]["rule"].(map[string]any)["id"] != fatalID || got[0]["severity"] != "fatal" {
		t.Fatalf("filter[severity]=fatal: %v", got)
	}
	if got := e.timeline("?filter[severity]=fatal&filter[severity]=warning"); len(got) != 6 {
		t.Fatalf("severity OR: %d", len(got))
	}
	if got := e.timeline("?filter[rule]=" + warn + "&count=3"); len(got) != 3 || got[0]["value"] != "12" {
		t.Fatalf("filter[rule]&count: %v", got)
	}
	if got := e.timeline("?orderBy=id&orderDir=asc&count=1"); got[0]["value"] != "1" {
		t.Fatalf("oldest first: %v", got)
	}
	for _, q := range []string{"?maxId=x", "?sinceId=-1", "?filter[severity]=critical", "?count=0", "?filter[sensor]=x"} {
		e.wantError(e.do("GET", "/v2/timelines"+q, e.tok1, nil), 400, "SCHEMA_VALIDATE")
	}

	// One entry; another user's is 403, a missing one 404.
	one := e.do("GET", "/v2/timelines/"+mid, e.tok1, nil)
	e.wantStatus(one, 200)
	if one.data()["id"] != mid || one.data()["rule"] == nil {
		t.Fatalf("GET one %s", one.raw)
	}
	e.wantError(e.do("GET", "/v2/timelines/"+mid, e.tok2, nil), 403, "ACCESSGROUP_DENY")
	e.wantError(e.do("GET", "/v2/timelines/999999", e.tok1, nil), 404, "NOT_FOUND")
	if r := e.do("GET", "/v2/timelines", e.tok2, nil); r.status != 200 || len(r.list()) != 0 || string(r.raw) == "" {
		t.Fatalf("user 2 timeline %d %s", r.status, r.raw)
	}
	if r := e.do("GET", "/v2/timelines", "", nil); r.status != 401 {
		t.Fatalf("no token: %d", r.status)
	}
}

func TestTimelineStoreBounded(t *testing.T) {
	ts := newTimelineStore()
	var late int64
	for i := range maxTimelinePerUser + 10 {
		id := ts.reserveID()
		if i == maxTimelinePerUser-5 {
			late = id // written last, as a slow push's entry is
			continue
		}
		ts.add(&TimelineEntry{ID: strconv.FormatInt(id, 10), idNum: id, user: "1"})
	}
	ts.add(&TimelineEntry{ID: strconv.FormatInt(late, 10), idNum: late, user: "1"})
	list := ts.forUser("1")
	if len(list) != maxTimelinePerUser {
		t.Fatalf("%d entries kept, want %d", len(list), maxTimelinePerUser)
	}
	for i := 1; i < len(list); i++ {
		if list[i].idNum >= list[i-1].idNum {
			t.Fatalf("not in id order at %d", i)
		}
	}
	if _, ok := ts.byID["1"]; ok || len(ts.byID) != maxTimelinePerUser {
		t.Fatalf("byID holds %d entries (oldest kept: %v)", len(ts.byID), ok)
	}
}

func TestPushLaneBreaker(t *testing.T) {
	l := &pushLane{}
	open := func() bool { return time.Now().UnixNano() < l.openedUntil.Load() }
	for range pushTripAfter - 1 {
		l.record(false)
	}
	if open() {
		t.Fatal("open before pushTripAfter failures")
	}
	l.record(false)
	if !open() {
		t.Fatal("not open after pushTripAfter failures")
	}
	l.openedUntil.Store(0) // cool-off over
	l.record(false)
	if !open() {
		t.Fatal("one more failure after the cool-off must re-open")
	}
	l.openedUntil.Store(0)
	l.record(true)
	l.record(false)
	if open() || l.failsInRow.Load() != 1 {
		t.Fatalf("an answer must reset the count (open %v, fails %d)", open(), l.failsInRow.Load())
	}
}
