package handlers

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-contrib/sessions"
	"github.com/gin-gonic/gin"
	"golang.org/x/oauth2"

	"github.com/thingplus/thingplus-webapp/handlers/session"
	"github.com/thingplus/thingplus-webapp/handlers/web"
	"github.com/thingplus/thingplus-webapp/thingplus"
	"github.com/thingplus/thingplus-webapp/views/layout"
	"github.com/thingplus/thingplus-webapp/views/text"
)

// Session keys. Only these live server-side; the cookie holds the id.
const (
	keyToken    = "token"
	keyUserID   = "uid"
	keyLoginID  = "login"
	keyNickname = "nick"
	keyTimezone = "tz"
	keyState    = "oauth_state"
	keyStateExp = "oauth_state_exp"
	keyNext     = "oauth_next"
)

// stateTTL is how long a sign-in may take: the life of a Thing+ code.
const stateTTL = 10 * time.Minute

// Identity tells who a Thing+ token belongs to.
type Identity interface {
	Me(ctx context.Context, token string) (thingplus.User, error)
}

// Auth signs users in through Thing+ OAuth2 and keeps them signed in.
type Auth struct {
	oauth     *oauth2.Config
	http      *http.Client
	identity  Identity
	signupURL string
	log       *slog.Logger
	now       func() time.Time
	signedIn  func(ctx context.Context, u thingplus.User) // nil: nobody listens
}

// login starts the code flow: a fresh single-use state bound to the
// session, then off to Thing+'s authorize page.
func (a *Auth) login(c *gin.Context) {
	sess := sessions.Default(c)
	if sessionDown(c) {
		return
	}
	b := make([]byte, 32) // 256 bits
	_, _ = rand.Read(b)
	state := hex.EncodeToString(b)
	sess.Set(keyState, state)
	sess.Set(keyStateExp, a.now().Add(stateTTL).Unix())
	sess.Set(keyNext, safeNext(c.Query("next")))
	if err := sess.Save(); err != nil {
		unavailable(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, a.oauth.AuthCodeURL(state))
}

// callback finishes the code flow. Every failure leaves the visitor signed
// out with a clear page; success rotates the session id.
func (a *Auth) callback(c *gin.Context) {
	sess := sessions.Default(c)
	if sessionDown(c) {
		return
	}
	want, _ := sess.Get(keyState).(string)
	exp, _ := sess.Get(keyStateExp).(int64)
	next, _ := sess.Get(keyNext).(string)
	sess.Delete(keyState) // single use, whatever happens next
	sess.Delete(keyStateExp)
	sess.Delete(keyNext)
	if err := sess.Save(); err != nil {
		unavailable(c, err)
		return
	}
	got := c.Query("state")
	if want == "" || got == "" || subtle.ConstantTimeCompare([]byte(want), []byte(got)) != 1 || a.now().Unix() > exp {
		a.signInFailed(c, http.StatusBadRequest, text.T(c, "auth.state"), "state mismatch or expired")
		return
	}
	if e := c.Query("error"); e != "" {
		if e == "access_denied" {
			renderHome(c, http.StatusOK, layout.Notice{Kind: "warn", Text: text.T(c, "auth.denied")})
			return
		}
		a.signInFailed(c, http.StatusBadGateway, text.T(c, "auth.upstream"), "authorize error "+e)
		return
	}
	code := c.Query("code")
	if code == "" || len(code) > 512 {
		a.signInFailed(c, http.StatusBadRequest, text.T(c, "auth.upstream"), "missing or oversized code")
		return
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), 10*time.Second)
	defer cancel()
	tok, err := a.oauth.Exchange(context.WithValue(ctx, oauth2.HTTPClient, a.http), code)
	if err != nil {
		a.signInFailed(c, http.StatusBadGateway, text.T(c, "auth.upstream"), exchangeDetail(err))
		return
	}
	me, err := a.identity.Me(ctx, tok.AccessToken)
	if err != nil {
		a.signInFailed(c, http.StatusBadGateway, text.T(c, "auth.upstream"), "users/me: "+err.Error())
		return
	}
	sess.Clear()
	session.Rotate(sess)
	sess.Set(keyToken, tok.AccessToken)
	sess.Set(keyUserID, me.ID)
	sess.Set(keyLoginID, me.LoginID)
	sess.Set(keyNickname, me.Nickname)
	sess.Set(keyTimezone, me.Timezone)
	if err := sess.Save(); err != nil {
		unavailable(c, err)
		return
	}
	a.log.InfoContext(c.Request.Context(), "signed in", "user", me.ID, "login", me.LoginID)
	if a.signedIn != nil {
		a.signedIn(c.Request.Context(), me)
	}
	if next == "" {
		next = "/"
	}
	c.Redirect(http.StatusSeeOther, next)
}

func (a *Auth) signInFailed(c *gin.Context, status int, reason, detail string) {
	a.log.WarnContext(c.Request.Context(), "sign-in failed", "detail", detail)
	msg := fmt.Sprintf(text.T(c, "auth.failed"), reason)
	web.Render(c, status, web.Page{Title: text.T(c, "err.title")}, layout.ErrorBody(text.T(c, "err.title"), msg, "/auth/login"))
}

// exchangeDetail describes a token exchange failure for the log, without
// the response body (it could echo secrets).
func exchangeDetail(err error) string {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		return fmt.Sprintf("token endpoint status %d code %q", re.Response.StatusCode, re.ErrorCode)
	}
	return "token exchange: " + err.Error()
}

