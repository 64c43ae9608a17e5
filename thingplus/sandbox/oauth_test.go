package sandbox

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

var oaCodePattern = regexp.MustCompile(`^[A-Za-z0-9]{16}$`)

func oaClaims(t *testing.T, tok string) map[string]any {
	t.Helper()
	parts := strings.Split(tok, ".")
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	hdr, _ := base64.RawURLEncoding.DecodeString(parts[0])
	if !strings.Contains(string(hdr), `"alg":"HS256"`) {
		t.Fatalf("JWT header %s, want HS256", hdr)
	}
	return m
}

func TestOAuthCodeFlowEndToEnd(t *testing.T) {
	e := oaNew(t)
	b := e.browser()
	authorize := oaAuthorizePath(oaAppID, oaAppRedirect, "st-123")

	// No portal session: the login form, framed nowhere, without script.
	page := b.get(authorize)
	if page.status != http.StatusOK || !strings.HasPrefix(page.header.Get("Content-Type"), "text/html") {
		t.Fatalf("authorize without session: %d %s", page.status, page.header.Get("Content-Type"))
	}
	csp := page.header.Get("Content-Security-Policy")
	for _, want := range []string{"frame-ancestors 'none'", "default-src 'none'", "form-action 'self'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if page.header.Get("X-Frame-Options") != "DENY" {
		t.Errorf("X-Frame-Options %q", page.header.Get("X-Frame-Options"))
	}
	doc := page.doc(t)
	if doc.Find("script").Length() != 0 || doc.Find("[style]").Length() != 0 || doc.Find("style").Length() != 0 {
		t.Error("page has inline script or style")
	}
	if got := doc.Find(`[data-testid="client-name"]`).Text(); got != "Thing+ 웹앱 (신림-성수)" {
		t.Errorf("login page names the client %q", got)
	}
	for _, id := range []string{"loginId", "password"} {
		if doc.Find(`label[for="`+id+`"]`).Length() != 1 || doc.Find("#"+id).Length() != 1 {
			t.Errorf("input %s is not labelled", id)
		}
	}

	// Wrong password: 401, message, typed loginId kept, password not echoed.
	f := oaFormFields(t, page, `form[data-testid="login-form"]`)
	f.Set("loginId", "demo")
	f.Set("password", "wrong-pass")
	bad := b.postForm("/login", f)
	if bad.status != http.StatusUnauthorized {
		t.Fatalf("bad login: %d", bad.status)
	}
	bd := bad.doc(t)
	if msg := bd.Find(`[data-testid="login-error"]`).Text(); !strings.Contains(msg, "incorrect") {
		t.Errorf("bad login message %q", msg)
	}
	if v, _ := bd.Find("#loginId").Attr("value"); v != "demo" {
		t.Errorf("loginId not kept: %q", v)
	}
	if strings.Contains(bad.body, "wrong-pass") {
		t.Error("password echoed in the page")
	}

	// Right password: 303 back to authorize, then consent.
	b.signIn(authorize, "demo", "demo")
	consent, df := b.consent(authorize)
	cd := consent.doc(t)
	if got := cd.Find(`[data-testid="client-name"]`).Text(); got != "Thing+ 웹앱 (신림-성수)" {
		t.Errorf("consent names %q", got)
	}
	scopes := cd.Find(`[data-testid="scopes"] li`)
	if scopes.Length() != len(appDefaultScopes) {
		t.Errorf("consent lists %d scopes, want %d", scopes.Length(), len(appDefaultScopes))
	}
	if !strings.Contains(scopes.Text(), "gateway-read") || !strings.Contains(scopes.Text(), "read your gateways") {
		t.Errorf("scopes text %q", scopes.Text())
	}
	if !strings.Contains(consent.header.Get("Content-Security-Policy"), "form-action 'self' http://localhost:3000;") {
		t.Errorf("consent CSP must allow the redirect target: %q", consent.header.Get("Content-Security-Policy"))
	}
	if df.Get("transaction_id") == "" || df.Get("csrf") == "" {
		t.Fatalf("decision form fields %v", df)
	}

	// Allow: 302 to redirect_uri?code=<16 alnum>&state=st-123.
	dec := b.postForm("/v2/oauth2/authorize/decision", df)
	if dec.status != http.StatusFound {
		t.Fatalf("decision: %d %s", dec.status, dec.body)
	}
	loc, _ := url.Parse(dec.header.Get("Location"))
	if loc.Scheme+"://"+loc.Host+loc.Path != oaAppRedirect || loc.Query().Get("state") != "st-123" {
		t.Fatalf("redirect %s", loc)
	}
	code := loc.Query().Get("code")
	if !oaCodePattern.MatchString(code) {
		t.Fatalf("code %q is not 16 alphanumerics", code)
	}

	// Token: exactly {access_token, token_type}, HS256 {userId, clientId, iat, exp}, 15 days.
	tok := oaAccessToken(t, e.token(oaCodeParams(code), false))
	c := oaClaims(t, tok)
	if len(c) != 4 || c["userId"] != "1" || c["clientId"] != oaAppID {
		t.Fatalf("claims %v", c)
	}
	if exp, iat := c["exp"].(float64), c["iat"].(float64); exp-iat != 15*24*3600 || int64(iat) != e.clock.Now().Unix() {
		t.Fatalf("exp-iat %v", exp-iat)
	}

	// users/me in the v2 envelope.
	me := b.sendJSON(http.MethodGet, "/v2/users/me", tok, nil)
	m := me.json(t)
	data, _ := m["data"].(map[string]any)
	if me.status != 200 || m["statusCode"] != 200.0 || m["message"] != "OK" || data["loginId"] != "demo" || data["id"] != "1" || data["timezone"] != "+9.00" {
		t.Fatalf("users/me: %d %s", me.status, me.body)
	}
	if _, isString := data["ctime"].(string); !isString {
		t.Errorf("users/me ctime should be a string: %v", data["ctime"])
	}
}

