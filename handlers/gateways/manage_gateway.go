package gateways

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/thingplus/thingplus-webapp/handlers/web"
	"github.com/thingplus/thingplus-webapp/thingplus"
	vt "github.com/thingplus/thingplus-webapp/views/gateways"
	"github.com/thingplus/thingplus-webapp/views/text"
)

// manageQuery reads what the panel shows.
var manageQuery = thingplus.Query{Fields: []string{"name", "reportInterval"}}

// deleteQuery reads what the confirmation page says.
var deleteQuery = thingplus.Query{Fields: []string{"name", "devices", "sensors"}}

// manageOf is the panel of a gateway as Thing+ has it.
func manageOf(ctx context.Context, gw thingplus.Gateway, page bool) vt.Manage {
	m := vt.Manage{ID: gw.ID, Title: clip(gw.Name, maxField), Name: clip(gw.Name, maxField), Page: page}
	every := gw.Interval()
	m.Current = text.T(ctx, "gw.manage.current.unknown")
	if every > 0 {
		m.Current = fmt.Sprintf(text.T(ctx, "gw.manage.current"), everyText(ctx, every))
		if every%time.Minute == 0 {
			m.Minutes = strconv.Itoa(int(every / time.Minute))
		}
	}
	m.Confirm = fmt.Sprintf(text.T(ctx, "gw.manage.confirm"), m.Title, gw.ID)
	return m
}

// loadManage reads a gateway for its panel. When Thing+ is down the panel
// still shows (empty fields, a notice) with unavailable=true.
func (h *Handler) loadManage(ctx context.Context, token, id string, page bool) (m vt.Manage, unavailable bool, err error) {
	gw, err := h.src.Gateway(ctx, token, id, manageQuery)
	if err != nil {
		if !isUnavailable(err) {
			return m, false, err
		}
		m = manageOf(ctx, thingplus.Gateway{ID: id}, page)
		m.Notice = vt.Notice{Kind: "warn", Text: web.InPlace(ctx, err, "gw.unavailable")}
		return m, true, nil
	}
	if gw.ID == "" {
		gw.ID = id
	}
	return manageOf(ctx, gw, page), false, nil
}

// managePanel serves GET /gateways/{id}/manage: the panel (htmx, in place of
// its link; with close=1 the link again), or its own page (no JavaScript,
// and the page the forms return to: done=renamed|retimed).
func (h *Handler) managePanel(c *gin.Context) {
	id := c.Param("gw")
	c.Header("Vary", web.HeaderRequest)
	if c.Query("close") != "" && web.IsFragment(c) {
		web.Component(c, http.StatusOK, vt.ManageLauncher(id, false))
		return
	}
	page := !web.IsFragment(c)
	m, down, err := h.loadManage(c.Request.Context(), web.TokenOf(c), id, page)
	if err != nil {
		web.Fail(c, err)
		return
	}
	switch c.Query("done") {
	case "renamed":
		m.Notice = vt.Notice{Kind: "ok", Text: fmt.Sprintf(text.T(c, "gw.manage.renamed"), m.Title)}
	case "retimed":
		m.Notice = vt.Notice{Kind: "ok", Text: fmt.Sprintf(text.T(c, "gw.manage.retimed"), everyOfMinutes(c, m.Minutes))}
	}
	status := http.StatusOK
	if down {
		status = http.StatusServiceUnavailable
	}
	h.renderManage(c, status, m)
}

func everyOfMinutes(ctx context.Context, minutes string) string {
	n, _ := strconv.Atoi(minutes)
	return everyText(ctx, time.Duration(n)*time.Minute)
}

// renderManage answers the panel alone (htmx) or the management page.
func (h *Handler) renderManage(c *gin.Context, status int, m vt.Manage) {
	c.Header("Vary", web.HeaderRequest)
	if web.IsFragment(c) {
		web.Component(c, status, vt.ManagePanel(m))
		return
	}
	m.Page = true
	title := m.Title
	if title == "" {
		title = m.ID
	}
	web.Render(c, status, web.Page{Title: title, Active: "gateways"}, vt.ManagePage(m))
}

