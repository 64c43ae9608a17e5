package sandbox

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

func rtPushURL(base string) func(string, string) string {
	return func(sensorID, dir string) string {
		return base + "/api/trigger/" + sensorID + "/" + dir + "?key=k3y"
	}
}

func TestRulesSeeded(t *testing.T) {
	e := rtNew(t, rtPushURL("http://localhost:3000"))
	r := e.do("GET", "/v2/rules", e.tok1, nil)
	e.wantStatus(r, http.StatusOK)
	if r.env["message"] != "OK" || r.env["_meta"] != nil {
		t.Fatalf("envelope %s", r.raw)
	}
	rules := r.list()
	if len(rules) != 26 {
		t.Fatalf("%d rules for user 1, want 26 (template, deactivated, 24 door rules)", len(rules))
	}
	byName := map[string]map[string]any{}
	for i, it := range rules {
		m := it.(map[string]any)
		byName[m["name"].(string)] = m
		if m["_user"] != "1" || m["_site"] != "1" || m["_service"] != "1" {
			t.Errorf("rule %v owner fields %v %v %v", m["id"], m["_user"], m["_site"], m["_service"])
		}
		if m["id"] != strconv.Itoa(i+1) && m["id"] != strconv.Itoa(i+2) {
			t.Errorf("rule %d id %v", i, m["id"])
		}
		if _, ok := m["ctime"].(string); !ok {
			t.Errorf("GET ctime %T, want string", m["ctime"])
		}
		if _, ok := m["mtime"].(string); !ok {
			t.Errorf("GET mtime %T, want string", m["mtime"])
		}
	}
	tpl := byName["Temperature over 30 → e-mail"]
	if tpl == nil || tpl["template"] != "true" {
		t.Fatalf("template rule missing: %v", tpl)
	}
	off := byName["Humidity over 80"]
	if off == nil || off["status"] != "deactivated" || off["template"] != "false" {
		t.Fatalf("deactivated rule missing: %v", off)
	}
	for car := 1; car <= 3; car++ {
		for door := 1; door <= 4; door++ {
			sensor := fmt.Sprintf("b827ebd0a001-%d-door%d", car, door)
			for dir, method := range map[string]string{"IN": "over", "OUT": "under"} {
				name := fmt.Sprintf("Car %d door %d %s", car, door, dir)
				m := byName[name]
				if m == nil {
					t.Fatalf("missing %q", name)
				}
				trig := m["trigger"].(map[string]any)
				meth := trig["method"].(map[string]any)
				if trig["type"] != "countEvent" || meth["id"] != method || meth["params"].(map[string]any)["degree"] != float64(0) {
					t.Errorf("%s trigger %v", name, trig)
				}
				if s := trig["filter"].(map[string]any)["sensor"].([]any); len(s) != 1 || s[0] != sensor {
					t.Errorf("%s filter %v", name, trig["filter"])
				}
				act := m["actions"].([]any)[0].([]any)[0].(map[string]any)
				url := act["method"].(map[string]any)["params"].(map[string]any)["url"]
				if act["agent"] != "dataPush" || url != "http://localhost:3000/api/trigger/"+sensor+"/"+dir+"?key=k3y" {
					t.Errorf("%s action %v", name, act)
				}
				if m["status"] != "activated" || m["template"] != "false" {
					t.Errorf("%s status %v template %v", name, m["status"], m["template"])
				}
			}
		}
	}

	// User 2 sees only its own rule; without PushURL user 1 has no door rules.
	r = e.do("GET", "/v2/rules", e.tok2, nil)
	if e.wantStatus(r, 200); len(r.list()) != 1 || r.list()[0].(map[string]any)["_user"] != "2" {
		t.Fatalf("user 2 rules %s", r.raw)
	}
	e2 := rtNew(t, nil)
	r = e2.do("GET", "/v2/rules", e2.tok1, nil)
	if e2.wantStatus(r, 200); len(r.list()) != 2 {
		t.Fatalf("without PushURL user 1 has %d rules, want 2", len(r.list()))
	}
}

