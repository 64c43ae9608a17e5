package sandbox

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/subtle"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// OAuth2 lifetimes (§3.1): codes live 10 minutes and are single-use. A
// consent transaction lives as long as a user may sensibly stare at the page.
const (
	oauthCodeTTL    = 10 * time.Minute
	oauthTxnTTL     = 20 * time.Minute
	oauthCodeKeep   = time.Hour // expired codes are kept this long so they answer expired_code, not invalid_code
	oauthMaxPending = 10000     // bound on live transactions and codes
)

// authArea owns OAuth2 (authorize, decision, token), the browser pages
// (login, consent, sign-up), the portal API (/v2/login, /v2/logout,
// authClients, authScopes) and users/me.
type authArea struct {
	s *Sandbox

	mu    sync.Mutex
	txns  map[string]*oauthTxn  // consent transactions by id
	codes map[string]*oauthCode // authorization codes by value

	csrfKey []byte // signs the per-browser CSRF token of the pages
	pages   *pageSet
	// crossPages and crossAPI reject state-changing cross-origin browser
	// requests; they differ only in how they answer (HTML page or JSON).
	crossPages *http.CrossOriginProtection
	crossAPI   *http.CrossOriginProtection
}

// oauthTxn is one consent screen shown to one browser (oauth2orize keeps it
// in the session; we bind it to the browser's CSRF cookie and the user).
type oauthTxn struct {
	id           string
	clientID     string
	redirectURI  string
	state        string
	responseType string
	userID       string
	browser      string // the CSRF cookie value of the browser it was shown to
	expires      time.Time
}

type oauthCode struct {
	clientID    string
	redirectURI string
	userID      string
	expires     time.Time
}

func newAuthArea(s *Sandbox) *authArea {
	a := &authArea{
		s:       s,
		txns:    map[string]*oauthTxn{},
		codes:   map[string]*oauthCode{},
		csrfKey: make([]byte, 32),
		pages:   mustLoadPages(),
	}
	_, _ = rand.Read(a.csrfKey)
	a.crossPages = http.NewCrossOriginProtection()
	a.crossPages.SetDenyHandler(http.HandlerFunc(a.crossOriginPage))
	a.crossAPI = http.NewCrossOriginProtection()
	a.crossAPI.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusForbidden, forbiddenError("Cross-origin request refused"))
	}))
	a.defaultAppScopes()
	return a
}

// defaultAppScopes gives the seeded app client the scopes the app's screens
// need when the caller seeded it without any, so that users/me (which checks
// user-profile-read) works out of the box.
func (a *authArea) defaultAppScopes() {
	s := a.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.clients[s.opts.App.ID]; ok && s.opts.App.ID != "" && len(c.Scopes) == 0 {
		c.Scopes = append([]string(nil), appDefaultScopes...)
	}
}

// appDefaultScopes are what thingplus-webapp's screens use (see the README).
var appDefaultScopes = []string{"user-profile-read", "gateway-read", "rule", "timeline-read", "tag-read"}

