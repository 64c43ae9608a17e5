package sandbox

import (
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
)

func TestSignupCreatesAccountAndContinues(t *testing.T) {
	e := oaNew(t)
	b := e.browser()
	authorize := oaAuthorizePath(oaAppID, oaAppRedirect, "s")

	page := b.get("/signup?next=" + url.QueryEscape(authorize))
	if page.status != 200 {
		t.Fatalf("signup page: %d", page.status)
	}
	f := oaFormFields(t, page, `form[data-testid="signup-form"]`)
	if f.Get("next") != authorize {
		t.Fatalf("next not carried: %q", f.Get("next"))
	}
	doc := page.doc(t)
	for _, id := range []string{"loginId", "email", "nickname", "password", "confirm"} {
		if doc.Find(`label[for="`+id+`"]`).Length() != 1 {
			t.Errorf("input %s has no label", id)
		}
	}

	// Every field wrong: 400, one message per field, input kept, passwords not echoed.
	f.Set("loginId", "x")
	f.Set("email", "not-an-email")
	f.Set("nickname", strings.Repeat("가", 41))
	f.Set("password", "short")
	f.Set("confirm", "shorter")
	r := b.postForm("/signup", f)
	if r.status != http.StatusBadRequest {
		t.Fatalf("invalid signup: %d", r.status)
	}
	d := r.doc(t)
	for _, field := range []string{"loginId", "email", "nickname", "password", "confirm"} {
		if d.Find(`[data-testid="error-`+field+`"]`).Text() == "" {
			t.Errorf("no error shown for %s", field)
		}
		if inv, _ := d.Find("#" + field).Attr("aria-invalid"); inv != "true" {
			t.Errorf("%s not marked aria-invalid", field)
		}
	}
	if v, _ := d.Find("#email").Attr("value"); v != "not-an-email" {
		t.Errorf("email not kept: %q", v)
	}
	if strings.Contains(r.body, "shorter") {
		t.Error("password echoed")
	}

	// A taken loginId: 409 with the field's message.
	f.Set("loginId", "demo")
	f.Set("email", "me@example.com")
	f.Set("nickname", "김철수")
	f.Set("password", "correct horse")
	f.Set("confirm", "correct horse")
	r = b.postForm("/signup", f)
	if r.status != http.StatusConflict || !strings.Contains(r.doc(t).Find(`[data-testid="error-loginId"]`).Text(), "taken") {
		t.Fatalf("duplicate loginId: %d", r.status)
	}
	if v, _ := r.doc(t).Find("#nickname").Attr("value"); v != "김철수" {
		t.Errorf("Korean nickname not kept: %q", v)
	}

	// Success: signed in, 303 to /account which offers to continue to next.
	f.Set("loginId", "kim.cs")
	r = b.postForm("/signup", f)
	want := "/account?created=1&next=" + url.QueryEscape(authorize)
	if r.status != http.StatusSeeOther || r.header.Get("Location") != want {
		t.Fatalf("signup: %d %q want %q", r.status, r.header.Get("Location"), want)
	}
	acc := b.get(want)
	ad := acc.doc(t)
	if acc.status != 200 || ad.Find(`[data-testid="login-id"]`).Text() != "kim.cs" {
		t.Fatalf("account page: %d %s", acc.status, acc.body)
	}
	if href, _ := ad.Find(`[data-testid="continue"]`).Attr("href"); href != authorize {
		t.Fatalf("continue link %q", href)
	}
	// Continuing goes straight to consent; the new user can finish the flow.
	code := b.code(oaAppID, oaAppRedirect, "s")
	tok := oaAccessToken(t, e.token(oaCodeParams(code), false))
	me := b.sendJSON(http.MethodGet, "/v2/users/me", tok, nil).json(t)["data"].(map[string]any)
	if me["loginId"] != "kim.cs" || me["nickname"] != "김철수" || me["email"] != "me@example.com" {
		t.Fatalf("new user %v", me)
	}
	// And can sign in with the password later.
	e.browser().portalLogin("kim.cs", "correct horse")
}

