package thingplus

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
)

// RuleAgent is what GET /ruleAgents describes: an agent usable in triggers,
// conditions or actions, its types and its methods. No source shows the real
// JSON (§5.13, §9.13), so decoding is lenient: types may be strings or
// objects with an id, and anything unknown is ignored.
type RuleAgent struct {
	ID      string        `json:"id"`
	Name    string        `json:"name,omitempty"`
	Roles   LenientIDs    `json:"roles,omitempty"` // trigger, condition, action (sandbox extension)
	Types   LenientIDs    `json:"types,omitempty"`
	Methods []AgentMethod `json:"methods,omitempty"`
}

// AgentMethod is one method an agent offers.
type AgentMethod struct {
	ID     string          `json:"id"`
	Name   string          `json:"name,omitempty"`
	Params json.RawMessage `json:"params,omitempty"`
}

// HasRole reports whether the agent can play role (trigger, condition,
// action). An agent that lists no roles is assumed to play any.
func (a RuleAgent) HasRole(role string) bool {
	if len(a.Roles) == 0 {
		return true
	}
	for _, r := range a.Roles {
		if r == role {
			return true
		}
	}
	return false
}

// HasMethod reports whether the agent offers method id.
func (a RuleAgent) HasMethod(id string) bool {
	for _, m := range a.Methods {
		if m.ID == id {
			return true
		}
	}
	return false
}

// LenientIDs decodes ["a","b"], [{"id":"a"},…], "a" or null into ids.
type LenientIDs []string

func (l *LenientIDs) UnmarshalJSON(b []byte) error {
	*l = nil
	b = bytes.TrimSpace(b)
	if len(b) == 0 || bytes.Equal(b, []byte("null")) {
		return nil
	}
	var one Str
	if b[0] != '[' {
		if err := json.Unmarshal(b, &one); err != nil {
			var obj struct{ ID Str }
			if json.Unmarshal(b, &obj) == nil && obj.ID != "" {
				*l = LenientIDs{string(obj.ID)}
			}
			return nil
		}
		*l = LenientIDs{string(one)}
		return nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(b, &items); err != nil {
		return err
	}
	for _, it := range items {
		var s Str
		if json.Unmarshal(it, &s) == nil {
			*l = append(*l, string(s))
			continue
		}
		var obj struct {
			ID Str `json:"id"`
		}
		if json.Unmarshal(it, &obj) == nil && obj.ID != "" {
			*l = append(*l, string(obj.ID))
		}
	}
	return nil
}

// RuleAgents lists the rule agents (no login needed; the token is sent when given).
func (c *Client) RuleAgents(ctx context.Context, token string) ([]RuleAgent, error) {
	var out []RuleAgent
	err := c.Call(ctx, Request{Method: http.MethodGet, Path: "/ruleAgents", Token: token}, &out, nil)
	return out, err
}

// RuleAgent returns one agent.
func (c *Client) RuleAgent(ctx context.Context, token, id string) (RuleAgent, error) {
	var out RuleAgent
	if err := checkID("GET /ruleAgents/{id}", id); err != nil {
		return out, err
	}
	err := c.Call(ctx, Request{Method: http.MethodGet, Path: "/ruleAgents/" + url.PathEscape(id), Token: token}, &out, nil)
	return out, err
}
