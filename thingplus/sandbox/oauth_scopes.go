package sandbox

import (
	"net/http"
	"slices"
)

// oauthScope is one row of the scope table (§3.4).
type oauthScope struct {
	ID          string
	Description string   // what the consent page says
	Paths       []string // API paths it opens
	Implies     []string // narrower scopes it includes
}

// oauthScopes is §3.4 in the sheet's order. "(none)" is the empty list.
var oauthScopes = []oauthScope{
	{ID: "user-profile", Description: "read and update your profile and change your password",
		Paths: []string{"/users/me", "/changePassword"}, Implies: []string{"user-profile-read"}},
	{ID: "user-profile-read", Description: "read your profile (login ID, nickname, e-mail, time zone)",
		Paths: []string{"/users/me"}},
	{ID: "gateway", Description: "create, change and delete your gateways, devices and sensors",
		Paths:   []string{"/gateways", "/registerGateway", "/registerGatewayKey", "/manageGateway", "/controlActuator", "/sensorTypes", "/sensorDrivers", "/gatewayModels"},
		Implies: []string{"gateway-read", "gateway-update", "gateway-management", "actuator-command"}},
	{ID: "gateway-read", Description: "read your gateways, devices, sensors and their data",
		Paths: []string{"/gateways"}},
	{ID: "gateway-update", Description: "read and change your gateways, devices and sensors",
		Paths: []string{"/gateways"}, Implies: []string{"gateway-read"}},
	{ID: "gateway-management", Description: "reboot, power off and configure your gateways",
		Paths: []string{"/manageGateway"}},
	{ID: "actuator-command", Description: "run your actuators",
		Paths: []string{"/controlActuator"}},
	{ID: "timeline-read", Description: "read your timeline (rule firings and events)",
		Paths: []string{"/timelines"}},
	{ID: "tag", Description: "create, change and delete your tags",
		Paths: []string{"/tags"}, Implies: []string{"tag-read"}},
	{ID: "tag-read", Description: "read your tags", Paths: []string{"/tags"}},
	{ID: "rule", Description: "create, change and delete your rules",
		Paths: []string{"/rules", "/pushDevices"}, Implies: []string{"rule-read"}},
	{ID: "rule-read", Description: "read your rules", Paths: []string{"/rules"}},
	{ID: "service-read", Description: "read your services", Paths: []string{"/services"}},
	{ID: "site-read", Description: "read your sites", Paths: []string{"/sites"}},
	{ID: "billing-read", Description: "read your billing", Paths: []string{"/billings"}},
}

func scopeByID(id string) (oauthScope, bool) {
	for _, sc := range oauthScopes {
		if sc.ID == id {
			return sc, true
		}
	}
	return oauthScope{}, false
}

func (sc oauthScope) view() map[string]any {
	return map[string]any{"id": sc.ID, "name": sc.ID, "desc": sc.Description, "paths": sc.Paths}
}

// hasScope reports whether the caller may act under scope: a portal session
// may do anything its user may; a token only what its client's scopes (or a
// wider scope that implies it) allow. Other areas may use it.
func (s *Sandbox) hasScope(p Principal, scope string) bool {
	if p.ClientID == "" {
		return true
	}
	c, ok := s.clientByID(p.ClientID)
	if !ok {
		return false
	}
	for _, have := range c.Scopes {
		if have == scope {
			return true
		}
		if sc, ok := scopeByID(have); ok && slices.Contains(sc.Implies, scope) {
			return true
		}
	}
	return false
}

// requireScope answers 403 ACL_DENY when the token's client lacks scope.
// The sheet does not show this error; ACL_DENY is its closest code.
func (s *Sandbox) requireScope(w http.ResponseWriter, r *http.Request, scope string) bool {
	if s.hasScope(principalOf(r), scope) {
		return true
	}
	writeError(w, http.StatusForbidden, "ACL_DENY", "the token's client has no "+scope+" scope")
	return false
}
