// Package layout is the page shell every screen shares: head, navigation,
// toast region, and the small notices (errors, "unavailable, retrying")
// that htmx swaps in place.
package layout

import (
	"context"
	"fmt"
	"time"

	"github.com/a-h/templ"

	"github.com/thingplus/thingplus-webapp/views/text"
)

// Shell is the view model of the page around a screen.
type Shell struct {
	Title   string
	Active  string // nav key of the current screen: "gateways", "rules", "events", "trains"
	User    *User  // nil when signed out
	Assets  Assets
	SSE     bool // load the htmx sse extension
	Sandbox bool // connected to the built-in sandbox
	Flash   Notice
	Theme   string // "light", "dark", or "" to follow the system
	Path    string // this page's path and query, where the theme form returns
}

// Themes are the theme choices, "" (system) first.
var Themes = []string{"", "light", "dark"}

// ThemeOf keeps a cookie's value to a known theme.
func ThemeOf(v string) string {
	if v == "light" || v == "dark" {
		return v
	}
	return ""
}

// User is who is signed in, as the shell shows it.
type User struct {
	Name     string // nickname, or loginId
	LoginID  string
	Expiring *Expiring // the Thing+ token runs out soon; nil otherwise
}

// Expiring is the header's warning that the Thing+ sign-in ends soon.
type Expiring struct {
	Left     time.Duration
	RenewURL string
}

// LeftText says how long is left, in hours or, under one, minutes.
func (e Expiring) LeftText(ctx context.Context) string {
	if e.Left >= time.Hour {
		return fmt.Sprintf(text.T(ctx, "auth.expiring.hours"), int(e.Left.Hours()))
	}
	return fmt.Sprintf(text.T(ctx, "auth.expiring.minutes"), max(1, int(e.Left.Minutes())))
}

// Assets are the hashed URLs of the shared static files.
type Assets struct {
	CSS, JS, HTMX, SSE, Icon string
}

// Notice is a message shown in place. Kind is "ok", "warn" or "bad".
type Notice struct {
	Kind string
	Text string
}

// htmxConfig is sent in a meta tag (no inline script, CSP). History restores
// must not be treated as fragment requests; htmx must not inject inline
// styles; 422/409/503 responses carry fragments meant to be swapped.
const htmxConfig = `{"historyRestoreAsHxRequest":false,"includeIndicatorStyles":false,"allowEval":false,"allowScriptTags":false,"selfRequestsOnly":true,` +
	`"responseHandling":[{"code":"204","swap":false},{"code":"[23]..","swap":true},{"code":"422","swap":true},{"code":"409","swap":true},{"code":"503","swap":true},{"code":"[45]..","swap":false,"error":true}]}`

func navClass(active, key string) string {
	if active == key {
		return "page"
	}
	return ""
}

// themeValue is the form value of a theme: "system" for "".
func themeValue(t string) string {
	if t == "" {
		return "system"
	}
	return t
}

// themeAttrs sets data-theme on <html> when a theme was chosen.
func themeAttrs(t string) templ.Attributes {
	if t == "" {
		return templ.Attributes{}
	}
	return templ.Attributes{"data-theme": t}
}

func boolStr(b bool) string {
	if b {
		return "true"
	}
	return "false"
}
