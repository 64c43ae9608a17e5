package rules

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/thingplus/thingplus-webapp/thingplus"
)

// formValues collects what a browser would submit from a form (without any
// button: the test adds op itself).
func formValues(form *goquery.Selection) url.Values {
	v := url.Values{}
	form.Find("input, select, textarea").Each(func(_ int, s *goquery.Selection) {
		name := s.AttrOr("name", "")
		if name == "" {
			return
		}
		switch goquery.NodeName(s) {
		case "input":
			switch s.AttrOr("type", "text") {
			case "checkbox", "radio":
				if _, on := s.Attr("checked"); on {
					v.Add(name, s.AttrOr("value", "on"))
				}
			case "submit", "button", "reset":
			default:
				v.Add(name, s.AttrOr("value", ""))
			}
		case "select":
			opt := s.Find("option[selected]").First()
			if opt.Length() == 0 {
				opt = s.Find("option").First()
			}
			v.Add(name, opt.AttrOr("value", ""))
		case "textarea":
			v.Add(name, s.Text())
		}
	})
	return v
}

// sameJSON compares two values as JSON documents (key order aside).
func sameJSON(a, b any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	var x, y any
	_ = json.Unmarshal(ja, &x)
	_ = json.Unmarshal(jb, &y)
	return reflect.DeepEqual(x, y)
}

func (hs *harness) count() int {
	hs.t.Helper()
	all, err := hs.c.ListRules(context.Background(), hs.token)
	if err != nil {
		hs.t.Fatal(err)
	}
	return len(all)
}

// newest is the rule with the highest id.
func (hs *harness) newest() thingplus.Rule {
	hs.t.Helper()
	all, _ := hs.c.ListRules(context.Background(), hs.token)
	best := thingplus.Rule{}
	for _, r := range all {
		if len(r.ID) > len(best.ID) || (len(r.ID) == len(best.ID) && r.ID > best.ID) {
			best = r
		}
	}
	return best
}

func TestCreateWithoutJSON(t *testing.T) {
	hs := newHarness(t)
	page := hs.do("GET", "/rules/new", nil, "")
	if page.Code != http.StatusOK || page.find("rule-form").Length() != 1 {
		t.Fatalf("new form %d", page.Code)
	}
	if page.doc.Find(`#rf-zone option[selected]`).AttrOr("value", "") != "Asia/Seoul" {
		t.Fatal("the user's +9.00 is not preselected as Asia/Seoul")
	}
	if page.find("a0-kind").Find("option[selected]").AttrOr("value", "") != "app" {
		t.Fatal("the default action is not 'push to this app'")
	}
	if page.doc.Find(`[data-testid="t-gateway"] option[value="b827ebd0a001"]`).Length() != 1 {
		t.Fatal("the gateway picker lacks the subway gateway")
	}
	if page.doc.Find(`[data-testid="template-select"] option[value="1"]`).Length() != 1 {
		t.Fatal("no 'start from template' choice")
	}
	before := hs.count()
	r := hs.do("POST", "/rules", validForm(), targetForm)
	if r.Code != http.StatusNoContent || r.Header().Get("HX-Redirect") != "/rules?sort=modified" || !strings.Contains(r.Header().Get("Set-Cookie"), "flash=rules.done.created") {
		t.Fatalf("create: %d %v %s", r.Code, r.Header(), r.Body)
	}
	if hs.count() != before+1 {
		t.Fatal("not created")
	}
	got := hs.newest()
	want := hs.push("b827ebd0a001-2-door3", "OUT")
	if got.Name != "Car 2 door 3 leaving" || got.Desc != "성수 방향" || got.Severity != thingplus.SeverityWarning ||
		got.Timezone != "+9.00" || got.Status != thingplus.RuleActivated || got.IsTemplate() {
		t.Fatalf("stored %+v", got)
	}
	if got.Trigger.Agent != "sensorValue" || got.Trigger.Type != "countEvent" || got.Trigger.Method.ID != "under" ||
		string(got.Trigger.Method.ParamsMap()["degree"]) != "0" || got.Trigger.Filter.Sensor[0] != "b827ebd0a001-2-door3" {
		t.Fatalf("trigger %+v %s", got.Trigger, got.Trigger.Method.Params)
	}
	if len(got.Actions) != 1 || got.Actions[0][0].Method.Param("url") != want {
		t.Fatalf("actions %+v", got.Actions)
	}
	if Summary(context.Background(), got, names{"b827ebd0a001-2-door3": "Car 2 door 3"}) != "When someone leaves through Car 2 door 3 → push to Trains (OUT)" {
		t.Fatalf("summary %q", Summary(context.Background(), got, nil))
	}
	// without JavaScript: 303 to the list
	r = hs.do("POST", "/rules", with(validForm(), "name", "second"), "")
	if r.Code != http.StatusSeeOther || r.Header().Get("Location") != "/rules?sort=modified" || !strings.Contains(r.Header().Get("Set-Cookie"), "flash=rules.done.created") {
		t.Fatalf("plain create: %d", r.Code)
	}
}

