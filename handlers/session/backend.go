package session

import (
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/bradfitz/gomemcache/memcache"
)

// Memcached settings: a short timeout (a stalled server costs one timeout
// per request, then 503), and an idle pool as large as peak concurrency.
const (
	mcTimeout      = 100 * time.Millisecond
	mcMaxIdleConns = 256
)

// memcacheBackend keeps each session on two servers when it has two or
// more (one otherwise): written to both, read from both at once (the first
// copy found wins), and copied back to a server that had lost it.
// Killing and restarting any one memcached therefore signs no one out.
//
// Each server has its own connection pool. After a restart every pooled
// connection is dead: the first operation that meets one (EOF, reset,
// broken pipe) drops the whole pool and retries once on a fresh
// connection, so a restart costs no failed requests. A timeout is never
// retried and opens the server's circuit until it answers a ping again
// (see mcServer.do): a hung server costs a request at most one timeout.
type memcacheBackend struct {
	last    atomic.Int64 // the newest stamp given, so stamps never repeat or go back
	servers []*mcServer
	onError func(op string) // told each failed operation of one server (metrics); nil: none
	log     *slog.Logger    // resyncs after a restart (resync.go)
}

// observe reports one server's failed operation; a miss is an answer, not
// a failure.
func (b *memcacheBackend) observe(op string, err error) {
	if err != nil && b.onError != nil && !errors.Is(err, memcache.ErrCacheMiss) && !errors.Is(err, memcache.ErrNotStored) {
		b.onError(op)
	}
}

// stamped is a stored value with the time it was written: "tp1", 16 hex
// digits of Unix nanoseconds, "s" (a session) or "d" (signed out), then
// the session. A value without the prefix (written before stamps) is the
// oldest of all.
type stamped struct {
	at      int64
	deleted bool
	val     string
}

const stampMagic = "tp1"

// stamp encodes val with a stamp newer than any this process gave before.
// Instances stamp with their own clocks: a session is changed at human
// pace, far slower than the clock skew between servers.
func (b *memcacheBackend) stamp(deleted bool, val string) string {
	now := time.Now().UnixNano()
	for {
		last := b.last.Load()
		at := max(now, last+1)
		if b.last.CompareAndSwap(last, at) {
			kind := "s"
			if deleted {
				kind = "d"
			}
			return fmt.Sprintf("%s%016x%s%s", stampMagic, at, kind, val)
		}
	}
}

func unstamp(raw string) stamped {
	const head = len(stampMagic) + 16 + 1
	if len(raw) < head || !strings.HasPrefix(raw, stampMagic) {
		return stamped{val: raw}
	}
	at, err := strconv.ParseInt(raw[len(stampMagic):len(stampMagic)+16], 16, 64)
	kind := raw[head-1]
	if err != nil || (kind != 's' && kind != 'd') {
		return stamped{val: raw}
	}
	return stamped{at: at, deleted: kind == 'd', val: raw[head:]}
}

