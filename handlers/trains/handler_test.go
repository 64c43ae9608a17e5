package trains

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/gin-gonic/gin"

	"github.com/thingplus/thingplus-webapp/handlers/web"
	"github.com/thingplus/thingplus-webapp/thingplus"
	"github.com/thingplus/thingplus-webapp/trains"
	"github.com/thingplus/thingplus-webapp/views/text"
)

const testKey = "test-webhook-key-0123456789abcdef"

type env struct {
	t      testing.TB
	store  *trains.Store
	h      *Handler
	srv    *httptest.Server
	dir    string
	routes gin.RoutesInfo
	users  map[string]testUser // by X-Test-User value
}

// testUser is a signed-in account as the auth layer would load it.
type testUser struct {
	user  thingplus.User
	token string
}

type fakeWirer struct {
	mu    sync.Mutex
	calls []string
	err   error
}

func (f *fakeWirer) WireDoor(_ context.Context, token, tz, sensor, in, out string, _ Journal) (WireResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, strings.Join([]string{token, tz, sensor, in, out}, " "))
	return WireResult{Created: []string{"IN", "OUT"}}, f.err
}

func (f *fakeWirer) Repoint(context.Context, string, func(string) (string, bool), Journal) (int, error) {
	return 0, nil
}

type fakeSensors []SensorChoice

func (f fakeSensors) DoorSensors(context.Context, string) ([]SensorChoice, error) { return f, nil }

func newEnv(t testing.TB, mod func(*Deps, *Config)) *env {
	t.Helper()
	return newEnvTimeouts(t, mod, 30*time.Second)
}

// newEnvTimeouts sets the server's read and write timeouts (the SSE test
// uses short ones: the stream must outlive them).
func newEnvTimeouts(t testing.TB, mod func(*Deps, *Config), timeout time.Duration) *env {
	t.Helper()
	return newEnvStore(t, mod, timeout, trains.Options{})
}

// newEnvStore is newEnvTimeouts with store options (fake clocks).
func newEnvStore(t testing.TB, mod func(*Deps, *Config), timeout time.Duration, opt trains.Options) *env {
	t.Helper()
	gin.SetMode(gin.TestMode)
	dir := t.TempDir()
	st, err := trains.Open(context.Background(), dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	users := map[string]testUser{
		"1": {thingplus.User{ID: "1", LoginID: "demo", Nickname: "Demo", Timezone: "+9.00"}, "token-1"},
		"2": {thingplus.User{ID: "2", LoginID: "other", Nickname: "Other", Timezone: "+9.00"}, "token-2"},
	}
	d := Deps{Store: st}
	cfg := Config{PublicURL: "http://localhost:3000/", WebhookKey: testKey, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Location: time.UTC}
	if mod != nil {
		mod(&d, &cfg)
	}
	h := New(d, cfg)
	r := gin.New()
	r.ContextWithFallback = true // as the app's routes: the language rides on the request's context
	// A signed-in session is simulated by a header, as the auth layer
	// would set the user from the session cookie.
	loadUser := func(c *gin.Context) {
		if l, ok := text.ParseLang(c.GetHeader("X-Test-Lang")); ok { // as the language middleware would
			c.Request = c.Request.WithContext(text.WithLang(c.Request.Context(), l))
		}
		if u, ok := users[c.GetHeader("X-Test-User")]; ok {
			web.SetSignedIn(c, u.user, u.token)
		}
		c.Next()
	}
	requireUser := func(c *gin.Context) {
		if _, ok := web.UserOf(c); !ok {
			web.Redirect(c, "/auth/login")
			c.Abort()
			return
		}
		c.Next()
	}
	public := r.Group("/")
	authed := r.Group("/", loadUser, requireUser)
	h.cfg.OptionalUser = loadUser
	h.Register(r, public, authed)
	srv := httptest.NewUnstartedServer(r)
	srv.Config.ReadTimeout, srv.Config.WriteTimeout, srv.Config.IdleTimeout = timeout, timeout, time.Minute
	srv.Start()
	e := &env{t: t, store: st, h: h, srv: srv, dir: dir, routes: r.Routes(), users: users}
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
		st.Close()
	})
	return e
}

type req struct {
	method, path, body, ctype string
	user, htmx                bool
	as                        string // X-Test-User: "1" demo (also user: true), "2" other
	header                    map[string]string
}

