package web_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/thingplus/thingplus-webapp/handlers/web"
	"github.com/thingplus/thingplus-webapp/thingplus"
	"github.com/thingplus/thingplus-webapp/views/text"
)

func failWith(err error, ctx context.Context) *httptest.ResponseRecorder {
	gin.SetMode(gin.TestMode)
	r := gin.New()
	r.GET("/", func(c *gin.Context) { web.Fail(c, err) })
	req := httptest.NewRequest(http.MethodGet, "/", nil).WithContext(ctx)
	req.Header.Set("HX-Request", "true")
	w := httptest.NewRecorder()
	r.ServeHTTP(w, req)
	return w
}

// Thing+'s 429 is a 503 that says Thing+ is busy and for how long (as the
// panels do), and passes Retry-After on; without one, busy "in a moment".
func TestFailBusy(t *testing.T) {
	w := failWith(&thingplus.Error{Kind: thingplus.KindUnavailable, Status: 429, RetryAfter: 1500 * time.Millisecond}, context.Background())
	if w.Code != 503 || w.Header().Get("Retry-After") != "2" || !strings.Contains(w.Body.String(), "Thing+ is busy — try again in 2 s.") {
		t.Fatalf("%d %v %s", w.Code, w.Header(), w.Body)
	}
	w = failWith(&thingplus.Error{Kind: thingplus.KindUnavailable, Status: 429}, context.Background())
	if w.Code != 503 || w.Header().Get("Retry-After") != "" || !strings.Contains(w.Body.String(), text.T(context.Background(), "err.busy")) {
		t.Fatalf("no Retry-After: %d %v %s", w.Code, w.Header(), w.Body)
	}
}

// A client that went away is not a failure of the app: 499, never a 5xx.
func TestFailClientGone(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	w := failWith(&thingplus.Error{Kind: thingplus.KindUnavailable, Err: context.Canceled}, ctx)
	if w.Code != web.StatusClientGone {
		t.Fatalf("client gone: %d", w.Code)
	}
	// The request's own budget running out is a real 503.
	dctx, cancel2 := context.WithTimeout(context.Background(), time.Nanosecond)
	defer cancel2()
	<-dctx.Done()
	if w := failWith(&thingplus.Error{Kind: thingplus.KindUnavailable, Err: errors.New("budget")}, dctx); w.Code != 503 {
		t.Fatalf("budget spent: %d", w.Code)
	}
}
