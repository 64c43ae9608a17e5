package trains

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/thingplus/thingplus-webapp/thingplus"
	"github.com/thingplus/thingplus-webapp/trains"
)

// clock is a settable clock shared by the store and the handler.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// TestTokenOfAnotherTrain: train A's token cannot move a count of train B:
// 403, nothing counted, the refusal logged on B's log; the legacy key still
// counts every train.
func TestTokenOfAnotherTrain(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	e.store.AssignDoor(ctx, 2003, trains.Door{SensorID: "gw2-1-door1"})
	a, _ := e.store.Token(ctx, 1000)
	b, _ := e.store.Token(ctx, 1002)
	if resp, body := e.do(req{method: "POST", path: "/api/trigger/gw2-1-door1/IN?key=" + a.Token}); resp.StatusCode != 403 || e.count(2003) != 0 {
		t.Fatalf("A's token on B's sensor: %d %q, count %d", resp.StatusCode, body, e.count(2003))
	}
	if resp, _ := e.do(req{method: "POST", path: "/api/trigger", ctype: "application/json", header: map[string]string{KeyHeader: a.Token},
		body: `{"sensorId":"gw2-1-door1","type":"IN"}`}); resp.StatusCode != 403 || e.count(2003) != 0 {
		t.Fatalf("A's token in the header: %d", resp.StatusCode)
	}
	evs, _ := e.store.Events(ctx, trains.EventFilter{Outcome: trains.OutcomeWrongTrain})
	if len(evs) != 2 || evs[0].TrainID != 1002 || evs[0].Reason != "token of train 1000" {
		t.Fatalf("refusal log: %+v", evs)
	}
	if resp, _ := e.do(req{method: "POST", path: "/api/trigger/gw2-1-door1/IN?key=" + b.Token}); resp.StatusCode != 204 || e.count(2003) != 1 {
		t.Fatalf("B's own token: %d", resp.StatusCode)
	}
	if resp, _ := e.do(req{method: "POST", path: "/api/trigger/gw2-1-door1/IN?key=" + testKey}); resp.StatusCode != 204 || e.count(2003) != 2 {
		t.Fatalf("legacy key: %d", resp.StatusCode)
	}
	// The owner is warned that a rule still uses the legacy key.
	_, body := e.do(req{method: "GET", path: "/trains", user: true})
	d := doc(t, body)
	if d.Find(`[data-train-id="1002"] [data-testid="legacy-key"]`).Length() != 1 || d.Find(`[data-train-id="1000"] [data-testid="legacy-key"]`).Length() != 0 {
		t.Fatal("legacy key warning")
	}
}

// TestRotationGrace: after a rotation the old token works until the grace
// ends (fake clock), the page shows when; then only the new one counts.
func TestRotationGrace(t *testing.T) {
	clk := &clock{t: time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)}
	e := newEnvStore(t, func(_ *Deps, c *Config) { c.Now = clk.Now }, 30*time.Second,
		trains.Options{Now: clk.Now, TokenGrace: 24 * time.Hour})
	ctx := context.Background()
	old, _ := e.store.Token(ctx, 1000)
	push := func(tok string) int {
		resp, _ := e.do(req{method: "POST", path: "/api/trigger/" + sensor(1, 1) + "/IN?key=" + tok})
		return resp.StatusCode
	}
	if push(old.Token) != 204 {
		t.Fatal("token before rotation")
	}
	resp, body := e.do(req{method: "POST", path: "/trains/1000/token/rotate", user: true, htmx: true, ctype: formType})
	// The grace's end is in the owner's zone (demo: Asia/Seoul), named.
	if resp.StatusCode != 200 || !strings.Contains(body, "keeps working until 2026-03-02 17:00 KST") {
		t.Fatalf("rotate: %d", resp.StatusCode)
	}
	d := doc(t, body)
	if g := d.Find(`[data-train-id="1000"] [data-testid="token-grace"]`).Text(); !strings.Contains(g, "2026-03-02 17:00 KST") {
		t.Fatalf("grace shown as %q", g)
	}
	nu, _ := e.store.Token(ctx, 1000)
	if nu.Token == old.Token || !strings.Contains(body, nu.Token) || strings.Contains(body, old.Token) {
		t.Fatal("the page shows the wrong token")
	}
	clk.Add(23*time.Hour + 59*time.Minute)
	if push(old.Token) != 204 || push(nu.Token) != 204 {
		t.Fatal("both tokens work during the grace")
	}
	clk.Add(time.Minute)
	if push(old.Token) != 401 || push(nu.Token) != 204 {
		t.Fatal("after the grace only the new token works")
	}
	if e.count(2000) != 4 {
		t.Fatalf("count %d, want 4", e.count(2000))
	}
}

