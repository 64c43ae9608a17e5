package rules

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/thingplus/thingplus-webapp/thingplus"
	views "github.com/thingplus/thingplus-webapp/views/rules"
	"github.com/thingplus/thingplus-webapp/views/text"
)

// This file turns the rule form into a Thing+ rule and back, without I/O.
// Everything the form does not show (unknown params, filter.op, actuator
// actions, extra top-level keys) travels in the hidden "base" field and in
// per-item "raw" fields, so editing through the form loses nothing.

// Form limits: more than the schema allows is refused anyway; these bound
// the work a hostile request can cause.
const (
	maxFormItems = thingplus.MaxGroups * thingplus.MaxItemsInGroup
	maxRawBytes  = 256 << 10
	// maxFieldLen bounds one posted field in bytes. It is above what any
	// valid field can take (maxTextLen characters of up to 4 bytes), so a
	// value is only ever cut when it is refused anyway, never silently.
	maxFieldLen = 16 << 10
	// maxTextLen is the most characters a free-text field of an action or
	// a "changed" value may have: Thing+'s limit for "other strings" (a
	// description: 1000, a name: 100).
	maxTextLen = 2000
)

// Tabs of the form.
const (
	tabForm     = "form"
	tabAdvanced = "advanced"
)

// Action kinds of the form.
const (
	kindApp   = "app"
	kindURL   = "url"
	kindEmail = "email"
	kindOther = "other"
)

var sensorMethods = []string{thingplus.MethodOver, thingplus.MethodUnder, thingplus.MethodRange, thingplus.MethodChanged}

// GatewayChoice is a gateway with the sensors a rule can watch.
type GatewayChoice struct {
	ID, Name string
	Sensors  []SensorChoice
}

// SensorChoice is one sensor of a gateway.
type SensorChoice struct {
	ID, Name, Type string
}

// formEnv is what converting a form needs besides the input.
type formEnv struct {
	ctx    context.Context // carries the language
	push   pushURLs
	zones  zones
	now    time.Time
	picker []GatewayChoice // nil when unavailable
	down   string          // the picker failed: what the form says in its place
}

// sensor finds a sensor and its gateway in the picker.
func (e formEnv) sensor(id string) (gw string, s SensorChoice, ok bool) {
	for _, g := range e.picker {
		for _, s := range g.Sensors {
			if s.ID == id {
				return g.ID, s, true
			}
		}
	}
	return "", SensorChoice{}, false
}

func (e formEnv) names() names {
	n := names{}
	for _, g := range e.picker {
		for _, s := range g.Sensors {
			n[s.ID] = s.Name
		}
	}
	return n
}

// --- reading the posted form -----------------------------------------------

// parseForm reads the posted values; it never fails (garbage becomes
// errors when the rule is built).
func parseForm(v url.Values) views.Form {
	get := func(k string) string { return clip(v.Get(k)) }
	f := views.Form{
		Tab: get("tab"), Base: clipN(v.Get("base"), maxRawBytes), Name: get("name"), Desc: get("desc"),
		Severity: get("severity"), Zone: get("zone"), Status: get("status"), Template: v.Get("template") == "true",
		TriggerLocked: get("t.locked"), Raw: clipN(v.Get("raw"), maxFormBody), // parseRaw refuses > maxRawBytes, the typed text stays
	}
	if f.Tab != tabAdvanced {
		f.Tab = tabForm
	}
	f.Trigger = parseSensorish(v, "t")
	for i := 0; i < maxFormItems; i++ {
		p := "c" + strconv.Itoa(i)
		if !v.Has(p + ".group") {
			continue
		}
		s := parseSensorish(v, p)
		s.Group = atoiClamp(v.Get(p+".group"), thingplus.MaxGroups*2)
		s.Raw, s.Summary = clipN(v.Get(p+".raw"), maxRawBytes), get(p+".summary")
		f.Conditions = append(f.Conditions, s)
	}
	for i := 0; i < maxFormItems; i++ {
		p := "a" + strconv.Itoa(i)
		if !v.Has(p + ".kind") {
			continue
		}
		f.Actions = append(f.Actions, views.Action{
			Group: atoiClamp(v.Get(p+".group"), thingplus.MaxGroups*2), Kind: get(p + ".kind"), Dir: get(p + ".dir"),
			URL: get(p + ".url"), To: get(p + ".to"), Subject: get(p + ".subject"), Body: get(p + ".body"),
			Raw: clipN(v.Get(p+".raw"), maxRawBytes), Summary: get(p + ".summary"), Auto: autoKind(get(p+".auto"), get(p+".kind")),
		})
	}
	renumber(&f)
	return f
}

