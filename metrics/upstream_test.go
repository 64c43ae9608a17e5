package metrics

import "testing"

func TestEndpointTemplates(t *testing.T) {
	for path, want := range map[string]string{
		"/v2/gateways":                                  "/gateways",
		"/v2/gateways/b827ebd0a001":                     "/gateways/{id}",
		"/v2/gateways/b827/sensors/b827-1-door3/series": "/gateways/{id}/sensors/{id}/series",
		"/v2/users/me":                                  "/users/me",
		"/v2/oauth2/token":                              "/oauth2/token",
		"/v2/rules/42":                                  "/rules/{id}",
		"/ruleAgents":                                   "/ruleAgents",
	} {
		if got := Endpoint(path); got != want {
			t.Errorf("Endpoint(%q) = %q, want %q", path, got, want)
		}
	}
}

func TestNilMetricsIsANoOp(t *testing.T) {
	var m *Metrics
	m.Request("/", "GET", 200, 0)
	m.Push("applied")
	m.Commit(1, 0)
	m.StreamOpened()
	m.StreamClosed()
	m.StreamFrame()
	m.StreamResync()
	m.MemcachedError("get")
	m.SessionOutage()
	m.ThingplusProbe(true, 0)
	if m.Transport(nil) == nil {
		t.Fatal("nil transport")
	}
}
