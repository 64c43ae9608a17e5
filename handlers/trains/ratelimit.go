package trains

import (
	"sync"
	"time"
)

// DefaultRejectRate is WEBHOOK_RATE's default: refused pushes per second
// one address may cause before it gets 429.
const DefaultRejectRate = 50

// blockFor is how long an address over the rate gets 429 for refused pushes.
const blockFor = 5 * time.Second

// maxTracked bounds the addresses the limiter remembers (a flood from many
// addresses cannot grow it without end).
const maxTracked = 10000

// limiter counts refused pushes per source address. It only ever turns a
// refusal into a 429: valid pushes never ask it (Thing+ sends every push
// from a few addresses, and a flood beside them must not stop them). Its
// state is per instance, which is enough to shed a flood.
type limiter struct {
	rate int
	now  func() time.Time
	mu   sync.Mutex
	m    map[string]*addrState
}

type addrState struct {
	second  int64 // unix second the count is for
	count   int
	blocked time.Time // 429 until then
}

func newLimiter(rate int, now func() time.Time) *limiter {
	return &limiter{rate: rate, now: now, m: map[string]*addrState{}}
}

// refuse records one refused push from addr and says whether it is to be
// answered 429 instead, and for how long.
func (l *limiter) refuse(addr string) (bool, time.Duration) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	st := l.m[addr]
	if st == nil {
		if len(l.m) >= maxTracked {
			l.prune(now)
		}
		st = &addrState{}
		l.m[addr] = st
	}
	if now.Before(st.blocked) {
		return true, st.blocked.Sub(now)
	}
	if sec := now.Unix(); sec != st.second {
		st.second, st.count = sec, 0
	}
	st.count++
	if st.count > l.rate {
		st.blocked = now.Add(blockFor)
		return true, blockFor
	}
	return false, 0
}

// prune forgets addresses that are neither blocked nor counted this second;
// if that is not enough, it forgets everyone.
func (l *limiter) prune(now time.Time) {
	for a, st := range l.m {
		if !now.Before(st.blocked) && st.second != now.Unix() {
			delete(l.m, a)
		}
	}
	if len(l.m) >= maxTracked {
		clear(l.m)
	}
}

// legacyUse remembers, per train, when the legacy shared key last moved a
// count, so the owner is warned that rules still use it. Per instance and
// only a hint.
type legacyUse struct {
	mu sync.Mutex
	m  map[int64]time.Time
}

func (u *legacyUse) mark(train int64, t time.Time) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.m == nil {
		u.m = map[int64]time.Time{}
	}
	u.m[train] = t
}

// since reports whether the legacy key moved a count of train after t.
func (u *legacyUse) since(train int64, t time.Time) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.m[train].After(t)
}
