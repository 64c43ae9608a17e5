package gateways

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
	"golang.org/x/sync/errgroup"

	"github.com/thingplus/thingplus-webapp/handlers/web"
	"github.com/thingplus/thingplus-webapp/thingplus"
	vt "github.com/thingplus/thingplus-webapp/views/gateways"
	"github.com/thingplus/thingplus-webapp/views/text"
)

// virtualBasic is the Virtual Gateway-Basic model (§5.13), offered even
// when the model catalogue cannot be read.
var virtualBasic = thingplus.GatewayModel{ID: "6", Model: "virtual-gateway-basic-v1.0", DisplayName: "Virtual Gateway-Basic"}

// addChoices are what the add form offers: gateway models and sites.
type addChoices struct {
	models   []thingplus.GatewayModel
	sites    []thingplus.Site
	sitesErr error // the sites could not be read: the form asks for the id
}

// isVirtual reports whether a model is simulated by Thing+ (no hardware,
// so no id to enter).
func isVirtual(m thingplus.GatewayModel) bool {
	return m.ID == "6" || strings.Contains(strings.ToLower(m.Model+" "+m.DisplayName), "virtual")
}

func (ch addChoices) model(id string) (thingplus.GatewayModel, bool) {
	for _, m := range ch.models {
		if string(m.ID) == id {
			return m, true
		}
	}
	return thingplus.GatewayModel{}, false
}

// loadChoices reads the models and the sites concurrently. A failing model
// catalogue leaves Virtual Gateway-Basic; failing sites leave a text field.
// Only an expired token is an error.
func (h *Handler) loadChoices(ctx context.Context, token string) (addChoices, error) {
	var ch addChoices
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		models, err := h.src.GatewayModels(gctx)
		if err != nil {
			slog.WarnContext(ctx, "gateway models unavailable", "err", err)
		}
		ch.models = models
		return nil
	})
	g.Go(func() error {
		ch.sites, ch.sitesErr = h.manage.Sites(gctx, token)
		if thingplus.NeedsSignIn(ch.sitesErr) {
			return ch.sitesErr
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		return ch, err
	}
	if len(ch.models) == 0 {
		ch.models = []thingplus.GatewayModel{virtualBasic}
	}
	if ch.sitesErr == nil && len(ch.sites) == 0 {
		ch.sitesErr = fmt.Errorf("no sites")
	}
	return ch, nil
}

// decorate fills the form's choices, selecting what the user chose (or
// Virtual Gateway-Basic, or the first real model, and the first site). The
// virtual form offers only virtual models, the real form only real ones.
func (ch addChoices) decorate(ctx context.Context, f *vt.AddForm) {
	if f.Model == "" && !f.Real {
		if _, ok := ch.model("6"); ok {
			f.Model = "6"
		}
	}
	group := vt.OptionGroup{Label: text.T(ctx, "gw.add.models.virtual")}
	if f.Real {
		group.Label = text.T(ctx, "gw.add.models.real")
	}
	for _, m := range ch.models {
		if isVirtual(m) == f.Real {
			continue
		}
		if f.Model == "" {
			f.Model = string(m.ID)
		}
		label := m.DisplayName
		if label == "" {
			label = cmp.Or(m.Model, string(m.ID))
		}
		group.Options = append(group.Options, vt.Option{Value: string(m.ID), Label: label, Selected: string(m.ID) == f.Model})
	}
	f.Models = nil
	if len(group.Options) > 0 {
		f.Models = []vt.OptionGroup{group}
	}
	f.SiteText = ch.sitesErr != nil
	if f.SiteText {
		if thingplus.IsScopeDenied(ch.sitesErr) && f.Notice.Text == "" {
			f.Notice = vt.Notice{Kind: "warn", Text: text.T(ctx, "gw.err.scope.sites")}
		}
		return
	}
	if f.Site == "" {
		f.Site = string(ch.sites[0].ID)
	}
	f.Sites = make([]vt.Option, len(ch.sites))
	for i, s := range ch.sites {
		f.Sites[i] = vt.Option{Value: string(s.ID), Label: fmt.Sprintf(text.T(ctx, "gw.add.site.label"), cmp.Or(s.Name, string(s.ID)), s.ID),
			Selected: string(s.ID) == f.Site}
	}
}

// validate checks the form against the choices and builds the
// registration; the errors are by field.
func (ch addChoices) validate(ctx context.Context, f *vt.AddForm) (thingplus.Registration, map[string]string) {
	errs := map[string]string{}
	reg := thingplus.Registration{Name: f.Name, Model: f.Model, SiteID: f.Site, ID: f.ID}
	if msg := checkName(ctx, f.Name); msg != "" {
		errs["name"] = msg
	}
	m, ok := ch.model(f.Model)
	if !ok || isVirtual(m) == f.Real {
		errs["model"] = text.T(ctx, "gw.err.model")
	}
	switch {
	case !f.Real:
		// A virtual gateway has no hardware id: Thing+ gets a fresh one.
		f.ID = ""
		reg.ID = newVirtualID()
	case f.ID == "":
		errs["id"] = text.T(ctx, "gw.err.id.required")
	case f.ID == "":
	case !gatewayIDRe.MatchString(f.ID):
		errs["id"] = text.T(ctx, "gw.err.id.chars")
	case f.ID == "new":
		errs["id"] = text.T(ctx, "gw.err.id.reserved")
	}
	if ch.sitesErr == nil {
		found := false
		for _, s := range ch.sites {
			found = found || string(s.ID) == f.Site
		}
		if !found {
			errs["site"] = text.T(ctx, "gw.err.site")
		}
	} else if !gatewayIDRe.MatchString(f.Site) {
		errs["site"] = text.T(ctx, "gw.err.site")
	}
	if f.Minutes != "" {
		every, msg := parseMinutes(ctx, f.Minutes)
		if msg != "" {
			errs["minutes"] = msg
		}
		reg.ReportInterval = every
	}
	return reg, errs
}

// newVirtualID is a fresh id for a virtual gateway: 32 hex digits, the
// form of a Thing+ UUID without dashes.
func newVirtualID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	return hex.EncodeToString(b[:])
}

