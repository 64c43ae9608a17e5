package thingplus

import (
	"context"
	"net/http"
)

// User is the signed-in Thing+ account (GET /users/me, §5.2). Thing+ has no
// name field: loginId and nickname are what to show.
type User struct {
	ID       string `json:"id"`
	LoginID  string `json:"loginId"`
	Nickname string `json:"nickname"`
	Email    string `json:"email"`
	Locale   string `json:"locale"`
	Timezone string `json:"timezone"`
	Ctime    Millis `json:"ctime"`
	Mtime    Millis `json:"mtime"`
}

// DisplayName is the nickname, or the loginId when there is none.
func (u User) DisplayName() string {
	if u.Nickname != "" {
		return u.Nickname
	}
	return u.LoginID
}

// Me returns the account the token belongs to.
func (c *Client) Me(ctx context.Context, token string) (User, error) {
	var u User
	err := c.Call(ctx, Request{Method: http.MethodGet, Path: "/users/me", Token: token}, &u, nil)
	return u, err
}
