package thingplus

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Severity is a rule's severity (§5.14).
type Severity string

const (
	SeverityInformation Severity = "information"
	SeverityWarning     Severity = "warning"
	SeverityFatal       Severity = "fatal"
)

// Severities lists the valid severities, mildest first.
var Severities = []Severity{SeverityInformation, SeverityWarning, SeverityFatal}

// Valid reports whether s is one of the three values Thing+ accepts.
func (s Severity) Valid() bool {
	return s == SeverityInformation || s == SeverityWarning || s == SeverityFatal
}

// RuleStatus is activated or deactivated.
type RuleStatus string

const (
	RuleActivated   RuleStatus = "activated"
	RuleDeactivated RuleStatus = "deactivated"
)

// Valid reports whether s is activated or deactivated.
func (s RuleStatus) Valid() bool { return s == RuleActivated || s == RuleDeactivated }

// Agents and trigger methods seen in rules (§5.14).
const (
	AgentSensorValue = "sensorValue"
	AgentEmail       = "email"
	AgentDataPush    = "dataPush"
	AgentActuator    = "actuator"

	MethodChanged = "changed"
	MethodOver    = "over"
	MethodUnder   = "under"
	MethodRange   = "range"
)

// Limits of a rule's nested arrays (§5.14).
const (
	MaxGroups       = 5
	MaxItemsInGroup = 5
	MaxRuleName     = 100
)

// TemplateFlag is a rule's "template" field: the strings "true" or "false"
// (a JSON boolean is a schema error at Thing+). Empty means absent. JSON
// booleans are accepted on read and normalised to the string form.
type TemplateFlag string

const (
	TemplateTrue  TemplateFlag = "true"
	TemplateFalse TemplateFlag = "false"
)

func (f *TemplateFlag) UnmarshalJSON(b []byte) error {
	switch string(bytes.TrimSpace(b)) {
	case `"true"`, `true`:
		*f = TemplateTrue
	case `"false"`, `false`:
		*f = TemplateFalse
	case `null`, `""`:
		*f = ""
	default:
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return fmt.Errorf("template: want \"true\" or \"false\", got %s", b)
		}
		*f = TemplateFlag(s) // kept as sent; Validate reports it
	}
	return nil
}

// Rule is a Thing+ rule (§5.14). Unknown top-level keys Thing+ sends are kept
// in Extra and sent back on update, so nothing is lost on edit.
type Rule struct {
	ID         string       `json:"id,omitempty"`
	Name       string       `json:"name"`
	Desc       string       `json:"desc"` // always sent: an update merges, so "" is how a description is cleared
	Severity   Severity     `json:"severity"`
	Timezone   string       `json:"timezone"`
	Status     RuleStatus   `json:"status"`
	Template   TemplateFlag `json:"template,omitempty"`
	Trigger    Trigger      `json:"trigger"`
	Conditions [][]RuleItem `json:"conditions"`
	Actions    [][]RuleItem `json:"actions"`
	User       string       `json:"_user,omitempty"`
	Site       string       `json:"_site,omitempty"`
	Service    string       `json:"_service,omitempty"`
	Ctime      Millis       `json:"ctime,omitempty"`
	Mtime      Millis       `json:"mtime,omitempty"`

	Extra map[string]json.RawMessage `json:"-"`
}

// ruleKeys are the keys Rule knows; anything else goes to Extra.
var ruleKeys = map[string]bool{
	"id": true, "name": true, "desc": true, "severity": true, "timezone": true, "status": true,
	"template": true, "trigger": true, "conditions": true, "actions": true,
	"_user": true, "_site": true, "_service": true, "ctime": true, "mtime": true,
}

// ReadOnlyRuleKeys are set by Thing+; a client never needs to send them.
var ReadOnlyRuleKeys = []string{"id", "_user", "_site", "_service", "ctime", "mtime"}

type ruleAlias Rule