// routes registers everything the auth area serves. The sandbox's own pages
// live at the root, the Thing+ API under /v2.
func (a *authArea) routes(mux *http.ServeMux) {
	s := a.s
	mux.HandleFunc("GET /v2/oauth2/authorize", a.authorize)
	mux.Handle("POST /v2/oauth2/authorize/decision", a.crossAPI.Handler(http.HandlerFunc(a.decision)))
	mux.HandleFunc("POST /v2/oauth2/token", a.token)

	mux.HandleFunc("GET /v2/users/me", s.requireUser(a.me))
	mux.HandleFunc("GET /v2/users", s.requireUser(a.userList))
	mux.HandleFunc("GET /v2/users/{id}", s.requireUser(a.userByID))

	mux.Handle("POST /v2/login", a.crossAPI.Handler(http.HandlerFunc(a.portalLogin)))
	mux.Handle("POST /v2/logout", a.crossAPI.Handler(http.HandlerFunc(a.portalLogout)))
	// §9.4: /authClients is canonical; KIM-SW files it under /oauth2.
	for _, p := range []string{"/v2/authClients", "/v2/oauth2/authClients"} {
		mux.HandleFunc("GET "+p, a.portalOnly(a.listClients))
		mux.Handle("POST "+p, a.crossAPI.Handler(a.portalOnly(a.createClient)))
		mux.HandleFunc("GET "+p+"/{id}", a.portalOnly(a.getClient))
		mux.Handle("DELETE "+p+"/{id}", a.crossAPI.Handler(a.portalOnly(a.deleteClient)))
	}
	mux.HandleFunc("GET /v2/authScopes", s.requireUser(a.listScopes))
	mux.HandleFunc("GET /v2/authScopes/{id}", s.requireUser(a.getScope))

	mux.HandleFunc("GET /login", a.loginPage)
	mux.Handle("POST /login", a.crossPages.Handler(http.HandlerFunc(a.loginSubmit)))
	mux.Handle("POST /logout", a.crossPages.Handler(http.HandlerFunc(a.logoutSubmit)))
	mux.HandleFunc("GET /signup", a.signupPage)
	mux.Handle("POST /signup", a.crossPages.Handler(http.HandlerFunc(a.signupSubmit)))
	mux.HandleFunc("GET /account", a.accountPage)
	mux.HandleFunc("GET /static/sandbox.css", a.pages.serveCSS)
}

// oauthError is the oauth2orize error body (§3.5, §3.6):
// {"name","message","code","status"} plus "uri":null on the two user errors.
type oauthError struct {
	Name    string          `json:"name"`
	Message string          `json:"message"`
	Code    string          `json:"code,omitempty"`
	Status  int             `json:"status"`
	URI     json.RawMessage `json:"uri,omitempty"`
}

func writeOAuthError(w http.ResponseWriter, e oauthError) {
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, e.Status, e)
}

func authzError(status int, code, msg string) oauthError {
	return oauthError{Name: "AuthorizationError", Message: msg, Code: code, Status: status}
}

func tokenError(status int, code, msg string) oauthError {
	return oauthError{Name: "TokenError", Message: msg, Code: code, Status: status}
}

// tokenUserError carries "uri":null as Thing+ does for the user errors.
func tokenUserError(status int, code, msg string) oauthError {
	e := tokenError(status, code, msg)
	e.URI = json.RawMessage("null")
	return e
}

func forbiddenError(msg string) oauthError {
	return oauthError{Name: "ForbiddenError", Message: msg, Status: http.StatusForbidden}
}

// authorizeRequest is a validated GET /oauth2/authorize.
type authorizeRequest struct {
	responseType, redirectURI, state string
	client                           *Client
}

// parseAuthorize checks the query in oauth2orize's order: response_type
// (missing 400, unknown 501), client_id, redirect_uri, then the client and
// the redirect URI against the client's registration.
func (a *authArea) parseAuthorize(q url.Values) (authorizeRequest, *oauthError) {
	fail := func(status int, code, msg string) (authorizeRequest, *oauthError) {
		e := authzError(status, code, msg)
		return authorizeRequest{}, &e
	}
	rt := q.Get("response_type")
	if rt == "" {
		return fail(http.StatusBadRequest, "invalid_request", "Missing required parameter: response_type")
	}
	if rt != "code" && rt != "token" {
		return fail(http.StatusNotImplemented, "unsupported_response_type", "Unsupported response type: "+rt)
	}
	for _, p := range []string{"client_id", "redirect_uri"} {
		if q.Get(p) == "" {
			return fail(http.StatusBadRequest, "invalid_request", "Missing required parameter: "+p)
		}
	}
	c, ok := a.s.clientByID(q.Get("client_id"))
	if !ok {
		return fail(http.StatusUnauthorized, "incorrect_client_credentials", "The client_id is incorrect")
	}
	ru := q.Get("redirect_uri")
	// Not in the sheet: a redirect URI we could not send a browser to (relative,
	// or with a fragment, which RFC 6749 §3.1.2 forbids) is a bad request.
	if !validRedirectURI(ru) {
		return fail(http.StatusBadRequest, "invalid_request", "Invalid parameter: redirect_uri")
	}
	if !c.allowsRedirect(ru) {
		return fail(http.StatusBadRequest, "redirect_uri_mismatch", "Mismatched redirect_uri")
	}
	return authorizeRequest{responseType: rt, redirectURI: ru, state: q.Get("state"), client: c}, nil
}

