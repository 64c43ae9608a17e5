package sandbox

import (
	"net/http"
	"sort"
)

// The rule agent catalog is the single source of truth for what a rule may
// say: GET /v2/ruleAgents serves it and the rule validator checks bodies
// against it. No source shows the real ruleAgents JSON (§5.13, §9.13), so the
// shape is the sheet's minimal guess, extended with roles and parameter specs:
//
//	{"id":"sensorValue","name":"Sensor value","roles":["trigger","condition"],
//	 "types":["*"],
//	 "methods":[{"id":"over","name":"Over",
//	   "params":[{"id":"degree","type":"number","required":true,"desc":"…"},
//	             {"id":"target","type":"target","required":false,"desc":"…"}]}]}
//
// Parameter types: number (a JSON number or a numeric string), value (a
// string or a number, compared with sensor values), string, email, url
// (absolute http or https), target ({type: gateway|tag, id, sensors[]}) and
// command ({cmd, options{}}). A method id "*" means any id (actuator: the id
// is the actuator type, e.g. "led").

type paramKind string

const (
	paramNumber  paramKind = "number"
	paramValue   paramKind = "value"
	paramString  paramKind = "string"
	paramEmail   paramKind = "email"
	paramURL     paramKind = "url"
	paramTarget  paramKind = "target"
	paramCommand paramKind = "command"
)

type paramSpec struct {
	ID       string    `json:"id"`
	Kind     paramKind `json:"type"`
	Required bool      `json:"required"`
	Desc     string    `json:"desc"`
}

type methodSpec struct {
	ID     string      `json:"id"`
	Name   string      `json:"name"`
	Params []paramSpec `json:"params"`
}

type agentSpec struct {
	ID      string       `json:"id"`
	Name    string       `json:"name"`
	Roles   []string     `json:"roles"`
	Types   []string     `json:"types"`
	Methods []methodSpec `json:"methods"`
	// typeIsAgent: an action item's "type" must equal the agent id.
	typeIsAgent bool
	// anyMethod: any non-empty method id is accepted with Methods[0]'s params.
	anyMethod bool
}

const (
	roleTrigger   = "trigger"
	roleCondition = "condition"
	roleAction    = "action"
)

var targetParam = paramSpec{ID: "target", Kind: paramTarget,
	Desc: `which sensors: {"type":"gateway|tag","id":"<gateway or tag id>","sensors":["<sensor id>",…]}`}

