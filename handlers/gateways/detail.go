package gateways

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/thingplus/thingplus-webapp/handlers/web"
	vt "github.com/thingplus/thingplus-webapp/views/gateways"
	"github.com/thingplus/thingplus-webapp/views/text"
)

// detailPage serves /gateways/{id} to a browser: the gateway's own page.
// Its live part (GatewayLive) polls /gateways/{id}/live, which answers that
// same component; the management panel sits outside it, so what the user
// types survives a refresh.
func (h *Handler) detailPage(c *gin.Context) {
	id := c.Param("gw")
	live, r, status, err := h.live(c, id)
	if err != nil {
		web.Fail(c, err)
		return
	}
	p := vt.GatewayDetailPage{ID: id, Title: r.Name, Live: live, PortalURL: portalLink(h.portal, id)}
	if h.manage != nil {
		m, _, err := h.loadManage(c.Request.Context(), web.TokenOf(c), id, true)
		if err == nil {
			p.Manage = &m
		}
	}
	c.Header("Vary", web.HeaderRequest)
	web.Render(c, status, web.Page{Title: r.Name, Active: "gateways"}, vt.GatewayDetailView(p))
}

// detailLive serves /gateways/{id}/live: the page's live part alone.
func (h *Handler) detailLive(c *gin.Context) {
	live, _, status, err := h.live(c, c.Param("gw"))
	if err != nil {
		web.Fail(c, err)
		return
	}
	c.Header("Vary", web.HeaderRequest)
	web.Component(c, status, vt.GatewayLive(live))
}

// live loads what the gateway page shows and refreshes: 200, or 503 with
// the last good data marked "as of …" while Thing+ is down.
func (h *Handler) live(c *gin.Context, id string) (vt.LiveGateway, gwRow, int, error) {
	v := h.viewerOf(c)
	r, d, down, err := h.rowAndDetail(c, id, v)
	if err != nil {
		return vt.LiveGateway{}, r, 0, err
	}
	status := http.StatusOK
	if down != nil {
		status = http.StatusServiceUnavailable
		if d.detail.Notice.Text == "" {
			d.detail.Notice = vt.Notice{Kind: "warn", Text: web.InPlace(v.ctx, down, "gw.unavailable")}
		}
	}
	if r.ID == "" {
		r.ID = id
	}
	return v.liveOf(&r, d, int(h.poll/time.Second)), r, status, nil
}

// liveOf is the page's live part at the viewer's clock.
func (v viewer) liveOf(r *gwRow, d detailData, pollSec int) vt.LiveGateway {
	key := r.Status.key(v.now)
	l := vt.LiveGateway{
		Live: vt.Live{URL: gatewayHref(r.ID) + "/live", PollSec: pollSec,
			Updated: vt.Ago{Text: text.T(v.ctx, "gw.justnow"), Title: v.absolute(v.now), Ms: strconv.FormatInt(v.now.UnixMilli(), 10)}},
		ID: r.ID, Status: badgeOf(v.ctx, key, r.Status.Interval), Model: r.Model,
		Interval: text.T(v.ctx, "gw.novalue"), Last: v.ago(r.Status.Time),
		Tags: tagLinks(r), History: v.history(r, d.reports), Detail: d.detail,
		Devices: strconv.Itoa(r.Devices), Sensors: strconv.Itoa(r.Sensors),
	}
	if r.Status.Interval > 0 {
		l.Interval = everyText(v.ctx, r.Status.Interval)
	}
	if key == stStale && r.Status.Interval > 0 {
		l.StatusNote = fmt.Sprintf(text.T(v.ctx, "gw.page.stale"), everyText(v.ctx, r.Status.Interval))
	}
	return l
}
