package sandbox

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"html/template"
	"net/http"
	"net/mail"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"
)

// The sandbox's browser pages: login, consent, sign-up, account. Plain HTML
// forms that work without JavaScript; no inline script or style; a strict
// CSP with frame-ancestors 'none'; every form carries a CSRF token tied to a
// per-browser cookie, and state-changing posts also pass Go's
// CrossOriginProtection.

//go:embed pages
var pagesFS embed.FS

const csrfCookieName = "tp_sandbox_csrf"

type pageSet struct {
	tmpl   map[string]*template.Template
	css    []byte
	cssTag string // content hash
}

func mustLoadPages() *pageSet {
	ps := &pageSet{tmpl: map[string]*template.Template{}}
	for _, name := range []string{"login", "consent", "signup", "account", "message"} {
		ps.tmpl[name] = template.Must(template.New(name).Funcs(pageFuncs).ParseFS(pagesFS, "pages/base.html", "pages/"+name+".html"))
	}
	css, err := pagesFS.ReadFile("pages/sandbox.css")
	if err != nil {
		panic(err)
	}
	sum := sha256.Sum256(css)
	ps.css, ps.cssTag = css, hex.EncodeToString(sum[:8])
	return ps
}

func (ps *pageSet) cssURL() string { return "/static/sandbox.css?v=" + ps.cssTag }