// change is one management form: rename or re-time.
type change struct {
	field string // the form field: name | minutes
	check func(ctx context.Context, v string) string
	apply func(ctx context.Context, token, id, v string) error
	done  func(ctx context.Context, v string) string // the success notice
	after string                                     // the done= of the no-JS redirect
}

var renameChange = change{
	field: "name",
	check: checkName,
	done:  func(ctx context.Context, v string) string { return fmt.Sprintf(text.T(ctx, "gw.manage.renamed"), v) },
	after: "renamed",
}

var retimeChange = change{
	field: "minutes",
	check: func(ctx context.Context, v string) string { _, msg := parseMinutes(ctx, v); return msg },
	done: func(ctx context.Context, v string) string {
		return fmt.Sprintf(text.T(ctx, "gw.manage.retimed"), everyOfMinutes(ctx, v))
	},
	after: "retimed",
}

// rename serves POST /gateways/{id}/name (PUT /gateways/{id} {name}).
func (h *Handler) rename(c *gin.Context) {
	ch := renameChange
	ch.apply = func(ctx context.Context, token, id, v string) error {
		_, err := h.manage.UpdateGateway(ctx, token, id, thingplus.GatewayUpdate{Name: &v})
		return err
	}
	h.change(c, ch)
}

// retime serves POST /gateways/{id}/interval (manageGateway setProperty).
func (h *Handler) retime(c *gin.Context) {
	ch := retimeChange
	ch.apply = func(ctx context.Context, token, id, v string) error {
		every, _ := parseMinutes(ctx, v)
		return h.manage.SetReportInterval(ctx, token, id, every)
	}
	h.change(c, ch)
}

// change validates and applies one form. A mistake or a refusal answers
// the panel with the message and the input kept; success answers the whole
// row (htmx in a table: the new name or status shows at once, the panel
// stays open with the outcome), the panel (htmx on the management page),
// or a 303 to the management page (no JavaScript).
func (h *Handler) change(c *gin.Context, ch change) {
	if !readForm(c) {
		return
	}
	id := c.Param("gw")
	ctx, token := c.Request.Context(), web.TokenOf(c)
	v := formValue(c, ch.field)
	onPage := formValue(c, "view") == "page" || !web.IsFragment(c)
	failed := func(status int, notice vt.Notice, fieldMsg string) {
		m, _, err := h.loadManage(ctx, token, id, onPage)
		if err != nil {
			m = manageOf(c, thingplus.Gateway{ID: id}, onPage) // gone or denied: still show why
		}
		if ch.field == "name" {
			m.Name = v
		} else {
			m.Minutes = v
		}
		if fieldMsg != "" {
			m.Errors = map[string]string{ch.field: fieldMsg}
		}
		if notice.Text != "" {
			m.Notice = notice
		}
		h.renderManage(c, status, m)
	}
	if msg := ch.check(ctx, v); msg != "" {
		failed(http.StatusUnprocessableEntity, vt.Notice{}, msg)
		return
	}
	err := ch.apply(ctx, token, id, v)
	h.afterWrite(token)
	if err != nil {
		ref, ok := refusalOf(c, err, false)
		if !ok {
			web.Fail(c, err)
			return
		}
		slog.InfoContext(ctx, "gateway change refused", "err", err, "field", ch.field)
		failed(ref.status, ref.notice, "")
		return
	}
	if !web.IsFragment(c) {
		web.Redirect(c, vt.ManageURL(id, "/manage?done="+ch.after))
		return
	}
	m, _, err := h.loadManage(ctx, token, id, onPage)
	if err != nil {
		m = manageOf(c, thingplus.Gateway{ID: id, Name: v}, onPage)
	}
	m.Notice = vt.Notice{Kind: "ok", Text: ch.done(ctx, v)}
	if onPage {
		// On the gateway page htmx swaps only the panel: the heading
		// comes along out of band, so the new name shows at once.
		m.Retitle = ch.field == "name" && web.IsFragment(c)
		h.renderManage(c, http.StatusOK, m)
		return
	}
	h.answerRow(c, id, m)
}