func TestOAuthRedirectKeepsQueryAndOmitsEmptyState(t *testing.T) {
	e := oaNew(t)
	b := e.browser()
	b.portalLogin("demo", "demo")
	// A client without registered redirect URIs accepts any; the URI's own query stays.
	e.sb.mu.Lock()
	e.sb.clients["free"] = &Client{ID: "free", Secret: "s", Name: "Free", OwnerID: "1"}
	e.sb.mu.Unlock()
	_, f := b.consent(oaAuthorizePath("free", "https://app.example/cb?x=1", ""))
	r := b.postForm("/v2/oauth2/authorize/decision", f)
	loc := r.header.Get("Location")
	if !strings.HasPrefix(loc, "https://app.example/cb?x=1&code=") || strings.Contains(loc, "state") {
		t.Fatalf("Location %q", loc)
	}
}

func TestOAuthAuthorizeErrors(t *testing.T) {
	e := oaNew(t)
	e.sb.mu.Lock()
	e.sb.clients["free"] = &Client{ID: "free", Secret: "s", Name: "Free", OwnerID: "1"}
	e.sb.mu.Unlock()
	b := e.browser()
	ae := func(code, msg string, status int) map[string]any {
		return map[string]any{"name": "AuthorizationError", "message": msg, "code": code, "status": status}
	}
	cases := []struct {
		name   string
		query  url.Values
		status int
		body   map[string]any
	}{
		{"no response_type", url.Values{"client_id": {oaAppID}, "redirect_uri": {oaAppRedirect}}, 400,
			ae("invalid_request", "Missing required parameter: response_type", 400)},
		{"no client_id", url.Values{"response_type": {"code"}, "redirect_uri": {oaAppRedirect}}, 400,
			ae("invalid_request", "Missing required parameter: client_id", 400)},
		{"no redirect_uri", url.Values{"response_type": {"code"}, "client_id": {oaAppID}}, 400,
			ae("invalid_request", "Missing required parameter: redirect_uri", 400)},
		{"unsupported response_type", url.Values{"response_type": {"code2"}, "client_id": {oaAppID}, "redirect_uri": {oaAppRedirect}}, 501,
			ae("unsupported_response_type", "Unsupported response type: code2", 501)},
		{"unknown client", url.Values{"response_type": {"code"}, "client_id": {"nope"}, "redirect_uri": {oaAppRedirect}}, 401,
			ae("incorrect_client_credentials", "The client_id is incorrect", 401)},
		{"redirect not registered", url.Values{"response_type": {"code"}, "client_id": {oaAppID}, "redirect_uri": {"http://evil.example/cb"}}, 400,
			ae("redirect_uri_mismatch", "Mismatched redirect_uri", 400)},
		{"redirect differs by a slash", url.Values{"response_type": {"code"}, "client_id": {oaAppID}, "redirect_uri": {oaAppRedirect + "/"}}, 400,
			ae("redirect_uri_mismatch", "Mismatched redirect_uri", 400)},
		{"relative redirect", url.Values{"response_type": {"code"}, "client_id": {"free"}, "redirect_uri": {"/cb"}}, 400,
			ae("invalid_request", "Invalid parameter: redirect_uri", 400)},
		{"redirect with fragment", url.Values{"response_type": {"code"}, "client_id": {"free"}, "redirect_uri": {"https://a.example/cb#x"}}, 400,
			ae("invalid_request", "Invalid parameter: redirect_uri", 400)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			oaWantJSON(t, b.get("/v2/oauth2/authorize?"+tc.query.Encode()), tc.status, tc.body)
		})
	}
}

