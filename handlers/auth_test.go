package handlers_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bradfitz/gomemcache/memcache"
	"github.com/gin-gonic/gin"
	"github.com/gorilla/securecookie"
	"golang.org/x/oauth2"

	"github.com/thingplus/thingplus-webapp/apptest"
	"github.com/thingplus/thingplus-webapp/assets"
	"github.com/thingplus/thingplus-webapp/handlers"
	"github.com/thingplus/thingplus-webapp/handlers/gateways"
	"github.com/thingplus/thingplus-webapp/handlers/overview"
	"github.com/thingplus/thingplus-webapp/handlers/session"
	"github.com/thingplus/thingplus-webapp/handlers/web"
	"github.com/thingplus/thingplus-webapp/thingplus"
	"github.com/thingplus/thingplus-webapp/thingplus/sandbox"
)

const (
	testClientID     = "test-webapp"
	testClientSecret = "test-webapp-secret-0123456789"
	testSecret       = "0123456789abcdef0123456789abcdef-session"
)

// env is the app, the sandbox and memcached, all real, on loopback.
type env struct {
	t        testing.TB
	app      *httptest.Server
	sb       *httptest.Server
	sandbox  *sandbox.Sandbox
	mc       *apptest.Memcached
	appClock *apptest.Clock
	sbClock  *apptest.Clock
}

type envOpts struct {
	tokenURL string   // override the token endpoint (fault tests)
	memory   bool     // in-process sessions instead of memcached
	busy     []string // Thing+ answers GETs of these paths 429 + Retry-After: 30
	overview bool     // the signed-in home shows the overview (gateways, rules, firings)
	// mcTimeout is the memcached timeout; 0: a generous 2 s, since these
	// tests run under -race beside the whole suite (the outage tests set
	// the production 100 ms).
	mcTimeout time.Duration
	signedIn  func(ctx context.Context, u thingplus.User) // Deps.SignedIn
}

func newEnv(t testing.TB, o envOpts) *env {
	t.Helper()
	gin.SetMode(gin.TestMode)
	e := &env{t: t, appClock: &apptest.Clock{}, sbClock: &apptest.Clock{}}
	e.sb = httptest.NewUnstartedServer(nil)
	e.app = httptest.NewUnstartedServer(nil)
	sbURL := "http://" + e.sb.Listener.Addr().String()
	appURL := "http://" + e.app.Listener.Addr().String()
	e.sandbox = sandbox.New(sandbox.Options{BaseURL: sbURL, SimulatorPace: -1, Now: e.sbClock.Now,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		App: sandbox.AppClient{ID: testClientID, Secret: testClientSecret, Name: "Test webapp",
			RedirectURIs: []string{appURL + "/auth/callback"}, Scopes: []string{"user-profile-read", "gateway-read"}}})
	t.Cleanup(e.sandbox.Close)
	e.sb.Config.Handler = busyGate(o.busy, e.sandbox.Handler())
	e.sb.Start()
	t.Cleanup(e.sb.Close)

	opts := session.Options{Secret: []byte(testSecret), Timeout: o.mcTimeout}
	if opts.Timeout == 0 {
		opts.Timeout = 2 * time.Second
	}
	if !o.memory {
		e.mc = apptest.StartMemcached(t)
		opts.Servers = []string{e.mc.Addr}
	}
	tp, err := thingplus.New(sbURL + "/v2")
	if err != nil {
		t.Fatal(err)
	}
	endpoint := thingplus.Endpoint(sbURL + "/v2")
	if o.tokenURL != "" {
		endpoint.TokenURL = o.tokenURL
	}
	var ov handlers.Overview
	if o.overview {
		ov = &overview.Loader{Gateways: gateways.New(tp, gateways.Options{}), Rules: tp, Timelines: tp}
	}
	e.app.Config.Handler = handlers.New(handlers.Deps{
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Assets: assets.New(), Sessions: session.New(opts),
		OAuth: &oauth2.Config{ClientID: testClientID, ClientSecret: testClientSecret, Endpoint: endpoint,
			RedirectURL: appURL + "/auth/callback"},
		HTTPClient: &http.Client{Timeout: 2 * time.Second}, Identity: tp, SignupURL: sbURL + "/signup",
		Features: []handlers.Feature{probe{tp}}, Now: e.appClock.Now, Overview: ov, SignedIn: o.signedIn,
	})
	e.app.Start()
	t.Cleanup(e.app.Close)
	return e
}