// autoKind keeps the form's own choice of action kind only while the user
// has not picked another one.
func autoKind(auto, kind string) string {
	if auto != kind {
		return ""
	}
	return auto
}

// counterType is the sensor type of the door counters (+1 in, -1 out).
const counterType = "countEvent"

// followSensorType makes a new rule's untouched default action fit the
// trigger's sensor: a door counter counts a passenger in this app, any
// other sensor e-mails (a temperature is no passenger).
func (e formEnv) followSensorType(f *views.Form) {
	if len(f.Actions) != 1 || f.Actions[0].Auto == "" || f.Trigger.Sensor == "" || f.Trigger.Type == "" {
		return
	}
	want := kindEmail
	if f.Trigger.Type == counterType && e.push.build != nil {
		want = kindApp
	}
	a := &f.Actions[0]
	if a.Kind != want {
		a.Kind, a.Auto = want, want
		if a.Dir == "" {
			a.Dir = DirIn
		}
	}
}

func parseSensorish(v url.Values, p string) views.Sensorish {
	get := func(k string) string { return clip(v.Get(p + "." + k)) }
	return views.Sensorish{Prefix: p, Gateway: get("gateway"), Sensor: get("sensor"), Type: get("type"),
		Method: get("method"), Degree: get("degree"), From: get("from"), To: get("to"), Min: get("min"), Max: get("max")}
}

func clip(s string) string { return clipN(s, maxFieldLen) }

func clipN(s string, n int) string {
	if len(s) > n {
		s = s[:n]
	}
	return strings.ToValidUTF8(s, "")
}

func atoiClamp(s string, max int) int {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0
	}
	return min(n, max)
}

// renumber gives conditions and actions contiguous prefixes (c0, c1…, a0…)
// and their groups contiguous numbers in order of first appearance.
func renumber(f *views.Form) {
	slices.SortStableFunc(f.Conditions, func(a, b views.Sensorish) int { return a.Group - b.Group })
	slices.SortStableFunc(f.Actions, func(a, b views.Action) int { return a.Group - b.Group })
	g, last := -1, -1
	for i := range f.Conditions {
		if f.Conditions[i].Group != last {
			last, g = f.Conditions[i].Group, g+1
		}
		f.Conditions[i].Group, f.Conditions[i].Prefix = g, "c"+strconv.Itoa(i)
	}
	g, last = -1, -1
	for i := range f.Actions {
		if f.Actions[i].Group != last {
			last, g = f.Actions[i].Group, g+1
		}
		f.Actions[i].Group, f.Actions[i].Prefix = g, "a"+strconv.Itoa(i)
	}
}

// --- form operations (add/remove rows, switch tabs) ---------------------------

var delRe = regexp.MustCompile(`^del-(cond|action)-(\d{1,2})$`)

