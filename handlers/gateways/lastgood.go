package gateways

import (
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
)

// lastGood keeps each user's last good data per view, bounded (least
// recently used entries go first), so an upstream outage shows "as of …"
// rather than an empty panel.
type lastGood struct {
	entries *lru.Cache[string, goodEntry]
}

type goodEntry struct {
	val any
	at  time.Time
}

func newLastGood(max int) *lastGood {
	entries, err := lru.New[string, goodEntry](max)
	if err != nil {
		panic("gateways: lastGood size must be positive") // a wiring bug, caught by any test
	}
	return &lastGood{entries: entries}
}

func (l *lastGood) put(key string, val any, at time.Time) {
	l.entries.Add(key, goodEntry{val: val, at: at})
}

func (l *lastGood) get(key string) (any, time.Time, bool) {
	e, ok := l.entries.Get(key)
	return e.val, e.at, ok
}

func (l *lastGood) len() int { return l.entries.Len() }

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
