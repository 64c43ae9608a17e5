package thingplus

import "strings"

// Invalidate drops every per-user entry of token's user, so the next read
// after a change (a gateway registered, renamed or deleted) asks Thing+
// again. The global catalogues are kept. It returns how many entries went.
func (cc *Cached) Invalidate(token string) int {
	prefix := userKey(token) // the hash of the token and "|": every key of this user starts so
	n := 0
	for _, key := range cc.lru.Keys() {
		if strings.HasPrefix(key, prefix) && cc.lru.Remove(key) {
			n++
		}
	}
	return n
}
