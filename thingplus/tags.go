package thingplus

import (
	"context"
	"net/http"
)

// Tags (§5.9): a tag names a set of the user's sensors. Reading them needs
// the `tag-read` scope, creating one `tag`. A gateway "has" a tag when one
// of its sensors carries it.

// Tag is one tag with the ids of its sensors.
type Tag struct {
	ID      Str      `json:"id"`
	Name    string   `json:"name"`
	Sensors []string `json:"sensors"`
	Ctime   Millis   `json:"ctime"`
	Mtime   Millis   `json:"mtime"`
}

// Tags lists the user's tags with their sensors (scope tag-read).
func (c *Client) Tags(ctx context.Context, token string) ([]Tag, error) {
	var out []Tag
	err := c.Call(ctx, Request{Method: http.MethodGet, Path: "/tags", Token: token}, &out, nil)
	return out, err
}

// CreateTag makes a tag over sensors (scope tag).
func (c *Client) CreateTag(ctx context.Context, token, name string, sensors []string) (Tag, error) {
	var out Tag
	body := map[string]any{"name": name, "sensors": sensors}
	err := c.Call(ctx, Request{Method: http.MethodPost, Path: "/tags", Token: token, Body: body}, &out, nil)
	return out, err
}

// Tags is Client.Tags, cached per user like the other reads.
func (cc *Cached) Tags(ctx context.Context, token string) ([]Tag, error) {
	return cached(cc, userKey(token, "tags"), func() ([]Tag, error) { return cc.c.Tags(ctx, token) })
}

// CreateTag is Client.CreateTag; it invalidates the user's entries.
func (cc *Cached) CreateTag(ctx context.Context, token, name string, sensors []string) (Tag, error) {
	defer cc.Invalidate(token)
	return cc.c.CreateTag(ctx, token, name, sensors)
}
