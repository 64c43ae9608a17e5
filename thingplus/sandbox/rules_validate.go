package sandbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/thingplus/thingplus-webapp/thingplus/ruleeval"
)

// Rule bodies are validated the way Thing+ does (additionalProperties:false,
// typed fields, enums; §4.7, §5.14): the body is decoded into a generic tree
// and walked against ruleAgentCatalog, so every 400 SCHEMA_VALIDATE names the
// offending path, e.g. "actions[0][1].method.params.url: required".
//
// Choices where the sheet is silent (documented for the app side):
//   - conditions may be omitted (stored as [[]]); template may be omitted
//     (stored as "false"); desc may be omitted (then absent in reads).
//   - the read-only fields id, _user, _site, _service, ctime, mtime are
//     accepted (type-checked, then ignored) on POST and PUT, so a client can
//     send back what it read.
//   - number parameters (degree, min, max) accept a JSON number or a numeric
//     string; from/to accept a string or a number and are kept as given.
//   - limits: name 1–100 characters, desc ≤ 1000, other strings ≤ 2000, id
//     lists ≤ 100 entries, conditions ≤ 5×5, actions 1–5 × 1–5.

const (
	maxRuleName   = 100
	maxRuleDesc   = 1000
	maxRuleString = 2000
	maxRuleIDs    = 100
	maxRuleGroups = 5
	maxRuleItems  = 5
)

var (
	ruleSeverities = []string{"information", "warning", "fatal"}
	ruleStatuses   = []string{"activated", "deactivated"}
	ruleTemplates  = []string{"true", "false"}
	filterTypes    = []string{"series", "status", "schedule", "statSchedule"}
	targetTypes    = []string{"gateway", "tag"}
	ruleBodyKeys   = []string{"name", "desc", "severity", "timezone", "status", "template", "trigger", "conditions", "actions"}
	ruleReadOnly   = []string{"id", "_user", "_site", "_service", "ctime", "mtime"}
)

// compiledItem is a validated trigger or condition, ready for the engine.
// Its method, parameters and sensors (filter.sensor ∪ params.target.sensors)
// are the shared evaluator's Item.
type compiledItem struct {
	agent, typ string
	ruleeval.Item
	gateways   []string // filter.gateway list; nil = any ("*" or absent)
	targetType string
	targetID   string
}

// compiledAction is a validated action item.
type compiledAction struct {
	agent, typ, method string
	params             map[string]any
	url                string // dataPush
}

// compiledRule is what validation produces: the stored body plus compiled parts.
type compiledRule struct {
	body    map[string]any // rule keys as given (defaults filled, read-only keys removed)
	trigger compiledItem
	conds   [][]compiledItem
	actions []compiledAction
	eval    *ruleeval.Rule // trigger and conditions for the evaluator
}

// decodeRuleBody parses a JSON object body into a generic tree (numbers kept
// as json.Number so they are echoed as given).
func decodeRuleBody(r io.Reader) (map[string]any, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxBody+1))
	if err != nil {
		return nil, schemaErr("invalid body: " + err.Error())
	}
	if len(data) > maxBody {
		return nil, schemaErr("invalid body: larger than 1 MiB")
	}
	return parseRuleJSON(data)
}

func parseRuleJSON(data []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, schemaErr("invalid JSON: " + err.Error())
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, schemaErr("invalid JSON: trailing data after the rule object")
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, schemaErr("rule: must be an object, got " + jsonKind(v))
	}
	return m, nil
}

