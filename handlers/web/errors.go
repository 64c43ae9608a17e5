package web

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/thingplus/thingplus-webapp/apperr"
	"github.com/thingplus/thingplus-webapp/views/layout"
	"github.com/thingplus/thingplus-webapp/views/text"
)

// The error convention, chosen once (htmx swaps 2xx, and our htmx config
// also swaps 422, 409 and 503):
//   - invalid input   → 422 with the form fragment re-rendered (handlers do it)
//   - conflict        → 409, same
//   - unavailable     → 503 with the panel's "unavailable, retrying" state
//   - unauthorized    → the session is cleared and the browser sent to sign in
//   - not found / forbidden / internal → the status, a page for normal
//     requests and a toast for htmx requests
var statusOf = map[apperr.Code]int{
	apperr.Invalid:      http.StatusUnprocessableEntity,
	apperr.NotFound:     http.StatusNotFound,
	apperr.Forbidden:    http.StatusForbidden,
	apperr.Unauthorized: http.StatusUnauthorized,
	apperr.Conflict:     http.StatusConflict,
	apperr.Unavailable:  http.StatusServiceUnavailable,
	apperr.Internal:     http.StatusInternalServerError,
	apperr.TooLarge:     http.StatusRequestEntityTooLarge,
}

// StatusOf maps an error to its HTTP status.
func StatusOf(err error) int {
	if s, ok := statusOf[apperr.CodeOf(err)]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// MessageOf is the user-safe message of err: its own for invalid input,
// conflicts and forbidden changes (a viewer is told why), the code's
// standard text otherwise (details go to the log).
func MessageOf(ctx context.Context, err error) string {
	code := apperr.CodeOf(err)
	if code == apperr.Invalid || code == apperr.Conflict || code == apperr.TooLarge || code == apperr.Forbidden {
		if m := apperr.MessageOf(err); m != "" {
			return m
		}
	}
	if r := Reason(ctx, err); r != "" {
		return r // Thing+ busy says for how long, as in the panels
	}
	if key := apperr.KeyOf(err); key != "" {
		return text.T(ctx, key)
	}
	return text.T(ctx, "err."+string(code))
}

// SignInAgain is called when Thing+ says the token is no longer good; the
// auth layer installs it (clear the session, then redirect to sign in).
type SignInAgain func(c *gin.Context)

const signInAgainKey = "web.signInAgain"

// WithSignInAgain installs the handler Fail uses for unauthorized errors.
func WithSignInAgain(f SignInAgain) gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Set(signInAgainKey, f)
		c.Next()
	}
}

// Fail answers a request that failed with err, by the convention above.
// Handlers that can show the error in place (forms, panels) do so themselves
// and call Fail only for the rest.
func Fail(c *gin.Context, err error) {
	if ClientGone(c) {
		// Not a failure of the app: the answer has no reader.
		slog.InfoContext(c.Request.Context(), "client went away", "path", c.Request.URL.Path, "err", err)
		c.AbortWithStatus(StatusClientGone)
		return
	}
	status := StatusOf(err)
	if status == http.StatusUnauthorized {
		if f, ok := c.Get(signInAgainKey); ok {
			f.(SignInAgain)(c)
			return
		}
	}
	log := slog.WarnContext
	if status >= 500 {
		log = slog.ErrorContext
	}
	log(c.Request.Context(), "request failed", "status", status, "err", err, "path", c.Request.URL.Path)
	if d := apperr.RetryAfterOf(err); d > 0 {
		// Thing+ asked us to wait: pass it on.
		c.Header("Retry-After", strconv.Itoa(int((d+time.Second-1)/time.Second)))
	}
	msg := MessageOf(c, err)
	if IsFragment(c) {
		Component(c, status, layout.Toast(msg))
		return
	}
	if status == http.StatusNotFound {
		Render(c, status, Page{Title: text.T(c, "err.notfound.title")}, layout.NotFoundBody())
		return
	}
	Render(c, status, Page{Title: text.T(c, "err.title")}, layout.ErrorBody(text.T(c, "err.title"), msg, ""))
}

// Invalid builds a field validation error.
func Invalid(field, msg string) error {
	return &apperr.Error{Code: apperr.Invalid, Field: field, Message: msg}
}

// FormError is the answer to a form body that could not be read: 413 when
// it is over its limit, 422 with msg otherwise.
func FormError(ctx context.Context, err error, field, msg string) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return &apperr.Error{Code: apperr.TooLarge, Field: field, Message: text.T(ctx, "err.too_large"), Err: err}
	}
	return Invalid(field, msg)
}

// FieldOf returns the field name of a validation error.
func FieldOf(err error) string {
	var e *apperr.Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}

// StatusClientGone is the status logged for a request whose client left
// before the answer (nginx's 499); it is never a 5xx.
const StatusClientGone = 499

// ClientGone reports whether the request's client went away (closed the
// tab or the connection) — not that the request's own budget ran out.
func ClientGone(c *gin.Context) bool {
	return errors.Is(context.Cause(c.Request.Context()), context.Canceled)
}
