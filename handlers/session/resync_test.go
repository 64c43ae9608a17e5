package session

import (
	"fmt"
	"testing"
	"time"

	"github.com/bradfitz/gomemcache/memcache"

	"github.com/thingplus/thingplus-webapp/apptest"
)

// A rolling restart of two memcached servers signs no one out: when one
// comes back empty, the sessions it should hold are copied to it from the
// other without being read, so the other can restart next. (Before, only a
// read copied a session back, and every session not used between the two
// restarts was lost.)
func TestRollingRestartKeepsSessions(t *testing.T) {
	defer func(d time.Duration) { identityEvery = d }(identityEvery)
	identityEvery = 50 * time.Millisecond
	a, b := apptest.StartMemcached(t), apptest.StartMemcached(t)
	be := newMemcacheBackend([]string{a.Addr, b.Addr}, time.Second, nil, nil)
	const n = 60
	key := func(i int) string { return fmt.Sprintf("%ss%03d", keyPrefix, i) }
	for i := range n {
		if _, err := be.Set(key(i), fmt.Sprintf("v%d", i), 0, MaxAge, 0); err != nil {
			t.Fatal(err)
		}
	}
	// Both processes are known before the restart (the first look records them).
	waitFor(t, "both servers looked at", func() bool {
		_ = be.Ping()
		for _, s := range be.servers {
			s.watch.mu.Lock()
			known := s.watch.known != (identity{})
			s.watch.mu.Unlock()
			if !known {
				return false
			}
		}
		return true
	})
	// A signed-out session stays signed out on the restarted server too.
	if err := be.Delete(key(0)); err != nil {
		t.Fatal(err)
	}

	a.Kill()
	a.Start() // empty
	direct := memcache.New(a.Addr)
	waitFor(t, "the sessions copied back to the restarted server", func() bool {
		_ = be.Ping() // traffic: the backend looks at its servers while in use
		for i := range n {
			if _, err := direct.Get(key(i)); err != nil {
				return false
			}
		}
		return true
	})

	b.Kill() // the second restart of the rolling restart
	for i := 1; i < n; i++ {
		if v, _, _, err := be.Get(key(i)); err != nil || v != fmt.Sprintf("v%d", i) {
			t.Fatalf("session %d after both restarts: %q, %v", i, v, err)
		}
	}
	if _, _, _, err := be.Get(key(0)); err != memcache.ErrCacheMiss {
		t.Fatalf("the signed-out session came back: %v", err)
	}
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 10 s for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// A server that hung a while missed the writes made meanwhile (the other
// server took them): when it answers again it gets them at once, so the
// other server can then fail without losing them.
func TestWokenServerGetsTheWritesOfItsHang(t *testing.T) {
	defer func(d time.Duration) { resyncAfterHang = d }(resyncAfterHang)
	resyncAfterHang = 100 * time.Millisecond
	a, b := apptest.StartMemcached(t), apptest.StartMemcached(t)
	be := newMemcacheBackend([]string{a.Addr, b.Addr}, 300*time.Millisecond, nil, nil)
	key := func(i int) string { return fmt.Sprintf("%sh%03d", keyPrefix, i) }
	a.Pause()
	const n = 20
	for i := range n { // the first times out and opens a's circuit; all reach b
		if _, err := be.Set(key(i), fmt.Sprintf("v%d", i), 0, MaxAge, 0); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(2 * resyncAfterHang)
	a.Resume()
	direct := memcache.New(a.Addr)
	waitFor(t, "the writes of the hang copied to the woken server", func() bool {
		for i := range n {
			if _, err := direct.Get(key(i)); err != nil {
				return false
			}
		}
		return true
	})
	b.Kill()
	for i := range n {
		if v, _, _, err := be.Get(key(i)); err != nil || v != fmt.Sprintf("v%d", i) {
			t.Fatalf("session %d after the other server died: %q, %v", i, v, err)
		}
	}
}