func newMemcacheBackend(addrs []string, timeout time.Duration, onError func(op string), log *slog.Logger) *memcacheBackend {
	if timeout <= 0 {
		timeout = mcTimeout
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	b := &memcacheBackend{onError: onError, log: log}
	for _, a := range addrs {
		s := &mcServer{addr: a, timeout: timeout, tripped: make(chan struct{})}
		s.mc = s.newClient()
		s.alive, s.woke = b.alive, b.woke
		b.servers = append(b.servers, s)
	}
	return b
}

// replicas are the servers that hold key: its home and the next one.
func (b *memcacheBackend) replicas(key string) []*mcServer {
	n := len(b.servers)
	i := int(crc32.ChecksumIEEE([]byte(key)) % uint32(n))
	if n == 1 {
		return b.servers[i : i+1]
	}
	return []*mcServer{b.servers[i], b.servers[(i+1)%n]}
}

// Get asks both servers of key at once and answers with the newest copy
// (values carry the time they were written, see stamped), so a server that
// missed a change or a sign-out while it hung cannot bring back an older
// session. A hung server costs at most the one timeout that opens its
// circuit; after that it fails at once and the other answers alone.
// A server holding an older copy or none while the other had one is
// repaired in the background, so a later restart of the other signs no
// one out either. A sign-out is a tombstone, read as "no such session".
func (b *memcacheBackend) Get(key string) (val string, flags uint32, cas uint64, err error) {
	rs := b.replicas(key)
	type answer struct {
		s   *mcServer
		it  *memcache.Item
		v   stamped
		err error
	}
	ch := make(chan answer, len(rs))
	for _, s := range rs {
		go func() {
			var it *memcache.Item
			err := s.do(func(mc *memcache.Client) (e error) { it, e = mc.Get(key); return })
			b.observe("get", err)
			a := answer{s: s, it: it, err: err}
			if err == nil {
				a.v = unstamp(string(it.Value))
			}
			ch <- a
		}()
	}
	answers := make([]answer, 0, len(rs))
	pending := slices.Clone(rs)
	var newest *answer
	var missed []string     // servers that answered "no such session"
	var hangs, errs []error // servers that did not answer: hung or slow, and all

	for len(pending) > 0 {
		// With a copy in hand, a replica still out is waited for only until
		// its circuit opens: a server that hangs costs the read nothing
		// once it is known to hang. A tombstone needs no second opinion
		// (a signed-out session id is never used again).
		var hung <-chan struct{}
		if newest != nil {
			if newest.v.deleted {
				break
			}
			hung = pending[0].trippedCh()
		}
		var a answer
		select {
		case a = <-ch:
		case <-hung:
			pending = nil
			continue
		}
		pending = slices.DeleteFunc(pending, func(s *mcServer) bool { return s == a.s })
		answers = append(answers, a)
		switch {
		case a.err == nil:
			if newest == nil || a.v.at > newest.v.at {
				newest = &answers[len(answers)-1]
			}
		case errors.Is(a.err, memcache.ErrCacheMiss):
			missed = append(missed, a.s.addr)
		default:
			e := fmt.Errorf("%s: %w", a.s.addr, a.err)
			errs = append(errs, e)
			if isTimeout(a.err) || errors.Is(a.err, errHung) {
				hangs = append(hangs, e)
			}
		}
	}
	if newest != nil {
		// Repair every replica that answered (or answers later: the ones
		// not waited for) with no copy or an older one.
		best := *newest
		late := len(rs) - len(answers)
		go func() {
			for range late {
				answers = append(answers, <-ch)
			}
			for _, a := range answers {
				if a.s != best.s && (errors.Is(a.err, memcache.ErrCacheMiss) || (a.err == nil && a.v.at < best.v.at)) {
					a.s.repair(best.it, a.err == nil)
				}
			}
		}()
		if best.v.deleted {
			return "", 0, 0, memcache.ErrCacheMiss
		}
		return best.v.val, best.it.Flags, 0, nil
	}
	if len(missed) > 0 && len(hangs) > 0 {
		// One server lost it (it restarted) while the other, which may well
		// hold it, is too slow to say: a moment's 503, not a sign-out.
		return "", 0, 0, errors.Join(append(hangs, fmt.Errorf("%s: no copy (restarted?)", strings.Join(missed, ", ")))...)
	}
	if len(missed) > 0 {
		// The other server is gone (refused, reset): the one that answered
		// "no such session" is believed, and the visitor is signed out.
		return "", 0, 0, memcache.ErrCacheMiss
	}
	return "", 0, 0, errors.Join(errs...)
}

// Set writes key to both of its servers at once; it fails only when
// neither took it.
func (b *memcacheBackend) Set(key, val string, flags, exp uint32, ocas uint64) (uint64, error) {
	it := &memcache.Item{Key: key, Value: []byte(b.stamp(false, val)), Flags: flags, Expiration: int32(exp)}
	return ocas, b.each("set", key, func(mc *memcache.Client) error { return mc.Set(it) })
}

// Delete signs a session out on both servers. With two servers it writes a
// tombstone rather than deleting: a server that hung through the sign-out
// still holds the session, and only a newer tombstone on the other keeps
// that copy from coming back when it wakes.
func (b *memcacheBackend) Delete(key string) error {
	if len(b.servers) == 1 {
		return b.each("delete", key, func(mc *memcache.Client) error {
			if err := mc.Delete(key); err != nil && !errors.Is(err, memcache.ErrCacheMiss) {
				return err
			}
			return nil
		})
	}
	it := &memcache.Item{Key: key, Value: []byte(b.stamp(true, "")), Expiration: MaxAge}
	return b.each("delete", key, func(mc *memcache.Client) error { return mc.Set(it) })
}

// each runs f on every server of key in parallel; nil when one succeeded.
func (b *memcacheBackend) each(op, key string, f func(*memcache.Client) error) error {
	rs := b.replicas(key)
	errs := make([]error, len(rs))
	var wg sync.WaitGroup
	for i, s := range rs {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = s.do(f); b.observe(op, errs[i]) }()
	}
	wg.Wait()
	for _, e := range errs {
		if e == nil {
			return nil
		}
	}
	return errors.Join(errs...)
}

