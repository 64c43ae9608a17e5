package session_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/thingplus/thingplus-webapp/apptest"
	"github.com/thingplus/thingplus-webapp/handlers/session"
)

// user is one signed-in visitor with its own cookie.
type user struct {
	c    *http.Client
	want string
}

func newUsers(t *testing.T, base string, n int) []*user {
	t.Helper()
	us := make([]*user, n)
	for i := range us {
		jar, _ := cookiejar.New(nil)
		us[i] = &user{c: &http.Client{Jar: jar, Timeout: 5 * time.Second}, want: fmt.Sprintf("user-%d", i)}
		if code, _ := us[i].get(base + "/set?v=" + us[i].want); code != 200 {
			t.Fatalf("set %d", code)
		}
	}
	return us
}

func (u *user) get(url string) (int, string) {
	resp, err := u.c.Get(url)
	if err != nil {
		return -1, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// tally counts what visitors saw: their session, a sign-out (an empty
// session), a 503, or anything else. With servers set, a 503 is allowed
// only when every copy was unreachable (its error names each server);
// others count as other.
type tally struct {
	ok, signedOut, unavailable, other atomic.Int64
	servers                           []string
}

func (t *tally) add(u *user, code int, body string) {
	switch {
	case code == 200 && body == u.want:
		t.ok.Add(1)
	case code == 200 && body == "":
		t.signedOut.Add(1)
	case code == 503 && allIn(body, t.servers):
		t.unavailable.Add(1)
	default:
		fmt.Printf("unexpected %d: %s\n", code, body)
		t.other.Add(1)
	}
}

func allIn(s string, subs []string) bool {
	for _, x := range subs {
		if !strings.Contains(s, x) {
			return false
		}
	}
	return true
}

func (t *tally) String() string {
	return fmt.Sprintf("ok %d, signed out %d, 503 %d, other %d", t.ok.Load(), t.signedOut.Load(), t.unavailable.Load(), t.other.Load())
}

func twoServers(t *testing.T) (a, b *apptest.Memcached, base string) {
	a, b = apptest.StartMemcached(t), apptest.StartMemcached(t)
	srv := httptest.NewServer(engine(session.New(session.Options{
		Servers: []string{a.Addr, b.Addr}, Secret: []byte("0123456789abcdef0123456789abcdef")})))
	t.Cleanup(srv.Close)
	return a, b, srv.URL
}

// Two servers; kill -9 one under 32 concurrent visitors, restart it, then
// kill the other: nobody is signed out, and the only failures are 503s
// when both copies were unreachable (on a machine so busy that the
// surviving server missed its 100 ms timeout).
func TestKillOneOfTwoUnderLoad(t *testing.T) {
	a, b, base := twoServers(t)
	users := newUsers(t, base, 64)
	tl := tally{servers: []string{a.Addr, b.Addr}}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 32; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; ; i += 32 {
				select {
				case <-stop:
					return
				default:
				}
				u := users[i%len(users)]
				code, body := u.get(base + "/get")
				tl.add(u, code, body)
			}
		}()
	}
	time.Sleep(300 * time.Millisecond)
	a.Kill()
	time.Sleep(500 * time.Millisecond)
	a.Start() // empty: sessions read now are copied back to it
	time.Sleep(800 * time.Millisecond)
	close(stop)
	wg.Wait()
	t.Logf("kill and restart of one: %s", &tl)
	if tl.signedOut.Load() != 0 || tl.other.Load() != 0 || tl.ok.Load() < 200 || tl.unavailable.Load()*100 > tl.ok.Load() {
		t.Fatalf("kill -9 of one of two: %s", &tl)
	}
	// Every session was read since the restart, so each is on a again: b
	// may go now.
	b.Kill()
	var after tally
	for _, u := range users {
		code, body := u.get(base + "/get")
		after.add(u, code, body)
	}
	if after.ok.Load() != int64(len(users)) {
		t.Fatalf("after the other one went: %s", &after)
	}
}

