package rules

import (
	"sync"

	"github.com/thingplus/thingplus-webapp/thingplus"
	views "github.com/thingplus/thingplus-webapp/views/rules"
)

// The rules tables fragment is what htmx asks for on every filter change
// and refresh. Its inputs change rarely — the rules list (kept by the
// client cache for a few seconds, the same slice while it is fresh), the
// sensor names (kept a minute), the user's time zone and the filter — so
// the rendered bytes are kept per user and served again while all of
// them are the same. Rendering the rows, not Thing+, was most of the cost
// of /rules (see scripts/load -mode rules).

// memoKey identifies the inputs of one rendering. The slices are compared
// by identity: a new fetch is a new slice.
type memoKey struct {
	rules  *thingplus.Rule // identity of the rules slice: its first element's address
	nRules int
	names  *GatewayChoice
	loc    string
	filter views.Filter
}

type memoEntry struct {
	key  memoKey
	html []byte
}

type tablesMemo struct {
	mu    sync.Mutex
	items map[string]memoEntry // by user
}

func (m *tablesMemo) get(user string, k memoKey) ([]byte, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.items[user]
	if !ok || e.key != k {
		return nil, false
	}
	return e.html, true
}

func (m *tablesMemo) put(user string, k memoKey, html []byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.items == nil {
		m.items = map[string]memoEntry{}
	}
	if _, ok := m.items[user]; !ok && len(m.items) >= maxSnapshots {
		for u := range m.items { // any one: the memo is only a shortcut
			delete(m.items, u)
			break
		}
	}
	m.items[user] = memoEntry{key: k, html: html}
}

// first is the address of s's first element (nil when empty): the identity
// of a shared slice.
func first[T any](s []T) *T {
	if len(s) == 0 {
		return nil
	}
	return &s[0]
}
