package sandbox

import (
	"fmt"
	"mime"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// me is GET /v2/users/me (§5.2). Tokens need user-profile-read (or
// user-profile); a portal session may always read its own account.
func (a *authArea) me(w http.ResponseWriter, r *http.Request) {
	if !a.s.requireScope(w, r, "user-profile-read") {
		return
	}
	u, ok := a.s.userByID(principalOf(r).UserID)
	if !ok {
		writeErr(w, errNotFound)
		return
	}
	writeData(w, http.StatusOK, u.View(), nil)
}

// userByID is GET /v2/users/{id}: only your own; another user's id is 403
// ACCESSGROUP_DENY, an id no user has is 404 NOT_FOUND.
func (a *authArea) userByID(w http.ResponseWriter, r *http.Request) {
	if !a.s.requireScope(w, r, "user-profile-read") {
		return
	}
	p := principalOf(r)
	if id := r.PathValue("id"); id != p.UserID {
		if _, ok := a.s.userByID(id); !ok {
			writeError(w, http.StatusNotFound, "NOT_FOUND", "user "+id+" not found")
			return
		}
		writeError(w, http.StatusForbidden, "ACCESSGROUP_DENY", "no access to user "+id)
		return
	}
	a.me(w, r)
}

// userList is GET /v2/users: a plain user sees only themself.
func (a *authArea) userList(w http.ResponseWriter, r *http.Request) {
	if !a.s.requireScope(w, r, "user-profile-read") {
		return
	}
	u, ok := a.s.userByID(principalOf(r).UserID)
	if !ok {
		writeErr(w, errNotFound)
		return
	}
	writeData(w, http.StatusOK, []any{u.View()}, nil)
}

// portalLogin is POST /v2/login {loginId, password: md5 hex} (§2 (b)). It
// answers 200 with the user and sets the portal session cookie. JSON is
// what KIM-ERR sends; a form body is accepted too.
//
// Wrong credentials: the sheet only says "401 when logged out". The sandbox
// answers 401 with the v2 error envelope and the authentication code:
// {"statusCode":401,"message":"Unauthorized","errors":[{"code":"NEED_LOGIN",
// "message":"The loginId and/or password are incorrect","category":"AUTHENTICATION_ERROR"}]}.
// Clients should rely on the 401 alone.
func (a *authArea) portalLogin(w http.ResponseWriter, r *http.Request) {
	var body struct {
		LoginID  *string `json:"loginId"`
		Password *string `json:"password"`
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "application/x-www-form-urlencoded" {
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		if err := r.ParseForm(); err != nil {
			writeErr(w, schemaErr("invalid body"))
			return
		}
		if r.PostForm.Has("loginId") {
			v := r.PostForm.Get("loginId")
			body.LoginID = &v
		}
		if r.PostForm.Has("password") {
			v := r.PostForm.Get("password")
			body.Password = &v
		}
	} else if err := decodeStrict(r, &body); err != nil {
		writeErr(w, err)
		return
	}
	switch {
	case body.LoginID == nil || *body.LoginID == "":
		writeErr(w, schemaErr("data should have required property 'loginId'"))
		return
	case body.Password == nil || *body.Password == "":
		writeErr(w, schemaErr("data should have required property 'password'"))
		return
	}
	u, ok := a.s.userByLogin(*body.LoginID, strings.ToLower(*body.Password))
	if !ok {
		writeError(w, http.StatusUnauthorized, "NEED_LOGIN", "The loginId and/or password are incorrect")
		return
	}
	a.startSession(w, r, u.ID)
	writeData(w, http.StatusOK, u.View(), nil)
}

// startSession replaces the browser's portal session (if any) by a new one.
func (a *authArea) startSession(w http.ResponseWriter, r *http.Request, userID string) {
	if c, err := r.Cookie(portalCookie); err == nil {
		a.s.mu.Lock()
		delete(a.s.portal, c.Value)
		a.s.mu.Unlock()
	}
	a.s.startPortalSession(w, userID)
}

// portalLogout is POST /v2/logout: 200 whether or not a session existed.
func (a *authArea) portalLogout(w http.ResponseWriter, r *http.Request) {
	a.s.endPortalSession(w, r)
	writeData(w, http.StatusOK, map[string]any{}, nil)
}

// portalOnly admits only a portal session: authClients are managed with the
// portal cookie, never with an OAuth token (§3.3).
func (a *authArea) portalOnly(next http.HandlerFunc) http.HandlerFunc {
	return a.s.requireUser(func(w http.ResponseWriter, r *http.Request) {
		if principalOf(r).ClientID != "" {
			writeError(w, http.StatusForbidden, "ACL_DENY", "authClients need a portal session (POST /v2/login), not an OAuth token")
			return
		}
		next(w, r)
	})
}

// clientView is the authClients representation: times as numbers in the
// create answer, as strings in reads (§4.4). redirectUris only when set.
func clientView(c *Client, created bool) map[string]any {
	scopes := append([]string{}, c.Scopes...)
	m := map[string]any{"id": c.ID, "name": c.Name, "clientSecret": c.Secret, "scopes": scopes, "_user": c.OwnerID}
	if created {
		m["ctime"], m["mtime"] = c.Ctime, c.Mtime
	} else {
		m["ctime"], m["mtime"] = strconv.FormatInt(c.Ctime, 10), strconv.FormatInt(c.Mtime, 10)
	}
	if len(c.RedirectURIs) > 0 {
		m["redirectUris"] = append([]string{}, c.RedirectURIs...)
	}
	return m
}

func (a *authArea) listClients(w http.ResponseWriter, r *http.Request) {
	uid := principalOf(r).UserID
	a.s.mu.RLock()
	var mine []*Client
	for _, c := range a.s.clients {
		if c.OwnerID == uid {
			mine = append(mine, c)
		}
	}
	sort.Slice(mine, func(i, j int) bool {
		if mine[i].Ctime != mine[j].Ctime {
			return mine[i].Ctime < mine[j].Ctime
		}
		return mine[i].ID < mine[j].ID
	})
	out := make([]any, 0, len(mine))
	for _, c := range mine {
		out = append(out, clientView(c, false))
	}
	a.s.mu.RUnlock()
	writeData(w, http.StatusOK, out, nil)
}

// ownClient finds a client and checks its owner: missing 404, another's 403.
func (a *authArea) ownClient(r *http.Request) (*Client, error) {
	c, ok := a.s.clientByID(r.PathValue("id"))
	if !ok {
		return nil, fmt.Errorf("authClient %s: %w", r.PathValue("id"), errNotFound)
	}
	if c.OwnerID != principalOf(r).UserID {
		return nil, fmt.Errorf("authClient %s: %w", c.ID, errDenied)
	}
	return c, nil
}

func (a *authArea) getClient(w http.ResponseWriter, r *http.Request) {
	c, err := a.ownClient(r)
	if err != nil {
		writeErr(w, err)
		return
	}
	a.s.mu.RLock()
	v := clientView(c, false)
	a.s.mu.RUnlock()
	writeData(w, http.StatusOK, v, nil)
}

func (a *authArea) deleteClient(w http.ResponseWriter, r *http.Request) {
	c, err := a.ownClient(r)
	if err != nil {
		writeErr(w, err)
		return
	}
	a.s.mu.Lock()
	delete(a.s.clients, c.ID)
	a.s.mu.Unlock()
	// Its pending codes die with it.
	a.mu.Lock()
	for k, v := range a.codes {
		if v.clientID == c.ID {
			delete(a.codes, k)
		}
	}
	a.mu.Unlock()
	writeNoContent(w)
}

// clientReqIDPattern keeps client ids safe in URLs and env files (not in the sheet,
// which only says reqId is chosen by the developer).
var clientReqIDPattern = regexp.MustCompile(`^[A-Za-z0-9._~-]{1,100}$`)

// createClient is POST /authClients {reqId, clientSecret, name, scopes
// [, redirectUris]} → 201 "Created" (§3.3). Unknown keys, wrong types,
// missing keys and unknown scopes are 400 SCHEMA_VALIDATE; a taken reqId or
// name (across all users, as Thing+ requires) is 409 CONFLICT.
func (a *authArea) createClient(w http.ResponseWriter, r *http.Request) {
	var body struct {
		ReqID        *string   `json:"reqId"`
		ClientSecret *string   `json:"clientSecret"`
		Name         *string   `json:"name"`
		Scopes       *[]string `json:"scopes"`
		RedirectURIs []string  `json:"redirectUris"`
	}
	if err := decodeStrict(r, &body); err != nil {
		writeErr(w, err)
		return
	}
	c, err := newClientFromBody(body.ReqID, body.ClientSecret, body.Name, body.Scopes, body.RedirectURIs)
	if err != nil {
		writeErr(w, err)
		return
	}
	now := a.s.nowMs()
	c.OwnerID, c.Ctime, c.Mtime = principalOf(r).UserID, now, now
	a.s.mu.Lock()
	for _, o := range a.s.clients {
		if o.ID == c.ID {
			a.s.mu.Unlock()
			writeError(w, http.StatusConflict, "CONFLICT", "reqId "+c.ID+" already exists")
			return
		}
		if o.Name == c.Name {
			a.s.mu.Unlock()
			writeError(w, http.StatusConflict, "CONFLICT", "name "+c.Name+" already exists")
			return
		}
	}
	a.s.clients[c.ID] = c
	v := clientView(c, true)
	a.s.mu.Unlock()
	writeData(w, http.StatusCreated, v, nil)
}

func newClientFromBody(reqID, secret, name *string, scopes *[]string, redirects []string) (*Client, error) {
	for _, f := range []struct {
		key string
		v   *string
	}{{"reqId", reqID}, {"clientSecret", secret}, {"name", name}} {
		if f.v == nil {
			return nil, schemaErr("data should have required property '" + f.key + "'")
		}
	}
	if scopes == nil {
		return nil, schemaErr("data should have required property 'scopes'")
	}
	if !clientReqIDPattern.MatchString(*reqID) {
		return nil, schemaErr("data.reqId should be 1-100 letters, digits, '.', '_', '~' or '-'")
	}
	if n := utf8.RuneCountInString(*secret); n < 1 || n > 256 {
		return nil, schemaErr("data.clientSecret should be 1-256 characters")
	}
	nm := strings.TrimSpace(*name)
	if n := utf8.RuneCountInString(nm); n < 1 || n > 100 {
		return nil, schemaErr("data.name should be 1-100 characters")
	}
	var sc []string
	for _, s := range *scopes {
		if _, ok := scopeByID(s); !ok {
			return nil, schemaErr(fmt.Sprintf("data.scopes: unknown scope %q", s))
		}
		if !oauthContains(sc, s) {
			sc = append(sc, s)
		}
	}
	if len(redirects) > 10 {
		return nil, schemaErr("data.redirectUris should have at most 10 items")
	}
	for _, u := range redirects {
		if !validRedirectURI(u) {
			return nil, schemaErr(fmt.Sprintf("data.redirectUris: %q is not an absolute URI without fragment", u))
		}
	}
	return &Client{ID: *reqID, Secret: *secret, Name: nm, Scopes: sc, RedirectURIs: redirects}, nil
}

func oauthContains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// listScopes is GET /v2/authScopes: the §3.4 table, {id, name, desc, paths}
// (the sheet shows no body; this shape is the sandbox's choice).
func (a *authArea) listScopes(w http.ResponseWriter, r *http.Request) {
	out := make([]any, 0, len(oauthScopes))
	for _, sc := range oauthScopes {
		out = append(out, sc.view())
	}
	writeData(w, http.StatusOK, out, nil)
}

func (a *authArea) getScope(w http.ResponseWriter, r *http.Request) {
	sc, ok := scopeByID(r.PathValue("id"))
	if !ok {
		writeError(w, http.StatusNotFound, "NOT_FOUND", "authScope "+r.PathValue("id")+" not found")
		return
	}
	writeData(w, http.StatusOK, sc.view(), nil)
}
