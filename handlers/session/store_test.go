package session_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-contrib/sessions"
	"github.com/gin-gonic/gin"

	"github.com/thingplus/thingplus-webapp/apptest"
	"github.com/thingplus/thingplus-webapp/handlers/session"
)

// engine exposes set/get/rotate/destroy over HTTP for one store.
func engine(store *session.Store) *gin.Engine {
	gin.SetMode(gin.TestMode)
	r := gin.New()
	r.Use(func(c *gin.Context) { c.Request = session.TrackOutage(c.Request); c.Next() }, sessions.Sessions(session.Name, store))
	r.GET("/set", func(c *gin.Context) {
		s := sessions.Default(c)
		s.Set("v", c.Query("v"))
		if c.Query("rotate") != "" {
			session.Rotate(s)
		}
		if err := s.Save(); err != nil {
			c.Status(503)
			return
		}
		c.Status(200)
	})
	r.GET("/get", func(c *gin.Context) {
		v, _ := sessions.Default(c).Get("v").(string)
		if err := session.Outage(c.Request); err != nil {
			c.String(503, err.Error())
			return
		}
		c.String(200, v)
	})
	r.GET("/destroy", func(c *gin.Context) {
		s := sessions.Default(c)
		s.Options(sessions.Options{Path: "/", MaxAge: -1})
		_ = s.Save()
		c.Status(200)
	})
	return r
}

func run(t *testing.T, backend string) {
	opts := session.Options{Secret: []byte("0123456789abcdef0123456789abcdef")}
	var mc *apptest.Memcached
	if backend == "memcached" {
		mc = apptest.StartMemcached(t)
		opts.Servers = []string{mc.Addr}
	}
	srv := httptest.NewServer(engine(session.New(opts)))
	defer srv.Close()
	b := apptest.NewBrowser(t)
	if r := b.Get(srv.URL + "/set?v=한글-value"); r.StatusCode != 200 {
		t.Fatalf("set %d", r.StatusCode)
	}
	first := *b.Cookie(srv.URL, session.Name)
	if r := b.Get(srv.URL + "/get"); r.Body != "한글-value" {
		t.Fatalf("get %q", r.Body)
	}
	b.Get(srv.URL + "/set?v=two&rotate=1")
	second := b.Cookie(srv.URL, session.Name)
	if second.Value == first.Value {
		t.Fatal("rotate kept the id")
	}
	if r := b.Get(srv.URL + "/get"); r.Body != "two" {
		t.Fatalf("after rotate %q", r.Body)
	}
	old := apptest.NewBrowser(t)
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/get", nil)
	req.AddCookie(&http.Cookie{Name: first.Name, Value: first.Value})
	if r := old.Do(req); r.StatusCode != 200 || r.Body != "" {
		t.Fatalf("pre-rotation cookie still works: %d %q", r.StatusCode, r.Body)
	}
	b.Get(srv.URL + "/destroy")
	if r := b.Get(srv.URL + "/get"); r.Body != "" {
		t.Fatalf("destroyed session readable: %q", r.Body)
	}
	if backend == "memcached" {
		b.Get(srv.URL + "/set?v=three")
		mc.Kill()
		if r := b.Get(srv.URL + "/get"); r.StatusCode != 503 {
			t.Fatalf("outage not reported: %d", r.StatusCode)
		}
		if r := apptest.NewBrowser(t).Get(srv.URL + "/get"); r.StatusCode != 200 {
			t.Fatalf("a visitor without a session is not affected by the outage: %d", r.StatusCode)
		}
		// A tampered cookie is "no session", not an outage.
		mc.Start()
		bad := apptest.NewBrowser(t)
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/get", nil)
		req.AddCookie(&http.Cookie{Name: session.Name, Value: "tampered"})
		if r := bad.Do(req); r.StatusCode != 200 {
			t.Fatalf("tampered cookie: %d", r.StatusCode)
		}
	}
}

func TestMemcachedStore(t *testing.T) { run(t, "memcached") }

func TestMemoryStore(t *testing.T) { run(t, "memory") }
