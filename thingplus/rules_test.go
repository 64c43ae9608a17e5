package thingplus

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// sheetRule is the §5.14 shape with parts the app does not model (params.target,
// filter.op, an actuator action, an unknown top-level key Thing+ might add).
const sheetRule = `{
 "id":"972","name":"Door 3","desc":"counts","severity":"warning","timezone":"+9.00","status":"activated",
 "template":"false",
 "trigger":{"agent":"sensorValue","type":"countEvent","method":{"id":"over","name":"Over","params":{"degree":0,"target":{"type":"gateway","id":"b827ebd0a001","sensors":["b827ebd0a001-1-door3"]}}},
  "filter":{"type":["series"],"gateway":"*","sensor":["b827ebd0a001-1-door3"],"op":"and"}},
 "conditions":[[]],
 "actions":[[{"agent":"dataPush","type":"dataPush","method":{"id":"push","name":"push","params":{"url":"http://localhost:3000/api/trigger/b827ebd0a001-1-door3/IN?key=k"}}},
  {"agent":"actuator","type":"led","method":{"id":"led","name":"LED 제어","params":{"command":{"cmd":"blink","options":{"duration":7000}}}}}]],
 "_user":"1","_site":"1","_service":"1","ctime":"1492682177547","mtime":"1492682177548",
 "suppressFor":"60000"
}`

