// Package session keeps the signed-in user's server-side state (the Thing+
// token, the OAuth state) in a gin-contrib/sessions store backed by
// memcached (bradfitz/gomemcache), or by process memory for a single
// developer machine. The cookie carries only the signed session id.
//
// gin-contrib/sessions turns every store error into an empty session. That
// would sign everybody out during a memcached outage, so Store records
// backend failures on the request (see Outage) and the auth middleware
// answers 503 instead. Store also destroys and rotates session ids, which
// the memcached store cannot do by itself.
package session

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/bradfitz/gomemcache/memcache"
	gsm "github.com/bradleypeabody/gorilla-sessions-memcache"
	"github.com/gin-contrib/sessions"
	"github.com/gin-contrib/sessions/memcached"
	gsessions "github.com/gorilla/sessions"
)

// Name is the session cookie's name.
const Name = "tpw_session"

// MaxAge is the session lifetime: 15 days, the lifetime of a Thing+ code
// grant token, and well under memcached's 30-day relative-expiry limit.
const MaxAge = 15 * 24 * 3600

const keyPrefix = "tpw:sess:"

// rotateKey marks a session whose id must change at the next save.
const rotateKey = "_rotate"

// backend is what the store needs from memcached (or the memory stand-in).
type backend interface {
	gsm.Memcacher
	Delete(key string) error
	Ping() error
}

// Store is a gin-contrib/sessions Store with outage tracking, destroy and
// id rotation.
type Store struct {
	inner   memcached.Store
	backend backend
}

// Options for New.
type Options struct {
	Servers []string // memcached host:port list; empty = process memory
	Secret  []byte   // signs the cookie
	Secure  bool     // cookie Secure flag (PUBLIC_URL is https)
	// Timeout bounds one memcached operation (MEMCACHED_TIMEOUT); 0 means
	// 100 ms.
	Timeout time.Duration
	// OnError is told each failed memcached operation ("get", "set",
	// "delete", "ping"); for metrics.
	OnError func(op string)
	// Log hears of a restarted memcached and the sessions copied back to
	// it; nil: nowhere.
	Log *slog.Logger
}

// New builds the store.
func New(o Options) *Store {
	var b backend
	if len(o.Servers) > 0 {
		b = newMemcacheBackend(o.Servers, o.Timeout, o.OnError, o.Log)
	} else {
		b = newMemoryBackend()
	}
	inner := memcached.NewMemcacheStore(b, keyPrefix, o.Secret)
	inner.Options(sessions.Options{Path: "/", MaxAge: MaxAge, HttpOnly: true, Secure: o.Secure, SameSite: http.SameSiteLaxMode})
	return &Store{inner: inner, backend: b}
}

// Options implements sessions.Store.
func (s *Store) Options(o sessions.Options) { s.inner.Options(o) }

// Get implements gorilla's Store. gin-contrib caches the result per request.
func (s *Store) Get(r *http.Request, name string) (*gsessions.Session, error) { return s.New(r, name) }

// New loads the session named by the request's cookie. A backend failure is
// recorded on the request so the caller can answer 503.
func (s *Store) New(r *http.Request, name string) (*gsessions.Session, error) {
	loaded, err := s.inner.New(r, name)
	if err != nil && isOutage(err) {
		markOutage(r, err)
	}
	// Rebind to this store so Save comes back through us.
	sess := gsessions.NewSession(s, name)
	sess.ID, sess.Values, sess.Options, sess.IsNew = loaded.ID, loaded.Values, loaded.Options, loaded.IsNew
	if err != nil {
		sess.ID = "" // never reuse an id we could not load: a fresh one is made at save
	}
	// No error goes back to gin-contrib: no session or a cookie that does
	// not decode is simply a visitor without a session, and an outage is
	// recorded on the request above and logged, with the request id, by
	// whoever answers the 503 (gin-contrib would log it without one).
	return sess, nil
}

// Save writes the session. MaxAge < 0 destroys it on the server and in the
// browser; a session marked by Rotate gets a new id and the old one is
// deleted.
func (s *Store) Save(r *http.Request, w http.ResponseWriter, sess *gsessions.Session) error {
	if sess.Options != nil && sess.Options.MaxAge < 0 {
		if err := s.deleteID(sess.ID); err != nil {
			return err
		}
		http.SetCookie(w, gsessions.NewCookie(sess.Name(), "", sess.Options))
		return nil
	}
	if _, ok := sess.Values[rotateKey]; ok {
		delete(sess.Values, rotateKey)
		if err := s.deleteID(sess.ID); err != nil {
			return err
		}
		sess.ID = ""
	}
	return s.inner.Save(r, w, sess)
}

func (s *Store) deleteID(id string) error {
	if id == "" {
		return nil
	}
	if err := s.backend.Delete(keyPrefix + id); err != nil && !errors.Is(err, memcache.ErrCacheMiss) {
		return err
	}
	return nil
}

// Ping checks the backend (for /readyz).
func (s *Store) Ping() error { return s.backend.Ping() }

// Rotate marks the session so that its next Save issues a new id (call it at
// sign-in, against session fixation).
func Rotate(sess sessions.Session) { sess.Set(rotateKey, true) }

// isOutage tells a backend failure from "no such session" and from a cookie
// that does not decode (tampered, or signed with an old secret).
func isOutage(err error) bool {
	if errors.Is(err, memcache.ErrCacheMiss) {
		return false
	}
	var decode interface{ IsDecode() bool }
	if errors.As(err, &decode) && decode.IsDecode() {
		return false
	}
	return true
}

// outage is a per-request slot the store fills when the backend fails.
type outage struct {
	mu  sync.Mutex
	err error
}

type outageKey struct{}

// TrackOutage prepares r to record backend failures. It must wrap the
// request before gin-contrib's Sessions middleware captures it.
func TrackOutage(r *http.Request) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), outageKey{}, &outage{}))
}

func markOutage(r *http.Request, err error) {
	if o, ok := r.Context().Value(outageKey{}).(*outage); ok {
		o.mu.Lock()
		o.err = err
		o.mu.Unlock()
	}
}

// Outage returns the backend error met while loading the request's session.
func Outage(r *http.Request) error {
	if o, ok := r.Context().Value(outageKey{}).(*outage); ok {
		o.mu.Lock()
		defer o.mu.Unlock()
		return o.err
	}
	return nil
}
