package handlers

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/thingplus/thingplus-webapp/handlers/web"
	"github.com/thingplus/thingplus-webapp/thingplus"
	"github.com/thingplus/thingplus-webapp/views/home"
	"github.com/thingplus/thingplus-webapp/views/layout"
	"github.com/thingplus/thingplus-webapp/views/text"
)

// homeMessages are the only notices the home page shows from its query, so
// a link cannot put arbitrary text on our page (values are catalogue keys).
var homeMessages = map[string]layout.Notice{
	"signedout": {Kind: "ok", Text: "auth.signedout"},
	"expired":   {Kind: "warn", Text: "auth.expired"},
}

// Overview loads the signed-in home page's figures (handlers/overview).
type Overview interface {
	Overview(ctx context.Context, token string, u thingplus.User) home.Overview
}

// homePage is the home page: the overview when signed in. After a Thing+
// session ended (?m=expired) its sign-in button comes back to where the
// user was (?next=, local paths only).
func homePage(ov Overview) gin.HandlerFunc {
	return func(c *gin.Context) {
		signIn := "/auth/login"
		if next := safeNext(c.Query("next")); next != "" {
			signIn += "?next=" + url.QueryEscape(next)
		}
		n := homeMessages[c.Query("m")]
		if n.Text != "" {
			n.Text = text.T(c, n.Text)
		}
		renderHomeVM(c, http.StatusOK, n, home.Home{SignInURL: signIn}, ov)
	}
}

func renderHome(c *gin.Context, status int, flash layout.Notice) {
	renderHomeVM(c, status, flash, home.Home{SignInURL: "/auth/login"}, nil)
}

func renderHomeVM(c *gin.Context, status int, flash layout.Notice, vm home.Home, ov Overview) {
	if u, ok := web.UserOf(c); ok {
		vm = home.Home{SignedIn: true, Name: u.DisplayName(), LoginID: u.LoginID, SignInURL: vm.SignInURL}
		if ov != nil {
			vm.Overview = ov.Overview(c.Request.Context(), web.TokenOf(c), u)
		}
	}
	web.Render(c, status, web.Page{Title: text.T(c, "home.title"), Flash: flash}, home.Page(vm))
}

// Checker is one readiness dependency.
type Checker func(ctx context.Context) error

// Check is one named readiness check. Only required checks decide
// readiness: Thing+ being slow or down must not pull every instance out of
// the load balancer while the trains page (which never needs it) is wanted
// most; it is reported, not enforced.
type Check struct {
	Name     string
	Check    Checker
	Required bool
}

// health is /healthz: the process answers.
func health(c *gin.Context) { c.String(http.StatusOK, "ok") }

// checkResult is one check in the /readyz body.
type checkResult struct {
	Status   string `json:"status"` // "ok" or "down"
	Required bool   `json:"required"`
	Millis   int64  `json:"ms"`
}

// ready is /readyz: 200 when every required check passes within 2 s, else
// 503; the body lists every check with its latency. Failure details go to
// the log, not the body (it is public).
func ready(checks []Check) gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
		defer cancel()
		results := make([]checkResult, len(checks))
		var wg sync.WaitGroup
		for i, ch := range checks {
			wg.Go(func() {
				start := time.Now()
				err := ch.Check(ctx)
				results[i] = checkResult{Status: "ok", Required: ch.Required, Millis: time.Since(start).Milliseconds()}
				if err != nil {
					results[i].Status = "down"
					slog.WarnContext(ctx, "readiness check failed", "check", ch.Name, "required", ch.Required, "err", err)
				}
			})
		}
		wg.Wait()
		body := gin.H{"status": "ready"}
		status := http.StatusOK
		out := map[string]checkResult{}
		for i, ch := range checks {
			out[ch.Name] = results[i]
			if ch.Required && results[i].Status != "ok" {
				status, body["status"] = http.StatusServiceUnavailable, "not ready"
			}
		}
		body["checks"] = out
		c.Header("Cache-Control", "no-store")
		c.JSON(status, body)
	}
}