// Ping is nil while every session has a reachable server: with two or
// more servers one may be down.
func (b *memcacheBackend) Ping() error {
	var errs []error
	for _, s := range b.servers {
		if err := s.do(func(mc *memcache.Client) error { return mc.Ping() }); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) == len(b.servers) || (len(errs) > 0 && len(b.servers) == 1) {
		return errors.Join(errs...)
	}
	return nil
}

// mcServer is one memcached with its own connection pool and a circuit
// breaker for hangs.
type mcServer struct {
	addr    string
	timeout time.Duration
	mu      sync.Mutex
	mc      *memcache.Client
	// hung is the open circuit: an operation timed out and the server has
	// not answered since. Operations fail at once while it is set, so a
	// stalled memcached costs each request at most the one timeout that
	// was already running when it stalled, and a replica's reads nothing.
	hung atomic.Bool
	// tripped is closed when the circuit opens (and replaced when it
	// closes), so reads waiting on this server stop waiting at once.
	tripMu  sync.Mutex
	tripped chan struct{}
	// alive is told each operation the server answered (resync.go), and
	// watch is what it keeps; woke is told when the circuit closes, with
	// how long it was open.
	alive     func(*mcServer)
	watch     watch
	woke      func(*mcServer, time.Duration)
	trippedAt time.Time // when the circuit last opened (under tripMu)
}

func (s *mcServer) trippedCh() <-chan struct{} {
	s.tripMu.Lock()
	defer s.tripMu.Unlock()
	return s.tripped
}

// probeGap is the pause between two pings of a hung server: with the
// ping's own timeout, a server that answers again is used again within
// about mcTimeout+probeGap.
const probeGap = 20 * time.Millisecond

// errHung is the answer while a server's circuit is open.
var errHung = errors.New("not answering (timed out, retrying in the background)")

func (s *mcServer) newClient() *memcache.Client {
	mc := memcache.New(s.addr)
	mc.Timeout = s.timeout
	mc.MaxIdleConns = mcMaxIdleConns
	return mc
}

func (s *mcServer) client() *memcache.Client {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mc
}

// do runs f unless the server hangs. A timeout is never retried: it opens
// the circuit (see trip), and the request answers with it. A dead pooled
// connection (the server restarted) drops the pool, and f is tried once
// more on a fresh connection.
func (s *mcServer) do(f func(*memcache.Client) error) error {
	if s.hung.Load() {
		return errHung
	}
	mc := s.client()
	err := f(mc)
	if connLost(err) {
		s.mu.Lock()
		if s.mc == mc { // not replaced by a concurrent caller already
			s.mc = s.newClient()
			go mc.Close() // its idle connections are dead anyway
		}
		fresh := s.mc
		s.mu.Unlock()
		err = f(fresh)
	}
	if isTimeout(err) {
		s.trip()
	}
	if err == nil || errors.Is(err, memcache.ErrCacheMiss) || errors.Is(err, memcache.ErrNotStored) {
		s.alive(s)
	}
	return err
}

