package apptest

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"
)

// Browser is an HTTP client with a cookie jar that does not follow
// redirects by itself, so a test can check every hop.
type Browser struct {
	t      testing.TB
	Client *http.Client
	Jar    *cookiejar.Jar
	// AcceptLanguage is sent with every request that sets none: "en" by
	// default, so tests read the English catalogue; "" sends none (the app
	// then answers in Korean).
	AcceptLanguage string
}

// NewBrowser returns a fresh browser.
func NewBrowser(t testing.TB) *Browser {
	jar, _ := cookiejar.New(nil)
	return &Browser{t: t, Jar: jar, AcceptLanguage: "en", Client: &http.Client{
		Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// Response is a read response.
type Response struct {
	*http.Response
	Body string
}

// Location is the resolved redirect target.
func (r *Response) Location() string {
	loc, err := r.Response.Location()
	if err != nil {
		return ""
	}
	return loc.String()
}

// Do sends a request and reads the whole body.
func (b *Browser) Do(req *http.Request) *Response {
	b.t.Helper()
	if b.AcceptLanguage != "" && req.Header.Get("Accept-Language") == "" {
		req.Header.Set("Accept-Language", b.AcceptLanguage)
	}
	resp, err := b.Client.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return &Response{Response: resp, Body: string(body)}
}

// Get fetches a URL.
func (b *Browser) Get(u string, headers ...string) *Response {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	setHeaders(req, headers)
	return b.Do(req)
}

// PostForm posts a form as a same-origin browser would (Origin and
// Sec-Fetch-Site set).
func (b *Browser) PostForm(u string, form url.Values, headers ...string) *Response {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", req.URL.Scheme+"://"+req.URL.Host)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	setHeaders(req, headers)
	return b.Do(req)
}

// Follow fetches u and follows redirects (GET), returning every response.
func (b *Browser) Follow(u string, max int) []*Response {
	b.t.Helper()
	var hops []*Response
	for i := 0; i < max; i++ {
		r := b.Get(u)
		hops = append(hops, r)
		if r.StatusCode < 300 || r.StatusCode >= 400 {
			return hops
		}
		u = r.Location()
	}
	b.t.Fatalf("more than %d redirects from %s", max, u)
	return hops
}

// Cookie returns the named cookie the jar would send to u.
func (b *Browser) Cookie(u, name string) *http.Cookie {
	pu, _ := url.Parse(u)
	for _, c := range b.Jar.Cookies(pu) {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func setHeaders(req *http.Request, kv []string) {
	for i := 0; i+1 < len(kv); i += 2 {
		req.Header.Set(kv[i], kv[i+1])
	}
}