// probe is a signed-in feature that calls Thing+ with the session's token.
type probe struct{ tp *thingplus.Client }

func (p probe) Register(r gin.IRouter) {
	r.GET("/probe", func(c *gin.Context) {
		u, err := p.tp.Me(c.Request.Context(), web.TokenOf(c))
		if err != nil {
			web.Fail(c, err)
			return
		}
		c.String(http.StatusOK, "me="+u.LoginID)
	})
}

// startLogin goes from the app's /auth/login to the sandbox's login page.
func (e *env) startLogin(b *apptest.Browser, next string) (authorizeURL string, page *apptest.Response) {
	e.t.Helper()
	u := e.app.URL + "/auth/login"
	if next != "" {
		u += "?next=" + url.QueryEscape(next)
	}
	r := b.Get(u)
	if r.StatusCode != http.StatusSeeOther {
		e.t.Fatalf("login: status %d, want 303", r.StatusCode)
	}
	authorizeURL = r.Location()
	if !strings.HasPrefix(authorizeURL, e.sb.URL+"/v2/oauth2/authorize?") {
		e.t.Fatalf("login redirects to %s", authorizeURL)
	}
	hops := b.Follow(authorizeURL, 5)
	return authorizeURL, hops[len(hops)-1]
}

// signInAtSandbox fills the sandbox login form and returns the consent page.
func (e *env) signInAtSandbox(b *apptest.Browser, page *apptest.Response, login, password string) *apptest.Response {
	e.t.Helper()
	pageURL := page.Request.URL.String()
	f, ok := apptest.FindForm(pageURL, page.Body, "form:has(input[type=password])")
	if !ok {
		e.t.Fatalf("no login form on %s:\n%s", pageURL, page.Body)
	}
	set := map[string]string{}
	for _, n := range apptest.InputNames(page.Body, "form:has(input[type=password])") {
		ln := strings.ToLower(n)
		switch {
		case strings.Contains(ln, "pass"):
			set[n] = password
		case strings.Contains(ln, "login") || strings.Contains(ln, "user"):
			set[n] = login
		}
	}
	r := b.Submit(f, set)
	for r.StatusCode >= 300 && r.StatusCode < 400 {
		r = b.Get(r.Location())
	}
	return r
}

// decide presses Allow or Deny on the consent page; it returns the
// sandbox's redirect back to the app (not yet followed).
func (e *env) decide(b *apptest.Browser, consent *apptest.Response, allow bool) *apptest.Response {
	e.t.Helper()
	f, ok := apptest.FindForm(consent.Request.URL.String(), consent.Body, "form[action*='decision']")
	if !ok {
		e.t.Fatalf("no consent form:\n%s", consent.Body)
	}
	set := map[string]string{}
	if !allow {
		set["cancel"] = "Deny"
	}
	r := b.Submit(f, set)
	if r.StatusCode != http.StatusFound && r.StatusCode != http.StatusSeeOther {
		e.t.Fatalf("decision: status %d: %s", r.StatusCode, r.Body)
	}
	return r
}

// signIn runs the whole flow and returns the app's final page.
func (e *env) signIn(b *apptest.Browser, next string) *apptest.Response {
	e.t.Helper()
	_, page := e.startLogin(b, next)
	consent := e.signInAtSandbox(b, page, "demo", "demo")
	back := e.decide(b, consent, true)
	if !strings.HasPrefix(back.Location(), e.app.URL+"/auth/callback?") {
		e.t.Fatalf("sandbox sent the browser to %s", back.Location())
	}
	hops := b.Follow(back.Location(), 5)
	return hops[len(hops)-1]
}

