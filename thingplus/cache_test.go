package thingplus_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/thingplus/thingplus-webapp/thingplus"
)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func TestCachedPerUserTTL(t *testing.T) {
	f := newFixture(t)
	var calls atomic.Int64
	f.routes["/v2/gateways"] = func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		fmt.Fprintf(w, `{"statusCode":200,"message":"OK","data":[{"id":"gw","name":"%s-%d"}]}`, r.Header.Get("Authorization")[7:], n)
	}
	clock := &fakeClock{t: time.Unix(1700000000, 0)}
	cc := thingplus.NewCached(f.client(), thingplus.CacheOptions{TTL: 3 * time.Second, Now: clock.Now})
	ctx := context.Background()
	name := func(token string) string {
		gws, _, err := cc.Gateways(ctx, token, thingplus.Query{})
		if err != nil {
			t.Fatal(err)
		}
		return gws[0].Name
	}
	if a := name("alice"); a != "alice-1" {
		t.Fatalf("first = %q", a)
	}
	if a := name("alice"); a != "alice-1" || calls.Load() != 1 {
		t.Errorf("second = %q after %d calls, want a cache hit", a, calls.Load())
	}
	if b := name("bob"); b != "bob-2" {
		t.Errorf("another user got %q", b)
	}
	clock.Add(4 * time.Second)
	if a := name("alice"); a != "alice-3" {
		t.Errorf("after TTL = %q", a)
	}
	// A different query is a different entry.
	if _, _, err := cc.Gateways(ctx, "alice", thingplus.Query{Embed: []string{"status"}}); err != nil || calls.Load() != 4 {
		t.Errorf("different query: calls %d, %v", calls.Load(), err)
	}
}

func TestCachedNeverCachesErrors(t *testing.T) {
	f := newFixture(t)
	var fail atomic.Bool
	fail.Store(true)
	f.routes["/v2/gateways/gw1"] = func(w http.ResponseWriter, r *http.Request) {
		if fail.Load() {
			w.WriteHeader(503)
			return
		}
		fmt.Fprint(w, `{"statusCode":200,"message":"OK","data":{"id":"gw1","name":"ok"}}`)
	}
	cc := thingplus.NewCached(f.client(), thingplus.CacheOptions{})
	if _, err := cc.Gateway(context.Background(), "t", "gw1", thingplus.Query{}); kindOf(err) != thingplus.KindUnavailable {
		t.Fatalf("err = %v", err)
	}
	fail.Store(false)
	g, err := cc.Gateway(context.Background(), "t", "gw1", thingplus.Query{})
	if err != nil || g.Name != "ok" {
		t.Errorf("after recovery = %+v, %v", g, err)
	}
}

func TestCachedIsBounded(t *testing.T) {
	f := newFixture(t)
	f.body("/gateways/gw1", 200, `{"statusCode":200,"message":"OK","data":{"id":"gw1"}}`)
	cc := thingplus.NewCached(f.client(), thingplus.CacheOptions{MaxEntries: 10})
	for i := 0; i < 50; i++ {
		if _, err := cc.Gateway(context.Background(), fmt.Sprintf("token-%d", i), "gw1", thingplus.Query{}); err != nil {
			t.Fatal(err)
		}
	}
	if n := cc.Len(); n != 10 {
		t.Errorf("holds %d entries, want 10", n)
	}
}

func TestCachedGlobalServesStaleOnFailure(t *testing.T) {
	f := newFixture(t)
	var calls atomic.Int64
	var fail atomic.Bool
	f.routes["/v2/gatewayModels"] = func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if fail.Load() {
			w.WriteHeader(500)
			return
		}
		fmt.Fprint(w, `{"statusCode":200,"message":"OK","data":[{"id":"52","displayName":"Open API Gateway"}]}`)
	}
	clock := &fakeClock{t: time.Unix(1700000000, 0)}
	cc := thingplus.NewCached(f.client(), thingplus.CacheOptions{GlobalTTL: time.Minute, Now: clock.Now})
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		if m, err := cc.GatewayModels(ctx); err != nil || len(m) != 1 {
			t.Fatalf("models = %v, %v", m, err)
		}
	}
	if calls.Load() != 1 {
		t.Errorf("%d upstream calls within the TTL", calls.Load())
	}
	fail.Store(true)
	clock.Add(2 * time.Minute)
	if m, err := cc.GatewayModels(ctx); err != nil || len(m) != 1 || m[0].DisplayName != "Open API Gateway" {
		t.Errorf("stale models = %v, %v", m, err)
	}
	if calls.Load() != 2 {
		t.Errorf("expired entry not refreshed: %d calls", calls.Load())
	}
	// Nothing cached and failing: the error comes through.
	if _, err := cc.SensorTypes(ctx); err == nil {
		t.Error("sensorTypes with no route: no error")
	}
}

func TestCachedConcurrentUse(t *testing.T) {
	f := newFixture(t)
	f.body("/gateways/gw1/sensors", 200, `{"statusCode":200,"message":"OK","data":[{"id":"s1","name":"x"}]}`)
	cc := thingplus.NewCached(f.client(), thingplus.CacheOptions{MaxEntries: 8})
	var wg sync.WaitGroup
	for i := 0; i < 32; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ss, err := cc.Sensors(context.Background(), fmt.Sprintf("t%d", i%12), "gw1", thingplus.Query{})
			if err != nil || len(ss) != 1 {
				t.Errorf("sensors = %v, %v", ss, err)
			}
		}()
	}
	wg.Wait()
	if cc.Len() > 8 {
		t.Errorf("cache grew to %d", cc.Len())
	}
}