// serveCSS serves the stylesheet; the hashed URL the pages use is immutable.
func (ps *pageSet) serveCSS(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/css; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	if r.URL.Query().Get("v") == ps.cssTag {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	h.Set("ETag", `"`+ps.cssTag+`"`)
	if r.Header.Get("If-None-Match") == `"`+ps.cssTag+`"` {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	_, _ = w.Write(ps.css)
}

// pageData is what every template gets: the common fields and the page's view.
type pageData struct {
	Lang  string // "ko" or "en"
	Title string
	CSS   string
	CSRF  string
	V     any
}

// render executes a page into a buffer first, so a template error is a clean
// 500 and never half a page. formTarget is an extra CSP form-action source
// (the consent page's redirect target, since browsers apply form-action to
// the redirect that follows the post).
func (a *authArea) render(w http.ResponseWriter, r *http.Request, status int, name, title, browser string, v any, formTarget string) {
	var buf bytes.Buffer
	lang := pageLang(r)
	err := a.pages.tmpl[name].ExecuteTemplate(&buf, "base",
		pageData{Lang: lang, Title: title, CSS: a.pages.cssURL(), CSRF: a.csrfToken(browser), V: v})
	h := w.Header()
	formAction := "'self'"
	if formTarget != "" {
		formAction += " " + formTarget
	}
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action "+
		formAction+"; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	h.Add("Vary", "Accept-Language")
	if err != nil {
		a.s.log.Error("render page", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h.Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// browserID returns the browser's CSRF cookie, setting a new one if absent.
func (a *authArea) browserID(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(csrfCookieName); err == nil && len(c.Value) == 64 {
		if _, err := hex.DecodeString(c.Value); err == nil {
			return c.Value
		}
	}
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	v := hex.EncodeToString(b)
	http.SetCookie(w, &http.Cookie{Name: csrfCookieName, Value: v, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: strings.HasPrefix(a.s.opts.BaseURL, "https://")})
	return v
}

// csrfToken is the form token for a browser: HMAC(key, cookie).
func (a *authArea) csrfToken(browser string) string {
	m := hmac.New(sha256.New, a.csrfKey)
	m.Write([]byte("csrf\x00" + browser))
	return hex.EncodeToString(m.Sum(nil))
}

// formCSRFValid parses the form and checks its token against the cookie.
func (a *authArea) formCSRFValid(r *http.Request) bool {
	c, err := r.Cookie(csrfCookieName)
	if err != nil {
		return false
	}
	return a.csrfValid(c.Value, r.PostForm.Get("csrf"))
}

func parsePageForm(w http.ResponseWriter, r *http.Request) bool {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return false
	}
	return true
}

// safeNext accepts only a relative path on the sandbox (no scheme, no host,
// not "//x" or "/\x"), else def.
func safeNext(raw, def string) string {
	if raw == "" || len(raw) > 4096 || !strings.HasPrefix(raw, "/") ||
		strings.HasPrefix(raw, "//") || strings.HasPrefix(raw, "/\\") || strings.ContainsAny(raw, "\\\r\n\t") {
		return def
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return def
	}
	return raw
}

// cspSource turns a redirect URI into a CSP source (origin or scheme:) or ""
// when it does not look safe to put in a header.
var (
	cspOrigin = regexp.MustCompile(`^[a-z][a-z0-9+.-]*://([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?$`)
	cspScheme = regexp.MustCompile(`^[a-z][a-z0-9+.-]*$`)
)

func cspSource(redirectURI string) string {
	u, err := url.Parse(redirectURI)
	if err != nil {
		return ""
	}
	if u.Host == "" {
		if cspScheme.MatchString(u.Scheme) {
			return u.Scheme + ":"
		}
		return ""
	}
	o := strings.ToLower(u.Scheme) + "://" + u.Host
	if !cspOrigin.MatchString(o) {
		return ""
	}
	return o
}

// crossOriginPage answers a cross-origin form post.
func (a *authArea) crossOriginPage(w http.ResponseWriter, r *http.Request) {
	a.render(w, r, http.StatusForbidden, "message", "Request refused", a.browserID(w, r), messageView{
		Heading: "Request refused",
		Text:    "This form was sent from another site. Open the page on the Thing+ sandbox itself and try again.",
	}, "")
}

type messageView struct {
	Heading, Text, Link, LinkText string
}

// --- login ---

type loginView struct {
	LoginID string
	Next    string
	Client  string // name of the app asking, when signing in for OAuth
	Error   string
}

func (a *authArea) renderLogin(w http.ResponseWriter, r *http.Request, status int, v loginView, browser string) {
	a.render(w, r, status, "login", "Sign in", browser, v, "")
}

// clientNameFromNext names the app when next is an authorize URL.
func (a *authArea) clientNameFromNext(next string) string {
	u, err := url.Parse(next)
	if err != nil || u.Path != "/v2/oauth2/authorize" {
		return ""
	}
	if c, ok := a.s.clientByID(u.Query().Get("client_id")); ok {
		return c.Name
	}
	return ""
}

// loginPage is GET /login[?next=/relative]: the stand-alone sign-in form.
func (a *authArea) loginPage(w http.ResponseWriter, r *http.Request) {
	next := safeNext(r.URL.Query().Get("next"), "/account")
	a.renderLogin(w, r, http.StatusOK, loginView{Next: next, Client: a.clientNameFromNext(next)}, a.browserID(w, r))
}

// loginSubmit is POST /login {loginId, password (plain), next, csrf}: it
// starts a portal session and goes back to next (303). Errors re-render the
// form with the typed loginId kept: 400 empty fields, 401 wrong credentials,
// 403 bad or missing CSRF token.
func (a *authArea) loginSubmit(w http.ResponseWriter, r *http.Request) {
	if !parsePageForm(w, r) {
		return
	}
	f := r.PostForm
	next := safeNext(f.Get("next"), "/account")
	v := loginView{LoginID: strings.TrimSpace(f.Get("loginId")), Next: next, Client: a.clientNameFromNext(next)}
	valid := a.formCSRFValid(r)
	browser := a.browserID(w, r)
	if !valid {
		v.Error = "This form expired or did not come from this page. Please sign in again."
		a.renderLogin(w, r, http.StatusForbidden, v, browser)
		return
	}
	pw := f.Get("password")
	if v.LoginID == "" || pw == "" {
		v.Error = "Enter your login ID and your password."
		a.renderLogin(w, r, http.StatusBadRequest, v, browser)
		return
	}
	u, ok := a.s.userByLogin(v.LoginID, MD5Hex(pw))
	if !ok {
		v.Error = "The login ID or password is incorrect."
		a.renderLogin(w, r, http.StatusUnauthorized, v, browser)
		return
	}
	a.startSession(w, r, u.ID)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// logoutSubmit is POST /logout {csrf, next}: ends the portal session.
func (a *authArea) logoutSubmit(w http.ResponseWriter, r *http.Request) {
	if !parsePageForm(w, r) {
		return
	}
	if !a.formCSRFValid(r) {
		a.render(w, r, http.StatusForbidden, "message", "Request refused", a.browserID(w, r), messageView{
			Heading: "Request refused", Text: "This form expired. Go back, reload the page and try again.",
		}, "")
		return
	}
	a.s.endPortalSession(w, r)
	next := safeNext(r.PostForm.Get("next"), "/login")
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// --- consent ---

type consentView struct {
	TxID         string
	ClientName   string
	ClientID     string
	LoginID      string
	Nickname     string
	Scopes       []oauthScope
	RedirectHost string
	Implicit     bool
	Back         string // this authorize URL, to come back after switching account
}

func (a *authArea) renderConsent(w http.ResponseWriter, r *http.Request, tx *oauthTxn, c *Client, u *User, browser string) {
	v := consentView{TxID: tx.id, ClientName: c.Name, ClientID: c.ID, LoginID: u.LoginID, Nickname: u.Nickname,
		Implicit: tx.responseType == "token", Back: r.URL.RequestURI()}
	a.s.mu.RLock()
	for _, id := range c.Scopes {
		if sc, ok := scopeByID(id); ok {
			v.Scopes = append(v.Scopes, sc)
		}
	}
	a.s.mu.RUnlock()
	if ru, err := url.Parse(tx.redirectURI); err == nil {
		v.RedirectHost = ru.Host
		if v.RedirectHost == "" {
			v.RedirectHost = ru.Scheme + ":"
		}
	}
	a.render(w, r, http.StatusOK, "consent", trf(pageLang(r), "Allow %s?", c.Name), browser, v, cspSource(tx.redirectURI))
}

// --- sign-up ---

type signupView struct {
	LoginID, Email, Nickname, Next string
	Errors                         map[string]string // by field: loginId, email, nickname, password, confirm, form
}

var signupLoginIDPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{3,32}$`)

// signupPage is GET /signup[?next=/relative].
func (a *authArea) signupPage(w http.ResponseWriter, r *http.Request) {
	v := signupView{Next: safeNext(r.URL.Query().Get("next"), "")}
	a.render(w, r, http.StatusOK, "signup", "Create a Thing+ account", a.browserID(w, r), v, "")
}

// signupSubmit is POST /signup: it validates, creates the account, signs the
// browser in and sends it to /account (303), which offers to continue to
// next. Errors re-render the form (400; 409 for a taken login ID; 403 for
// a bad CSRF token) with every field but the passwords kept.
func (a *authArea) signupSubmit(w http.ResponseWriter, r *http.Request) {
	if !parsePageForm(w, r) {
		return
	}
	f := r.PostForm
	v := signupView{
		LoginID: strings.TrimSpace(f.Get("loginId")), Email: strings.TrimSpace(f.Get("email")),
		Nickname: strings.TrimSpace(f.Get("nickname")), Next: safeNext(f.Get("next"), ""),
		Errors: map[string]string{},
	}
	valid := a.formCSRFValid(r)
	browser := a.browserID(w, r)
	if !valid {
		v.Errors["form"] = "This form expired or did not come from this page. Please try again."
		a.render(w, r, http.StatusForbidden, "signup", "Create a Thing+ account", browser, v, "")
		return
	}
	pw, confirm := f.Get("password"), f.Get("confirm")
	switch {
	case v.LoginID == "":
		v.Errors["loginId"] = "Choose a login ID."
	case !signupLoginIDPattern.MatchString(v.LoginID):
		v.Errors["loginId"] = "This login ID does not fit the rule above."
	}
	if addr, err := mail.ParseAddress(v.Email); err != nil || addr.Address != v.Email || addr.Name != "" {
		v.Errors["email"] = "Enter an e-mail address like name@example.com."
	}
	if utf8.RuneCountInString(v.Nickname) > 40 {
		v.Errors["nickname"] = "Use at most 40 characters."
	}
	switch n := utf8.RuneCountInString(pw); {
	case n < 8:
		v.Errors["password"] = "This password is too short."
	case n > 128:
		v.Errors["password"] = "This password is too long (at most 128 characters)."
	}
	if confirm != pw {
		v.Errors["confirm"] = "The two passwords differ."
	}
	if len(v.Errors) > 0 {
		v.Errors["form"] = "Please correct the fields marked below."
		a.render(w, r, http.StatusBadRequest, "signup", "Create a Thing+ account", browser, v, "")
		return
	}
	nick := v.Nickname
	if nick == "" {
		nick = v.LoginID
	}
	u, err := a.s.CreateUser(v.LoginID, v.Email, nick, pw)
	if errors.Is(err, errConflict) {
		v.Errors["loginId"] = "This login ID is taken. Choose another."
		v.Errors["form"] = "Please correct the fields marked below."
		a.render(w, r, http.StatusConflict, "signup", "Create a Thing+ account", browser, v, "")
		return
	}
	if err != nil {
		a.s.log.Error("create user", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	a.startSession(w, r, u.ID)
	to := "/account?created=1"
	if v.Next != "" {
		to += "&next=" + url.QueryEscape(v.Next)
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// --- account ---

type accountView struct {
	LoginID, Nickname, Email string
	Created                  bool
	Next                     string
	AppSignIn, AppName       string // where the app signs in (no next): sign-up returns into the app
}

// appSignIn is the app's sign-in address when it is a plain http(s) URL.
func appSignIn(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return ""
	}
	return u.String()
}

// accountPage is GET /account: who is signed in, a Continue link to next
// (relative only) and a sign-out button.
func (a *authArea) accountPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	next := safeNext(q.Get("next"), "")
	u, ok := a.s.portalUserOf(r)
	if !ok {
		back := "/account"
		if next != "" {
			back += "?next=" + url.QueryEscape(next)
		}
		http.Redirect(w, r, "/login?next="+url.QueryEscape(back), http.StatusSeeOther)
		return
	}
	v := accountView{LoginID: u.LoginID, Nickname: u.Nickname, Email: u.Email, Created: q.Get("created") == "1", Next: next,
		AppSignIn: appSignIn(a.s.opts.App.SignInURL), AppName: a.s.opts.App.Name}
	a.render(w, r, http.StatusOK, "account", "Your Thing+ account", a.browserID(w, r), v, "")
}
