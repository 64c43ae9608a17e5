package handlers

import (
	"compress/gzip"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/thingplus/thingplus-webapp/handlers/web"
	"github.com/thingplus/thingplus-webapp/logging"
	"github.com/thingplus/thingplus-webapp/metrics"
	"github.com/thingplus/thingplus-webapp/views/layout"
	"github.com/thingplus/thingplus-webapp/views/text"
)

// requestLog gives every request an id — the caller's X-Request-Id when it
// is sane, else a new one — echoed in the response and carried in the
// context, so every line logged with the request's context has it. It logs
// one line when the request ends and records it in the metrics under its
// route template. Query strings are not logged: they may carry keys.
func requestLog(log *slog.Logger, m *metrics.Metrics) gin.HandlerFunc {
	return func(c *gin.Context) {
		id := c.GetHeader("X-Request-Id")
		if !logging.SaneRequestID(id) {
			id = logging.NewRequestID()
		}
		c.Header("X-Request-Id", id)
		c.Request = c.Request.WithContext(logging.WithRequestID(c.Request.Context(), id))
		start := time.Now()
		client := c.Request.Context() // cancelled by net/http when the client goes away
		c.Next()
		took := time.Since(start)
		status := c.Writer.Status()
		if status >= 500 && client.Err() != nil {
			// A panel that could not load because its reader left is not a
			// failure of the app: neither the log nor the metrics say 5xx.
			status = web.StatusClientGone
		}
		m.Request(c.FullPath(), c.Request.Method, status, took)
		level := slog.LevelInfo
		if web.IsQuiet(c) && status < 400 {
			level = slog.LevelDebug
		}
		if c.GetBool(sessionOutageKey) {
			m.SessionOutage()
		}
		if c.Request.URL.Path == "/healthz" {
			return
		}
		log.LogAttrs(c.Request.Context(), level, "request",
			slog.String("method", c.Request.Method),
			slog.String("path", c.Request.URL.Path), slog.Int("status", status),
			slog.Duration("took", took))
	}
}

// recovery turns a panic into a 500 without killing the process or leaking
// the stack to the page.
func recovery(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			if r := recover(); r != nil {
				if r == http.ErrAbortHandler {
					panic(r)
				}
				log.ErrorContext(c.Request.Context(), "panic", "path", c.Request.URL.Path, "panic", r)
				c.AbortWithStatus(http.StatusInternalServerError)
			}
		}()
		c.Next()
	}
}

// securityHeaders sets the CSP (no inline script or style), framing,
// sniffing and referrer policies on every response.
func securityHeaders(hsts bool) gin.HandlerFunc {
	const csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
		"connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
	// The values are built once and shared by every response (net/http
	// only reads them): six header slices less to allocate per request.
	fixed := http.Header{
		"Content-Security-Policy":    {csp},
		"X-Content-Type-Options":     {"nosniff"},
		"X-Frame-Options":            {"DENY"},
		"Referrer-Policy":            {"same-origin"},
		"Cross-Origin-Opener-Policy": {"same-origin"},
		"Permissions-Policy":         {"camera=(), microphone=(), geolocation=()"},
	}
	if hsts {
		fixed["Strict-Transport-Security"] = []string{"max-age=31536000"}
	}
	return func(c *gin.Context) {
		h := c.Writer.Header()
		for k, v := range fixed {
			h[k] = v[:1:1] // capped: an Add by a handler copies instead of writing into the shared array
		}
		c.Next()
	}
}

// csrf refuses cross-origin state-changing requests (Go's
// CrossOriginProtection: Sec-Fetch-Site / Origin checks). The webhook is
// not behind it (a machine route, see PublicFeature): Thing+ is not a
// browser and the webhook has its own key.
func csrf() gin.HandlerFunc {
	cop := http.NewCrossOriginProtection()
	return func(c *gin.Context) {
		if err := cop.Check(c.Request); err != nil {
			c.Header("Vary", web.HeaderRequest)
			if web.IsFragment(c) {
				web.Component(c, http.StatusForbidden, layout.Toast(text.T(c, "err.csrf")))
			} else {
				web.Component(c, http.StatusForbidden, layout.ErrorBody(text.T(c, "err.title"), text.T(c, "err.csrf"), ""))
			}
			c.Abort()
			return
		}
		c.Next()
	}
}

// noStore keeps signed-in pages out of the browser cache, so the back button
// after sign-out does not show them.
func noStore(c *gin.Context) {
	c.Header("Cache-Control", "no-store")
	c.Next()
}

// gzipResponses compresses responses for clients that accept it, except the
// SSE stream (compression would buffer events), paths under the skip
// prefixes (the assets, compressed once at start) and any response that
// already has a Content-Encoding.
func gzipResponses(skip ...string) gin.HandlerFunc {
	pool := sync.Pool{New: func() any { w, _ := gzip.NewWriterLevel(io.Discard, gzip.DefaultCompression); return w }}
	return func(c *gin.Context) {
		if !strings.Contains(c.GetHeader("Accept-Encoding"), "gzip") ||
			strings.Contains(c.GetHeader("Accept"), "text/event-stream") || c.Request.Method == http.MethodHead {
			c.Next()
			return
		}
		for _, p := range skip {
			if strings.HasPrefix(c.Request.URL.Path, p) {
				c.Next()
				return
			}
		}
		gz := pool.Get().(*gzip.Writer)
		defer pool.Put(gz)
		gw := &gzipWriter{ResponseWriter: c.Writer, gz: gz}
		c.Writer = gw
		c.Next()
		gw.finish()
	}
}

// gzipWriter starts compressing at the first write, once the status and
// content type are known; tiny, empty and no-content responses stay plain.
type gzipWriter struct {
	gin.ResponseWriter
	gz      *gzip.Writer
	started bool
	plain   bool
}

func (w *gzipWriter) decide() {
	if w.started || w.plain {
		return
	}
	h := w.Header()
	ct := h.Get("Content-Type")
	if h.Get("Content-Encoding") != "" || strings.HasPrefix(ct, "text/event-stream") ||
		w.Status() == http.StatusNoContent || w.Status() == http.StatusNotModified {
		w.plain = true
		return
	}
	w.started = true
	h.Set("Content-Encoding", "gzip")
	h.Add("Vary", "Accept-Encoding")
	h.Del("Content-Length")
	w.gz.Reset(w.ResponseWriter)
}

func (w *gzipWriter) Write(b []byte) (int, error) {
	w.decide()
	if w.plain {
		return w.ResponseWriter.Write(b)
	}
	return w.gz.Write(b)
}

func (w *gzipWriter) WriteString(s string) (int, error) { return w.Write([]byte(s)) }

func (w *gzipWriter) Flush() {
	if w.started {
		_ = w.gz.Flush()
	}
	w.ResponseWriter.Flush()
}

func (w *gzipWriter) finish() {
	if w.started {
		_ = w.gz.Close()
	}
}