func TestRulesCRUD(t *testing.T) {
	e := rtNew(t, nil)
	body := rtRule("Hot", "b827ebd0a002-0-temperature", "b827ebd0a002", rtOver(30), rtPush("http://127.0.0.1:9/x"))
	r := e.do("POST", "/v2/rules", e.tok1, body)
	e.wantStatus(r, http.StatusCreated)
	if r.env["statusCode"] != float64(201) || r.env["message"] != "OK" {
		t.Fatalf("POST envelope %s", r.raw)
	}
	created := r.data()
	id, _ := created["id"].(string)
	if _, err := strconv.Atoi(id); err != nil {
		t.Fatalf("id %q not numeric", id)
	}
	if _, ok := created["ctime"].(float64); !ok {
		t.Fatalf("POST ctime %T, want number", created["ctime"])
	}
	if created["mtime"] != created["ctime"] || created["_user"] != "1" || created["_site"] != "1" || created["_service"] != "1" {
		t.Fatalf("POST data %v", created)
	}
	for _, k := range []string{"name", "desc", "severity", "timezone", "status", "template", "trigger", "conditions", "actions"} {
		got, _ := json.Marshal(created[k])
		want, _ := json.Marshal(body[k])
		if string(got) != string(want) {
			t.Errorf("%s stored %s, sent %s", k, got, want)
		}
	}

	r = e.do("GET", "/v2/rules/"+id, e.tok1, nil)
	e.wantStatus(r, http.StatusOK)
	if got := r.data(); got["name"] != "Hot" || got["ctime"] != strconv.FormatFloat(created["ctime"].(float64), 'f', -1, 64) {
		t.Fatalf("GET %s", r.raw)
	}

	// PUT back what POST returned (read-only fields included), with a change.
	created["name"] = "Hotter"
	created["status"] = "deactivated"
	r = e.do("PUT", "/v2/rules/"+id, e.tok1, created)
	e.wantStatus(r, http.StatusOK)
	if got := r.data(); got["name"] != "Hotter" || got["status"] != "deactivated" || got["id"] != id {
		t.Fatalf("PUT %s", r.raw)
	}
	// The GET body echoed back (times as strings) is accepted too.
	got := e.do("GET", "/v2/rules/"+id, e.tok1, nil).data()
	e.wantStatus(e.do("PUT", "/v2/rules/"+id, e.tok1, got), http.StatusOK)
	// A partial PUT merges into the stored rule.
	r = e.do("PUT", "/v2/rules/"+id, e.tok1, map[string]any{"status": "activated"})
	e.wantStatus(r, http.StatusOK)
	// PUT answers like a read: times as strings (the create answer had numbers).
	if d := r.data(); d["status"] != "activated" || d["name"] != "Hotter" || d["ctime"] != fmt.Sprint(int64(created["ctime"].(float64))) {
		t.Fatalf("partial PUT %s", r.raw)
	}
	// Omitted optional fields get their defaults.
	min := rtRule("Minimal", "s1", "g1", rtOver(1), rtEmail("a@b.c"))
	delete(min, "conditions")
	delete(min, "template")
	delete(min, "desc")
	r = e.do("POST", "/v2/rules", e.tok1, min)
	e.wantStatus(r, http.StatusCreated)
	if d := r.data(); d["template"] != "false" || fmt.Sprint(d["conditions"]) != "[[]]" || d["desc"] != nil {
		t.Fatalf("defaults %s", r.raw)
	}

	r = e.do("DELETE", "/v2/rules/"+id, e.tok1, nil)
	e.wantStatus(r, http.StatusNoContent)
	if len(r.raw) != 0 {
		t.Fatalf("DELETE body %q", r.raw)
	}
	e.wantError(e.do("GET", "/v2/rules/"+id, e.tok1, nil), 404, "NOT_FOUND")
	e.wantError(e.do("DELETE", "/v2/rules/"+id, e.tok1, nil), 404, "NOT_FOUND")
	e.wantError(e.do("PUT", "/v2/rules/"+id, e.tok1, created), 404, "NOT_FOUND")
	e.wantError(e.do("GET", "/v2/rules/nope", e.tok1, nil), 404, "NOT_FOUND")
}