func TestFormValidationKeepsInput(t *testing.T) {
	hs := newHarness(t)
	long := strings.Repeat("가", 101)
	cases := []struct {
		name  string
		form  url.Values
		field string
		kept  map[string]string // data-testid → value that must still be there
	}{
		{"empty name", with(validForm(), "name", "   "), "name", map[string]string{"f-desc": "성수 방향", "f-t.degree": "0"}},
		{"long name", with(validForm(), "name", long), "name", map[string]string{"f-name": long}},
		{"severity", with(validForm(), "severity", "critical"), "severity", nil},
		{"zone", with(validForm(), "zone", "Mars/Olympus"), "zone", map[string]string{"f-name": "Car 2 door 3 leaving"}},
		{"status", with(validForm(), "status", "on"), "status", nil},
		{"no gateway", with(validForm(), "t.gateway", "", "t.sensor", ""), "t.gateway", nil},
		{"no sensor", with(validForm(), "t.sensor", ""), "t.sensor", nil},
		{"sensor of another gateway", with(validForm(), "t.sensor", "b827ebd0a002-0-humidity"), "t.sensor", nil},
		{"method", with(validForm(), "t.method", "sideways"), "t.method", nil},
		{"degree", with(validForm(), "t.degree", "lots"), "t.degree", map[string]string{"f-t.degree": "lots"}},
		{"degree empty", with(validForm(), "t.degree", ""), "t.degree", nil},
		{"range", with(validForm(), "t.method", "range", "t.min", "5", "t.max", "1"), "t.max", map[string]string{"f-t.min": "5", "f-t.max": "1"}},
		{"range not a number", with(validForm(), "t.method", "range", "t.min", "1e999", "t.max", "2"), "t.min", map[string]string{"f-t.min": "1e999"}},
		{"url", with(validForm(), "a0.kind", "url", "a0.url", "ftp://example.com/x"), "a0.url", map[string]string{"f-a0.url": "ftp://example.com/x"}},
		{"url empty", with(validForm(), "a0.kind", "url"), "a0.url", nil},
		{"email to", with(validForm(), "a0.kind", "email", "a0.subject", "제목", "a0.body", "{{value}}"), "a0.to", map[string]string{"f-a0.subject": "제목", "f-a0.body": "{{value}}"}},
		{"email bad", with(validForm(), "a0.kind", "email", "a0.to", "not an address"), "a0.to", map[string]string{"f-a0.to": "not an address"}},
		{"no action", with(validForm(), "a0.group", "\x00", "a0.kind", "\x00", "a0.dir", "\x00"), "actions", nil},
		{"direction", with(validForm(), "a0.dir", "SIDEWAYS"), "a0.dir", nil},
		{"kind", with(validForm(), "a0.kind", "teleport"), "a0.kind", nil},
		{"condition degree", with(validForm(), "c0.group", "0", "c0.gateway", "b827ebd0a002", "c0.sensor", "b827ebd0a002-0-temperature", "c0.method", "over", "c0.degree", "warm"), "c0.degree", map[string]string{"f-c0.degree": "warm"}},
		{"condition sensor", with(validForm(), "c0.group", "0", "c0.method", "over", "c0.degree", "3"), "c0.gateway", map[string]string{"f-c0.degree": "3"}},
		{"broken kept action", with(validForm(), "a0.kind", "other", "a0.raw", "{not json"), "a0.kind", nil},
	}
	before := hs.count()
	for _, tc := range cases {
		for _, target := range []hx{targetForm, ""} {
			r := hs.do("POST", "/rules", tc.form, target)
			if r.Code != http.StatusUnprocessableEntity {
				t.Errorf("%s: status %d, want 422", tc.name, r.Code)
				continue
			}
			if target == targetForm && (r.page() || r.find("rule-form").Length() != 1) {
				t.Errorf("%s: want the form fragment", tc.name)
			}
			if target == "" && !r.page() {
				t.Errorf("%s: a plain POST must get the whole page", tc.name)
			}
			msg := r.find("err-" + tc.field)
			if strings.TrimSpace(msg.Text()) == "" {
				t.Errorf("%s: no message next to %s; errors: %s", tc.name, tc.field, r.doc.Find(".error").Text())
				continue
			}
			input := r.doc.Find(`[name="` + tc.field + `"]`)
			if input.Length() > 0 && (input.AttrOr("aria-invalid", "") != "true" || !strings.Contains(input.AttrOr("aria-describedby", ""), msg.AttrOr("id", "?"))) {
				t.Errorf("%s: the field is not marked invalid and described by its message", tc.name)
			}
			if r.find("form-errors").Length() != 1 {
				t.Errorf("%s: no summary alert", tc.name)
			}
			for id, want := range tc.kept {
				el := r.find(id)
				got := el.AttrOr("value", el.Text())
				if got != want {
					t.Errorf("%s: %s = %q, want %q kept", tc.name, id, got, want)
				}
			}
		}
	}
	if hs.count() != before {
		t.Fatal("an invalid form created a rule")
	}
}

