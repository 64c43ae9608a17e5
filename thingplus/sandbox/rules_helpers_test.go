package sandbox

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// rtEnv is a sandbox served over real HTTP with tokens for users 1 and 2.
type rtEnv struct {
	t          *testing.T
	sb         *Sandbox
	srv        *httptest.Server
	tok1, tok2 string
}

func rtNew(t *testing.T, pushURL func(sensorID, direction string) string) *rtEnv {
	t.Helper()
	sb := New(Options{SimulatorPace: -1, PushURL: pushURL, Seed: 1,
		App: AppClient{ID: "rules-test", Secret: "rules-test-secret", Name: "rules test",
			Scopes: []string{"rule", "timeline-read", "gateway-read", "gateway-update"}},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	srv := httptest.NewServer(validating(t, sb.Handler()))
	t.Cleanup(func() {
		srv.Close()
		sb.Close()
	})
	e := &rtEnv{t: t, sb: sb, srv: srv}
	var err error
	if e.tok1, err = sb.issueToken("1", "rules-test", time.Hour); err != nil {
		t.Fatal(err)
	}
	if e.tok2, err = sb.issueToken("2", "rules-test", time.Hour); err != nil {
		t.Fatal(err)
	}
	return e
}

// rtResp is an answer: status, raw body and the decoded envelope.
type rtResp struct {
	status int
	raw    []byte
	env    map[string]any
}

// do sends body (a string is sent as is, anything else as JSON) with token.
func (e *rtEnv) do(method, path, token string, body any) rtResp {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	r := rtResp{status: res.StatusCode, raw: raw}
	if len(raw) > 0 {
		_ = json.Unmarshal(raw, &r.env)
	}
	return r
}

func (r rtResp) data() map[string]any {
	m, _ := r.env["data"].(map[string]any)
	return m
}

func (r rtResp) list() []any {
	l, _ := r.env["data"].([]any)
	return l
}

// wantStatus fails unless the answer has status.
func (e *rtEnv) wantStatus(r rtResp, status int) {
	e.t.Helper()
	if r.status != status {
		e.t.Fatalf("status %d, want %d; body %s", r.status, status, r.raw)
	}
}

// wantError checks a v2 error envelope and returns its message.
func (e *rtEnv) wantError(r rtResp, status int, code string) string {
	e.t.Helper()
	e.wantStatus(r, status)
	errs, _ := r.env["errors"].([]any)
	if len(errs) == 0 {
		e.t.Fatalf("no errors in %s", r.raw)
	}
	first, _ := errs[0].(map[string]any)
	if first["code"] != code {
		e.t.Fatalf("error code %v, want %s; body %s", first["code"], code, r.raw)
	}
	if sc, _ := r.env["statusCode"].(float64); int(sc) != status {
		e.t.Fatalf("statusCode %v, want %d", r.env["statusCode"], status)
	}
	msg, _ := first["message"].(string)
	return msg
}

// rtRule is a valid rule body on sensor (gateway gw) with the given actions.
func rtRule(name, sensor, gw string, method map[string]any, actions ...map[string]any) map[string]any {
	acts := make([]any, len(actions))
	for i, a := range actions {
		acts[i] = a
	}
	return map[string]any{
		"name": name, "desc": "test rule", "severity": "warning", "timezone": "+9.00",
		"status": "activated", "template": "false",
		"trigger": map[string]any{"agent": "sensorValue", "type": "temperature", "method": method,
			"filter": map[string]any{"type": []any{"series"}, "gateway": "*", "sensor": []any{sensor}}},
		"conditions": []any{[]any{}},
		"actions":    []any{acts},
	}
}

func rtPush(url string) map[string]any {
	return map[string]any{"agent": "dataPush", "type": "dataPush",
		"method": map[string]any{"id": "push", "name": "push", "params": map[string]any{"url": url}}}
}

func rtEmail(to string) map[string]any {
	return map[string]any{"agent": "email", "type": "email",
		"method": map[string]any{"id": "send", "name": "send", "params": map[string]any{"to": to, "subject": "{{value}} at {{triggerSensor}}"}}}
}

func rtOver(degree any) map[string]any {
	return map[string]any{"id": "over", "name": "Over", "params": map[string]any{"degree": degree}}
}

// create POSTs a rule as user 1 and returns its id.
func (e *rtEnv) create(body map[string]any) string {
	e.t.Helper()
	r := e.do("POST", "/v2/rules", e.tok1, body)
	e.wantStatus(r, http.StatusCreated)
	id, _ := r.data()["id"].(string)
	if id == "" {
		e.t.Fatalf("no id in %s", r.raw)
	}
	return id
}

// sensor is a SensorInfo of user 1 on gateway gw.
func rtSensor(id, gw, typ string) SensorInfo {
	return SensorInfo{ID: id, Name: "Sensor " + id, Type: typ, GatewayID: gw, OwnerUserID: "1"}
}

// send hands values to the engine as the devices area does.
func (e *rtEnv) send(s SensorInfo, values ...string) {
	for _, v := range values {
		e.sb.rules.seriesArrived(SeriesEvent{Sensor: s, Value: v, Time: e.sb.nowMs()})
	}
}

// idle waits until every value handed to the engine is evaluated and every
// firing has written its timeline entry.
func (e *rtEnv) idle() {
	e.t.Helper()
	eng := e.sb.rules.engine
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		st := eng.stats()
		if st.Processed+st.Dropped == st.Received && st.Inflight == 0 {
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
	e.t.Fatalf("engine not idle: %+v", eng.stats())
}

// timeline lists user 1's timeline entries for a query (newest first).
func (e *rtEnv) timeline(query string) []map[string]any {
	e.t.Helper()
	r := e.do("GET", "/v2/timelines"+query, e.tok1, nil)
	e.wantStatus(r, http.StatusOK)
	var out []map[string]any
	for _, it := range r.list() {
		out = append(out, it.(map[string]any))
	}
	return out
}

// rtReceiver is a push target that records what it receives.
type rtReceiver struct {
	srv    *httptest.Server
	mu     sync.Mutex
	reqs   []rtReceived
	status int
}

type rtReceived struct {
	method, path, query, contentType string
	body                             []byte
}

func rtNewReceiver(t *testing.T, status int) *rtReceiver {
	rc := &rtReceiver{status: status}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.reqs = append(rc.reqs, rtReceived{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Get("Content-Type"), body})
		rc.mu.Unlock()
		w.WriteHeader(rc.status)
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *rtReceiver) received() []rtReceived {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]rtReceived(nil), rc.reqs...)
}

// waitFor polls until the receiver has n requests or the deadline passes.
func (rc *rtReceiver) waitFor(t *testing.T, n int, within time.Duration) []rtReceived {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if got := rc.received(); len(got) >= n {
			return got
		}
		time.Sleep(2 * time.Millisecond)
	}
	got := rc.received()
	t.Fatalf("receiver got %d requests within %v, want %d", len(got), within, n)
	return nil
}