func TestRulesAccess(t *testing.T) {
	e := rtNew(t, nil)
	id := e.create(rtRule("Mine", "s1", "g1", rtOver(1), rtEmail("a@b.c")))
	// Another user's rule is 403 before anything else, even with a bad body.
	e.wantError(e.do("GET", "/v2/rules/"+id, e.tok2, nil), 403, "ACCESSGROUP_DENY")
	e.wantError(e.do("PUT", "/v2/rules/"+id, e.tok2, `{"bogus":1}`), 403, "ACCESSGROUP_DENY")
	e.wantError(e.do("DELETE", "/v2/rules/"+id, e.tok2, nil), 403, "ACCESSGROUP_DENY")
	// Seeded rule 3 belongs to user 2.
	e.wantError(e.do("GET", "/v2/rules/3", e.tok1, nil), 403, "ACCESSGROUP_DENY")
	e.wantStatus(e.do("GET", "/v2/rules/3", e.tok2, nil), 200)
	for _, it := range e.do("GET", "/v2/rules", e.tok2, nil).list() {
		if it.(map[string]any)["id"] == id {
			t.Fatal("user 2 lists user 1's rule")
		}
	}
	// No credentials: 401 "Access denied"; a bad token: 403 jsonwebtoken body.
	r := e.do("GET", "/v2/rules", "", nil)
	if r.status != 401 || strings.TrimSpace(string(r.raw)) != `"Access denied"` {
		t.Fatalf("no token: %d %s", r.status, r.raw)
	}
	if r := e.do("POST", "/v2/rules", "x.y.z", rtRule("x", "s", "g", rtOver(1), rtEmail("a@b.c"))); r.status != 403 {
		t.Fatalf("bad token: %d %s", r.status, r.raw)
	}
	e.wantStatus(e.do("GET", "/v2/rules/"+id, e.tok1, nil), 200)

	// Scopes: rule-read reads, only rule writes; timelines need timeline-read.
	e.sb.mu.Lock()
	e.sb.clients["read-only"] = &Client{ID: "read-only", Secret: "x", Scopes: []string{"rule-read"}}
	e.sb.mu.Unlock()
	ro, err := e.sb.issueToken("1", "read-only", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	e.wantStatus(e.do("GET", "/v2/rules/"+id, ro, nil), 200)
	e.wantStatus(e.do("GET", "/v2/rules", ro, nil), 200)
	e.wantError(e.do("PUT", "/v2/rules/"+id, ro, map[string]any{"status": "deactivated"}), 403, "ACL_DENY")
	e.wantError(e.do("DELETE", "/v2/rules/"+id, ro, nil), 403, "ACL_DENY")
	e.wantError(e.do("POST", "/v2/rules", ro, rtRule("x", "s", "g", rtOver(1), rtEmail("a@b.c"))), 403, "ACL_DENY")
	e.wantError(e.do("GET", "/v2/timelines", ro, nil), 403, "ACL_DENY")
}

// rtMutate returns a deep copy of a valid rule changed by f.
func rtMutate(f func(m map[string]any)) map[string]any {
	m := rtRule("Base", "b827ebd0a002-0-temperature", "b827ebd0a002", rtOver(30),
		rtEmail("a@b.c"), rtPush("http://127.0.0.1:9/hook"))
	data, _ := json.Marshal(m)
	var c map[string]any
	_ = json.Unmarshal(data, &c)
	f(c)
	return c
}

func rtDig(m map[string]any, path ...any) map[string]any {
	var cur any = m
	for _, p := range path {
		switch k := p.(type) {
		case string:
			cur = cur.(map[string]any)[k]
		case int:
			cur = cur.([]any)[k]
		}
	}
	return cur.(map[string]any)
}

func TestRulesValidation(t *testing.T) {
	e := rtNew(t, nil)
	e.wantStatus(e.do("POST", "/v2/rules", e.tok1, rtMutate(func(map[string]any) {})), 201)
	nested := func(n int, item any) []any {
		out := make([]any, n)
		for i := range out {
			out[i] = item
		}
		return out
	}
	cond := map[string]any{"agent": "sensorValue", "type": "humidity", "method": rtOver(80)}
	cases := []struct {
		name string
		body any
		want string // substring of the error message
	}{
		{"invalid JSON", `{"name":`, "invalid JSON"},
		{"not an object", `[1,2]`, "rule: must be an object"},
		{"trailing data", `{"name":"x"} {}`, "trailing data"},
		{"unknown top key", rtMutate(func(m map[string]any) { m["lastActive"] = "1" }), "lastActive: unknown key"},
		{"missing name", rtMutate(func(m map[string]any) { delete(m, "name") }), "name: required"},
		{"blank name", rtMutate(func(m map[string]any) { m["name"] = "  " }), "name: must be 1 to 100"},
		{"long name", rtMutate(func(m map[string]any) { m["name"] = strings.Repeat("가", 101) }), "name: must be 1 to 100"},
		{"name number", rtMutate(func(m map[string]any) { m["name"] = 5 }), "name: must be a string, got number"},
		{"missing severity", rtMutate(func(m map[string]any) { delete(m, "severity") }), "severity: required"},
		{"bad severity", rtMutate(func(m map[string]any) { m["severity"] = "critical" }), `severity: must be one of "information", "warning", "fatal"`},
		{"timezone number", rtMutate(func(m map[string]any) { m["timezone"] = 9 }), "timezone: must be a string, got number"},
		{"timezone format", rtMutate(func(m map[string]any) { m["timezone"] = "Asia/Seoul" }), "timezone: must be an hour offset"},
		{"timezone range", rtMutate(func(m map[string]any) { m["timezone"] = "+15.00" }), "timezone: must be an hour offset"},
		{"missing timezone", rtMutate(func(m map[string]any) { delete(m, "timezone") }), "timezone: required"},
		{"bad status", rtMutate(func(m map[string]any) { m["status"] = "on" }), "status: must be one of"},
		{"missing status", rtMutate(func(m map[string]any) { delete(m, "status") }), "status: required"},
		{"template boolean", rtMutate(func(m map[string]any) { m["template"] = true }), "template: must be one of the strings"},
		{"template other", rtMutate(func(m map[string]any) { m["template"] = "yes" }), "template: must be one of"},
		{"desc null", rtMutate(func(m map[string]any) { m["desc"] = nil }), "desc: must be a string, got null"},
		{"ctime not a time", rtMutate(func(m map[string]any) { m["ctime"] = "yesterday" }), "ctime: read-only"},
		{"id object", rtMutate(func(m map[string]any) { m["id"] = map[string]any{} }), "id: read-only"},
		{"missing trigger", rtMutate(func(m map[string]any) { delete(m, "trigger") }), "trigger: required"},
		{"trigger empty", rtMutate(func(m map[string]any) { m["trigger"] = map[string]any{} }), "trigger.agent: required"},
		{"trigger array", rtMutate(func(m map[string]any) { m["trigger"] = []any{} }), "trigger: must be an object, got array"},
		{"trigger unknown key", rtMutate(func(m map[string]any) { rtDig(m, "trigger")["when"] = 1 }), "trigger.when: unknown key"},
		{"trigger agent", rtMutate(func(m map[string]any) { rtDig(m, "trigger")["agent"] = "email" }), `trigger.agent: "email" is not a trigger agent (one of sensorValue)`},
		{"trigger type missing", rtMutate(func(m map[string]any) { delete(rtDig(m, "trigger"), "type") }), "trigger.type: required"},
		{"trigger method id", rtMutate(func(m map[string]any) { rtDig(m, "trigger", "method")["id"] = "above" }), `trigger.method.id: "above" is not a method of sensorValue (one of changed, over, under, range)`},
		{"method unknown key", rtMutate(func(m map[string]any) { rtDig(m, "trigger", "method")["label"] = "x" }), "trigger.method.label: unknown key"},
		{"params unknown key", rtMutate(func(m map[string]any) { rtDig(m, "trigger", "method", "params")["from"] = "1" }), "trigger.method.params.from: unknown key (allowed: degree, target)"},
		{"degree missing", rtMutate(func(m map[string]any) { delete(rtDig(m, "trigger", "method", "params"), "degree") }), "trigger.method.params.degree: required"},
		{"degree word", rtMutate(func(m map[string]any) { rtDig(m, "trigger", "method", "params")["degree"] = "hot" }), "trigger.method.params.degree: must be a number, got string"},
		{"range min>max", rtMutate(func(m map[string]any) {
			rtDig(m, "trigger")["method"] = map[string]any{"id": "range", "params": map[string]any{"min": 5, "max": 1}}
		}), "trigger.method.params.max: must be greater than or equal to min"},
		{"changed from object", rtMutate(func(m map[string]any) {
			rtDig(m, "trigger")["method"] = map[string]any{"id": "changed", "params": map[string]any{"from": map[string]any{}}}
		}), "trigger.method.params.from: must be a string or a number, got object"},
		{"target bad type", rtMutate(func(m map[string]any) {
			rtDig(m, "trigger", "method", "params")["target"] = map[string]any{"type": "site", "id": "1"}
		}), "trigger.method.params.target.type: must be one of"},
		{"target unknown key", rtMutate(func(m map[string]any) {
			rtDig(m, "trigger", "method", "params")["target"] = map[string]any{"type": "gateway", "id": "g", "sensor": []any{"s"}}
		}), "trigger.method.params.target.sensor: unknown key"},
		{"filter missing", rtMutate(func(m map[string]any) { delete(rtDig(m, "trigger"), "filter") }), "trigger.filter: required"},
		{"filter unknown key", rtMutate(func(m map[string]any) { rtDig(m, "trigger", "filter")["sensors"] = []any{} }), "trigger.filter.sensors: unknown key"},
		{"filter type enum", rtMutate(func(m map[string]any) { rtDig(m, "trigger", "filter")["type"] = []any{"values"} }), "trigger.filter.type[0]: must be one of series, status, schedule, statSchedule"},
		{"filter type string", rtMutate(func(m map[string]any) { rtDig(m, "trigger", "filter")["type"] = "series" }), "trigger.filter.type: must be an array"},
		{"filter gateway", rtMutate(func(m map[string]any) { rtDig(m, "trigger", "filter")["gateway"] = "all" }), `trigger.filter.gateway: must be "*" or an array`},
		{"filter sensor ids", rtMutate(func(m map[string]any) { rtDig(m, "trigger", "filter")["sensor"] = []any{1} }), "trigger.filter.sensor[0]: must be a non-empty string id"},
		{"conditions object", rtMutate(func(m map[string]any) { m["conditions"] = map[string]any{} }), "conditions: must be an array of 0 to 5 arrays"},
		{"conditions flat", rtMutate(func(m map[string]any) { m["conditions"] = []any{cond} }), "conditions[0]: must be an array"},
		{"conditions 6 groups", rtMutate(func(m map[string]any) { m["conditions"] = nested(6, []any{cond}) }), "conditions: must be an array of 0 to 5 arrays of 0 to 5 items, got 6 groups"},
		{"conditions 6 items", rtMutate(func(m map[string]any) { m["conditions"] = []any{nested(6, cond)} }), "conditions[0]: must hold 0 to 5 items, got 6"},
		{"condition filter key", rtMutate(func(m map[string]any) {
			c := map[string]any{"agent": "sensorValue", "type": "humidity", "method": rtOver(80), "filter": map[string]any{}}
			m["conditions"] = []any{[]any{cond, c}}
		}), "conditions[0][1].filter: unknown key"},
		{"condition agent", rtMutate(func(m map[string]any) {
			m["conditions"] = []any{[]any{rtEmail("a@b.c")}}
		}), `conditions[0][0].agent: "email" is not a condition agent`},
		{"missing actions", rtMutate(func(m map[string]any) { delete(m, "actions") }), "actions: required"},
		{"actions empty", rtMutate(func(m map[string]any) { m["actions"] = []any{} }), "actions: must be an array of 1 to 5 arrays of 1 to 5 items, got 0 groups"},
		{"actions empty group", rtMutate(func(m map[string]any) { m["actions"] = []any{[]any{}} }), "actions[0]: must hold 1 to 5 items, got 0"},
		{"actions object", rtMutate(func(m map[string]any) { m["actions"] = map[string]any{} }), "actions: must be an array of 1 to 5 arrays"},
		{"actions 6 groups", rtMutate(func(m map[string]any) { m["actions"] = nested(6, []any{rtEmail("a@b.c")}) }), "got 6 groups"},
		{"actions 6 items", rtMutate(func(m map[string]any) { m["actions"] = []any{nested(6, rtEmail("a@b.c"))} }), "actions[0]: must hold 1 to 5 items, got 6"},
		{"push url missing", rtMutate(func(m map[string]any) { delete(rtDig(m, "actions", 0, 1, "method", "params"), "url") }), "actions[0][1].method.params.url: required"},
		{"push url relative", rtMutate(func(m map[string]any) { rtDig(m, "actions", 0, 1, "method", "params")["url"] = "/api/trigger" }), "actions[0][1].method.params.url: must be an absolute http or https URL"},
		{"push url ftp", rtMutate(func(m map[string]any) { rtDig(m, "actions", 0, 1, "method", "params")["url"] = "ftp://h/x" }), "actions[0][1].method.params.url: must be an absolute"},
		{"push extra param", rtMutate(func(m map[string]any) { rtDig(m, "actions", 0, 1, "method", "params")["body"] = "{}" }), "actions[0][1].method.params.body: unknown key (allowed: url)"},
		{"push method id", rtMutate(func(m map[string]any) { rtDig(m, "actions", 0, 1, "method")["id"] = "post" }), `actions[0][1].method.id: "post" is not a method of dataPush (one of push)`},
		{"push type", rtMutate(func(m map[string]any) { rtDig(m, "actions", 0, 1)["type"] = "http" }), `actions[0][1].type: must be "dataPush"`},
		{"action unknown key", rtMutate(func(m map[string]any) { rtDig(m, "actions", 0, 0)["filter"] = map[string]any{} }), "actions[0][0].filter: unknown key"},
		{"action agent", rtMutate(func(m map[string]any) { rtDig(m, "actions", 0, 0)["agent"] = "webPush" }), `actions[0][0].agent: "webPush" is not a action agent (one of actuator, dataPush, email, sms)`},
		{"email bad", rtMutate(func(m map[string]any) { rtDig(m, "actions", 0, 0, "method", "params")["to"] = "nobody" }), "actions[0][0].method.params.to: must be one or more e-mail addresses"},
		{"email params array", rtMutate(func(m map[string]any) { rtDig(m, "actions", 0, 0, "method")["params"] = []any{} }), "actions[0][0].method.params: must be an object, got array"},
		{"actuator target missing", rtMutate(func(m map[string]any) {
			m["actions"] = []any{[]any{map[string]any{"agent": "actuator", "type": "led", "method": map[string]any{"id": "led",
				"params": map[string]any{"command": map[string]any{"cmd": "on"}}}}}}
		}), "actions[0][0].method.params.target: required"},
		{"actuator options nested", rtMutate(func(m map[string]any) {
			m["actions"] = []any{[]any{map[string]any{"agent": "actuator", "type": "led", "method": map[string]any{"id": "led",
				"params": map[string]any{"command": map[string]any{"cmd": "on", "options": map[string]any{"x": []any{}}},
					"target": map[string]any{"type": "gateway", "id": "g", "sensors": []any{"g-0-led"}}}}}}}
		}), "actions[0][0].method.params.command.options.x: must be a string, number or boolean"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			methods := []string{"POST", "PUT"}
			if strings.HasPrefix(c.name, "missing") {
				methods = methods[:1] // PUT merges: a key left out keeps its stored value
			}
			for _, method := range methods {
				path := "/v2/rules"
				if method == "PUT" {
					path = "/v2/rules/1"
				}
				msg := e.wantError(e.do(method, path, e.tok1, c.body), 400, "SCHEMA_VALIDATE")
				if !strings.Contains(msg, c.want) {
					t.Errorf("%s message %q does not contain %q", method, msg, c.want)
				}
			}
		})
	}
	// Nothing invalid was stored, and PUT left rule 1 untouched.
	if n := len(e.do("GET", "/v2/rules", e.tok1, nil).list()); n != 3 {
		t.Fatalf("%d rules after invalid requests, want 3", n)
	}
	if r := e.do("GET", "/v2/rules/1", e.tok1, nil); r.data()["name"] != "Temperature over 30 → e-mail" {
		t.Fatalf("rule 1 changed: %s", r.raw)
	}
	// Valid variants the validator must keep accepting.
	for name, m := range map[string]map[string]any{
		"numeric string degree": rtMutate(func(m map[string]any) { rtDig(m, "trigger", "method", "params")["degree"] = "30.5" }),
		"tz forms":              rtMutate(func(m map[string]any) { m["timezone"] = "-5" }),
		"tz half":               rtMutate(func(m map[string]any) { m["timezone"] = "+09.50" }),
		"changed numbers": rtMutate(func(m map[string]any) {
			rtDig(m, "trigger")["method"] = map[string]any{"id": "changed", "name": "변경", "params": map[string]any{"from": 0, "to": "1"}}
		}),
		"gateway list and op": rtMutate(func(m map[string]any) {
			f := rtDig(m, "trigger", "filter")
			f["gateway"] = []any{"b827ebd0a002"}
			f["op"] = "and"
			f["type"] = []any{"series", "status"}
		}),
		"full conditions": rtMutate(func(m map[string]any) { m["conditions"] = nested(5, nested(5, cond)) }),
		"full actions":    rtMutate(func(m map[string]any) { m["actions"] = nested(5, nested(5, rtEmail("a@b.c, d@e.f"))) }),
		"sms and actuator": rtMutate(func(m map[string]any) {
			m["actions"] = []any{[]any{
				map[string]any{"agent": "sms", "type": "sms", "method": map[string]any{"id": "send", "params": map[string]any{"to": "010-1111", "message": "hi"}}},
				map[string]any{"agent": "actuator", "type": "led", "method": map[string]any{"id": "led", "name": "LED 제어",
					"params": map[string]any{"command": map[string]any{"cmd": "blink", "options": map[string]any{"duration": 7000, "interval": 1500}},
						"notificationOption": "Failure", "target": map[string]any{"type": "gateway", "id": "b827ebda7b2a", "sensors": []any{"b827ebda7b2a-0-led"}}}}},
			}}
		}),
	} {
		if r := e.do("POST", "/v2/rules", e.tok1, m); r.status != 201 {
			t.Errorf("%s: %d %s", name, r.status, r.raw)
		}
	}
}

