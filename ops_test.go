package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/thingplus/thingplus-webapp/apptest"
)

// stack is the real binary's wiring (run) with the sandbox, a real
// memcached, metrics on their own listener and JSON logs in a buffer.
type stack struct {
	t       *testing.T
	app     string // http://host:port
	sandbox string
	metrics string
	env     map[string]string
	logs    *syncBuffer
	mc      *apptest.Memcached
}

const (
	opsWebhookKey    = "wk-0123456789abcdef-ops-test-key"
	opsSessionSecret = "ss-0123456789abcdef0123456789abcdef-ops"
	opsClientSecret  = "cs-0123456789abcdef-ops-client-secret"
)

func startStack(t *testing.T, extra map[string]string) *stack {
	t.Helper()
	gin.SetMode(gin.ReleaseMode)
	appAddr, sbAddr, mAddr := apptest.FreeAddr(t), apptest.FreeAddr(t), apptest.FreeAddr(t)
	s := &stack{t: t, app: "http://" + appAddr, sandbox: "http://" + sbAddr, metrics: "http://" + mAddr, logs: &syncBuffer{}}
	s.env = map[string]string{
		"PORT": appAddr[strings.LastIndex(appAddr, ":")+1:], "PUBLIC_URL": s.app, "SANDBOX_ADDR": sbAddr,
		"DATA_DIR": t.TempDir(), "METRICS_ADDR": mAddr, "LOG_FORMAT": "json", "SANDBOX_SIMULATOR": "off",
		"WEBHOOK_KEY": opsWebhookKey, "SESSION_SECRET": opsSessionSecret,
		"THINGPLUS_CLIENT_ID": "ops-test-app", "THINGPLUS_CLIENT_SECRET": opsClientSecret,
	}
	for k, v := range extra {
		s.env[k] = v
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int)
	go func() { done <- run(ctx, nil, func(k string) string { return s.env[k] }, nil, s.logs, s.logs) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			t.Error("no graceful shutdown")
		}
	})
	waitOK(t, s.app+"/healthz")
	return s
}

// signIn runs the OAuth flow against the sandbox as demo/demo.
func (s *stack) signIn(b *apptest.Browser) {
	t := s.t
	t.Helper()
	r := b.Get(s.app + "/auth/login")
	hops := b.Follow(r.Location(), 5)
	consent := hops[len(hops)-1]
	if f, ok := apptest.FindForm(consent.Request.URL.String(), consent.Body, "form:has(input[type=password])"); ok {
		// Not signed in at Thing+ yet: its login page comes first.
		set := map[string]string{}
		for _, n := range apptest.InputNames(consent.Body, "form:has(input[type=password])") {
			ln := strings.ToLower(n)
			if strings.Contains(ln, "pass") || strings.Contains(ln, "login") || strings.Contains(ln, "user") {
				set[n] = "demo"
			}
		}
		consent = b.Submit(f, set)
		for consent.StatusCode >= 300 && consent.StatusCode < 400 {
			consent = b.Get(consent.Location())
		}
	}
	f, ok := apptest.FindForm(consent.Request.URL.String(), consent.Body, "form[action*='decision']")
	if !ok {
		t.Fatalf("no consent form:\n%s", consent.Body)
	}
	back := b.Submit(f, nil)
	hops = b.Follow(back.Location(), 5)
	if last := hops[len(hops)-1]; last.StatusCode != http.StatusOK || !strings.Contains(last.Body, `data-testid="whoami"`) {
		t.Fatalf("sign-in did not end signed in: %d %s", last.StatusCode, last.Request.URL)
	}
}