// applyOp changes the form's shape for op; it reports false for an unknown op.
func (e formEnv) applyOp(f *views.Form, op string) bool {
	errs := func(k, msg string) {
		if f.Errors == nil {
			f.Errors = map[string]string{}
		}
		f.Errors[k] = msg
	}
	lastGroup := func(n int, group func(i int) int) (int, int) { // last group, its size
		if n == 0 {
			return 0, 0
		}
		g, size := group(n-1), 0
		for i := 0; i < n; i++ {
			if group(i) == g {
				size++
			}
		}
		return g, size
	}
	switch op {
	case "refresh":
	case "add-cond", "add-group":
		g, size := lastGroup(len(f.Conditions), func(i int) int { return f.Conditions[i].Group })
		if len(f.Conditions) > 0 && (op == "add-group" || size >= thingplus.MaxItemsInGroup) {
			g++
		}
		if g >= thingplus.MaxGroups {
			errs("conditions", fmt.Sprintf(text.T(e.ctx, "rules.err.maxgroups"), thingplus.MaxGroups))
			return true
		}
		f.Conditions = append(f.Conditions, views.Sensorish{Group: g, Gateway: f.Trigger.Gateway, Method: thingplus.MethodOver})
	case "add-action":
		g, size := lastGroup(len(f.Actions), func(i int) int { return f.Actions[i].Group })
		if size >= thingplus.MaxItemsInGroup {
			g++
		}
		if g >= thingplus.MaxGroups {
			errs("actions", fmt.Sprintf(text.T(e.ctx, "rules.err.maxgroups"), thingplus.MaxGroups))
			return true
		}
		kind := kindURL
		if e.push.build != nil {
			kind = kindApp
		}
		f.Actions = append(f.Actions, views.Action{Group: g, Kind: kind, Dir: DirIn})
		presetDoorTrigger(f)
	case "tab-form", "tab-advanced":
		// handled by the caller (needs the rule)
	default:
		m := delRe.FindStringSubmatch(op)
		if m == nil {
			return false
		}
		i, _ := strconv.Atoi(m[2])
		if m[1] == "cond" && i < len(f.Conditions) {
			f.Conditions = slices.Delete(f.Conditions, i, i+1)
		}
		if m[1] == "action" && i < len(f.Actions) {
			f.Actions = slices.Delete(f.Actions, i, i+1)
		}
	}
	renumber(f)
	return true
}

// --- form → rule ----------------------------------------------------------------

// fieldMap sends a rule path ("actions[0][1].method.params.url") to the form
// field that shows it ("a1.url").
type fieldMap struct {
	items map[string]string // "conditions[0][1]" / "actions[0][1]" → "c3" / "a1"
	kinds map[string]string // action prefix → kind
	lockT bool
}

var pathRe = regexp.MustCompile(`^(conditions|actions)\[(\d+)\]\[(\d+)\](?:\.(.*))?$`)

func (m fieldMap) field(path string) string {
	switch path {
	case "name", "desc", "severity", "status", "template":
		return path
	case "timezone":
		return "zone"
	case "conditions", "actions":
		return path
	}
	if rest, ok := strings.CutPrefix(path, "trigger"); ok {
		if m.lockT {
			return "t"
		}
		return "t." + subField(strings.TrimPrefix(rest, "."), "")
	}
	if sm := pathRe.FindStringSubmatch(path); sm != nil {
		p, ok := m.items[sm[1]+"["+sm[2]+"]["+sm[3]+"]"]
		if !ok {
			return sm[1]
		}
		return p + "." + subField(sm[4], m.kinds[p])
	}
	if strings.HasPrefix(path, "conditions[") {
		return "conditions"
	}
	if strings.HasPrefix(path, "actions[") {
		return "actions"
	}
	return "form"
}

// subField maps the part of a path inside an item to a form field suffix.
func subField(rest, kind string) string {
	param, isParam := strings.CutPrefix(rest, "method.params.")
	switch {
	case isParam:
		key, _, _ := strings.Cut(param, ".")
		switch key {
		case "degree", "min", "max", "from", "to", "subject", "body":
			return key
		case "url":
			if kind == kindApp {
				return "dir"
			}
			return "url"
		case "target":
			return "sensor"
		}
	case rest == "type", strings.HasPrefix(rest, "filter"):
		return "sensor"
	}
	switch kind {
	case "":
		return "method"
	case kindOther:
		return "kind"
	}
	return "kind"
}