// An idle restart leaves every pooled connection dead: the next 100
// sequential requests must all succeed (they used to fail 9–12 times).
func TestIdleRestartThenSequential(t *testing.T) {
	for _, servers := range []int{1, 2} {
		t.Run(fmt.Sprint(servers), func(t *testing.T) {
			mcs := []*apptest.Memcached{apptest.StartMemcached(t)}
			if servers == 2 {
				mcs = append(mcs, apptest.StartMemcached(t))
			}
			var addrs []string
			for _, m := range mcs {
				addrs = append(addrs, m.Addr)
			}
			srv := httptest.NewServer(engine(session.New(session.Options{Servers: addrs, Secret: []byte("0123456789abcdef0123456789abcdef")})))
			defer srv.Close()
			users := newUsers(t, srv.URL, 20)
			// Fill the pool with idle connections.
			var wg sync.WaitGroup
			for _, u := range users {
				wg.Add(1)
				go func() { defer wg.Done(); u.get(srv.URL + "/get") }()
			}
			wg.Wait()
			mcs[0].Kill()
			mcs[0].Start()
			tl := tally{servers: addrs}
			for i := 0; i < 100; i++ {
				u := users[i%len(users)]
				code, body := u.get(srv.URL + "/get")
				tl.add(u, code, body)
			}
			t.Logf("%d server(s), idle restart: %s", servers, &tl)
			if tl.unavailable.Load() != 0 || tl.other.Load() != 0 {
				t.Fatalf("failures after an idle restart: %s", &tl)
			}
			if servers == 2 && tl.ok.Load() != 100 {
				t.Fatalf("signed out with a replica: %s", &tl)
			}
		})
	}
}

// timed serves h and records how long each request took by the server's
// own clock, from the handler's start to its return with the answer
// written: the app's latency, without the test clients' scheduling on a
// busy machine (32 client goroutines, the HTTP client and the server share
// two cores with other packages' tests).
type timed struct {
	h    http.Handler
	mu   sync.Mutex
	took []time.Duration
	on   atomic.Bool
}

func (t *timed) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	t.h.ServeHTTP(w, r)
	if t.on.Load() {
		d := time.Since(start)
		t.mu.Lock()
		t.took = append(t.took, d)
		t.mu.Unlock()
	}
}

// sorted returns the recorded durations, shortest first.
func (t *timed) sorted() []time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := slices.Clone(t.took)
	slices.Sort(s)
	return s
}

// hammer runs 32 concurrent visitors until end; what they saw goes to tl.
func hammer(users []*user, url string, end time.Time, tl *tally) {
	var wg sync.WaitGroup
	for w := range 32 {
		wg.Go(func() {
			for i := w; time.Now().Before(end); i += 32 {
				u := users[i%len(users)]
				code, body := u.get(url)
				tl.add(u, code, body)
			}
		})
	}
	wg.Wait()
}

