// Package since serves the "since your last visit" box: GET /since (the
// fragment every signed-in page loads into its slot; ?home=1 for the home
// page's, which cannot be hidden) and POST /since/dismiss.
package since

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/thingplus/thingplus-webapp/handlers/web"
	"github.com/thingplus/thingplus-webapp/lastvisit"
	"github.com/thingplus/thingplus-webapp/views/home"
	"github.com/thingplus/thingplus-webapp/views/text"
)

// Digester summarises what changed since the previous visit (*lastvisit.Digester).
type Digester interface {
	Digest(ctx context.Context, account, login, token string) (lastvisit.Digest, error)
}

// Dismisser hides the box until the next visit (*lastvisit.Store).
type Dismisser interface {
	Dismiss(ctx context.Context, account string) error
}

// Handler serves the box.
type Handler struct {
	digest  Digester
	dismiss Dismisser
}

// New builds the handler.
func New(d Digester, s Dismisser) *Handler { return &Handler{digest: d, dismiss: s} }

// Register adds the routes (signed-in only).
func (h *Handler) Register(r gin.IRouter) {
	r.GET("/since", h.box)
	r.POST("/since/dismiss", h.hide)
}

func (h *Handler) box(c *gin.Context) {
	u, _ := web.UserOf(c)
	d, err := h.digest.Digest(c.Request.Context(), u.ID, u.LoginID, web.TokenOf(c))
	if err != nil {
		// the box is an extra: a failure leaves the slot empty, never an error on the page
		c.Status(http.StatusNoContent)
		return
	}
	onHome := c.Query("home") == "1"
	vm := View(c, d, u.Location(), onHome)
	if !onHome && (d.Dismissed || d.First) {
		vm.Hidden = true // screens show the box only when there is a visit to compare
	}
	c.Header("Vary", web.HeaderRequest)
	web.Component(c, http.StatusOK, home.SinceBox(vm))
}

func (h *Handler) hide(c *gin.Context) {
	u, _ := web.UserOf(c)
	if err := h.dismiss.Dismiss(c.Request.Context(), u.ID); err != nil {
		web.Fail(c, err)
		return
	}
	if !web.IsFragment(c) {
		web.Redirect(c, "/")
		return
	}
	web.Component(c, http.StatusOK, home.SinceBox(home.Since{Hidden: true}))
}

// View maps a digest to the box: one line per change, each linking to its screen.
func View(ctx context.Context, d lastvisit.Digest, loc *time.Location, onHome bool) home.Since {
	vm := home.Since{First: d.First, Dismissible: !onHome}
	if !d.First {
		vm.When = d.Since.In(loc).Format("2006-01-02 15:04")
	}
	add := func(kind, href, format string, args ...any) {
		vm.Lines = append(vm.Lines, home.SinceLine{Kind: kind, Href: href, Text: fmt.Sprintf(text.T(ctx, format), args...)})
	}
	for _, g := range d.Silent {
		add("silent", "/gateways/"+url.PathEscape(g.ID), "since.silent", g.Name, g.Status)
	}
	for _, g := range d.Back {
		add("back", "/gateways/"+url.PathEscape(g.ID), "since.back", g.Name)
	}
	for _, r := range d.Fired {
		if r.Failed > 0 {
			add("failed", "/events", "since.failed", r.Name, text.N(ctx, "since.times", r.Fired), r.Failed)
		} else {
			add("fired", "/events", "since.fired", r.Name, text.N(ctx, "since.times", r.Fired))
		}
	}
	for _, v := range d.Changes {
		add("change", "/rules/"+url.PathEscape(v.RuleID)+"/history", "since.change", v.RuleName, text.T(ctx, "rules.hist.action."+v.Action), v.Actor)
	}
	for _, p := range d.Peaks {
		add("peak", "/trains#train-"+strconv.FormatInt(p.TrainID, 10), "since.peak", p.Train, p.Percent, p.Count, p.Capacity)
	}
	if d.Rejected > 0 {
		vm.Lines = append(vm.Lines, home.SinceLine{Kind: "rejected", Href: "/trains/events", Text: text.N(ctx, "since.rejected", d.Rejected)})
	}
	return vm
}