// TestRefusalRateLimit: one address causing more than WEBHOOK_RATE refusals
// a second gets 429 with Retry-After for a while, and its refusals are not
// logged one by one; valid pushes from the same address still count.
func TestRefusalRateLimit(t *testing.T) {
	clk := &clock{t: time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)}
	e := newEnvStore(t, func(_ *Deps, c *Config) { c.Now = clk.Now; c.RejectRate = 5; c.TarpitDelay = 20 * time.Millisecond }, 30*time.Second, trains.Options{Now: clk.Now})
	ctx := context.Background()
	tok, _ := e.store.Token(ctx, 1000)
	statuses := map[int]int{}
	var retry string
	for range 20 {
		resp, _ := e.do(req{method: "POST", path: "/api/trigger/" + sensor(1, 1) + "/IN?key=wrong"})
		statuses[resp.StatusCode]++
		if resp.StatusCode == 429 {
			retry = resp.Header.Get("Retry-After")
		}
		// A valid push between the bad ones is never limited.
		if resp, _ := e.do(req{method: "POST", path: "/api/trigger/" + sensor(1, 2) + "/IN?key=" + tok.Token}); resp.StatusCode != 204 {
			t.Fatalf("valid push limited: %d", resp.StatusCode)
		}
	}
	if statuses[401] != 5 || statuses[429] != 15 || retry != "5" {
		t.Fatalf("statuses %v, Retry-After %q", statuses, retry)
	}
	// The 429s are held back (tarpit), so a flooding client slows itself.
	t0 := time.Now()
	if resp, _ := e.do(req{method: "POST", path: "/api/trigger/" + sensor(1, 1) + "/IN?key=wrong"}); resp.StatusCode != 429 || time.Since(t0) < 20*time.Millisecond {
		t.Fatalf("statuses %v, Retry-After %q", statuses, retry)
	}
	if e.count(2000) != 20 {
		t.Fatalf("count %d", e.count(2000))
	}
	if r := e.store.Rejections(); r[trains.OutcomeBadKey] != 5 || r[trains.OutcomeRateLimited] != 16 {
		t.Fatalf("counters %v", r)
	}
	clk.Add(5 * time.Second)
	if resp, _ := e.do(req{method: "POST", path: "/api/trigger/" + sensor(1, 1) + "/IN?key=wrong"}); resp.StatusCode != 401 {
		t.Fatalf("after the block: %d", resp.StatusCode)
	}
}

