package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/thingplus/thingplus-webapp/thingplus"
)

// A fake Thing+ on loopback answers 429 (with and without Retry-After) or
// 503: the in-place text says busy with the seconds, busy alone, or the
// panel's own "unavailable".
func TestInPlaceTellsBusyFromUnavailable(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v2/busy":
			w.Header().Set("Retry-After", "7")
			w.WriteHeader(http.StatusTooManyRequests)
		case "/v2/busyplain":
			w.WriteHeader(http.StatusTooManyRequests)
		default:
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		w.Write([]byte(`{"statusCode":0,"errors":[{"code":"X"}]}`))
	}))
	defer srv.Close()
	c, err := thingplus.New(srv.URL + "/v2")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for path, want := range map[string]string{
		"/busy":      "Thing+ is busy — try again in 7 s.",
		"/busyplain": "Thing+ is busy right now. Please try again in a moment.",
		"/down":      "Thing+ is unavailable, retrying. Nothing to show yet.",
	} {
		err := c.Call(ctx, thingplus.Request{Method: http.MethodGet, Path: path, Token: "t"}, nil, nil)
		if err == nil {
			t.Fatalf("%s: no error", path)
		}
		if got := InPlace(ctx, err, "gw.unavailable"); got != want {
			t.Errorf("%s: %q, want %q", path, got, want)
		}
	}
	if got := InPlaceAsOf(ctx, nil, "gw.asof", "10:00"); got != "As of 10:00: Thing+ is unavailable, retrying." {
		t.Errorf("as of: %q", got)
	}
}
