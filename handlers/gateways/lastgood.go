package gateways

import (
	"container/list"
	"sync"
	"time"
)

// lastGood keeps each user's last good data per view, bounded (least
// recently used entries go first), so an upstream outage shows "as of …"
// rather than an empty panel.
type lastGood struct {
	mu    sync.Mutex
	max   int
	lru   *list.List
	items map[string]*list.Element
}

type goodEntry struct {
	key string
	val any
	at  time.Time
}

func newLastGood(max int) *lastGood {
	return &lastGood{max: max, lru: list.New(), items: map[string]*list.Element{}}
}

func (l *lastGood) put(key string, val any, at time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if el, ok := l.items[key]; ok {
		e := el.Value.(*goodEntry)
		e.val, e.at = val, at
		l.lru.MoveToFront(el)
		return
	}
	l.items[key] = l.lru.PushFront(&goodEntry{key: key, val: val, at: at})
	for l.lru.Len() > l.max {
		last := l.lru.Back()
		l.lru.Remove(last)
		delete(l.items, last.Value.(*goodEntry).key)
	}
}

func (l *lastGood) get(key string) (any, time.Time, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	el, ok := l.items[key]
	if !ok {
		return nil, time.Time{}, false
	}
	l.lru.MoveToFront(el)
	e := el.Value.(*goodEntry)
	return e.val, e.at, true
}

func (l *lastGood) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lru.Len()
}

// lastOf is a typed get.
func lastOf[T any](l *lastGood, key string) (T, time.Time, bool) {
	v, at, ok := l.get(key)
	if !ok {
		var zero T
		return zero, at, false
	}
	t, ok := v.(T)
	return t, at, ok
}