func TestOAuthDenyRedirectsWithAccessDenied(t *testing.T) {
	e := oaNew(t)
	b := e.browser()
	b.portalLogin("demo", "demo")
	_, f := b.consent(oaAuthorizePath(oaAppID, oaAppRedirect, "s1"))
	f.Set("cancel", "Deny")
	r := b.postForm("/v2/oauth2/authorize/decision", f)
	if r.status != http.StatusFound || r.header.Get("Location") != oaAppRedirect+"?error=access_denied&state=s1" {
		t.Fatalf("deny: %d %q", r.status, r.header.Get("Location"))
	}
	// Even an empty cancel field means Deny.
	_, f = b.consent(oaAuthorizePath(oaAppID, oaAppRedirect, ""))
	f.Set("cancel", "")
	r = b.postForm("/v2/oauth2/authorize/decision", f)
	if r.header.Get("Location") != oaAppRedirect+"?error=access_denied" {
		t.Fatalf("deny with empty cancel: %q", r.header.Get("Location"))
	}
}

func TestOAuthDecisionIsSingleUseAndBound(t *testing.T) {
	e := oaNew(t)
	b := e.browser()
	b.portalLogin("demo", "demo")
	unable := func(id string) map[string]any {
		return map[string]any{"name": "ForbiddenError", "message": "Unable to load OAuth 2.0 transaction: " + id, "status": 403}
	}

	_, f := b.consent(oaAuthorizePath(oaAppID, oaAppRedirect, ""))
	id := f.Get("transaction_id")

	// A wrong CSRF token is refused and does not consume the transaction.
	bad := url.Values{"transaction_id": {id}, "csrf": {"forged"}}
	oaWantJSON(t, b.postForm("/v2/oauth2/authorize/decision", bad), 403,
		map[string]any{"name": "ForbiddenError", "message": "Invalid CSRF token", "status": 403})

	// Another browser (its own session, same user) cannot load it.
	other := e.browser()
	other.portalLogin("demo", "demo")
	oaWantJSON(t, other.postForm("/v2/oauth2/authorize/decision", f), 403, unable(id))

	// The right browser can, once.
	if r := b.postForm("/v2/oauth2/authorize/decision", f); r.status != http.StatusFound {
		t.Fatalf("first decision: %d %s", r.status, r.body)
	}
	oaWantJSON(t, b.postForm("/v2/oauth2/authorize/decision", f), 403, unable(id))

	// Missing transaction_id.
	oaWantJSON(t, b.postForm("/v2/oauth2/authorize/decision", url.Values{"csrf": {f.Get("csrf")}}), 403,
		map[string]any{"name": "ForbiddenError", "message": "Missing required parameter: transaction_id", "status": 403})

	// Signed out between consent and decision.
	_, f2 := b.consent(oaAuthorizePath(oaAppID, oaAppRedirect, ""))
	if r := b.sendJSON(http.MethodPost, "/v2/logout", "", nil); r.status != 200 {
		t.Fatalf("logout %d", r.status)
	}
	oaWantJSON(t, b.postForm("/v2/oauth2/authorize/decision", f2), 403, unable(f2.Get("transaction_id")))

	// Expired transaction.
	b.portalLogin("demo", "demo")
	_, f3 := b.consent(oaAuthorizePath(oaAppID, oaAppRedirect, ""))
	e.clock.Add(oauthTxnTTL + time.Second)
	oaWantJSON(t, b.postForm("/v2/oauth2/authorize/decision", f3), 403, unable(f3.Get("transaction_id")))
}