func TestRulesListQuery(t *testing.T) {
	e := rtNew(t, rtPushURL("http://localhost:3000"))
	list := func(q string) rtResp {
		r := e.do("GET", "/v2/rules"+q, e.tok1, nil)
		e.wantStatus(r, 200)
		return r
	}
	names := func(r rtResp) []string {
		var out []string
		for _, it := range r.list() {
			out = append(out, it.(map[string]any)["name"].(string))
		}
		return out
	}
	r := list("?count=5&page=1")
	if got := names(r); len(got) != 5 || got[0] != "Car 1 door 2 OUT" {
		t.Fatalf("page 1: %v", got)
	}
	meta, _ := r.env["_meta"].(map[string]any)
	if meta["count"] != float64(5) || meta["page"] != float64(1) || meta["total"] != float64(26) {
		t.Fatalf("_meta %v", meta)
	}
	if got := names(list("?count=3&page=9")); len(got) != 0 {
		t.Fatalf("past the end: %v", got)
	}
	if got := names(list("?filter[status]=deactivated")); len(got) != 1 || got[0] != "Humidity over 80" {
		t.Fatalf("filter[status]: %v", got)
	}
	if got := names(list("?filter[template]=true")); len(got) != 1 || got[0] != "Temperature over 30 → e-mail" {
		t.Fatalf("filter[template]: %v", got)
	}
	if got := names(list("?filter%5Bseverity%5D=warning&filter%5Bseverity%5D=fatal")); len(got) != 1 {
		t.Fatalf("filter[severity] OR: %v", got)
	}
	if got := names(list("?filter[severity]=information&filter[status]=deactivated")); len(got) != 1 {
		t.Fatalf("filters AND: %v", got)
	}
	if got := names(list("?orderBy=name&orderDir=desc&count=2")); got[0] != "Temperature over 30 → e-mail" || got[1] != "Humidity over 80" {
		t.Fatalf("orderBy name desc: %v", got)
	}
	if got := names(list("?orderBy=id&orderDir=desc&count=1")); got[0] != "Car 3 door 4 OUT" {
		t.Fatalf("orderBy id desc: %v", got)
	}
	for _, q := range []string{"?count=0", "?count=4001", "?count=x", "?page=-1", "?orderBy=color", "?orderDir=up", "?filter[color]=red"} {
		e.wantError(e.do("GET", "/v2/rules"+q, e.tok1, nil), 400, "SCHEMA_VALIDATE")
	}
}

