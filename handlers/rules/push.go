package rules

import (
	"net/url"
	"strings"
)

// Directions of the trains webhook.
const (
	DirIn  = "IN"
	DirOut = "OUT"
)

// hiddenKey replaces webhook query values in everything the browser sees.
const hiddenKey = "HIDDEN"

// webhookPath finds "/api/trigger/{sensor}/{IN|OUT}" at the end of a URL's
// path (the app's own webhook, whatever host it was saved with).
func webhookPath(raw string) (sensor, dir string, ok bool) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", "", false
	}
	p := u.EscapedPath()
	i := strings.LastIndex(p, "/api/trigger/")
	if i < 0 {
		return "", "", false
	}
	rest := strings.Split(p[i+len("/api/trigger/"):], "/")
	if len(rest) != 2 || rest[0] == "" || (rest[1] != DirIn && rest[1] != DirOut) {
		return "", "", false
	}
	s, err := url.PathUnescape(rest[0])
	if err != nil {
		return "", "", false
	}
	return s, rest[1], true
}

// pushURLs builds and recognises this app's webhook URLs. The URL carries the
// webhook key: it is never logged and never sent to the browser (mask).
type pushURLs struct {
	build func(sensorID, dir string) string // nil: the app has no webhook
}

// For is the webhook URL for a sensor and direction ("" without a builder).
func (p pushURLs) For(sensor, dir string) string {
	if p.build == nil || sensor == "" {
		return ""
	}
	return p.build(sensor, dir)
}

// own reports whether raw is this app's webhook (same scheme, host and path
// as the builder makes for that sensor and direction; the query may differ).
func (p pushURLs) own(raw string) (sensor, dir string, ok bool) {
	sensor, dir, ok = webhookPath(raw)
	if !ok || p.build == nil {
		return "", "", false
	}
	got, err1 := url.Parse(raw)
	want, err2 := url.Parse(p.build(sensor, dir))
	if err1 != nil || err2 != nil {
		return "", "", false
	}
	if got.Scheme != want.Scheme || got.Host != want.Host || got.EscapedPath() != want.EscapedPath() {
		return "", "", false
	}
	return sensor, dir, true
}

// mask hides the query values of this app's webhook URLs (the key).
func (p pushURLs) mask(raw string) string {
	if _, _, ok := p.own(raw); !ok {
		return raw
	}
	u, _ := url.Parse(raw)
	q := u.Query()
	for k := range q {
		q.Set(k, hiddenKey)
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// unmask rebuilds this app's webhook URLs with the real key (also fixing
// an old key); other URLs are returned unchanged.
func (p pushURLs) unmask(raw string) string {
	sensor, dir, ok := p.own(raw)
	if !ok {
		return raw
	}
	return p.build(sensor, dir)
}
