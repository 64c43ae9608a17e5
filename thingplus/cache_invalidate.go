package thingplus

import "strings"

// Invalidate drops every per-user entry of token's user, so the next read
// after a change (a gateway registered, renamed or deleted) asks Thing+
// again. The global catalogues are kept. It returns how many entries went.
func (cc *Cached) Invalidate(token string) int {
	prefix := userKey(token) // the hash of the token and "|": every key of this user starts so
	cc.mu.Lock()
	defer cc.mu.Unlock()
	n := 0
	for key, el := range cc.items {
		if strings.HasPrefix(key, prefix) {
			cc.lru.Remove(el)
			delete(cc.items, key)
			n++
		}
	}
	return n
}
