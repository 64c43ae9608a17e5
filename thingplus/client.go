// Package thingplus is a client for the Thing+ v2 REST API and its OAuth2
// endpoints. It knows nothing of HTML or HTTP handlers: it speaks JSON to
// Thing+ and returns typed values and typed errors (see errors.go).
package thingplus

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/sync/singleflight"
)

// Defaults for every call.
const (
	DefaultTimeout = 8 * time.Second
	// MaxBody bounds a response body: 4000 gateways with embeds stay far below it.
	MaxBody = 16 << 20
)

// Client calls one Thing+ v2 API. It is safe for concurrent use.
type Client struct {
	base    *url.URL // e.g. https://api.thingplus.net/v2
	http    *http.Client
	timeout time.Duration
	maxBody int64
	flight  singleflight.Group
}

// Option tunes a Client.
type Option func(*Client)

// WithHTTPClient sets the transport client (its own Timeout still applies).
func WithHTTPClient(h *http.Client) Option { return func(c *Client) { c.http = h } }

// WithTimeout sets the deadline of every call.
func WithTimeout(d time.Duration) Option { return func(c *Client) { c.timeout = d } }

// WithMaxBody sets the largest response body accepted.
func WithMaxBody(n int64) Option { return func(c *Client) { c.maxBody = n } }

// New returns a client for the API at baseURL (with its /v2 path).
func New(baseURL string, opts ...Option) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("thingplus: bad base URL %q", baseURL)
	}
	c := &Client{base: u, timeout: DefaultTimeout, maxBody: MaxBody, http: NewHTTPClient()}
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