// trip opens the circuit and starts the one prober that closes it again.
// A busy host that merely missed one deadline answers the first ping, so
// its circuit is open for a few milliseconds only.
func (s *mcServer) trip() {
	if s.hung.CompareAndSwap(false, true) {
		s.tripMu.Lock()
		close(s.tripped)
		s.trippedAt = time.Now()
		s.tripMu.Unlock()
		go s.probe()
	}
}

// probe pings the server until it answers without timing out. Any answer
// closes the circuit, also a refused connection: the circuit is only for
// hangs, and a server that refuses fails fast by itself.
func (s *mcServer) probe() {
	for {
		err := s.client().Ping()
		if !isTimeout(err) {
			s.tripMu.Lock()
			s.tripped = make(chan struct{})
			hung := time.Since(s.trippedAt)
			s.tripMu.Unlock()
			s.hung.Store(false)
			s.woke(s, hung)
			return
		}
		time.Sleep(probeGap)
	}
}

// repair copies the newest copy of a session to a server that had lost it
// (Add: never over a copy written meanwhile) or held an older one (Set: a
// copy written meanwhile is also on the other server, where reads find it
// as the newest).
func (s *mcServer) repair(it *memcache.Item, older bool) {
	cp := *it
	cp.Expiration = MaxAge
	_ = s.do(func(mc *memcache.Client) error {
		if older {
			return mc.Set(&cp)
		}
		return mc.Add(&cp)
	})
}

func isTimeout(err error) bool {
	if err == nil {
		return false
	}
	var ct *memcache.ConnectTimeoutError
	var ne net.Error
	return errors.As(err, &ct) || (errors.As(err, &ne) && ne.Timeout())
}

// connLost reports a connection that died under us (the server restarted
// or closed it), as opposed to a timeout or a memcached answer.
func connLost(err error) bool {
	if err == nil {
		return false
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return false
	}
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, net.ErrClosed)
}

// memoryBackend stands in for memcached on a single developer machine. It
// honours expiry like memcached (seconds, relative) and forgets expired
// items lazily and on a sweep.
type memoryBackend struct {
	mu    sync.Mutex
	items map[string]memItem
	sets  int
}

type memItem struct {
	val     string
	expires time.Time // zero: never
}

func newMemoryBackend() *memoryBackend { return &memoryBackend{items: map[string]memItem{}} }

func (m *memoryBackend) Get(key string) (string, uint32, uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	it, ok := m.items[key]
	if !ok || (!it.expires.IsZero() && time.Now().After(it.expires)) {
		delete(m.items, key)
		return "", 0, 0, memcache.ErrCacheMiss
	}
	return it.val, 0, 0, nil
}

func (m *memoryBackend) Set(key, val string, _ uint32, exp uint32, ocas uint64) (uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	it := memItem{val: val}
	if exp > 0 {
		it.expires = time.Now().Add(time.Duration(exp) * time.Second)
	}
	m.items[key] = it
	if m.sets++; m.sets%1024 == 0 {
		m.sweepLocked()
	}
	return ocas, nil
}

func (m *memoryBackend) Delete(key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.items[key]; !ok {
		return memcache.ErrCacheMiss
	}
	delete(m.items, key)
	return nil
}

func (m *memoryBackend) Ping() error { return nil }

func (m *memoryBackend) sweepLocked() {
	now := time.Now()
	for k, it := range m.items {
		if !it.expires.IsZero() && now.After(it.expires) {
			delete(m.items, k)
		}
	}
}
