package rules

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/thingplus/thingplus-webapp/apperr"
	"github.com/thingplus/thingplus-webapp/handlers/web"
	"github.com/thingplus/thingplus-webapp/rulehistory"
	"github.com/thingplus/thingplus-webapp/thingplus"
	views "github.com/thingplus/thingplus-webapp/views/rules"
	"github.com/thingplus/thingplus-webapp/views/text"
)

// maxFormBody bounds a posted rule form (the raw JSON is at most 256 KiB).
const maxFormBody = 1 << 20

// newRule is the form of a rule that does not exist yet.
func (h *Handler) newRule(c *gin.Context, env formEnv) views.Form {
	zone := "Asia/Seoul"
	if u, ok := web.UserOf(c); ok && u.Timezone != "" {
		zone = env.zones.zoneFor(u.Timezone, env.now)
	}
	f := views.Form{
		Tab: tabForm, Severity: string(thingplus.SeverityInformation), Status: string(thingplus.RuleActivated), Zone: zone,
		Trigger: views.Sensorish{Prefix: "t", Method: thingplus.MethodOver},
	}
	kind := kindURL
	if h.push.build != nil {
		kind = kindApp
	}
	f.Actions = []views.Action{{Kind: kind, Dir: DirIn, Auto: kind}}
	renumber(&f)
	return f
}

// newForm serves GET /rules/new[?template=ID]: an empty form, or one filled
// from a template ("start from template").
func (h *Handler) newForm(c *gin.Context) {
	ctx, token := c.Request.Context(), web.TokenOf(c)
	env := h.env(c)
	f := h.newRule(c, env)
	if tid := c.Query("template"); tid != "" {
		t, err := h.rules.GetRule(ctx, token, tid)
		if err != nil {
			web.Fail(c, err)
			return
		}
		t.ID, t.Template = "", thingplus.TemplateFalse
		t.User, t.Site, t.Service, t.Ctime, t.Mtime = "", "", "", 0, 0
		f = env.fill(t)
		f.Template = false
	}
	f.Action = "/rules"
	if all, err := h.rules.ListRules(ctx, token); err == nil {
		for _, r := range all {
			if r.IsTemplate() {
				f.Templates = append(f.Templates, views.Option{Value: r.ID, Label: r.Name})
			}
		}
	}
	h.renderForm(c, http.StatusOK, env, f, c.Query("template"))
}

// editForm serves GET /rules/:id/edit (and /rules/:id).
func (h *Handler) editForm(c *gin.Context) {
	r, err := h.rules.GetRule(c.Request.Context(), web.TokenOf(c), c.Param("id"))
	if err != nil {
		web.Fail(c, err)
		return
	}
	env := h.env(c)
	f := env.fill(r)
	f.ID, f.Action = r.ID, "/rules/"+r.ID
	h.renderForm(c, http.StatusOK, env, f, "")
}

func (h *Handler) create(c *gin.Context) { h.submit(c, "") }

func (h *Handler) update(c *gin.Context) { h.submit(c, c.Param("id")) }

