package trains

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/thingplus/thingplus-webapp/rulehistory"
	"github.com/thingplus/thingplus-webapp/thingplus"
	"github.com/thingplus/thingplus-webapp/thingplus/sandbox"
)

// sandboxEnv is the trains handler behind a front server whose URL is the
// app's PUBLIC_URL, and the real sandbox, whose seeded door rules push to it.
type sandboxEnv struct {
	*env
	sb      *sandbox.Sandbox
	sbURL   string
	client  *thingplus.Client
	token   string
	tp      Thingplus
	history *rulehistory.Store
}

func newSandboxEnv(t *testing.T) *sandboxEnv {
	t.Helper()
	var target atomic.Pointer[url.URL]
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		httputil.NewSingleHostReverseProxy(target.Load()).ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)
	e := newEnv(t, func(_ *Deps, c *Config) { c.PublicURL = front.URL })
	u, _ := url.Parse(e.srv.URL)
	target.Store(u)
	sb := sandbox.New(sandbox.Options{SimulatorPace: -1, Seed: 5, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		PushURL: func(sensorID, dir string) string { return PushURL(front.URL, testKey, sensorID, dir) }})
	t.Cleanup(sb.Close)
	srv := httptest.NewServer(sb.Handler())
	t.Cleanup(srv.Close)
	client, err := thingplus.New(srv.URL + "/v2")
	if err != nil {
		t.Fatal(err)
	}
	tok, err := sb.TokenFor("1")
	if err != nil {
		t.Fatal(err)
	}
	tok2, err := sb.TokenFor("2")
	if err != nil {
		t.Fatal(err)
	}
	// The accounts sign in with their real sandbox tokens; the handler asks
	// the sandbox about sensors and rules.
	e.users["1"] = testUser{e.users["1"].user, tok}
	e.users["2"] = testUser{e.users["2"].user, tok2}
	tp := Thingplus{API: client}
	e.h.checker, e.h.wirer, e.h.sensors, e.h.rules = tp, tp, tp, tp
	history, err := rulehistory.Open(context.Background(), e.store.DB(), nil)
	if err != nil {
		t.Fatal(err)
	}
	e.h.ruleLog = history
	return &sandboxEnv{env: e, sb: sb, sbURL: srv.URL, client: client, token: tok, tp: tp, history: history}
}

// rulesPushingTo lists the ids of the user's rules with a dataPush to u.
func (s *sandboxEnv) rulesPushingTo(u string) []string {
	s.t.Helper()
	rules, err := s.client.ListRules(context.Background(), s.token)
	if err != nil {
		s.t.Fatal(err)
	}
	var ids []string
	for _, r := range rules {
		if pushesTo(r, u) {
			ids = append(ids, r.ID)
		}
	}
	return ids
}

// putValue sends a door sensor value through the sandbox's series API.
func (s *sandboxEnv) putValue(sensorID, value string) {
	s.t.Helper()
	gw, _, _ := strings.Cut(sensorID, "-")
	body, _ := json.Marshal(map[string]any{"value": value, "time": time.Now().UnixMilli()})
	req, _ := http.NewRequest(http.MethodPut, s.sbURL+"/v2/gateways/"+gw+"/sensors/"+sensorID+"/series", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+s.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		s.t.Fatalf("PUT series %s: %d", sensorID, resp.StatusCode)
	}
}

func (s *sandboxEnv) carCount(sensorID string) int {
	s.t.Helper()
	_, car, err := s.store.DoorOf(context.Background(), sensorID)
	if err != nil {
		s.t.Fatal(err)
	}
	c, err := s.store.Car(context.Background(), car)
	if err != nil {
		s.t.Fatal(err)
	}
	return c.Count
}