var ruleAgentCatalog = []agentSpec{
	{
		ID: "sensorValue", Name: "Sensor value", Roles: []string{roleTrigger, roleCondition}, Types: []string{"*"},
		Methods: []methodSpec{
			{ID: "changed", Name: "Changed", Params: []paramSpec{
				{ID: "from", Kind: paramValue, Desc: "previous value; omitted = any"},
				{ID: "to", Kind: paramValue, Desc: "new value; omitted = any different value"},
				targetParam}},
			{ID: "over", Name: "Over", Params: []paramSpec{
				{ID: "degree", Kind: paramNumber, Required: true, Desc: "holds when value > degree"}, targetParam}},
			{ID: "under", Name: "Under", Params: []paramSpec{
				{ID: "degree", Kind: paramNumber, Required: true, Desc: "holds when value < degree"}, targetParam}},
			{ID: "range", Name: "In range", Params: []paramSpec{
				{ID: "min", Kind: paramNumber, Required: true, Desc: "holds when min <= value"},
				{ID: "max", Kind: paramNumber, Required: true, Desc: "holds when value <= max (max >= min)"},
				targetParam}},
		},
	},
	{
		ID: "email", Name: "E-mail", Roles: []string{roleAction}, Types: []string{"email"}, typeIsAgent: true,
		Methods: []methodSpec{{ID: "send", Name: "send", Params: []paramSpec{
			{ID: "to", Kind: paramEmail, Required: true, Desc: "address(es), comma-separated"},
			{ID: "subject", Kind: paramString},
			{ID: "body", Kind: paramString, Desc: "placeholders {{value}} {{triggerSensor}} {{triggerGateway}} {{triggerCondition}}"},
		}}},
	},
	{
		ID: "sms", Name: "SMS", Roles: []string{roleAction}, Types: []string{"sms"}, typeIsAgent: true,
		Methods: []methodSpec{{ID: "send", Name: "send", Params: []paramSpec{
			{ID: "to", Kind: paramString, Required: true, Desc: "phone number"},
			{ID: "message", Kind: paramString, Desc: "same placeholders as e-mail"},
		}}},
	},
	{
		ID: "actuator", Name: "Actuator", Roles: []string{roleAction}, anyMethod: true,
		Types: []string{"led", "rgbLed", "7colorRGBLed", "lcd", "buzzer", "powerSwitch", "powerController",
			"camera", "temperatureController", "waterController", "electricFan", "airConditioner", "television",
			"airPurifier", "stringActuator", "lockUnlock", "timer"},
		Methods: []methodSpec{{ID: "*", Name: "control (method id = the actuator type, e.g. led)", Params: []paramSpec{
			{ID: "command", Kind: paramCommand, Required: true, Desc: `{"cmd":"blink","options":{"duration":7000,"interval":1500}}`},
			{ID: "notificationOption", Kind: paramString, Desc: "e.g. Failure"},
			{ID: "target", Kind: paramTarget, Required: true, Desc: targetParam.Desc},
		}}},
	},
	{
		ID: "dataPush", Name: "Data push", Roles: []string{roleAction}, Types: []string{"dataPush"}, typeIsAgent: true,
		Methods: []methodSpec{{ID: "push", Name: "push", Params: []paramSpec{
			{ID: "url", Kind: paramURL, Required: true, Desc: "receives an HTTP POST with a JSON body describing the event"},
		}}},
	},
}

func agentByID(id string) (*agentSpec, bool) {
	for i := range ruleAgentCatalog {
		if ruleAgentCatalog[i].ID == id {
			return &ruleAgentCatalog[i], true
		}
	}
	return nil, false
}

func (a *agentSpec) hasRole(role string) bool {
	for _, r := range a.Roles {
		if r == role {
			return true
		}
	}
	return false
}

func (a *agentSpec) method(id string) (*methodSpec, bool) {
	if a.anyMethod {
		if id == "" {
			return nil, false
		}
		return &a.Methods[0], true
	}
	for i := range a.Methods {
		if a.Methods[i].ID == id {
			return &a.Methods[i], true
		}
	}
	return nil, false
}

func (a *agentSpec) methodIDs() []string {
	ids := make([]string, 0, len(a.Methods))
	for _, m := range a.Methods {
		ids = append(ids, m.ID)
	}
	return ids
}

// agentIDs lists the agents that can play a role, sorted.
func agentIDs(role string) []string {
	var ids []string
	for i := range ruleAgentCatalog {
		if ruleAgentCatalog[i].hasRole(role) {
			ids = append(ids, ruleAgentCatalog[i].ID)
		}
	}
	sort.Strings(ids)
	return ids
}

// handleRuleAgents serves GET /v2/ruleAgents (no login).
func (ra *ruleArea) handleRuleAgents(w http.ResponseWriter, r *http.Request) {
	writeData(w, http.StatusOK, ruleAgentCatalog, nil)
}

// handleRuleAgent serves GET /v2/ruleAgents/{id} (no login).
func (ra *ruleArea) handleRuleAgent(w http.ResponseWriter, r *http.Request) {
	a, ok := agentByID(r.PathValue("id"))
	if !ok {
		writeError(w, http.StatusNotFound, "NOT_FOUND", "no rule agent "+r.PathValue("id"))
		return
	}
	writeData(w, http.StatusOK, a, nil)
}