// build turns the form into a rule. Field errors are keyed by form field;
// the rule is returned even when there are errors (the advanced tab shows it).
func (e formEnv) build(f views.Form) (thingplus.Rule, map[string]string, fieldMap) {
	errs := map[string]string{}
	set := func(k, msg string) {
		if errs[k] == "" {
			errs[k] = msg
		}
	}
	var r thingplus.Rule
	if f.Base != "" {
		if json.Unmarshal([]byte(f.Base), &r) != nil {
			r = thingplus.Rule{}
		}
	}
	r.ID = f.ID
	r.Name = strings.TrimSpace(f.Name)
	switch n := utf8.RuneCountInString(r.Name); {
	case n == 0:
		set("name", text.T(e.ctx, "rules.err.name"))
	case n > thingplus.MaxRuleName:
		set("name", fmt.Sprintf(text.T(e.ctx, "rules.err.namelen"), thingplus.MaxRuleName))
	}
	r.Desc = strings.TrimSpace(f.Desc)
	if utf8.RuneCountInString(r.Desc) > 1000 {
		set("desc", text.T(e.ctx, "rules.err.desclen"))
	}
	r.Severity = thingplus.Severity(f.Severity)
	if !r.Severity.Valid() {
		set("severity", text.T(e.ctx, "rules.err.severity"))
	}
	if tz, ok := e.zones.offset(f.Zone, e.now); ok {
		r.Timezone = tz
	} else {
		set("zone", text.T(e.ctx, "rules.err.zone"))
		r.Timezone = ""
	}
	r.Status = thingplus.RuleStatus(f.Status)
	if !r.Status.Valid() {
		set("status", text.T(e.ctx, "rules.err.status"))
	}
	switch {
	case f.Template:
		r.Template = thingplus.TemplateTrue
	case r.Template != "":
		r.Template = thingplus.TemplateFalse
	}

	fm := fieldMap{items: map[string]string{}, kinds: map[string]string{}, lockT: f.TriggerLocked != ""}
	if f.TriggerLocked == "" {
		typ, m, gw, sensor := e.buildSensorish(f.Trigger, r.Trigger.Method, set)
		filter := r.Trigger.Filter
		if len(filter.Type) == 0 {
			filter.Type = []string{"series"}
		}
		filter.Gateway, filter.Sensor = thingplus.IDs(gw), []string{sensor}
		if gw == "" {
			filter.Gateway = thingplus.AllIDs()
		}
		if sensor == "" {
			filter.Sensor = nil
		}
		r.Trigger = thingplus.Trigger{Agent: thingplus.AgentSensorValue, Type: typ, Method: m, Filter: filter}
	}

	r.Conditions = nil
	for _, c := range f.Conditions {
		for len(r.Conditions) <= c.Group {
			r.Conditions = append(r.Conditions, []thingplus.RuleItem{})
		}
		fm.items[fmt.Sprintf("conditions[%d][%d]", c.Group, len(r.Conditions[c.Group]))] = c.Prefix
		var it thingplus.RuleItem
		if c.Raw != "" {
			if err := json.Unmarshal([]byte(c.Raw), &it); err != nil {
				set(c.Prefix+".method", text.T(e.ctx, "rules.err.kept"))
			}
		} else {
			typ, m, _, _ := e.buildSensorish(c, thingplus.Method{}, set)
			it = thingplus.RuleItem{Agent: thingplus.AgentSensorValue, Type: typ, Method: m}
		}
		r.Conditions[c.Group] = append(r.Conditions[c.Group], it)
	}

	r.Actions = nil
	if len(f.Actions) == 0 {
		set("actions", text.T(e.ctx, "rules.err.noaction"))
	}
	checkDoorTrigger(e.ctx, f, set)
	trig := f.Trigger.Sensor
	for _, a := range f.Actions {
		for len(r.Actions) <= a.Group {
			r.Actions = append(r.Actions, []thingplus.RuleItem{})
		}
		fm.items[fmt.Sprintf("actions[%d][%d]", a.Group, len(r.Actions[a.Group]))] = a.Prefix
		fm.kinds[a.Prefix] = a.Kind
		var it thingplus.RuleItem
		switch a.Kind {
		case kindApp:
			switch {
			case e.push.build == nil:
				set(a.Prefix+".kind", text.T(e.ctx, "rules.err.nowebhook"))
			case f.TriggerLocked != "" || trig == "":
				set(a.Prefix+".dir", text.T(e.ctx, "rules.err.appsensor"))
			case a.Dir != DirIn && a.Dir != DirOut:
				set(a.Prefix+".dir", text.T(e.ctx, "rules.err.dir"))
			}
			it = thingplus.PushAction(e.push.For(trig, a.Dir))
		case kindURL:
			u := strings.TrimSpace(a.URL)
			if !thingplus.IsPushURL(u) {
				set(a.Prefix+".url", text.T(e.ctx, "rules.err.url"))
			}
			tooLong(e.ctx, set, a.Prefix+".url", u)
			it = thingplus.PushAction(u)
		case kindEmail:
			if strings.TrimSpace(a.To) == "" {
				set(a.Prefix+".to", text.T(e.ctx, "rules.err.emailto"))
			}
			tooLong(e.ctx, set, a.Prefix+".to", a.To)
			tooLong(e.ctx, set, a.Prefix+".subject", a.Subject)
			tooLong(e.ctx, set, a.Prefix+".body", a.Body)
			it = thingplus.EmailAction(strings.TrimSpace(a.To), a.Subject, a.Body)
		case kindOther:
			if err := json.Unmarshal([]byte(a.Raw), &it); err != nil || a.Raw == "" {
				set(a.Prefix+".kind", text.T(e.ctx, "rules.err.kept"))
			}
		default:
			set(a.Prefix+".kind", text.T(e.ctx, "rules.err.kind"))
		}
		r.Actions[a.Group] = append(r.Actions[a.Group], it)
	}
	r = e.unmaskRule(r)

	if err := r.Validate(); err != nil {
		var re *thingplus.RuleError
		if errors.As(err, &re) {
			for _, fe := range re.Fields {
				set(fm.field(fe.Field), fe.Message)
			}
		}
	}
	return r, errs, fm
}