// oaAppSignIn is the app's sign-in page the sandbox is told about.
const oaAppSignIn = "http://app.test/auth/login"

// Sign-up started from the app's "Sign up" (no next) ends with a way back
// into the app's sign-in, not "you can close this tab".
func TestSignupReturnsIntoTheApp(t *testing.T) {
	e := oaNew(t)
	b := e.browser()
	f := oaFormFields(t, b.get("/signup"), `form[data-testid="signup-form"]`)
	for k, v := range map[string]string{"loginId": "lee.yh", "email": "lee@example.com", "password": "correct horse", "confirm": "correct horse"} {
		f.Set(k, v)
	}
	r := b.postForm("/signup", f)
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/account?created=1" {
		t.Fatalf("signup: %d %q", r.status, r.header.Get("Location"))
	}
	acc := b.get("/account?created=1")
	d := acc.doc(t)
	if href, _ := d.Find(`[data-testid="app-signin"]`).Attr("href"); href != oaAppSignIn {
		t.Fatalf("no way back into the app: %q %s", href, acc.body)
	}
	if strings.Contains(acc.body, "close this tab") {
		t.Fatal("still says close this tab")
	}
	if appSignIn("javascript:alert(1)") != "" || appSignIn("//evil") != "" || appSignIn("https://u:p@x/") != "" {
		t.Fatal("a non-http sign-in address is linked")
	}
}

func TestPagesRejectForeignNext(t *testing.T) {
	e := oaNew(t)
	b := e.browser()
	for _, next := range []string{"https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)", "evil"} {
		page := b.get("/signup?next=" + url.QueryEscape(next))
		if f := oaFormFields(t, page, `form[data-testid="signup-form"]`); f.Get("next") != "" {
			t.Errorf("signup kept next %q", next)
		}
		lp := b.get("/login?next=" + url.QueryEscape(next))
		if f := oaFormFields(t, lp, `form[data-testid="login-form"]`); f.Get("next") != "/account" {
			t.Errorf("login kept next %q as %q", next, f.Get("next"))
		}
		// A forged next in the login post is replaced too.
		f := oaFormFields(t, lp, `form[data-testid="login-form"]`)
		f.Set("next", next)
		f.Set("loginId", "demo")
		f.Set("password", "demo")
		if r := b.postForm("/login", f); r.header.Get("Location") != "/account" {
			t.Errorf("login redirected to %q for next %q", r.header.Get("Location"), next)
		}
	}
	if r := b.get("/account?next=" + url.QueryEscape("https://evil.example/")); r.doc(t).Find(`[data-testid="continue"]`).Length() != 0 {
		t.Error("account page links to a foreign next")
	}
}