func (e *env) sessionCookie(b *apptest.Browser) *http.Cookie {
	return b.Cookie(e.app.URL, session.Name)
}

// sessionID decodes the signed cookie into the server-side session id.
func sessionID(t *testing.T, c *http.Cookie) string {
	t.Helper()
	var id string
	if err := securecookie.DecodeMulti(session.Name, c.Value, &id, securecookie.CodecsFromPairs([]byte(testSecret))...); err != nil {
		t.Fatalf("decode session cookie: %v", err)
	}
	return id
}

func TestSignInFlowThroughSandbox(t *testing.T) {
	e := newEnv(t, envOpts{})
	b := apptest.NewBrowser(t)

	home := b.Get(e.app.URL + "/")
	if home.StatusCode != 200 || !strings.Contains(home.Body, `data-testid="signin"`) {
		t.Fatalf("home invites to sign in: %d %s", home.StatusCode, home.Body)
	}
	authorize, page := e.startLogin(b, "/probe")
	au, _ := url.Parse(authorize)
	q := au.Query()
	if q.Get("response_type") != "code" || q.Get("client_id") != testClientID || q.Get("redirect_uri") != e.app.URL+"/auth/callback" {
		t.Fatalf("authorize query %v", q)
	}
	if len(q.Get("state")) < 32 {
		t.Fatalf("state %q is shorter than 128 bits", q.Get("state"))
	}
	before := e.sessionCookie(b)
	if before == nil {
		t.Fatal("no session cookie after /auth/login")
	}
	// The jar keeps only name and value: read the flags off Set-Cookie.
	var set *http.Cookie
	for _, c := range apptest.NewBrowser(t).Get(e.app.URL + "/auth/login").Cookies() {
		if c.Name == session.Name {
			set = c
		}
	}
	if set == nil || !set.HttpOnly || set.SameSite != http.SameSiteLaxMode || set.Secure || set.MaxAge <= 0 || set.MaxAge > 15*24*3600 {
		t.Fatalf("cookie flags: %+v", set)
	}
	consent := e.signInAtSandbox(b, page, "demo", "demo")
	if !strings.Contains(consent.Body, "Test webapp") || !strings.Contains(consent.Body, "gateway-read") {
		t.Fatalf("consent page lacks app name or scopes:\n%s", consent.Body)
	}
	back := e.decide(b, consent, true)
	cb := b.Get(back.Location())
	if cb.StatusCode != http.StatusSeeOther || cb.Location() != e.app.URL+"/probe" {
		t.Fatalf("callback: %d → %q (want 303 → /probe)", cb.StatusCode, cb.Location())
	}
	after := e.sessionCookie(b)
	if sessionID(t, before) == sessionID(t, after) {
		t.Fatal("session id was not rotated at sign-in")
	}
	// The old (pre-login) id must be gone from memcached; the new one there.
	mc := memcache.New(e.mc.Addr)
	if _, err := mc.Get("tpw:sess:" + sessionID(t, before)); err != memcache.ErrCacheMiss {
		t.Fatalf("old session still in memcached: %v", err)
	}
	item, err := mc.Get("tpw:sess:" + sessionID(t, after))
	if err != nil {
		t.Fatalf("session not in memcached: %v", err)
	}
	if strings.Contains(after.Value, "eyJ") || len(after.Value) > 200 {
		t.Fatal("cookie carries more than a signed id")
	}
	if len(item.Value) == 0 {
		t.Fatal("empty session item")
	}
	probe := b.Get(e.app.URL + "/probe")
	if probe.StatusCode != 200 || probe.Body != "me=demo" {
		t.Fatalf("probe: %d %q", probe.StatusCode, probe.Body)
	}
	homeIn := b.Get(e.app.URL + "/")
	if !strings.Contains(homeIn.Body, `data-testid="greeting"`) || !strings.Contains(homeIn.Body, "Demo") {
		t.Fatalf("home does not greet the user:\n%s", homeIn.Body)
	}
	for _, tok := range []string{"eyJ", testClientSecret} {
		if strings.Contains(homeIn.Body, tok) {
			t.Fatalf("page leaks %q", tok)
		}
	}

	// Sign out: the server forgets the session; replaying the old cookie fails.
	old := *e.sessionCookie(b)
	out := b.PostForm(e.app.URL+"/auth/logout", nil)
	if out.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout: %d", out.StatusCode)
	}
	if _, err := mc.Get("tpw:sess:" + sessionID(t, &old)); err != memcache.ErrCacheMiss {
		t.Fatalf("session survived sign-out in memcached: %v", err)
	}
	replay := apptest.NewBrowser(t)
	req, _ := http.NewRequest(http.MethodGet, e.app.URL+"/probe", nil)
	req.AddCookie(&http.Cookie{Name: old.Name, Value: old.Value})
	if r := replay.Do(req); r.StatusCode != http.StatusSeeOther || !strings.Contains(r.Location(), "/auth/login") {
		t.Fatalf("old cookie after sign-out: %d %s", r.StatusCode, r.Location())
	}
	if r := b.Get(e.app.URL + "/probe"); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("signed-out browser reaches a signed-in page: %d", r.StatusCode)
	}
	if c := e.sessionCookie(b); c != nil {
		t.Fatalf("cookie not cleared: %v", c)
	}
}

