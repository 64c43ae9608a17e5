package sandbox

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
)

// Test helpers of the auth area, prefixed oa so they cannot clash with other
// areas' test helpers in this package.

const (
	oaAppID       = "webapp"
	oaAppSecret   = "webapp-secret-123"
	oaAppRedirect = "http://localhost:3000/auth/callback"
)

type oaClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *oaClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *oaClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type oaEnv struct {
	t     *testing.T
	sb    *Sandbox
	srv   *httptest.Server
	clock *oaClock
}

func oaNew(t *testing.T) *oaEnv {
	t.Helper()
	clock := &oaClock{t: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)}
	sb := New(Options{
		App: AppClient{ID: oaAppID, Secret: oaAppSecret, Name: "Thing+ 웹앱 (신림-성수)",
			RedirectURIs: []string{oaAppRedirect}, Scopes: appDefaultScopes, SignInURL: oaAppSignIn},
		Now: clock.Now, SimulatorPace: -1, JWTSecret: []byte("test-secret"),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	srv := httptest.NewServer(validating(t, sb.Handler()))
	t.Cleanup(func() { srv.Close(); sb.Close() })
	return &oaEnv{t: t, sb: sb, srv: srv, clock: clock}
}

// oaBrowser is a cookie-keeping client that does not follow redirects, so
// tests see every hop.
type oaBrowser struct {
	e    *oaEnv
	c    *http.Client
	lang string // Accept-Language; "en" unless a test asks otherwise
}

func (e *oaEnv) browser() *oaBrowser {
	jar, _ := cookiejar.New(nil)
	return &oaBrowser{e: e, lang: "en", c: &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type oaResp struct {
	status int
	header http.Header
	body   string
}

func (r oaResp) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(r.body), &m); err != nil {
		t.Fatalf("body is not a JSON object: %v: %q", err, r.body)
	}
	return m
}

func (r oaResp) doc(t *testing.T) *goquery.Document {
	t.Helper()
	d, err := goquery.NewDocumentFromReader(strings.NewReader(r.body))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func (b *oaBrowser) do(req *http.Request) oaResp {
	b.e.t.Helper()
	if b.lang != "" && req.Header.Get("Accept-Language") == "" {
		req.Header.Set("Accept-Language", b.lang)
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return oaResp{status: resp.StatusCode, header: resp.Header, body: string(body)}
}

func (b *oaBrowser) get(path string) oaResp {
	req, _ := http.NewRequest(http.MethodGet, b.e.srv.URL+path, nil)
	return b.do(req)
}

func (b *oaBrowser) postForm(path string, v url.Values) oaResp {
	req, _ := http.NewRequest(http.MethodPost, b.e.srv.URL+path, strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

func (b *oaBrowser) sendJSON(method, path, token string, body any) oaResp {
	var rd io.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		rd = strings.NewReader(string(raw))
	}
	req, _ := http.NewRequest(method, b.e.srv.URL+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return b.do(req)
}

// formFields returns the named inputs of the form matched by sel.
func oaFormFields(t *testing.T, r oaResp, sel string) url.Values {
	t.Helper()
	form := r.doc(t).Find(sel)
	if form.Length() != 1 {
		t.Fatalf("want one %s, found %d in %s", sel, form.Length(), r.body)
	}
	v := url.Values{}
	form.Find("input").Each(func(_ int, s *goquery.Selection) {
		if n, ok := s.Attr("name"); ok {
			val, _ := s.Attr("value")
			v.Set(n, val)
		}
	})
	return v
}

func oaAuthorizePath(clientID, redirect, state string) string {
	q := url.Values{"response_type": {"code"}, "client_id": {clientID}, "redirect_uri": {redirect}}
	if state != "" {
		q.Set("state", state)
	}
	return "/v2/oauth2/authorize?" + q.Encode()
}

// signIn walks GET authorize → login form → POST /login and checks the 303
// back to the authorize URL.
func (b *oaBrowser) signIn(authorize, loginID, password string) {
	t := b.e.t
	t.Helper()
	page := b.get(authorize)
	if page.status != http.StatusOK {
		t.Fatalf("authorize: %d %s", page.status, page.body)
	}
	f := oaFormFields(t, page, `form[data-testid="login-form"]`)
	f.Set("loginId", loginID)
	f.Set("password", password)
	r := b.postForm("/login", f)
	if r.status != http.StatusSeeOther || r.header.Get("Location") != authorize {
		t.Fatalf("login: %d Location %q, want 303 to %q; body %s", r.status, r.header.Get("Location"), authorize, r.body)
	}
}

// consent loads the consent page of a signed-in browser and returns its form.
func (b *oaBrowser) consent(authorize string) (oaResp, url.Values) {
	t := b.e.t
	t.Helper()
	page := b.get(authorize)
	if page.status != http.StatusOK {
		t.Fatalf("consent: %d %s", page.status, page.body)
	}
	return page, oaFormFields(t, page, `form[data-testid="decision-form"]`)
}

// code runs the whole browser side for a signed-in browser and returns the code.
func (b *oaBrowser) code(clientID, redirect, state string) string {
	t := b.e.t
	t.Helper()
	_, f := b.consent(oaAuthorizePath(clientID, redirect, state))
	r := b.postForm("/v2/oauth2/authorize/decision", f)
	if r.status != http.StatusFound {
		t.Fatalf("decision: %d %s", r.status, r.body)
	}
	u, err := url.Parse(r.header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	return u.Query().Get("code")
}

// token posts to the token endpoint as form (asJSON false) or JSON.
func (e *oaEnv) token(params map[string]string, asJSON bool) oaResp {
	e.t.Helper()
	var req *http.Request
	if asJSON {
		raw, _ := json.Marshal(params)
		req, _ = http.NewRequest(http.MethodPost, e.srv.URL+"/v2/oauth2/token", strings.NewReader(string(raw)))
		req.Header.Set("Content-Type", "application/json")
	} else {
		v := url.Values{}
		for k, s := range params {
			v.Set(k, s)
		}
		req, _ = http.NewRequest(http.MethodPost, e.srv.URL+"/v2/oauth2/token", strings.NewReader(v.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return e.browser().do(req)
}

func oaCodeParams(code string) map[string]string {
	return map[string]string{"grant_type": "authorization_code", "code": code, "redirect_uri": oaAppRedirect,
		"client_id": oaAppID, "client_secret": oaAppSecret}
}

// accessToken checks a 200 token answer is exactly {access_token, token_type}.
func oaAccessToken(t *testing.T, r oaResp) string {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("token: %d %s", r.status, r.body)
	}
	m := r.json(t)
	if len(m) != 2 || m["token_type"] != "Bearer" {
		t.Fatalf("token answer %v, want exactly access_token and token_type Bearer", m)
	}
	tok, _ := m["access_token"].(string)
	if strings.Count(tok, ".") != 2 {
		t.Fatalf("access_token %q is not a JWT", tok)
	}
	return tok
}

// oaWantJSON compares a JSON body with want exactly (same keys, same values).
func oaWantJSON(t *testing.T, r oaResp, status int, want map[string]any) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body %s", r.status, status, r.body)
	}
	got := r.json(t)
	wantRaw, _ := json.Marshal(want)
	var w map[string]any
	_ = json.Unmarshal(wantRaw, &w)
	if !reflect.DeepEqual(got, w) {
		t.Fatalf("body\n got %s\nwant %s", r.body, wantRaw)
	}
}

// oaV2Error checks a v2 error envelope's status and code (only the status
// when code is empty).
func oaV2Error(t *testing.T, r oaResp, status int, code string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body %s", r.status, status, r.body)
	}
	if code == "" {
		return
	}
	var env struct {
		StatusCode int `json:"statusCode"`
		Errors     []struct {
			Code string `json:"code"`
		} `json:"errors"`
	}
	if err := json.Unmarshal([]byte(r.body), &env); err != nil || env.StatusCode != status || len(env.Errors) == 0 || env.Errors[0].Code != code {
		t.Fatalf("want v2 error %d %s, got %s", status, code, r.body)
	}
}

// portalLogin signs a browser in through POST /v2/login (MD5 password).
func (b *oaBrowser) portalLogin(loginID, password string) {
	b.e.t.Helper()
	r := b.sendJSON(http.MethodPost, "/v2/login", "", map[string]string{"loginId": loginID, "password": MD5Hex(password)})
	if r.status != http.StatusOK {
		b.e.t.Fatalf("portal login %s: %d %s", loginID, r.status, r.body)
	}
}
