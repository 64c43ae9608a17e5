package handlers

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/thingplus/thingplus-webapp/handlers/web"
	"github.com/thingplus/thingplus-webapp/views/layout"
	"github.com/thingplus/thingplus-webapp/views/text"
)

// themeMaxAge keeps the theme choice for a year.
const themeMaxAge = 365 * 24 * 3600

// setTheme is POST /theme: a plain form (no script needed) that keeps the
// choice in a cookie and returns to the page it came from.
func setTheme(secure bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		t := layout.ThemeOf(c.PostForm("theme"))
		if t == "" {
			c.SetSameSite(http.SameSiteLaxMode)
			c.SetCookie(web.ThemeCookie, "", -1, "/", "", secure, true)
		} else {
			c.SetSameSite(http.SameSiteLaxMode)
			c.SetCookie(web.ThemeCookie, t, themeMaxAge, "/", "", secure, true)
		}
		web.Redirect(c, localPath(c.PostForm("back")))
	}
}

// localPath keeps a return address on this site: a path, never "//host"
// or a scheme.
func localPath(p string) string {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") || strings.ContainsAny(p, "\r\n") {
		return "/"
	}
	return p
}

// shortcutsPage lists the keyboard shortcuts (the dialog without script).
func shortcutsPage(c *gin.Context) {
	web.Render(c, http.StatusOK, web.Page{Title: text.T(c, "keys.title")}, layout.ShortcutsPage())
}

// notFound is the app's 404 for any unknown address: a real page with the
// navigation and ways on (a toast for htmx).
func notFound(c *gin.Context) {
	if web.IsFragment(c) {
		web.Component(c, http.StatusNotFound, layout.Toast(text.T(c, "err.not_found")))
		return
	}
	web.Render(c, http.StatusNotFound, web.Page{Title: text.T(c, "err.notfound.title")}, layout.NotFoundBody())
}
