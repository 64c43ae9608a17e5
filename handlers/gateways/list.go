package gateways

import (
	"cmp"
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"
	"golang.org/x/sync/errgroup"

	"github.com/thingplus/thingplus-webapp/handlers/web"
	"github.com/thingplus/thingplus-webapp/thingplus"
	vt "github.com/thingplus/thingplus-webapp/views/gateways"
	"github.com/thingplus/thingplus-webapp/views/text"
)

// listData is a user's gateways as last fetched, and the account's tags
// (empty: no tag filter). paged: rows are one page Thing+ made (total is
// its _meta.total, 0 when it gave none; more: the page came back full);
// otherwise rows are every gateway.
type listData struct {
	rows  []gwRow
	tags  []tagOpt
	paged bool
	total int
	more  bool
}

// detailData is a gateway's expanded detail as last fetched: the view, the
// newest time any of its sensors reported (see gwRow.freshen) and the
// latest status report of each sensor (the status history).
type detailData struct {
	detail  vt.Detail
	newest  thingplus.Millis
	reports []statusReport
}

// gatewaysQuery is the list call: every gateway with its status leaf, and
// only the fields the table shows (a third of the bytes to send and decode).
var gatewaysQuery = thingplus.Query{Embed: []string{"status"},
	Fields: []string{"name", "model", "reportInterval", "status", "devices", "sensors"}}

// sensorsQuery embeds the status and latest value of each sensor.
var sensorsQuery = thingplus.Query{Embed: []string{"status", "series"}}

// loadRows fetches the state's gateways, the model names and the tags
// concurrently: one page from Thing+ when it can make it (serverPaged),
// else every gateway. A failing model catalogue only costs the names,
// failing tags only the tag filter. s.Page may be clamped to the last page.
func (h *Handler) loadRows(ctx context.Context, token string, s *listState) (listData, error) {
	var gws []thingplus.Gateway
	var models []thingplus.GatewayModel
	var tags []thingplus.Tag
	var d listData
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		if s.serverPaged() {
			want := s.Page
			p, paged, err := h.fetchPage(gctx, token, s)
			if err != nil || paged {
				gws, d.paged, d.total = p.gws, paged, p.total
				d.more = len(p.gws) == pageSize
				if paged && p.total == 0 && len(p.gws) < pageSize && len(p.gws) > 0 {
					d.total = (s.Page-1)*pageSize + len(p.gws) // the last page: now known
				}
				s.pageOK = s.pageOK && s.Page == want
				return err
			}
			slog.WarnContext(gctx, "gateways: Thing+ does not page (count/page ignored); listing all")
		}
		q := gatewaysQuery
		if s.serverPaged() {
			q.OrderBy, q.OrderDir = s.Sort, s.Dir // Thing+'s order, as its pages would be
		}
		var err error
		gws, err = h.src.AllGateways(gctx, token, q)
		return err
	})
	optional(g, gctx, "gateway models", h.src.GatewayModels, &models)
	h.optionalTags(g, gctx, token, &tags)
	if err := g.Wait(); err != nil {
		return listData{}, err
	}
	d.rows = rowsOf(ctx, gws, modelNames(models))
	tagRows(d.rows, gws, tags)
	d.tags = tagOpts(tags)
	return d, nil
}

// loadDetail fetches a gateway's devices, sensors (with status and latest
// value) and the sensor types, concurrently.
func (h *Handler) loadDetail(ctx context.Context, token, gwID string, v viewer) (detailData, error) {
	var devs []thingplus.Device
	var sensors []thingplus.Sensor
	var types []thingplus.SensorType
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		var err error
		devs, err = h.src.Devices(gctx, token, gwID, thingplus.Query{})
		return err
	})
	g.Go(func() error {
		var err error
		sensors, err = h.src.Sensors(gctx, token, gwID, sensorsQuery)
		return err
	})
	optional(g, gctx, "sensor types", h.src.SensorTypes, &types)
	if err := g.Wait(); err != nil {
		return detailData{}, err
	}
	return detailData{detail: v.detailOf(gwID, devs, sensors, typeIndex(types)),
		newest: newestReport(sensors), reports: sensorReports(gwID, sensors)}, nil
}

// detailOrLast loads a detail and keeps it as the user's last good one; on
// an outage it returns the last good detail marked "as of …" (or an empty
// one saying so) and the outage as down.
func (h *Handler) detailOrLast(ctx context.Context, c *gin.Context, gwID string, v viewer) (d detailData, down, err error) {
	key := userKey(c) + "|detail|" + gwID
	d, err = h.loadDetail(ctx, web.TokenOf(c), gwID, v)
	if err == nil {
		h.last.put(key, d, v.now)
		return d, nil, nil
	}
	if !isUnavailable(err) {
		return d, nil, err
	}
	return h.lastDetail(c, gwID, v, err), err, nil
}

