package config

import (
	"errors"
	"testing"
	"time"
)

func TestLimits(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil || c.RequestBudget != 5*time.Second || c.UpstreamBodyBudget != 48<<20 || c.MemcachedTimeout != 100*time.Millisecond {
		t.Fatalf("defaults: %v %v %v", c.RequestBudget, c.UpstreamBodyBudget, err)
	}
	c, err = Load(env(map[string]string{"REQUEST_BUDGET": "2500ms", "UPSTREAM_BODY_BUDGET": "128", "MEMCACHED_TIMEOUT": "250ms"}))
	if err != nil || c.RequestBudget != 2500*time.Millisecond || c.UpstreamBodyBudget != 128<<20 || c.MemcachedTimeout != 250*time.Millisecond {
		t.Fatalf("set: %v %v %v", c.RequestBudget, c.UpstreamBodyBudget, err)
	}
	for k, v := range map[string]string{"REQUEST_BUDGET": "5", "UPSTREAM_BODY_BUDGET": "1", "MEMCACHED_TIMEOUT": "5ms"} {
		_, err := Load(env(map[string]string{k: v}))
		var e *Error
		if !errors.As(err, &e) || e.Var != k {
			t.Errorf("%s=%s: %v", k, v, err)
		}
	}
}