func (r *Rule) UnmarshalJSON(b []byte) error {
	var a ruleAlias
	if err := json.Unmarshal(b, &a); err != nil {
		return err
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(b, &all); err != nil {
		return err
	}
	a.Extra = nil
	for k, v := range all {
		if !ruleKeys[k] {
			if a.Extra == nil {
				a.Extra = map[string]json.RawMessage{}
			}
			a.Extra[k] = v
		}
	}
	*r = Rule(a)
	return nil
}

func (r Rule) MarshalJSON() ([]byte, error) {
	a := ruleAlias(r)
	if a.Conditions == nil {
		a.Conditions = [][]RuleItem{{}} // Thing+ stores "no conditions" as [[]]
	}
	b, err := json.Marshal(a)
	if err != nil || len(r.Extra) == 0 {
		return b, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	for k, v := range r.Extra {
		if !ruleKeys[k] {
			m[k] = v
		}
	}
	return json.Marshal(m)
}

// IsTemplate reports whether the rule is a template.
func (r Rule) IsTemplate() bool { return r.Template == TemplateTrue }

// Body is what Create and Update send: the rule without the read-only keys
// Thing+ assigns (id, _user, _site, _service, ctime, mtime).
func (r Rule) Body() json.RawMessage {
	w := r
	w.ID, w.User, w.Site, w.Service, w.Ctime, w.Mtime = "", "", "", "", 0, 0
	b, err := json.Marshal(w)
	if err != nil {
		// Only RawMessage parts can fail to marshal, and Validate checks them.
		return json.RawMessage(`{}`)
	}
	return b
}

// Trigger is what starts a rule: {agent, type, method, filter}.
type Trigger struct {
	Agent  string        `json:"agent"`
	Type   string        `json:"type"`
	Method Method        `json:"method"`
	Filter TriggerFilter `json:"filter"`
}

// Method is {id, name, params}; params are kept verbatim (their shape
// depends on the method and agent).
type Method struct {
	ID     string          `json:"id"`
	Name   string          `json:"name,omitempty"`
	Params json.RawMessage `json:"params,omitempty"`
}

// ParamsMap decodes the params object; nil when absent or not an object.
func (m Method) ParamsMap() map[string]json.RawMessage {
	var p map[string]json.RawMessage
	if len(m.Params) == 0 || json.Unmarshal(m.Params, &p) != nil {
		return nil
	}
	return p
}

// Param returns one parameter as text: strings unquoted, numbers and other
// JSON as written. "" when absent.
func (m Method) Param(key string) string {
	v, ok := m.ParamsMap()[key]
	if !ok {
		return ""
	}
	return rawText(v)
}

// WithParams returns m with the given params set, keeping every other
// parameter already there (a value of nil deletes the key).
func (m Method) WithParams(set map[string]any) Method {
	p := m.ParamsMap()
	if p == nil {
		p = map[string]json.RawMessage{}
	}
	for k, v := range set {
		if v == nil {
			delete(p, k)
			continue
		}
		b, err := json.Marshal(v)
		if err != nil {
			continue
		}
		p[k] = b
	}
	b, _ := json.Marshal(p)
	m.Params = b
	return m
}

func rawText(v json.RawMessage) string {
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s
	}
	return string(bytes.TrimSpace(v))
}

// TriggerFilter selects the events a trigger sees.
type TriggerFilter struct {
	Type    []string        `json:"type,omitempty"`   // series, status, schedule, statSchedule
	Gateway IDSet           `json:"gateway,omitzero"` // "*" or a list of gateway ids
	Sensor  []string        `json:"sensor,omitempty"` // sensor ids
	Op      json.RawMessage `json:"op,omitempty"`     // optional, kept verbatim
}

// IDSet is "*" (all) or a list of ids, as filter.gateway is sent.
type IDSet struct {
	All bool
	IDs []string
	one bool // sent as a single string id: marshal back the same way
}

// AllIDs is "*".
func AllIDs() IDSet { return IDSet{All: true} }

// IDs is a list of ids.
func IDs(ids ...string) IDSet { return IDSet{IDs: ids} }

func (s IDSet) IsZero() bool { return !s.All && s.IDs == nil }

func (s *IDSet) UnmarshalJSON(b []byte) error {
	*s = IDSet{}
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		if v == "*" {
			s.All = true
		} else {
			s.IDs, s.one = []string{v}, true
		}
		return nil
	}
	return json.Unmarshal(b, &s.IDs)
}

func (s IDSet) MarshalJSON() ([]byte, error) {
	switch {
	case s.All:
		return []byte(`"*"`), nil
	case s.one && len(s.IDs) == 1:
		return json.Marshal(s.IDs[0])
	case s.IDs == nil:
		return []byte(`[]`), nil
	}
	return json.Marshal(s.IDs)
}

// RuleItem is one condition or action: {agent, type, method}.
type RuleItem struct {
	Agent  string `json:"agent"`
	Type   string `json:"type"`
	Method Method `json:"method"`
}

// PushAction is a dataPush action to url.
func PushAction(url string) RuleItem {
	m := Method{ID: "push", Name: "push"}.WithParams(map[string]any{"url": url})
	return RuleItem{Agent: AgentDataPush, Type: AgentDataPush, Method: m}
}

// EmailAction is an e-mail action.
func EmailAction(to, subject, body string) RuleItem {
	m := Method{ID: "send", Name: "send"}.WithParams(map[string]any{"to": to, "subject": subject, "body": body})
	return RuleItem{Agent: AgentEmail, Type: AgentEmail, Method: m}
}

