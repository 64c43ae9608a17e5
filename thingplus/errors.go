package thingplus

import (
	"errors"
	"fmt"
	"time"

	"github.com/thingplus/thingplus-webapp/apperr"
)

// Kind classifies a Thing+ failure.
type Kind int

const (
	KindUnknown      Kind = iota
	KindInvalid           // 400: SCHEMA_VALIDATE, INVALID_INPUT, …
	KindUnauthorized      // 401 without credentials, or the token is bad or expired: sign in again
	KindForbidden         // 403 ACCESSGROUP_DENY / ACL_DENY
	KindNotFound          // 404
	KindConflict          // 409
	KindUnavailable       // 5xx, timeouts, refused connections, garbage bodies
	KindOAuth             // an OAuth2 endpoint error (§3.5, §3.6)
)

// Error is a failed Thing+ call. Code is Thing+'s own code (NOT_FOUND,
// SCHEMA_VALIDATE, invalid_code, jwt expired …) when it sent one.
type Error struct {
	Kind    Kind
	Status  int    // HTTP status, 0 when no response arrived
	Code    string // Thing+ error code
	Message string // Thing+ message (not shown verbatim to users unless Kind is Invalid/Conflict)
	Op      string // e.g. "GET /gateways"
	Err     error  // transport or decode cause
	// RetryAfter is Thing+'s Retry-After on a 429 (0 when absent).
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	s := fmt.Sprintf("thingplus: %s: status %d", e.Op, e.Status)
	if e.Code != "" {
		s += " " + e.Code
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// AppCode maps the kind to the application's error code.
func (e *Error) AppCode() apperr.Code {
	switch e.Kind {
	case KindInvalid:
		return apperr.Invalid
	case KindUnauthorized:
		return apperr.Unauthorized
	case KindForbidden:
		return apperr.Forbidden
	case KindNotFound:
		return apperr.NotFound
	case KindConflict:
		return apperr.Conflict
	case KindUnavailable:
		return apperr.Unavailable
	default:
		return apperr.Internal
	}
}

// IsKind reports whether err is a Thing+ error of that kind.
func IsKind(err error, k Kind) bool {
	var e *Error
	return errors.As(err, &e) && e.Kind == k
}

// NeedsSignIn reports whether the user must sign in again (token expired,
// invalid or missing).
func NeedsSignIn(err error) bool { return IsKind(err, KindUnauthorized) }

// MessageKey names the text the user sees for failures that deserve more
// than "unavailable": Thing+ said it is busy (429), or its answer was over
// the size limits.
func (e *Error) MessageKey() string {
	switch {
	case e.Status == 429:
		return "err.busy"
	case errors.Is(e.Err, errTooLarge):
		return "err.toolarge"
	}
	return ""
}

// IsBusy reports whether Thing+ answered 429, and its Retry-After.
func IsBusy(err error) (time.Duration, bool) {
	var e *Error
	if errors.As(err, &e) && e.Status == 429 {
		return e.RetryAfter, true
	}
	return 0, false
}

// RetryDelay is Thing+'s Retry-After (for apperr.RetryAfterOf).
func (e *Error) RetryDelay() time.Duration { return e.RetryAfter }