// validateRule checks a whole rule body (POST, or PUT after merging).
func validateRule(m map[string]any) (*compiledRule, error) {
	allowed := append(append([]string{}, ruleBodyKeys...), ruleReadOnly...)
	if err := checkRuleKeys(m, "", allowed); err != nil {
		return nil, err
	}
	name, _, err := ruleString(m, "name", "", true)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(name) == "" || utf8.RuneCountInString(name) > maxRuleName {
		return nil, schemaErr(fmt.Sprintf("name: must be 1 to %d characters and not blank", maxRuleName))
	}
	if desc, ok, err := ruleString(m, "desc", "", false); err != nil {
		return nil, err
	} else if ok && utf8.RuneCountInString(desc) > maxRuleDesc {
		return nil, schemaErr(fmt.Sprintf("desc: at most %d characters", maxRuleDesc))
	}
	if err := ruleEnum(m, "severity", "", true, ruleSeverities); err != nil {
		return nil, err
	}
	tz, _, err := ruleString(m, "timezone", "", true)
	if err != nil {
		return nil, err
	}
	if !validRuleTimezone(tz) {
		return nil, schemaErr(`timezone: must be an hour offset like "+9.00", "-5", "+09.50" (decimal hours, -12 to +14)`)
	}
	if err := ruleEnum(m, "status", "", true, ruleStatuses); err != nil {
		return nil, err
	}
	if err := ruleEnum(m, "template", "", false, ruleTemplates); err != nil {
		return nil, err
	}
	for _, k := range []string{"id", "_user", "_site", "_service"} {
		if v, ok := m[k]; ok && !isStrOrNum(v) {
			return nil, schemaErr(k + ": read-only; must be a string if sent, got " + jsonKind(v))
		}
	}
	for _, k := range []string{"ctime", "mtime"} {
		if v, ok := m[k]; ok {
			if _, err := ruleNumber(v); err != nil {
				return nil, schemaErr(k + ": read-only; must be a time in ms (number or numeric string) if sent")
			}
		}
	}

	cr := &compiledRule{}
	tv, ok := m["trigger"]
	if !ok {
		return nil, schemaErr("trigger: required")
	}
	if cr.trigger, err = validateItem(tv, "trigger", roleTrigger); err != nil {
		return nil, err
	}
	cv, hasConds := m["conditions"]
	if hasConds {
		groups, err := ruleGroups(cv, "conditions", 0, maxRuleGroups, 0, maxRuleItems)
		if err != nil {
			return nil, err
		}
		for gi, g := range groups {
			var cg []compiledItem
			for ii, it := range g {
				ci, err := validateItem(it, fmt.Sprintf("conditions[%d][%d]", gi, ii), roleCondition)
				if err != nil {
					return nil, err
				}
				cg = append(cg, ci)
			}
			cr.conds = append(cr.conds, cg)
		}
	}
	av, ok := m["actions"]
	if !ok {
		return nil, schemaErr("actions: required (an array of 1 to 5 arrays of 1 to 5 actions)")
	}
	groups, err := ruleGroups(av, "actions", 1, maxRuleGroups, 1, maxRuleItems)
	if err != nil {
		return nil, err
	}
	for gi, g := range groups {
		for ii, it := range g {
			ca, err := validateAction(it, fmt.Sprintf("actions[%d][%d]", gi, ii))
			if err != nil {
				return nil, err
			}
			cr.actions = append(cr.actions, ca)
		}
	}

	cr.body = make(map[string]any, len(ruleBodyKeys))
	for _, k := range ruleBodyKeys {
		if v, ok := m[k]; ok {
			cr.body[k] = v
		}
	}
	if !hasConds {
		cr.body["conditions"] = []any{[]any{}}
		cr.conds = [][]compiledItem{nil}
	}
	if _, ok := cr.body["template"]; !ok {
		cr.body["template"] = "false"
	}
	cr.eval = cr.evalRule()
	return cr, nil
}

// groupsOf checks an array (minG..maxG) of arrays (minI..maxI).
func ruleGroups(v any, path string, minG, maxG, minI, maxI int) ([][]any, error) {
	shape := fmt.Sprintf("an array of %d to %d arrays of %d to %d items", minG, maxG, minI, maxI)
	outer, ok := v.([]any)
	if !ok {
		return nil, schemaErr(fmt.Sprintf("%s: must be %s, got %s", path, shape, jsonKind(v)))
	}
	if len(outer) < minG || len(outer) > maxG {
		return nil, schemaErr(fmt.Sprintf("%s: must be %s, got %d groups", path, shape, len(outer)))
	}
	groups := make([][]any, 0, len(outer))
	for gi, g := range outer {
		inner, ok := g.([]any)
		p := fmt.Sprintf("%s[%d]", path, gi)
		if !ok {
			return nil, schemaErr(fmt.Sprintf("%s: must be an array of %d to %d items, got %s", p, minI, maxI, jsonKind(g)))
		}
		if len(inner) < minI || len(inner) > maxI {
			return nil, schemaErr(fmt.Sprintf("%s: must hold %d to %d items, got %d", p, minI, maxI, len(inner)))
		}
		groups = append(groups, inner)
	}
	return groups, nil
}