// TriggerSensors lists the sensor ids a rule's trigger watches.
func (r Rule) TriggerSensors() []string { return r.Trigger.Filter.Sensor }

// FormatTimezone renders a UTC offset the way rules carry it: decimal hours
// with two decimals and a sign, "+9.00", "+5.50" (5:30), "-3.50", "+0.00".
func FormatTimezone(offsetSeconds int) string {
	sign := "+"
	if offsetSeconds < 0 {
		sign, offsetSeconds = "-", -offsetSeconds
	}
	h := offsetSeconds / 3600
	frac := int(math.Round(float64(offsetSeconds%3600) / 36)) // hundredths of an hour
	if frac == 100 {
		h, frac = h+1, 0
	}
	return fmt.Sprintf("%s%d.%02d", sign, h, frac)
}

// TimezoneOf is loc's offset at t in the rule format ("+9.00" for Asia/Seoul).
func TimezoneOf(loc *time.Location, t time.Time) string {
	_, off := t.In(loc).Zone()
	return FormatTimezone(off)
}

// ParseTimezone reads "+9.00", "+09.50", "-3.5", "0" into seconds east of UTC.
func ParseTimezone(s string) (int, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return 0, fmt.Errorf("empty time zone")
	}
	sign := 1.0
	switch t[0] {
	case '+':
		t = t[1:]
	case '-':
		sign, t = -1, t[1:]
	}
	if t == "" || strings.ContainsAny(t, "+-eE ") {
		return 0, fmt.Errorf("time zone %q: want decimal hours like +9.00", s)
	}
	h, err := strconv.ParseFloat(t, 64)
	if err != nil || h > 14 || math.IsNaN(h) {
		return 0, fmt.Errorf("time zone %q: want decimal hours like +9.00 (-12 to +14)", s)
	}
	if sign < 0 && h > 12 {
		return 0, fmt.Errorf("time zone %q: want decimal hours like +9.00 (-12 to +14)", s)
	}
	return int(math.Round(sign * h * 3600)), nil
}

// ListRules returns the user's rules and templates (GET /rules mixes both).
func (c *Client) ListRules(ctx context.Context, token string) ([]Rule, error) {
	var rules []Rule
	err := c.Call(ctx, Request{Method: http.MethodGet, Path: "/rules", Token: token}, &rules, nil)
	return rules, err
}

// GetRule returns one rule.
func (c *Client) GetRule(ctx context.Context, token, id string) (Rule, error) {
	var r Rule
	if err := checkID("GET /rules/{id}", id); err != nil {
		return r, err
	}
	err := c.Call(ctx, Request{Method: http.MethodGet, Path: "/rules/" + url.PathEscape(id), Token: token}, &r, nil)
	return r, err
}

// CreateRule validates r, creates it (201) and returns the stored rule with
// its id. A local validation failure is a *RuleError and no call is made.
func (c *Client) CreateRule(ctx context.Context, token string, r Rule) (Rule, error) {
	var out Rule
	if err := r.Validate(); err != nil {
		return out, err
	}
	err := c.Call(ctx, Request{Method: http.MethodPost, Path: "/rules", Token: token, Body: r.Body()}, &out, nil)
	return out, err
}

// UpdateRule validates r and replaces the rule r.ID with it (PUT, the full
// rule). It returns the stored rule.
func (c *Client) UpdateRule(ctx context.Context, token string, r Rule) (Rule, error) {
	var out Rule
	if err := checkID("PUT /rules/{id}", r.ID); err != nil {
		return out, err
	}
	if err := r.Validate(); err != nil {
		return out, err
	}
	err := c.Call(ctx, Request{Method: http.MethodPut, Path: "/rules/" + url.PathEscape(r.ID), Token: token, Body: r.Body()}, &out, nil)
	if err == nil && out.ID == "" {
		out.ID = r.ID
	}
	return out, err
}

// DeleteRule deletes a rule (204).
func (c *Client) DeleteRule(ctx context.Context, token, id string) error {
	if err := checkID("DELETE /rules/{id}", id); err != nil {
		return err
	}
	return c.Call(ctx, Request{Method: http.MethodDelete, Path: "/rules/" + url.PathEscape(id), Token: token}, nil, nil)
}

// checkID refuses an empty id or one that would change the path.
func checkID(op, id string) error {
	if id == "" || strings.ContainsAny(id, "/?#") || id == "." || id == ".." {
		return &Error{Kind: KindInvalid, Op: op, Code: "INVALID_INPUT", Message: "bad id"}
	}
	return nil
}
