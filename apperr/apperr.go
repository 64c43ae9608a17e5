// Package apperr holds the application's error codes. Domain packages wrap
// their failures in an *Error; the HTTP layer maps each code to one status
// and one user-safe message, in one place.
package apperr

import (
	"errors"
	"fmt"
	"time"
)

// Code classifies a failure for the user and the HTTP status.
type Code string

const (
	Invalid      Code = "invalid"      // the input is wrong; the user can fix it
	NotFound     Code = "not_found"    // the thing does not exist (or is not theirs to see)
	Forbidden    Code = "forbidden"    // it exists but belongs to someone else
	Unauthorized Code = "unauthorized" // sign in (again)
	Conflict     Code = "conflict"     // it already exists
	Unavailable  Code = "unavailable"  // an upstream or a store is down or slow; retry later
	Internal     Code = "internal"     // a bug
	TooLarge     Code = "too_large"    // the request body is over its limit
)

// Error is an application error: a code, a message safe to show, and the
// underlying cause for the log.
type Error struct {
	Code    Code
	Message string // safe to show to the user
	Field   string // the form field at fault, for Invalid
	Err     error  // the cause, for the log only
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// E builds an *Error.
func E(code Code, msg string, cause error) *Error {
	return &Error{Code: code, Message: msg, Err: cause}
}

// Coder is implemented by errors from other packages (e.g. thingplus) that
// know their application code.
type Coder interface{ AppCode() Code }

// CodeOf finds the code of err; unknown errors are Internal.
func CodeOf(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	var c Coder
	if errors.As(err, &c) {
		return c.AppCode()
	}
	return Internal
}

// Messenger is implemented by errors from other packages (e.g. trains)
// that carry a user-safe message.
type Messenger interface{ AppMessage() string }

// MessageOf is the user-safe message of err, or "" when it has none.
func MessageOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	var m Messenger
	if errors.As(err, &m) {
		return m.AppMessage()
	}
	return ""
}

// Keyed is implemented by errors that name a more specific user text (a
// catalogue key) than their code's standard one.
type Keyed interface{ MessageKey() string }

// KeyOf returns the catalogue key err names, or "".
func KeyOf(err error) string {
	var k Keyed
	if errors.As(err, &k) {
		return k.MessageKey()
	}
	return ""
}

// RetryAfterOf is how long the caller should wait before trying again, when
// err knows (an upstream's Retry-After); 0 otherwise.
func RetryAfterOf(err error) time.Duration {
	var r interface{ RetryDelay() time.Duration }
	if errors.As(err, &r) {
		return r.RetryDelay()
	}
	return 0
}