// lastDetail is the user's last good detail of a gateway marked "as of …",
// or an empty one saying Thing+ is unavailable (or busy: down says which).
func (h *Handler) lastDetail(c *gin.Context, gwID string, v viewer, down error) detailData {
	if last, at, ok := lastOf[detailData](h.last, userKey(c)+"|detail|"+gwID); ok {
		last.detail.Notice = vt.Notice{Kind: "warn", Text: web.InPlaceAsOf(c, down, "gw.asof", v.absolute(at))}
		return last
	}
	return detailData{detail: vt.Detail{Notice: vt.Notice{Kind: "warn", Text: web.InPlace(c, down, "gw.unavailable")}}}
}

// list serves /gateways: the page, or (htmx) the table fragment alone.
// One page of gateways at a time (paging.go); a page number that is not
// one, or past the end, is answered with the nearest page and its
// canonical address (a redirect for a full page, HX-Replace-Url for htmx).
func (h *Handler) list(c *gin.Context) {
	ctx := c.Request.Context()
	v := h.viewerOf(c)
	st := parseListState(c.Request.URL.Query(), h.maxOpen)

	status := http.StatusOK
	at := v.now
	var notice vt.Notice
	data, err := h.loadRows(ctx, web.TokenOf(c), &st)
	key := userKey(c) + "|list|" + st.dataKey()
	switch {
	case err == nil:
		h.last.put(key, data, v.now)
		h.last.put(userKey(c)+"|list", data, v.now) // rowOrLast's fallback
	case isUnavailable(err):
		status = http.StatusServiceUnavailable
		slog.WarnContext(ctx, "gateways: Thing+ unavailable", "err", err)
		if last, lastAt, ok := lastOf[listData](h.last, key); ok {
			data, at = last, lastAt
			notice = vt.Notice{Kind: "warn", Text: web.InPlaceAsOf(c, err, "gw.asof", v.absolute(lastAt))}
		} else {
			notice = vt.Notice{Kind: "warn", Text: web.InPlace(c, err, "gw.unavailable")}
		}
	default:
		web.Fail(c, err)
		return
	}

	rows := data.rows
	table := h.tableOf(data, &st, v, at)
	table.Notice = notice
	// Open rows belong to the page they are on: a sort or a change can move
	// one to another page, and its id must not stay in this page's address.
	// (Not while Thing+ is away: rows may be missing then, not moved.)
	pruned := status == http.StatusOK && st.keepOpen(table.Rows)
	if !st.pageOK && status == http.StatusOK && !web.IsFragment(c) {
		c.Redirect(http.StatusSeeOther, st.canonical())
		return
	}
	if status == http.StatusOK && len(st.Open) > 0 {
		if err := h.openRows(c, &table, rows, st.Open, v); err != nil {
			web.Fail(c, err)
			return
		}
	} else if len(st.Open) > 0 {
		// Thing+ is down: open rows show their last good detail at once.
		for i := range table.Rows {
			if slices.Contains(st.Open, table.Rows[i].ID) {
				table.Rows[i] = openRow(table.Rows[i], h.lastDetail(c, table.Rows[i].ID, v, err).detail)
			}
		}
	}
	if web.IsFragment(c) {
		c.Header("Vary", web.HeaderRequest)
		switch trigger := c.GetHeader("HX-Trigger"); {
		case trigger == "gw-filter" || (trigger == "" && pruned):
			// The form pushes its raw query (status=&sort=name…), a sort
			// link its open rows of the old order: push the canonical URL
			// of the state shown instead.
			c.Header("HX-Push-Url", st.canonical())
		case !st.pageOK || pruned:
			// The poll and the refresher push nothing: correct the address.
			c.Header("HX-Replace-Url", st.canonical())
		}
		web.Component(c, status, vt.GatewaysTable(table))
		return
	}
	page := vt.Page{
		Filter: vt.Filter{Q: st.Q, Status: st.Status, Sort: st.Sort, Dir: st.Dir, Options: statusOptions(c, st.Status),
			Tags: tagOptions(c, data.tags, st.Tag)},
		Table: table,
	}
	web.Render(c, status, web.Page{Title: text.T(c, "gw.title"), Active: "gateways"}, vt.GatewaysPage(page))
}

// openRows loads the details of the open rows that are shown, concurrently.
// A row whose detail is unavailable shows its last good detail. An open
// row's last report takes its sensors' newest value into account.
func (h *Handler) openRows(c *gin.Context, t *vt.Table, rows []gwRow, open []string, v viewer) error {
	g, ctx := errgroup.WithContext(c.Request.Context())
	g.SetLimit(4)
	for i := range t.Rows {
		if !slices.Contains(open, t.Rows[i].ID) {
			continue
		}
		g.Go(func() error {
			d, _, err := h.detailOrLast(ctx, c, t.Rows[i].ID, v)
			if err != nil {
				if thingplus.IsKind(err, thingplus.KindNotFound) || thingplus.IsKind(err, thingplus.KindForbidden) {
					return nil // gone since the page was loaded: show it closed
				}
				return err
			}
			if j := slices.IndexFunc(rows, func(r gwRow) bool { return r.ID == t.Rows[i].ID }); j >= 0 {
				r := rows[j]
				r.freshen(d.newest)
				t.Rows[i] = v.rowView(&r, r.Status.key(v.now))
			}
			t.Rows[i] = openRow(t.Rows[i], d.detail)
			return nil
		})
	}
	return g.Wait()
}