func TestThingplusRejectionShownInPlace(t *testing.T) {
	hs := newHarness(t)
	before := hs.count()
	raw := `{"name":"headers","severity":"information","timezone":"+9.00","status":"activated",
 "trigger":{"agent":"sensorValue","type":"countEvent","method":{"id":"over","params":{"degree":0}},
  "filter":{"type":["series"],"sensor":["b827ebd0a001-1-door1"]}},
 "actions":[[{"agent":"dataPush","type":"dataPush","method":{"id":"push","params":{"url":"http://example.com/x","headers":{"a":"b"}}}}]]}`
	r := hs.do("POST", "/rules", url.Values{"tab": {"advanced"}, "op": {"save"}, "raw": {raw}}, targetForm)
	if r.Code != http.StatusUnprocessableEntity {
		t.Fatalf("status %d", r.Code)
	}
	if code := r.find("upstream-code").Text(); code != "SCHEMA_VALIDATE" {
		t.Fatalf("code %q; %s", code, r.find("upstream-error").Text())
	}
	if !strings.Contains(r.find("upstream-error").Text(), "headers") {
		t.Fatalf("Thing+'s message not shown: %s", r.find("upstream-error").Text())
	}
	if r.find("rule-raw").Text() != raw {
		t.Fatal("the JSON typed was not kept")
	}
	// 403 from Thing+ (a target on another user's gateway) is shown in place too
	other := strings.ReplaceAll(strings.ReplaceAll(raw, `,"headers":{"a":"b"}`, ""), `"params":{"degree":0}`,
		`"params":{"degree":0,"target":{"type":"gateway","id":"b827ebd0a0ff","sensors":["b827ebd0a0ff-0-temperature"]}}`)
	r = hs.do("POST", "/rules", url.Values{"tab": {"advanced"}, "op": {"save"}, "raw": {other}}, targetForm)
	if r.Code != http.StatusUnprocessableEntity || r.find("upstream-code").Text() == "" {
		t.Fatalf("foreign target: %d %s", r.Code, r.find("upstream-error").Text())
	}
	if hs.count() != before {
		t.Fatal("a refused rule was created")
	}
}