func (s *sandboxEnv) waitCount(sensorID string, want int) {
	s.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for s.carCount(sensorID) != want {
		if time.Now().After(deadline) {
			s.t.Fatalf("%s: count %d, want %d", sensorID, s.carCount(sensorID), want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestDoorSensorsFromSandbox: the picker offers the user's 12 door
// sensors (countEvent), named after their gateway, and nothing else.
func TestDoorSensorsFromSandbox(t *testing.T) {
	s := newSandboxEnv(t)
	got, err := s.tp.DoorSensors(context.Background(), s.token)
	if err != nil || len(got) != 12 {
		t.Fatalf("door sensors: %d %v", len(got), err)
	}
	if got[0].ID != "b827ebd0a001-1-door1" || !strings.HasPrefix(got[0].Name, "Subway 신림-성수 line — ") {
		t.Fatalf("first: %+v", got[0])
	}
	for _, c := range got {
		if !strings.HasPrefix(c.ID, "b827ebd0a001-") || !strings.Contains(c.ID, "-door") {
			t.Errorf("not a door sensor: %+v", c)
		}
	}
}

// TestWireDoorAgainstSandbox: wiring creates the door's rules in Thing+
// once; a door whose rules already push here (every seeded door) is left
// alone, else each passenger would be counted twice. The rules it creates
// fire into the webhook.
func TestWireDoorAgainstSandbox(t *testing.T) {
	s := newSandboxEnv(t)
	ctx := context.Background()
	const door = "b827ebd0a001-2-door3"
	in, out := PushURL(s.h.cfg.PublicURL, testKey, door, "IN"), PushURL(s.h.cfg.PublicURL, testKey, door, "OUT")
	if len(s.rulesPushingTo(in)) != 1 || len(s.rulesPushingTo(out)) != 1 {
		t.Fatalf("seeded rules: IN %v OUT %v", s.rulesPushingTo(in), s.rulesPushingTo(out))
	}

	// A seeded door is already wired: nothing is added.
	res, err := s.tp.WireDoor(ctx, s.token, "+9.00", door, in, out, nil)
	if err != nil || len(res.Created) != 0 || len(res.Existing) != 2 {
		t.Fatalf("wire a wired door: %+v %v", res, err)
	}
	if len(s.rulesPushingTo(in)) != 1 || len(s.rulesPushingTo(out)) != 1 {
		t.Fatalf("duplicate rules: IN %v OUT %v", s.rulesPushingTo(in), s.rulesPushingTo(out))
	}
	before := s.carCount(door)
	s.putValue(door, "1")
	s.waitCount(door, before+1)
	time.Sleep(200 * time.Millisecond)
	if got := s.carCount(door); got != before+1 {
		t.Fatalf("one passenger counted as %d", got-before)
	}

	// Without rules: wiring creates both, and they fire into the webhook.
	for _, id := range append(s.rulesPushingTo(in), s.rulesPushingTo(out)...) {
		if err := s.client.DeleteRule(ctx, s.token, id); err != nil {
			t.Fatal(err)
		}
	}
	var noted []string
	journal := func(action string, r thingplus.Rule) error {
		noted = append(noted, action+" "+r.ID)
		return nil
	}
	res, err = s.tp.WireDoor(ctx, s.token, "+9.00", door, in, out, journal)
	if err != nil || strings.Join(res.Created, ",") != "IN,OUT" || len(res.Existing) != 0 {
		t.Fatalf("wire: %+v %v", res, err)
	}
	ins, outs := s.rulesPushingTo(in), s.rulesPushingTo(out)
	if len(ins) != 1 || len(outs) != 1 {
		t.Fatalf("after wiring: IN %v OUT %v", ins, outs)
	}
	if want := []string{"create " + ins[0], "create " + outs[0]}; !slices.Equal(noted, want) {
		t.Fatalf("journal %v, want %v", noted, want)
	}
	r, err := s.client.GetRule(ctx, s.token, ins[0])
	if err != nil || r.Status != thingplus.RuleActivated || r.Trigger.Type != DoorSensorType ||
		strings.Join(r.TriggerSensors(), ",") != door || r.Trigger.Method.ID != thingplus.MethodOver {
		t.Fatalf("IN rule: %+v %v", r, err)
	}
	// Again: idempotent.
	if res, err = s.tp.WireDoor(ctx, s.token, "+9.00", door, in, out, nil); err != nil || len(res.Created) != 0 {
		t.Fatalf("wire again: %+v %v", res, err)
	}
	n := s.carCount(door)
	s.putValue(door, "1")
	s.waitCount(door, n+1)
	s.putValue(door, "-1")
	s.waitCount(door, n)

	// Only the OUT rule missing: only it is created.
	if err := s.client.DeleteRule(ctx, s.token, outs[0]); err != nil {
		t.Fatal(err)
	}
	res, err = s.tp.WireDoor(ctx, s.token, "+9.00", door, in, out, nil)
	if err != nil || strings.Join(res.Created, ",") != "OUT" || strings.Join(res.Existing, ",") != "IN" {
		t.Fatalf("wire OUT only: %+v %v", res, err)
	}
	if len(s.rulesPushingTo(in)) != 1 || len(s.rulesPushingTo(out)) != 1 {
		t.Fatal("wire OUT only: wrong rules")
	}
}

func TestWiredText(t *testing.T) {
	for _, c := range []struct {
		res  WireResult
		want string
	}{
		{WireResult{Created: []string{"IN", "OUT"}}, "IN and OUT rules created"},
		{WireResult{Existing: []string{"IN", "OUT"}}, "already wired"},
		{WireResult{Created: []string{"OUT"}, Existing: []string{"IN"}}, "The OUT rule was created in Thing+ for d-1; its IN rule already existed."},
	} {
		if got := wiredText(context.Background(), "d-1", c.res); !strings.Contains(got, c.want) {
			t.Errorf("%+v: %q", c.res, got)
		}
	}
}

// TestRepointAgainstSandbox: "Re-point this train's rules" moves the
// seeded rules (legacy key) to the train's own URL, and again after a
// rotation; the rules still count through the webhook, and "Wire this
// door" after a rotation adds no second rule.
func TestRepointAgainstSandbox(t *testing.T) {
	s := newSandboxEnv(t)
	ctx := context.Background()
	const door = "b827ebd0a001-2-door3"
	legacyIn := PushURL(s.h.cfg.PublicURL, testKey, door, "IN")
	if len(s.rulesPushingTo(legacyIn)) != 1 {
		t.Fatal("seeded rule missing")
	}
	repoint := func() string {
		t.Helper()
		resp, body := s.do(req{method: "POST", path: "/trains/1000/rules/repoint", ctype: formType, as: "1", htmx: true})
		if resp.StatusCode != 200 {
			t.Fatalf("repoint: %d", resp.StatusCode)
		}
		return body
	}
	if body := repoint(); !strings.Contains(body, "24 Thing+ rule(s) now push to this train&#39;s current URL.") {
		i := strings.Index(body, "rule(s)")
		t.Fatalf("repoint did not report the 24 door rules: %q", body[max(0, i-200):min(len(body), i+100)])
	}
	tok, _ := s.store.Token(ctx, 1000)
	in, out := s.h.pushURL(tok.Token, door, "IN"), s.h.pushURL(tok.Token, door, "OUT")
	if len(s.rulesPushingTo(legacyIn)) != 0 || len(s.rulesPushingTo(in)) != 1 || len(s.rulesPushingTo(out)) != 1 {
		t.Fatal("rules not re-pointed")
	}
	// Each re-pointed rule is in the rules history as it was before, so the
	// rules screen can show and restore it.
	versions, err := s.history.Latest(ctx, "1")
	if err != nil || len(versions) != 24 {
		t.Fatalf("history after repoint: %d versions, %v", len(versions), err)
	}
	old := 0
	for _, v := range versions {
		if v.Action != rulehistory.Update || v.Actor != "demo" {
			t.Fatalf("version %+v", v)
		}
		if strings.Contains(string(v.Body), legacyIn) {
			old++
		}
	}
	if old != 1 {
		t.Fatalf("%d snapshots hold the door's old IN URL, want 1", old)
	}
	n := s.carCount(door)
	s.putValue(door, "1")
	s.waitCount(door, n+1)

	// Rotate: the old token keeps counting until re-pointed.
	s.do(req{method: "POST", path: "/trains/1000/token/rotate", ctype: formType, as: "1", htmx: true})
	s.putValue(door, "1")
	s.waitCount(door, n+2)
	// Wiring the door now re-points its rules instead of adding others.
	if resp, _ := s.do(req{method: "POST", path: "/trains/doors/wire", ctype: formType, body: form("sensorId", door), as: "1", htmx: true}); resp.StatusCode != 200 {
		t.Fatalf("wire: %d", resp.StatusCode)
	}
	nu, _ := s.store.Token(ctx, 1000)
	newIn := s.h.pushURL(nu.Token, door, "IN")
	if len(s.rulesPushingTo(in)) != 0 || len(s.rulesPushingTo(newIn)) != 1 {
		t.Fatalf("after wiring: old %d new %d", len(s.rulesPushingTo(in)), len(s.rulesPushingTo(newIn)))
	}
	s.putValue(door, "1")
	s.waitCount(door, n+3)
	time.Sleep(200 * time.Millisecond)
	if got := s.carCount(door); got != n+3 {
		t.Fatalf("one passenger counted as %d", got-n-2)
	}
	// The other doors' rules still carry the old token: re-point them.
	if body := repoint(); !strings.Contains(body, "22 Thing+ rule(s)") {
		t.Fatal("second repoint")
	}
	// A viewer cannot re-point (the rules are the owner's).
	s.store.ShareTrain(ctx, 1000, "other", 1)
	if resp, _ := s.do(req{method: "POST", path: "/trains/1000/rules/repoint", ctype: formType, as: "2", htmx: true}); resp.StatusCode != 403 {
		t.Fatalf("viewer repoint: %d", resp.StatusCode)
	}
}