func TestDenyReturnsWithMessage(t *testing.T) {
	e := newEnv(t, envOpts{memory: true})
	b := apptest.NewBrowser(t)
	_, page := e.startLogin(b, "")
	consent := e.signInAtSandbox(b, page, "demo", "demo")
	back := e.decide(b, consent, false)
	if !strings.Contains(back.Location(), "error=access_denied") {
		t.Fatalf("deny redirect %s", back.Location())
	}
	r := b.Get(back.Location())
	if r.StatusCode != 200 || !strings.Contains(r.Body, "chose not to allow") {
		t.Fatalf("deny page: %d\n%s", r.StatusCode, r.Body)
	}
	if p := b.Get(e.app.URL + "/probe"); p.StatusCode != http.StatusSeeOther {
		t.Fatalf("denied user is signed in: %d", p.StatusCode)
	}
}

// callbackURL runs the flow up to the sandbox's redirect back to the app.
func (e *env) callbackURL(b *apptest.Browser) string {
	_, page := e.startLogin(b, "")
	consent := e.signInAtSandbox(b, page, "demo", "demo")
	return e.decide(b, consent, true).Location()
}

func withQuery(t *testing.T, raw string, set map[string]string) string {
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	for k, v := range set {
		if v == "" {
			q.Del(k)
		} else {
			q.Set(k, v)
		}
	}
	u.RawQuery = q.Encode()
	return u.String()
}

func assertNotSignedIn(t *testing.T, e *env, b *apptest.Browser) {
	t.Helper()
	if r := b.Get(e.app.URL + "/probe"); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("half-signed-in: /probe answered %d", r.StatusCode)
	}
}

