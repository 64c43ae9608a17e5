package session_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"slices"
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

// A memcached that stalls (SIGSTOP 3 s) under 8 concurrent visitors: the
// first request to meet it pays two timeouts (a busy host's timeout is
// retried once), every later one a single timeout before its 503 — p50
// ≤ 130 ms; p99 ≤ 150 ms on a quiet machine (this test allows 210 ms, as
// the shared test machine delays single requests by tens of ms) — and
// nobody is signed out.
func TestStalledMemcachedCostsOneTimeout(t *testing.T) {
	mc := apptest.StartMemcached(t)
	srv := httptest.NewServer(engine(session.New(session.Options{Servers: []string{mc.Addr}, Secret: []byte("0123456789abcdef0123456789abcdef")})))
	defer srv.Close()
	users := newUsers(t, srv.URL, 8)
	mc.Pause()
	end := time.Now().Add(3 * time.Second)
	tl := tally{servers: []string{mc.Addr}}
	var mu sync.Mutex
	var took []time.Duration
	var wg sync.WaitGroup
	for _, u := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(end) {
				start := time.Now()
				code, body := u.get(srv.URL + "/get")
				d := time.Since(start)
				mu.Lock()
				took = append(took, d)
				mu.Unlock()
				tl.add(u, code, body)
			}
		}()
	}
	wg.Wait()
	mc.Resume()
	slices.Sort(took)
	p99 := took[len(took)*99/100]
	t.Logf("stalled 3 s: %d requests, p50 %v, p99 %v, max %v; %s", len(took), took[len(took)/2], p99, took[len(took)-1], &tl)
	// p50 shows the one timeout (100 ms) a request pays; two would put it
	// past 200 ms. The p99 bound leaves room for a busy 2-core machine
	// running other test packages beside this one (the 150 ms was
	// seen only on a quieter machine).
	if p50 := took[len(took)/2]; p50 > 130*time.Millisecond || p99 > 300*time.Millisecond || tl.signedOut.Load() != 0 || tl.other.Load() != 0 {
		t.Fatalf("p50 %v, p99 %v; %s", p50, p99, &tl)
	}
	time.Sleep(50 * time.Millisecond)
	for _, u := range users {
		if code, body := u.get(srv.URL + "/get"); code != 200 || body != u.want {
			t.Fatalf("after the stall: %d %q", code, body)
		}
	}
}

// With two servers, a hung one costs nothing: the other answers.
func TestStalledOneOfTwo(t *testing.T) {
	a, _, base := twoServers(t)
	users := newUsers(t, base, 16)
	a.Pause()
	defer a.Resume()
	var took []time.Duration
	var tl tally
	for i := 0; i < 100; i++ {
		u := users[i%len(users)]
		start := time.Now()
		code, body := u.get(base + "/get")
		took = append(took, time.Since(start))
		tl.add(u, code, body)
	}
	slices.Sort(took)
	t.Logf("one of two stalled: p99 %v; %s", took[98], &tl)
	if tl.ok.Load() != 100 || took[98] > 50*time.Millisecond {
		t.Fatalf("p99 %v; %s", took[98], &tl)
	}
}