// allowsRedirect: a client registered with redirectUris (§9.3, optional)
// accepts only an exact match; without any it accepts every redirect URI,
// and the token call must then repeat the one used here.
func (c *Client) allowsRedirect(uri string) bool {
	if len(c.RedirectURIs) == 0 {
		return true
	}
	for _, r := range c.RedirectURIs {
		if r == uri {
			return true
		}
	}
	return false
}

func validRedirectURI(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Fragment != "" || strings.Contains(raw, "#") || len(raw) > 2048 {
		return false
	}
	if (u.Scheme == "http" || u.Scheme == "https") && u.Host == "" {
		return false
	}
	return true
}

// authorize shows the login form (no portal session) or the consent page.
func (a *authArea) authorize(w http.ResponseWriter, r *http.Request) {
	ar, oerr := a.parseAuthorize(r.URL.Query())
	if oerr != nil {
		writeOAuthError(w, *oerr)
		return
	}
	browser := a.browserID(w, r)
	user, ok := a.s.portalUserOf(r)
	if !ok {
		a.renderLogin(w, r, http.StatusOK, loginView{Next: r.URL.RequestURI(), Client: ar.client.Name}, browser)
		return
	}
	tx := &oauthTxn{
		id: oauthRandAlnum(20), clientID: ar.client.ID, redirectURI: ar.redirectURI, state: ar.state,
		responseType: ar.responseType, userID: user.ID, browser: browser, expires: a.s.now().Add(oauthTxnTTL),
	}
	a.mu.Lock()
	a.pruneLocked()
	a.txns[tx.id] = tx
	a.mu.Unlock()
	a.renderConsent(w, r, tx, ar.client, user, browser)
}

// decision handles Allow/Deny from the consent page. Like oauth2orize, a
// transaction loads once: a second post, another browser's post, an expired
// transaction or a signed-out user all get 403 "Unable to load OAuth 2.0
// transaction". A present cancel field means Deny.
func (a *authArea) decision(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	if err := r.ParseForm(); err != nil {
		writeOAuthError(w, authzError(http.StatusBadRequest, "invalid_request", "Malformed request body"))
		return
	}
	id := r.PostForm.Get("transaction_id")
	if id == "" {
		writeOAuthError(w, forbiddenError("Missing required parameter: transaction_id"))
		return
	}
	browser := ""
	if c, err := r.Cookie(csrfCookieName); err == nil {
		browser = c.Value
	}
	user, signedIn := a.s.portalUserOf(r)
	now := a.s.now()

	a.mu.Lock()
	tx, found := a.txns[id]
	loadable := found && now.Before(tx.expires) && browser != "" &&
		subtle.ConstantTimeCompare([]byte(tx.browser), []byte(browser)) == 1 && signedIn && user.ID == tx.userID
	csrfOK := loadable && a.csrfValid(browser, r.PostForm.Get("csrf"))
	if loadable && csrfOK {
		delete(a.txns, id) // single use
	}
	a.mu.Unlock()

	switch {
	case !loadable:
		writeOAuthError(w, forbiddenError("Unable to load OAuth 2.0 transaction: "+id))
		return
	case !csrfOK:
		writeOAuthError(w, forbiddenError("Invalid CSRF token"))
		return
	}
	if _, ok := a.s.clientByID(tx.clientID); !ok { // deleted meanwhile
		writeOAuthError(w, authzError(http.StatusUnauthorized, "incorrect_client_credentials", "The client_id is incorrect"))
		return
	}
	implicit := tx.responseType == "token"
	params := url.Values{}
	if _, deny := r.PostForm["cancel"]; deny {
		params.Set("error", "access_denied")
	} else if implicit {
		tok, err := a.s.issueToken(tx.userID, tx.clientID, codeGrantTTL)
		if err != nil {
			writeOAuthError(w, oauthError{Name: "AuthorizationError", Message: "Unable to issue token", Code: "server_error", Status: 500})
			return
		}
		params.Set("access_token", tok)
		params.Set("token_type", "Bearer")
	} else {
		code := oauthRandAlnum(16)
		a.mu.Lock()
		a.pruneLocked()
		a.codes[code] = &oauthCode{clientID: tx.clientID, redirectURI: tx.redirectURI, userID: tx.userID,
			expires: now.Add(oauthCodeTTL)}
		a.mu.Unlock()
		params.Set("code", code)
	}
	if tx.state != "" {
		params.Set("state", tx.state)
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, oauthRedirectTo(tx.redirectURI, params, implicit), http.StatusFound)
}

