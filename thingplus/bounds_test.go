package thingplus_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/thingplus/thingplus-webapp/thingplus"
)

// gatewaysJSON is one page of n gateways named from first.
func gatewaysJSON(first, n int) string {
	var b strings.Builder
	b.WriteString(`{"statusCode":200,"message":"OK","data":[`)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"id":"gw-%d","name":"G"}`, first+i)
	}
	b.WriteString(`]}`)
	return b.String()
}

// An upstream that ignores page sends its 4,000 gateways for every page:
// the list must stop after the first repeat (it listed 100,000 before).
func TestAllGatewaysUpstreamIgnoresPage(t *testing.T) {
	f := newFixture(t)
	body := gatewaysJSON(0, thingplus.MaxCount)
	f.body("/gateways", 200, body)
	gws, err := f.client().AllGateways(context.Background(), "tok", thingplus.Query{})
	if err != nil {
		t.Fatal(err)
	}
	if len(gws) != thingplus.MaxCount || f.hits.Load() != 2 {
		t.Fatalf("%d gateways in %d requests, want %d in 2", len(gws), f.hits.Load(), thingplus.MaxCount)
	}
}

// An upstream that ignores count sends everything at once: one request.
func TestAllGatewaysUpstreamIgnoresCount(t *testing.T) {
	f := newFixture(t)
	f.body("/gateways", 200, gatewaysJSON(0, 5000))
	gws, err := f.client().AllGateways(context.Background(), "tok", thingplus.Query{})
	if err != nil || len(gws) != 5000 || f.hits.Load() != 1 {
		t.Fatalf("%d gateways in %d requests (%v)", len(gws), f.hits.Load(), err)
	}
}

// An empty page ends the list, as does _meta.total.
func TestAllGatewaysStopsAtTotal(t *testing.T) {
	f := newFixture(t)
	f.routes["/v2/gateways"] = func(w http.ResponseWriter, r *http.Request) {
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		b := gatewaysJSON(page*thingplus.MaxCount, thingplus.MaxCount)
		fmt.Fprint(w, strings.TrimSuffix(b, "}")+`,"_meta":{"total":8000}}`)
	}
	gws, err := f.client().AllGateways(context.Background(), "tok", thingplus.Query{})
	if err != nil || len(gws) != 8000 || f.hits.Load() != 2 {
		t.Fatalf("%d gateways in %d requests (%v)", len(gws), f.hits.Load(), err)
	}
}

// hang is a Thing+ that never answers until the test ends.
func hang(f *fixture, path string) {
	f.routes["/v2"+path] = func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(20 * time.Second):
		}
	}
}

// A hanging Thing+ costs the caller its own deadline, not the client's
// cap, and a caller that leaves a coalesced call gets its answer at once
// while the others still wait for theirs.
func TestCallEndsAtCallersDeadline(t *testing.T) {
	f := newFixture(t)
	hang(f, "/gateways")
	c := f.client(thingplus.WithTimeout(2 * time.Second))
	base := runtime.NumGoroutine()

	short, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	long, cancel2 := context.WithTimeout(context.Background(), 700*time.Millisecond)
	defer cancel2()
	var wg sync.WaitGroup
	took := make([]time.Duration, 2)
	for i, ctx := range []context.Context{short, long} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			start := time.Now()
			_, _, err := c.Gateways(ctx, "tok", thingplus.Query{})
			took[i] = time.Since(start)
			if !thingplus.IsKind(err, thingplus.KindUnavailable) {
				t.Errorf("caller %d: %v", i, err)
			}
		}()
		time.Sleep(20 * time.Millisecond) // the second joins the first's flight
	}
	wg.Wait()
	if took[0] > 300*time.Millisecond || took[1] > 800*time.Millisecond || took[1] < 500*time.Millisecond {
		t.Fatalf("took %v and %v, want ~200ms and ~700ms", took[0], took[1])
	}
	waitGoroutines(t, base)
}

// A closed tab (a cancelled context) cancels its own wait at once.
func TestCallCancelled(t *testing.T) {
	f := newFixture(t)
	hang(f, "/rules")
	c := f.client()
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	_, err := c.ListRules(ctx, "tok")
	if time.Since(start) > 200*time.Millisecond || !thingplus.IsKind(err, thingplus.KindUnavailable) {
		t.Fatalf("took %v: %v", time.Since(start), err)
	}
}

func waitGoroutines(t *testing.T, base int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > base+2 {
		if time.Now().After(deadline) {
			t.Fatalf("goroutines: %d, baseline %d", runtime.NumGoroutine(), base)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// An idempotent GET is retried once after a 503 when budget remains; a
// 429's Retry-After is honoured when it fits, and otherwise reported as busy.
func TestRetryOnceAndRetryAfter(t *testing.T) {
	f := newFixture(t)
	var n atomic.Int32
	f.routes["/v2/rules"] = func(w http.ResponseWriter, r *http.Request) {
		switch n.Add(1) {
		case 1:
			w.WriteHeader(503)
		case 2:
			fmt.Fprint(w, `{"statusCode":200,"data":[]}`)
		default:
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(429)
		}
	}
	c := f.client()
	if _, err := c.ListRules(context.Background(), "tok"); err != nil || n.Load() != 2 {
		t.Fatalf("after one 503: %v (%d requests)", err, n.Load())
	}
	// 429 with Retry-After 1 s and a 5 s budget: waits, asks again, still 429.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	_, err := c.ListRules(ctx, "tok")
	wait, busy := thingplus.IsBusy(err)
	if !busy || wait != time.Second || n.Load() != 4 || time.Since(start) < time.Second {
		t.Fatalf("429: %v busy=%v wait=%v requests=%d took %v", err, busy, wait, n.Load(), time.Since(start))
	}
	// With 800 ms left, a 1 s Retry-After does not fit: busy at once.
	ctx2, cancel2 := context.WithTimeout(context.Background(), 800*time.Millisecond)
	defer cancel2()
	start = time.Now()
	_, err = c.ListRules(ctx2, "tok")
	if _, busy := thingplus.IsBusy(err); !busy || n.Load() != 5 || time.Since(start) > 300*time.Millisecond {
		t.Fatalf("429 without budget: %v requests=%d took %v", err, n.Load(), time.Since(start))
	}
	// A 404 is never retried.
	f.body("/rules/x", 404, `{"statusCode":404,"message":"Not Found"}`)
	before := f.hits.Load()
	if _, err := c.GetRule(context.Background(), "tok", "x"); !thingplus.IsKind(err, thingplus.KindNotFound) || f.hits.Load() != before+1 {
		t.Fatalf("404: %v, %d requests", err, f.hits.Load()-before)
	}
}

// rss is the process's resident set in bytes.
func rss(t *testing.T) int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		t.Skip("no /proc")
	}
	var size, res int64
	fmt.Sscan(string(b), &size, &res)
	return res * int64(os.Getpagesize())
}

func heapInUse() int64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapInuse)
}

// Eight 50 MiB answers at once (chunked, no Content-Length) add at most the
// body budget to the process's memory, and each is refused as too large.
func TestLargeBodiesStayInBudget(t *testing.T) {
	f := newFixture(t)
	chunk := []byte(strings.Repeat("x", 1<<20))
	f.routes["/v2/rules"] = func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"statusCode":200,"data":"`))
		for i := 0; i < 50; i++ {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
		w.Write([]byte(`"}`))
	}
	c := f.client()
	runtime.GC()
	base, baseHeap := rss(t), heapInUse()
	var peak, peakHeap atomic.Int64
	stop := make(chan struct{})
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
				if r := rss(t); r > peak.Load() {
					peak.Store(r)
				}
				if h := heapInUse(); h > peakHeap.Load() {
					peakHeap.Store(h)
				}
			}
		}
	}()
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.ListRules(context.Background(), "tok-"+strconv.Itoa(i))
			var e *thingplus.Error
			if !asErr(err, &e) || e.MessageKey() != "err.toolarge" {
				t.Errorf("want too large, got %v", err)
			}
		}()
	}
	wg.Wait()
	close(stop)
	growth, heap := peak.Load()-base, peakHeap.Load()-baseHeap
	t.Logf("RSS growth %d MiB, heap growth %d MiB", growth>>20, heap>>20)
	if heap > 64<<20 {
		t.Fatalf("heap grew %d MiB for eight 50 MiB answers", heap>>20)
	}
	if !raceEnabled && growth > 64<<20 {
		t.Fatalf("RSS grew %d MiB for eight 50 MiB answers", growth>>20)
	}
}

// A body within the per-call cap but larger than the free budget is refused
// too; a small body afterwards is fine (the budget was given back).
func TestBodyBudgetGivenBack(t *testing.T) {
	f := newFixture(t)
	f.body("/rules", 200, `{"statusCode":200,"data":[{"id":"r1","name":"`+strings.Repeat("n", 600<<10)+`"}]}`)
	c := f.client(thingplus.WithBodyBudget(512 << 10))
	_, err := c.ListRules(context.Background(), "tok")
	var e *thingplus.Error
	if !asErr(err, &e) || e.MessageKey() != "err.toolarge" {
		t.Fatalf("over budget: %v", err)
	}
	f.body("/rules", 200, `{"statusCode":200,"data":[{"id":"r1","name":"small"}]}`)
	for i := 0; i < 10; i++ {
		if rs, err := c.ListRules(context.Background(), "tok"); err != nil || len(rs) != 1 {
			t.Fatalf("after: %v %v", rs, err)
		}
	}
}

func asErr(err error, e **thingplus.Error) bool { return errors.As(err, e) }
