package thingplus_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/thingplus/thingplus-webapp/thingplus"
	"github.com/thingplus/thingplus-webapp/thingplus/sandbox"
)

// ruleSandbox is the real sandbox over HTTP, with the door rules pushing to
// a real test server that records what it receives.
type ruleSandbox struct {
	sb     *sandbox.Sandbox
	c      *thingplus.Client
	token  string // user 1 (demo)
	other  string // user 2
	mu     sync.Mutex
	pushes []map[string]any
}

func newRuleSandbox(t *testing.T) *ruleSandbox {
	t.Helper()
	rs := &ruleSandbox{}
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		_ = json.NewDecoder(r.Body).Decode(&body)
		body["_path"] = r.URL.Path
		rs.mu.Lock()
		rs.pushes = append(rs.pushes, body)
		rs.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(hook.Close)
	rs.sb = sandbox.New(sandbox.Options{
		SimulatorPace: -1,
		Logger:        slog.New(slog.NewTextHandler(io.Discard, nil)),
		PushURL: func(sensorID, dir string) string {
			return hook.URL + "/api/trigger/" + sensorID + "/" + dir + "?key=test-key-0123456789"
		},
	})
	t.Cleanup(rs.sb.Close)
	srv := httptest.NewServer(rs.sb.Handler())
	t.Cleanup(srv.Close)
	var err error
	if rs.c, err = thingplus.New(srv.URL + "/v2"); err != nil {
		t.Fatal(err)
	}
	if rs.token, err = rs.sb.TokenFor("1"); err != nil {
		t.Fatal(err)
	}
	if rs.other, err = rs.sb.TokenFor("2"); err != nil {
		t.Fatal(err)
	}
	return rs
}

func wantKind(t *testing.T, err error, kind thingplus.Kind, code string) {
	t.Helper()
	var te *thingplus.Error
	if !errors.As(err, &te) || te.Kind != kind || (code != "" && te.Code != code) {
		t.Fatalf("want kind %d code %q, got %#v", kind, code, err)
	}
}