// oauthRedirectTo appends params to the query (code grant) or puts them in
// the fragment (implicit grant, as oauth2orize does for both success and
// denial), keeping the redirect URI's own query.
func oauthRedirectTo(base string, params url.Values, fragment bool) string {
	enc := params.Encode()
	if fragment {
		return base + "#" + enc
	}
	u, err := url.Parse(base)
	if err != nil {
		return base
	}
	if u.RawQuery == "" {
		u.RawQuery = enc
	} else {
		u.RawQuery += "&" + enc
	}
	return u.String()
}

// pruneLocked drops expired transactions and long-expired codes, and keeps
// both maps bounded. Callers hold a.mu.
func (a *authArea) pruneLocked() {
	now := a.s.now()
	for id, t := range a.txns {
		if now.After(t.expires) {
			delete(a.txns, id)
		}
	}
	for c, v := range a.codes {
		if now.After(v.expires.Add(oauthCodeKeep)) {
			delete(a.codes, c)
		}
	}
	for id := range a.txns {
		if len(a.txns) < oauthMaxPending {
			break
		}
		delete(a.txns, id)
	}
	for c := range a.codes {
		if len(a.codes) < oauthMaxPending {
			break
		}
		delete(a.codes, c)
	}
}

// tokenParams reads the token request from a JSON object (what real clients
// send) or a form body (what the docs say), §3.2. Only string values count.
func tokenParams(w http.ResponseWriter, r *http.Request) (map[string]string, bool) {
	out := map[string]string{}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "application/json" {
		var m map[string]any
		dec := json.NewDecoder(io.LimitReader(r.Body, maxBody))
		if err := dec.Decode(&m); err != nil {
			return nil, false
		}
		for k, v := range m {
			if s, ok := v.(string); ok {
				out[k] = s
			}
		}
		return out, true
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	if err := r.ParseForm(); err != nil {
		return nil, false
	}
	for k := range r.PostForm {
		out[k] = r.PostForm.Get(k)
	}
	return out, true
}

// token is POST /oauth2/token: grants authorization_code and password; the
// answer is exactly {"access_token","token_type":"Bearer"} (§3.2).
func (a *authArea) token(w http.ResponseWriter, r *http.Request) {
	p, ok := tokenParams(w, r)
	if !ok {
		// Not in the sheet (Express' body parser answers 400 too).
		writeOAuthError(w, tokenError(http.StatusBadRequest, "invalid_request", "Malformed request body"))
		return
	}
	gt := p["grant_type"]
	if gt == "" {
		writeOAuthError(w, tokenError(http.StatusBadRequest, "invalid_request", "Missing required parameter: grant_type"))
		return
	}
	if gt != "authorization_code" && gt != "password" {
		writeOAuthError(w, tokenError(http.StatusNotImplemented, "unsupported_grant_type", "Unsupported grant type: "+gt))
		return
	}
	// Client credentials go in the body (AuthStyleInParams); HTTP Basic is
	// accepted too when the body has none, as RFC 6749 allows.
	id, secret := p["client_id"], p["client_secret"]
	if id == "" && secret == "" {
		if u, pw, ok := r.BasicAuth(); ok {
			id, _ = url.QueryUnescape(u)
			secret, _ = url.QueryUnescape(pw)
		}
	}
	client, ok := a.s.clientByID(id)
	if !ok || id == "" || subtle.ConstantTimeCompare([]byte(client.Secret), []byte(secret)) != 1 {
		writeOAuthError(w, tokenError(http.StatusUnauthorized, "incorrect_client_credentials",
			"The client_id and/or client_secret are incorrect"))
		return
	}
	var (
		userID string
		ttl    time.Duration
		oerr   *oauthError
	)
	if gt == "authorization_code" {
		userID, oerr = a.exchangeCode(client, p)
		ttl = codeGrantTTL
	} else {
		userID, oerr = a.exchangePassword(client, p)
		ttl = passwordGrantTTL
	}
	if oerr != nil {
		writeOAuthError(w, *oerr)
		return
	}
	tok, err := a.s.issueToken(userID, client.ID, ttl)
	if err != nil {
		writeOAuthError(w, tokenError(http.StatusInternalServerError, "server_error", "Unable to issue token"))
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	writeJSON(w, http.StatusOK, struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
	}{tok, "Bearer"})
}

// exchangeCode consumes a code: the first presentation by its own client
// uses it up, whatever the outcome, so a code is never tried twice.
func (a *authArea) exchangeCode(client *Client, p map[string]string) (string, *oauthError) {
	fail := func(status int, code, msg string) (string, *oauthError) {
		e := tokenError(status, code, msg)
		return "", &e
	}
	for _, k := range []string{"code", "redirect_uri"} {
		if p[k] == "" {
			return fail(http.StatusBadRequest, "invalid_request", "Missing required parameter: "+k)
		}
	}
	a.mu.Lock()
	c, ok := a.codes[p["code"]]
	if ok && c.clientID == client.ID {
		delete(a.codes, p["code"])
	}
	a.mu.Unlock()
	switch {
	case !ok || c.clientID != client.ID:
		return fail(http.StatusBadRequest, "invalid_code", "Authorization Code is invalid")
	case a.s.now().After(c.expires):
		return fail(http.StatusForbidden, "expired_code", "Authorization code is expired")
	case c.redirectURI != p["redirect_uri"]:
		return fail(http.StatusBadRequest, "redirect_uri_mismatch", "Mismatched redirect_uri")
	}
	if _, ok := a.s.userByID(c.userID); !ok {
		e := tokenUserError(http.StatusForbidden, "unauthorized_user", "The user is unauthorized")
		return "", &e
	}
	return c.userID, nil
}

// exchangePassword is the resource-owner password grant (MD5-hex password).
// Thing+ says it is "not allowed for 3rd-party applications"; the sandbox
// reads that as: the seeded app client may use it for any user, any other
// client only for the account that registered it (else unauthorized_user).
func (a *authArea) exchangePassword(client *Client, p map[string]string) (string, *oauthError) {
	for _, k := range []string{"username", "password"} {
		if p[k] == "" {
			e := tokenError(http.StatusBadRequest, "invalid_request", "Missing required parameter: "+k)
			return "", &e
		}
	}
	u, ok := a.s.userByLogin(p["username"], strings.ToLower(p["password"]))
	if !ok {
		e := tokenUserError(http.StatusUnauthorized, "incorrect_user_credentials", "The username and/or password are incorrect")
		return "", &e
	}
	if client.ID != a.s.opts.App.ID && client.OwnerID != u.ID {
		e := tokenUserError(http.StatusForbidden, "unauthorized_user", "The user is unauthorized")
		return "", &e
	}
	return u.ID, nil
}

const oauthAlnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// oauthRandAlnum returns n CSPRNG letters and digits (codes look like
// kJ4gYLfvDTcfZpd1, §3.1), without modulo bias.
func oauthRandAlnum(n int) string {
	out := make([]byte, 0, n)
	buf := make([]byte, 2*n)
	for len(out) < n {
		_, _ = rand.Read(buf)
		for _, b := range buf {
			if b < 248 { // 248 = 4*62
				out = append(out, oauthAlnum[int(b)%62])
				if len(out) == n {
					break
				}
			}
		}
	}
	return string(out)
}

// csrfValid checks a page form's token against the browser's cookie.
func (a *authArea) csrfValid(browser, token string) bool {
	if browser == "" || token == "" {
		return false
	}
	return hmac.Equal([]byte(a.csrfToken(browser)), []byte(token))
}
