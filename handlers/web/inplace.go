package web

import (
	"context"
	"fmt"
	"time"

	"github.com/thingplus/thingplus-webapp/apperr"
	"github.com/thingplus/thingplus-webapp/views/text"
)

// The in-place states: a panel that shows "unavailable" where a part did
// not arrive says why, decided here once for every panel. Thing+ busy (its
// 429) is told apart from unavailable (down, slow, timed out) and from an
// answer too large, so the user knows whether waiting helps and how long.

// Reason is why a part did not arrive, in words, when that is more than
// "unavailable": "Thing+ is busy — try again in 30 s." on a 429 (its
// Retry-After, rounded up; without one, "in a moment"), "Thing+ answer too
// large to show." for an oversized answer. "" otherwise: the panel then
// says its own "unavailable" text.
func Reason(ctx context.Context, err error) string {
	if err == nil || apperr.CodeOf(err) != apperr.Unavailable {
		return ""
	}
	switch apperr.KeyOf(err) {
	case "err.busy":
		if d := apperr.RetryAfterOf(err); d > 0 {
			return fmt.Sprintf(text.T(ctx, "err.busy.in"), int((d+time.Second-1)/time.Second))
		}
		return text.T(ctx, "err.busy")
	case "err.toolarge":
		return text.T(ctx, "err.toolarge")
	}
	return ""
}

// InPlace is the text a panel shows in place of a part that did not
// arrive: the Reason when there is one, else the panel's own text (key,
// with args).
func InPlace(ctx context.Context, err error, key string, args ...any) string {
	if r := Reason(ctx, err); r != "" {
		return r
	}
	if len(args) > 0 {
		return fmt.Sprintf(text.T(ctx, key), args...)
	}
	return text.T(ctx, key)
}

// InPlaceAsOf is InPlace for a panel that shows its last good data instead:
// the Reason followed by "Showing what arrived at …", or the panel's own
// "as of …" text (asOfKey, with the time).
func InPlaceAsOf(ctx context.Context, err error, asOfKey, at string) string {
	if r := Reason(ctx, err); r != "" {
		return r + " " + fmt.Sprintf(text.T(ctx, "err.asof"), at)
	}
	return fmt.Sprintf(text.T(ctx, asOfKey), at)
}
