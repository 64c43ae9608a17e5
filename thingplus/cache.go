package thingplus

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
)

// CacheOptions tune a Cached client. Zero values take the defaults.
type CacheOptions struct {
	TTL        time.Duration    // per-user results; default 3 s
	GlobalTTL  time.Duration    // sensorTypes and gatewayModels; default 10 min
	MaxEntries int              // per-user results kept; default 4096
	Now        func() time.Time // clock; default time.Now
}

// Cached wraps a Client with two caches: per-user results for a few seconds
// (keyed by a hash of the token plus the request, so users never share
// entries and tokens are never kept in keys), and the global catalogues
// (sensorTypes, gatewayModels) for longer, served stale when a refresh
// fails. Identical concurrent calls are coalesced by the Client itself.
// Results are shared between callers: treat them as read-only.
type Cached struct {
	c         *Client
	ttl       time.Duration
	globalTTL time.Duration
	now       func() time.Time

	lru    *lru.Cache[string, cacheEntry] // per-user results, least recently used go first
	mu     sync.Mutex                     // guards global
	global map[string]*cacheEntry
}

type cacheEntry struct {
	key string
	val any
	exp time.Time
}

// NewCached wraps c.
func NewCached(c *Client, o CacheOptions) *Cached {
	if o.TTL <= 0 {
		o.TTL = 3 * time.Second
	}
	if o.GlobalTTL <= 0 {
		o.GlobalTTL = 10 * time.Minute
	}
	if o.MaxEntries <= 0 {
		o.MaxEntries = 4096
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	entries, _ := lru.New[string, cacheEntry](o.MaxEntries) // errs only for a size <= 0
	return &Cached{c: c, ttl: o.TTL, globalTTL: o.GlobalTTL, now: o.Now,
		lru: entries, global: map[string]*cacheEntry{}}
}

// Client is the wrapped client (for uncached calls).
func (cc *Cached) Client() *Client { return cc.c }

// userKey is the cache key of one request of one token.
func userKey(token string, parts ...string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:12]) + "|" + strings.Join(parts, "|")
}

func (cc *Cached) get(key string) (any, bool) {
	e, ok := cc.lru.Get(key)
	if !ok {
		return nil, false
	}
	if cc.now().After(e.exp) {
		cc.lru.Remove(key)
		return nil, false
	}
	return e.val, true
}

func (cc *Cached) put(key string, val any) {
	cc.lru.Add(key, cacheEntry{key: key, val: val, exp: cc.now().Add(cc.ttl)})
}

// Len is the number of per-user entries held (for tests and metrics).
func (cc *Cached) Len() int { return cc.lru.Len() }

// cached returns the fresh cached value of key or calls fetch and keeps its
// result. Errors are never cached.
func cached[T any](cc *Cached, key string, fetch func() (T, error)) (T, error) {
	if v, ok := cc.get(key); ok {
		return v.(T), nil
	}
	v, err := fetch()
	if err != nil {
		return v, err
	}
	cc.put(key, v)
	return v, nil
}

// cachedGlobal is cached for the global catalogues: a longer TTL, and the
// last value is served when a refresh fails.
func cachedGlobal[T any](cc *Cached, key string, fetch func() (T, error)) (T, error) {
	cc.mu.Lock()
	e := cc.global[key]
	cc.mu.Unlock()
	if e != nil && cc.now().Before(e.exp) {
		return e.val.(T), nil
	}
	v, err := fetch()
	if err != nil {
		if e != nil {
			return e.val.(T), nil
		}
		return v, err
	}
	cc.mu.Lock()
	cc.global[key] = &cacheEntry{key: key, val: v, exp: cc.now().Add(cc.globalTTL)}
	cc.mu.Unlock()
	return v, nil
}

