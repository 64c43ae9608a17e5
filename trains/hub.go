package trains

import (
	"sync"
	"sync/atomic"
)

// Update is one committed change, published after commit.
type Update struct {
	Seq       uint64 // version of the store after this change; increases by one per update
	Cars      []Car  // cars whose count or settings changed, as committed
	Structure bool   // trains, car order or door assignments changed: redraw from a snapshot
	Access    bool   // owners or shares changed: live streams check their access again
}

// Hub fans committed changes out to live subscribers. Publishing never
// blocks: a subscriber that falls behind loses updates and is told to resync
// from a snapshot instead.
type Hub struct {
	mu      sync.RWMutex
	subs    map[*Subscription]struct{}
	closed  bool
	dropped atomic.Uint64
}

// NewHub returns an empty hub.
func NewHub() *Hub { return &Hub{subs: map[*Subscription]struct{}{}} }

// Subscription receives updates until Close.
type Subscription struct {
	h      *Hub
	c      chan Update
	resync chan struct{}
	once   sync.Once
}

// DefaultSubscriptionBuffer is how many updates a subscriber may lag behind
// before it has to resync.
const DefaultSubscriptionBuffer = 256

// Subscribe registers a subscriber with room for buf pending updates
// (DefaultSubscriptionBuffer if buf <= 0). Subscribe before reading the
// snapshot, so no change falls between the two.
func (h *Hub) Subscribe(buf int) *Subscription {
	if buf <= 0 {
		buf = DefaultSubscriptionBuffer
	}
	s := &Subscription{h: h, c: make(chan Update, buf), resync: make(chan struct{}, 1)}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		close(s.c)
		return s
	}
	h.subs[s] = struct{}{}
	return s
}

// Updates delivers updates in order. It is closed when the hub closes.
func (s *Subscription) Updates() <-chan Update { return s.c }

// Resync is signalled when updates were dropped because the subscriber fell
// behind: it should drain Updates and send a fresh snapshot.
func (s *Subscription) Resync() <-chan struct{} { return s.resync }

// Close unregisters the subscription.
func (s *Subscription) Close() {
	s.once.Do(func() {
		s.h.mu.Lock()
		defer s.h.mu.Unlock()
		if _, ok := s.h.subs[s]; ok {
			delete(s.h.subs, s)
			close(s.c)
		}
	})
}

// Publish sends u to every subscriber without blocking.
func (h *Hub) Publish(u Update) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	for s := range h.subs {
		select {
		case s.c <- u:
		default:
			h.dropped.Add(1)
			select {
			case s.resync <- struct{}{}:
			default:
			}
		}
	}
}

// Subscribers is the number of live subscriptions.
func (h *Hub) Subscribers() int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return len(h.subs)
}

// Dropped counts updates lost to slow subscribers.
func (h *Hub) Dropped() uint64 { return h.dropped.Load() }

// Close ends every subscription (their Updates channels close).
func (h *Hub) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	h.closed = true
	for s := range h.subs {
		close(s.c)
		delete(h.subs, s)
	}
}