// answerRow answers an htmx change from an open row with the whole row,
// reloaded, its panel open (the form aimed at the panel: retarget).
func (h *Handler) answerRow(c *gin.Context, id string, m vt.Manage) {
	v := h.viewerOf(c)
	r, d, _, err := h.rowAndDetail(c, id, v)
	if err != nil {
		// The change went through; only the row could not be read: the panel says so.
		slog.WarnContext(c.Request.Context(), "gateway row after a change", "err", err)
		h.renderManage(c, http.StatusOK, m)
		return
	}
	row := openRow(v.rowView(&r, r.Status.key(v.now)), d.detail)
	row.Manage = &m
	c.Header("Vary", web.HeaderRequest)
	c.Header("HX-Retarget", "closest tbody")
	c.Header("HX-Reswap", "outerHTML")
	web.Component(c, http.StatusOK, vt.GatewayRow(row))
}

// confirmDelete serves GET /gateways/{id}/delete: the confirmation page for
// browsers without JavaScript (htmx asks with hx-confirm instead).
func (h *Handler) confirmDelete(c *gin.Context) {
	id := c.Param("gw")
	gw, err := h.src.Gateway(c.Request.Context(), web.TokenOf(c), id, deleteQuery)
	if err != nil {
		web.Fail(c, err)
		return
	}
	name := clip(gw.Name, maxField)
	d := vt.DeleteConfirm{ID: id, Name: name,
		Question: fmt.Sprintf(text.T(c, "gw.delete.question"), name, id),
		Details:  fmt.Sprintf(text.T(c, "gw.delete.details"), text.N(c, "gw.n.devices", gw.Devices.Len()), text.N(c, "gw.n.sensors", gw.Sensors.Len()))}
	web.Render(c, http.StatusOK, web.Page{Title: text.T(c, "gw.delete.title"), Active: "gateways"}, vt.DeletePage(d))
}

// deleteGateway serves POST /gateways/{id}/delete. A gateway already gone
// counts as deleted. htmx in the table: the row goes (swap "delete"), the
// status line says so and the table reloads; from the gateway's own page,
// or without JavaScript, the browser goes to /gateways.
func (h *Handler) deleteGateway(c *gin.Context) {
	if !readForm(c) {
		return
	}
	id := c.Param("gw")
	ctx, token := c.Request.Context(), web.TokenOf(c)
	name := formValue(c, "name")
	err := h.manage.DeleteGateway(ctx, token, id)
	h.afterWrite(token)
	if err != nil && !thingplus.IsKind(err, thingplus.KindNotFound) {
		ref, ok := refusalOf(c, err, false)
		if !ok {
			web.Fail(c, err)
			return
		}
		slog.InfoContext(ctx, "gateway delete refused", "err", err)
		m, _, lerr := h.loadManage(ctx, token, id, !web.IsFragment(c))
		if lerr != nil {
			m = manageOf(c, thingplus.Gateway{ID: id, Name: name}, !web.IsFragment(c))
		}
		m.Notice = ref.notice
		if web.IsFragment(c) {
			// The form aimed at the row; the refusal belongs in the panel.
			c.Header("HX-Retarget", "closest .gw-manage-slot")
			c.Header("HX-Reswap", "outerHTML")
		}
		h.renderManage(c, ref.status, m)
		return
	}
	if !web.IsFragment(c) || fromPage(c) {
		web.Redirect(c, "/gateways")
		return
	}
	if name == "" {
		name = id
	}
	c.Header("HX-Trigger", hxChanged)
	c.Header("HX-Reswap", "delete")
	web.Component(c, http.StatusOK, vt.Changed(fmt.Sprintf(text.T(c, "gw.deleted"), name)))
}