// loadGatewayRow fetches one gateway (with status), the model names and
// the tags.
func (h *Handler) loadGatewayRow(ctx context.Context, token, id string) (gwRow, error) {
	var gw thingplus.Gateway
	var models []thingplus.GatewayModel
	var tags []thingplus.Tag
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		var err error
		gw, err = h.src.Gateway(gctx, token, id, gatewaysQuery)
		return err
	})
	optional(g, gctx, "gateway models", h.src.GatewayModels, &models)
	h.optionalTags(g, gctx, token, &tags)
	if err := g.Wait(); err != nil {
		return gwRow{}, err
	}
	gws := []thingplus.Gateway{gw}
	rows := rowsOf(ctx, gws, modelNames(models))
	tagRows(rows, gws, tags)
	return rows[0], nil
}

// rowOrLast is loadGatewayRow with the outage fallback: the row kept from
// this gateway's page or from the user's last list, and the outage as down.
func (h *Handler) rowOrLast(ctx context.Context, c *gin.Context, id string) (r gwRow, down, err error) {
	key := userKey(c) + "|row|" + id
	r, err = h.loadGatewayRow(ctx, web.TokenOf(c), id)
	if err == nil {
		h.last.put(key, r, h.now())
		return r, nil, nil
	}
	if !isUnavailable(err) {
		return r, nil, err
	}
	if last, _, ok := lastOf[gwRow](h.last, key); ok {
		return last, err, nil
	}
	if list, _, ok := lastOf[listData](h.last, userKey(c)+"|list"); ok {
		for _, x := range list.rows {
			if x.ID == id {
				return x, err, nil
			}
		}
	}
	return r, err, err
}

// gateway serves /gateways/{id}: for htmx the row opened in place (the
// list's toggle), else the gateway's own page (detail.go).
func (h *Handler) gateway(c *gin.Context) {
	if !web.IsFragment(c) {
		h.detailPage(c)
		return
	}
	id := c.Param("gw")
	v := h.viewerOf(c)
	r, d, down, err := h.rowAndDetail(c, id, v)
	if err != nil {
		web.Fail(c, err)
		return
	}
	status := http.StatusOK
	if down != nil {
		status = http.StatusServiceUnavailable
		if d.detail.Notice.Text == "" {
			d.detail.Notice = vt.Notice{Kind: "warn", Text: web.InPlace(c, down, "gw.unavailable")}
		}
	}
	row := openRow(v.rowView(&r, r.Status.key(v.now)), d.detail)
	c.Header("Vary", web.HeaderRequest)
	web.Component(c, status, vt.GatewayRow(row))
}

// rowAndDetail loads a gateway's row and its detail concurrently, the row
// freshened by its sensors; down is the outage when either is the last good
// copy.
func (h *Handler) rowAndDetail(c *gin.Context, id string, v viewer) (r gwRow, d detailData, down, err error) {
	var rowDown, detDown error
	g, ctx := errgroup.WithContext(c.Request.Context())
	g.Go(func() error {
		var err error
		r, rowDown, err = h.rowOrLast(ctx, c, id)
		return err
	})
	g.Go(func() error {
		var err error
		d, detDown, err = h.detailOrLast(ctx, c, id, v)
		return err
	})
	if err = g.Wait(); err != nil {
		return r, d, nil, err
	}
	r.freshen(d.newest)
	return r, d, cmp.Or(detDown, rowDown), nil
}

// row serves /gateways/{id}/row: the row closed (the collapse toggle).
func (h *Handler) row(c *gin.Context) {
	v := h.viewerOf(c)
	r, down, err := h.rowOrLast(c.Request.Context(), c, c.Param("gw"))
	if err != nil {
		web.Fail(c, err)
		return
	}
	status := http.StatusOK
	if down != nil {
		status = http.StatusServiceUnavailable
	}
	c.Header("Vary", web.HeaderRequest)
	web.Component(c, status, vt.GatewayRow(v.rowView(&r, r.Status.key(v.now))))
}

// optional fetches a catalogue (gateway models, sensor types) beside a
// page's main call. Without it the page still works, only with ids instead of
// names and no units, so its failure is logged and never fails the group.
func optional[T any](g *errgroup.Group, ctx context.Context, what string, fetch func(context.Context) (T, error), out *T) {
	g.Go(func() error {
		v, err := fetch(ctx)
		if err != nil {
			if ctx.Err() == nil {
				slog.WarnContext(ctx, what+" unavailable", "err", err)
			}
			return nil
		}
		*out = v
		return nil
	})
}

// portalLink is the Thing+ Portal address of gateway id ("" without a
// configured portal): "{id}" in the template becomes the escaped id.
func portalLink(template, id string) string {
	if template == "" {
		return ""
	}
	return strings.ReplaceAll(template, "{id}", url.PathEscape(id))
}