func TestAdvancedTabStaysInSync(t *testing.T) {
	hs := newHarness(t)
	// form → JSON
	r := hs.do("POST", "/rules", with(validForm(), "op", "tab-advanced"), targetForm)
	if r.Code != http.StatusOK || r.find("rule-raw").Length() != 1 {
		t.Fatalf("to advanced: %d", r.Code)
	}
	if r.find("tab-advanced").AttrOr("aria-selected", "") != "true" {
		t.Fatal("advanced tab not selected")
	}
	raw := r.find("rule-raw").Text()
	var rule map[string]any
	if err := json.Unmarshal([]byte(raw), &rule); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, raw)
	}
	if rule["name"] != "Car 2 door 3 leaving" || rule["timezone"] != "+9.00" || !strings.Contains(raw, "key=HIDDEN") {
		t.Fatalf("raw %s", raw)
	}
	// JSON edited → form
	edited := strings.Replace(raw, `"Car 2 door 3 leaving"`, `"Edited in JSON"`, 1)
	edited = strings.Replace(edited, `"conditions": [
    []
  ]`, `"conditions": [[{"agent":"sensorValue","type":"humidity","method":{"id":"over","params":{"degree":70,"target":{"type":"gateway","id":"b827ebd0a002","sensors":["b827ebd0a002-0-humidity"]}}}}]]`, 1)
	vals := formValues(r.find("rule-form"))
	vals.Set("raw", edited)
	vals.Set("op", "tab-form")
	r = hs.do("POST", "/rules", vals, targetForm)
	if r.Code != http.StatusOK {
		t.Fatalf("to form: %d %s", r.Code, r.doc.Find(".error").Text())
	}
	if r.find("f-name").AttrOr("value", "") != "Edited in JSON" || r.find("f-c0.degree").AttrOr("value", "") != "70" ||
		r.find("c0-sensor").Find("option[selected]").AttrOr("value", "") != "b827ebd0a002-0-humidity" {
		t.Fatalf("form not filled from JSON: %s", r.find("rule-conditions").Text())
	}
	if r.find("a0-kind").Find("option[selected]").AttrOr("value", "") != "app" || r.find("a0-dir").Find("option[selected]").AttrOr("value", "") != "OUT" {
		t.Fatal("the app push action is not recognised after the round trip")
	}
	// save from the form it came back as: the key is real again
	vals = formValues(r.find("rule-form"))
	vals.Set("op", "save")
	r = hs.do("POST", "/rules", vals, targetForm)
	if r.Code != http.StatusNoContent {
		t.Fatalf("save: %d %s", r.Code, r.doc.Find(".error, .notice").Text())
	}
	got := hs.newest()
	if got.Name != "Edited in JSON" || got.Actions[0][0].Method.Param("url") != hs.push("b827ebd0a001-2-door3", "OUT") ||
		len(got.Conditions) != 1 || got.Conditions[0][0].Type != "humidity" {
		t.Fatalf("stored %+v", got)
	}
	// save straight from the advanced tab
	r = hs.do("POST", "/rules", url.Values{"tab": {"advanced"}, "op": {"save"}, "raw": {strings.Replace(raw, "Car 2 door 3 leaving", "From JSON", 1)}}, targetForm)
	if r.Code != http.StatusNoContent || hs.newest().Name != "From JSON" || !strings.Contains(hs.newest().Actions[0][0].Method.Param("url"), webhookKey) {
		t.Fatalf("save from JSON: %d %s", r.Code, r.find("err-raw").Text())
	}
}

