package thingplus

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"
)

// Gateway is a Thing+ gateway (§5.3). Status, Devices and Sensors hold ids
// unless the call embedded them, then full objects.
type Gateway struct {
	ID                     string           `json:"id"`
	Name                   string           `json:"name"`
	Model                  Str              `json:"model"`          // gatewayModel id, "18" or 18
	ReportInterval         Str              `json:"reportInterval"` // ms, "300000" or 300000
	Tree                   string           `json:"tree"`
	Site                   Str              `json:"_site"`
	Service                Str              `json:"_service"`
	Status                 *Status          `json:"status"` // leaf id only, unless embed=status
	Devices                Refs[Device]     `json:"devices"`
	Sensors                Refs[Sensor]     `json:"sensors"`
	DeviceModels           []DeviceModelRef `json:"deviceModels"`
	Virtual                Flag             `json:"virtual"`
	AutoCreateDiscoverable Flag             `json:"autoCreateDiscoverable"`
	Location               *Location        `json:"location"`
	Desc                   string           `json:"desc"`
	Mobile                 Str              `json:"mobile"`
	Delegate               Flag             `json:"delegate"`
	DelegateInfo           json.RawMessage  `json:"delegateInfo"`
	CustomFields           json.RawMessage  `json:"customFields"`
	Ctime                  Millis           `json:"ctime"`
	Mtime                  Millis           `json:"mtime"`
}

// Interval is the report interval (0 when unknown).
func (g Gateway) Interval() time.Duration {
	return time.Duration(g.ReportInterval.Int()) * time.Millisecond
}

// DeviceModelRef names a device model a gateway uses.
type DeviceModelRef struct {
	ID    Str `json:"id"`
	Model Str `json:"model"`
}

// Location is where a gateway stands.
type Location struct {
	Longitude Str    `json:"longitude"`
	Latitude  Str    `json:"latitude"`
	Address   string `json:"address"`
}

// Status is a status leaf of a gateway or sensor (§5.4, §5.7). When Thing+
// sends only the leaf id (no embed), only ID is set.
type Status struct {
	ID          string `json:"id"`
	Type        string `json:"type"`
	Value       Str    `json:"value"` // "on", "off", "err"
	Time        Millis `json:"time"`
	ExpireAt    Millis `json:"expireAt"` // Never (-1) = does not expire
	Vtime       Millis `json:"vtime"`    // last change of Value
	SrcType     string `json:"srcType"`
	SrcCategory string `json:"srcCategory"`
	SrcDbType   string `json:"srcDbType"`
	Owner       string `json:"owner"`
	Gateway     string `json:"gateway"`
	Sensor      string `json:"sensor"`
	Ctime       Millis `json:"ctime"`
	Mtime       Millis `json:"mtime"`
}

// Loaded reports whether the leaf came embedded (not just its id).
func (s *Status) Loaded() bool { return s != nil && (s.Value != "" || s.Time != 0) }

// Expired reports whether the status is past its expireAt at now.
func (s *Status) Expired(now time.Time) bool {
	return s != nil && s.ExpireAt > 0 && now.UnixMilli() > int64(s.ExpireAt)
}

func (s *Status) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		*s = Status{}
		return json.Unmarshal(b, &s.ID)
	}
	if bytes.Equal(b, []byte("null")) {
		return nil
	}
	type plain Status
	return json.Unmarshal(b, (*plain)(s))
}

// Refs is a list Thing+ sends as ids (["a","b"]) or, when embedded, as
// objects. IDs is always filled; Items only for embedded objects.
type Refs[T any] struct {
	IDs   []string
	Items []T
}

// Len is the number of referenced things.
func (r Refs[T]) Len() int { return len(r.IDs) }

func (r *Refs[T]) UnmarshalJSON(b []byte) error {
	*r = Refs[T]{}
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		return nil
	}
	if ids, ok := plainStrings(b); ok {
		r.IDs = ids
		return nil
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	r.IDs = make([]string, 0, len(raw))
	for _, el := range raw {
		el = bytes.TrimSpace(el)
		if len(el) > 0 && el[0] == '"' {
			// Ids are plain strings: skip reflection unless escaped.
			if n := len(el); n >= 2 && bytes.IndexByte(el[1:n-1], '\\') < 0 {
				r.IDs = append(r.IDs, string(el[1:n-1]))
				continue
			}
			var id string
			if err := json.Unmarshal(el, &id); err != nil {
				return err
			}
			r.IDs = append(r.IDs, id)
			continue
		}
		var item T
		if err := json.Unmarshal(el, &item); err != nil {
			return err
		}
		var id struct {
			ID Str `json:"id"`
		}
		_ = json.Unmarshal(el, &id)
		r.IDs = append(r.IDs, string(id.ID))
		r.Items = append(r.Items, item)
	}
	return nil
}

// plainStrings reads a JSON array of strings without escapes (a list of
// ids) with two allocations; anything else (objects, escapes, numbers,
// bad syntax) returns false for the general path to handle.
func plainStrings(b []byte) ([]string, bool) {
	if len(b) < 2 || b[0] != '[' || b[len(b)-1] != ']' {
		return nil, false
	}
	all := string(b) // one copy; the ids are substrings of it
	n := bytes.Count(b, []byte{','}) + 1
	ids := make([]string, 0, n)
	i := skipSpace(all, 1)
	if i < len(all) && all[i] == ']' {
		return ids, i == len(all)-1
	}
	for i < len(all) {
		if all[i] != '"' {
			return nil, false
		}
		j := i + 1
		for j < len(all) && all[j] != '"' {
			if all[j] == '\\' || all[j] < 0x20 {
				return nil, false
			}
			j++
		}
		if j >= len(all) {
			return nil, false
		}
		ids = append(ids, all[i+1:j])
		i = skipSpace(all, j+1)
		if i >= len(all) {
			return nil, false
		}
		switch all[i] {
		case ',':
			i = skipSpace(all, i+1)
		case ']':
			return ids, i == len(all)-1
		default:
			return nil, false
		}
	}
	return nil, false
}

