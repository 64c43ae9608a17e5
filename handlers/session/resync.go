package session

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bradfitz/gomemcache/memcache"
)

// A memcached that restarts comes back empty: every session it held is then
// on the other server only, and a read copies one back only when that
// session is next used. Were the other server restarted next (a rolling
// restart), the sessions nobody used in between would be gone and their
// users signed out. So the backend notices a server that is a new process
// and copies the sessions it should hold from the other servers at once
// (listed with memcached's `lru_crawler metadump all`).
//
// Noticing costs no goroutine while idle: an operation that succeeds on a
// server asks for its `stats` (pid and uptime) when the last look is more
// than identityEvery old, in the background.

// identityEvery is how often, at most, a server in use is asked who it is.
var identityEvery = 5 * time.Second

// A server that hung (its circuit open) missed the writes of that time; the
// other server has them. After a hang this long it gets them back at once,
// like a restarted one; a blip of a few milliseconds is left to the reads.
var resyncAfterHang = time.Second

// woke is told by a server whose circuit closed after hung.
func (b *memcacheBackend) woke(s *mcServer, hung time.Duration) {
	if len(b.servers) >= 2 && hung >= resyncAfterHang {
		go b.resync(s, "memcached answers again after a hang: sessions copied back")
	}
}

// resyncTimeout bounds one listing of a server's keys.
const resyncTimeout = time.Minute

// identity is one memcached process: its pid and when it started.
type identity struct {
	pid     int
	started int64 // Unix seconds: now - uptime
}

// same reports whether i and o are the same process; started may differ by
// a second between two looks (uptime is whole seconds). A container's
// memcached is pid 1 every time, hence the start time.
func (i identity) same(o identity) bool {
	d := i.started - o.started
	return i.pid == o.pid && d >= -2 && d <= 2
}

// watch is the part of an mcServer that watches its process.
type watch struct {
	next     atomic.Int64 // Unix nanoseconds before which nobody looks (no lock on every operation)
	mu       sync.Mutex
	known    identity // zero: not looked at yet
	lookedAt time.Time
	looking  bool
}

// alive is called after a successful operation on s: at most every
// identityEvery it looks, in the background, whether s is still the process
// it was, and resyncs it when it is a new one.
func (b *memcacheBackend) alive(s *mcServer) {
	if len(b.servers) < 2 {
		return
	}
	w := &s.watch
	if time.Now().UnixNano() < w.next.Load() {
		return
	}
	w.mu.Lock()
	if w.looking || time.Since(w.lookedAt) < identityEvery {
		w.mu.Unlock()
		return
	}
	w.looking = true
	w.mu.Unlock()
	go func() {
		id, err := serverIdentity(s.addr, s.timeout)
		w.mu.Lock()
		w.looking, w.lookedAt = false, time.Now()
		w.next.Store(w.lookedAt.Add(identityEvery).UnixNano())
		restarted := err == nil && w.known != (identity{}) && !w.known.same(id)
		if err == nil {
			w.known = id
		}
		w.mu.Unlock()
		if restarted {
			b.resync(s, "memcached restarted: sessions copied back")
		}
	}()
}

// resync copies to s the newest copy of every session s should hold that
// another server has, and logs msg with how many.
func (b *memcacheBackend) resync(s *mcServer, msg string) {
	start := time.Now()
	copied, seen := 0, 0
	var errs []error
	for _, o := range b.servers {
		if o == s {
			continue
		}
		keys, err := sessionKeys(o.addr, resyncTimeout)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", o.addr, err))
		}
		for _, k := range keys {
			if !slices.Contains(b.replicas(k), s) {
				continue
			}
			seen++
			if b.handOff(s, k) {
				copied++
			}
		}
	}
	attrs := []any{"server", s.addr, "sessions", seen, "copied", copied, "took", time.Since(start)}
	if len(errs) > 0 { // a server that could not list its sessions: those stay to read repair
		b.log.Warn(msg, append(attrs, "err", errors.Join(errs...))...)
		return
	}
	b.log.Info(msg, attrs...)
}

// handOff gives s the newest copy of key among its other servers when s
// has none or an older one; it reports whether it wrote.
func (b *memcacheBackend) handOff(s *mcServer, key string) bool {
	var best *memcache.Item
	bestAt := int64(-1)
	for _, o := range b.replicas(key) {
		if o == s {
			continue
		}
		var it *memcache.Item
		if err := o.do(func(mc *memcache.Client) (e error) { it, e = mc.Get(key); return }); err != nil {
			continue
		}
		if at := unstamp(string(it.Value)).at; at > bestAt {
			best, bestAt = it, at
		}
	}
	if best == nil {
		return false
	}
	var cur *memcache.Item
	err := s.do(func(mc *memcache.Client) (e error) { cur, e = mc.Get(key); return })
	switch {
	case errors.Is(err, memcache.ErrCacheMiss):
		s.repair(best, false)
	case err == nil && unstamp(string(cur.Value)).at < bestAt:
		s.repair(best, true)
	default:
		return false
	}
	return true
}

// serverIdentity asks a memcached for its pid and uptime (`stats`).
func serverIdentity(addr string, timeout time.Duration) (identity, error) {
	var id identity
	var uptime int64 = -1
	err := command(addr, "stats", max(timeout, time.Second), func(line string) {
		f := strings.Fields(line)
		if len(f) != 3 || f[0] != "STAT" {
			return
		}
		switch f[1] {
		case "pid":
			id.pid, _ = strconv.Atoi(f[2])
		case "uptime":
			uptime, _ = strconv.ParseInt(f[2], 10, 64)
		}
	})
	if err == nil && (id.pid == 0 || uptime < 0) {
		err = errors.New("stats without pid or uptime")
	}
	id.started = time.Now().Unix() - uptime
	return id, err
}

// sessionKeys lists the session keys a memcached holds.
func sessionKeys(addr string, timeout time.Duration) ([]string, error) {
	var keys []string
	err := command(addr, "lru_crawler metadump all", timeout, func(line string) {
		// "key=tpw%3Asess%3A… exp=… la=… …"
		f, _, _ := strings.Cut(line, " ")
		k, ok := strings.CutPrefix(f, "key=")
		if !ok {
			return
		}
		if k, err := url.PathUnescape(k); err == nil && strings.HasPrefix(k, keyPrefix) {
			keys = append(keys, k)
		}
	})
	return keys, err
}

// command sends one text-protocol command on a connection of its own and
// hands each answer line to line until END.
func command(addr, cmd string, timeout time.Duration, line func(string)) error {
	c, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(timeout)); err != nil {
		return err
	}
	if _, err := c.Write([]byte(cmd + "\r\n")); err != nil {
		return err
	}
	sc := bufio.NewScanner(c)
	sc.Buffer(make([]byte, 4096), 64*1024)
	for sc.Scan() {
		l := sc.Text()
		switch {
		case l == "END":
			return nil
		case strings.HasPrefix(l, "ERROR"), strings.HasPrefix(l, "CLIENT_ERROR"), strings.HasPrefix(l, "SERVER_ERROR"),
			strings.HasPrefix(l, "BUSY"): // the crawler is busy with another listing
			return fmt.Errorf("%s: %s", cmd, l)
		}
		line(l)
	}
	if err := sc.Err(); err != nil {
		return err
	}
	return fmt.Errorf("%s: connection closed before END", cmd)
}
