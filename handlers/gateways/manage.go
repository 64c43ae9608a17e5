package gateways

// Gateway management (issue 3, "Gateway management where the token's scope
// allows it"): add a virtual (or real) gateway from /gateways, and rename,
// re-time or delete one from its open row or its own page. Every form
// works without JavaScript (pages and 303s) and in place with htmx.
//
// Statuses: a mistake in the form is 422 with the form again (messages next
// to the fields, input kept); a Thing+ refusal (471 BILLING, 403 ACL_DENY or
// ACCESSGROUP_DENY, 404, 400) is 422 with the refusal in words at the top of
// the form; a taken id is 409; Thing+ down is 503 with the form and a
// notice; an expired token sends the user to sign in (web.Fail).

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/thingplus/thingplus-webapp/handlers/web"
	"github.com/thingplus/thingplus-webapp/thingplus"
	vt "github.com/thingplus/thingplus-webapp/views/gateways"
	"github.com/thingplus/thingplus-webapp/views/text"
)

// registerManage mounts the management routes. GET /gateways/new shadows a
// gateway whose id is "new"; the add form refuses that id.
func (h *Handler) registerManage(r gin.IRouter) {
	r.GET("/gateways/new", h.addForm)
	r.POST("/gateways", h.create)
	r.GET("/gateways/:gw/manage", h.managePanel)
	r.POST("/gateways/:gw/name", h.rename)
	r.POST("/gateways/:gw/interval", h.retime)
	r.GET("/gateways/:gw/delete", h.confirmDelete)
	r.POST("/gateways/:gw/delete", h.deleteGateway)
}

// Form limits.
const (
	maxName     = 100   // characters (Thing+'s limit)
	maxMinutes  = 10080 // one week
	maxFormBody = 16 << 10
	maxField    = 256 // characters kept of any field, for re-rendering
)

// hxChanged is the event a response triggers when the gateways changed:
// the refresher on /gateways reloads the table (views/gateways ManageBar).
const hxChanged = "gw-changed"

// gatewayIDRe is what Thing+ accepts as a gateway id (reqId).
var gatewayIDRe = regexp.MustCompile(`^[A-Za-z0-9_.:-]{1,128}$`)

// readForm parses a bounded form body; false means the answer was sent.
func readForm(c *gin.Context) bool {
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, maxFormBody)
	if err := c.Request.ParseForm(); err != nil {
		web.Fail(c, web.FormError(c, err, "form", text.T(c, "err.invalid")))
		return false
	}
	return true
}

// formValue is a posted field, trimmed and clipped.
func formValue(c *gin.Context, key string) string {
	return clip(strings.TrimSpace(c.Request.PostForm.Get(key)), maxField)
}

// checkName validates a gateway name; "" means fine.
func checkName(ctx context.Context, name string) string {
	switch {
	case name == "":
		return text.T(ctx, "gw.err.name.empty")
	case utf8.RuneCountInString(name) > maxName:
		return text.T(ctx, "gw.err.name.long")
	}
	return ""
}

// parseMinutes reads a report interval in whole minutes (1–10080).
func parseMinutes(ctx context.Context, s string) (time.Duration, string) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > maxMinutes {
		return 0, text.T(ctx, "gw.err.minutes")
	}
	return time.Duration(n) * time.Minute, ""
}

// everyText is a report interval in words ("5 min", "90 s").
func everyText(ctx context.Context, d time.Duration) string {
	if d%time.Minute == 0 {
		return fmt.Sprintf(text.T(ctx, "gw.every.min"), int(d/time.Minute))
	}
	return fmt.Sprintf(text.T(ctx, "gw.every.s"), int(d/time.Second))
}

// refusal is how a failed Thing+ write is shown in a form.
type refusal struct {
	status int
	notice vt.Notice
	field  string // a field the message belongs to, if any
}

// refusalOf puts a failed write in words. ok=false means it is none of the
// refusals a form can show (an expired token, a bug): web.Fail answers.
// adding tells registerGateway's 403/404 (about the site or model) from
// those of a change (about the gateway).
func refusalOf(ctx context.Context, err error, adding bool) (r refusal, ok bool) {
	var te *thingplus.Error
	if !errors.As(err, &te) || te.Kind == thingplus.KindUnauthorized || te.Kind == thingplus.KindOAuth {
		return r, false
	}
	bad := func(key string) refusal {
		return refusal{status: http.StatusUnprocessableEntity, notice: vt.Notice{Kind: "bad", Text: text.T(ctx, key)}}
	}
	switch {
	case thingplus.IsBilling(err):
		if strings.Contains(strings.ToLower(te.Message), "sensor") {
			return bad("gw.err.billing.sensors"), true
		}
		return bad("gw.err.billing"), true
	case thingplus.IsScopeDenied(err):
		return bad("gw.err.scope"), true
	case te.Kind == thingplus.KindForbidden && adding:
		return bad("gw.err.denied.site"), true
	case te.Kind == thingplus.KindForbidden:
		return bad("gw.err.denied"), true
	case te.Kind == thingplus.KindNotFound && adding:
		return bad("gw.err.notfound"), true
	case te.Kind == thingplus.KindNotFound:
		return bad("gw.err.gone"), true
	case te.Kind == thingplus.KindConflict:
		return refusal{status: http.StatusConflict, field: "id"}, true // the caller words it
	case te.Kind == thingplus.KindUnavailable:
		return refusal{status: http.StatusServiceUnavailable, notice: vt.Notice{Kind: "warn", Text: text.T(ctx, "gw.err.unavailable")}}, true
	case te.Kind == thingplus.KindInvalid:
		msg, code := te.Message, te.Code
		if msg == "" {
			msg = http.StatusText(te.Status)
		}
		if code == "" {
			code = strconv.Itoa(te.Status)
		}
		return refusal{status: http.StatusUnprocessableEntity,
			notice: vt.Notice{Kind: "bad", Text: fmt.Sprintf(text.T(ctx, "gw.err.refused"), clip(msg, 200), code)}}, true
	}
	return r, false
}

// invalidator is a cache that can forget a user's reads (*thingplus.Cached).
type invalidator interface{ Invalidate(token string) int }

// afterWrite drops the user's cached reads, so the next table shows the
// change (a Cached Manager already did; a separate cached Source has not).
func (h *Handler) afterWrite(token string) {
	if inv, ok := h.src.(invalidator); ok {
		inv.Invalidate(token)
	}
}

// fromPage reports whether an htmx request came from a page other than the
// gateways table (the gateway's own page), by HX-Current-URL.
func fromPage(c *gin.Context) bool {
	u, err := url.Parse(c.GetHeader("HX-Current-URL"))
	return err == nil && u.Path != "" && u.Path != "/gateways"
}