func TestCallbackStateChecks(t *testing.T) {
	e := newEnv(t, envOpts{memory: true})
	cases := map[string]func(b *apptest.Browser, cb string) string{
		"missing state": func(_ *apptest.Browser, cb string) string { return withQuery(t, cb, map[string]string{"state": ""}) },
		"wrong state": func(_ *apptest.Browser, cb string) string {
			return withQuery(t, cb, map[string]string{"state": "x" + "abc"})
		},
		"state of another browser": func(_ *apptest.Browser, cb string) string {
			other := apptest.NewBrowser(t)
			return e.callbackURL(other) // its code and state, our cookie
		},
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			b := apptest.NewBrowser(t)
			cb := mutate(b, e.callbackURL(b))
			r := b.Get(cb)
			if r.StatusCode != http.StatusBadRequest || !strings.Contains(r.Body, "expired or was already used") {
				t.Fatalf("status %d body %s", r.StatusCode, r.Body)
			}
			assertNotSignedIn(t, e, b)
		})
	}
	t.Run("reused state and code", func(t *testing.T) {
		b := apptest.NewBrowser(t)
		cb := e.callbackURL(b)
		if r := b.Get(cb); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("first callback %d", r.StatusCode)
		}
		if r := b.Get(cb); r.StatusCode != http.StatusBadRequest {
			t.Fatalf("replayed callback %d, want 400", r.StatusCode)
		}
	})
	t.Run("reused code with a fresh state", func(t *testing.T) {
		b := apptest.NewBrowser(t)
		cb := e.callbackURL(b)
		if r := b.Get(cb); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("first callback %d", r.StatusCode)
		}
		b2 := apptest.NewBrowser(t)
		fresh := e.callbackURL(b2)
		oldCode, _ := url.Parse(cb)
		r := b2.Get(withQuery(t, fresh, map[string]string{"code": oldCode.Query().Get("code")}))
		if r.StatusCode != http.StatusBadGateway || !strings.Contains(r.Body, "did not work") {
			t.Fatalf("reused code: %d %s", r.StatusCode, r.Body)
		}
		assertNotSignedIn(t, e, b2)
	})
	t.Run("expired state", func(t *testing.T) {
		b := apptest.NewBrowser(t)
		cb := e.callbackURL(b)
		e.appClock.Advance(11 * time.Minute)
		r := b.Get(cb)
		if r.StatusCode != http.StatusBadRequest {
			t.Fatalf("expired state: %d", r.StatusCode)
		}
		assertNotSignedIn(t, e, b)
	})
}

func TestExpiredCode(t *testing.T) {
	e := newEnv(t, envOpts{memory: true})
	b := apptest.NewBrowser(t)
	cb := e.callbackURL(b)
	e.sbClock.Advance(11 * time.Minute) // the sandbox's code expires; our state does not
	r := b.Get(cb)
	if r.StatusCode != http.StatusBadGateway {
		t.Fatalf("expired code: %d %s", r.StatusCode, r.Body)
	}
	assertNotSignedIn(t, e, b)
}

func TestTokenEndpointFaults(t *testing.T) {
	faults := map[string]http.HandlerFunc{
		"garbage": func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "<<<not json>>>") },
		"html 500": func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(500)
			_, _ = io.WriteString(w, "<h1>oops</h1>")
		},
		"no token": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"token_type":"Bearer"}`)
		},
		"oauth error": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(401)
			_, _ = io.WriteString(w, `{"name":"TokenError","message":"The client_id and/or client_secret are incorrect","code":"incorrect_client_credentials","status":401}`)
		},
		"slow": func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-time.After(5 * time.Second):
			case <-r.Context().Done():
			}
		},
		"token of nobody": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"access_token":"not-a-jwt","token_type":"Bearer"}`)
		},
	}
	for name, h := range faults {
		t.Run(name, func(t *testing.T) {
			fake := httptest.NewServer(h)
			defer fake.Close()
			e := newEnv(t, envOpts{memory: true, tokenURL: fake.URL})
			b := apptest.NewBrowser(t)
			start := time.Now()
			r := b.Get(e.callbackURL(b))
			if r.StatusCode != http.StatusBadGateway || !strings.Contains(r.Body, "did not work") {
				t.Fatalf("status %d body %s", r.StatusCode, r.Body)
			}
			if time.Since(start) > 4*time.Second {
				t.Fatalf("token exchange not bounded: %v", time.Since(start))
			}
			if strings.Contains(r.Body, testClientSecret) {
				t.Fatal("secret leaked into the page")
			}
			assertNotSignedIn(t, e, b)
		})
	}
}