func TestMalformedJSONNeverCrashes(t *testing.T) {
	hs := newHarness(t)
	before := hs.count()
	cases := map[string]string{
		"syntax":        "{\n  \"name\": \"x\",\n  oops\n}",
		"not an object": `[1,2,3]`,
		"trailing":      `{"name":"x"} {"name":"y"}`,
		"wrong type":    `{"name": 5}`,
		"template bool": `{"name":"x","template":1}`,
		"unknown key":   `{"name":"x","bogus":1,"trigger":{"agent":"sensorValue","colour":"red"}}`,
		"empty":         `   `,
		"deep":          strings.Repeat("[", 100000),
		"conditions {}": `{"name":"x","severity":"information","timezone":"+9.00","status":"activated","conditions":{}}`,
		"invalid":       `{"name":"","severity":"loud","timezone":"+9.00","status":"activated","actions":[]}`,
	}
	for name, raw := range cases {
		for _, op := range []string{"tab-form", "save"} {
			r := hs.do("POST", "/rules", url.Values{"tab": {"advanced"}, "op": {op}, "raw": {raw}}, targetForm)
			if name == "invalid" && op == "tab-form" {
				// readable: the form opens with the problems marked
				if r.Code != http.StatusUnprocessableEntity || r.find("err-name").Length() != 1 || r.find("err-severity").Length() != 1 {
					t.Errorf("%s/%s: %d", name, op, r.Code)
				}
				continue
			}
			if r.Code != http.StatusUnprocessableEntity {
				t.Errorf("%s/%s: status %d", name, op, r.Code)
				continue
			}
			if strings.TrimSpace(r.find("err-raw").Text()) == "" {
				t.Errorf("%s/%s: no message under the JSON", name, op)
			}
			if r.find("rule-raw").Text() != raw && len(raw) < maxRawBytes {
				t.Errorf("%s/%s: the JSON typed was not kept", name, op)
			}
		}
	}
	r := hs.do("POST", "/rules", url.Values{"tab": {"advanced"}, "op": {"tab-form"}, "raw": {cases["syntax"]}}, targetForm)
	if !strings.Contains(r.find("err-raw").Text(), "Line 3") {
		t.Errorf("syntax error without its line: %s", r.find("err-raw").Text())
	}
	r = hs.do("POST", "/rules", url.Values{"tab": {"advanced"}, "op": {"save"}, "raw": {cases["unknown key"]}}, targetForm)
	if !strings.Contains(r.find("err-raw").Text(), "bogus") || !strings.Contains(r.find("err-raw").Text(), "trigger.colour") {
		t.Errorf("unknown keys not named: %s", r.find("err-raw").Text())
	}
	if hs.count() != before {
		t.Fatal("malformed JSON created a rule")
	}
}

func TestEditKeepsWhatTheFormDoesNotShow(t *testing.T) {
	hs := newHarness(t)
	ctx := context.Background()
	var in thingplus.Rule
	if err := json.Unmarshal([]byte(`{"name":"Mixed","desc":"kept","severity":"fatal","timezone":"+5.50","status":"deactivated","template":"false",
 "trigger":{"agent":"sensorValue","type":"countEvent","method":{"id":"changed","name":"변경","params":{"from":"-1","to":"1"}},
  "filter":{"type":["series"],"gateway":"*","sensor":["b827ebd0a001-3-door2"],"op":"and"}},
 "conditions":[[{"agent":"sensorValue","type":"temperature","method":{"id":"under","params":{"degree":5}}}]],
 "actions":[[{"agent":"sms","type":"sms","method":{"id":"send","name":"send","params":{"to":"010-1234-5678","message":"{{value}}"}}}],
  [{"agent":"dataPush","type":"dataPush","method":{"id":"push","name":"push","params":{"url":"https://example.com/hook?token=abc"}}}]]}`), &in); err != nil {
		t.Fatal(err)
	}
	created, err := hs.c.CreateRule(ctx, hs.token, in)
	if err != nil {
		t.Fatal(err)
	}
	page := hs.do("GET", "/rules/"+created.ID+"/edit", nil, "")
	if page.Code != http.StatusOK {
		t.Fatal(page.Code)
	}
	if page.find("condition-kept").Length() != 1 || page.find("action-kept").Length() != 1 {
		t.Fatalf("the parts the form cannot edit are not shown as kept: %s", page.find("rule-actions").Text())
	}
	if !strings.Contains(page.find("action-kept").Text(), "SMS 010-1234-5678") {
		t.Fatalf("kept action %q", page.find("action-kept").Text())
	}
	if page.find("t-method").Find("option[selected]").AttrOr("value", "") != "changed" || page.find("f-t.from").AttrOr("value", "") != "-1" {
		t.Fatal("trigger not filled")
	}
	if page.find("f-zone").Find("option[selected]").AttrOr("value", "") != "Asia/Kolkata" {
		t.Fatalf("+5.50 not shown as Asia/Kolkata: %s", page.find("f-zone").Find("option[selected]").Text())
	}
	vals := formValues(page.find("rule-form"))
	vals.Set("t.to", "0")
	vals.Set("op", "save")
	r := hs.do("POST", "/rules/"+created.ID, vals, targetForm)
	if r.Code != http.StatusNoContent || r.Header().Get("HX-Redirect") != "/rules?sort=modified" || !strings.Contains(r.Header().Get("Set-Cookie"), "flash=rules.done.updated") {
		t.Fatalf("update: %d %s", r.Code, r.doc.Find(".error, .notice").Text())
	}
	got := hs.rule(created.ID)
	if got.Trigger.Method.Param("to") != "0" || got.Trigger.Method.Name != "변경" || string(got.Trigger.Filter.Op) != `"and"` {
		t.Fatalf("trigger %+v", got.Trigger)
	}
	if got.Timezone != "+5.50" || got.Desc != "kept" || got.Severity != thingplus.SeverityFatal || got.Status != thingplus.RuleDeactivated {
		t.Fatalf("basics %+v", got)
	}
	if !sameJSON(in.Actions, got.Actions) || !sameJSON(in.Conditions, got.Conditions) {
		t.Fatalf("lost on edit:\n%+v\n%+v", in, got)
	}
	// clearing the description through the form really clears it
	vals.Set("desc", "")
	if r := hs.do("POST", "/rules/"+created.ID, vals, targetForm); r.Code != http.StatusNoContent {
		t.Fatal(r.Code)
	}
	if hs.rule(created.ID).Desc != "" {
		t.Fatal("description not cleared")
	}
}

