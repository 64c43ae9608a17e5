package web

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
)

// FlashCookie carries a one-shot message key across a redirect ("rules.done.created").
// The list that shows it deletes it at once, so a reload never shows it
// again and no ?done= stays in the address bar.
const FlashCookie = "flash"

// flashMaxAge bounds how long an unread flash waits (a redirect is followed at once).
const flashMaxAge = 60

// SetFlash keeps key for the next page that takes it. The key names a text
// of the catalogue; nothing secret goes in.
func SetFlash(c *gin.Context, key string) {
	c.SetSameSite(http.SameSiteLaxMode)
	c.SetCookie(FlashCookie, key, flashMaxAge, "/", "", secureRequest(c), true)
}

// TakeFlash returns the waiting flash key ("" when none) and deletes it.
// valid says which keys this page shows; any other value is dropped.
func TakeFlash(c *gin.Context, valid func(string) bool) string {
	v, err := c.Cookie(FlashCookie)
	if err != nil || v == "" {
		return ""
	}
	c.SetSameSite(http.SameSiteLaxMode)
	c.SetCookie(FlashCookie, "", -1, "/", "", secureRequest(c), true)
	if !valid(v) {
		return ""
	}
	return v
}

// secureRequest reports whether the browser reached us over https
// (directly or through a proxy that says so).
func secureRequest(c *gin.Context) bool {
	return c.Request.TLS != nil || strings.EqualFold(c.GetHeader("X-Forwarded-Proto"), "https")
}