func TestRedirectURIIgnoresHostHeader(t *testing.T) {
	e := newEnv(t, envOpts{memory: true})
	req, _ := http.NewRequest(http.MethodGet, e.app.URL+"/auth/login", nil)
	req.Host = "evil.example"
	r := apptest.NewBrowser(t).Do(req)
	loc, _ := url.Parse(r.Location())
	if got := loc.Query().Get("redirect_uri"); got != e.app.URL+"/auth/callback" {
		t.Fatalf("redirect_uri %q follows the Host header", got)
	}
}

func TestNextMustBeLocal(t *testing.T) {
	e := newEnv(t, envOpts{memory: true})
	for _, next := range []string{"//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)", "/auth/logout"} {
		b := apptest.NewBrowser(t)
		_, page := e.startLogin(b, next)
		back := e.decide(b, e.signInAtSandbox(b, page, "demo", "demo"), true)
		r := b.Get(back.Location())
		if r.StatusCode != http.StatusSeeOther || r.Location() != e.app.URL+"/" {
			t.Fatalf("next=%q sent the user to %q", next, r.Location())
		}
	}
}

func TestSignedOutHTMXGetsHXRedirect(t *testing.T) {
	e := newEnv(t, envOpts{memory: true})
	r := apptest.NewBrowser(t).Get(e.app.URL+"/probe", "HX-Request", "true", "HX-Current-URL", e.app.URL+"/gateways?q=x")
	if r.StatusCode != http.StatusNoContent || r.Header.Get("HX-Redirect") != "/auth/login?next=%2Fgateways%3Fq%3Dx" {
		t.Fatalf("htmx: %d HX-Redirect=%q", r.StatusCode, r.Header.Get("HX-Redirect"))
	}
}

func TestExpiredTokenSendsUserToSignIn(t *testing.T) {
	e := newEnv(t, envOpts{memory: true})
	b := apptest.NewBrowser(t)
	e.signIn(b, "")
	// Thing+ says the token expired (its clock ran past exp); ours did not notice.
	e.sbClock.Advance(16 * 24 * time.Hour)
	r := b.Get(e.app.URL+"/probe", "HX-Request", "true")
	if r.StatusCode != http.StatusNoContent || r.Header.Get("HX-Redirect") != "/?m=expired&next=%2Fprobe" {
		t.Fatalf("expired token via htmx: %d %q %s", r.StatusCode, r.Header.Get("HX-Redirect"), r.Body)
	}
	if r := b.Get(e.app.URL + "/probe"); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("session not cleared after TokenExpiredError: %d", r.StatusCode)
	}
	// Our own clock past exp: caught before calling Thing+.
	b2 := apptest.NewBrowser(t)
	e.sbClock.Advance(-16 * 24 * time.Hour)
	e.signIn(b2, "")
	e.appClock.Advance(16 * 24 * time.Hour)
	if r := b2.Get(e.app.URL + "/probe"); r.StatusCode != http.StatusSeeOther || !strings.Contains(r.Location(), "/?m=expired") {
		t.Fatalf("locally expired token: %d %s", r.StatusCode, r.Location())
	}
}