// submit handles every POST of the form: op names what the user did
// (save, switch tab, add or remove a row, refresh the pickers).
func (h *Handler) submit(c *gin.Context, id string) {
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, maxFormBody)
	if err := c.Request.ParseForm(); err != nil {
		// nothing to re-render: a toast, and the form on the page stays
		h.rowFail(c, web.FormError(c, err, "form", text.T(c, "rules.err.toolarge")))
		return
	}
	f := parseForm(c.Request.PostForm)
	f.DryRun.Window = c.Request.PostForm.Get("dry.window")
	f.ID, f.Action = id, "/rules"
	if id != "" {
		f.Action = "/rules/" + id
	}
	env := h.env(c)
	op := c.Request.PostForm.Get("op")
	switch op {
	case "", "save":
		h.save(c, env, f)
	case "dryrun":
		h.dryRun(c, env, f)
	case "tab-advanced":
		if f.Tab == tabForm {
			r, _, _ := env.build(f)
			f.Raw, f.Tab = env.maskedJSON(r, true), tabAdvanced
		}
		h.renderForm(c, http.StatusOK, env, f, "")
	case "tab-form":
		if f.Tab != tabAdvanced {
			h.renderForm(c, http.StatusOK, env, f, "")
			return
		}
		r, msg, usable := env.parseRaw(f.Raw)
		if !usable {
			f.Errors = map[string]string{"raw": msg}
			h.renderForm(c, http.StatusUnprocessableEntity, env, f, "")
			return
		}
		g := env.fill(r)
		g.ID, g.Action = f.ID, f.Action
		status := http.StatusOK
		if msg != "" {
			_, g.Errors, _ = env.build(g)
			status = http.StatusUnprocessableEntity
		}
		h.renderForm(c, status, env, g, "")
	default:
		if !env.applyOp(&f, op) {
			f.Errors = map[string]string{"form": text.T(c, "err.invalid")}
			h.renderForm(c, http.StatusUnprocessableEntity, env, f, "")
			return
		}
		if op == "refresh" && presetsTrigger(c.GetHeader("HX-Trigger-Name")) {
			presetDoorTrigger(&f)
		}
		h.renderForm(c, http.StatusOK, env, f, "")
	}
}

// save validates, then creates or updates the rule. Problems are shown in
// the form (422), Thing+ rejections with its message and code (422), an
// unavailable Thing+ keeps the form as typed (503).
func (h *Handler) save(c *gin.Context, env formEnv, f views.Form) {
	var r thingplus.Rule
	var fm fieldMap
	var errs map[string]string
	if f.Tab == tabAdvanced {
		var msg string
		r, msg, _ = env.parseRaw(f.Raw)
		if msg != "" {
			errs = map[string]string{"raw": msg}
		}
	} else {
		r, errs, fm = env.build(f)
	}
	if len(errs) > 0 {
		f.Errors = errs
		h.renderForm(c, http.StatusUnprocessableEntity, env, f, "")
		return
	}
	ctx, token := c.Request.Context(), web.TokenOf(c)
	var err error
	var saved thingplus.Rule
	if f.ID == "" {
		saved, err = h.rules.CreateRule(ctx, token, r)
		if err == nil {
			// the rule exists now whatever happens: a failed snapshot is logged
			_ = h.snapshot(c, rulehistory.Create, saved, "")
		}
	} else {
		r.ID = f.ID
		if err = h.before(c, rulehistory.Update, f.ID); err == nil {
			_, err = h.rules.UpdateRule(ctx, token, r)
		}
	}
	if err != nil {
		var te *thingplus.Error
		switch {
		case errors.As(err, &te) && te.Kind != thingplus.KindUnavailable && te.Kind != thingplus.KindUnauthorized && te.Status >= 400:
			// a rejection (400 SCHEMA_VALIDATE, 403 ACCESSGROUP_DENY on a
			// target, 404, 409, 471 BILLING): shown in the form, as 422 so
			// htmx swaps it and nothing typed is lost
			f.Upstream = &views.Upstream{Code: te.Code, Message: te.Message}
			if f.Upstream.Message == "" {
				f.Upstream.Message = http.StatusText(te.Status)
			}
			f.Errors = map[string]string{}
			if path, msg, ok := strings.Cut(te.Message, ": "); ok && !strings.ContainsAny(path, " \t") {
				field := "raw"
				if f.Tab == tabForm {
					field = fm.field(path)
				}
				if field != "form" {
					f.Errors[field] = msg
				}
			}
			h.renderForm(c, http.StatusUnprocessableEntity, env, f, "")
		case apperr.CodeOf(err) == apperr.Unavailable && apperr.MessageOf(err) != "":
			// the snapshot could not be kept: nothing was changed (and
			// Thing+ refused nothing)
			f.Upstream = &views.Upstream{Message: apperr.MessageOf(err), Unavailable: true}
			h.renderForm(c, http.StatusServiceUnavailable, env, f, "")
		case thingplus.IsKind(err, thingplus.KindUnavailable):
			f.Upstream = &views.Upstream{Message: web.InPlace(c, err, "err.unavailable"), Unavailable: true}
			h.renderForm(c, http.StatusServiceUnavailable, env, f, "")
		default:
			web.Fail(c, err)
		}
		return
	}
	done := "created"
	if f.ID != "" {
		done = "updated"
	}
	// newest first: the rule just saved is at the top, under its message
	flashTo(c, done, filterURL(views.Filter{Sort: views.SortModified}))
}

