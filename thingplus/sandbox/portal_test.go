package sandbox

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestPortalLoginLogout(t *testing.T) {
	e := oaNew(t)
	b := e.browser()

	// Wrong password (and a plain instead of an MD5 one): 401, no cookie.
	for _, pw := range []string{MD5Hex("nope"), "demo"} {
		r := b.sendJSON(http.MethodPost, "/v2/login", "", map[string]string{"loginId": "demo", "password": pw})
		oaWantJSON(t, r, 401, map[string]any{"statusCode": 401, "message": "Unauthorized", "errors": []any{
			map[string]any{"code": "NEED_LOGIN", "message": "The loginId and/or password are incorrect", "category": "AUTHENTICATION_ERROR"}}})
		if len(r.header.Values("Set-Cookie")) != 0 {
			t.Fatalf("failed login set a cookie: %v", r.header.Values("Set-Cookie"))
		}
	}
	oaV2Error(t, b.sendJSON(http.MethodPost, "/v2/login", "", map[string]string{"loginId": "demo"}), 400, "SCHEMA_VALIDATE")
	oaV2Error(t, b.sendJSON(http.MethodPost, "/v2/login", "", map[string]string{"loginId": "demo", "password": MD5Hex("demo"), "x": "1"}), 400, "SCHEMA_VALIDATE")
	oaV2Error(t, b.sendJSON(http.MethodGet, "/v2/authClients", "", nil), 401, "")

	r := b.sendJSON(http.MethodPost, "/v2/login", "", map[string]string{"loginId": "demo", "password": MD5Hex("demo")})
	if r.status != 200 || r.json(t)["data"].(map[string]any)["loginId"] != "demo" {
		t.Fatalf("login: %d %s", r.status, r.body)
	}
	var sid string
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == portalCookie {
			sid = c.Value
			if !c.HttpOnly {
				t.Error("portal cookie not HttpOnly")
			}
		}
	}
	if sid == "" {
		t.Fatal("no portal cookie")
	}
	// The session works for the portal API and for users/me.
	if r := b.sendJSON(http.MethodGet, "/v2/users/me", "", nil); r.status != 200 {
		t.Fatalf("users/me with cookie: %d", r.status)
	}
	// Logging in again replaces the old session.
	b.portalLogin("demo", "demo")
	if _, ok := e.sb.portalUser(sid); ok {
		t.Error("old portal session survived a new login")
	}
	if r := b.sendJSON(http.MethodPost, "/v2/logout", "", nil); r.status != 200 {
		t.Fatalf("logout: %d", r.status)
	}
	if r := b.sendJSON(http.MethodGet, "/v2/authClients", "", nil); r.status != 401 {
		t.Fatalf("after logout: %d", r.status)
	}
	// Logout without a session is still 200.
	if r := e.browser().sendJSON(http.MethodPost, "/v2/logout", "", nil); r.status != 200 {
		t.Fatalf("logout without session: %d", r.status)
	}
	// Form bodies work too.
	if r := e.browser().postForm("/v2/login", url.Values{"loginId": {"other"}, "password": {MD5Hex("other")}}); r.status != 200 {
		t.Fatalf("form login: %d %s", r.status, r.body)
	}
}