func TestOAuthDecisionRefusesCrossOrigin(t *testing.T) {
	e := oaNew(t)
	b := e.browser()
	b.portalLogin("demo", "demo")
	_, f := b.consent(oaAuthorizePath(oaAppID, oaAppRedirect, ""))
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/v2/oauth2/authorize/decision", strings.NewReader(f.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	req.Header.Set("Origin", "http://evil.example")
	if r := b.do(req); r.status != http.StatusForbidden {
		t.Fatalf("cross-site decision: %d %s", r.status, r.body)
	}
	// The transaction survived the forged attempt.
	if r := b.postForm("/v2/oauth2/authorize/decision", f); r.status != http.StatusFound {
		t.Fatalf("genuine decision after forged one: %d", r.status)
	}
}

func TestOAuthCodeSingleUseAndExpiry(t *testing.T) {
	e := oaNew(t)
	b := e.browser()
	b.portalLogin("demo", "demo")
	invalid := map[string]any{"name": "TokenError", "message": "Authorization Code is invalid", "code": "invalid_code", "status": 400}

	code := b.code(oaAppID, oaAppRedirect, "")
	oaAccessToken(t, e.token(oaCodeParams(code), true))
	oaWantJSON(t, e.token(oaCodeParams(code), true), 400, invalid)

	// Valid for exactly 10 minutes.
	code = b.code(oaAppID, oaAppRedirect, "")
	e.clock.Add(10 * time.Minute)
	oaAccessToken(t, e.token(oaCodeParams(code), false))

	code = b.code(oaAppID, oaAppRedirect, "")
	e.clock.Add(10*time.Minute + time.Second)
	oaWantJSON(t, e.token(oaCodeParams(code), false), 403,
		map[string]any{"name": "TokenError", "message": "Authorization code is expired", "code": "expired_code", "status": 403})
	// An expired code is used up too.
	oaWantJSON(t, e.token(oaCodeParams(code), false), 400, invalid)
}