func TestEditAppPushAndTemplate(t *testing.T) {
	hs := newHarness(t)
	page := hs.do("GET", "/rules/4/edit", nil, "")
	if page.find("a0-kind").Find("option[selected]").AttrOr("value", "") != "app" || page.find("a0-dir").Find("option[selected]").AttrOr("value", "") != "IN" {
		t.Fatal("the seeded door rule is not shown as 'push to this app (IN)'")
	}
	if !strings.Contains(page.doc.Find(`[id="rf-a0-dir-hint"]`).Text(), "Car 1 door 1") {
		t.Fatalf("hint %q", page.doc.Find(`[id="rf-a0-dir-hint"]`).Text())
	}
	vals := formValues(page.find("rule-form"))
	vals.Set("a0.dir", "OUT")
	// Choosing OUT refreshes the form (htmx), which presets the door's
	// trigger to "under 0": over 0 would count every entry as an exit.
	vals.Set("op", "refresh")
	refreshed := hs.do("POST", "/rules/4", vals, targetForm, "HX-Trigger-Name", "a0.dir")
	vals = formValues(refreshed.find("rule-form"))
	vals.Set("op", "save")
	if r := hs.do("POST", "/rules/4", vals, ""); r.Code != http.StatusSeeOther {
		t.Fatalf("save: %d %s", r.Code, r.doc.Find(".error").Text())
	}
	if u := hs.rule("4").Actions[0][0].Method.Param("url"); u != hs.push("b827ebd0a001-1-door1", "OUT") {
		t.Fatalf("url %q", u)
	}
	// start from the template: filled in, not a template itself
	page = hs.do("GET", "/rules/new?template=1", nil, "")
	if page.find("f-name").AttrOr("value", "") != "Temperature over 30 → e-mail" || page.find("f-t.degree").AttrOr("value", "") != "30" ||
		page.find("t-sensor").Find("option[selected]").AttrOr("value", "") != "b827ebd0a002-0-temperature" ||
		page.find("f-a0.to").AttrOr("value", "") != "demo@example.com" || page.find("template-filled").Length() != 1 {
		t.Fatalf("template not filled in")
	}
	if _, on := page.find("f-template").Attr("checked"); on {
		t.Fatal("a rule from a template is itself a template")
	}
	vals = formValues(page.find("rule-form"))
	vals.Set("op", "save")
	if r := hs.do("POST", "/rules", vals, targetForm); r.Code != http.StatusNoContent {
		t.Fatalf("create from template: %d %s", r.Code, r.doc.Find(".error").Text())
	}
	got, tpl := hs.newest(), hs.rule("1")
	if got.IsTemplate() || got.Name != tpl.Name || got.Actions[0][0].Method.Param("body") != tpl.Actions[0][0].Method.Param("body") {
		t.Fatalf("from template %+v", got)
	}
	if r := hs.do("GET", "/rules/new?template=3", nil, ""); r.Code != http.StatusForbidden {
		t.Fatalf("another user's template: %d", r.Code)
	}
}