func TestAuthClientsLifecycle(t *testing.T) {
	e := oaNew(t)
	b := e.browser()
	b.portalLogin("demo", "demo")
	e.clock.Add(time.Second) // listed after the seeded app client (by ctime)
	body := map[string]any{"reqId": "my-app", "clientSecret": "s3cret!@", "name": "My app 신림", "scopes": []string{"gateway-read", "rule"}}

	r := b.sendJSON(http.MethodPost, "/v2/authClients", "", body)
	if r.status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	m := r.json(t)
	d := m["data"].(map[string]any)
	if m["statusCode"] != 201.0 || m["message"] != "Created" || d["id"] != "my-app" || d["clientSecret"] != "s3cret!@" ||
		d["_user"] != "1" || d["name"] != "My app 신림" {
		t.Fatalf("create answer %s", r.body)
	}
	if _, num := d["ctime"].(float64); !num {
		t.Errorf("create ctime should be a number: %v", d["ctime"])
	}
	if _, has := d["redirectUris"]; has {
		t.Error("redirectUris shown though not given")
	}

	// Conflicts: same reqId, same name (even from another user).
	oaV2Error(t, b.sendJSON(http.MethodPost, "/v2/authClients", "", body), 409, "CONFLICT")
	other := e.browser()
	other.portalLogin("other", "other")
	oaV2Error(t, other.sendJSON(http.MethodPost, "/v2/authClients", "", map[string]any{
		"reqId": "x2", "clientSecret": "s", "name": "My app 신림", "scopes": []string{}}), 409, "CONFLICT")

	// Validation.
	for name, bad := range map[string]map[string]any{
		"unknown scope":   {"reqId": "a1", "clientSecret": "s", "name": "A1", "scopes": []string{"gateway-read", "root"}},
		"missing scopes":  {"reqId": "a2", "clientSecret": "s", "name": "A2"},
		"missing reqId":   {"clientSecret": "s", "name": "A3", "scopes": []string{}},
		"unknown key":     {"reqId": "a4", "clientSecret": "s", "name": "A4", "scopes": []string{}, "owner": "2"},
		"wrong type":      {"reqId": "a5", "clientSecret": "s", "name": "A5", "scopes": "gateway"},
		"bad reqId":       {"reqId": "a b/c", "clientSecret": "s", "name": "A6", "scopes": []string{}},
		"empty name":      {"reqId": "a7", "clientSecret": "s", "name": "  ", "scopes": []string{}},
		"bad redirectUri": {"reqId": "a8", "clientSecret": "s", "name": "A8", "scopes": []string{}, "redirectUris": []string{"/relative"}},
	} {
		r := b.sendJSON(http.MethodPost, "/v2/authClients", "", bad)
		oaV2Error(t, r, 400, "SCHEMA_VALIDATE")
		if name == "unknown scope" && !strings.Contains(r.body, `\"root\"`) {
			t.Errorf("unknown scope message does not name it: %s", r.body)
		}
	}

	// Reads: own only, times as strings; the alias path serves the same.
	for _, p := range []string{"/v2/authClients", "/v2/oauth2/authClients"} {
		r := b.sendJSON(http.MethodGet, p, "", nil)
		list := r.json(t)["data"].([]any)
		ids := []string{}
		for _, it := range list {
			ids = append(ids, it.(map[string]any)["id"].(string))
		}
		if r.status != 200 || strings.Join(ids, ",") != oaAppID+",my-app" {
			t.Fatalf("%s: %d ids %v", p, r.status, ids)
		}
		if _, str := list[1].(map[string]any)["ctime"].(string); !str {
			t.Errorf("read ctime should be a string")
		}
	}
	if r := other.sendJSON(http.MethodGet, "/v2/authClients", "", nil); len(r.json(t)["data"].([]any)) != 0 {
		t.Fatalf("other sees %s", r.body)
	}
	if r := b.sendJSON(http.MethodGet, "/v2/authClients/my-app", "", nil); r.status != 200 || r.json(t)["data"].(map[string]any)["id"] != "my-app" {
		t.Fatalf("get: %d %s", r.status, r.body)
	}
	oaV2Error(t, other.sendJSON(http.MethodGet, "/v2/authClients/my-app", "", nil), 403, "ACCESSGROUP_DENY")
	oaV2Error(t, other.sendJSON(http.MethodDelete, "/v2/authClients/my-app", "", nil), 403, "ACCESSGROUP_DENY")
	oaV2Error(t, b.sendJSON(http.MethodGet, "/v2/authClients/none", "", nil), 404, "NOT_FOUND")

	// An OAuth token cannot manage clients.
	tok := oaAccessToken(t, e.token(map[string]string{"grant_type": "password", "client_id": oaAppID,
		"client_secret": oaAppSecret, "username": "demo", "password": MD5Hex("demo")}, false))
	oaV2Error(t, e.browser().sendJSON(http.MethodGet, "/v2/authClients", tok, nil), 403, "ACL_DENY")

	// Delete: 204 empty, then 404; the client no longer authorizes.
	r = b.sendJSON(http.MethodDelete, "/v2/oauth2/authClients/my-app", "", nil)
	if r.status != http.StatusNoContent || r.body != "" {
		t.Fatalf("delete: %d %q", r.status, r.body)
	}
	oaV2Error(t, b.sendJSON(http.MethodGet, "/v2/authClients/my-app", "", nil), 404, "NOT_FOUND")
	if r := b.get(oaAuthorizePath("my-app", "http://x.example/cb", "")); r.status != 401 {
		t.Fatalf("authorize with deleted client: %d", r.status)
	}
}

func TestAuthClientRedirectURIsAndCodeFlow(t *testing.T) {
	e := oaNew(t)
	b := e.browser()
	b.portalLogin("demo", "demo")
	r := b.sendJSON(http.MethodPost, "/v2/authClients", "", map[string]any{"reqId": "cli-app", "clientSecret": "cs",
		"name": "CLI app", "scopes": []string{"user-profile-read"}, "redirectUris": []string{"http://127.0.0.1:4000/auth/callback"}})
	if r.status != 201 || len(r.json(t)["data"].(map[string]any)["redirectUris"].([]any)) != 1 {
		t.Fatalf("create with redirectUris: %d %s", r.status, r.body)
	}
	if r := b.get(oaAuthorizePath("cli-app", "http://127.0.0.1:4000/other", "")); r.status != 400 {
		t.Fatalf("unregistered redirect: %d", r.status)
	}
	code := b.code("cli-app", "http://127.0.0.1:4000/auth/callback", "")
	tok := oaAccessToken(t, e.token(map[string]string{"grant_type": "authorization_code", "code": code,
		"redirect_uri": "http://127.0.0.1:4000/auth/callback", "client_id": "cli-app", "client_secret": "cs"}, true))
	if me := b.sendJSON(http.MethodGet, "/v2/users/me", tok, nil); me.status != 200 {
		t.Fatalf("users/me with new client: %d", me.status)
	}
}

func TestAuthScopes(t *testing.T) {
	e := oaNew(t)
	b := e.browser()
	oaV2Error(t, b.sendJSON(http.MethodGet, "/v2/authScopes", "", nil), 401, "")
	b.portalLogin("demo", "demo")
	r := b.sendJSON(http.MethodGet, "/v2/authScopes", "", nil)
	list := r.json(t)["data"].([]any)
	if r.status != 200 || len(list) != 15 {
		t.Fatalf("authScopes: %d, %d items", r.status, len(list))
	}
	if r := b.sendJSON(http.MethodGet, "/v2/authScopes/timeline-read", "", nil); r.status != 200 || r.json(t)["data"].(map[string]any)["id"] != "timeline-read" {
		t.Fatalf("one scope: %d %s", r.status, r.body)
	}
	oaV2Error(t, b.sendJSON(http.MethodGet, "/v2/authScopes/root", "", nil), 404, "NOT_FOUND")
}