func TestPageFormsNeedCSRFToken(t *testing.T) {
	e := oaNew(t)
	b := e.browser()
	page := b.get("/login")
	f := oaFormFields(t, page, `form[data-testid="login-form"]`)
	f.Set("loginId", "demo")
	f.Set("password", "demo")

	forged := url.Values{"loginId": {"demo"}, "password": {"demo"}, "next": {"/account"}, "csrf": {"0000"}}
	r := b.postForm("/login", forged)
	if r.status != http.StatusForbidden || r.doc(t).Find(`[data-testid="login-error"]`).Length() != 1 {
		t.Fatalf("forged login: %d", r.status)
	}
	if v, _ := r.doc(t).Find("#loginId").Attr("value"); v != "demo" {
		t.Error("loginId not kept after CSRF failure")
	}
	// A browser without the cookie cannot use another's token.
	if r := e.browser().postForm("/login", f); r.status != http.StatusForbidden {
		t.Fatalf("login from a browser without the cookie: %d", r.status)
	}
	// Cross-origin post: refused by CrossOriginProtection with a page.
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/login", strings.NewReader(f.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if r := b.do(req); r.status != http.StatusForbidden || !strings.Contains(r.body, "another site") {
		t.Fatalf("cross-site login: %d %s", r.status, r.body)
	}
	// The genuine form works.
	if r := b.postForm("/login", f); r.status != http.StatusSeeOther {
		t.Fatalf("genuine login: %d", r.status)
	}
	// Sign-up and sign-out need it too.
	if r := b.postForm("/signup", url.Values{"loginId": {"abc"}, "email": {"a@b.co"}, "password": {"12345678"}, "confirm": {"12345678"}}); r.status != http.StatusForbidden {
		t.Fatalf("signup without token: %d", r.status)
	}
	if r := b.postForm("/logout", url.Values{}); r.status != http.StatusForbidden {
		t.Fatalf("logout without token: %d", r.status)
	}
	if _, ok := e.sb.portalUserOf(&http.Request{Header: http.Header{"Cookie": {oaCookieHeader(b, e)}}}); !ok {
		t.Fatal("forged logout ended the session")
	}
	// The genuine sign-out form ends the session.
	acc := b.get("/account")
	lf := oaFormFields(t, acc, "form.switch")
	if r := b.postForm("/logout", lf); r.status != http.StatusSeeOther || r.header.Get("Location") != "/login" {
		t.Fatalf("logout: %d %q", r.status, r.header.Get("Location"))
	}
	if r := b.get("/account"); r.status != http.StatusSeeOther {
		t.Fatalf("account after logout: %d", r.status)
	}
}

func oaCookieHeader(b *oaBrowser, e *oaEnv) string {
	u, _ := url.Parse(e.srv.URL)
	var parts []string
	for _, c := range b.c.Jar.Cookies(u) {
		parts = append(parts, c.Name+"="+c.Value)
	}
	return strings.Join(parts, "; ")
}

func TestConsentEscapesClientNameAndSwitchesAccount(t *testing.T) {
	e := oaNew(t)
	e.sb.mu.Lock()
	e.sb.clients["x"] = &Client{ID: "x", Secret: "s", Name: `<script>alert(1)</script>`, OwnerID: "2"}
	e.sb.mu.Unlock()
	b := e.browser()
	b.portalLogin("demo", "demo")
	authorize := oaAuthorizePath("x", "myapp:/callback", "")
	page, _ := b.consent(authorize)
	if strings.Contains(page.body, "<script>") || !strings.Contains(page.body, "&lt;script&gt;") {
		t.Fatal("client name not escaped")
	}
	if !strings.Contains(page.body, "only learn that you signed in") {
		t.Error("a client without scopes should say so")
	}
	if !strings.Contains(page.header.Get("Content-Security-Policy"), "form-action 'self' myapp:;") {
		t.Errorf("CSP %q", page.header.Get("Content-Security-Policy"))
	}
	// "Not demo? Use another account" signs out and comes back to the same authorize URL.
	sw := oaFormFields(t, page, "form.switch")
	r := b.postForm("/logout", sw)
	if r.status != http.StatusSeeOther || r.header.Get("Location") != authorize {
		t.Fatalf("switch account: %d %q", r.status, r.header.Get("Location"))
	}
	b.signIn(authorize, "other", "other")
	page, _ = b.consent(authorize)
	if page.doc(t).Find(`[data-testid="login-id"]`).Text() != "other" {
		t.Fatal("consent not shown for the new account")
	}
}

func TestStylesheetServed(t *testing.T) {
	e := oaNew(t)
	b := e.browser()
	page := b.get("/login")
	href, _ := page.doc(t).Find(`link[rel="stylesheet"]`).Attr("href")
	if !strings.HasPrefix(href, "/static/sandbox.css?v=") {
		t.Fatalf("stylesheet href %q", href)
	}
	r := b.get(href)
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/css") ||
		!strings.Contains(r.header.Get("Cache-Control"), "immutable") || !strings.Contains(r.body, "prefers-color-scheme: dark") {
		t.Fatalf("css: %d %v", r.status, r.header)
	}
	if r := b.get("/static/sandbox.css"); strings.Contains(r.header.Get("Cache-Control"), "immutable") {
		t.Error("unhashed CSS URL must not be immutable")
	}
}

