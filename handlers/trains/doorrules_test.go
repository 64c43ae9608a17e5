package trains

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/thingplus/thingplus-webapp/apptest"
	"github.com/thingplus/thingplus-webapp/thingplus"
	"github.com/thingplus/thingplus-webapp/trains"
	vt "github.com/thingplus/thingplus-webapp/views/trains"
	"github.com/thingplus/thingplus-webapp/wiring"
)

// doorStates reads a car's door-rule answer: sensor → "IN-state OUT-state",
// and the summary's state.
func doorStates(t *testing.T, body string) (map[string]string, string) {
	t.Helper()
	d, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	d.Find(`[data-testid="door-rules"]`).Each(func(_ int, s *goquery.Selection) {
		var st []string
		s.Find(`[data-testid="door-rule"]`).Each(func(_ int, r *goquery.Selection) {
			st = append(st, r.AttrOr("data-dir", "")+"="+r.AttrOr("data-state", ""))
		})
		out[s.AttrOr("data-sensor-id", "")] = strings.Join(st, " ")
	})
	return out, d.Find(`[data-testid="door-rules-status"]`).AttrOr("data-state", "")
}

// TestDoorRulesAgainstSandbox: a car's panel shows each door's IN and OUT
// rule as the real sandbox has them: the seeded rules carry the legacy key
// (an old token), re-pointed they are OK, and a rule deleted, pointed at
// another host, pointed at an old key or switched off shows as such, with
// the wiring check linked. Only the owner sees it.
func TestDoorRulesAgainstSandbox(t *testing.T) {
	s := newSandboxEnv(t)
	ctx := context.Background()
	_, carID, err := s.store.DoorOf(ctx, sensor(2, 1))
	if err != nil {
		t.Fatal(err)
	}
	car, _ := s.store.Car(ctx, carID)
	if len(car.Doors) < 3 {
		t.Fatalf("car %d has %d doors", carID, len(car.Doors))
	}
	path := vt.RulesURL(carID)
	get := func() (map[string]string, string, string) {
		t.Helper()
		resp, body := s.do(req{method: "GET", path: path, as: "1", htmx: true})
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d %s", path, resp.StatusCode, body)
		}
		st, sum := doorStates(t, body)
		return st, sum, body
	}
	st, sum, _ := get()
	for _, d := range car.Doors {
		if st[d.SensorID] != "IN=stale OUT=stale" {
			t.Fatalf("seeded %s: %q (summary %s)", d.SensorID, st[d.SensorID], sum)
		}
	}
	if resp, _ := s.do(req{method: "POST", path: "/trains/1000/rules/repoint", ctype: formType, as: "1", htmx: true}); resp.StatusCode != 200 {
		t.Fatalf("repoint: %d", resp.StatusCode)
	}
	st, sum, body := get()
	if sum != "ok" || len(st) != len(car.Doors) || strings.Contains(body, "/rules/wiring") {
		t.Fatalf("after repoint: %v %s", st, sum)
	}
	for _, d := range car.Doors {
		if st[d.SensorID] != "IN=ok OUT=ok" {
			t.Fatalf("after repoint %s: %q", d.SensorID, st[d.SensorID])
		}
	}

	// Break three doors on purpose.
	tok, _ := s.store.Token(ctx, 1000)
	a, b, c := car.Doors[0].SensorID, car.Doors[1].SensorID, car.Doors[2].SensorID
	rule := func(sensorID, dir string) thingplus.Rule {
		t.Helper()
		ids := s.rulesPushingTo(s.h.pushURL(tok.Token, sensorID, dir))
		if len(ids) != 1 {
			t.Fatalf("%s %s: rules %v", sensorID, dir, ids)
		}
		r, err := s.client.GetRule(ctx, s.token, ids[0])
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	update := func(r thingplus.Rule) {
		t.Helper()
		if _, err := s.client.UpdateRule(ctx, s.token, r); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.client.DeleteRule(ctx, s.token, rule(a, "IN").ID); err != nil {
		t.Fatal(err)
	}
	update(wiring.Repointed(rule(b, "OUT"), b, "OUT", PushURL("http://old-host.example:3000", tok.Token, b, "OUT")))
	update(wiring.Repointed(rule(b, "IN"), b, "IN", PushURL(s.h.cfg.PublicURL, testKey, b, "IN")))
	off := rule(c, "IN")
	off.Status = thingplus.RuleDeactivated
	update(off)

	st, sum, body = get()
	want := map[string]string{a: "IN=missing OUT=ok", b: "IN=stale OUT=host", c: "IN=off OUT=ok"}
	for sid, w := range want {
		if st[sid] != w {
			t.Errorf("%s: %q, want %q", sid, st[sid], w)
		}
	}
	for _, d := range car.Doors[3:] {
		if st[d.SensorID] != "IN=ok OUT=ok" {
			t.Errorf("untouched %s: %q", d.SensorID, st[d.SensorID])
		}
	}
	for _, words := range []string{"IN rule missing", "IN rule has an old token", "OUT rule pushes to http://old-host.example:3000", "IN rule switched off", "4 door rule(s) do not count here."} {
		if !strings.Contains(body, words) {
			t.Errorf("no %q in the answer", words)
		}
	}
	if sum != "problems" || strings.Count(body, `href="/rules/wiring"`) != 4 { // the summary's and one per broken door
		t.Errorf("summary %q, %d wiring links", sum, strings.Count(body, `href="/rules/wiring"`))
	}
	if strings.Contains(body, tok.Token) || strings.Contains(body, testKey) {
		t.Error("a token or key in the door states")
	}

	// The page itself never asks Thing+ for rules; the owner's panel
	// holds the loader, another account's view does not.
	_, page := s.do(req{method: "GET", path: "/trains", as: "1"})
	if !strings.Contains(page, `hx-get="`+path+`"`) {
		t.Fatal("owner's page without the door-rule loader")
	}
	if resp, _ := s.do(req{method: "GET", path: path, as: "2", htmx: true}); resp.StatusCode != 404 {
		t.Fatalf("another account: %d", resp.StatusCode)
	}
	if err := s.store.ShareTrain(ctx, 1000, "other", trains.RoleEditor); err != nil {
		t.Fatal(err)
	}
	if resp, _ := s.do(req{method: "GET", path: path, as: "2", htmx: true}); resp.StatusCode != 403 {
		t.Fatalf("editor: %d", resp.StatusCode)
	}
	if _, page := s.do(req{method: "GET", path: "/trains", as: "2"}); strings.Contains(page, path) {
		t.Fatal("an editor's page asks for the owner's door rules")
	}
}

// TestDoorRulesThingplusDown: with Thing+ unreachable the page still
// renders, and the panel's answer is "unavailable" with a retry, in place
// (200), no door state guessed.
func TestDoorRulesThingplusDown(t *testing.T) {
	s := newSandboxEnv(t)
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	client, err := thingplus.New(dead.URL + "/v2")
	if err != nil {
		t.Fatal(err)
	}
	s.h.rules = Thingplus{API: client}
	if resp, page := s.do(req{method: "GET", path: "/trains", as: "1"}); resp.StatusCode != 200 || !strings.Contains(page, vt.RulesURL(2000)) {
		t.Fatalf("page: %d", resp.StatusCode)
	}
	resp, body := s.do(req{method: "GET", path: vt.RulesURL(2000), as: "1", htmx: true})
	st, sum := doorStates(t, body)
	if resp.StatusCode != 200 || sum != "unavailable" || len(st) != 0 || !strings.Contains(body, `data-testid="door-rules-retry"`) {
		t.Fatalf("down: %d %q %v", resp.StatusCode, sum, st)
	}
}

// TestDoorRulesThingplusBusy: Thing+ answers the rules with 429 and
// Retry-After: 30; the car's panel answers in place (200) that Thing+ is
// busy and for how long, in English and Korean, with its retry button.
func TestDoorRulesThingplusBusy(t *testing.T) {
	s := newSandboxEnv(t)
	busy := httptest.NewServer(apptest.BusyGate(func(*http.Request) bool { return true }, nil))
	defer busy.Close()
	client, err := thingplus.New(busy.URL + "/v2")
	if err != nil {
		t.Fatal(err)
	}
	s.h.rules = Thingplus{API: client}
	for lang, want := range map[string]string{
		"en": "Thing+ is busy — try again in 30 s.",
		"ko": "Thing+가 바쁩니다. 30초 후에 다시 시도해 주십시오.",
	} {
		resp, body := s.do(req{method: "GET", path: vt.RulesURL(2000), as: "1", htmx: true, header: map[string]string{"X-Test-Lang": lang}})
		st, sum := doorStates(t, body)
		if resp.StatusCode != 200 || sum != "unavailable" || len(st) != 0 || !strings.Contains(body, `data-testid="door-rules-retry"`) {
			t.Fatalf("%s: %d %q %v", lang, resp.StatusCode, sum, st)
		}
		if !strings.Contains(body, want) {
			t.Errorf("%s: the panel does not say %q: %s", lang, want, body)
		}
	}
}