// validateItem checks a trigger or a condition item.
func validateItem(v any, path, role string) (compiledItem, error) {
	var ci compiledItem
	m, ok := v.(map[string]any)
	if !ok {
		return ci, schemaErr(fmt.Sprintf("%s: must be an object, got %s", path, jsonKind(v)))
	}
	keys := []string{"agent", "type", "method"}
	if role == roleTrigger {
		keys = append(keys, "filter")
	}
	if err := checkRuleKeys(m, path, keys); err != nil {
		return ci, err
	}
	agent, err := validateAgent(m, path, role)
	if err != nil {
		return ci, err
	}
	ci.agent = agent.ID
	if ci.typ, err = ruleID(m, "type", path, "a sensor type, e.g. temperature"); err != nil {
		return ci, err
	}
	method, params, err := validateMethod(m, path, agent)
	if err != nil {
		return ci, err
	}
	ci.Method = method
	pp := path + ".method.params"
	switch method {
	case "over", "under":
		ci.Degree, _ = ruleNumber(params["degree"])
	case "range":
		ci.Min, _ = ruleNumber(params["min"])
		ci.Max, _ = ruleNumber(params["max"])
		if ci.Min > ci.Max {
			return ci, schemaErr(pp + ".max: must be greater than or equal to min")
		}
	case "changed":
		if f, ok := params["from"]; ok {
			ci.From, ci.HasFrom = ruleScalar(f), true
		}
		if t, ok := params["to"]; ok {
			ci.To, ci.HasTo = ruleScalar(t), true
		}
	}
	if t, ok := params["target"].(map[string]any); ok {
		ci.targetType, _ = t["type"].(string)
		ci.targetID, _ = t["id"].(string)
		ci.Sensors = append(ci.Sensors, ruleStrings(t["sensors"])...)
	}
	if role == roleTrigger {
		fv, ok := m["filter"]
		if !ok {
			return ci, schemaErr(path + `.filter: required, e.g. {"type":["series"],"gateway":"*","sensor":["<sensor id>"]}`)
		}
		if err := validateFilter(fv, path+".filter", &ci); err != nil {
			return ci, err
		}
	}
	ci.Sensors = uniqStrings(ci.Sensors)
	return ci, nil
}

func validateFilter(v any, path string, ci *compiledItem) error {
	m, ok := v.(map[string]any)
	if !ok {
		return schemaErr(fmt.Sprintf("%s: must be an object, got %s", path, jsonKind(v)))
	}
	if err := checkRuleKeys(m, path, []string{"type", "gateway", "sensor", "op"}); err != nil {
		return err
	}
	tv, ok := m["type"]
	if !ok {
		return schemaErr(path + ".type: required (an array of " + strings.Join(filterTypes, ", ") + ")")
	}
	types, ok := tv.([]any)
	if !ok || len(types) == 0 || len(types) > len(filterTypes) {
		return schemaErr(fmt.Sprintf("%s.type: must be an array of 1 to %d of %s", path, len(filterTypes), strings.Join(filterTypes, ", ")))
	}
	seen := map[string]bool{}
	for i, t := range types {
		s, ok := t.(string)
		if !ok || !ruleHas(filterTypes, s) {
			return schemaErr(fmt.Sprintf("%s.type[%d]: must be one of %s", path, i, strings.Join(filterTypes, ", ")))
		}
		if seen[s] {
			return schemaErr(fmt.Sprintf("%s.type[%d]: duplicate %q", path, i, s))
		}
		seen[s] = true
	}
	if g, ok := m["gateway"]; ok {
		if s, isStr := g.(string); isStr {
			if s != "*" {
				return schemaErr(path + `.gateway: must be "*" or an array of gateway ids`)
			}
		} else {
			ids, err := ruleIDList(g, path+".gateway")
			if err != nil {
				return schemaErr(path + `.gateway: must be "*" or an array of gateway ids`)
			}
			ci.gateways = ids
			if ci.gateways == nil {
				ci.gateways = []string{}
			}
		}
	}
	if sv, ok := m["sensor"]; ok {
		ids, err := ruleIDList(sv, path+".sensor")
		if err != nil {
			return err
		}
		ci.Sensors = append(ci.Sensors, ids...)
	}
	if op, ok := m["op"]; ok {
		if s, isStr := op.(string); !isStr || len(s) > maxRuleString {
			return schemaErr(path + ".op: must be a string")
		}
	}
	return nil
}

