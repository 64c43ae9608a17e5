package thingplus

import (
	"context"
	"errors"
	"net/http"
	"time"
)

// Gateway management (§5.3, §5.10, §5.12): the sites a gateway can join,
// registering a gateway, renaming it, changing its report interval and
// deleting it. Writes need the token's client to hold the `gateway` scope
// (or the narrower gateway-update / gateway-management), reading sites the
// `site-read` scope; without it Thing+ answers 403 ACL_DENY (IsScopeDenied).
// Over the account's plan registerGateway answers 471 BILLING (IsBilling).

// StatusBilling is Thing+'s HTTP status for "plan exceeded" (§4.6).
const StatusBilling = 471

// Report interval bounds (§4.4).
const (
	MinReportInterval = time.Minute
	MaxReportInterval = 7 * 24 * time.Hour
)

// Site is a Thing+ site (§5.10); registerGateway needs its id.
type Site struct {
	ID      Str    `json:"id"`
	Name    string `json:"name"`
	Code    string `json:"code"`
	Service Str    `json:"_service"`
	Ctime   Millis `json:"ctime"`
	Mtime   Millis `json:"mtime"`
}

// Sites lists the user's sites (scope site-read).
func (c *Client) Sites(ctx context.Context, token string) ([]Site, error) {
	var out []Site
	err := c.Call(ctx, Request{Method: http.MethodGet, Path: "/sites", Token: token}, &out, nil)
	return out, err
}

// Registration is a POST /registerGateway request (§5.12).
type Registration struct {
	ID             string        // the gateway id (reqId): MAC, IMEI, EUI64 or a 32-hex UUID
	SiteID         string        // a site from Sites
	Model          string        // a gatewayModel id, e.g. "6" (Virtual Gateway-Basic)
	Name           string        // 1–100 characters
	ReportInterval time.Duration // 0 keeps the model's default
}

type registerBody struct {
	ReqID  string         `json:"reqId"`
	Params registerParams `json:"params"`
}

type registerParams struct {
	SiteID         string `json:"siteId"`
	Model          string `json:"model"`
	Name           string `json:"name"`
	ReportInterval int64  `json:"reportInterval,omitempty"`
}

// RegisterGateway registers a gateway and returns it as Thing+ stored it
// (its devices and sensors embedded, times as numbers). Thing+ answers 404
// for an unknown site or model, 409 for a taken id, 471 over the plan.
func (c *Client) RegisterGateway(ctx context.Context, token string, r Registration) (Gateway, error) {
	const op = "POST /registerGateway"
	var g Gateway
	if !validID(r.ID) {
		return g, &Error{Kind: KindInvalid, Op: op, Code: "SCHEMA_VALIDATE", Message: "invalid gateway id"}
	}
	if err := checkInterval(op, r.ReportInterval, true); err != nil {
		return g, err
	}
	body := registerBody{ReqID: r.ID, Params: registerParams{SiteID: r.SiteID, Model: r.Model, Name: r.Name,
		ReportInterval: r.ReportInterval.Milliseconds()}}
	err := c.Call(ctx, Request{Method: http.MethodPost, Path: "/registerGateway", Token: token, Body: body}, &g, nil)
	return g, err
}

// GatewayUpdate is a PUT /gateways/{id} body; nil fields stay as they are.
// (The report interval is not among them: Thing+ treats it as read-only
// there; use SetReportInterval.)
type GatewayUpdate struct {
	Name *string `json:"name,omitempty"`
	Desc *string `json:"desc,omitempty"`
}

// UpdateGateway changes a gateway and returns it as updated.
func (c *Client) UpdateGateway(ctx context.Context, token, id string, u GatewayUpdate) (Gateway, error) {
	var g Gateway
	p, err := idPath("PUT /gateways/{id}", "/gateways/", id)
	if err != nil {
		return g, err
	}
	err = c.Call(ctx, Request{Method: http.MethodPut, Path: p, Token: token, Body: u}, &g, nil)
	return g, err
}

// ManageGateway runs a gateway management act (POST /manageGateway: getProperty,
// setProperty, reboot…) and decodes its data into out (when not nil).
func (c *Client) ManageGateway(ctx context.Context, token, id, act string, params, out any) error {
	const op = "POST /manageGateway"
	if !validID(id) {
		return &Error{Kind: KindNotFound, Op: op, Code: "NOT_FOUND", Message: "invalid id"}
	}
	body := struct {
		ID     string `json:"id"`
		Act    string `json:"act"`
		Params any    `json:"params,omitempty"`
	}{id, act, params}
	return c.Call(ctx, Request{Method: http.MethodPost, Path: "/manageGateway", Token: token, Body: body}, out, nil)
}

// SetReportInterval changes how often a gateway reports (manageGateway
// setProperty reportInterval, in ms; one minute to one week).
func (c *Client) SetReportInterval(ctx context.Context, token, id string, every time.Duration) error {
	if err := checkInterval("POST /manageGateway", every, false); err != nil {
		return err
	}
	params := map[string]int64{"reportInterval": every.Milliseconds()}
	return c.ManageGateway(ctx, token, id, "setProperty", params, nil)
}

// DeleteGateway deletes a gateway with its devices and sensors (204).
func (c *Client) DeleteGateway(ctx context.Context, token, id string) error {
	p, err := idPath("DELETE /gateways/{id}", "/gateways/", id)
	if err != nil {
		return err
	}
	return c.Call(ctx, Request{Method: http.MethodDelete, Path: p, Token: token}, nil, nil)
}

func checkInterval(op string, d time.Duration, zeroOK bool) error {
	if zeroOK && d == 0 {
		return nil
	}
	if d < MinReportInterval || d > MaxReportInterval || d%time.Millisecond != 0 {
		return &Error{Kind: KindInvalid, Op: op, Code: "SCHEMA_VALIDATE", Message: "reportInterval must be between 1 minute and 1 week"}
	}
	return nil
}

// IsBilling reports whether Thing+ refused because the account's plan has
// no room (471 BILLING: too many gateways, sensors or rules).
func IsBilling(err error) bool {
	var e *Error
	return errors.As(err, &e) && (e.Status == StatusBilling || e.Code == "BILLING")
}

// IsScopeDenied reports whether Thing+ refused because the token's client
// lacks the scope the call needs (403 ACL_DENY), as opposed to the resource
// belonging to someone else (403 ACCESSGROUP_DENY).
func IsScopeDenied(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Status == http.StatusForbidden && e.Code == "ACL_DENY"
}