func TestFormOps(t *testing.T) {
	hs := newHarness(t)
	post := func(v url.Values, op string) reply {
		t.Helper()
		r := hs.do("POST", "/rules", with(v, "op", op), targetForm)
		if r.Code != http.StatusOK || r.page() {
			t.Fatalf("%s: %d", op, r.Code)
		}
		return r
	}
	r := post(validForm(), "add-cond")
	if r.doc.Find(`[data-testid="condition"]`).Length() != 1 {
		t.Fatal("add-cond")
	}
	r = post(formValues(r.find("rule-form")), "add-group")
	if r.doc.Find(`[data-testid="condition"]`).Length() != 2 || r.find("rule-or").Length() != 1 {
		t.Fatal("add-group")
	}
	r = post(formValues(r.find("rule-form")), "del-cond-0")
	if r.doc.Find(`[data-testid="condition"]`).Length() != 1 || r.find("rule-or").Length() != 0 {
		t.Fatal("del-cond")
	}
	r = post(formValues(r.find("rule-form")), "add-action")
	if r.doc.Find(`[data-testid="action"]`).Length() != 2 {
		t.Fatal("add-action")
	}
	v := formValues(r.find("rule-form"))
	if v.Get("a0.dir") != "OUT" {
		t.Fatal("adding a row lost what was typed")
	}
	r = post(v, "del-action-0")
	if r.doc.Find(`[data-testid="action"]`).Length() != 1 || formValues(r.find("rule-form")).Get("a0.kind") != "app" {
		t.Fatal("del-action")
	}
	for i := 0; i < 30; i++ {
		r = post(formValues(r.find("rule-form")), "add-action")
	}
	if n := r.doc.Find(`[data-testid="action"]`).Length(); n != 25 || r.find("err-actions").Length() != 1 {
		t.Fatalf("%d actions", n)
	}
	// changing the gateway offers its sensors and drops the old choice
	r = post(with(validForm(), "t.gateway", "b827ebd0a002"), "refresh")
	opts := r.find("t-sensor").Find("option")
	if opts.Filter(`[value="b827ebd0a002-0-humidity"]`).Length() != 1 || opts.Filter(`[value^="b827ebd0a001"]`).Length() != 0 {
		t.Fatalf("sensors of the climate gateway: %s", opts.Text())
	}
	if r.find("t-sensor").Find("option[selected]").Length() != 0 {
		t.Fatal("the door sensor stayed selected on another gateway")
	}
	// choosing a method shows its parameters
	r = post(with(validForm(), "t.method", "range"), "refresh")
	if r.find("f-t.min").Length() != 1 || r.find("f-t.degree").Length() != 0 {
		t.Fatal("range parameters not shown")
	}
	r = post(with(validForm(), "t.method", "changed"), "refresh")
	if r.find("f-t.from").Length() != 1 || r.find("f-t.to").Length() != 1 {
		t.Fatal("changed parameters not shown")
	}
	if r := hs.do("POST", "/rules", with(validForm(), "op", "explode"), targetForm); r.Code != http.StatusUnprocessableEntity ||
		r.find("rule-form").Length() != 1 || r.find("err-form").Length() != 1 || r.find("f-name").AttrOr("value", "") != "Car 2 door 3 leaving" {
		t.Fatalf("unknown op: %d", r.Code)
	}
	// a body over the limit: 413, a toast aimed at the toast region, the form stays
	huge := with(validForm(), "raw", strings.Repeat("x", maxFormBody+1))
	if r := hs.do("POST", "/rules", huge, targetForm); r.Code != http.StatusRequestEntityTooLarge || r.Header().Get("HX-Retarget") != "#toasts" || r.find("toast").Length() != 1 {
		t.Fatalf("huge body: %d %v", r.Code, r.Header())
	}
}

func TestSaveWhileThingplusDown(t *testing.T) {
	hs := newHarness(t)
	hs.store.down.Store(true)
	r := hs.do("POST", "/rules", validForm(), targetForm)
	if r.Code != http.StatusServiceUnavailable || r.find("upstream-error").Length() != 1 {
		t.Fatalf("status %d", r.Code)
	}
	if r.find("f-name").AttrOr("value", "") != "Car 2 door 3 leaving" {
		t.Fatal("the form was not kept")
	}
}
