package config

import (
	"strconv"
	"strings"
	"time"
)

// Limits bound what one request may cost.
type Limits struct {
	// RequestBudget is every request's deadline (REQUEST_BUDGET, default
	// 5s): Thing+ calls end by it and the page shows "unavailable" in place
	// of what did not arrive. Live streams and the webhook's wait for its
	// commit are not cut by it.
	RequestBudget time.Duration
	// UpstreamBodyBudget is the total of Thing+ answers buffered at once
	// over all requests (UPSTREAM_BODY_BUDGET in MiB, default 48).
	UpstreamBodyBudget int64
	// MemcachedTimeout is how long one memcached operation may take
	// (MEMCACHED_TIMEOUT, default 100ms): a stalled server costs a request
	// at most this once, then its circuit answers 503 at once.
	MemcachedTimeout time.Duration
}

// Defaults of the limits.
const (
	DefaultRequestBudget      = 5 * time.Second
	DefaultUpstreamBodyBudget = 48 << 20
	DefaultMemcachedTimeout   = 100 * time.Millisecond
)

func (c *Config) loadLimits(getenv func(string) string) error {
	c.RequestBudget, c.UpstreamBodyBudget, c.MemcachedTimeout = DefaultRequestBudget, DefaultUpstreamBodyBudget, DefaultMemcachedTimeout
	if v := getenv("MEMCACHED_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 10*time.Millisecond || d > 10*time.Second {
			return &Error{"MEMCACHED_TIMEOUT", "must be a duration between 10ms and 10s, e.g. 100ms"}
		}
		c.MemcachedTimeout = d
	}
	if v := getenv("REQUEST_BUDGET"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 500*time.Millisecond || d > 2*time.Minute {
			return &Error{"REQUEST_BUDGET", "must be a duration between 500ms and 2m, e.g. 5s"}
		}
		c.RequestBudget = d
	}
	if v := getenv("UPSTREAM_BODY_BUDGET"); v != "" {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 16 || n > 4096 {
			return &Error{"UPSTREAM_BODY_BUDGET", "must be a whole number of MiB between 16 and 4096"}
		}
		c.UpstreamBodyBudget = int64(n) << 20
	}
	return nil
}
