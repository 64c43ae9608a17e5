package sandbox

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Token lifetimes (§3.2): code grant 15 days, password grant 90 days.
const (
	codeGrantTTL     = 15 * 24 * time.Hour
	passwordGrantTTL = 90 * 24 * time.Hour
	portalCookie     = "connect.sid"
)

// Principal is who is calling: a user through a token (with its client) or
// through a portal session cookie (ClientID empty, every scope).
type Principal struct {
	UserID   string
	ClientID string
}

type principalKey struct{}

// principalOf returns the caller set by requireUser.
func principalOf(r *http.Request) Principal {
	p, _ := r.Context().Value(principalKey{}).(Principal)
	return p
}

// issueToken signs the HS256 JWT {userId, clientId, iat, exp}.
func (s *Sandbox) issueToken(userID, clientID string, ttl time.Duration) (string, error) {
	now := s.now()
	claims := jwt.MapClaims{"userId": userID, "clientId": clientID, "iat": now.Unix(), "exp": now.Add(ttl).Unix()}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(s.secret)
}

// jwtError is the body the Node jsonwebtoken library produces (§3.7).
type jwtError struct {
	Name      string `json:"name"`
	Message   string `json:"message"`
	ExpiredAt string `json:"expiredAt,omitempty"`
}

// verifyToken checks a bearer token and returns its principal or the §3.7 error body.
func (s *Sandbox) verifyToken(raw string) (Principal, *jwtError) {
	if strings.Count(raw, ".") != 2 {
		return Principal{}, &jwtError{Name: "JsonWebTokenError", Message: "jwt malformed"}
	}
	claims := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(raw, claims, func(*jwt.Token) (any, error) { return s.secret, nil },
		jwt.WithValidMethods([]string{"HS256"}), jwt.WithTimeFunc(s.now), jwt.WithExpirationRequired())
	switch {
	case err == nil:
	case errors.Is(err, jwt.ErrTokenExpired):
		exp, _ := claims.GetExpirationTime()
		at := ""
		if exp != nil {
			at = exp.UTC().Format("2006-01-02T15:04:05.000Z")
		}
		return Principal{}, &jwtError{Name: "TokenExpiredError", Message: "jwt expired", ExpiredAt: at}
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return Principal{}, &jwtError{Name: "JsonWebTokenError", Message: "invalid signature"}
	case errors.Is(err, jwt.ErrTokenMalformed):
		return Principal{}, &jwtError{Name: "JsonWebTokenError", Message: "jwt malformed"}
	default:
		return Principal{}, &jwtError{Name: "JsonWebTokenError", Message: "invalid token"}
	}
	userID, _ := claims["userId"].(string)
	clientID, _ := claims["clientId"].(string)
	if _, ok := s.userByID(userID); !ok {
		return Principal{}, &jwtError{Name: "JsonWebTokenError", Message: "invalid token"}
	}
	return Principal{UserID: userID, ClientID: clientID}, nil
}

// requireUser admits a bearer token or a portal session cookie. Without
// credentials it answers 401 "Access denied"; a bad token gets 403 with the
// jsonwebtoken body (§9.9).
func (s *Sandbox) requireUser(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, ok := s.authenticate(w, r)
		if !ok {
			return
		}
		next(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, p)))
	}
}

func (s *Sandbox) authenticate(w http.ResponseWriter, r *http.Request) (Principal, bool) {
	if h := r.Header.Get("Authorization"); h != "" {
		raw, found := strings.CutPrefix(h, "Bearer ")
		if !found {
			writeJSON(w, http.StatusForbidden, jwtError{Name: "JsonWebTokenError", Message: "jwt malformed"})
			return Principal{}, false
		}
		p, jerr := s.verifyToken(strings.TrimSpace(raw))
		if jerr != nil {
			writeJSON(w, http.StatusForbidden, jerr)
			return Principal{}, false
		}
		return p, true
	}
	if c, err := r.Cookie(portalCookie); err == nil {
		if uid, ok := s.portalUser(c.Value); ok {
			return Principal{UserID: uid}, true
		}
	}
	writeJSON(w, http.StatusUnauthorized, "Access denied")
	return Principal{}, false
}

// startPortalSession creates a portal session for the user and sets its cookie.
func (s *Sandbox) startPortalSession(w http.ResponseWriter, userID string) {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	id := hex.EncodeToString(b)
	s.mu.Lock()
	s.portal[id] = userID
	s.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: portalCookie, Value: id, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
}

// endPortalSession forgets the caller's portal session.
func (s *Sandbox) endPortalSession(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(portalCookie); err == nil {
		s.mu.Lock()
		delete(s.portal, c.Value)
		s.mu.Unlock()
	}
	http.SetCookie(w, &http.Cookie{Name: portalCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true})
}

func (s *Sandbox) portalUser(id string) (string, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	uid, ok := s.portal[id]
	return uid, ok
}

// portalUserOf is the signed-in portal user of a browser request (login page flow).
func (s *Sandbox) portalUserOf(r *http.Request) (*User, bool) {
	c, err := r.Cookie(portalCookie)
	if err != nil {
		return nil, false
	}
	uid, ok := s.portalUser(c.Value)
	if !ok {
		return nil, false
	}
	return s.userByID(uid)
}