func validateAction(v any, path string) (compiledAction, error) {
	var ca compiledAction
	m, ok := v.(map[string]any)
	if !ok {
		return ca, schemaErr(fmt.Sprintf("%s: must be an object, got %s", path, jsonKind(v)))
	}
	if err := checkRuleKeys(m, path, []string{"agent", "type", "method"}); err != nil {
		return ca, err
	}
	agent, err := validateAgent(m, path, roleAction)
	if err != nil {
		return ca, err
	}
	ca.agent = agent.ID
	if ca.typ, err = ruleID(m, "type", path, "the action type"); err != nil {
		return ca, err
	}
	if agent.typeIsAgent && ca.typ != agent.ID {
		return ca, schemaErr(fmt.Sprintf("%s.type: must be %q for agent %s", path, agent.ID, agent.ID))
	}
	if ca.method, ca.params, err = validateMethod(m, path, agent); err != nil {
		return ca, err
	}
	ca.url, _ = ca.params["url"].(string)
	return ca, nil
}

func validateAgent(m map[string]any, path, role string) (*agentSpec, error) {
	ids := agentIDs(role)
	id, _, err := ruleString(m, "agent", path, true)
	if err != nil {
		return nil, err
	}
	a, ok := agentByID(id)
	if !ok || !a.hasRole(role) {
		return nil, schemaErr(fmt.Sprintf("%s.agent: %q is not a %s agent (one of %s)", path, id, role, strings.Join(ids, ", ")))
	}
	return a, nil
}

// validateMethod checks item.method {id, name?, params?} against the agent.
func validateMethod(m map[string]any, path string, agent *agentSpec) (string, map[string]any, error) {
	mp := path + ".method"
	mv, ok := m["method"]
	if !ok {
		return "", nil, schemaErr(mp + ": required")
	}
	mm, ok := mv.(map[string]any)
	if !ok {
		return "", nil, schemaErr(fmt.Sprintf("%s: must be an object, got %s", mp, jsonKind(mv)))
	}
	if err := checkRuleKeys(mm, mp, []string{"id", "name", "params"}); err != nil {
		return "", nil, err
	}
	id, _, err := ruleString(mm, "id", mp, true)
	if err != nil {
		return "", nil, err
	}
	spec, ok := agent.method(id)
	if !ok {
		if agent.anyMethod {
			return "", nil, schemaErr(mp + ".id: must not be empty")
		}
		return "", nil, schemaErr(fmt.Sprintf("%s.id: %q is not a method of %s (one of %s)", mp, id, agent.ID, strings.Join(agent.methodIDs(), ", ")))
	}
	if name, _, err := ruleString(mm, "name", mp, false); err != nil {
		return "", nil, err
	} else if len(name) > maxRuleString {
		return "", nil, schemaErr(mp + ".name: too long")
	}
	params := map[string]any{}
	pp := mp + ".params"
	if pv, ok := mm["params"]; ok {
		if params, ok = pv.(map[string]any); !ok {
			return "", nil, schemaErr(fmt.Sprintf("%s: must be an object, got %s", pp, jsonKind(pv)))
		}
	}
	allowed := make([]string, 0, len(spec.Params))
	for _, ps := range spec.Params {
		allowed = append(allowed, ps.ID)
	}
	if err := checkRuleKeys(params, pp, allowed); err != nil {
		return "", nil, err
	}
	for _, ps := range spec.Params {
		v, ok := params[ps.ID]
		if !ok {
			if ps.Required {
				return "", nil, schemaErr(fmt.Sprintf("%s.%s: required (%s)", pp, ps.ID, ps.Kind))
			}
			continue
		}
		if err := checkRuleParam(v, pp+"."+ps.ID, ps.Kind); err != nil {
			return "", nil, err
		}
	}
	return id, params, nil
}