// FuzzSafeNext: whatever comes in, what goes out is the default or a path
// on this host (a browser resolving it against the sandbox stays there).
func FuzzSafeNext(f *testing.F) {
	for _, s := range []string{"/account", "//evil.example", "/\\evil", "https://evil.example", "/v2/oauth2/authorize?a=b",
		"/%2F%2Fevil", "/\t/evil", " /x", "/x#y", "javascript:alert(1)"} {
		f.Add(s)
	}
	base, _ := url.Parse("http://127.0.0.1:3001/signup")
	f.Fuzz(func(t *testing.T, raw string) {
		got := safeNext(raw, "/default")
		if got == "/default" {
			return
		}
		if got != raw {
			t.Fatalf("safeNext changed %q into %q", raw, got)
		}
		u, err := base.Parse(got)
		if err != nil || u.Host != base.Host || u.Scheme != base.Scheme {
			t.Fatalf("safeNext(%q) leaves the sandbox: %v %v", raw, u, err)
		}
	})
}

// A Korean browser (or one that states no preference) gets the sandbox's
// pages in Korean, with the Portal's words; every English text the pages
// and their handlers show has a Korean twin.
func TestPagesInKorean(t *testing.T) {
	e := oaNew(t)
	b := e.browser()
	b.lang = "ko-KR,ko;q=0.9"
	page := b.get("/login")
	d := page.doc(t)
	if d.Find("html").AttrOr("lang", "") != "ko" || d.Find("h1").Text() != "Thing+ 로그인" ||
		!strings.Contains(page.header.Get("Vary"), "Accept-Language") {
		t.Fatalf("login page: lang %q, h1 %q", d.Find("html").AttrOr("lang", ""), d.Find("h1").Text())
	}
	bad := b.postForm("/login", url.Values{"csrf": {oaFormFields(t, page, `form[data-testid="login-form"]`).Get("csrf")}, "loginId": {"demo"}, "password": {"nope"}})
	if got := bad.doc(t).Find(`[data-testid="login-error"]`).Text(); got != "아이디 또는 비밀번호가 올바르지 않습니다." {
		t.Fatalf("login error %q", got)
	}
	b.lang = ""
	if d := b.get("/signup").doc(t); d.Find("h1").Text() != "Thing+ 계정 만들기" {
		t.Fatalf("no Accept-Language: sign-up h1 %q", d.Find("h1").Text())
	}
	b.lang = "en-US"
	if d := b.get("/signup").doc(t); d.Find("h1").Text() != "Create a Thing+ account" || d.Find("html").AttrOr("lang", "") != "en" {
		t.Fatalf("English: sign-up h1 %q", d.Find("h1").Text())
	}
	// every literal the templates translate, and every scope, has Korean
	tr := regexp.MustCompile(`trf? \$?[l.A-Za-z]* "([^"]+)"`)
	for _, name := range []string{"base", "login", "consent", "signup", "account", "message"} {
		raw, _ := pagesFS.ReadFile("pages/" + name + ".html")
		for _, m := range tr.FindAllStringSubmatch(string(raw), -1) {
			if _, ok := pageKo[m[1]]; !ok {
				t.Errorf("%s.html: %q has no Korean", name, m[1])
			}
		}
	}
	for _, s := range oauthScopes {
		if _, ok := pageKo[s.Description]; !ok {
			t.Errorf("scope %s: %q has no Korean", s.ID, s.Description)
		}
	}
	src, _ := os.ReadFile("oauth_pages.go")
	for _, m := range regexp.MustCompile(`(?:Error|Errors\["\w+"\]|Heading|Text)\s*[:=]\s*"([^"]+)"`).FindAllStringSubmatch(string(src), -1) {
		if _, ok := pageKo[m[1]]; !ok {
			t.Errorf("oauth_pages.go: %q has no Korean", m[1])
		}
	}
}
