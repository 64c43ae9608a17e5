package handlers

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/thingplus/thingplus-webapp/handlers/web"
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

func homePage(c *gin.Context) {
	n := homeMessages[c.Query("m")]
	if n.Text != "" {
		n.Text = text.T(c, n.Text)
	}
	renderHome(c, http.StatusOK, n)
}

func renderHome(c *gin.Context, status int, flash layout.Notice) {
	vm := home.Home{}
	if u, ok := web.UserOf(c); ok {
		vm = home.Home{SignedIn: true, Name: u.DisplayName(), LoginID: u.LoginID}
	}
	web.Render(c, status, web.Page{Title: text.T(c, "home.title"), Flash: flash}, home.Page(vm))
}

// Checker is one readiness dependency.
type Checker func(ctx context.Context) error

// health is /healthz: the process answers.
func health(c *gin.Context) { c.String(http.StatusOK, "ok") }

// ready is /readyz: every dependency (sessions, Thing+) answers in time.
func ready(checks map[string]Checker) gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
		defer cancel()
		out := gin.H{}
		status := http.StatusOK
		for name, check := range checks {
			if err := check(ctx); err != nil {
				out[name] = "down"
				status = http.StatusServiceUnavailable
				continue
			}
			out[name] = "ok"
		}
		c.JSON(status, out)
	}
}