// addForm serves GET /gateways/new: the add form (htmx: in place of the
// add section; with close=1 the section closed again), or its own page.
func (h *Handler) addForm(c *gin.Context) {
	if c.Query("close") != "" && web.IsFragment(c) {
		c.Header("Vary", web.HeaderRequest)
		web.Component(c, http.StatusOK, vt.AddSection(vt.AddForm{}))
		return
	}
	ch, err := h.loadChoices(c.Request.Context(), web.TokenOf(c))
	if err != nil {
		web.Fail(c, err)
		return
	}
	f := vt.AddForm{Open: true, Real: c.Query("kind") == "real"}
	ch.decorate(c, &f)
	h.renderAdd(c, http.StatusOK, f)
}

// create serves POST /gateways: register the gateway, or show why not.
func (h *Handler) create(c *gin.Context) {
	if !readForm(c) {
		return
	}
	ctx, token := c.Request.Context(), web.TokenOf(c)
	f := vt.AddForm{Open: true, Name: formValue(c, "name"), Model: formValue(c, "model"), ID: formValue(c, "id"),
		Site: formValue(c, "site"), Minutes: formValue(c, "minutes")}
	ch, err := h.loadChoices(ctx, token)
	if err != nil {
		web.Fail(c, err)
		return
	}
	// The real form says so (kind=real); a real model chosen anyway (an
	// older page, a script) makes it the real form too, so its id is asked.
	m, known := ch.model(f.Model)
	f.Real = formValue(c, "kind") == "real" || (known && !isVirtual(m))
	reg, errs := ch.validate(c, &f)
	if len(errs) > 0 {
		f.Errors = errs
		ch.decorate(c, &f)
		h.renderAdd(c, http.StatusUnprocessableEntity, f)
		return
	}
	gw, err := h.manage.RegisterGateway(ctx, token, reg)
	h.afterWrite(token)
	if err != nil {
		ref, ok := refusalOf(c, err, true)
		if !ok {
			web.Fail(c, err)
			return
		}
		slog.InfoContext(ctx, "gateway registration refused", "err", err)
		f.Notice = ref.notice
		if ref.status == http.StatusConflict {
			msg := fmt.Sprintf(text.T(c, "gw.err.duplicate"), reg.ID)
			if f.ID != "" {
				f.Errors = map[string]string{"id": msg}
			} else {
				f.Notice = vt.Notice{Kind: "bad", Text: msg}
			}
		}
		ch.decorate(c, &f)
		h.renderAdd(c, ref.status, f)
		return
	}
	if gw.ID == "" {
		gw.ID = reg.ID
	}
	if gw.Name == "" {
		gw.Name = reg.Name
	}
	if !web.IsFragment(c) {
		web.Redirect(c, gatewayHref(gw.ID))
		return
	}
	// A fresh form (another gateway may follow), the outcome on top, and
	// the table told to reload.
	done := vt.AddForm{Open: true, Real: f.Real,
		Notice: vt.Notice{Kind: "ok", Text: fmt.Sprintf(text.T(c, "gw.add.done"), gw.Name)},
		Added:  &vt.Link{Text: fmt.Sprintf(text.T(c, "gw.add.done.link"), gw.Name), Href: gatewayHref(gw.ID)}}
	ch.decorate(c, &done)
	c.Header("HX-Trigger", hxChanged)
	h.renderAdd(c, http.StatusOK, done)
}

// renderAdd answers the add section alone (htmx) or its page.
func (h *Handler) renderAdd(c *gin.Context, status int, f vt.AddForm) {
	c.Header("Vary", web.HeaderRequest)
	if web.IsFragment(c) {
		web.Component(c, status, vt.AddSection(f))
		return
	}
	f.Page = true
	web.Render(c, status, web.Page{Title: text.T(c, "gw.add.title"), Active: "gateways"}, vt.AddPage(f))
}