// scrape reads /metrics into series → value ("name{a=\"x\"}" as printed).
func (s *stack) scrape() map[string]float64 {
	s.t.Helper()
	resp, err := http.Get(s.metrics + "/metrics")
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			s.t.Fatalf("metrics line %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	return out
}

func (s *stack) push(path, key string, body string) int {
	s.t.Helper()
	u := s.app + path
	if key != "" {
		u += "?key=" + url.QueryEscape(key)
	}
	resp, err := http.Post(u, "application/json", strings.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// TestOperations drives a scripted sequence — page views, webhook pushes
// of every outcome, a live stream, a memcached outage — through the real
// wiring and checks that the scraped metrics count exactly what happened,
// that every log line is JSON, that a request's lines share its id, and
// that no secret or token reached the log.
func TestOperations(t *testing.T) {
	mc := apptest.StartMemcached(t)
	s := startStack(t, map[string]string{"MEMCACHED_SERVERS": mc.Addr})
	b := apptest.NewBrowser(t)
	s.signIn(b)
	before := s.scrape()

	// Page views: 3 found, 2 not.
	for range 3 {
		if r := b.Get(s.app + "/"); r.StatusCode != 200 {
			t.Fatalf("home %d", r.StatusCode)
		}
	}
	for range 2 {
		if r := b.Get(s.app + "/no/such/page"); r.StatusCode != 404 {
			t.Fatalf("404 page: %d", r.StatusCode)
		}
	}

	// A live stream is open while a push arrives.
	req, _ := http.NewRequest(http.MethodGet, s.app+"/trains/stream?tab=ops", nil)
	req.Header.Set("Accept", "text/event-stream")
	stream, err := (&http.Client{Jar: b.Jar}).Do(req)
	if err != nil || stream.StatusCode != 200 {
		t.Fatalf("stream: %v %v", err, stream)
	}
	events := bufio.NewScanner(stream.Body)
	events.Buffer(make([]byte, 1<<20), 1<<20)
	waitEvent := func(name string) {
		t.Helper()
		for events.Scan() {
			if strings.HasPrefix(events.Text(), "event: "+name) {
				return
			}
		}
		t.Fatalf("stream ended before event %s", name)
	}
	waitEvent("snapshot")

	// Webhook pushes, one of each outcome the app can give.
	door := func(car, n int, dir string) string {
		return "/api/trigger/b827ebd0a001-" + strconv.Itoa(car) + "-door" + strconv.Itoa(n) + "/" + dir
	}
	for i, want := range []struct {
		path, key, body string
		status          int
	}{
		{door(1, 1, "IN"), opsWebhookKey, `{"event":"ops-1"}`, 204},            // applied
		{door(1, 2, "IN"), opsWebhookKey, `{"event":"ops-2"}`, 204},            // applied
		{door(1, 2, "IN"), opsWebhookKey, `{"event":"ops-2"}`, 204},            // duplicate
		{door(3, 1, "OUT"), opsWebhookKey, `{"event":"ops-3"}`, 204},           // clamped (car 3 is empty)
		{door(1, 1, "IN"), "wrong-key-wrong-key", ``, 401},                     // bad_key
		{door(1, 1, "IN"), "", ``, 401},                                        // bad_key
		{"/api/trigger/no-such-sensor/IN", opsWebhookKey, ``, 400},             // unknown_sensor
		{"/api/trigger/b827ebd0a001-1-door1/SIDEWAYS", opsWebhookKey, ``, 400}, // invalid
	} {
		if got := s.push(want.path, want.key, want.body); got != want.status {
			t.Fatalf("push %d %s: %d, want %d", i, want.path, got, want.status)
		}
		if i == 0 {
			// The stream got its snapshot and this change; end it before
			// more changes travel, so the frame count is exact.
			waitEvent("car-")
			if got := s.scrape()["thingplus_webapp_live_streams_open"]; got != 1 {
				t.Errorf("open streams %v, want 1", got)
			}
			stream.Body.Close()
			deadline := time.Now().Add(5 * time.Second)
			for s.scrape()["thingplus_webapp_live_streams_open"] != 0 && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
		}
	}

	// A memcached outage: two signed-in requests get 503.
	mc.Kill()
	for range 2 {
		r := b.Get(s.app+"/gateways", "X-Request-Id", "ops-outage-1")
		if r.StatusCode != http.StatusServiceUnavailable {
			t.Fatalf("during the outage: %d", r.StatusCode)
		}
		if r.Header.Get("X-Request-Id") != "ops-outage-1" {
			t.Fatalf("request id not echoed: %q", r.Header.Get("X-Request-Id"))
		}
	}
	mc.Start()

	after := s.scrape()
	delta := func(series string) float64 { return after[series] - before[series] }
	want := map[string]float64{
		`thingplus_webapp_http_request_duration_seconds_count{code="200",method="GET",route="/"}`:                             3,
		`thingplus_webapp_http_request_duration_seconds_count{code="404",method="GET",route="unmatched"}`:                     2,
		`thingplus_webapp_http_request_duration_seconds_count{code="204",method="POST",route="/api/trigger/:sensorId/:type"}`: 4,
		`thingplus_webapp_http_request_duration_seconds_count{code="401",method="POST",route="/api/trigger/:sensorId/:type"}`: 2,
		`thingplus_webapp_http_request_duration_seconds_count{code="400",method="POST",route="/api/trigger/:sensorId/:type"}`: 2,
		`thingplus_webapp_http_request_duration_seconds_count{code="503",method="GET",route="/gateways"}`:                     2,
		`thingplus_webapp_webhook_pushes_total{outcome="applied"}`:                                                            2,
		`thingplus_webapp_webhook_pushes_total{outcome="duplicate"}`:                                                          1,
		`thingplus_webapp_webhook_pushes_total{outcome="clamped"}`:                                                            1,
		`thingplus_webapp_webhook_pushes_total{outcome="bad_key"}`:                                                            2,
		`thingplus_webapp_webhook_pushes_total{outcome="unknown_sensor"}`:                                                     1,
		`thingplus_webapp_webhook_pushes_total{outcome="invalid"}`:                                                            1,
		// Every push, refused or not, is one operation of one commit.
		`thingplus_webapp_ingest_commit_batch_size_sum`:     8,
		`thingplus_webapp_live_stream_frames_sent_total`:    2, // the snapshot and car 1's change
		`thingplus_webapp_live_stream_resyncs_total`:        0,
		`thingplus_webapp_live_streams_open`:                0,
		`thingplus_webapp_memcached_errors_total{op="get"}`: 2,
		`thingplus_webapp_session_outage_responses_total`:   2,
	}
	for series, n := range want {
		if got := delta(series); got != n {
			t.Errorf("%s rose by %v, want %v", series, got, n)
		}
	}
	if n := delta(`thingplus_webapp_ingest_commit_duration_seconds_count`); n < 1 || n > 8 {
		t.Errorf("ingest commits %v, want 1..8", n)
	}
	// The sign-in called Thing+ twice: the token exchange and users/me.
	for _, series := range []string{
		`thingplus_webapp_thingplus_request_duration_seconds_count{code="200",endpoint="/oauth2/token",method="POST"}`,
		`thingplus_webapp_thingplus_request_duration_seconds_count{code="200",endpoint="/users/me",method="GET"}`,
	} {
		if before[series] != 1 {
			t.Errorf("%s = %v after one sign-in, want 1", series, before[series])
		}
	}
	// Domain gauges: each train's cars by crowd level add up to its cars
	// (from the JSON API), and the passengers counted above leave every
	// car spacious.
	var api struct {
		Data []struct {
			ID   int64   `json:"_id"`
			Cars []int64 `json:"cars"`
		} `json:"data"`
	}
	fresh := apptest.NewBrowser(t) // the memcached restart above lost b's session (one server)
	s.signIn(fresh)
	if r := fresh.Get(s.app + "/api/trains"); r.StatusCode != 200 || json.Unmarshal([]byte(r.Body), &api) != nil || len(api.Data) == 0 {
		t.Fatalf("api/trains: %d %s", r.StatusCode, r.Body)
	}
	for _, tr := range api.Data {
		id := strconv.FormatInt(tr.ID, 10)
		sum := 0.0
		for _, l := range []string{"spacious", "normal", "caution", "crowded"} {
			sum += after[`thingplus_webapp_train_cars{level="`+l+`",train_id="`+id+`"}`]
		}
		if sum != float64(len(tr.Cars)) || after[`thingplus_webapp_train_cars{level="spacious",train_id="`+id+`"}`] != sum {
			t.Errorf("train %s: %v cars by level (%v spacious), want %d all spacious", id, sum,
				after[`thingplus_webapp_train_cars{level="spacious",train_id="`+id+`"}`], len(tr.Cars))
		}
		if v, ok := after[`thingplus_webapp_train_doors_flagged{train_id="`+id+`"}`]; !ok || v != 0 {
			t.Errorf("train %s: flagged doors %v (present %v), want 0", id, v, ok)
		}
	}
	for _, series := range []string{"go_goroutines", "process_resident_memory_bytes"} {
		if after[series] <= 0 {
			t.Errorf("runtime metric %s missing", series)
		}
	}

	checkLogs(t, s.logs.String(), b.Cookie(s.app, "tpw_session").Value)
}

// checkLogs: every line is a JSON object; the outage request's lines share
// its id; no secret, key, token or cookie appears anywhere.
func checkLogs(t *testing.T, logs, cookie string) {
	t.Helper()
	outageLines := 0
	for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line is not JSON: %q", line)
		}
		if rec["request_id"] == "ops-outage-1" {
			outageLines++
		}
	}
	// Two requests, each: "session store unavailable" and the access line.
	if outageLines != 4 {
		t.Errorf("%d lines carry the outage request's id, want 4:\n%s", outageLines, logs)
	}
	for name, secret := range map[string]string{
		"webhook key": opsWebhookKey, "session secret": opsSessionSecret, "client secret": opsClientSecret,
		"a JWT (access token)": "eyJ", "session cookie": cookie, "password": "password=demo",
	} {
		if secret != "" && strings.Contains(logs, secret) {
			t.Errorf("the log contains the %s", name)
		}
	}
}

type readyBody struct {
	Status string `json:"status"`
	Checks map[string]struct {
		Status   string `json:"status"`
		Required bool   `json:"required"`
	} `json:"checks"`
}

func getReady(t *testing.T, base, id string) (int, readyBody) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+"/readyz", nil)
	req.Header.Set("X-Request-Id", id)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body readyBody
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, body
}