func TestRuleRoundTripKeepsEverything(t *testing.T) {
	var r Rule
	if err := json.Unmarshal([]byte(sheetRule), &r); err != nil {
		t.Fatal(err)
	}
	if r.ID != "972" || r.Severity != SeverityWarning || r.Mtime != 1492682177548 || r.IsTemplate() {
		t.Fatalf("decoded %+v", r)
	}
	if !r.Trigger.Filter.Gateway.All || r.Trigger.Method.Param("degree") != "0" {
		t.Fatalf("trigger %+v", r.Trigger)
	}
	if string(r.Extra["suppressFor"]) != `"60000"` {
		t.Fatalf("extra %v", r.Extra)
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var want, got map[string]any
	_ = json.Unmarshal([]byte(sheetRule), &want)
	_ = json.Unmarshal(b, &got)
	// times come back as numbers; everything else must be identical
	want["ctime"], want["mtime"] = got["ctime"], got["mtime"]
	if !reflect.DeepEqual(want, got) {
		t.Fatalf("round trip lost data:\nwant %v\n got %v", want, got)
	}
	var body map[string]any
	_ = json.Unmarshal(r.Body(), &body)
	for _, k := range ReadOnlyRuleKeys {
		if _, ok := body[k]; ok {
			t.Errorf("Body() sends read-only %q", k)
		}
	}
	if body["suppressFor"] != "60000" || body["template"] != "false" {
		t.Errorf("Body() = %v", body)
	}
}

func TestTemplateFlag(t *testing.T) {
	for in, want := range map[string]TemplateFlag{`"true"`: TemplateTrue, `true`: TemplateTrue, `false`: TemplateFalse, `"false"`: TemplateFalse, `null`: ""} {
		var f TemplateFlag
		if err := json.Unmarshal([]byte(in), &f); err != nil || f != want {
			t.Errorf("%s → %q, %v", in, f, err)
		}
	}
	r := validRule()
	r.Template = TemplateTrue
	if b, _ := json.Marshal(r); !strings.Contains(string(b), `"template":"true"`) {
		t.Errorf("template not sent as a string: %s", b)
	}
	var f TemplateFlag
	if err := json.Unmarshal([]byte(`3`), &f); err == nil {
		t.Error("number accepted as template")
	}
}

func TestIDSet(t *testing.T) {
	for _, in := range []string{`"*"`, `["a","b"]`, `"a"`, `[]`} {
		var s IDSet
		if err := json.Unmarshal([]byte(in), &s); err != nil {
			t.Fatal(err)
		}
		if b, _ := json.Marshal(s); string(b) != in {
			t.Errorf("%s → %s", in, b)
		}
	}
	// an unset gateway filter is left out
	b, _ := json.Marshal(TriggerFilter{Sensor: []string{"s"}})
	if strings.Contains(string(b), "gateway") {
		t.Errorf("zero IDSet sent: %s", b)
	}
}

func TestTimezone(t *testing.T) {
	cases := map[int]string{9 * 3600: "+9.00", 0: "+0.00", 19800: "+5.50", 20700: "+5.75", -12600: "-3.50", -5 * 3600: "-5.00", 14 * 3600: "+14.00"}
	for off, want := range cases {
		if got := FormatTimezone(off); got != want {
			t.Errorf("FormatTimezone(%d) = %s, want %s", off, got, want)
		}
		back, err := ParseTimezone(want)
		if err != nil || back != off {
			t.Errorf("ParseTimezone(%s) = %d, %v", want, back, err)
		}
	}
	for _, bad := range []string{"", "+", "Asia/Seoul", "+15", "-13", "+9:00", "1e1", "+NaN"} {
		if _, err := ParseTimezone(bad); err == nil {
			t.Errorf("ParseTimezone(%q) accepted", bad)
		}
	}
	seoul := time.FixedZone("KST", 9*3600)
	if got := TimezoneOf(seoul, time.Now()); got != "+9.00" {
		t.Errorf("TimezoneOf = %s", got)
	}
}

func validRule() Rule {
	return Rule{
		Name: "Door in", Severity: SeverityInformation, Timezone: "+9.00", Status: RuleActivated,
		Trigger: Trigger{Agent: AgentSensorValue, Type: "countEvent",
			Method: Method{ID: MethodOver, Name: "Over"}.WithParams(map[string]any{"degree": 0}),
			Filter: TriggerFilter{Type: []string{"series"}, Gateway: IDs("gw"), Sensor: []string{"gw-1-door1"}}},
		Actions: [][]RuleItem{{PushAction("http://localhost:3000/api/trigger/gw-1-door1/IN")}},
	}
}

func TestValidate(t *testing.T) {
	if err := validRule().Validate(); err != nil {
		t.Fatalf("valid rule refused: %v", err)
	}
	six := make([]RuleItem, 6)
	for i := range six {
		six[i] = PushAction("http://x.test/")
	}
	cases := []struct {
		field string
		edit  func(r *Rule)
	}{
		{"name", func(r *Rule) { r.Name = "  " }},
		{"name", func(r *Rule) { r.Name = strings.Repeat("가", 101) }},
		{"severity", func(r *Rule) { r.Severity = "critical" }},
		{"timezone", func(r *Rule) { r.Timezone = "Asia/Seoul" }},
		{"timezone", func(r *Rule) { r.Timezone = "+9.000" }},
		{"status", func(r *Rule) { r.Status = "on" }},
		{"template", func(r *Rule) { r.Template = "yes" }},
		{"trigger.agent", func(r *Rule) { r.Trigger.Agent = "" }},
		{"trigger.method.id", func(r *Rule) { r.Trigger.Method.ID = "" }},
		{"trigger.method.params.degree", func(r *Rule) { r.Trigger.Method = r.Trigger.Method.WithParams(map[string]any{"degree": "lots"}) }},
		{"trigger.method.params", func(r *Rule) { r.Trigger.Method.Params = json.RawMessage(`[1]`) }},
		{"trigger.method.params.max", func(r *Rule) {
			r.Trigger.Method = Method{ID: MethodRange}.WithParams(map[string]any{"min": 5, "max": 1})
		}},
		{"trigger.filter.sensor", func(r *Rule) { r.Trigger.Filter.Sensor = nil }},
		{"trigger.filter.type[0]", func(r *Rule) { r.Trigger.Filter.Type = []string{"weekly"} }},
		{"actions", func(r *Rule) { r.Actions = nil }},
		{"actions[0]", func(r *Rule) { r.Actions = [][]RuleItem{six} }},
		{"actions", func(r *Rule) {
			r.Actions = [][]RuleItem{{PushAction("http://x.test/")}, {PushAction("http://x.test/")}, {PushAction("http://x.test/")},
				{PushAction("http://x.test/")}, {PushAction("http://x.test/")}, {PushAction("http://x.test/")}}
		}},
		{"conditions", func(r *Rule) { r.Conditions = make([][]RuleItem, 6) }},
		{"actions[0][0].method.params.url", func(r *Rule) { r.Actions = [][]RuleItem{{PushAction("ftp://x")}} }},
		{"actions[0][0].method.params.to", func(r *Rule) { r.Actions = [][]RuleItem{{EmailAction("not mail", "", "")}} }},
		{"conditions[0][0].method.params.degree", func(r *Rule) {
			r.Conditions = [][]RuleItem{{{Agent: AgentSensorValue, Type: "humidity", Method: Method{ID: MethodUnder}}}}
		}},
	}
	for _, tc := range cases {
		r := validRule()
		tc.edit(&r)
		err := r.Validate()
		var te *Error
		var re *RuleError
		if !errors.As(err, &te) || te.Kind != KindInvalid || te.Code != CodeSchemaValidate || !errors.As(err, &re) {
			t.Errorf("%s: want a typed SCHEMA_VALIDATE error, got %v", tc.field, err)
			continue
		}
		found := false
		for _, f := range re.Fields {
			found = found || f.Field == tc.field
		}
		if !found {
			t.Errorf("%s: not reported; got %v", tc.field, re.Fields)
		}
	}
}

// fixture is a minimal Thing+ stand-in recording what the client sends.
type fixture struct {
	mu   sync.Mutex
	reqs []recorded
}

type recorded struct {
	method, path, query, auth string
	body                      map[string]any
}

func (f *fixture) last() recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.reqs[len(f.reqs)-1]
}

