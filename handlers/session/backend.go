package session

import (
	"errors"
	"net"
	"sync"
	"time"

	"github.com/bradfitz/gomemcache/memcache"
	gsm "github.com/bradleypeabody/gorilla-sessions-memcache"
)

// memcacheBackend talks to memcached with a short timeout (100 ms) and one
// retry after a timeout: a busy host can miss one deadline, and a retry is
// cheaper for the user than a 503; a memcached that is really down or hung
// still answers within ~200 ms.
type memcacheBackend struct {
	*gsm.GoMemcacher
	mc      *memcache.Client
	onError func(op string) // metrics; nil: none
}

// observe reports a failed operation (a miss is an answer, not a failure)
// and returns err unchanged.
func (m *memcacheBackend) observe(op string, err error) {
	if err != nil && m.onError != nil && !errors.Is(err, memcache.ErrCacheMiss) && !errors.Is(err, memcache.ErrNotStored) {
		m.onError(op)
	}
}

func (m *memcacheBackend) Get(key string) (val string, flags uint32, cas uint64, err error) {
	defer func() { m.observe("get", err) }()
	for try := 0; try < 2; try++ {
		if val, flags, cas, err = m.GoMemcacher.Get(key); !isTimeout(err) {
			return
		}
	}
	return
}

func (m *memcacheBackend) Set(key, val string, flags, exp uint32, ocas uint64) (cas uint64, err error) {
	defer func() { m.observe("set", err) }()
	for try := 0; try < 2; try++ {
		if cas, err = m.GoMemcacher.Set(key, val, flags, exp, ocas); !isTimeout(err) {
			return
		}
	}
	return
}

func (m *memcacheBackend) Delete(key string) (err error) {
	defer func() { m.observe("delete", err) }()
	for try := 0; try < 2; try++ {
		if err = m.mc.Delete(key); !isTimeout(err) {
			return
		}
	}
	return
}

func isTimeout(err error) bool {
	if err == nil {
		return false
	}
	var ct *memcache.ConnectTimeoutError
	var ne net.Error
	return errors.As(err, &ct) || (errors.As(err, &ne) && ne.Timeout())
}

func (m *memcacheBackend) Ping() (err error) {
	defer func() { m.observe("ping", err) }()
	return m.mc.Ping()
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
