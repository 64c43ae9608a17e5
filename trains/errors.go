package trains

import (
	"errors"
	"fmt"

	"github.com/thingplus/thingplus-webapp/apperr"
)

// Error is a store error with a kind (one of the Err… sentinels, for
// errors.Is) and a message safe to show the user. Its application code
// decides the HTTP status in the one place that maps errors to statuses.
type Error struct {
	Kind error
	Msg  string
}

func (e *Error) Error() string { return e.Kind.Error() + ": " + e.Msg }

// Unwrap lets errors.Is match the kind.
func (e *Error) Unwrap() error { return e.Kind }

// AppMessage is the user-safe message.
func (e *Error) AppMessage() string { return e.Msg }

// AppCode maps the kind to the application's error codes.
func (e *Error) AppCode() apperr.Code { return codeOf(e.Kind) }

func codeOf(kind error) apperr.Code {
	switch kind {
	case ErrInvalid, ErrUnknownSensor:
		return apperr.Invalid
	case ErrNotFound:
		return apperr.NotFound
	case ErrConflict:
		return apperr.Conflict
	case ErrForbidden, ErrWrongTrain:
		return apperr.Forbidden
	case ErrClosed:
		return apperr.Unavailable
	}
	return apperr.Internal
}

// kind is a sentinel error that knows its application code.
type kind string

func (k kind) Error() string { return string(k) }

// AppCode maps the sentinel to the application's error codes.
func (k kind) AppCode() apperr.Code { return codeOf(k) }

// errf builds an *Error of kind with a formatted message.
func errf(kind error, format string, args ...any) error {
	return &Error{Kind: kind, Msg: fmt.Sprintf(format, args...)}
}

// Invalid builds an ErrInvalid error with msg (for callers validating input
// before it reaches the store).
func Invalid(msg string) error { return &Error{Kind: ErrInvalid, Msg: msg} }

// MessageOf is the user-safe message of a store error ("" for others).
func MessageOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Msg
	}
	return ""
}
