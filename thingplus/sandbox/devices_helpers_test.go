package sandbox

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// devClock is an Options.Now the test moves by hand.
type devClock struct {
	mu sync.Mutex
	t  time.Time
}

func newDevClock() *devClock {
	// 14:00 in Seoul: the trains are busy, the day is warm.
	return &devClock{t: time.Date(2025, 5, 14, 5, 0, 0, 0, time.UTC)}
}

func (c *devClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *devClock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	return c.t
}

// devOptions is a sandbox for device tests: seeded, simulator off, an app
// client with the scopes the webapp asks for.
func devOptions(clock *devClock) Options {
	o := Options{Seed: 7, SimulatorPace: -1,
		App: AppClient{ID: "webapp", Secret: "secret", Name: "webapp", Scopes: []string{"gateway", "site-read", "rule"}}}
	if clock != nil {
		o.Now = clock.Now
	}
	return o
}

// devClient calls the sandbox over real HTTP as one user.
type devClient struct {
	t     *testing.T
	sb    *Sandbox
	base  string
	token string
}

func newDevSandbox(t *testing.T, opts Options) (*Sandbox, *devClient) {
	t.Helper()
	sb := New(opts)
	srv := httptest.NewServer(validating(t, sb.Handler()))
	t.Cleanup(func() {
		srv.Close()
		sb.Close()
	})
	c := &devClient{t: t, sb: sb, base: srv.URL}
	return sb, c.as("1")
}

// as returns a client with a token of userID.
func (c *devClient) as(userID string) *devClient {
	c.t.Helper()
	tok, err := c.sb.issueToken(userID, c.sb.opts.App.ID, 10*365*24*time.Hour)
	if err != nil {
		c.t.Fatal(err)
	}
	return &devClient{t: c.t, sb: c.sb, base: c.base, token: tok}
}

// anonymous has no credentials.
func (c *devClient) anonymous() *devClient {
	return &devClient{t: c.t, sb: c.sb, base: c.base}
}

type devResp struct {
	status int
	body   map[string]any
	raw    []byte
}

func (c *devClient) call(method, path, body string) devResp {
	c.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	r := devResp{status: resp.StatusCode, raw: raw}
	if len(raw) > 0 && raw[0] == '{' {
		if err := json.Unmarshal(raw, &r.body); err != nil {
			c.t.Fatalf("%s %s: bad JSON %q: %v", method, path, raw, err)
		}
	}
	return r
}

// ok calls and requires the status; it returns data.
func (c *devClient) ok(status int, method, path, body string) devResp {
	c.t.Helper()
	r := c.call(method, path, body)
	if r.status != status {
		c.t.Fatalf("%s %s: status %d, want %d: %s", method, path, r.status, status, r.raw)
	}
	return r
}

// fails calls and requires the status and v2 error code.
func (c *devClient) fails(status int, code, method, path, body string) devResp {
	c.t.Helper()
	r := c.ok(status, method, path, body)
	if got := r.code(); got != code {
		c.t.Fatalf("%s %s: code %q, want %q: %s", method, path, got, code, r.raw)
	}
	return r
}

func (r devResp) code() string {
	errs, _ := r.body["errors"].([]any)
	if len(errs) == 0 {
		return ""
	}
	e, _ := errs[0].(map[string]any)
	s, _ := e["code"].(string)
	return s
}

func (r devResp) obj() map[string]any {
	m, _ := r.body["data"].(map[string]any)
	return m
}

func (r devResp) list() []map[string]any {
	items, _ := r.body["data"].([]any)
	out := make([]map[string]any, len(items))
	for i, it := range items {
		out[i], _ = it.(map[string]any)
	}
	return out
}

func (r devResp) meta() map[string]any {
	m, _ := r.body["_meta"].(map[string]any)
	return m
}

func devIDs(items []map[string]any) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i], _ = it["id"].(string)
	}
	return out
}

// devIsMsString is a time as GET shows it: a decimal string.
func devIsMsString(v any) bool {
	s, ok := v.(string)
	if !ok || s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func devIsNumber(v any) bool {
	_, ok := v.(float64)
	return ok
}