func (e *env) do(r req) (*http.Response, string) {
	e.t.Helper()
	var body io.Reader
	if r.body != "" {
		body = strings.NewReader(r.body)
	}
	hr, err := http.NewRequest(r.method, e.srv.URL+r.path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if r.ctype != "" {
		hr.Header.Set("Content-Type", r.ctype)
	}
	if r.user {
		hr.Header.Set("X-Test-User", "1")
	}
	if r.as != "" {
		hr.Header.Set("X-Test-User", r.as)
	}
	if r.htmx {
		hr.Header.Set("HX-Request", "true")
	}
	for k, v := range r.header {
		hr.Header.Set(k, v)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(hr)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func (e *env) count(car int64) int {
	e.t.Helper()
	c, err := e.store.Car(context.Background(), car)
	if err != nil {
		e.t.Fatal(err)
	}
	return c.Count
}

func sensor(car, door int) string { return trains.SeedSensorID(car, door) }

func TestWebhookStatuses(t *testing.T) {
	e := newEnv(t, nil)
	k := "?key=" + testKey
	big := `{"event":"` + strings.Repeat("x", MaxBody) + `"}`
	cases := []struct {
		name   string
		r      req
		status int
		count  int // car 2000 after the request
	}{
		{"IN by path", req{method: "POST", path: "/api/trigger/" + sensor(1, 1) + "/IN" + k}, 204, 1},
		{"lower-case type", req{method: "POST", path: "/api/trigger/" + sensor(1, 2) + "/in" + k}, 204, 2},
		{"OUT by path", req{method: "POST", path: "/api/trigger/" + sensor(1, 3) + "/OUT" + k}, 204, 1},
		{"key in header", req{method: "POST", path: "/api/trigger/" + sensor(1, 1) + "/IN", header: map[string]string{KeyHeader: testKey}}, 204, 2},
		{"JSON body", req{method: "POST", path: "/api/trigger" + k, ctype: "application/json", body: `{"sensorId":"` + sensor(1, 4) + `","type":"IN"}`}, 204, 3},
		{"form body", req{method: "POST", path: "/api/trigger" + k, ctype: "application/x-www-form-urlencoded", body: "sensorId=" + sensor(1, 4) + "&type=out"}, 204, 2},
		{"dataPush body", req{method: "POST", path: "/api/trigger/" + sensor(1, 1) + "/IN" + k, ctype: "application/json",
			body: `{"event":"tl-1","rule":{"id":"7","name":"Door"},"severity":"information","gateway":"b827ebd0a001","sensor":"` + sensor(1, 1) + `","value":"1","time":1700000000000,"trigger":"over"}`}, 204, 3},
		{"duplicate event", req{method: "POST", path: "/api/trigger/" + sensor(1, 1) + "/IN" + k, ctype: "application/json", body: `{"event":"tl-1"}`}, 204, 3},
		{"duplicate event, numeric id", req{method: "POST", path: "/api/trigger" + k, ctype: "application/json", body: `{"sensorId":"` + sensor(1, 1) + `","type":"IN","event":42}`}, 204, 4},
		{"duplicate numeric id again", req{method: "POST", path: "/api/trigger" + k, ctype: "application/json", body: `{"sensorId":"` + sensor(1, 1) + `","type":"IN","event":"42"}`}, 204, 4},
		{"unknown type", req{method: "POST", path: "/api/trigger/" + sensor(1, 1) + "/UP" + k}, 400, 4},
		{"RESET is not a push type", req{method: "POST", path: "/api/trigger/" + sensor(1, 1) + "/RESET" + k}, 400, 4},
		{"unknown sensor", req{method: "POST", path: "/api/trigger/nope-1-door1/IN" + k}, 400, 4},
		{"original integer sensor id", req{method: "POST", path: "/api/trigger" + k, ctype: "application/json", body: `{"sensorId":1,"type":"IN"}`}, 400, 4},
		{"body missing type", req{method: "POST", path: "/api/trigger" + k, ctype: "application/json", body: `{"sensorId":"` + sensor(1, 1) + `"}`}, 400, 4},
		{"malformed JSON body", req{method: "POST", path: "/api/trigger" + k, ctype: "application/json", body: `{"sensorId":`}, 400, 4},
		{"no key", req{method: "POST", path: "/api/trigger/" + sensor(1, 1) + "/IN"}, 401, 4},
		{"wrong key", req{method: "POST", path: "/api/trigger/" + sensor(1, 1) + "/IN?key=" + testKey + "x"}, 401, 4},
		{"wrong header key", req{method: "POST", path: "/api/trigger", header: map[string]string{KeyHeader: "nope"}, ctype: "application/json", body: `{"sensorId":"` + sensor(1, 1) + `","type":"IN"}`}, 401, 4},
		{"body over 64 KiB", req{method: "POST", path: "/api/trigger/" + sensor(1, 1) + "/IN" + k, ctype: "application/json", body: big}, 413, 4},
		{"GET is not a push", req{method: "GET", path: "/api/trigger/" + sensor(1, 1) + "/IN" + k}, 404, 4},
	}
	for _, c := range cases {
		resp, body := e.do(c.r)
		if resp.StatusCode != c.status {
			t.Errorf("%s: status %d (%q), want %d", c.name, resp.StatusCode, body, c.status)
		}
		if got := e.count(2000); got != c.count {
			t.Errorf("%s: count %d, want %d", c.name, got, c.count)
		}
	}
	// Every push is in the log with its outcome.
	evs, _ := e.store.Events(context.Background(), trains.EventFilter{Limit: 100})
	seen := map[trains.Outcome]int{}
	for _, ev := range evs {
		seen[ev.Outcome]++
	}
	want := map[trains.Outcome]int{trains.OutcomeApplied: 8, trains.OutcomeDuplicate: 2, trains.OutcomeBadKey: 3,
		trains.OutcomeUnknownSensor: 2, trains.OutcomeInvalid: 5}
	for o, n := range want {
		if seen[o] != n {
			t.Errorf("%s events: %d, want %d (all: %v)", o, seen[o], n, seen)
		}
	}
	for _, ev := range evs {
		if strings.Contains(ev.Reason+ev.EventKey+ev.SensorID, testKey) {
			t.Fatal("webhook key written to the log")
		}
	}
}

func TestWebhookChunkedBodyTooLarge(t *testing.T) {
	e := newEnv(t, nil)
	pr, pw := io.Pipe()
	go func() {
		pw.Write([]byte(`{"event":"`))
		for range 80 {
			pw.Write([]byte(strings.Repeat("y", 1024)))
		}
		pw.Write([]byte(`"}`))
		pw.Close()
	}()
	hr, _ := http.NewRequest("POST", e.srv.URL+"/api/trigger/"+sensor(1, 1)+"/IN?key="+testKey, pr)
	hr.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 413 || e.count(2000) != 0 {
		t.Fatalf("status %d, count %d", resp.StatusCode, e.count(2000))
	}
}

func TestWebhookConcurrency(t *testing.T) {
	e := newEnv(t, nil)
	const senders, each = 64, 40
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: senders}}
	post := func(path, body string) int {
		resp, err := client.Post(e.srv.URL+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Error(err)
			return 0
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	var ok204 atomic.Int64
	var wg sync.WaitGroup
	for s := range senders {
		wg.Go(func() {
			for i := range each {
				car, door := s%3+1, i%4+1
				// Every push is sent twice with the same event id (a retry): counted once.
				body := fmt.Sprintf(`{"event":"ev-%d-%d"}`, s, i)
				for range 2 {
					if post("/api/trigger/"+sensor(car, door)+"/IN?key="+testKey, body) == 204 {
						ok204.Add(1)
					}
				}
			}
		})
	}
	wg.Wait()
	if ok204.Load() != 2*senders*each {
		t.Fatalf("%d of %d pushes acknowledged", ok204.Load(), 2*senders*each)
	}
	sum := e.count(2000) + e.count(2001) + e.count(2002)
	if sum != senders*each {
		t.Fatalf("sum of counts %d, want %d (no lost or double counts)", sum, senders*each)
	}
	// OUTs in parallel, more than the cars hold: counts reach zero, never below.
	for s := range senders {
		wg.Go(func() {
			for i := range each + 10 {
				post(fmt.Sprintf("/api/trigger/%s/OUT?key=%s", sensor(s%3+1, i%4+1), testKey), "")
			}
		})
	}
	wg.Wait()
	for _, id := range []int64{2000, 2001, 2002} {
		if n := e.count(id); n != 0 {
			t.Fatalf("car %d = %d after more OUTs than INs", id, n)
		}
	}
	applied, _ := e.store.Events(context.Background(), trains.EventFilter{Outcome: trains.OutcomeApplied, Limit: 1000})
	clamped, _ := e.store.Events(context.Background(), trains.EventFilter{Outcome: trains.OutcomeClamped, Limit: 1000})
	if len(clamped) != senders*10 {
		t.Fatalf("%d clamped, want %d (applied rows seen: %d)", len(clamped), senders*10, len(applied))
	}
}

// sseReader reads events from a live stream.
type sseReader struct {
	resp *http.Response
	sc   *bufio.Scanner
}

type sseEvent struct {
	name, id, data string
	comment        bool
}

func (e *env) openStream(tab string) *sseReader {
	e.t.Helper()
	return e.openStreamAs("1", tab)
}

func (e *env) openStreamIn(tab string, lang text.Lang) *sseReader {
	e.t.Helper()
	return e.openStreamLang("1", tab, lang)
}

// openStreamAs opens a live stream as user ("1" demo, "2" other).
func (e *env) openStreamAs(user, tab string) *sseReader {
	e.t.Helper()
	return e.openStreamLang(user, tab, "")
}

func (e *env) openStreamLang(user, tab string, lang text.Lang) *sseReader {
	e.t.Helper()
	hr, _ := http.NewRequest("GET", e.srv.URL+"/trains/stream?tab="+tab, nil)
	hr.Header.Set("X-Test-Lang", string(lang))
	hr.Header.Set("Accept", "text/event-stream")
	hr.Header.Set("X-Test-User", user)
	resp, err := http.DefaultClient.Do(hr)
	if err != nil {
		e.t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		e.t.Fatalf("stream: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if ce := resp.Header.Get("Content-Encoding"); ce != "" {
		e.t.Fatalf("stream is encoded: %s", ce)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	return &sseReader{resp: resp, sc: sc}
}

// next returns the next event (or heartbeat comment), failing after d.
func (r *sseReader) next(t testing.TB, d time.Duration) sseEvent {
	t.Helper()
	ch := make(chan sseEvent, 1)
	go func() {
		var ev sseEvent
		var data []string
		for r.sc.Scan() {
			line := r.sc.Text()
			switch {
			case line == "":
				if ev.name != "" || ev.comment || len(data) > 0 {
					ev.data = strings.Join(data, "\n")
					ch <- ev
					return
				}
			case strings.HasPrefix(line, ":"):
				ev.comment = true
			case strings.HasPrefix(line, "event: "):
				ev.name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "id: "):
				ev.id = strings.TrimPrefix(line, "id: ")
			case strings.HasPrefix(line, "data: "):
				data = append(data, strings.TrimPrefix(line, "data: "))
			}
		}
		close(ch)
	}()
	select {
	case ev, ok := <-ch:
		if !ok {
			t.Fatal("stream ended")
		}
		return ev
	case <-time.After(d):
		t.Fatal("no event in time")
	}
	return sseEvent{}
}

// until reads events until one named name arrives.
func (r *sseReader) until(t testing.TB, name string) sseEvent {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if ev := r.next(t, time.Until(deadline)); ev.name == name {
			return ev
		}
	}
	t.Fatalf("no %s event", name)
	return sseEvent{}
}

func (r *sseReader) close() { r.resp.Body.Close() }

func doc(t testing.TB, html string) *goquery.Document {
	t.Helper()
	d, err := goquery.NewDocumentFromReader(strings.NewReader(html))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// Each stream gets the live fragments in its own language.
func TestStreamLanguages(t *testing.T) {
	e := newEnv(t, nil)
	ko, en := e.openStreamIn("tab-ko", text.Korean), e.openStreamIn("tab-en", text.English)
	defer ko.close()
	defer en.close()
	if !strings.Contains(ko.until(t, "snapshot").data, "여유") || !strings.Contains(en.until(t, "snapshot").data, "Spacious") {
		t.Fatal("snapshots not in the streams' languages")
	}
	if resp, _ := e.do(req{method: "POST", path: "/api/trigger/" + sensor(2, 1) + "/IN?key=" + testKey}); resp.StatusCode != 204 {
		t.Fatal(resp.Status)
	}
	level := func(s *sseReader) string {
		return doc(t, s.until(t, "car-2001").data).Find(`[data-testid="car-level"]`).Text()
	}
	if got := level(ko); got != "여유" {
		t.Errorf("Korean stream: level %q", got)
	}
	if got := level(en); got != "Spacious" {
		t.Errorf("English stream: level %q", got)
	}
}

func TestStream(t *testing.T) {
	e := newEnvTimeouts(t, func(_ *Deps, c *Config) { c.Heartbeat = 150 * time.Millisecond }, 400*time.Millisecond)
	s := e.openStream("tab-1")
	first := s.until(t, "snapshot")
	d := doc(t, first.data)
	if n := d.Find(`[data-testid="car"]`).Length(); n != 6 {
		t.Fatalf("snapshot has %d cars", n)
	}
	if d.Find(`[data-testid="train-name"]`).First().Text() != "신림-성수" {
		t.Fatal("snapshot lacks the Korean train name")
	}
	// A push reaches the stream as the changed car's fragment only.
	resp, _ := e.do(req{method: "POST", path: "/api/trigger/" + sensor(2, 1) + "/IN?key=" + testKey})
	if resp.StatusCode != 204 {
		t.Fatal(resp.Status)
	}
	ev := s.until(t, "car-2001")
	cd := doc(t, ev.data)
	live := cd.Find(`[data-testid="car-live"]`)
	if live.Length() != 1 || live.AttrOr("data-count", "") != "1" || live.AttrOr("sse-swap", "") != "car-2001" ||
		live.AttrOr("id", "") != "car-2001-live" || cd.Find(`[data-testid="car"]`).Length() != 0 {
		t.Fatalf("car event = %s", ev.data)
	}
	if cd.Find(`[data-testid="car-level"]`).Text() != "Spacious" {
		t.Fatalf("level text: %q", cd.Find(`[data-testid="car-level"]`).Text())
	}
	// The train's strip travels only when it changes: a push into car 1
	// leaves car 3 the only empty one, the roomiest. (An earlier strip
	// frame, still naming car 1, may come first.)
	if resp, _ := e.do(req{method: "POST", path: "/api/trigger/" + sensor(1, 1) + "/IN?key=" + testKey}); resp.StatusCode != 204 {
		t.Fatal(resp.Status)
	}
	sd := doc(t, s.until(t, "strip-1000").data)
	if sd.Find(`[data-testid="roomiest"]`).AttrOr("data-car", "") == "1" {
		sd = doc(t, s.until(t, "strip-1000").data)
	}
	if sd.Find(`[data-testid="strip-car"]`).Length() != 3 || sd.Find(`[data-testid="roomiest"]`).AttrOr("data-car", "") != "3" ||
		sd.Find(`#strip-1000[sse-swap="strip-1000"]`).Length() != 1 {
		t.Fatalf("strip event = %s", must(sd.Html()))
	}
	// Heartbeats keep the connection alive, past the server's read and
	// write timeouts (400 ms).
	beats := 0
	for deadline := time.Now().Add(time.Second); time.Now().Before(deadline); {
		switch hb := s.next(t, 2*time.Second); {
		case hb.comment:
			beats++
		case hb.name == "car-2000" || hb.name == "strip-1000":
			// the second push's frames, in either order
		default:
			t.Fatalf("want heartbeat, got %+v", hb)
		}
	}
	if beats < 3 {
		t.Fatalf("%d heartbeats in a second at 150 ms", beats)
	}
	// While the stream is open, polling for this tab answers 204.
	if resp, _ := e.do(req{method: "GET", path: "/trains/poll?tab=tab-1", user: true, htmx: true}); resp.StatusCode != 204 {
		t.Fatalf("poll with live stream: %d", resp.StatusCode)
	}
	// A structure change sends a snapshot.
	if err := e.store.RenameTrain(context.Background(), 1002, "2호선"); err != nil {
		t.Fatal(err)
	}
	snap := s.until(t, "snapshot")
	if !strings.Contains(snap.data, "2호선") {
		t.Fatal("snapshot after rename lacks the new name")
	}
	s.close()

	// Reconnect: the first event is a full snapshot with the current counts.
	e.do(req{method: "POST", path: "/api/trigger/" + sensor(2, 1) + "/IN?key=" + testKey})
	s2 := e.openStream("tab-1")
	defer s2.close()
	again := doc(t, s2.until(t, "snapshot").data)
	if got := again.Find(`#car-2001-live`).AttrOr("data-count", ""); got != "2" {
		t.Fatalf("reconnect snapshot count = %q", got)
	}
	deadline := time.Now().Add(2 * time.Second)
	for e.h.Streams() != 1 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := e.h.Streams(); n != 1 {
		t.Fatalf("%d streams open after the first closed", n)
	}
	// Close (server shutdown) ends open streams; new ones get 503.
	e.h.Close()
	ended := make(chan struct{})
	go func() { io.Copy(io.Discard, s2.resp.Body); close(ended) }()
	select {
	case <-ended:
	case <-time.After(3 * time.Second):
		t.Fatal("stream still open after Close")
	}
	if resp, _ := e.do(req{method: "GET", path: "/trains/stream", user: true}); resp.StatusCode != 503 {
		t.Fatalf("stream after Close: %d", resp.StatusCode)
	}
}

func TestStreamSlowClientGetsTheNewestState(t *testing.T) {
	e := newEnv(t, nil)
	s := e.openStream("slow")
	defer s.close()
	s.until(t, "snapshot")
	// Do not read while many updates are published: the stream keeps only
	// the newest state of each car, so the client catches up at once.
	const pushes = 300
	for i := range pushes {
		if _, err := e.store.Apply(context.Background(), trains.Push{SensorID: sensor(3, i%4+1), Type: trains.TypeIn}); err != nil {
			t.Fatal(err)
		}
	}
	last := ""
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		ev := s.next(t, 5*time.Second)
		if ev.name == "snapshot" {
			last = doc(t, ev.data).Find("#car-2002-live").AttrOr("data-count", "")
		} else if ev.name == "car-2002" {
			last = doc(t, ev.data).Find("#car-2002-live").AttrOr("data-count", "")
		}
		if last == fmt.Sprint(pushes) {
			return
		}
	}
	t.Fatalf("stream did not converge, last count %q", last)
}

func TestPollFallback(t *testing.T) {
	e := newEnv(t, nil)
	_, page := e.do(req{method: "GET", path: "/trains", user: true})
	d := doc(t, page)
	poll := d.Find(`[data-testid="poll"]`)
	pollURL := poll.AttrOr("hx-get", "")
	if !strings.HasPrefix(pollURL, "/trains/poll?sh=") || poll.AttrOr("hx-include", "") != "#trains-tab" {
		t.Fatalf("poll element: %v", poll.Nodes)
	}
	tab := d.Find("#trains-tab").AttrOr("value", "")
	e.do(req{method: "POST", path: "/api/trigger/" + sensor(1, 1) + "/IN?key=" + testKey})
	resp, body := e.do(req{method: "GET", path: pollURL + "&tab=" + tab, user: true, htmx: true})
	if resp.StatusCode != 200 {
		t.Fatal(resp.Status)
	}
	pd := doc(t, body)
	if n := pd.Find(`[hx-swap-oob="true"][data-testid="car-live"]`).Length(); n != 6 {
		t.Fatalf("%d out-of-band cars: %s", n, body)
	}
	if pd.Find("#car-2000-live").AttrOr("data-count", "") != "1" {
		t.Fatal("poll count")
	}
	// After a structure change, the whole list comes back.
	e.store.AddCar(context.Background(), 1004, 5)
	_, body = e.do(req{method: "GET", path: pollURL + "&tab=" + tab, user: true, htmx: true})
	if doc(t, body).Find(`#trains-list[hx-swap-oob="innerHTML"]`).Length() != 1 {
		t.Fatalf("no whole-list swap after a structure change: %s", body)
	}
}

func TestPage(t *testing.T) {
	e := newEnv(t, func(d *Deps, _ *Config) {
		d.Sensors = fakeSensors{{ID: sensor(1, 1), Name: "Car 1 door 1"}}
	})
	e.do(req{method: "POST", path: "/api/trigger/" + sensor(1, 1) + "/IN?key=" + testKey})
	resp, body := e.do(req{method: "GET", path: "/trains", user: true})
	if resp.StatusCode != 200 {
		t.Fatal(resp.Status)
	}
	d := doc(t, body)
	if d.Find("main#main").Length() != 1 {
		t.Fatal("not a full page")
	}
	// The page shows the shape of a push URL, never a key; each train's own
	// URL (with its token) is in its owner's panel.
	if got := d.Find(`[data-testid="push-url-in"]`).AttrOr("value", ""); got != "http://localhost:3000/api/trigger/{sensorId}/IN?key={this train's token}" {
		t.Fatalf("push URL = %q", got)
	}
	if strings.Contains(body, testKey) {
		t.Fatal("the legacy key is on the page")
	}
	tok, _ := e.store.Token(context.Background(), 1000)
	if got := d.Find(`[data-train-id="1000"] [data-testid="train-push-in"]`).AttrOr("value", ""); got != "http://localhost:3000/api/trigger/{sensorId}/IN?key="+tok.Token {
		t.Fatalf("train push URL = %q", got)
	}
	live := d.Find(`[data-testid="live-region"]`)
	if live.AttrOr("hx-ext", "") != "sse" || !strings.HasPrefix(live.AttrOr("sse-connect", ""), "/trains/stream?tab=") {
		t.Fatal("sse attributes")
	}
	if d.Find(`#trains-list[sse-swap="snapshot"]`).Length() != 1 {
		t.Fatal("list does not take snapshots")
	}
	badge := d.Find(`[data-testid="live-badge"]`)
	if badge.AttrOr("data-live-badge", "x") != "" || badge.AttrOr("role", "") != "status" {
		t.Fatal("badge")
	}
	trainsSel := d.Find(`[data-testid="train"]`)
	if trainsSel.Length() != 3 {
		t.Fatalf("%d trains", trainsSel.Length())
	}
	car := d.Find(`#car-2000-live`)
	if car.Find(`[data-testid="car-count"]`).Text() != "1" || car.Find(`[data-testid="car-level"]`).Text() != "Spacious" ||
		car.Find("time[data-since]").Length() != 1 || car.Find(`[data-testid="crowd-fill"]`).AttrOr("width", "") != "0%" ||
		car.Find(`[data-testid="crowd-over"]`).Length() != 0 {
		t.Fatalf("car 2000: %s", must(car.Html()))
	}
	if d.Find(`#car-2003-live [data-testid="car-updated"]`).Text() != "never" {
		t.Fatal("never-updated car")
	}
	// The sensor choices come from Thing+: loaded after the page, which never waits for them.
	if d.Find(`datalist#trains-sensors[hx-get="/trains/sensors"][hx-trigger="focusin from:#trains-list once"]`).Length() != 1 {
		t.Fatal("sensor choices are not loaded after the page")
	}
	sresp, sensors := e.do(req{method: "GET", path: "/trains/sensors", user: true, htmx: true})
	if sd := doc(t, sensors); sresp.StatusCode != 200 || sd.Find(`datalist#trains-sensors option`).AttrOr("value", "") != sensor(1, 1) ||
		sd.Find(`datalist[hx-get]`).Length() != 0 {
		t.Fatalf("sensor choices: %d %s", sresp.StatusCode, sensors)
	}
	if d.Find(`[data-train-id="1004"] [data-testid="no-cars"]`).Length() != 1 {
		t.Fatal("empty train")
	}
	// Per-door push URLs.
	if !strings.Contains(body, "http://localhost:3000/api/trigger/"+sensor(1, 1)+"/OUT?key="+tok.Token) {
		t.Fatal("door push URL missing")
	}
	// htmx (not boosted) gets the body alone.
	_, frag := e.do(req{method: "GET", path: "/trains", user: true, htmx: true})
	if strings.Contains(frag, "<html") || !strings.Contains(frag, `data-testid="trains-page"`) {
		t.Fatal("fragment")
	}
	// Without a session: sent to sign in.
	if resp, _ := e.do(req{method: "GET", path: "/trains"}); resp.StatusCode != 303 {
		t.Fatalf("anonymous: %d", resp.StatusCode)
	}
}

func must(s string, _ error) string { return s }

func TestLevelsOnPage(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	// Capacity 160: up to 128 spacious (80 %), 208 normal (130 %), 240 caution (150 %).
	for count, want := range map[int]string{128: "Spacious", 129: "Normal", 208: "Normal", 209: "Caution", 240: "Caution", 241: "Crowded"} {
		e.store.CorrectCount(ctx, 2000, count, "test")
		_, body := e.do(req{method: "GET", path: "/trains/list", user: true, htmx: true})
		lv := doc(t, body).Find(`#car-2000-live [data-testid="car-level"]`)
		if lv.Text() != want || !strings.HasPrefix(lv.AttrOr("class", ""), "badge ") {
			t.Errorf("count %d: level %q class %q", count, lv.Text(), lv.AttrOr("class", ""))
		}
	}
}

func form(vals ...string) string {
	q := url.Values{}
	for i := 0; i+1 < len(vals); i += 2 {
		q.Set(vals[i], vals[i+1])
	}
	return q.Encode()
}

const formType = "application/x-www-form-urlencoded"

func TestManageForms(t *testing.T) {
	w := &fakeWirer{}
	e := newEnv(t, func(d *Deps, _ *Config) { d.Wirer = w })
	ctx := context.Background()
	post := func(path, body string, htmx bool) (*http.Response, *goquery.Document) {
		resp, b := e.do(req{method: "POST", path: path, body: body, ctype: formType, user: true, htmx: htmx})
		return resp, doc(t, b)
	}
	// Create (htmx): the list comes back with the new train and a notice.
	resp, d := post("/trains", form("name", "9호선", "running", "true"), true)
	if resp.StatusCode != 200 || d.Find(`[data-train-id="1006"] [data-testid="train-name"]`).Text() != "9호선" ||
		d.Find(`[data-form="create-train"] [data-testid="form-ok"]`).Text() != "Train 9호선 added." || d.Find("main#main").Length() != 0 {
		t.Fatalf("create: %d", resp.StatusCode)
	}
	// Invalid: 422, the form keeps the input and shows the error.
	resp, d = post("/trains/1006/cars", form("capacity", "lots"), true)
	in := d.Find("#addcar-1006-capacity")
	if resp.StatusCode != 422 || in.AttrOr("value", "") != "lots" || in.AttrOr("aria-invalid", "") != "true" ||
		d.Find(`[data-testid="form-error"]`).Text() != "Enter a whole number." {
		t.Fatalf("invalid capacity: %d %v", resp.StatusCode, in.Nodes)
	}
	resp, d = post("/trains/1006/rename", form("name", "  "), true)
	if resp.StatusCode != 422 || !strings.Contains(d.Find(`[data-testid="form-error"]`).Text(), "name must be") {
		t.Fatalf("empty name: %d", resp.StatusCode)
	}
	// Plain POST (no JavaScript): 303 back to /trains.
	resp, _ = post("/trains/1006/cars", form("capacity", "8"), false)
	if resp.StatusCode != 303 || resp.Header.Get("Location") != "/trains" {
		t.Fatalf("plain post: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	tr, _ := e.store.Train(ctx, 1006)
	if len(tr.Cars) != 1 || tr.Cars[0].Capacity != 8 {
		t.Fatalf("car not added: %+v", tr)
	}
	car := fmt.Sprint(tr.Cars[0].ID)
	// Plain POST that fails: the whole page with 422.
	resp, d = post("/trains/cars/"+car+"/capacity", form("capacity", "0"), false)
	if resp.StatusCode != 422 || d.Find("main#main").Length() != 1 {
		t.Fatalf("plain invalid: %d", resp.StatusCode)
	}
	steps := []struct {
		path, body string
		status     int
	}{
		{"/trains/1006/rename", form("name", "Line 9"), 200},
		{"/trains/1006/running", form("running", "false"), 200},
		{"/trains/cars/" + car + "/capacity", form("capacity", "12"), 200},
		{"/trains/cars/" + car + "/doors", form("sensorId", "door-x", "label", "Front", "inverted", "true"), 200},
		{"/trains/cars/" + car + "/doors", form("sensorId", sensor(1, 1)), 409},
		{"/trains/cars/" + car + "/correct", form("count", "5", "reason", ""), 422},
		{"/trains/cars/" + car + "/correct", form("count", "5", "reason", "head count"), 200},
		{"/trains/cars/" + car + "/move", form("trainId", "1004"), 200},
		{"/trains/cars/" + car + "/move", form("trainId", "99999"), 409},
		{"/trains/cars/2001/position", form("position", "1"), 200},
		{"/trains/cars/2000/reset", "", 200},
		{"/trains/1000/reset", "", 200},
		{"/trains/doors/wire", form("sensorId", "door-x"), 200},
		{"/trains/doors/unassign", form("sensorId", "door-x"), 200},
		{"/trains/doors/unassign", form("sensorId", "door-x"), 404},
		{"/trains/cars/" + car + "/delete", "", 200},
		{"/trains/cars/" + car + "/delete", "", 404},
		{"/trains/1006/delete", "", 200},
		{"/trains/abc/delete", "", 404},
	}
	for _, s := range steps {
		if s.status == 0 {
			s.status = 200
		}
		resp, _ := post(s.path, s.body, true)
		if resp.StatusCode != s.status {
			t.Errorf("%s %s: %d, want %d", s.path, s.body, resp.StatusCode, s.status)
		}
	}
	tok, _ := e.store.Token(ctx, 1004) // door-x moved there with its car
	if len(w.calls) != 1 || w.calls[0] != "token-1 +9.00 door-x http://localhost:3000/api/trigger/door-x/IN?key="+tok.Token+" http://localhost:3000/api/trigger/door-x/OUT?key="+tok.Token {
		t.Fatalf("wire calls: %v", w.calls)
	}
	tr, _ = e.store.Train(ctx, 1000)
	if tr.Cars[0].ID != 2001 {
		t.Fatalf("reorder: %+v", tr.Cars)
	}
	evs, _ := e.store.Events(ctx, trains.EventFilter{Outcome: trains.OutcomeCorrected})
	if len(evs) != 1 || evs[0].Reason != "head count (by Demo)" {
		t.Fatalf("correction log: %+v", evs)
	}
	if _, err := e.store.Train(ctx, 1006); err == nil {
		t.Fatal("train not deleted")
	}
}

func TestEventsPageAndCSV(t *testing.T) {
	e := newEnv(t, nil)
	k := "?key=" + testKey
	e.do(req{method: "POST", path: "/api/trigger/" + sensor(1, 1) + "/IN" + k})
	e.do(req{method: "POST", path: "/api/trigger/" + sensor(2, 1) + "/OUT" + k})
	e.do(req{method: "POST", path: "/api/trigger/" + sensor(1, 1) + "/=HYPERLINK(1)?key=bad"})
	e.do(req{method: "POST", path: "/api/trigger/nobodys-sensor/IN?key=bad"}) // names no train: in no one's log
	resp, body := e.do(req{method: "GET", path: "/trains/events", user: true})
	d := doc(t, body)
	if resp.StatusCode != 200 || d.Find(`[data-testid="event"]`).Length() != 3 {
		t.Fatalf("events: %d %d", resp.StatusCode, d.Find(`[data-testid="event"]`).Length())
	}
	if d.Find(`[data-testid="event"]`).First().AttrOr("data-outcome", "") != "bad_key" {
		t.Fatal("not newest first")
	}
	resp, body = e.do(req{method: "GET", path: "/trains/events?train=1000&outcome=applied", user: true, htmx: true})
	d = doc(t, body)
	if resp.StatusCode != 200 || d.Find(`[data-testid="event"]`).Length() != 1 || d.Find("form").Length() != 0 {
		t.Fatalf("filtered fragment: %d %s", resp.StatusCode, body)
	}
	if href := d.Find(`[data-testid="csv"]`).AttrOr("href", ""); href != "/trains/events.csv?outcome=applied&train=1000" {
		t.Fatalf("csv link %q", href)
	}
	if resp, _ := e.do(req{method: "GET", path: "/trains/events?outcome=nope", user: true}); resp.StatusCode != 422 {
		t.Fatalf("bad filter: %d", resp.StatusCode)
	}
	resp, body = e.do(req{method: "GET", path: "/trains/events.csv", user: true})
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
		t.Fatal(resp.Status)
	}
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil || len(rows) != 4 || rows[0][6] != "outcome" {
		t.Fatalf("csv: %v %v", rows, err)
	}
	if rows[1][5] != "'=HYPERLINK(1)" {
		t.Fatalf("formula not neutralised: %q", rows[1][5])
	}
	if rows[2][6] != "clamped" || rows[3][6] != "applied" || rows[3][7] != "1" {
		t.Fatalf("csv rows: %v", rows)
	}
	// Times: ISO 8601 with milliseconds and the offset of the user's Thing+
	// zone (+9.00), the layout the sensor CSV uses too, for the same instant
	// as the store's.
	evs, _ := e.store.Events(context.Background(), trains.EventFilter{Limit: 10})
	byID := map[string]time.Time{}
	for _, ev := range evs {
		byID[strconv.FormatInt(ev.ID, 10)] = ev.Time
	}
	for _, row := range rows[1:] {
		at, err := time.Parse(web.CSVTimeLayout, row[1])
		if want := byID[row[0]]; err != nil || !strings.HasSuffix(row[1], "+09:00") || !at.Equal(want.Truncate(time.Millisecond)) {
			t.Fatalf("csv time %q (%v), want %v in +09:00", row[1], err, want)
		}
	}
	// Time policy, event log: the zone named once in the header, each time to
	// the second in that zone, the same instant as the CSV's (its datetime
	// carries the offset).
	_, body = e.do(req{method: "GET", path: "/trains/events", user: true})
	d = doc(t, body)
	if h := d.Find(`[data-testid="events-time-head"]`).Text(); h != "Time (KST)" {
		t.Fatalf("time header %q", h)
	}
	d.Find(`[data-testid="event"]`).Each(func(_ int, s *goquery.Selection) {
		tm := s.Find("td.time time")
		want := byID[s.AttrOr("data-event-id", "")]
		if tm.Text() != want.In(thingplus.Zone("+9.00")).Format("2006-01-02 15:04:05") {
			t.Errorf("log time %q, want %v to the second in KST", tm.Text(), want)
		}
		at, err := time.Parse(time.RFC3339, tm.AttrOr("datetime", ""))
		if err != nil || !strings.HasSuffix(tm.AttrOr("datetime", ""), "+09:00") || !at.Equal(want.Truncate(time.Second)) {
			t.Errorf("datetime %q (%v), want %v", tm.AttrOr("datetime", ""), err, want)
		}
	})
}

func TestCompatAPI(t *testing.T) {
	e := newEnv(t, nil)
	e.do(req{method: "POST", path: "/api/trigger/" + sensor(1, 2) + "/IN?key=" + testKey})
	tok, _ := e.store.Token(context.Background(), 1000)
	k := "?key=" + tok.Token // train 1000's token opens train 1000's reads
	// Neither session nor token: 401. The legacy key opens no API route.
	for _, key := range []string{"", "?key=wrong", "?key=" + testKey} {
		if resp, _ := e.do(req{method: "GET", path: "/api/trains" + key}); resp.StatusCode != 401 {
			t.Fatalf("anonymous %q: %d", key, resp.StatusCode)
		}
	}
	if resp, _ := e.do(req{method: "PUT", path: "/api/train" + k, ctype: "application/json", body: `{"name":"x"}`}); resp.StatusCode != 401 {
		t.Fatalf("write with a token: %d", resp.StatusCode)
	}
	if resp, _ := e.do(req{method: "GET", path: "/api/train/1002" + k}); resp.StatusCode != 404 {
		t.Fatalf("token of another train: %d", resp.StatusCode)
	}
	// Signed in (session) or key holder.
	_, body := e.do(req{method: "GET", path: "/api/trains", user: true})
	var all struct {
		Data []map[string]any `json:"data"`
	}
	if err := json.Unmarshal([]byte(body), &all); err != nil || len(all.Data) != 3 {
		t.Fatalf("/api/trains: %s", body)
	}
	first := all.Data[0]
	if first["_id"] != 1000.0 || first["name"] != "신림-성수" || first["isRunning"] != true || fmt.Sprint(first["cars"]) != "[2000 2001 2002]" {
		t.Fatalf("train shape: %v", first)
	}
	if len(first) != 4 {
		t.Fatalf("extra train fields leak: %v", first)
	}
	if fmt.Sprint(all.Data[2]["cars"]) != "[]" {
		t.Fatalf("empty cars: %v", all.Data[2])
	}
	_, body = e.do(req{method: "GET", path: "/api/train/1000" + k})
	var one []map[string]any
	json.Unmarshal([]byte(body), &one)
	if len(one) != 1 || fmt.Sprint(one[0]["counts"]) != "[1 0 0]" {
		t.Fatalf("/api/train/1000: %s", body)
	}
	if resp, _ := e.do(req{method: "GET", path: "/api/train/9", user: true}); resp.StatusCode != 404 {
		t.Fatalf("missing train: %d", resp.StatusCode)
	}
	_, body = e.do(req{method: "GET", path: "/api/cars/2000" + k})
	var cars []map[string]any
	json.Unmarshal([]byte(body), &cars)
	if len(cars) != 1 || cars[0]["_id"] != 2000.0 || cars[0]["count"] != 1.0 || len(cars[0]["sensors"].([]any)) != 4 {
		t.Fatalf("/api/cars/2000: %s", body)
	}
	if resp, _ := e.do(req{method: "GET", path: "/api/cars/9", user: true}); resp.StatusCode != 404 {
		t.Fatalf("missing car: %d", resp.StatusCode)
	}
	_, body = e.do(req{method: "GET", path: "/api/sensors/2001" + k})
	var sensors []string
	json.Unmarshal([]byte(body), &sensors)
	if len(sensors) != 4 || sensors[0] != sensor(2, 1) {
		t.Fatalf("/api/sensors/2001: %s", body)
	}
	j := "application/json"
	steps := []struct {
		method, path, ctype, body string
		status                    int
	}{
		{"GET", "/api/sensors/9", "", "", 404},
		{"PUT", "/api/sensor", j, `{"sensorId":"new-1","carId":2003}`, 204},
		{"PUT", "/api/sensor", j, `{"sensorId":"new-1","carId":2004}`, 400},
		{"PUT", "/api/sensor", formType, "sensorId=new-2&carId=9", 404},
		{"POST", "/api/sensor", j, `{"sensorId":"new-1","carId":9}`, 404},
		{"POST", "/api/sensor", j, `{"sensorId":"new-1","carId":"2004"}`, 204},
		{"DELETE", "/api/sensor", j, `{"sensorId":"new-1"}`, 204},
		{"DELETE", "/api/sensor", j, `{"sensorId":"new-1"}`, 404},
		{"POST", "/api/train", j, `{"trainId":1002,"name":"2호선","isRunning":"true"}`, 204},
		{"POST", "/api/train", formType, "trainId=1002&isRunning=maybe", 400},
		{"POST", "/api/train", j, `{"trainId":9,"name":"x"}`, 404},
		{"PUT", "/api/train", j, `{"trainId":1010,"name":"3호선","isRunning":false}`, 201},
		{"PUT", "/api/train", j, `{"trainId":1010,"name":"dup"}`, 400},
		{"POST", "/api/car", j, `{"carId":2005,"trainId":1010}`, 204},
		{"POST", "/api/car", j, `{"carId":2005,"trainId":9}`, 404},
	}
	for _, s := range steps {
		resp, body := e.do(req{method: s.method, path: s.path, ctype: s.ctype, body: s.body, user: true})
		if resp.StatusCode != s.status {
			t.Errorf("%s %s %s: %d %s, want %d", s.method, s.path, s.body, resp.StatusCode, body, s.status)
		}
		if resp.StatusCode == 400 && !strings.Contains(body, `"error"`) {
			t.Errorf("%s %s: 400 without error body", s.method, s.path)
		}
	}
	// The failed move (bad carId) did not lose the sensor.
	if _, car, err := e.store.DoorOf(context.Background(), sensor(1, 1)); err != nil || car != 2000 {
		t.Fatal("sensor lost")
	}
	t2, _ := e.store.Train(context.Background(), 1002)
	if t2.Name != "2호선" || !t2.Running || len(t2.Cars) != 2 {
		t.Fatalf("train 1002: %+v", t2)
	}
	t3, _ := e.store.Train(context.Background(), 1010)
	if t3.Name != "3호선" || len(t3.Cars) != 1 || t3.Cars[0].ID != 2005 {
		t.Fatalf("train 1010: %+v", t3)
	}
}

func TestDoorRules(t *testing.T) {
	in, out := DoorRules("+9.00", sensor(2, 3), "http://a/in", "http://a/out")
	for _, r := range []thingplus.Rule{in, out} {
		if err := r.Validate(); err != nil {
			t.Fatalf("%s: %v", r.Name, err)
		}
	}
	if in.Trigger.Method.ID != "over" || out.Trigger.Method.ID != "under" || in.Trigger.Type != "countEvent" ||
		in.Trigger.Method.Param("degree") != "0" || in.Actions[0][0].Method.Param("url") != "http://a/in" ||
		in.Trigger.Filter.Sensor[0] != sensor(2, 3) {
		t.Fatalf("rules: %+v / %+v", in, out)
	}
	if !strings.Contains(in.Trigger.Method.Param("target"), `"id":"b827ebd0a001"`) {
		t.Fatalf("target: %s", in.Trigger.Method.Param("target"))
	}
}

func TestPushURL(t *testing.T) {
	if got := PushURL("https://app.example/", "k&y", "a b", "IN"); got != "https://app.example/api/trigger/a%20b/IN?key=k%26y" {
		t.Fatal(got)
	}
}

// The tab that made a change already shows it (the form's answer): its stream
// does not redraw the list under the user's hands; other tabs get a snapshot.
func TestStructureSnapshotSkipsActingTab(t *testing.T) {
	e := newEnv(t, nil)
	actor, other := e.openStream("actor"), e.openStream("other")
	defer actor.close()
	defer other.close()
	actor.until(t, "snapshot")
	other.until(t, "snapshot")
	resp, _ := e.do(req{method: "POST", path: "/trains/1004/rename", body: form("name", "6호선", "tab", "actor"), ctype: formType, user: true, htmx: true})
	if resp.StatusCode != 200 {
		t.Fatal(resp.Status)
	}
	if ev := other.until(t, "snapshot"); !strings.Contains(ev.data, "6호선") {
		t.Fatal("other tab's snapshot lacks the change")
	}
	// The actor's stream: the next events are the push's car update below
	// (with, in either order, the train's strip when the push moved the
	// roomiest car), not a snapshot.
	e.do(req{method: "POST", path: "/api/trigger/" + sensor(1, 1) + "/IN?key=" + testKey})
	ev := actor.next(t, 3*time.Second)
	if ev.name == "strip-1000" {
		ev = actor.next(t, 3*time.Second)
	}
	if ev.name != "car-2000" {
		t.Fatalf("acting tab got %q, want car-2000 (and no snapshot)", ev.name)
	}
}

// A stream opened by the page it was drawn with (?v=) or resumed with the
// last event id it saw skips the snapshot while nothing changed; a stale or
// foreign version (another process) gets one.
func TestStreamSkipsSnapshotWhenCurrent(t *testing.T) {
	e := newEnv(t, nil)
	_, page := e.do(req{method: "GET", path: "/trains", user: true})
	connect := doc(t, page).Find(`[data-testid="live-region"]`).AttrOr("sse-connect", "")
	v, _ := url.ParseQuery(connect[strings.Index(connect, "?")+1:])
	if !strings.HasPrefix(v.Get("v"), e.h.epoch+".") {
		t.Fatalf("stream URL %q carries no version", connect)
	}
	open := func(query, lastID string) *sseReader {
		hr, _ := http.NewRequest("GET", e.srv.URL+"/trains/stream?"+query, nil)
		hr.Header.Set("Accept", "text/event-stream")
		hr.Header.Set("X-Test-User", "1")
		if lastID != "" {
			hr.Header.Set("Last-Event-ID", lastID)
		}
		resp, err := http.DefaultClient.Do(hr)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		return &sseReader{resp: resp, sc: sc}
	}
	s := open("tab=a&v="+url.QueryEscape(v.Get("v")), "")
	if ev := s.next(t, 3*time.Second); !ev.comment {
		t.Fatalf("current page got %q, want no snapshot", ev.name)
	}
	e.do(req{method: "POST", path: "/api/trigger/" + sensor(1, 1) + "/IN?key=" + testKey})
	ev := s.until(t, "car-2000")
	s.close()
	// Resume with the last id seen: nothing new, no snapshot.
	s = open("tab=a&v="+url.QueryEscape(v.Get("v")), ev.id)
	if ev := s.next(t, 3*time.Second); !ev.comment {
		t.Fatalf("resumed stream got %q, want no snapshot", ev.name)
	}
	s.close()
	// The page's version is stale now, and another process's id never matches.
	for _, q := range []struct{ query, last string }{{"tab=a&v=" + url.QueryEscape(v.Get("v")), ""}, {"tab=a", "other." + strings.SplitN(ev.id, ".", 2)[1]}} {
		s = open(q.query, q.last)
		if ev := s.next(t, 3*time.Second); ev.name != "snapshot" {
			t.Fatalf("%+v: got %q, want snapshot", q, ev.name)
		}
		s.close()
	}
}

// TestFormAnswerKeepsPanelOpen: a form answered with the list keeps the
// panel it sits in open (else its error would be hidden in a closed
// <details>), focuses the invalid field, and a count error sits at the
// count, not at the reason.
func TestFormAnswerKeepsPanelOpen(t *testing.T) {
	w := &fakeWirer{}
	e := newEnv(t, func(d *Deps, _ *Config) { d.Wirer = w })
	post := func(path, body string) (int, *goquery.Document) {
		resp, b := e.do(req{method: "POST", path: path, body: body, ctype: formType, user: true, htmx: true})
		return resp.StatusCode, doc(t, b)
	}
	openTrains := func(d *goquery.Document) (ids []string) {
		d.Find(`[data-testid="train-manage"][open]`).Each(func(_ int, s *goquery.Selection) {
			ids = append(ids, s.Closest(`[data-testid="train"]`).AttrOr("data-train-id", ""))
		})
		return ids
	}
	openCars := func(d *goquery.Document) (ids []string) {
		d.Find(`[data-testid="car-manage"][open]`).Each(func(_ int, s *goquery.Selection) {
			ids = append(ids, s.Closest(`[data-testid="car"]`).AttrOr("data-car-id", ""))
		})
		return ids
	}
	st, d := post("/trains/1000/rename", form("name", " "))
	if st != 422 || fmt.Sprint(openTrains(d)) != "[1000]" || len(openCars(d)) != 0 {
		t.Fatalf("rename error: %d trains %v cars %v", st, openTrains(d), openCars(d))
	}
	if in := d.Find("#rename-1000-name"); in.AttrOr("aria-invalid", "") != "true" || in.AttrOr("autofocus", "x") != "" {
		t.Fatalf("rename field: %v", in.Nodes)
	}
	st, d = post("/trains/1000/cars", form("capacity", "7"))
	if st != 200 || fmt.Sprint(openTrains(d)) != "[1000]" {
		t.Fatalf("add car: %d %v", st, openTrains(d))
	}
	st, d = post("/trains/cars/2001/correct", form("count", "-1", "reason", "head count"))
	if st != 422 || fmt.Sprint(openCars(d)) != "[2001]" || len(openTrains(d)) != 0 {
		t.Fatalf("correct error: %d %v", st, openCars(d))
	}
	count, reason := d.Find("#correct-2001-count"), d.Find("#correct-2001-reason")
	if count.AttrOr("aria-invalid", "") != "true" || reason.AttrOr("aria-invalid", "") != "" ||
		count.AttrOr("value", "") != "-1" || reason.AttrOr("value", "") != "head count" ||
		!strings.Contains(d.Find("#correct-2001-count-error").Text(), "count must be") {
		t.Fatalf("count error not at the count: %v / %v", count.Nodes, reason.Nodes)
	}
	_, d = post("/trains/cars/2001/correct", form("count", "x", "reason", "r"))
	if d.Find("#correct-2001-count").AttrOr("aria-invalid", "") != "true" {
		t.Fatal("a malformed count is not marked at the count")
	}
	_, d = post("/trains/cars/2001/correct", form("count", "3", "reason", ""))
	if d.Find("#correct-2001-reason").AttrOr("aria-invalid", "") != "true" || d.Find("#correct-2001-count").AttrOr("aria-invalid", "") != "" {
		t.Fatal("a missing reason is not marked at the reason")
	}
	st, d = post("/trains/cars/2001/doors", form("sensorId", sensor(1, 1)))
	if st != 409 || fmt.Sprint(openCars(d)) != "[2001]" || d.Find("#door-2001-sensorId").AttrOr("autofocus", "x") != "" {
		t.Fatalf("assign taken sensor: %d %v", st, openCars(d))
	}
	st, d = post("/trains/doors/wire", form("sensorId", sensor(2, 3)))
	if st != 200 || fmt.Sprint(openCars(d)) != "[2001]" {
		t.Fatalf("wire: %d %v", st, openCars(d))
	}
	st, d = post("/trains/doors/unassign", form("sensorId", sensor(2, 3)))
	if st != 200 || fmt.Sprint(openCars(d)) != "[2001]" {
		t.Fatalf("unassign: %d %v", st, openCars(d))
	}
	// The page itself opens nothing.
	resp, b := e.do(req{method: "GET", path: "/trains", user: true})
	if d = doc(t, b); resp.StatusCode != 200 || len(openTrains(d))+len(openCars(d)) != 0 {
		t.Fatalf("page: %v %v", openTrains(d), openCars(d))
	}
}
