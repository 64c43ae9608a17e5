package thingplus

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/cookiejar"
	"strconv"
	"strings"
)

// Portal is a signed-in Thing+ portal session: the cookie credential of
// ../shared/thingplus-api.md §2 (b), which is what registering OAuth clients
// needs (authClients, §3.3) — an OAuth token cannot do it. It keeps the
// session cookie in its own jar; use one Portal per account.
type Portal struct {
	c *Client
}

// ErrWrongCredentials is wrapped by Login's error when Thing+ refuses the
// loginId or password (errors.Is works on it).
var ErrWrongCredentials = errors.New("wrong loginId or password")

// AppScopes are the scopes thingplus-webapp's screens need, and no more:
// user-profile-read (greet the user: GET /users/me), gateway (the gateway
// pages, and registering, renaming and deleting gateways), site-read (the
// site a new gateway joins), rule (list, create, edit, switch and delete
// rules, and "wire this door"), timeline-read (the events page), tag-read
// (the gateways' tags and the tag filter).
func AppScopes() []string {
	return []string{"user-profile-read", "gateway", "site-read", "rule", "timeline-read", "tag-read"}
}

// PasswordMD5 is the lowercase hex MD5 that /login and the password grant
// expect instead of the plain password (§2, §3.2).
func PasswordMD5(plain string) string {
	sum := md5.Sum([]byte(plain))
	return hex.EncodeToString(sum[:])
}

// NewPortal returns a portal client for the API at baseURL (with its /v2
// path). It is not signed in until Login succeeds.
func NewPortal(baseURL string, opts ...Option) (*Portal, error) {
	c, err := New(baseURL, opts...)
	if err != nil {
		return nil, err
	}
	jar, err := cookiejar.New(nil)
	if err != nil {
		return nil, err
	}
	hc := *c.http // never share a jar with the caller's client
	hc.Jar = jar
	c.http = &hc
	return &Portal{c: c}, nil
}

// BaseURL is the API base the portal talks to.
func (p *Portal) BaseURL() string { return p.c.BaseURL() }

// Login signs in with the loginId and the plain password (sent as its MD5
// hex, never in clear). Wrong credentials give an *Error of KindUnauthorized
// that wraps ErrWrongCredentials.
func (p *Portal) Login(ctx context.Context, loginID, password string) error {
	body := map[string]string{"loginId": loginID, "password": PasswordMD5(password)}
	err := p.c.Call(ctx, Request{Method: http.MethodPost, Path: "/login", Body: body}, nil, nil)
	var e *Error
	if errors.As(err, &e) && (e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden) {
		e.Kind, e.Err = KindUnauthorized, ErrWrongCredentials
	}
	return err
}

// Logout ends the portal session.
func (p *Portal) Logout(ctx context.Context) error {
	return p.c.Call(ctx, Request{Method: http.MethodPost, Path: "/logout"}, nil, nil)
}

// AuthClient is a registered OAuth client (§3.3). ID is the client_id (the
// reqId given at registration).
type AuthClient struct {
	ID           string   `json:"id"`
	Name         string   `json:"name"`
	ClientSecret string   `json:"clientSecret"`
	Scopes       []string `json:"scopes"`
	RedirectURIs []string `json:"redirectUris,omitempty"` // sandbox only (§9.3)
	Owner        Str      `json:"_user"`
	Ctime        Millis   `json:"ctime"`
	Mtime        Millis   `json:"mtime"`
}

// NewAuthClient is the POST /authClients body. Every field but RedirectURIs
// is required; RedirectURIs is understood by the sandbox only — a real
// Thing+ refuses unknown keys, so leave it empty there.
type NewAuthClient struct {
	ReqID        string   `json:"reqId"`
	ClientSecret string   `json:"clientSecret"`
	Name         string   `json:"name"`
	Scopes       []string `json:"scopes"`
	RedirectURIs []string `json:"redirectUris,omitempty"`
}

// AuthScope is one entry of GET /authScopes.
type AuthScope struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Desc string `json:"desc"`
}

// AuthClients lists the clients the signed-in account owns.
func (p *Portal) AuthClients(ctx context.Context) ([]AuthClient, error) {
	var out []AuthClient
	err := p.c.Call(ctx, Request{Method: http.MethodGet, Path: "/authClients"}, &out, nil)
	return out, err
}

// AuthClient reads one client (404 KindNotFound, another's 403 KindForbidden).
func (p *Portal) AuthClient(ctx context.Context, id string) (AuthClient, error) {
	var out AuthClient
	if err := checkClientID("GET /authClients/{id}", id); err != nil {
		return out, err
	}
	err := p.c.Call(ctx, Request{Method: http.MethodGet, Path: "/authClients/" + id}, &out, nil)
	return out, err
}

// CreateAuthClient registers a client. A taken reqId or name is
// KindConflict; an unknown scope or a bad field is KindInvalid with Thing+'s
// message.
func (p *Portal) CreateAuthClient(ctx context.Context, nc NewAuthClient) (AuthClient, error) {
	if nc.Scopes == nil {
		nc.Scopes = []string{}
	}
	var out AuthClient
	err := p.c.Call(ctx, Request{Method: http.MethodPost, Path: "/authClients", Body: nc}, &out, nil)
	return out, err
}

// DeleteAuthClient removes a client the account owns.
func (p *Portal) DeleteAuthClient(ctx context.Context, id string) error {
	if err := checkClientID("DELETE /authClients/{id}", id); err != nil {
		return err
	}
	return p.c.Call(ctx, Request{Method: http.MethodDelete, Path: "/authClients/" + id}, nil, nil)
}

// AuthScopes lists the scopes Thing+ knows.
func (p *Portal) AuthScopes(ctx context.Context) ([]AuthScope, error) {
	var out []AuthScope
	err := p.c.Call(ctx, Request{Method: http.MethodGet, Path: "/authScopes"}, &out, nil)
	return out, err
}

// checkClientID refuses ids that would change the request path.
func checkClientID(op, id string) error {
	if id == "" || id == "." || id == ".." || strings.ContainsAny(id, "/?#%\\ ") {
		return &Error{Kind: KindInvalid, Op: op, Message: "invalid client id " + strconv.Quote(id)}
	}
	return nil
}