// NewHTTPClient is an HTTP client with the timeouts every upstream call needs.
func NewHTTPClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = (&net.Dialer{Timeout: 3 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	t.TLSHandshakeTimeout = 5 * time.Second
	t.ResponseHeaderTimeout = DefaultTimeout
	t.MaxIdleConnsPerHost = 64
	return &http.Client{Timeout: 2 * DefaultTimeout, Transport: t,
		// Never follow a redirect with the bearer token attached elsewhere.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// BaseURL is the API base, e.g. https://api.thingplus.net/v2.
func (c *Client) BaseURL() string { return c.base.String() }

// Envelope is the v2 response wrapper (§4.1).
type Envelope struct {
	StatusCode int             `json:"statusCode"`
	Message    string          `json:"message"`
	Data       json.RawMessage `json:"data"`
	Meta       json.RawMessage `json:"_meta"`
	Errors     []struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"errors"`
}

// Meta is the collection metadata (§4.2).
type Meta struct {
	Count   int    `json:"count"`
	Page    int    `json:"page"`
	Total   int    `json:"total"`
	MaxID   Str    `json:"maxId"`
	SinceID Str    `json:"sinceId"`
	Start   Millis `json:"dataStart"`
	End     Millis `json:"dataEnd"`
}

// Request is one API call.
type Request struct {
	Method string
	Path   string     // relative to the base, e.g. "/gateways"
	Query  url.Values // bracket keys already encoded by the caller (filter[owner])
	Token  string     // OAuth bearer token
	Body   any        // JSON-encoded when not nil
}

// Call performs req and decodes the envelope's data into out (when out is not
// nil) and its _meta into meta (when not nil). Identical concurrent GETs for
// the same token are coalesced into one upstream call.
func (c *Client) Call(ctx context.Context, req Request, out any, meta *Meta) error {
	op := req.Method + " " + req.Path
	var env *Envelope
	var err error
	if req.Method == http.MethodGet {
		key := req.Token + "\x00" + req.Path + "?" + req.Query.Encode()
		// The shared call must not die with the first caller's request: it
		// runs detached from its cancellation, bounded by the client timeout.
		shared := context.WithoutCancel(ctx)
		v, ferr, _ := c.flight.Do(key, func() (any, error) { return c.roundTrip(shared, req) })
		env, err = v.(*Envelope), ferr
	} else {
		env, err = c.roundTrip(ctx, req)
	}
	if err != nil {
		return err
	}
	if env == nil {
		return nil // 204
	}
	if out != nil && len(env.Data) > 0 {
		if err := json.Unmarshal(env.Data, out); err != nil {
			return &Error{Kind: KindUnavailable, Status: env.StatusCode, Op: op, Message: "malformed data", Err: err}
		}
	}
	if meta != nil && len(env.Meta) > 0 && string(env.Meta) != "null" {
		if err := json.Unmarshal(env.Meta, meta); err != nil {
			return &Error{Kind: KindUnavailable, Status: env.StatusCode, Op: op, Message: "malformed _meta", Err: err}
		}
	}
	return nil
}

func (c *Client) roundTrip(ctx context.Context, req Request) (*Envelope, error) {
	op := req.Method + " " + req.Path
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	hreq, err := c.newRequest(ctx, req)
	if err != nil {
		return nil, &Error{Kind: KindUnknown, Op: op, Err: err}
	}
	resp, err := c.http.Do(hreq)
	if err != nil {
		return nil, &Error{Kind: KindUnavailable, Op: op, Message: "Thing+ unreachable", Err: err}
	}
	defer resp.Body.Close()
	body, err := readLimited(resp.Body, c.maxBody)
	if err != nil {
		return nil, &Error{Kind: KindUnavailable, Status: resp.StatusCode, Op: op, Message: "response unreadable", Err: err}
	}
	if resp.StatusCode >= 400 {
		return nil, parseError(op, resp.StatusCode, body)
	}
	if resp.StatusCode == http.StatusNoContent || len(bytes.TrimSpace(body)) == 0 {
		return nil, nil
	}
	var env Envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, &Error{Kind: KindUnavailable, Status: resp.StatusCode, Op: op, Message: "malformed JSON", Err: err}
	}
	if env.StatusCode == 0 {
		env.StatusCode = resp.StatusCode
	}
	return &env, nil
}

func (c *Client) newRequest(ctx context.Context, req Request) (*http.Request, error) {
	u := *c.base
	u.Path = strings.TrimRight(u.Path, "/") + req.Path
	u.RawQuery = encodeQuery(req.Query)
	var body io.Reader
	if req.Body != nil {
		b, err := json.Marshal(req.Body)
		if err != nil {
			return nil, err
		}
		body = bytes.NewReader(b)
	}
	hreq, err := http.NewRequestWithContext(ctx, req.Method, u.String(), body)
	if err != nil {
		return nil, err
	}
	hreq.Header.Set("Accept", "application/json")
	if body != nil {
		hreq.Header.Set("Content-Type", "application/json")
	}
	if req.Token != "" {
		hreq.Header.Set("Authorization", "Bearer "+req.Token)
	}
	return hreq, nil
}

// encodeQuery encodes like url.Values.Encode but keeps brackets readable
// (filter[owner]=x), as Thing+'s node qs parser expects either form.
func encodeQuery(q url.Values) string {
	return strings.NewReplacer("%5B", "[", "%5D", "]").Replace(q.Encode())
}

// errTooLarge is returned for a body over the limit.
var errTooLarge = errors.New("response body too large")

func readLimited(r io.Reader, max int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, errTooLarge
	}
	return b, nil
}

// parseError understands the four error shapes of §8b: the v2 envelope,
// oauth2orize's {name,message,code,status}, jsonwebtoken's
// {name,message,expiredAt}, and a bare JSON string ("Access denied").
func parseError(op string, status int, body []byte) *Error {
	e := &Error{Status: status, Op: op}
	var shape struct {
		Message string `json:"message"`
		Name    string `json:"name"`
		Code    any    `json:"code"`
		Errors  []struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"errors"`
	}
	var plain string
	switch {
	case json.Unmarshal(body, &shape) == nil:
		e.Message = shape.Message
		if code, ok := shape.Code.(string); ok {
			e.Code = code
		}
		if len(shape.Errors) > 0 {
			e.Code, e.Message = shape.Errors[0].Code, shape.Errors[0].Message
		}
		if shape.Name == "JsonWebTokenError" || shape.Name == "TokenExpiredError" {
			e.Code = shape.Name
			e.Kind = KindUnauthorized
			return e
		}
		if shape.Name == "AuthorizationError" || shape.Name == "TokenError" {
			e.Kind = KindOAuth
			return e
		}
	case json.Unmarshal(body, &plain) == nil:
		e.Message = plain
	default:
		e.Message = "non-JSON error body"
	}
	e.Kind = kindOfStatus(status)
	return e
}

func kindOfStatus(status int) Kind {
	switch {
	case status == http.StatusUnauthorized:
		return KindUnauthorized
	case status == http.StatusForbidden:
		return KindForbidden
	case status == http.StatusNotFound:
		return KindNotFound
	case status == http.StatusConflict:
		return KindConflict
	case status == http.StatusTooManyRequests || status >= 500:
		return KindUnavailable
	case status >= 400:
		return KindInvalid
	}
	return KindUnknown
}