// logout ends the session on the server (memcached item deleted) and in the
// browser.
func (a *Auth) logout(c *gin.Context) {
	sess := sessions.Default(c)
	if sessionDown(c) {
		return
	}
	sess.Clear()
	sess.Options(sessions.Options{Path: "/", MaxAge: -1})
	if err := sess.Save(); err != nil {
		unavailable(c, err)
		return
	}
	web.Redirect(c, "/?m=signedout")
}

// register sends visitors to the Thing+ sign-up page.
func (a *Auth) register(c *gin.Context) {
	c.Redirect(http.StatusSeeOther, a.signupURL)
}

// loadUser reads the session; with required it sends visitors without a
// valid one to sign in. A session store outage is a 503, never a sign-out.
func (a *Auth) loadUser(required bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		sess := sessions.Default(c)
		token, _ := sess.Get(keyToken).(string)
		if sessionDown(c) {
			c.Abort()
			return
		}
		exp, hasExp := tokenExpiry(token)
		if token != "" && hasExp && !a.now().Before(exp) {
			a.signInAgain(c)
			c.Abort()
			return
		}
		if token == "" {
			if required {
				web.Redirect(c, "/auth/login?next="+url.QueryEscape(currentPath(c)))
				c.Abort()
				return
			}
			c.Next()
			return
		}
		u := thingplus.User{}
		u.ID, _ = sess.Get(keyUserID).(string)
		u.LoginID, _ = sess.Get(keyLoginID).(string)
		u.Nickname, _ = sess.Get(keyNickname).(string)
		u.Timezone, _ = sess.Get(keyTimezone).(string)
		web.SetSignedIn(c, u, token)
		if left := exp.Sub(a.now()); hasExp && left <= expiryWarning {
			web.SetExpiring(c, web.Expiring{Left: left, RenewURL: "/auth/login?next=" + url.QueryEscape(currentPath(c))})
		}
		c.Next()
	}
}

// expiryWarning is how long before the Thing+ token runs out the header
// offers to sign in again, so the user is not bounced in the middle of work.
const expiryWarning = 24 * time.Hour

// signInAgain clears the session when the token ran out (or Thing+ refused
// it) and sends the whole tab to the home page, which says the Thing+
// session ended and signs in back to where the user was (HX-Redirect for
// htmx, so the page never lands inside a panel).
func (a *Auth) signInAgain(c *gin.Context) {
	sess := sessions.Default(c)
	sess.Clear()
	sess.Options(sessions.Options{Path: "/", MaxAge: -1})
	if err := sess.Save(); err != nil {
		unavailable(c, err)
		return
	}
	web.Redirect(c, "/?m=expired&next="+url.QueryEscape(currentPath(c)))
}

// currentPath is where to come back after sign-in: for htmx requests the
// page the user is on, not the fragment URL.
func currentPath(c *gin.Context) string {
	if cur := c.GetHeader("HX-Current-URL"); cur != "" && web.IsFragment(c) {
		if u, err := url.Parse(cur); err == nil {
			return safeNext(u.RequestURI())
		}
	}
	if c.Request.Method != http.MethodGet {
		return "/"
	}
	return safeNext(c.Request.URL.RequestURI())
}

// safeNext accepts only a local path ("/rules?x=1"), never "//host",
// "/\host" or an absolute URL: an open redirect would hand the session to
// someone else's page.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") ||
		strings.HasPrefix(next, "/\\") || strings.ContainsAny(next, "\r\n\t") || len(next) > 2048 {
		return ""
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || strings.HasPrefix(next, "/auth/") {
		return ""
	}
	return next
}

// tokenExpiry reads the JWT's exp without verifying it (the app cannot:
// Thing+ keeps the key). An unreadable token has no known expiry and is
// left for Thing+ to judge.
func tokenExpiry(token string) (time.Time, bool) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return time.Time{}, false
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return time.Time{}, false
	}
	var claims struct {
		Exp json.Number `json:"exp"`
	}
	if json.Unmarshal(payload, &claims) != nil || claims.Exp == "" {
		return time.Time{}, false
	}
	exp, err := strconv.ParseInt(claims.Exp.String(), 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	return time.Unix(exp, 0), true
}

// sessionDown answers 503 (with Retry-After) when the session store failed
// to load this request's session; the user stays signed in for when it
// comes back.
func sessionDown(c *gin.Context) bool {
	sessions.Default(c).Get(keyToken) // forces the load
	if err := session.Outage(c.Request); err != nil {
		unavailable(c, err)
		return true
	}
	return false
}

// sessionOutageKey marks a request answered 503 for a session store
// outage (counted by the request middleware).
const sessionOutageKey = "session.outage"

func unavailable(c *gin.Context, err error) {
	c.Set(sessionOutageKey, true)
	slog.ErrorContext(c.Request.Context(), "session store unavailable", "err", err)
	c.Header("Retry-After", "5")
	msg := text.T(c, "err.sessions")
	if web.IsFragment(c) {
		web.Component(c, http.StatusServiceUnavailable, layout.NoticeBox(layout.Notice{Kind: "bad", Text: msg}))
		return
	}
	web.Render(c, http.StatusServiceUnavailable, web.Page{Title: text.T(c, "err.title")}, layout.ErrorBody(text.T(c, "err.title"), msg, ""))
}