func TestRuleAgents(t *testing.T) {
	e := rtNew(t, nil)
	r := e.do("GET", "/v2/ruleAgents", "", nil)
	e.wantStatus(r, 200)
	ids := map[string]map[string]any{}
	for _, it := range r.list() {
		m := it.(map[string]any)
		ids[m["id"].(string)] = m
	}
	for _, id := range []string{"sensorValue", "email", "sms", "actuator", "dataPush"} {
		if ids[id] == nil {
			t.Fatalf("agent %s missing: %s", id, r.raw)
		}
	}
	var methods []string
	for _, m := range ids["sensorValue"]["methods"].([]any) {
		methods = append(methods, m.(map[string]any)["id"].(string))
	}
	if strings.Join(methods, ",") != "changed,over,under,range" {
		t.Fatalf("sensorValue methods %v", methods)
	}
	r = e.do("GET", "/v2/ruleAgents/dataPush", "", nil)
	e.wantStatus(r, 200)
	push := r.data()["methods"].([]any)[0].(map[string]any)
	param := push["params"].([]any)[0].(map[string]any)
	if push["id"] != "push" || param["id"] != "url" || param["required"] != true || param["type"] != "url" {
		t.Fatalf("dataPush agent %s", r.raw)
	}
	e.wantError(e.do("GET", "/v2/ruleAgents/webPush", "", nil), 404, "NOT_FOUND")
}

