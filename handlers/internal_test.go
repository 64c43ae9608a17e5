package handlers

import (
	"compress/gzip"
	"context"
	"encoding/base64"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/thingplus/thingplus-webapp/handlers/web"
	"github.com/thingplus/thingplus-webapp/metrics"
)

func TestSafeNext(t *testing.T) {
	cases := map[string]string{
		"":                              "",
		"/rules?status=x":               "/rules?status=x",
		"/trains":                       "/trains",
		"//evil.example":                "",
		"/\\evil.example":               "",
		"https://evil.example/":         "",
		"javascript:alert(1)":           "",
		"rules":                         "",
		"/a\r\nSet-Cookie: x":           "",
		"/auth/logout":                  "",
		"/" + strings.Repeat("a", 3000): "",
	}
	for in, want := range cases {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTokenExpiry(t *testing.T) {
	mk := func(payload string) string {
		return "eyJhbGciOiJIUzI1NiJ9." + base64.RawURLEncoding.EncodeToString([]byte(payload)) + ".sig"
	}
	if exp, ok := tokenExpiry(mk(`{"exp":1699999999}`)); !ok || !exp.Equal(time.Unix(1699999999, 0)) {
		t.Errorf("exp read as %v %v", exp, ok)
	}
	for _, junk := range []string{"", "abc", "a.b.c", mk(`{}`), mk(`not json`), mk(`{"exp":"soon"}`)} {
		if _, ok := tokenExpiry(junk); ok {
			t.Errorf("%q has an expiry; Thing+ should judge it", junk)
		}
	}
}

func TestGzipSkipsEventStreamAndNoContent(t *testing.T) {
	gin.SetMode(gin.TestMode)
	r := gin.New()
	r.Use(gzipResponses())
	big := strings.Repeat("안녕 thing+ ", 500)
	r.GET("/page", func(c *gin.Context) { c.Data(200, "text/html; charset=utf-8", []byte(big)) })
	r.GET("/empty", func(c *gin.Context) { c.Status(http.StatusNoContent) })
	r.GET("/stream", func(c *gin.Context) {
		c.Header("Content-Type", "text/event-stream")
		_, _ = c.Writer.WriteString("data: x\n\n")
		c.Writer.Flush()
	})
	get := func(path, accept string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.Header.Set("Accept-Encoding", "gzip")
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		w := httptest.NewRecorder()
		r.ServeHTTP(w, req)
		return w
	}
	w := get("/page", "")
	if w.Header().Get("Content-Encoding") != "gzip" {
		t.Fatalf("page not gzipped: %v", w.Header())
	}
	zr, err := gzip.NewReader(w.Body)
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := io.ReadAll(zr)
	if string(plain) != big {
		t.Fatal("gzip round trip differs")
	}
	if w := get("/empty", ""); w.Code != 204 || w.Header().Get("Content-Encoding") != "" || w.Body.Len() != 0 {
		t.Fatalf("204 touched: %d %v %d", w.Code, w.Header(), w.Body.Len())
	}
	if w := get("/stream", "text/event-stream"); w.Header().Get("Content-Encoding") != "" || w.Body.String() != "data: x\n\n" {
		t.Fatalf("SSE compressed: %v %q", w.Header(), w.Body.String())
	}
}

// A client that leaves while its panel waits for Thing+ is logged and
// counted as 499, not as the 503 the panel rendered for nobody.
func TestClientGoneIsNot5xx(t *testing.T) {
	gin.SetMode(gin.TestMode)
	var logs strings.Builder
	log := slog.New(slog.NewTextHandler(&syncWriter{w: &logs}, nil))
	m := metrics.New()
	r := gin.New()
	done := make(chan struct{})
	r.Use(requestLog(log, m), requestBudget(5*time.Second))
	r.GET("/panel", func(c *gin.Context) {
		<-c.Request.Context().Done() // Thing+ never answers; the client leaves
		c.Data(http.StatusServiceUnavailable, "text/html", []byte("unavailable"))
		close(done)
	})
	srv := httptest.NewServer(r)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/panel", nil)
	if _, err := http.DefaultClient.Do(req); err == nil {
		t.Fatal("the client did not give up")
	}
	<-done
	srv.Close() // waits for the handler and its log line
	if !strings.Contains(logs.String(), "status=499") || strings.Contains(logs.String(), "status=503") {
		t.Fatalf("log: %s", logs.String())
	}
}

type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(b)
}

// A request its handler marks quiet (a counted push) leaves the info log
// alone but is still counted; the same route failing is logged.
func TestQuietRequestsLogOnlyFailures(t *testing.T) {
	gin.SetMode(gin.TestMode)
	var logs strings.Builder
	log := slog.New(slog.NewTextHandler(&syncWriter{w: &logs}, nil))
	m := metrics.New()
	r := gin.New()
	r.Use(requestLog(log, m))
	r.POST("/push/:status", func(c *gin.Context) {
		web.Quiet(c)
		code, _ := strconv.Atoi(c.Param("status"))
		c.Status(code)
	})
	srv := httptest.NewServer(r)
	defer srv.Close()
	for _, code := range []string{"204", "204", "400"} {
		resp, err := http.Post(srv.URL+"/push/"+code, "application/json", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	srv.Close()
	got := logs.String()
	if strings.Contains(got, "status=204") || strings.Count(got, "status=400") != 1 {
		t.Fatalf("log:\n%s", got)
	}
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if !regexp.MustCompile(`code="204".*} 2\n`).MatchString(rec.Body.String()) {
		t.Fatalf("the quiet requests were not counted:\n%s", rec.Body.String())
	}
}
