package web

import (
	"time"

	"github.com/gin-gonic/gin"

	"github.com/thingplus/thingplus-webapp/thingplus"
)

const (
	userKey     = "web.user"
	tokenKey    = "web.token"
	expiringKey = "web.expiring"
)

// Expiring says the user's Thing+ token runs out soon.
type Expiring struct {
	Left     time.Duration
	RenewURL string // sign in again and come back here
}

// SetExpiring makes the page header offer to sign in again.
func SetExpiring(c *gin.Context, e Expiring) { c.Set(expiringKey, e) }

func expiringOf(c *gin.Context) (Expiring, bool) {
	v, ok := c.Get(expiringKey)
	if !ok {
		return Expiring{}, false
	}
	e, ok := v.(Expiring)
	return e, ok
}

// SetSignedIn records the signed-in user and their Thing+ token on the
// request (the auth middleware does this from the session).
func SetSignedIn(c *gin.Context, u thingplus.User, token string) {
	c.Set(userKey, u)
	c.Set(tokenKey, token)
}

// UserOf returns the signed-in user.
func UserOf(c *gin.Context) (thingplus.User, bool) {
	v, ok := c.Get(userKey)
	if !ok {
		return thingplus.User{}, false
	}
	u, ok := v.(thingplus.User)
	return u, ok
}

// TokenOf returns the signed-in user's Thing+ access token (server-side only:
// never put it in a page).
func TokenOf(c *gin.Context) string { return c.GetString(tokenKey) }