func TestOAuthTokenErrors(t *testing.T) {
	e := oaNew(t)
	b := e.browser()
	b.portalLogin("demo", "demo")
	e.sb.mu.Lock()
	e.sb.clients["third"] = &Client{ID: "third", Secret: "third-secret", Name: "Third party", OwnerID: "2", Scopes: []string{"user-profile-read"}}
	e.sb.mu.Unlock()
	te := func(status int, code, msg string) map[string]any {
		return map[string]any{"name": "TokenError", "message": msg, "code": code, "status": status}
	}
	withURI := func(m map[string]any) map[string]any { m["uri"] = nil; return m }
	with := func(base map[string]string, kv ...string) map[string]string {
		out := map[string]string{}
		for k, v := range base {
			out[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] == "" {
				delete(out, kv[i])
			} else {
				out[kv[i]] = kv[i+1]
			}
		}
		return out
	}
	pw := map[string]string{"grant_type": "password", "client_id": oaAppID, "client_secret": oaAppSecret,
		"username": "demo", "password": MD5Hex("demo")}

	for _, asJSON := range []bool{false, true} {
		name := map[bool]string{false: "form", true: "json"}[asJSON]
		t.Run(name, func(t *testing.T) {
			cases := []struct {
				name   string
				params map[string]string
				status int
				body   map[string]any
			}{
				{"unsupported grant", with(pw, "grant_type", "password2"), 501, te(501, "unsupported_grant_type", "Unsupported grant type: password2")},
				{"refresh grant", with(pw, "grant_type", "refresh_token"), 501, te(501, "unsupported_grant_type", "Unsupported grant type: refresh_token")},
				{"missing grant", with(pw, "grant_type", ""), 400, te(400, "invalid_request", "Missing required parameter: grant_type")},
				{"bad secret", with(pw, "client_secret", "nope"), 401, te(401, "incorrect_client_credentials", "The client_id and/or client_secret are incorrect")},
				{"unknown client", with(pw, "client_id", "nope"), 401, te(401, "incorrect_client_credentials", "The client_id and/or client_secret are incorrect")},
				{"no client", with(pw, "client_id", "", "client_secret", ""), 401, te(401, "incorrect_client_credentials", "The client_id and/or client_secret are incorrect")},
				{"bad password", with(pw, "password", MD5Hex("nope")), 401, withURI(te(401, "incorrect_user_credentials", "The username and/or password are incorrect"))},
				{"plain password", with(pw, "password", "demo"), 401, withURI(te(401, "incorrect_user_credentials", "The username and/or password are incorrect"))},
				{"unknown user", with(pw, "username", "ghost"), 401, withURI(te(401, "incorrect_user_credentials", "The username and/or password are incorrect"))},
				{"missing password", with(pw, "password", ""), 400, te(400, "invalid_request", "Missing required parameter: password")},
				{"third-party client for another user", with(pw, "client_id", "third", "client_secret", "third-secret"), 403,
					withURI(te(403, "unauthorized_user", "The user is unauthorized"))},
				{"wrong code", oaCodeParams("AAAAAAAAAAAAAAAA"), 400, te(400, "invalid_code", "Authorization Code is invalid")},
				{"missing code", with(oaCodeParams(""), "code", ""), 400, te(400, "invalid_request", "Missing required parameter: code")},
				{"missing redirect_uri", with(oaCodeParams("x"), "redirect_uri", ""), 400, te(400, "invalid_request", "Missing required parameter: redirect_uri")},
			}
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) { oaWantJSON(t, e.token(tc.params, asJSON), tc.status, tc.body) })
			}

			// redirect_uri must repeat the authorize one; the attempt uses the code up.
			code := b.code(oaAppID, oaAppRedirect, "")
			oaWantJSON(t, e.token(with(oaCodeParams(code), "redirect_uri", "http://localhost:3000/other"), asJSON), 400,
				te(400, "redirect_uri_mismatch", "Mismatched redirect_uri"))
			oaWantJSON(t, e.token(oaCodeParams(code), asJSON), 400, te(400, "invalid_code", "Authorization Code is invalid"))

			// A code belongs to its client: another client cannot redeem it (and does not burn it).
			code = b.code(oaAppID, oaAppRedirect, "")
			oaWantJSON(t, e.token(with(oaCodeParams(code), "client_id", "third", "client_secret", "third-secret"), asJSON), 400,
				te(400, "invalid_code", "Authorization Code is invalid"))
			oaAccessToken(t, e.token(oaCodeParams(code), asJSON))
		})
	}

	// Malformed JSON body.
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/v2/oauth2/token", strings.NewReader("{not json"))
	req.Header.Set("Content-Type", "application/json")
	oaWantJSON(t, b.do(req), 400, te(400, "invalid_request", "Malformed request body"))
}