// TestReadiness: Thing+ unreachable leaves the instance ready (reported in
// the body and the metrics); a trains database that cannot be written takes
// it out. The failing probe logs three lines, all with its request id.
func TestReadiness(t *testing.T) {
	dead := apptest.FreeAddr(t) // nothing listens here
	dataDir := t.TempDir()
	s := startStack(t, map[string]string{"THINGPLUS_URL": "http://" + dead + "/v2", "DATA_DIR": dataDir})

	status, body := getReady(t, s.app, "ready-1")
	if status != 200 || body.Status != "ready" || body.Checks["thingplus"].Status != "down" ||
		body.Checks["thingplus"].Required || body.Checks["trains_db"].Status != "ok" || body.Checks["sessions"].Status != "ok" {
		t.Fatalf("Thing+ down: %d %+v", status, body)
	}
	if m := s.scrape(); m["thingplus_webapp_thingplus_up"] != 0 || m["thingplus_webapp_thingplus_probe_seconds"] <= 0 {
		t.Errorf("Thing+ probe metrics: up %v, seconds %v", m["thingplus_webapp_thingplus_up"], m["thingplus_webapp_thingplus_probe_seconds"])
	}

	undo := apptest.MakeReadOnly(t, dataDir+"/trains.db")
	status, body = getReady(t, s.app, "ready-2")
	if status != http.StatusServiceUnavailable || body.Status != "not ready" || body.Checks["trains_db"].Status != "down" {
		t.Fatalf("read-only database: %d %+v", status, body)
	}
	undo()
	if status, body = getReady(t, s.app, "ready-3"); status != 200 {
		t.Fatalf("writable again: %d %+v", status, body)
	}

	lines := 0
	for _, line := range strings.Split(strings.TrimSpace(s.logs.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line is not JSON: %q", line)
		}
		if rec["request_id"] == "ready-2" {
			lines++
		}
	}
	// Two failed checks (Thing+, the database) and the access line.
	if lines != 3 {
		t.Errorf("%d log lines carry the failing probe's id, want 3:\n%s", lines, s.logs.String())
	}
}
