// Package web holds what every handler shares: the one page-vs-fragment
// decision, the buffered render helper, htmx-aware redirects, the one
// mapping from errors to statuses, and the signed-in user of a request.
package web

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"

	"github.com/a-h/templ"
	"github.com/gin-gonic/gin"

	"github.com/thingplus/thingplus-webapp/views/layout"
)

// Page describes the page around a body: its title, the active nav entry and
// whether it needs the SSE extension.
type Page struct {
	Title  string
	Active string
	SSE    bool
	Flash  layout.Notice
}

// Header names used by htmx.
const (
	HeaderRequest        = "HX-Request"
	HeaderBoosted        = "HX-Boosted"
	HeaderHistoryRestore = "HX-History-Restore-Request"
	HeaderRedirect       = "HX-Redirect"
	HeaderTrigger        = "HX-Trigger"
	HeaderTarget         = "HX-Target"
)

// IsFragment is THE page-vs-fragment decision: a fragment iff the request
// comes from htmx and is neither boosted nor a history restore.
func IsFragment(c *gin.Context) bool {
	h := c.Request.Header
	return h.Get(HeaderRequest) == "true" && h.Get(HeaderBoosted) != "true" && h.Get(HeaderHistoryRestore) != "true"
}

// Render sends body alone to htmx and body inside the page shell otherwise.
func Render(c *gin.Context, status int, p Page, body templ.Component) {
	c.Header("Vary", HeaderRequest)
	if IsFragment(c) {
		Component(c, status, body)
		return
	}
	Component(c, status, layout.Page(shellOf(c, p), body))
}

// Component renders one component, buffered: a render error becomes a clean
// 500, never half a table with 200. Rendering does no I/O, so it runs
// detached from the request's cancellation: a page whose budget is spent
// still shows what arrived, and a client that left is not a render failure.
func Component(c *gin.Context, status int, comp templ.Component) {
	var buf bytes.Buffer
	if err := comp.Render(context.WithoutCancel(c.Request.Context()), &buf); err != nil {
		slog.ErrorContext(c.Request.Context(), "render failed", "err", err, "path", c.FullPath())
		c.Data(http.StatusInternalServerError, "text/plain; charset=utf-8", []byte("Internal error"))
		return
	}
	c.Data(status, "text/html; charset=utf-8", buf.Bytes())
}

// Redirect sends the browser to url: 303 for normal requests, HX-Redirect
// for htmx (a 30x would be followed by XHR and swap the target page into
// the panel).
func Redirect(c *gin.Context, url string) {
	if c.GetHeader(HeaderRequest) == "true" {
		c.Header(HeaderRedirect, url)
		c.Status(http.StatusNoContent)
		return
	}
	c.Redirect(http.StatusSeeOther, url)
}

// shellKey holds the request's shell defaults, set by a middleware.
type shellKey struct{}

// WithShell stores the shell's defaults (assets, sandbox flag) for Render.
func WithShell(base layout.Shell) gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Request = c.Request.WithContext(context.WithValue(c.Request.Context(), shellKey{}, base))
		c.Next()
	}
}

func shellOf(c *gin.Context, p Page) layout.Shell {
	s, _ := c.Request.Context().Value(shellKey{}).(layout.Shell)
	s.Title, s.Active, s.SSE, s.Flash = p.Title, p.Active, p.SSE, p.Flash
	s.Theme, s.Path = ThemeOf(c), c.Request.URL.RequestURI()
	if u, ok := UserOf(c); ok {
		s.User = &layout.User{Name: u.DisplayName(), LoginID: u.LoginID}
		if e, ok := expiringOf(c); ok {
			s.User.Expiring = &layout.Expiring{Left: e.Left, RenewURL: e.RenewURL}
		}
	}
	return s
}

// ThemeCookie holds the chosen theme ("light" or "dark"; absent = system).
const ThemeCookie = "theme"

// ThemeOf is the request's chosen theme, "" for the system's.
func ThemeOf(c *gin.Context) string {
	v, _ := c.Cookie(ThemeCookie)
	return layout.ThemeOf(v)
}

const quietKey = "web.quiet"

// Quiet keeps a successful request out of the info-level request log (it
// goes at debug): a machine's routine call, such as a counted push, that
// would arrive thousands of times a second and has its own record (the
// trains event log). Failures are logged as usual.
func Quiet(c *gin.Context) { c.Set(quietKey, true) }

// IsQuiet reports whether the handler asked for Quiet.
func IsQuiet(c *gin.Context) bool { return c.GetBool(quietKey) }