// Gateways is Client.Gateways, cached per user.
func (cc *Cached) Gateways(ctx context.Context, token string, q Query) ([]Gateway, Meta, error) {
	type res struct {
		g []Gateway
		m Meta
	}
	r, err := cached(cc, userKey(token, "gateways", q.Values().Encode()), func() (res, error) {
		g, m, err := cc.c.Gateways(ctx, token, q)
		return res{g, m}, err
	})
	return r.g, r.m, err
}

// AllGateways is Client.AllGateways, cached per user.
func (cc *Cached) AllGateways(ctx context.Context, token string, q Query) ([]Gateway, error) {
	return cached(cc, userKey(token, "allGateways", q.Values().Encode()), func() ([]Gateway, error) {
		return cc.c.AllGateways(ctx, token, q)
	})
}

// Gateway is Client.Gateway, cached per user.
func (cc *Cached) Gateway(ctx context.Context, token, id string, q Query) (Gateway, error) {
	return cached(cc, userKey(token, "gateway", id, q.Values().Encode()), func() (Gateway, error) {
		return cc.c.Gateway(ctx, token, id, q)
	})
}

// GatewayStatus is Client.GatewayStatus, cached per user.
func (cc *Cached) GatewayStatus(ctx context.Context, token, id string) (Status, error) {
	return cached(cc, userKey(token, "gatewayStatus", id), func() (Status, error) {
		return cc.c.GatewayStatus(ctx, token, id)
	})
}

// Devices is Client.Devices, cached per user.
func (cc *Cached) Devices(ctx context.Context, token, gatewayID string, q Query) ([]Device, error) {
	return cached(cc, userKey(token, "devices", gatewayID, q.Values().Encode()), func() ([]Device, error) {
		return cc.c.Devices(ctx, token, gatewayID, q)
	})
}

// Sensors is Client.Sensors, cached per user.
func (cc *Cached) Sensors(ctx context.Context, token, gatewayID string, q Query) ([]Sensor, error) {
	return cached(cc, userKey(token, "sensors", gatewayID, q.Values().Encode()), func() ([]Sensor, error) {
		return cc.c.Sensors(ctx, token, gatewayID, q)
	})
}

// Sensor is Client.Sensor, cached per user.
func (cc *Cached) Sensor(ctx context.Context, token, gatewayID, id string, q Query) (Sensor, error) {
	return cached(cc, userKey(token, "sensor", gatewayID, id, q.Values().Encode()), func() (Sensor, error) {
		return cc.c.Sensor(ctx, token, gatewayID, id, q)
	})
}

// SensorStatus is Client.SensorStatus, cached per user.
func (cc *Cached) SensorStatus(ctx context.Context, token, gatewayID, id string) (Status, error) {
	return cached(cc, userKey(token, "sensorStatus", gatewayID, id), func() (Status, error) {
		return cc.c.SensorStatus(ctx, token, gatewayID, id)
	})
}

// Series is Client.Series, cached per user. Callers asking for "the last
// hour" should round DataStart/DataEnd (e.g. to the interval) so that
// repeated requests share an entry.
func (cc *Cached) Series(ctx context.Context, token, gatewayID, sensorID string, q SeriesQuery) (SeriesLeaf, error) {
	return cached(cc, userKey(token, "series", gatewayID, sensorID, q.Values().Encode()), func() (SeriesLeaf, error) {
		return cc.c.Series(ctx, token, gatewayID, sensorID, q)
	})
}

// SensorTypes is Client.SensorTypes, cached globally.
func (cc *Cached) SensorTypes(ctx context.Context) ([]SensorType, error) {
	return cachedGlobal(cc, "sensorTypes", func() ([]SensorType, error) { return cc.c.SensorTypes(ctx) })
}

// GatewayModels is Client.GatewayModels, cached globally.
func (cc *Cached) GatewayModels(ctx context.Context) ([]GatewayModel, error) {
	return cachedGlobal(cc, "gatewayModels", func() ([]GatewayModel, error) { return cc.c.GatewayModels(ctx) })
}