func checkRuleParam(v any, path string, kind paramKind) error {
	switch kind {
	case paramNumber:
		if _, err := ruleNumber(v); err != nil {
			return schemaErr(path + ": must be a number, got " + jsonKind(v))
		}
	case paramValue:
		if !isStrOrNum(v) {
			return schemaErr(path + ": must be a string or a number, got " + jsonKind(v))
		}
		if s, ok := v.(string); ok && utf8.RuneCountInString(s) > maxRuleString {
			return schemaErr(path + ": too long")
		}
	case paramString:
		s, ok := v.(string)
		if !ok {
			return schemaErr(path + ": must be a string, got " + jsonKind(v))
		}
		if utf8.RuneCountInString(s) > maxRuleString {
			return schemaErr(path + ": too long")
		}
	case paramEmail:
		s, ok := v.(string)
		if !ok {
			return schemaErr(path + ": must be a string, got " + jsonKind(v))
		}
		if !validRuleEmails(s) {
			return schemaErr(path + ": must be one or more e-mail addresses separated by commas")
		}
	case paramURL:
		s, ok := v.(string)
		if !ok {
			return schemaErr(path + ": must be a string, got " + jsonKind(v))
		}
		if !validPushURL(s) {
			return schemaErr(path + ": must be an absolute http or https URL")
		}
	case paramTarget:
		return checkRuleTarget(v, path)
	case paramCommand:
		m, ok := v.(map[string]any)
		if !ok {
			return schemaErr(path + ": must be an object, got " + jsonKind(v))
		}
		if err := checkRuleKeys(m, path, []string{"cmd", "options"}); err != nil {
			return err
		}
		if _, err := ruleID(m, "cmd", path, "the command, e.g. on"); err != nil {
			return err
		}
		if ov, ok := m["options"]; ok {
			om, ok := ov.(map[string]any)
			if !ok {
				return schemaErr(path + ".options: must be an object, got " + jsonKind(ov))
			}
			for _, k := range sortedMapKeys(om) {
				switch x := om[k].(type) {
				case string:
					if len(x) > maxRuleString {
						return schemaErr(path + ".options." + k + ": too long")
					}
				case json.Number, bool:
				default:
					return schemaErr(path + ".options." + k + ": must be a string, number or boolean, got " + jsonKind(x))
				}
			}
		}
	}
	return nil
}

func checkRuleTarget(v any, path string) error {
	m, ok := v.(map[string]any)
	if !ok {
		return schemaErr(path + ": must be an object, got " + jsonKind(v))
	}
	if err := checkRuleKeys(m, path, []string{"type", "id", "sensors"}); err != nil {
		return err
	}
	if err := ruleEnum(m, "type", path, true, targetTypes); err != nil {
		return err
	}
	if _, err := ruleID(m, "id", path, "a gateway or tag id"); err != nil {
		return err
	}
	if sv, ok := m["sensors"]; ok {
		if _, err := ruleIDList(sv, path+".sensors"); err != nil {
			return err
		}
	}
	return nil
}

// --- small typed accessors -------------------------------------------------

func rulePath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// checkKeys refuses keys outside allowed, naming the first (sorted) one.
func checkRuleKeys(m map[string]any, path string, allowed []string) error {
	for _, k := range sortedMapKeys(m) {
		if !ruleHas(allowed, k) {
			return schemaErr(fmt.Sprintf("%s: unknown key (allowed: %s)", rulePath(path, k), strings.Join(allowed, ", ")))
		}
	}
	return nil
}

func ruleString(m map[string]any, key, path string, required bool) (string, bool, error) {
	v, ok := m[key]
	if !ok {
		if required {
			return "", false, schemaErr(rulePath(path, key) + ": required")
		}
		return "", false, nil
	}
	s, ok := v.(string)
	if !ok {
		return "", false, schemaErr(rulePath(path, key) + ": must be a string, got " + jsonKind(v))
	}
	return s, true, nil
}