// renderForm adds the choices to the form and answers the form alone (an
// htmx request aimed at it) or the whole page.
func (h *Handler) renderForm(c *gin.Context, status int, env formEnv, f views.Form, fromTemplate string) {
	h.decorate(&f, env)
	env.followSensorType(&f)
	h.decorateDryRun(c, &f)
	if web.IsFragment(c) && c.GetHeader(web.HeaderTarget) == targetForm {
		web.Component(c, status, views.RuleForm(f))
		return
	}
	title := text.T(c, "rules.new.title")
	if f.ID != "" {
		title = text.T(c, "rules.edit.title")
	}
	web.Render(c, status, web.Page{Title: title, Active: "rules"}, views.FormPage(f, fromTemplate))
}

// decorate fills the choices a form offers.
func (h *Handler) decorate(f *views.Form, env formEnv) {
	f.Zones = env.zones.options(f.Zone, env.now)
	f.PickerDown = env.down
	f.MaxItems, f.MaxGroups = thingplus.MaxItemsInGroup, thingplus.MaxGroups
	if h.push.build != nil {
		f.PushHint = text.T(env.ctx, "rules.form.apphint")
	}
	n := env.names()
	f.TriggerLabel = n.of(f.Trigger.Sensor)
	seen := map[string]bool{}
	for _, g := range env.picker {
		label := g.Name
		if label == "" {
			label = g.ID
		}
		f.Gateways = append(f.Gateways, views.Option{Value: g.ID, Label: label})
		seen[g.ID] = true
	}
	addSensors := func(s *views.Sensorish) {
		if s.Raw != "" {
			return
		}
		if s.Gateway == "" && s.Sensor != "" {
			if gw, _, ok := env.sensor(s.Sensor); ok {
				s.Gateway = gw
			}
		}
		if s.Gateway != "" && !seen[s.Gateway] {
			f.Gateways = append(f.Gateways, views.Option{Value: s.Gateway, Label: s.Gateway})
			seen[s.Gateway] = true
		}
		s.Sensors = nil
		found := false
		for _, g := range env.picker {
			if g.ID != s.Gateway {
				continue
			}
			for _, sc := range g.Sensors {
				label := sc.Name
				if label == "" {
					label = sc.ID
				}
				s.Sensors = append(s.Sensors, views.Option{Value: sc.ID, Label: sensorLabel(env.ctx, label, sc.Type)})
				if sc.ID == s.Sensor {
					found, s.Type = true, sc.Type
				}
			}
		}
		if s.Sensor != "" && !found {
			if env.picker != nil && s.Gateway != "" && slices.ContainsFunc(env.picker, func(g GatewayChoice) bool { return g.ID == s.Gateway }) {
				// the gateway changed: the old sensor is not one of it
				s.Sensor = ""
				return
			}
			s.Sensors = append(s.Sensors, views.Option{Value: s.Sensor, Label: s.Sensor})
		}
	}
	if f.TriggerLocked == "" {
		addSensors(&f.Trigger)
		f.TriggerLabel = n.of(f.Trigger.Sensor)
	}
	for i := range f.Conditions {
		addSensors(&f.Conditions[i])
	}
}

// sensorLabel is a sensor choice: its name, and its kind in words when the
// name does not already say it ("Temperature", not "Temperature (temperature)";
// "Car 1 door 1 (People through a door)", not "(countEvent)").
func sensorLabel(ctx context.Context, name, typ string) string {
	kind := text.TypeName(ctx, typ)
	if typ == "" || strings.EqualFold(name, typ) || strings.EqualFold(name, kind) {
		return name
	}
	return name + " (" + kind + ")"
}