func skipSpace(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
		i++
	}
	return i
}

func (r Refs[T]) MarshalJSON() ([]byte, error) {
	if len(r.Items) > 0 {
		return json.Marshal(r.Items)
	}
	if r.IDs == nil {
		return []byte("[]"), nil
	}
	return json.Marshal(r.IDs)
}

// Device is a device of a gateway (§5.5).
type Device struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Model   Str    `json:"model"`
	Owner   string `json:"owner"` // gateway id
	Address Str    `json:"address"`
	Ctime   Millis `json:"ctime"`
	Mtime   Millis `json:"mtime"`
}

// Gateways lists one page of the user's gateways.
func (c *Client) Gateways(ctx context.Context, token string, q Query) ([]Gateway, Meta, error) {
	var out []Gateway
	var meta Meta
	err := c.Call(ctx, Request{Method: http.MethodGet, Path: "/gateways", Query: q.Values(), Token: token}, &out, &meta)
	return out, meta, err
}

// maxPages bounds AllGateways (4000 × 25 = 100,000 gateways).
const maxPages = 25

// AllGateways lists every gateway, page by page (MaxCount per page), with
// the query's filters, order and embeds. Paging stops on a short or empty
// page, at _meta.total, on a page larger than asked for (an upstream that
// ignores count sent everything at once), and on a page that repeats ids
// already listed (an upstream that ignores page): it always terminates and
// never lists a gateway twice.
func (c *Client) AllGateways(ctx context.Context, token string, q Query) ([]Gateway, error) {
	q.Count = MaxCount
	var all []Gateway
	seen := map[string]bool{}
	for page := 0; page < maxPages; page++ {
		q.Page = page
		gws, meta, err := c.Gateways(ctx, token, q)
		if err != nil {
			return nil, err
		}
		fresh := 0
		for _, g := range gws {
			if !seen[g.ID] {
				seen[g.ID] = true
				all = append(all, g)
				fresh++
			}
		}
		if len(gws) < MaxCount || len(gws) > MaxCount || fresh < len(gws) ||
			(meta.Total > 0 && len(all) >= meta.Total) {
			break
		}
	}
	return all, nil
}

// Gateway returns one gateway (q: fields, embed=sensors|devices|status).
func (c *Client) Gateway(ctx context.Context, token, id string, q Query) (Gateway, error) {
	var g Gateway
	p, err := idPath("GET /gateways/{id}", "/gateways/", id)
	if err != nil {
		return g, err
	}
	err = c.Call(ctx, Request{Method: http.MethodGet, Path: p, Query: q.Values(), Token: token}, &g, nil)
	return g, err
}

// GatewayStatus returns a gateway's status leaf (GET /gateways/{id}/status
// answers the gateway with the leaf embedded; a bare leaf is accepted too).
func (c *Client) GatewayStatus(ctx context.Context, token, id string) (Status, error) {
	p, err := idPath("GET /gateways/{id}/status", "/gateways/", id)
	if err != nil {
		return Status{}, err
	}
	return c.statusAt(ctx, token, p+"/status")
}

// Devices lists a gateway's devices.
func (c *Client) Devices(ctx context.Context, token, gatewayID string, q Query) ([]Device, error) {
	p, err := idPath("GET /gateways/{id}/devices", "/gateways/", gatewayID)
	if err != nil {
		return nil, err
	}
	var out []Device
	err = c.Call(ctx, Request{Method: http.MethodGet, Path: p + "/devices", Query: q.Values(), Token: token}, &out, nil)
	return out, err
}

func (c *Client) statusAt(ctx context.Context, token, path string) (Status, error) {
	var raw json.RawMessage
	if err := c.Call(ctx, Request{Method: http.MethodGet, Path: path, Token: token}, &raw, nil); err != nil {
		return Status{}, err
	}
	var parent struct {
		Type   string          `json:"type"`
		Status json.RawMessage `json:"status"`
	}
	if err := json.Unmarshal(raw, &parent); err != nil {
		return Status{}, malformed("GET "+path, err)
	}
	leaf := raw
	if parent.Type != "status" && len(parent.Status) > 0 {
		leaf = parent.Status
	}
	var st Status
	if err := json.Unmarshal(leaf, &st); err != nil {
		return Status{}, malformed("GET "+path, err)
	}
	return st, nil
}

// idPath builds prefix+id after checking that id is one path segment: an
// id from a URL must not walk to another resource.
func idPath(op, prefix, id string) (string, error) {
	if !validID(id) {
		return "", &Error{Kind: KindNotFound, Op: op, Code: "NOT_FOUND", Message: "invalid id"}
	}
	return prefix + id, nil
}

func validID(id string) bool {
	if id == "" || id == "." || id == ".." || len(id) > 200 {
		return false
	}
	return !strings.ContainsAny(id, "/\\?#%\x00\r\n\t ")
}

func malformed(op string, err error) error {
	return &Error{Kind: KindUnavailable, Op: op, Message: "malformed data", Err: err}
}
