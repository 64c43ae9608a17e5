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
	"strconv"
	"strings"
	"time"

	"golang.org/x/sync/singleflight"
)

// Defaults for every call.
const (
	// DefaultTimeout caps one Thing+ call (each attempt of it); the caller's
	// own deadline (the request budget) may end it sooner.
	DefaultTimeout = 3 * time.Second
	// MaxBody bounds a response body: 4000 gateways with embeds stay far below it.
	MaxBody = 16 << 20
	// minRetry is the least budget worth a second attempt.
	minRetry = 300 * time.Millisecond
)

// Client calls one Thing+ v2 API. It is safe for concurrent use.
type Client struct {
	base    *url.URL // e.g. https://api.thingplus.net/v2
	http    *http.Client
	timeout time.Duration
	maxBody int64
	budget  *bodyBudget
	flight  singleflight.Group
	now     func() time.Time
}

// Option tunes a Client.
type Option func(*Client)

// WithHTTPClient sets the transport client (its own Timeout still applies).
func WithHTTPClient(h *http.Client) Option { return func(c *Client) { c.http = h } }

// WithTimeout sets the cap of every call (the caller's deadline may be sooner).
func WithTimeout(d time.Duration) Option { return func(c *Client) { c.timeout = d } }

// WithMaxBody sets the largest response body accepted.
func WithMaxBody(n int64) Option { return func(c *Client) { c.maxBody = n } }

// WithBodyBudget sets the total of response bodies buffered at once, over
// all calls (DefaultBodyBudget).
func WithBodyBudget(n int64) Option { return func(c *Client) { c.budget = newBodyBudget(n) } }

// New returns a client for the API at baseURL (with its /v2 path).
func New(baseURL string, opts ...Option) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("thingplus: bad base URL %q", baseURL)
	}
	c := &Client{base: u, timeout: DefaultTimeout, maxBody: MaxBody, http: NewHTTPClient(),
		budget: newBodyBudget(DefaultBodyBudget), now: time.Now}
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

// NewHTTPClient is an HTTP client with the timeouts every upstream call needs.
// Callers' contexts bound each call more tightly; these are the backstops.
func NewHTTPClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = (&net.Dialer{Timeout: 3 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	t.TLSHandshakeTimeout = 5 * time.Second
	t.ResponseHeaderTimeout = 8 * time.Second
	t.MaxIdleConnsPerHost = 64
	return &http.Client{Timeout: 16 * time.Second, Transport: t,
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
//
// Every call ends by the caller's deadline: a coalesced GET goes on for the
// other callers when one leaves (it is bounded by the first caller's
// deadline and the per-call cap), but the leaving caller gets its answer
// ("unavailable") at once.
func (c *Client) Call(ctx context.Context, req Request, out any, meta *Meta) error {
	op := req.Method + " " + req.Path
	if err := ctx.Err(); err != nil {
		return gone(op, err)
	}
	var env *Envelope
	var err error
	if req.Method == http.MethodGet {
		key := req.Token + "\x00" + req.Path + "?" + req.Query.Encode()
		ch := c.flight.DoChan(key, func() (any, error) {
			shared, cancel := c.sharedContext(ctx)
			defer cancel()
			return c.get(shared, req)
		})
		select {
		case r := <-ch:
			env, err = r.Val.(*Envelope), r.Err
		case <-ctx.Done():
			return gone(op, ctx.Err())
		}
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

// sharedContext is the context of a coalesced call: not cancelled when its
// first caller goes away (others may be waiting on it) but bounded itself
// by the per-call cap. The first caller's deadline is kept as a hint for
// the retry decision (see budgetLeft).
func (c *Client) sharedContext(ctx context.Context) (context.Context, context.CancelFunc) {
	shared := context.WithoutCancel(ctx)
	if d, ok := ctx.Deadline(); ok {
		shared = context.WithValue(shared, callerDeadline{}, d)
	}
	return context.WithTimeout(shared, c.timeout)
}

type callerDeadline struct{}

// budgetLeft is the time left for another attempt: to the call's own end,
// and to the deadline of the caller that started it.
func (c *Client) budgetLeft(ctx context.Context) time.Duration {
	left := c.timeout
	if d, ok := ctx.Deadline(); ok {
		left = d.Sub(c.now())
	}
	if d, ok := ctx.Value(callerDeadline{}).(time.Time); ok {
		left = min(left, d.Sub(c.now()))
	}
	return left
}

// gone is the error of a caller whose own deadline or cancellation ended
// the wait.
func gone(op string, err error) error {
	return &Error{Kind: KindUnavailable, Op: op, Message: "request budget spent", Err: err}
}

// get is an idempotent call: one retry after a transport failure, a 502,
// 503 or 504, or a 429 whose Retry-After fits, and only when enough of the
// budget remains for a second attempt.
func (c *Client) get(ctx context.Context, req Request) (*Envelope, error) {
	env, err := c.roundTrip(ctx, req)
	wait, again := c.retryable(ctx, err)
	if !again {
		return env, err
	}
	if wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return nil, err
		}
	}
	return c.roundTrip(ctx, req)
}

// retryable says whether err deserves a second attempt and after how long.
func (c *Client) retryable(ctx context.Context, err error) (time.Duration, bool) {
	var e *Error
	if err == nil || !errors.As(err, &e) || ctx.Err() != nil || e.Message == errTooLarge.Error() {
		return 0, false
	}
	left := c.budgetLeft(ctx)
	switch {
	case e.Status == http.StatusTooManyRequests:
		return e.RetryAfter, e.RetryAfter > 0 && left-e.RetryAfter >= minRetry
	case e.Status == 0 || e.Status == http.StatusBadGateway || e.Status == http.StatusServiceUnavailable ||
		e.Status == http.StatusGatewayTimeout:
		return 0, left >= minRetry
	}
	return 0, false
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
	if resp.ContentLength > c.maxBody {
		return nil, &Error{Kind: KindUnavailable, Status: resp.StatusCode, Op: op, Message: errTooLarge.Error(), Err: errTooLarge}
	}
	body, release, err := c.budget.readBody(resp.Body, c.maxBody)
	if err != nil {
		msg := "response unreadable"
		if errors.Is(err, errTooLarge) {
			msg = errTooLarge.Error()
		}
		return nil, &Error{Kind: KindUnavailable, Status: resp.StatusCode, Op: op, Message: msg, Err: err}
	}
	defer release()
	if resp.StatusCode >= 400 {
		e := parseError(op, resp.StatusCode, body)
		if resp.StatusCode == http.StatusTooManyRequests {
			e.RetryAfter = retryAfter(resp.Header.Get("Retry-After"), c.now())
		}
		return nil, e
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

// retryAfter reads a Retry-After header: seconds or an HTTP date.
func retryAfter(h string, now time.Time) time.Duration {
	if h == "" {
		return 0
	}
	if s, err := strconv.Atoi(strings.TrimSpace(h)); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
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
