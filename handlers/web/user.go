package web

import (
	"github.com/gin-gonic/gin"

	"github.com/thingplus/thingplus-webapp/thingplus"
)

const (
	userKey  = "web.user"
	tokenKey = "web.token"
)

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
