package thingplus

import "context"

// The rules API through the per-user cache: the list is kept for the
// cache's TTL (the rules page and its filters, polled and re-filtered,
// would otherwise fetch and decode every rule on every keystroke), and
// every change made through here drops the user's entries, so the user's
// own change shows at once. Changes made elsewhere (the Thing+ portal)
// show within the TTL.

// ListRules is Client.ListRules, cached per user. The slice is shared:
// callers must not modify it (copy before sorting).
func (cc *Cached) ListRules(ctx context.Context, token string) ([]Rule, error) {
	return cached(cc, userKey(token, "rules"), func() ([]Rule, error) { return cc.c.ListRules(ctx, token) })
}

// GetRule is Client.GetRule (not cached: it is read before an edit).
func (cc *Cached) GetRule(ctx context.Context, token, id string) (Rule, error) {
	return cc.c.GetRule(ctx, token, id)
}

// CreateRule is Client.CreateRule; it drops the user's cached entries.
func (cc *Cached) CreateRule(ctx context.Context, token string, r Rule) (Rule, error) {
	defer cc.Invalidate(token)
	return cc.c.CreateRule(ctx, token, r)
}

// UpdateRule is Client.UpdateRule; it drops the user's cached entries.
func (cc *Cached) UpdateRule(ctx context.Context, token string, r Rule) (Rule, error) {
	defer cc.Invalidate(token)
	return cc.c.UpdateRule(ctx, token, r)
}

// DeleteRule is Client.DeleteRule; it drops the user's cached entries.
func (cc *Cached) DeleteRule(ctx context.Context, token, id string) error {
	defer cc.Invalidate(token)
	return cc.c.DeleteRule(ctx, token, id)
}