// buildSensorish makes the type and method of a trigger or condition.
func (e formEnv) buildSensorish(s views.Sensorish, base thingplus.Method, set func(k, msg string)) (typ string, m thingplus.Method, gw, sensor string) {
	p := s.Prefix
	gw, sensor, typ = strings.TrimSpace(s.Gateway), strings.TrimSpace(s.Sensor), strings.TrimSpace(s.Type)
	if pg, ps, ok := e.sensor(sensor); ok {
		typ = ps.Type
		if gw == "" {
			gw = pg
		} else if gw != pg {
			set(p+".sensor", text.T(e.ctx, "rules.err.sensor"))
		}
	} else if sensor != "" && e.picker != nil {
		set(p+".sensor", text.T(e.ctx, "rules.err.sensor"))
	}
	switch {
	case sensor == "" && gw == "":
		set(p+".gateway", text.T(e.ctx, "rules.err.gateway"))
	case sensor == "":
		set(p+".sensor", text.T(e.ctx, "rules.err.sensor"))
	case typ == "":
		set(p+".sensor", text.T(e.ctx, "rules.err.sensortype"))
	}
	if !slices.Contains(sensorMethods, s.Method) {
		set(p+".method", text.T(e.ctx, "rules.err.method"))
	}
	m = thingplus.Method{ID: s.Method}
	if base.ID == s.Method {
		m = base
	}
	if m.Name == "" {
		m.Name = methodName(s.Method)
	}
	params := map[string]any{"degree": nil, "min": nil, "max": nil, "from": nil, "to": nil}
	number := func(field, v string) {
		n, ok := jsonNumber(v)
		if !ok {
			set(p+"."+field, text.T(e.ctx, "rules.err.number"))
			if v = strings.TrimSpace(v); v != "" {
				params[field] = v // kept as typed, for the advanced tab
			}
			return
		}
		params[field] = n
	}
	switch s.Method {
	case thingplus.MethodOver, thingplus.MethodUnder:
		number("degree", s.Degree)
	case thingplus.MethodRange:
		number("min", s.Min)
		number("max", s.Max)
		lo, ok1 := jsonNumber(s.Min)
		hi, ok2 := jsonNumber(s.Max)
		if ok1 && ok2 {
			a, _ := lo.Float64()
			b, _ := hi.Float64()
			if a > b {
				set(p+".max", text.T(e.ctx, "rules.err.range"))
			}
		}
	case thingplus.MethodChanged:
		tooLong(e.ctx, set, p+".from", s.From)
		tooLong(e.ctx, set, p+".to", s.To)
		if v := strings.TrimSpace(s.From); v != "" {
			params["from"] = v
		}
		if v := strings.TrimSpace(s.To); v != "" {
			params["to"] = v
		}
	}
	if sensor != "" && gw != "" {
		params["target"] = map[string]any{"type": "gateway", "id": gw, "sensors": []string{sensor}}
	}
	return typ, m.WithParams(params), gw, sensor
}