// TestTokenExpiryWarningThenNotice moves a fake clock through the life of a
// 15-day Thing+ token: no warning until 24 h before its end, then a warning
// in the header with a "Sign in again" link back to the same page; after
// the end, a page saying the Thing+ session ended whose sign-in returns to
// where the user was.
func TestTokenExpiryWarningThenNotice(t *testing.T) {
	e := newEnv(t, envOpts{memory: true})
	b := apptest.NewBrowser(t)
	e.signIn(b, "")
	advance := func(d time.Duration) { e.appClock.Advance(d); e.sbClock.Advance(d) }

	advance(15*24*time.Hour - 25*time.Hour)
	if r := b.Get(e.app.URL + "/"); r.StatusCode != http.StatusOK || strings.Contains(r.Body, `data-testid="token-expiring"`) {
		t.Fatalf("25 h before the end: %d, warning shown=%v", r.StatusCode, strings.Contains(r.Body, "token-expiring"))
	}
	advance(2 * time.Hour) // 23 h left
	r := b.Get(e.app.URL + "/?x=1")
	if r.StatusCode != http.StatusOK || !strings.Contains(r.Body, `data-testid="token-expiring"`) {
		t.Fatalf("23 h before the end: no warning: %d", r.StatusCode)
	}
	if !strings.Contains(r.Body, "ends in 22 h") && !strings.Contains(r.Body, "ends in 23 h") {
		t.Errorf("warning does not say the hours left:\n%s", r.Body)
	}
	if !strings.Contains(r.Body, `href="/auth/login?next=%2F%3Fx%3D1" data-testid="renew"`) {
		t.Errorf("no Sign in again link back to this page:\n%s", r.Body)
	}
	// The warning never replaces the page: a signed-in feature still works.
	if r := b.Get(e.app.URL + "/probe"); r.StatusCode != http.StatusOK || r.Body != "me=demo" {
		t.Fatalf("probe while expiring: %d %s", r.StatusCode, r.Body)
	}

	advance(24 * time.Hour) // past the end
	r = b.Get(e.app.URL + "/probe?page=2")
	if r.StatusCode != http.StatusSeeOther || r.Location() != e.app.URL+"/?m=expired&next=%2Fprobe%3Fpage%3D2" {
		t.Fatalf("after the end: %d %s", r.StatusCode, r.Location())
	}
	notice := b.Get(r.Location())
	if notice.StatusCode != http.StatusOK || !strings.Contains(notice.Body, "Your Thing+ session has expired") {
		t.Fatalf("no session-ended notice: %d\n%s", notice.StatusCode, notice.Body)
	}
	if !strings.Contains(notice.Body, `href="/auth/login?next=%2Fprobe%3Fpage%3D2" data-testid="signin"`) {
		t.Fatalf("sign-in does not return to the page:\n%s", notice.Body)
	}
	// Still signed in at Thing+: straight to the consent page.
	_, consent := e.startLogin(b, "/probe?page=2")
	hops := b.Follow(e.decide(b, consent, true).Location(), 5)
	back := hops[len(hops)-1]
	if back.StatusCode != http.StatusOK || back.Body != "me=demo" || back.Request.URL.RequestURI() != "/probe?page=2" {
		t.Fatalf("after signing in again: %d %s %s", back.StatusCode, back.Request.URL, back.Body)
	}
}

func TestMemcachedOutageGives503NotSignOut(t *testing.T) {
	e := newEnv(t, envOpts{mcTimeout: 100 * time.Millisecond})
	b := apptest.NewBrowser(t)
	e.signIn(b, "")

	e.mc.Pause() // hangs: every call times out
	for _, hx := range []bool{false, true} {
		var r *apptest.Response
		start := time.Now()
		if hx {
			r = b.Get(e.app.URL+"/probe", "HX-Request", "true")
		} else {
			r = b.Get(e.app.URL + "/probe")
		}
		if r.StatusCode != http.StatusServiceUnavailable || r.Header.Get("Retry-After") == "" {
			t.Fatalf("paused memcached (htmx=%v): %d %s", hx, r.StatusCode, r.Body)
		}
		if hx && strings.Contains(r.Body, "<html") {
			t.Fatal("htmx got a whole page instead of a fragment")
		}
		if time.Since(start) > time.Second {
			t.Fatalf("outage answer took %v", time.Since(start))
		}
	}
	if c := e.sessionCookie(b); c == nil {
		t.Fatal("cookie dropped during the outage")
	}
	e.mc.Resume()
	// The server is used again once it answers a ping (every ~120 ms):
	// 503s until then, then the same session.
	woke := time.Now()
	for {
		r := b.Get(e.app.URL + "/probe")
		if r.StatusCode == 200 && r.Body == "me=demo" {
			break
		}
		if r.StatusCode != http.StatusServiceUnavailable || time.Since(woke) > time.Second {
			t.Fatalf("after resume: %d %q", r.StatusCode, r.Body)
		}
		time.Sleep(20 * time.Millisecond)
	}

	e.mc.Kill() // refused connections
	if r := b.Get(e.app.URL + "/probe"); r.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("killed memcached: %d", r.StatusCode)
	}
	if r := b.Get(e.app.URL + "/auth/login"); r.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("login while memcached is down: %d", r.StatusCode)
	}
	e.mc.Start() // back, empty: the service recovers by itself
	if r := b.Get(e.app.URL + "/probe"); r.StatusCode != http.StatusSeeOther || !strings.Contains(r.Location(), "/auth/login") {
		t.Fatalf("after restart: %d %s", r.StatusCode, r.Location())
	}
	e.signIn(apptest.NewBrowser(t), "")
}