func (f *fixture) serve(t *testing.T, status int, reply string) *Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var body map[string]any
		_ = json.Unmarshal(b, &body)
		f.mu.Lock()
		f.reqs = append(f.reqs, recorded{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Get("Authorization"), body})
		f.mu.Unlock()
		if status == http.StatusNoContent {
			w.WriteHeader(status)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, reply)
	}))
	t.Cleanup(srv.Close)
	c, err := New(srv.URL + "/v2")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestClientWireFormat(t *testing.T) {
	ctx := context.Background()
	t.Run("create", func(t *testing.T) {
		f := &fixture{}
		c := f.serve(t, 201, `{"statusCode":201,"message":"OK","data":{"name":"Door in","severity":"information","timezone":"+9.00","status":"activated","template":"false","trigger":{"agent":"sensorValue","type":"countEvent","method":{"id":"over","params":{"degree":0}},"filter":{"sensor":["gw-1-door1"]}},"conditions":[[]],"actions":[[{"agent":"dataPush","type":"dataPush","method":{"id":"push","params":{"url":"http://a.test/"}}}]],"_user":"1","_site":"1","_service":"1","ctime":1492682177547,"mtime":1492682177547,"id":"11"}}`)
		r := validRule()
		r.ID, r.Ctime = "stale", 5 // never sent
		got, err := c.CreateRule(ctx, "tok", r)
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != "11" || got.Ctime != 1492682177547 || got.User != "1" {
			t.Fatalf("got %+v", got)
		}
		req := f.last()
		if req.method != "POST" || req.path != "/v2/rules" || req.auth != "Bearer tok" {
			t.Fatalf("sent %+v", req)
		}
		if _, ok := req.body["id"]; ok {
			t.Error("id sent on create")
		}
		if req.body["timezone"] != "+9.00" || !reflect.DeepEqual(req.body["conditions"], []any{[]any{}}) {
			t.Errorf("body %v", req.body)
		}
	})
	t.Run("update and delete", func(t *testing.T) {
		f := &fixture{}
		c := f.serve(t, 200, `{"statusCode":200,"message":"OK","data":{"id":"7","name":"x","status":"deactivated"}}`)
		r := validRule()
		r.ID, r.Status = "7", RuleDeactivated
		got, err := c.UpdateRule(ctx, "tok", r)
		if err != nil || got.Status != RuleDeactivated {
			t.Fatalf("%+v %v", got, err)
		}
		if req := f.last(); req.method != "PUT" || req.path != "/v2/rules/7" || req.body["status"] != "deactivated" {
			t.Fatalf("sent %+v", req)
		}
		f2 := &fixture{}
		c2 := f2.serve(t, 204, "")
		if err := c2.DeleteRule(ctx, "tok", "7"); err != nil {
			t.Fatal(err)
		}
		if req := f2.last(); req.method != "DELETE" || req.path != "/v2/rules/7" {
			t.Fatalf("sent %+v", req)
		}
		if err := c2.DeleteRule(ctx, "tok", "../gateways"); !IsKind(err, KindInvalid) {
			t.Fatalf("path-changing id accepted: %v", err)
		}
		if _, err := c2.UpdateRule(ctx, "tok", validRule()); !IsKind(err, KindInvalid) {
			t.Fatalf("update without id: %v", err)
		}
	})
	t.Run("invalid rule is not sent", func(t *testing.T) {
		f := &fixture{}
		c := f.serve(t, 201, `{}`)
		r := validRule()
		r.Severity = "critical"
		_, err := c.CreateRule(ctx, "tok", r)
		var re *RuleError
		if !IsKind(err, KindInvalid) || !errors.As(err, &re) {
			t.Fatalf("err = %v", err)
		}
		if len(f.reqs) != 0 {
			t.Fatal("an invalid rule was sent")
		}
	})
	t.Run("thing+ rejection is typed", func(t *testing.T) {
		f := &fixture{}
		c := f.serve(t, 400, `{"statusCode":400,"message":"Bad Request","errors":[{"code":"SCHEMA_VALIDATE","message":"suppressFor: unknown key"}]}`)
		_, err := c.CreateRule(ctx, "tok", validRule())
		var te *Error
		if !errors.As(err, &te) || te.Kind != KindInvalid || te.Code != "SCHEMA_VALIDATE" || te.Status != 400 || te.Message != "suppressFor: unknown key" {
			t.Fatalf("err = %#v", err)
		}
	})
	t.Run("timelines query", func(t *testing.T) {
		f := &fixture{}
		c := f.serve(t, 200, `{"statusCode":200,"message":"OK","data":[{"id":"813837","type":"sensorValue","node":[{"type":"sensor","id":"s1"}],"rule":{"id":"65","name":"1","what":"email","when":"temperature"},"checked":"n","success":"y","severity":"warning","message":"<span>x</span>","time":"1432115443465","event":"s1:1432115443465"}],"_meta":{"count":1,"maxId":"813837","sinceId":"813800"}}`)
		p, err := c.Timelines(ctx, "tok", TimelineQuery{MaxID: "813837", SinceID: "813800", Severity: []Severity{SeverityWarning, SeverityFatal}, Count: 50})
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Entries) != 1 || !bool(p.Entries[0].Success) || p.Entries[0].Sensor() != "s1" || p.Meta.MaxID != "813837" || p.Entries[0].Time != 1432115443465 {
			t.Fatalf("page %+v", p)
		}
		q := f.last().query
		for _, want := range []string{"maxId=813837", "sinceId=813800", "filter[severity]=warning", "filter[severity]=fatal", "count=50"} {
			if !strings.Contains(q, want) {
				t.Errorf("query %q lacks %q", q, want)
			}
		}
	})
	t.Run("rule agents", func(t *testing.T) {
		f := &fixture{}
		c := f.serve(t, 200, `{"statusCode":200,"message":"OK","data":[{"id":"sensorValue","roles":["trigger","condition"],"types":["*"],"methods":[{"id":"over","name":"Over","params":[{"id":"degree","type":"number"}]}]},{"id":"email","types":[{"id":"email"}],"methods":[{"id":"send"}]}]}`)
		agents, err := c.RuleAgents(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		if len(agents) != 2 || !agents[0].HasMethod("over") || !agents[0].HasRole("trigger") || agents[0].HasRole("action") || agents[1].Types[0] != "email" || !agents[1].HasRole("action") {
			t.Fatalf("agents %+v", agents)
		}
	})
}