// tooLong reports a free-text field longer than maxTextLen characters.
func tooLong(ctx context.Context, set func(k, msg string), field, v string) {
	if utf8.RuneCountInString(v) > maxTextLen {
		set(field, fmt.Sprintf(text.T(ctx, "rules.err.textlen"), maxTextLen))
	}
}

// jsonNumber accepts a finite decimal number as JSON writes it.
func jsonNumber(s string) (json.Number, bool) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 32 || s[0] == '"' {
		return "", false
	}
	var n json.Number
	if json.Unmarshal([]byte(s), &n) != nil {
		return "", false
	}
	f, err := n.Float64()
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return "", false
	}
	return n, true
}

func methodName(id string) string {
	switch id {
	case thingplus.MethodOver:
		return "Over"
	case thingplus.MethodUnder:
		return "Under"
	case thingplus.MethodRange:
		return "In range"
	case thingplus.MethodChanged:
		return "Changed"
	}
	return id
}

// --- rule → form ----------------------------------------------------------------

// fill turns a rule into the form that edits it.
func (e formEnv) fill(r thingplus.Rule) views.Form {
	f := views.Form{
		ID: r.ID, Tab: tabForm, Base: e.maskedJSON(r, false), Name: r.Name, Desc: r.Desc,
		Severity: string(r.Severity), Status: string(r.Status), Template: r.IsTemplate(),
		Zone: e.zones.zoneFor(r.Timezone, e.now),
	}
	n := e.names()
	trig := ""
	if s, ok := e.sensorish(r.Trigger.Agent, r.Trigger.Type, r.Trigger.Method, r.Trigger.Filter.Sensor); ok {
		s.Prefix = "t"
		if s.Gateway == "" && len(r.Trigger.Filter.Gateway.IDs) == 1 {
			s.Gateway = r.Trigger.Filter.Gateway.IDs[0]
		}
		f.Trigger, trig = s, s.Sensor
	} else {
		f.TriggerLocked = strings.TrimSuffix(Summary(e.ctx, thingplus.Rule{Trigger: r.Trigger}, n), " → "+text.T(e.ctx, "rules.sum.nothing"))
	}
	for gi, g := range r.Conditions {
		for _, it := range g {
			s, ok := e.sensorish(it.Agent, it.Type, it.Method, itemSensors(it.Method))
			if !ok {
				s = views.Sensorish{Raw: e.itemJSON(it), Summary: itemPhrase(e.ctx, it, n)}
			}
			s.Group = gi
			f.Conditions = append(f.Conditions, s)
		}
	}
	for gi, g := range r.Actions {
		for _, it := range g {
			a := views.Action{Group: gi, Kind: kindOther}
			p := it.Method.ParamsMap()
			onlyKeys := func(keys ...string) bool {
				for k := range p {
					if !slices.Contains(keys, k) {
						return false
					}
				}
				return true
			}
			switch {
			case it.Agent == thingplus.AgentDataPush && it.Type == thingplus.AgentDataPush && it.Method.ID == "push" && onlyKeys("url"):
				u := it.Method.Param("url")
				if sensor, dir, ok := e.push.own(u); ok && sensor == trig && trig != "" {
					a.Kind, a.Dir = kindApp, dir
				} else {
					a.Kind, a.URL = kindURL, e.push.mask(u)
				}
			case it.Agent == thingplus.AgentEmail && it.Type == thingplus.AgentEmail && it.Method.ID == "send" && onlyKeys("to", "subject", "body"):
				a.Kind, a.To, a.Subject, a.Body = kindEmail, it.Method.Param("to"), it.Method.Param("subject"), it.Method.Param("body")
			}
			if a.Kind == kindOther {
				a.Raw, a.Summary = e.itemJSON(it), actionPhrase(e.ctx, it, r.TriggerSensors(), n)
			}
			f.Actions = append(f.Actions, a)
		}
	}
	renumber(&f)
	return f
}