// TestUnknownSensorRefused: through the real sandbox, a door sensor can be
// assigned only if the account's Thing+ token sees it; a made-up id or
// another account's sensor is refused in place, nothing saved, nothing wired.
func TestUnknownSensorRefused(t *testing.T) {
	s := newSandboxEnv(t)
	ctx := context.Background()
	rulesBefore, _ := s.client.ListRules(ctx, s.token)
	before := s.dbState()
	for _, c := range []struct{ as, sensor, want string }{
		{"1", "b827ebd0a001-9-door9", "Thing+ has no sensor b827ebd0a001-9-door9 in your account."},
		{"1", "nosuchgateway-1-door1", "Thing+ has no sensor nosuchgateway-1-door1 in your account."},
	} {
		resp, body := s.do(req{method: "POST", path: "/trains/cars/2003/doors", ctype: formType, body: form("sensorId", c.sensor), as: c.as, htmx: true})
		d := doc(t, body)
		if resp.StatusCode != 422 || d.Find("#door-2003-error").Text() != c.want || d.Find("#door-2003-sensorId").AttrOr("value", "") != c.sensor {
			t.Fatalf("%s: %d %q", c.sensor, resp.StatusCode, d.Find("#door-2003-error").Text())
		}
	}
	if s.dbState() != before {
		t.Fatal("a refused sensor changed the database")
	}
	// other's own train, demo's sensor: other's Thing+ does not have it.
	s.do(req{method: "POST", path: "/trains", ctype: formType, body: form("name", "other line"), as: "2"})
	ts, _ := s.store.TrainsFor(ctx, trains.Principal{UserID: "2", LoginID: "other"})
	s.do(req{method: "POST", path: "/trains/" + i64s(ts[0].ID) + "/cars", ctype: formType, body: form("capacity", "5"), as: "2"})
	ts, _ = s.store.TrainsFor(ctx, trains.Principal{UserID: "2", LoginID: "other"})
	car := i64s(ts[0].Cars[0].ID)
	before2 := s.dbState()
	resp, body := s.do(req{method: "POST", path: "/trains/cars/" + car + "/doors", ctype: formType, body: form("sensorId", sensor(1, 1)), as: "2", htmx: true})
	if resp.StatusCode != 422 || !strings.Contains(body, "Thing+ has no sensor "+sensor(1, 1)+" in your account.") {
		t.Fatalf("another account's sensor: %d", resp.StatusCode)
	}
	if s.dbState() != before2 {
		t.Fatal("a refused sensor changed the database")
	}
	if rules, _ := s.client.ListRules(ctx, s.token); len(rules) != len(rulesBefore) {
		t.Fatal("rules were created")
	}
	// A sensor demo's Thing+ has (not yet on a car) is accepted; it belongs
	// to at most one car across all accounts.
	gws, _ := s.client.AllGateways(ctx, s.token, thingplusQuery())
	var free string
	for _, g := range gws {
		ss, _ := s.client.Sensors(ctx, s.token, g.ID, thingplusQuery())
		for _, x := range ss {
			if _, _, err := s.store.DoorOf(ctx, x.ID); err != nil && strings.HasPrefix(x.ID, g.ID+"-") {
				free = x.ID
			}
		}
	}
	if free == "" {
		t.Skip("the sandbox has no unassigned sensor")
	}
	if resp, _ := s.do(req{method: "POST", path: "/trains/cars/2003/doors", ctype: formType, body: form("sensorId", free), as: "1", htmx: true}); resp.StatusCode != 200 {
		t.Fatalf("a real sensor: %d", resp.StatusCode)
	}
	if resp, _ := s.do(req{method: "POST", path: "/trains/cars/2004/doors", ctype: formType, body: form("sensorId", free), as: "1", htmx: true}); resp.StatusCode != http.StatusConflict {
		t.Fatalf("the same sensor on a second car: %d", resp.StatusCode)
	}
}

func i64s(n int64) string { return strconv.FormatInt(n, 10) }

func thingplusQuery() thingplus.Query { return thingplus.Query{} }

// TestPushURLFor: the rules screen's push-to-this-app URL carries the token
// of the train holding the sensor only for that train's owner; anyone else
// gets the legacy key's URL, never another account's token.
func TestPushURLFor(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	tok, _ := e.store.Token(ctx, 1000)
	if got := e.h.PushURLFor(ctx, "1", sensor(1, 1), "IN"); got != PushURL("http://localhost:3000", tok.Token, sensor(1, 1), "IN") {
		t.Fatalf("owner: %s", got)
	}
	for _, user := range []string{"2", ""} {
		if got := e.h.PushURLFor(ctx, user, sensor(1, 1), "OUT"); strings.Contains(got, tok.Token) || !strings.HasSuffix(got, "?key="+testKey) {
			t.Fatalf("user %q: %s", user, got)
		}
	}
	if got := e.h.PushURLFor(ctx, "1", "not-on-a-car", "IN"); !strings.HasSuffix(got, "?key="+testKey) {
		t.Fatalf("unassigned sensor: %s", got)
	}
}
