package thingplus

import (
	"encoding/json"
	"fmt"
	"math"
	"net/mail"
	"net/url"
	"strings"
	"unicode/utf8"
)

// FieldError is one problem with one field of a rule. Field is a path like
// "name", "trigger.method.params.degree" or "actions[0][1].method.params.url".
type FieldError struct {
	Field   string
	Message string
}

// RuleError lists what is wrong with a rule before it is sent. Validate
// returns it wrapped in an *Error of KindInvalid with Code SCHEMA_VALIDATE,
// so callers handle local and Thing+ rejections alike; errors.As finds it.
type RuleError struct {
	Fields []FieldError
}

func (e *RuleError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Field + ": " + f.Message
	}
	return strings.Join(parts, "; ")
}

func (e *RuleError) add(field, format string, args ...any) {
	e.Fields = append(e.Fields, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

// CodeSchemaValidate is Thing+'s code for a body that breaks the schema.
const CodeSchemaValidate = "SCHEMA_VALIDATE"

// Validate checks r against the rule schema of §5.14: required fields,
// enums, the timezone format, the template strings, the trigger shape, and
// the 5×5 limits of conditions and actions. It does not call Thing+.
func (r Rule) Validate() error {
	e := &RuleError{}
	switch n := utf8.RuneCountInString(strings.TrimSpace(r.Name)); {
	case n == 0:
		e.add("name", "is required")
	case utf8.RuneCountInString(r.Name) > MaxRuleName:
		e.add("name", "is longer than %d characters", MaxRuleName)
	}
	if !utf8.ValidString(r.Name) || !utf8.ValidString(r.Desc) {
		e.add("name", "is not valid UTF-8")
	}
	if !r.Severity.Valid() {
		e.add("severity", "must be information, warning or fatal")
	}
	if _, err := ParseTimezone(r.Timezone); err != nil || !tzShape(r.Timezone) {
		e.add("timezone", "must be an offset in decimal hours like +9.00")
	}
	if !r.Status.Valid() {
		e.add("status", "must be activated or deactivated")
	}
	if r.Template != "" && r.Template != TemplateTrue && r.Template != TemplateFalse {
		e.add("template", `must be the string "true" or "false"`)
	}
	validateTrigger(e, r.Trigger)
	if len(r.Conditions) > MaxGroups {
		e.add("conditions", "has more than %d groups", MaxGroups)
	}
	for i, g := range r.Conditions {
		if len(g) > MaxItemsInGroup {
			e.add(fmt.Sprintf("conditions[%d]", i), "has more than %d conditions", MaxItemsInGroup)
		}
		for j, it := range g {
			validateItem(e, fmt.Sprintf("conditions[%d][%d]", i, j), it)
		}
	}
	switch {
	case len(r.Actions) == 0:
		e.add("actions", "needs at least one action")
	case len(r.Actions) > MaxGroups:
		e.add("actions", "has more than %d groups", MaxGroups)
	}
	for i, g := range r.Actions {
		switch {
		case len(g) == 0:
			e.add(fmt.Sprintf("actions[%d]", i), "is an empty group")
		case len(g) > MaxItemsInGroup:
			e.add(fmt.Sprintf("actions[%d]", i), "has more than %d actions", MaxItemsInGroup)
		}
		for j, it := range g {
			p := fmt.Sprintf("actions[%d][%d]", i, j)
			validateItem(e, p, it)
			validateAction(e, p, it)
		}
	}
	for k, v := range r.Extra {
		if !json.Valid(v) {
			e.add(k, "is not valid JSON")
		}
	}
	if len(e.Fields) == 0 {
		return nil
	}
	return &Error{Kind: KindInvalid, Code: CodeSchemaValidate, Op: "validate rule", Message: e.Error(), Err: e}
}

// tzShape accepts a sign, 1–2 digit hours and an optional decimal part.
func tzShape(s string) bool {
	if s == "" {
		return false
	}
	if s[0] == '+' || s[0] == '-' {
		s = s[1:]
	}
	h, frac, _ := strings.Cut(s, ".")
	if len(h) < 1 || len(h) > 2 || len(frac) > 2 {
		return false
	}
	for _, c := range h + frac {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func validateTrigger(e *RuleError, t Trigger) {
	if t.Agent == "" {
		e.add("trigger.agent", "is required")
	}
	if t.Type == "" {
		e.add("trigger.type", "is required")
	}
	if t.Method.ID == "" {
		e.add("trigger.method.id", "is required")
	}
	validateParams(e, "trigger.method.params", t.Method)
	for i, ft := range t.Filter.Type {
		switch ft {
		case "series", "status", "schedule", "statSchedule":
		default:
			e.add(fmt.Sprintf("trigger.filter.type[%d]", i), "must be series, status, schedule or statSchedule")
		}
	}
	if t.Agent == AgentSensorValue && len(t.Filter.Sensor) == 0 {
		e.add("trigger.filter.sensor", "choose a sensor")
	}
	for i, s := range t.Filter.Sensor {
		if strings.TrimSpace(s) == "" {
			e.add(fmt.Sprintf("trigger.filter.sensor[%d]", i), "is empty")
		}
	}
	if len(t.Filter.Op) > 0 && !json.Valid(t.Filter.Op) {
		e.add("trigger.filter.op", "is not valid JSON")
	}
	if t.Agent == AgentSensorValue {
		validateSensorMethod(e, "trigger.method", t.Method)
	}
}

func validateItem(e *RuleError, path string, it RuleItem) {
	if it.Agent == "" {
		e.add(path+".agent", "is required")
	}
	if it.Type == "" {
		e.add(path+".type", "is required")
	}
	if it.Method.ID == "" {
		e.add(path+".method.id", "is required")
	}
	validateParams(e, path+".method.params", it.Method)
	if it.Agent == AgentSensorValue {
		validateSensorMethod(e, path+".method", it.Method)
	}
}

func validateParams(e *RuleError, path string, m Method) {
	if len(m.Params) == 0 {
		return
	}
	if m.ParamsMap() == nil {
		e.add(path, "must be a JSON object")
	}
}

// validateSensorMethod checks the parameters of the sensorValue methods the
// app knows; other methods are passed through for Thing+ to judge.
func validateSensorMethod(e *RuleError, path string, m Method) {
	switch m.ID {
	case MethodOver, MethodUnder:
		if !isNumber(m.Param("degree")) {
			e.add(path+".params.degree", "must be a number")
		}
	case MethodRange:
		lo, hi := m.Param("min"), m.Param("max")
		if !isNumber(lo) {
			e.add(path+".params.min", "must be a number")
		}
		if !isNumber(hi) {
			e.add(path+".params.max", "must be a number")
		}
		if isNumber(lo) && isNumber(hi) && num(lo) > num(hi) {
			e.add(path+".params.max", "must not be below the minimum")
		}
	}
}

func validateAction(e *RuleError, path string, it RuleItem) {
	switch it.Agent {
	case AgentDataPush:
		if !IsPushURL(it.Method.Param("url")) {
			e.add(path+".method.params.url", "must be an http or https URL")
		}
	case AgentEmail:
		to := it.Method.Param("to")
		switch {
		case to == "":
			e.add(path+".method.params.to", "is required")
		case strings.ContainsAny(to, "\r\n"):
			// a line break in a mail header adds headers (Bcc: …) at the sender
			e.add(path+".method.params.to", "must be on one line")
		default:
			for _, a := range strings.Split(to, ",") {
				if addr, err := mail.ParseAddress(strings.TrimSpace(a)); err != nil || addr.Name != "" {
					e.add(path+".method.params.to", "is not an e-mail address")
					break
				}
			}
		}
		if strings.ContainsAny(it.Method.Param("subject"), "\r\n") {
			e.add(path+".method.params.subject", "must be on one line")
		}
	}
}

// IsPushURL reports whether s is an absolute http(s) URL with a host.
func IsPushURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && u.User == nil
}

// isNumber accepts a JSON number (or numeric string) that a float64 holds:
// 1e309 is valid JSON but no threshold.
func isNumber(s string) bool {
	var n json.Number
	if s == "" || json.Unmarshal([]byte(s), &n) != nil {
		return false
	}
	f, err := n.Float64()
	return err == nil && !math.IsInf(f, 0) && !math.IsNaN(f)
}

func num(s string) float64 {
	var f float64
	_ = json.Unmarshal([]byte(s), &f)
	return f
}