// sensorish reads a sensorValue trigger or condition the form can edit: a
// known method, one sensor, a gateway target (or none), and no params the
// form does not know.
func (e formEnv) sensorish(agent, typ string, m thingplus.Method, sensors []string) (views.Sensorish, bool) {
	if agent != thingplus.AgentSensorValue || !slices.Contains(sensorMethods, m.ID) || len(sensors) != 1 {
		return views.Sensorish{}, false
	}
	s := views.Sensorish{Sensor: sensors[0], Type: typ, Method: m.ID}
	for k, v := range m.ParamsMap() {
		switch k {
		case "degree":
			s.Degree = m.Param(k)
		case "min":
			s.Min = m.Param(k)
		case "max":
			s.Max = m.Param(k)
		case "from":
			s.From = m.Param(k)
		case "to":
			s.To = m.Param(k)
		case "target":
			var t struct {
				Type    string   `json:"type"`
				ID      string   `json:"id"`
				Sensors []string `json:"sensors"`
			}
			if jsonUnmarshal(v, &t) != nil || t.Type != "gateway" || (len(t.Sensors) > 0 && !slices.Equal(t.Sensors, sensors)) {
				return views.Sensorish{}, false
			}
			s.Gateway = t.ID
		default:
			return views.Sensorish{}, false
		}
	}
	if gw, _, ok := e.sensor(s.Sensor); ok && s.Gateway == "" {
		s.Gateway = gw
	}
	return s, true
}

// --- JSON of rules as the browser sees them (webhook keys hidden) ---------------

func (e formEnv) mapPushURLs(r thingplus.Rule, f func(string) string) thingplus.Rule {
	acts := make([][]thingplus.RuleItem, len(r.Actions))
	for gi, g := range r.Actions {
		acts[gi] = make([]thingplus.RuleItem, len(g))
		for i, it := range g {
			if it.Agent == thingplus.AgentDataPush {
				if u := it.Method.Param("url"); u != "" {
					it.Method = it.Method.WithParams(map[string]any{"url": f(u)})
				}
			}
			acts[gi][i] = it
		}
	}
	if r.Actions != nil {
		r.Actions = acts
	}
	return r
}

func (e formEnv) maskRule(r thingplus.Rule) thingplus.Rule   { return e.mapPushURLs(r, e.push.mask) }
func (e formEnv) unmaskRule(r thingplus.Rule) thingplus.Rule { return e.mapPushURLs(r, e.push.unmask) }

// maskedJSON is the rule's writable body with webhook keys hidden.
func (e formEnv) maskedJSON(r thingplus.Rule, indent bool) string {
	b := unescapeHTML(e.maskRule(r).Body())
	if indent {
		var out bytes.Buffer
		if json.Indent(&out, b, "", "  ") == nil {
			return out.String()
		}
	}
	return string(b)
}

// unescapeHTML undoes encoding/json's \u003c, \u003e and \u0026 escapes, so
// the advanced tab shows "a?b=1&c=2" as typed (the page escapes it anyway).
// Every backslash in JSON starts an escape pair, so walking pair by pair
// never mistakes an escaped backslash followed by "u003c" for one.
func unescapeHTML(b []byte) []byte {
	if !bytes.Contains(b, []byte(`\u00`)) {
		return b
	}
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		if b[i] != '\\' || i+1 >= len(b) {
			out = append(out, b[i])
			continue
		}
		if b[i+1] == 'u' && i+6 <= len(b) {
			switch string(b[i+2 : i+6]) {
			case "003c":
				out, i = append(out, '<'), i+5
				continue
			case "003e":
				out, i = append(out, '>'), i+5
				continue
			case "0026":
				out, i = append(out, '&'), i+5
				continue
			}
		}
		out = append(out, b[i], b[i+1])
		i++
	}
	return out
}

func (e formEnv) itemJSON(it thingplus.RuleItem) string {
	r := e.maskRule(thingplus.Rule{Actions: [][]thingplus.RuleItem{{it}}})
	b, _ := json.Marshal(r.Actions[0][0])
	return string(b)
}