// getID reads a required, non-empty, bounded string.
func ruleID(m map[string]any, key, path, what string) (string, error) {
	s, _, err := ruleString(m, key, path, true)
	if err != nil {
		return "", err
	}
	if strings.TrimSpace(s) == "" || len(s) > 200 {
		return "", schemaErr(rulePath(path, key) + ": must be a non-empty string (" + what + ")")
	}
	return s, nil
}

func ruleEnum(m map[string]any, key, path string, required bool, values []string) error {
	s, ok, err := ruleString(m, key, path, required)
	if err != nil {
		if _, present := m[key]; present {
			return schemaErr(rulePath(path, key) + ": must be one of the strings " + quoteList(values) + ", got " + jsonKind(m[key]))
		}
		return schemaErr(rulePath(path, key) + ": required (one of " + quoteList(values) + ")")
	}
	if ok && !ruleHas(values, s) {
		return schemaErr(fmt.Sprintf("%s: must be one of %s, got %q", rulePath(path, key), quoteList(values), ruleClip(s, 40)))
	}
	return nil
}

func ruleIDList(v any, path string) ([]string, error) {
	arr, ok := v.([]any)
	if !ok {
		return nil, schemaErr(path + ": must be an array of ids, got " + jsonKind(v))
	}
	if len(arr) > maxRuleIDs {
		return nil, schemaErr(fmt.Sprintf("%s: at most %d ids", path, maxRuleIDs))
	}
	var ids []string
	for i, e := range arr {
		s, ok := e.(string)
		if !ok || strings.TrimSpace(s) == "" || len(s) > 200 {
			return nil, schemaErr(fmt.Sprintf("%s[%d]: must be a non-empty string id", path, i))
		}
		ids = append(ids, s)
	}
	return ids, nil
}

func ruleStrings(v any) []string {
	arr, _ := v.([]any)
	var out []string
	for _, e := range arr {
		if s, ok := e.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// numberOf reads a JSON number or a numeric string as a finite float.
func ruleNumber(v any) (float64, error) {
	var s string
	switch x := v.(type) {
	case json.Number:
		s = x.String()
	case string:
		s = strings.TrimSpace(x)
	default:
		return 0, fmt.Errorf("not a number")
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("not a number")
	}
	return f, nil
}

func isStrOrNum(v any) bool {
	switch v.(type) {
	case string, json.Number:
		return true
	}
	return false
}

func ruleScalar(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	}
	return ""
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case json.Number, float64:
		return "number"
	case bool:
		return "boolean"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

// validRuleTimezone accepts decimal-hour offsets: "+9.00", "-5", "0", "+09.50".
func validRuleTimezone(tz string) bool {
	s := tz
	if s == "" || len(s) > 7 {
		return false
	}
	if s[0] == '+' || s[0] == '-' {
		s = s[1:]
	}
	hours, frac, hasFrac := strings.Cut(s, ".")
	if len(hours) < 1 || len(hours) > 2 || !ruleDigits(hours) {
		return false
	}
	if hasFrac && (len(frac) < 1 || len(frac) > 2 || !ruleDigits(frac)) {
		return false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return false
	}
	if strings.HasPrefix(tz, "-") {
		return f <= 12
	}
	return f <= 14
}

func ruleDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func validRuleEmails(s string) bool {
	if len(s) > maxRuleString {
		return false
	}
	for _, part := range strings.Split(s, ",") {
		a := strings.TrimSpace(part)
		local, domain, ok := strings.Cut(a, "@")
		if !ok || local == "" || domain == "" || strings.ContainsAny(a, " \t\r\n<>") || strings.Contains(domain, "@") {
			return false
		}
	}
	return true
}

func validPushURL(s string) bool {
	if len(s) > 2048 {
		return false
	}
	u, err := url.Parse(s)
	if err != nil {
		return false
	}
	return (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && u.User == nil
}

func ruleHas(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

func uniqStrings(list []string) []string {
	if len(list) == 0 {
		return nil
	}
	seen := make(map[string]bool, len(list))
	out := list[:0:0]
	for _, s := range list {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

func sortedMapKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func quoteList(values []string) string {
	q := make([]string, len(values))
	for i, v := range values {
		q[i] = strconv.Quote(v)
	}
	return strings.Join(q, ", ")
}

func ruleClip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