// TestRulesTargetOwnership needs the devices area (lookupSensor); it skips
// while that area serves no sensors.
func TestRulesTargetOwnership(t *testing.T) {
	e := rtNew(t, nil)
	r := e.do("GET", "/v2/gateways/b827ebd0a0ff/sensors", e.tok2, nil)
	var other string
	for _, it := range r.list() {
		if m, ok := it.(map[string]any); ok {
			other, _ = m["id"].(string)
			break
		}
	}
	if r.status != 200 || other == "" {
		t.Skip("devices area serves no sensors of user 2 yet")
	}
	if _, ok := e.sb.devices.lookupSensor(other); !ok {
		t.Skip("lookupSensor does not know " + other + " yet")
	}
	body := rtRule("Spy", other, "b827ebd0a0ff", rtOver(1), rtEmail("a@b.c"))
	e.wantError(e.do("POST", "/v2/rules", e.tok1, body), 403, "ACCESSGROUP_DENY")
	// The owner may.
	e.wantStatus(e.do("POST", "/v2/rules", e.tok2, body), 201)
	// Unknown sensors are accepted.
	e.wantStatus(e.do("POST", "/v2/rules", e.tok1, rtRule("Later", "not-yet-registered", "g", rtOver(1), rtEmail("a@b.c"))), 201)
}

func TestRulesLimit(t *testing.T) {
	e := rtNew(t, nil)
	body := rtRule("many", "s", "g", rtOver(1), rtEmail("a@b.c"))
	m, _ := json.Marshal(body)
	parsed, err := parseRuleJSON(m)
	if err != nil {
		t.Fatal(err)
	}
	cr, err := validateRule(parsed)
	if err != nil {
		t.Fatal(err)
	}
	for range maxRulesPerUser - 1 { // user 2 has one seeded rule
		if _, err := e.sb.rules.add("2", cr); err != nil {
			t.Fatal(err)
		}
	}
	r := e.do("POST", "/v2/rules", e.tok2, body)
	if msg := e.wantError(r, 471, "BILLING"); !strings.Contains(msg, "rule limit") {
		t.Fatalf("message %q", msg)
	}
	// Another user is not affected.
	e.wantStatus(e.do("POST", "/v2/rules", e.tok1, body), 201)
}
