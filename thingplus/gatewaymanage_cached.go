package thingplus

import (
	"context"
	"time"
)

// Gateway management through the cache: each write goes straight to
// Thing+ and then drops the user's cached reads (whatever its outcome: a
// timeout may still have changed something), so the table shows the change
// at once. Sites are cached per user like other reads.

// Sites is Client.Sites, cached per user.
func (cc *Cached) Sites(ctx context.Context, token string) ([]Site, error) {
	return cached(cc, userKey(token, "sites"), func() ([]Site, error) { return cc.c.Sites(ctx, token) })
}

// RegisterGateway is Client.RegisterGateway; it invalidates the user's entries.
func (cc *Cached) RegisterGateway(ctx context.Context, token string, r Registration) (Gateway, error) {
	defer cc.Invalidate(token)
	return cc.c.RegisterGateway(ctx, token, r)
}

// UpdateGateway is Client.UpdateGateway; it invalidates the user's entries.
func (cc *Cached) UpdateGateway(ctx context.Context, token, id string, u GatewayUpdate) (Gateway, error) {
	defer cc.Invalidate(token)
	return cc.c.UpdateGateway(ctx, token, id, u)
}

// SetReportInterval is Client.SetReportInterval; it invalidates the user's entries.
func (cc *Cached) SetReportInterval(ctx context.Context, token, id string, every time.Duration) error {
	defer cc.Invalidate(token)
	return cc.c.SetReportInterval(ctx, token, id, every)
}

// DeleteGateway is Client.DeleteGateway; it invalidates the user's entries.
func (cc *Cached) DeleteGateway(ctx context.Context, token, id string) error {
	defer cc.Invalidate(token)
	return cc.c.DeleteGateway(ctx, token, id)
}