func TestRulesAgainstSandbox(t *testing.T) {
	rs := newRuleSandbox(t)
	ctx := context.Background()

	all, err := rs.c.ListRules(ctx, rs.token)
	if err != nil {
		t.Fatal(err)
	}
	var templates, doors int
	for _, r := range all {
		if r.IsTemplate() {
			templates++
		}
		if r.Trigger.Type == "countEvent" {
			doors++
		}
		if r.User != "1" {
			t.Errorf("rule %s of user %q listed for user 1", r.ID, r.User)
		}
	}
	if templates != 1 || doors != 24 {
		t.Fatalf("seeded rules: %d templates, %d door rules (of %d)", templates, doors, len(all))
	}

	t.Run("get", func(t *testing.T) {
		r, err := rs.c.GetRule(ctx, rs.token, "4")
		if err != nil {
			t.Fatal(err)
		}
		if r.Name != "Car 1 door 1 IN" || r.Trigger.Method.ID != "over" || r.Trigger.Method.Param("degree") != "0" ||
			r.Timezone != "+9.00" || r.Mtime == 0 || len(r.Actions) != 1 || r.Actions[0][0].Agent != "dataPush" {
			t.Fatalf("rule 4 = %+v", r)
		}
	})
	t.Run("every seeded rule survives GET then PUT unchanged", func(t *testing.T) {
		for _, r := range all {
			before, _ := json.Marshal(r.Body())
			got, err := rs.c.UpdateRule(ctx, rs.token, r)
			if err != nil {
				t.Fatalf("rule %s: %v", r.ID, err)
			}
			again, err := rs.c.GetRule(ctx, rs.token, r.ID)
			if err != nil {
				t.Fatal(err)
			}
			after, _ := json.Marshal(again.Body())
			var a, b any
			_ = json.Unmarshal(before, &a)
			_ = json.Unmarshal(after, &b)
			if !reflect.DeepEqual(a, b) || got.ID != r.ID {
				t.Fatalf("rule %s changed:\n%s\n%s", r.ID, before, after)
			}
		}
	})
	t.Run("create, update, delete", func(t *testing.T) {
		in := thingplus.Rule{
			Name: "Car 2 door 4 changes", Desc: "설명 신림-성수", Severity: thingplus.SeverityFatal, Timezone: "+9.00",
			Status: thingplus.RuleActivated,
			Trigger: thingplus.Trigger{Agent: "sensorValue", Type: "countEvent",
				Method: thingplus.Method{ID: "changed", Name: "Changed"}.WithParams(map[string]any{"from": "-1", "to": "1"}),
				Filter: thingplus.TriggerFilter{Type: []string{"series"}, Gateway: thingplus.IDs("b827ebd0a001"), Sensor: []string{"b827ebd0a001-2-door4"}}},
			Conditions: [][]thingplus.RuleItem{{{Agent: "sensorValue", Type: "temperature",
				Method: thingplus.Method{ID: "range"}.WithParams(map[string]any{"min": 10, "max": 30.5,
					"target": map[string]any{"type": "gateway", "id": "b827ebd0a002", "sensors": []string{"b827ebd0a002-0-temperature"}}})}}},
			Actions: [][]thingplus.RuleItem{{thingplus.EmailAction("a@example.com", "s", "{{value}}")}, {thingplus.PushAction("http://127.0.0.1:9/x")}},
		}
		created, err := rs.c.CreateRule(ctx, rs.token, in)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := strconv.Atoi(created.ID); err != nil || created.Ctime == 0 || created.User != "1" || created.Template != thingplus.TemplateFalse {
			t.Fatalf("created %+v", created)
		}
		got, err := rs.c.GetRule(ctx, rs.token, created.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Desc != in.Desc || got.Conditions[0][0].Method.Param("max") != "30.5" || got.Trigger.Method.Param("from") != "-1" || len(got.Actions) != 2 {
			t.Fatalf("stored %+v", got)
		}
		got.Status, got.Desc = thingplus.RuleDeactivated, ""
		upd, err := rs.c.UpdateRule(ctx, rs.token, got)
		if err != nil {
			t.Fatal(err)
		}
		if upd.Status != thingplus.RuleDeactivated || upd.Desc != "" || upd.Mtime < got.Mtime {
			t.Fatalf("updated %+v", upd)
		}
		if err := rs.c.DeleteRule(ctx, rs.token, created.ID); err != nil {
			t.Fatal(err)
		}
		_, err = rs.c.GetRule(ctx, rs.token, created.ID)
		wantKind(t, err, thingplus.KindNotFound, "NOT_FOUND")
		wantKind(t, rs.c.DeleteRule(ctx, rs.token, created.ID), thingplus.KindNotFound, "NOT_FOUND")
	})
	t.Run("errors are typed", func(t *testing.T) {
		_, err := rs.c.GetRule(ctx, rs.token, "3") // user 2's rule
		wantKind(t, err, thingplus.KindForbidden, "ACCESSGROUP_DENY")
		wantKind(t, rs.c.DeleteRule(ctx, rs.token, "3"), thingplus.KindForbidden, "ACCESSGROUP_DENY")
		_, err = rs.c.GetRule(ctx, rs.token, "99999")
		wantKind(t, err, thingplus.KindNotFound, "NOT_FOUND")

		r, _ := rs.c.GetRule(ctx, rs.token, "4")
		r.Extra = map[string]json.RawMessage{"suppress": json.RawMessage(`60`)}
		_, err = rs.c.UpdateRule(ctx, rs.token, r)
		wantKind(t, err, thingplus.KindInvalid, "SCHEMA_VALIDATE")

		bad, _ := rs.c.GetRule(ctx, rs.token, "4")
		bad.ID = ""
		bad.Trigger.Method = bad.Trigger.Method.WithParams(map[string]any{"colour": "red"})
		_, err = rs.c.CreateRule(ctx, rs.token, bad)
		wantKind(t, err, thingplus.KindInvalid, "SCHEMA_VALIDATE")

		// a local failure never reaches Thing+, and is the same type
		bad.Severity = "critical"
		_, err = rs.c.CreateRule(ctx, rs.token, bad)
		wantKind(t, err, thingplus.KindInvalid, "SCHEMA_VALIDATE")

		_, err = rs.c.ListRules(ctx, "not-a-jwt")
		if !thingplus.NeedsSignIn(err) {
			t.Fatalf("bad token: %v", err)
		}
		others, err := rs.c.ListRules(ctx, rs.other)
		if err != nil || len(others) != 1 || others[0].ID != "3" {
			t.Fatalf("user 2 sees %d rules, %v", len(others), err)
		}
	})
	t.Run("rule agents", func(t *testing.T) {
		agents, err := rs.c.RuleAgents(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		byID := map[string]thingplus.RuleAgent{}
		for _, a := range agents {
			byID[a.ID] = a
		}
		sv, push := byID["sensorValue"], byID["dataPush"]
		for _, m := range []string{"over", "under", "changed", "range"} {
			if !sv.HasMethod(m) {
				t.Errorf("sensorValue lacks %s", m)
			}
		}
		if !sv.HasRole("trigger") || sv.HasRole("action") || !push.HasRole("action") || !push.HasMethod("push") {
			t.Fatalf("agents %+v", agents)
		}
		one, err := rs.c.RuleAgent(ctx, "", "email")
		if err != nil || !one.HasMethod("send") {
			t.Fatalf("email agent %+v %v", one, err)
		}
		_, err = rs.c.RuleAgent(ctx, "", "nope")
		wantKind(t, err, thingplus.KindNotFound, "NOT_FOUND")
	})
}

func TestTimelinesAgainstSandbox(t *testing.T) {
	rs := newRuleSandbox(t)
	ctx := context.Background()
	start := time.Now()
	for i, v := range []string{"1", "-1", "1"} {
		if err := rs.sb.PushValue("b827ebd0a001-1-door3", v, start.Add(time.Duration(i)*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	var page thingplus.TimelinePage
	deadline := time.Now().Add(5 * time.Second)
	for {
		var err error
		page, err = rs.c.Timelines(ctx, rs.token, thingplus.TimelineQuery{})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Entries) >= 3 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(page.Entries) != 3 {
		t.Fatalf("%d entries", len(page.Entries))
	}
	for i, e := range page.Entries {
		if i > 0 {
			a, _ := strconv.Atoi(page.Entries[i-1].ID)
			b, _ := strconv.Atoi(e.ID)
			if a <= b {
				t.Errorf("not newest first: %s then %s", page.Entries[i-1].ID, e.ID)
			}
		}
		if e.Sensor() != "b827ebd0a001-1-door3" || !bool(e.Success) || e.Severity != thingplus.SeverityInformation || e.Rule.What != "dataPush" {
			t.Errorf("entry %+v", e)
		}
	}
	newest := page.Entries[0]
	if newest.Value != "1" || newest.Rule.Name != "Car 1 door 3 IN" {
		t.Fatalf("newest %+v", newest)
	}
	rs.mu.Lock()
	if len(rs.pushes) != 3 || rs.pushes[0]["_path"] == "" {
		t.Errorf("webhook got %v", rs.pushes)
	}
	rs.mu.Unlock()

	older, err := rs.c.Timelines(ctx, rs.token, thingplus.TimelineQuery{MaxID: page.Entries[1].ID})
	if err != nil || len(older.Entries) != 2 || older.Entries[0].ID != page.Entries[1].ID {
		t.Fatalf("maxId page %+v %v", older, err)
	}
	since, err := rs.c.Timelines(ctx, rs.token, thingplus.TimelineQuery{SinceID: page.Entries[1].ID})
	if err != nil || len(since.Entries) != 1 || since.Entries[0].ID != newest.ID {
		t.Fatalf("sinceId page %+v %v", since, err)
	}
	one, err := rs.c.Timelines(ctx, rs.token, thingplus.TimelineQuery{Count: 1})
	if err != nil || len(one.Entries) != 1 {
		t.Fatalf("count=1: %+v %v", one, err)
	}
	fatal, err := rs.c.Timelines(ctx, rs.token, thingplus.TimelineQuery{Severity: []thingplus.Severity{thingplus.SeverityFatal}})
	if err != nil || len(fatal.Entries) != 0 {
		t.Fatalf("fatal filter: %+v %v", fatal, err)
	}
	mine, err := rs.c.Timelines(ctx, rs.other, thingplus.TimelineQuery{})
	if err != nil || len(mine.Entries) != 0 {
		t.Fatalf("user 2 sees user 1's timeline: %+v %v", mine, err)
	}
}