func TestRegisterGoesToSignup(t *testing.T) {
	e := newEnv(t, envOpts{memory: true})
	r := apptest.NewBrowser(t).Get(e.app.URL + "/register")
	if r.StatusCode != http.StatusSeeOther || r.Location() != e.sb.URL+"/signup" {
		t.Fatalf("register: %d %s", r.StatusCode, r.Location())
	}
}

func TestCrossSiteLogoutRefused(t *testing.T) {
	e := newEnv(t, envOpts{memory: true})
	b := apptest.NewBrowser(t)
	e.signIn(b, "")
	r := b.PostForm(e.app.URL+"/auth/logout", nil, "Origin", "http://evil.example", "Sec-Fetch-Site", "cross-site")
	if r.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-site POST: %d", r.StatusCode)
	}
	if p := b.Get(e.app.URL + "/probe"); p.StatusCode != 200 {
		t.Fatalf("cross-site POST signed the user out: %d", p.StatusCode)
	}
}

func TestSecurityHeaders(t *testing.T) {
	e := newEnv(t, envOpts{memory: true})
	r := apptest.NewBrowser(t).Get(e.app.URL + "/")
	csp := r.Header.Get("Content-Security-Policy")
	for _, want := range []string{"script-src 'self'", "frame-ancestors 'none'", "object-src 'none'"} {
		if !strings.Contains(csp, want) {
			t.Fatalf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") {
		t.Fatal("CSP allows inline code")
	}
	if r.Header.Get("X-Content-Type-Options") != "nosniff" || r.Header.Get("Referrer-Policy") == "" {
		t.Fatalf("headers %v", r.Header)
	}
	if strings.Contains(r.Body, "<script>") || strings.Contains(r.Body, " style=") {
		t.Fatal("inline script or style in the page")
	}
}

var _ = context.Background

// BenchmarkSignIn measures the whole sign-in round trip over loopback: the
// app's /auth/login, the sandbox's login page, the consent page, the
// decision and the callback (token exchange + users/me), sessions in
// memcached. go test -run '^$' -bench SignIn ./handlers/
func BenchmarkSignIn(b *testing.B) {
	e := newEnv(b, envOpts{})
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if r := e.signIn(apptest.NewBrowser(b), ""); r.StatusCode != http.StatusOK {
			b.Fatalf("final page %d", r.StatusCode)
		}
	}
}

// Every sign-in tells the app who signed in, with users/me as Thing+ gives
// it (the trains store keeps the owner's time zone from it).
func TestSignInTellsTheApp(t *testing.T) {
	var mu sync.Mutex
	var heard []thingplus.User
	e := newEnv(t, envOpts{signedIn: func(_ context.Context, u thingplus.User) {
		mu.Lock()
		defer mu.Unlock()
		heard = append(heard, u)
	}})
	e.signIn(apptest.NewBrowser(t), "")
	mu.Lock()
	defer mu.Unlock()
	if len(heard) != 1 || heard[0].LoginID != "demo" || heard[0].ID == "" || heard[0].Timezone == "" {
		t.Fatalf("heard %+v", heard)
	}
}