func TestOAuthTokenBodiesAndBasicAuth(t *testing.T) {
	e := oaNew(t)
	b := e.browser()
	b.portalLogin("demo", "demo")
	// Form and JSON bodies.
	for _, asJSON := range []bool{false, true} {
		tok := oaAccessToken(t, e.token(oaCodeParams(b.code(oaAppID, oaAppRedirect, "")), asJSON))
		if c := oaClaims(t, tok); c["userId"] != "1" {
			t.Fatalf("claims %v", c)
		}
	}
	// JSON with extra keys and non-string values is fine; HTTP Basic client auth too.
	code := b.code(oaAppID, oaAppRedirect, "")
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/v2/oauth2/token",
		strings.NewReader(`{"grant_type":"authorization_code","code":"`+code+`","redirect_uri":"`+oaAppRedirect+`","scope":["x"],"n":1}`))
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.SetBasicAuth(oaAppID, oaAppSecret)
	r := b.do(req)
	oaAccessToken(t, r)
	if r.header.Get("Cache-Control") != "no-store" {
		t.Errorf("token Cache-Control %q", r.header.Get("Cache-Control"))
	}
}

func TestOAuthPasswordGrant(t *testing.T) {
	e := oaNew(t)
	params := map[string]string{"grant_type": "password", "client_id": oaAppID, "client_secret": oaAppSecret,
		"username": "other", "password": strings.ToUpper(MD5Hex("other"))}
	tok := oaAccessToken(t, e.token(params, true))
	c := oaClaims(t, tok)
	if c["userId"] != "2" || c["exp"].(float64)-c["iat"].(float64) != 90*24*3600 {
		t.Fatalf("password grant claims %v", c)
	}
	// A client may use it for the account that registered it.
	e.sb.mu.Lock()
	e.sb.clients["mine"] = &Client{ID: "mine", Secret: "mine-secret", Name: "Mine", OwnerID: "2"}
	e.sb.mu.Unlock()
	params["client_id"], params["client_secret"] = "mine", "mine-secret"
	oaAccessToken(t, e.token(params, false))
}

func TestOAuthImplicitGrant(t *testing.T) {
	e := oaNew(t)
	b := e.browser()
	b.portalLogin("demo", "demo")
	q := url.Values{"response_type": {"token"}, "client_id": {oaAppID}, "redirect_uri": {oaAppRedirect}, "state": {"z"}}
	_, f := b.consent("/v2/oauth2/authorize?" + q.Encode())
	r := b.postForm("/v2/oauth2/authorize/decision", f)
	loc, _ := url.Parse(r.header.Get("Location"))
	frag, _ := url.ParseQuery(loc.Fragment)
	if r.status != http.StatusFound || loc.RawQuery != "" || frag.Get("token_type") != "Bearer" || frag.Get("state") != "z" {
		t.Fatalf("implicit: %d %s", r.status, loc)
	}
	if me := b.sendJSON(http.MethodGet, "/v2/users/me", frag.Get("access_token"), nil); me.status != 200 {
		t.Fatalf("implicit token on users/me: %d", me.status)
	}
	_, f = b.consent("/v2/oauth2/authorize?" + q.Encode())
	f.Set("cancel", "Deny")
	r = b.postForm("/v2/oauth2/authorize/decision", f)
	if r.header.Get("Location") != oaAppRedirect+"#error=access_denied&state=z" {
		t.Fatalf("implicit deny: %q", r.header.Get("Location"))
	}
}

func TestUsersMeTokens(t *testing.T) {
	e := oaNew(t)
	b := e.browser()
	tok := oaAccessToken(t, e.token(map[string]string{"grant_type": "password", "client_id": oaAppID,
		"client_secret": oaAppSecret, "username": "demo", "password": MD5Hex("demo")}, false))

	if r := b.sendJSON(http.MethodGet, "/v2/users/me", tok, nil); r.status != 200 {
		t.Fatalf("good token: %d %s", r.status, r.body)
	}
	// §3.7 bodies: jsonwebtoken's, 403; no credentials 401 "Access denied".
	oaWantJSON(t, b.sendJSON(http.MethodGet, "/v2/users/me", "garbage", nil), 403,
		map[string]any{"name": "JsonWebTokenError", "message": "jwt malformed"})
	parts := strings.Split(tok, ".")
	oaWantJSON(t, b.sendJSON(http.MethodGet, "/v2/users/me", parts[0]+"."+parts[1]+".AAAA", nil), 403,
		map[string]any{"name": "JsonWebTokenError", "message": "invalid signature"})
	foreign, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"userId": "1", "clientId": oaAppID,
		"iat": e.clock.Now().Unix(), "exp": e.clock.Now().Add(time.Hour).Unix()}).SignedString([]byte("other-secret"))
	oaWantJSON(t, b.sendJSON(http.MethodGet, "/v2/users/me", foreign, nil), 403,
		map[string]any{"name": "JsonWebTokenError", "message": "invalid signature"})

	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/v2/users/me", nil)
	r := b.do(req)
	if r.status != 401 || strings.TrimSpace(r.body) != `"Access denied"` {
		t.Fatalf("no credentials: %d %s", r.status, r.body)
	}

	// Expired: 90 days for a password-grant token.
	e.clock.Add(90*24*time.Hour + time.Second)
	exp := e.clock.Now().Add(-time.Second).UTC().Format("2006-01-02T15:04:05.000Z")
	oaWantJSON(t, b.sendJSON(http.MethodGet, "/v2/users/me", tok, nil), 403,
		map[string]any{"name": "TokenExpiredError", "message": "jwt expired", "expiredAt": exp})
}

