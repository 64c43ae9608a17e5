package handlers

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
)

// DefaultBudget is a request's deadline when Deps.Budget is zero.
const DefaultBudget = 5 * time.Second

// Server limits. A request's headers and body must arrive within
// ReadTimeout (a client sending a byte a second is dropped after it), so
// a slow sender holds a connection for seconds, not half a minute.
const (
	ReadHeaderTimeout = 5 * time.Second
	ReadTimeout       = 10 * time.Second
	WriteTimeout      = 60 * time.Second // cleared by the live stream
	IdleTimeout       = 120 * time.Second
)

// NewServer is the http.Server every listener of the binary uses: the
// limits above, and HEAD answered wherever GET is.
func NewServer(h http.Handler) *http.Server {
	return &http.Server{Handler: AllowHEAD(h), ReadHeaderTimeout: ReadHeaderTimeout, ReadTimeout: ReadTimeout,
		WriteTimeout: WriteTimeout, IdleTimeout: IdleTimeout, MaxHeaderBytes: 64 << 10}
}

// AllowHEAD serves HEAD as GET. net/http still knows the request was HEAD:
// it sends the headers and discards the body (writes fail, so a live
// stream ends at once).
func AllowHEAD(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodHead {
			r = r.WithContext(r.Context())
			r.Method = http.MethodGet
		}
		h.ServeHTTP(w, r)
	})
}

// renderReserve is the part of the budget kept for answering: waits for
// Thing+ end this much before the budget, so that rendering what arrived
// (a few ms; tens of ms under the race detector or on a busy machine, with
// several pages rendering at once) still fits in it. Without it every
// page that waited for Thing+ answered after its deadline, by its render
// time.
const renderReserve = 50 * time.Millisecond

// requestBudget gives every request one deadline: Thing+ calls made with
// the request's context end by it (less renderReserve), and the handler
// renders what arrived. Live streams (skip) are exempt.
func requestBudget(d time.Duration, skip ...string) gin.HandlerFunc {
	if d <= 0 {
		d = DefaultBudget
	}
	d -= min(renderReserve, d/10)
	return func(c *gin.Context) {
		for _, p := range skip {
			if strings.HasSuffix(c.Request.URL.Path, p) {
				c.Next()
				return
			}
		}
		ctx, cancel := context.WithTimeout(c.Request.Context(), d)
		defer cancel()
		c.Request = c.Request.WithContext(ctx)
		c.Next()
	}
}
