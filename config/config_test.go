package config

import (
	"errors"
	"testing"
)

func env(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }

func TestDefaults(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Port != 3000 || c.PublicURL != "http://localhost:3000" || !c.UsesSandbox() || c.SandboxAddr != "127.0.0.1:3001" ||
		c.DataDir != "./data" || !c.SessionSecretGenerated || len(c.SessionSecret) < 32 || c.MemcachedServers != nil {
		t.Fatalf("defaults: %+v", c)
	}
	if c.RedirectURI() != "http://localhost:3000/auth/callback" || c.SecureCookies() {
		t.Fatalf("derived: %s %v", c.RedirectURI(), c.SecureCookies())
	}
	if c.SignupURL != "http://127.0.0.1:3001/signup" {
		t.Fatalf("signup %s", c.SignupURL)
	}
}

func TestRealThingplus(t *testing.T) {
	c, err := Load(env(map[string]string{
		"THINGPLUS_URL": "https://api.thingplus.net/v2/", "CLIENT_ID": "app", "CLIENT_SECRET": "s",
		"SESSION_SECRET": "0123456789abcdef0123456789abcdef", "PUBLIC_URL": "https://trains.example/",
		"MEMCACHED_SERVERS": "10.0.0.1:11211, mc2:11211", "PORT": "8080",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.ThingplusURL != "https://api.thingplus.net/v2" || c.ClientID != "app" || c.PublicURL != "https://trains.example" ||
		!c.SecureCookies() || len(c.MemcachedServers) != 2 || c.MemcachedServers[1] != "mc2:11211" || c.SignupURL != "https://thingplus.net/signup/" {
		t.Fatalf("%+v", c)
	}
	// THINGPLUS_* win over the original app's names.
	c, _ = Load(env(map[string]string{"THINGPLUS_CLIENT_ID": "new", "CLIENT_ID": "old"}))
	if c.ClientID != "new" {
		t.Fatalf("client id %q", c.ClientID)
	}
}

func TestBadValuesNameTheVariable(t *testing.T) {
	good := "0123456789abcdef0123456789abcdef"
	cases := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"PORT": "http"}, "PORT"},
		{map[string]string{"PORT": "70000"}, "PORT"},
		{map[string]string{"PUBLIC_URL": "localhost:3000"}, "PUBLIC_URL"},
		{map[string]string{"PUBLIC_URL": "ftp://x"}, "PUBLIC_URL"},
		{map[string]string{"THINGPLUS_URL": "api.thingplus.net"}, "THINGPLUS_URL"},
		{map[string]string{"THINGPLUS_URL": "https://api.thingplus.net/v2", "SESSION_SECRET": good}, "THINGPLUS_CLIENT_ID"},
		{map[string]string{"THINGPLUS_URL": "https://api.thingplus.net/v2", "CLIENT_ID": "a", "SESSION_SECRET": good}, "THINGPLUS_CLIENT_SECRET"},
		{map[string]string{"THINGPLUS_URL": "https://api.thingplus.net/v2", "CLIENT_ID": "a", "CLIENT_SECRET": "b"}, "SESSION_SECRET"},
		{map[string]string{"SESSION_SECRET": "short"}, "SESSION_SECRET"},
		{map[string]string{"MEMCACHED_SERVERS": "localhost"}, "MEMCACHED_SERVERS"},
		{map[string]string{"MEMCACHED_SERVERS": "a:1,b:x"}, "MEMCACHED_SERVERS"},
		{map[string]string{"SANDBOX_ADDR": "3001"}, "SANDBOX_ADDR"},
		{map[string]string{"THINGPLUS_PORTAL_URL": "javascript:alert(1)//{id}"}, "THINGPLUS_PORTAL_URL"},
		{map[string]string{"THINGPLUS_PORTAL_URL": "portal/{id}"}, "THINGPLUS_PORTAL_URL"},
		{map[string]string{"WEBHOOK_KEY": "short"}, "WEBHOOK_KEY"},
		{map[string]string{"SANDBOX_SIMULATOR": "fast"}, "SANDBOX_SIMULATOR"},
		{map[string]string{"SANDBOX_SIMULATOR": "1ms"}, "SANDBOX_SIMULATOR"},
		{map[string]string{"SANDBOX_MORE_GATEWAYS": "many"}, "SANDBOX_MORE_GATEWAYS"},
		{map[string]string{"SANDBOX_MORE_GATEWAYS": "4001"}, "SANDBOX_MORE_GATEWAYS"},
		{map[string]string{"SANDBOX_MORE_GATEWAYS": "-1"}, "SANDBOX_MORE_GATEWAYS"},
		{map[string]string{"LOG_FORMAT": "xml"}, "LOG_FORMAT"},
		{map[string]string{"METRICS_ADDR": "9090"}, "METRICS_ADDR"},
		{map[string]string{"METRICS_ADDR": "a:1,b:2"}, "METRICS_ADDR"},
	}
	for _, tc := range cases {
		_, err := Load(env(tc.env))
		var ce *Error
		if !errors.As(err, &ce) || ce.Var != tc.want {
			t.Errorf("%v: got %v, want an error naming %s", tc.env, err, tc.want)
		}
	}
}

func TestSimulatorPace(t *testing.T) {
	for v, want := range map[string]string{"": "0s", "off": "-1ns", "500ms": "500ms"} {
		c, err := Load(env(map[string]string{"SANDBOX_SIMULATOR": v}))
		if err != nil || c.SimulatorPace.String() != want {
			t.Errorf("%q: %v %v", v, c.SimulatorPace, err)
		}
	}
}

func TestMoreGateways(t *testing.T) {
	for v, want := range map[string]int{"": 0, "0": 0, "57": 57, "4000": 4000} {
		c, err := Load(env(map[string]string{"SANDBOX_MORE_GATEWAYS": v}))
		if err != nil || c.MoreGateways != want {
			t.Errorf("%q: %d, %v; want %d", v, c.MoreGateways, err, want)
		}
	}
}