func TestUsersByIDAndScope(t *testing.T) {
	e := oaNew(t)
	b := e.browser()
	tok := oaAccessToken(t, e.token(map[string]string{"grant_type": "password", "client_id": oaAppID,
		"client_secret": oaAppSecret, "username": "demo", "password": MD5Hex("demo")}, false))
	if r := b.sendJSON(http.MethodGet, "/v2/users/1", tok, nil); r.status != 200 || r.json(t)["data"].(map[string]any)["loginId"] != "demo" {
		t.Fatalf("own user: %d %s", r.status, r.body)
	}
	oaV2Error(t, b.sendJSON(http.MethodGet, "/v2/users/2", tok, nil), 403, "ACCESSGROUP_DENY")
	oaV2Error(t, b.sendJSON(http.MethodGet, "/v2/users/999", tok, nil), 404, "NOT_FOUND")
	if r := b.sendJSON(http.MethodGet, "/v2/users", tok, nil); r.status != 200 || len(r.json(t)["data"].([]any)) != 1 {
		t.Fatalf("users list: %d %s", r.status, r.body)
	}

	// A client without user-profile-read cannot read the profile.
	e.sb.mu.Lock()
	e.sb.clients["gw"] = &Client{ID: "gw", Secret: "gw-secret", Name: "GW only", OwnerID: "1", Scopes: []string{"gateway-read"}}
	e.sb.clients["prof"] = &Client{ID: "prof", Secret: "p-secret", Name: "Profile", OwnerID: "1", Scopes: []string{"user-profile"}}
	e.sb.mu.Unlock()
	gwTok := oaAccessToken(t, e.token(map[string]string{"grant_type": "password", "client_id": "gw",
		"client_secret": "gw-secret", "username": "demo", "password": MD5Hex("demo")}, false))
	oaV2Error(t, b.sendJSON(http.MethodGet, "/v2/users/me", gwTok, nil), 403, "ACL_DENY")
	// user-profile implies user-profile-read.
	pTok := oaAccessToken(t, e.token(map[string]string{"grant_type": "password", "client_id": "prof",
		"client_secret": "p-secret", "username": "demo", "password": MD5Hex("demo")}, false))
	if r := b.sendJSON(http.MethodGet, "/v2/users/me", pTok, nil); r.status != 200 {
		t.Fatalf("user-profile scope: %d", r.status)
	}
}

func TestSeededAppClientGetsDefaultScopes(t *testing.T) {
	sb := New(Options{App: AppClient{ID: "app", Secret: "x", Name: "App"}, SimulatorPace: -1})
	defer sb.Close()
	c, _ := sb.clientByID("app")
	if strings.Join(c.Scopes, ",") != strings.Join(appDefaultScopes, ",") {
		t.Fatalf("seeded scopes %v", c.Scopes)
	}
}

func TestOAuthRandAlnum(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 1000; i++ {
		c := oauthRandAlnum(16)
		if !oaCodePattern.MatchString(c) || seen[c] {
			t.Fatalf("code %q bad or repeated", c)
		}
		seen[c] = true
	}
}