// --- the advanced tab -------------------------------------------------------------

// allowed keys of the rule schema (additionalProperties:false at Thing+).
var (
	rawTopKeys     = []string{"id", "name", "desc", "severity", "timezone", "status", "template", "trigger", "conditions", "actions", "_user", "_site", "_service", "ctime", "mtime"}
	rawTriggerKeys = []string{"agent", "type", "method", "filter"}
	rawFilterKeys  = []string{"type", "gateway", "sensor", "op"}
	rawItemKeys    = []string{"agent", "type", "method"}
	rawMethodKeys  = []string{"id", "name", "params"}
)

// parseRaw reads the advanced tab's JSON into a rule. It never panics;
// problems come back as one message for the "raw" field. usable is false
// when the JSON could not be read into a rule at all (syntax, types, keys).
func (e formEnv) parseRaw(raw string) (r thingplus.Rule, msg string, usable bool) {
	if strings.TrimSpace(raw) == "" {
		return r, text.T(e.ctx, "rules.err.rawempty"), false
	}
	if len(raw) > maxRawBytes {
		return r, text.T(e.ctx, "rules.err.rawsize"), false
	}
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.UseNumber()
	var tree any
	if err := dec.Decode(&tree); err != nil {
		return r, syntaxMessage(e.ctx, raw, err), false
	}
	if dec.More() {
		return r, text.T(e.ctx, "rules.err.rawtrailing"), false
	}
	top, ok := tree.(map[string]any)
	if !ok {
		return r, text.T(e.ctx, "rules.err.rawobject"), false
	}
	var unknown []string
	check := func(v any, path string, keys []string) {
		m, ok := v.(map[string]any)
		if !ok {
			return
		}
		for k := range m {
			if !slices.Contains(keys, k) {
				unknown = append(unknown, strings.TrimPrefix(path+"."+k, "."))
			}
		}
	}
	check(top, "", rawTopKeys)
	if t, ok := top["trigger"].(map[string]any); ok {
		check(t, "trigger", rawTriggerKeys)
		check(t["filter"], "trigger.filter", rawFilterKeys)
		check(t["method"], "trigger.method", rawMethodKeys)
	}
	for _, list := range []string{"conditions", "actions"} {
		groups, _ := top[list].([]any)
		for gi, g := range groups {
			items, _ := g.([]any)
			for ii, it := range items {
				p := fmt.Sprintf("%s[%d][%d]", list, gi, ii)
				check(it, p, rawItemKeys)
				if m, ok := it.(map[string]any); ok {
					check(m["method"], p+".method", rawMethodKeys)
				}
			}
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return r, fmt.Sprintf(text.T(e.ctx, "rules.err.rawunknown"), strings.Join(unknown, ", ")), false
	}
	if err := json.Unmarshal([]byte(raw), &r); err != nil {
		return thingplus.Rule{}, typeMessage(e.ctx, err), false
	}
	r = e.unmaskRule(r)
	if err := r.Validate(); err != nil {
		var re *thingplus.RuleError
		if errors.As(err, &re) {
			return r, re.Error(), true
		}
		return r, err.Error(), true
	}
	return r, "", true
}

// syntaxMessage says where the JSON breaks, as line and column.
func syntaxMessage(ctx context.Context, raw string, err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) && se.Offset > 0 && int(se.Offset) <= len(raw)+1 {
		before := raw[:min(int(se.Offset), len(raw))]
		line := strings.Count(before, "\n") + 1
		col := utf8.RuneCountInString(before[strings.LastIndex(before, "\n")+1:])
		return fmt.Sprintf(text.T(ctx, "rules.err.rawsyntax"), line, col, se.Error())
	}
	return fmt.Sprintf(text.T(ctx, "rules.err.rawbad"), err.Error())
}

func typeMessage(ctx context.Context, err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		field := te.Field
		if field == "" {
			field = "rule"
		}
		return fmt.Sprintf(text.T(ctx, "rules.err.rawtype"), field, te.Value, te.Type.String())
	}
	return fmt.Sprintf(text.T(ctx, "rules.err.rawbad"), err.Error())
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