// A memcached that stalls (SIGSTOP 3 s) under 32 concurrent visitors
// costs each request at most one 100 ms timeout before its 503: the
// requests in flight when it stalls pay that timeout, which opens the
// server's circuit, and every later one fails at once until a background
// ping gets an answer. The bound, p99 ≤ 150 ms, is asserted on the
// server's own clock (see timed) over thousands of requests, so it holds
// on a busy machine by design rather than by slack; nobody is signed out,
// and everyone is served again soon after the server wakes.
func TestStalledMemcachedCostsOneTimeout(t *testing.T) {
	mc := apptest.StartMemcached(t)
	app := &timed{h: engine(session.New(session.Options{Servers: []string{mc.Addr}, Secret: []byte("0123456789abcdef0123456789abcdef")}))}
	srv := httptest.NewServer(app)
	defer srv.Close()
	users := newUsers(t, srv.URL, 64)
	// Warm the pool so that the stall meets pooled connections too.
	hammer(users, srv.URL+"/get", time.Now().Add(200*time.Millisecond), &tally{servers: []string{mc.Addr}})
	mc.Pause()
	app.on.Store(true)
	tl := tally{servers: []string{mc.Addr}}
	hammer(users, srv.URL+"/get", time.Now().Add(3*time.Second), &tl)
	app.on.Store(false)
	mc.Resume()
	took := app.sorted()
	n := len(took)
	p50, p99, slow := took[n/2], took[n*99/100], n-sort.Search(n, func(i int) bool { return took[i] > 50*time.Millisecond })
	t.Logf("stalled 3 s, 32 visitors: %d requests, p50 %v, p99 %v, max %v, %d over 50 ms; %s", n, p50, p99, took[n-1], slow, &tl)
	// Enough requests (ten times the 32 that met the stall while in
	// flight) that p99 is about the stall, not about those few.
	if n < 10*32 || (!raceEnabled && p99 > 150*time.Millisecond) || tl.signedOut.Load() != 0 || tl.other.Load() != 0 || tl.ok.Load() != 0 {
		t.Fatalf("%d requests, p50 %v, p99 %v; %s", n, p50, p99, &tl)
	}
	// Back within a second of waking (one ping: at most ~120 ms on a quiet machine).
	woke := time.Now()
	for _, u := range users {
		for {
			code, body := u.get(srv.URL + "/get")
			if code == 200 && body == u.want {
				break
			}
			if code != 503 || time.Since(woke) > time.Second {
				t.Fatalf("after the stall: %d %q", code, body)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	t.Logf("every visitor served again %v after the server woke", time.Since(woke).Round(time.Millisecond))
}

// With two servers, a hung one costs reads nothing (both are asked at
// once and the other answers), and writes only until its circuit opens:
// under 32 concurrent visitors nine in ten requests take well under one
// timeout (if reads waited for the hung server, all would take one), and
// every session written during the stall reads back. On a machine so busy
// that the live server misses its own 100 ms deadline now and then, those
// requests pay that one timeout (p99 ≤ 150 ms, the single-server bound)
// and a few may get a 503 naming both servers (≤ 1 %, as in
// TestKillOneOfTwoUnderLoad); nobody is signed out.
func TestStalledOneOfTwo(t *testing.T) {
	a, b := apptest.StartMemcached(t), apptest.StartMemcached(t)
	app := &timed{h: engine(session.New(session.Options{
		Servers: []string{a.Addr, b.Addr}, Secret: []byte("0123456789abcdef0123456789abcdef")}))}
	srv := httptest.NewServer(app)
	defer srv.Close()
	users := newUsers(t, srv.URL, 64)
	a.Pause()
	defer a.Resume()
	app.on.Store(true)
	tl := tally{servers: []string{a.Addr, b.Addr}}
	hammer(users, srv.URL+"/get", time.Now().Add(time.Second), &tl)
	for i, u := range users { // writes go to both servers
		u.want = fmt.Sprintf("user-%d-again", i)
		if code, _ := u.get(srv.URL + "/set?v=" + u.want); code != 200 {
			t.Fatalf("set during the stall: %d", code)
		}
	}
	hammer(users, srv.URL+"/get", time.Now().Add(500*time.Millisecond), &tl)
	app.on.Store(false)
	took := app.sorted()
	n := len(took)
	p90, p99 := took[n*9/10], took[n*99/100]
	t.Logf("one of two stalled, 32 visitors: %d requests, p50 %v, p90 %v, p99 %v, max %v; %s", n, took[n/2], p90, p99, took[n-1], &tl)
	if tl.signedOut.Load() != 0 || tl.other.Load() != 0 || tl.unavailable.Load()*100 > tl.ok.Load() ||
		(!raceEnabled && (p90 > 50*time.Millisecond || p99 > 150*time.Millisecond)) {
		t.Fatalf("p90 %v, p99 %v; %s", p90, p99, &tl)
	}
}

// A server that hangs through a sign-out or a change must not bring the
// older session back when it wakes: reads take the newest copy (values
// carry their write time, a sign-out is a tombstone) and repair the server
// that held the older one, so it is still right after the other dies.
func TestWokenServerKeepsNoOldSession(t *testing.T) {
	a, b, base := twoServers(t)
	users := newUsers(t, base, 4)
	u, _ := url.Parse(base)
	oldCookies := make([][]*http.Cookie, len(users))
	for i, us := range users {
		oldCookies[i] = us.c.Jar.Cookies(u)
	}
	b.Pause()
	for i, us := range users {
		path := "/destroy"
		if i >= 2 {
			us.want = fmt.Sprintf("changed-%d", i)
			path = "/set?v=" + us.want
		}
		if code, body := retry503(func() (int, string) { return us.get(base + path) }); code != 200 {
			t.Fatalf("user %d %s while one server hangs: %d %q", i, path, code, body)
		}
	}
	b.Resume()
	time.Sleep(400 * time.Millisecond) // the prober closes the circuit within ~120 ms
	// Signed-out users replay their old cookie; changed users read on.
	read := func(i int) (int, string) {
		if i < 2 {
			jar, _ := cookiejar.New(nil)
			jar.SetCookies(u, oldCookies[i])
			return (&user{c: &http.Client{Jar: jar, Timeout: 5 * time.Second}}).get(base + "/get")
		}
		return users[i].get(base + "/get")
	}
	check := func(when string) {
		t.Helper()
		for i := range users {
			want := ""
			if i >= 2 {
				want = users[i].want
			}
			for range 10 { // both servers answer each read: any order must give the newest
				if code, body := retry503(func() (int, string) { return read(i) }); code != 200 || body != want {
					t.Fatalf("%s: user %d read %d %q, want %q", when, i, code, body, want)
				}
			}
		}
	}
	check("after the hung server woke")
	time.Sleep(200 * time.Millisecond) // background repairs
	a.Kill()
	check("with only the repaired server left")
}

// retry503 repeats f while it answers 503 (a server so starved on a busy
// machine that it missed its 100 ms deadline: unavailable, never wrong),
// for at most two seconds.
func retry503(f func() (int, string)) (int, string) {
	end := time.Now().Add(2 * time.Second)
	for {
		code, body := f()
		if code != 503 || time.Now().After(end) {
			return code, body
		}
		time.Sleep(20 * time.Millisecond)
	}
}
