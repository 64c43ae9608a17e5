package rules

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/thingplus/thingplus-webapp/apperr"
	"github.com/thingplus/thingplus-webapp/handlers/web"
	"github.com/thingplus/thingplus-webapp/rulehistory"
	"github.com/thingplus/thingplus-webapp/thingplus"
	"github.com/thingplus/thingplus-webapp/views/layout"
	views "github.com/thingplus/thingplus-webapp/views/rules"
	"github.com/thingplus/thingplus-webapp/views/text"
)

// Element ids that htmx targets; a request aimed at one gets that part only.
const (
	targetTables = "rules-tables"
	targetForm   = "rule-form"
	targetEvents = "events-panel"
)

// pickerTTL is how long a user's sensor list is reused (names in summaries,
// pickers); a failed reload falls back to the older list.
const pickerTTL = time.Minute

// picker returns the user's gateways and sensors, cached briefly. down
// is why the list could not be loaded (nil choices then).
func (h *Handler) picker(c *gin.Context) (choices []GatewayChoice, down error) {
	if h.sensors == nil {
		return nil, nil
	}
	key := "picker:" + userKey(c)
	snap, ok := h.lastGood.get(key)
	if ok && h.now().Sub(snap.at) < pickerTTL {
		return snap.data.([]GatewayChoice), nil
	}
	list, err := h.sensors.SensorChoices(c.Request.Context(), web.TokenOf(c))
	if err != nil {
		if ok {
			return snap.data.([]GatewayChoice), nil
		}
		return nil, err
	}
	if list == nil {
		list = []GatewayChoice{}
	}
	h.lastGood.put(key, h.now(), list)
	return list, nil
}

func (h *Handler) env(c *gin.Context) formEnv {
	choices, err := h.picker(c)
	down := ""
	if err != nil {
		down = web.InPlace(c, err, "rules.picker.down") // Thing+ busy says for how long
	}
	push := h.push
	if h.userPush != nil && push.build != nil {
		ctx, user := c.Request.Context(), userKey(c)
		push.build = func(sensor, dir string) string { return h.userPush(ctx, user, sensor, dir) }
	}
	return formEnv{push: push, zones: h.zones, now: h.now(), picker: choices, down: down}
}

// userKey identifies the signed-in user for the per-user caches.
func userKey(c *gin.Context) string {
	if u, ok := web.UserOf(c); ok && u.ID != "" {
		return u.ID
	}
	sum := sha256.Sum256([]byte(web.TokenOf(c))) // no user id: key by the token, never kept as is
	return "token:" + hex.EncodeToString(sum[:8])
}

// userLoc is the signed-in user's Thing+ time zone ("+9.00"), Asia/Seoul if unknown.
func userLoc(c *gin.Context) *time.Location {
	u, _ := web.UserOf(c)
	return u.Location()
}

func formatTime(ms thingplus.Millis, loc *time.Location) (string, string) {
	t := ms.Time()
	if t.IsZero() {
		return "", ""
	}
	return t.In(loc).Format(web.ListTimeLayout), t.In(loc).Format(time.RFC3339)
}

// parseFilter reads the list filters, sort and page from a query, dropping
// unknown values.
func parseFilter(q url.Values) views.Filter {
	f := views.Filter{Q: strings.TrimSpace(clipN(q.Get("q"), 100)), Sort: views.SortName}
	if s := thingplus.RuleStatus(q.Get("status")); s.Valid() {
		f.Status = string(s)
	}
	if s := thingplus.Severity(q.Get("severity")); s.Valid() {
		f.Severity = string(s)
	}
	f.Gateway = clipN(q.Get("gateway"), 200)
	switch s := q.Get("sort"); s {
	case views.SortModified, views.SortSeverity:
		f.Sort = s
	}
	if n, err := strconv.Atoi(q.Get("page")); err == nil && n > 1 {
		f.Page = min(n, 100000)
	}
	return f
}

// currentFilter is the filter of the page an htmx request came from (a row
// action answers the tables as the user sees them); none without htmx.
func currentFilter(c *gin.Context) views.Filter {
	u, err := url.Parse(c.GetHeader("HX-Current-URL"))
	if err != nil || u.Path != "/rules" {
		return parseFilter(nil)
	}
	return parseFilter(u.Query())
}

// filterURL is the address of the list with f (defaults left out).
func filterURL(f views.Filter) string {
	v := url.Values{}
	if f.Q != "" {
		v.Set("q", f.Q)
	}
	if f.Status != "" {
		v.Set("status", f.Status)
	}
	if f.Severity != "" {
		v.Set("severity", f.Severity)
	}
	if f.Gateway != "" {
		v.Set("gateway", f.Gateway)
	}
	if f.Sort != "" && f.Sort != views.SortName {
		v.Set("sort", f.Sort)
	}
	if f.Page > 1 {
		v.Set("page", strconv.Itoa(f.Page))
	}
	if len(v) == 0 {
		return "/rules"
	}
	return "/rules?" + v.Encode()
}

// row is the view model of one rule.
func (h *Handler) row(ctx context.Context, r thingplus.Rule, n names, loc *time.Location) views.Row {
	mod, iso := formatTime(r.Mtime, loc)
	return views.Row{
		ID: r.ID, Name: r.Name, Desc: r.Desc, Summary: Summary(ctx, r, n), Severity: string(r.Severity),
		Active: r.Status == thingplus.RuleActivated, Template: r.IsTemplate(), Modified: mod, ModifiedISO: iso,
	}
}

func matches(r thingplus.Rule, row views.Row, gw string, f views.Filter) bool {
	if f.Status != "" && string(r.Status) != f.Status {
		return false
	}
	if f.Severity != "" && string(r.Severity) != f.Severity {
		return false
	}
	if f.Gateway != "" && gw != f.Gateway {
		return false
	}
	if f.Q != "" {
		q := strings.ToLower(f.Q)
		hay := strings.ToLower(r.Name + "\n" + r.Desc + "\n" + row.Summary + "\n" + r.ID)
		return strings.Contains(hay, q)
	}
	return true
}

type listSnapshot struct {
	rules []thingplus.Rule
}

// list serves GET /rules: the page, or just the tables for the filter form,
// the sort, the pager and the polling. A waiting flash (set by the redirect
// after a change without JavaScript) is shown once.
func (h *Handler) list(c *gin.Context) {
	var notice layout.Notice
	if key := web.TakeFlash(c, isRulesFlash); key != "" {
		notice = layout.Notice{Kind: "ok", Text: text.T(c, key)}
	}
	tablesOnly := web.IsFragment(c) && c.GetHeader(web.HeaderTarget) == targetTables
	filter := parseFilter(c.Request.URL.Query())
	if canon := filterURL(filter); tablesOnly && c.Request.URL.RequestURI() != canon {
		// the filter form sends every field, empty ones too: the address
		// bar gets the short form of the same list
		c.Header("HX-Push-Url", canon)
	}
	h.renderList(c, filter, notice, tablesOnly)
}

func isRulesFlash(key string) bool { return strings.HasPrefix(key, "rules.done.") && text.Has(key) }

// flashTo redirects back to the list (to) with a one-shot message (never
// ?done= in the address: a reload must not repeat it).
func flashTo(c *gin.Context, done, to string) {
	web.SetFlash(c, "rules.done."+done)
	web.Redirect(c, to)
}

// renderList answers the list with filter: the tables alone (tablesOnly) or
// the page.
func (h *Handler) renderList(c *gin.Context, filter views.Filter, notice layout.Notice, tablesOnly bool) {
	// The sensor names (for the summaries) and the rules are fetched at
	// once: a slow Thing+ costs the request budget once, not twice.
	envc := make(chan formEnv, 1)
	go func() { envc <- h.env(c) }()
	key := "rules:" + userKey(c)
	status := http.StatusOK
	vm := views.List{Filter: filter, Notice: notice}
	rules, err := h.rules.ListRules(c.Request.Context(), web.TokenOf(c))
	env := <-envc
	if err != nil {
		if !thingplus.IsKind(err, thingplus.KindUnavailable) {
			web.Fail(c, err)
			return
		}
		status = http.StatusServiceUnavailable
		vm.Stale = &views.Stale{Reason: web.Reason(c, err)}
		if snap, ok := h.lastGood.get(key); ok {
			rules = snap.data.(listSnapshot).rules
			vm.Stale.AsOfMs = snap.at.UnixMilli()
			vm.Stale.AsOf = snap.at.In(userLoc(c)).Format("15:04:05")
		}
		vm.RefreshURL = filterURL(filter)
	} else {
		h.lastGood.put(key, h.now(), listSnapshot{rules: rules})
	}
	loc := userLoc(c)
	memo := memoKey{rules: first(rules), nRules: len(rules), names: first(env.picker), loc: loc.String(), filter: filter}
	memoable := tablesOnly && err == nil && notice.Text == "" && len(rules) > 0
	if memoable {
		if html, ok := h.tables.get(userKey(c), memo); ok {
			c.Header("Vary", web.HeaderRequest)
			c.Data(http.StatusOK, "text/html; charset=utf-8", html)
			return
		}
	}
	if !tablesOnly {
		vm.Tools = h.tools(c, rules)
	}
	h.fillList(&vm, rules, env, loc)
	if memoable {
		var buf bytes.Buffer
		if err := views.Tables(vm).Render(context.WithoutCancel(c.Request.Context()), &buf); err == nil {
			h.tables.put(userKey(c), memo, buf.Bytes())
			c.Header("Vary", web.HeaderRequest)
			c.Data(http.StatusOK, "text/html; charset=utf-8", buf.Bytes())
			return
		}
	}
	if tablesOnly {
		c.Header("Vary", web.HeaderRequest)
		web.Component(c, status, views.Tables(vm))
		return
	}
	web.Render(c, status, web.Page{Title: text.T(c, "rules.title"), Active: "rules"}, views.ListPage(vm))
}

// fillList counts, filters, sorts and pages rules into vm.
func (h *Handler) fillList(vm *views.List, rules []thingplus.Rule, env formEnv, loc *time.Location) {
	vm.Zone = web.ZoneLabel(loc, env.now)
	n := env.names()
	gwOf, gwName := env.gatewayIndex()
	perGateway := map[string]int{}
	var matched []ruleRow
	for _, r := range rules {
		row := h.row(env.ctx, r, n, loc)
		gw := ""
		if trig := r.TriggerSensors(); len(trig) > 0 {
			gw = gwOf[trig[0]]
		}
		if r.IsTemplate() {
			vm.TotalTemplates++
		} else {
			vm.TotalRules++
			if gw != "" {
				perGateway[gw]++
			}
		}
		if !matches(r, row, gw, vm.Filter) {
			continue
		}
		if r.IsTemplate() {
			vm.Templates = append(vm.Templates, row)
		} else {
			matched = append(matched, ruleRow{rule: r, row: row})
		}
	}
	sortRules(matched, vm.Filter.Sort)
	vm.Gateways = gatewayOptions(env.picker, perGateway, gwName, vm.Filter.Gateway)
	vm.Pager = pageOf(len(matched), vm.Filter)
	for _, m := range matched[max(vm.Pager.From-1, 0):vm.Pager.To] {
		vm.Rules = append(vm.Rules, m.row)
	}
	slices.SortStableFunc(vm.Templates, func(a, b views.Row) int { return compareNames(a.Name, b.Name) })
}

// toggle serves POST /rules/:id/status: it reads the rule, sets the status
// and PUTs the full rule back, then answers the row (htmx swaps it in place).
func (h *Handler) toggle(c *gin.Context) {
	ctx, token, id := c.Request.Context(), web.TokenOf(c), c.Param("id")
	want := thingplus.RuleStatus(c.PostForm("status"))
	if !want.Valid() {
		h.rowFail(c, web.Invalid("status", text.T(c, "rules.err.status")))
		return
	}
	r, err := h.rules.GetRule(ctx, token, id)
	if err != nil {
		h.rowFail(c, err)
		return
	}
	if err := h.snapshot(c, rulehistory.Toggle, r, ""); err != nil {
		h.rowFail(c, err)
		return
	}
	r.Status = want
	out, err := h.rules.UpdateRule(ctx, token, r)
	if err != nil {
		h.rowFail(c, err)
		return
	}
	if out.Name == "" { // a reply without the rule: show what was sent
		out = r
	}
	if !web.IsFragment(c) {
		flashTo(c, string(want), "/rules")
		return
	}
	web.Component(c, http.StatusOK, views.RuleRow(h.row(c, out, h.env(c).names(), userLoc(c))))
}

// confirmDelete serves GET /rules/:id/delete: the confirmation page for
// browsers without JavaScript (htmx asks with hx-confirm instead).
func (h *Handler) confirmDelete(c *gin.Context) {
	r, err := h.rules.GetRule(c.Request.Context(), web.TokenOf(c), c.Param("id"))
	if err != nil {
		web.Fail(c, err)
		return
	}
	row := h.row(c, r, h.env(c).names(), userLoc(c))
	web.Render(c, http.StatusOK, web.Page{Title: text.T(c, "rules.delete.title"), Active: "rules"}, views.DeletePage(row))
}

// delete serves POST /rules/:id/delete. A rule already gone counts as deleted.
func (h *Handler) delete(c *gin.Context) {
	id := c.Param("id")
	if err := h.before(c, rulehistory.Delete, id); err != nil {
		h.rowFail(c, err)
		return
	}
	err := h.rules.DeleteRule(c.Request.Context(), web.TokenOf(c), id)
	if err != nil && !thingplus.IsKind(err, thingplus.KindNotFound) {
		h.rowFail(c, err)
		return
	}
	if !web.IsFragment(c) {
		flashTo(c, "deleted", "/rules")
		return
	}
	// The tables come back whole, as the user was looking at them: the
	// counter, the pager and the gateway counts all follow the delete.
	notice := layout.Notice{Kind: "ok", Text: text.T(c, "rules.done.deleted")}
	if name := clip(c.PostForm("name")); name != "" {
		notice.Text = tfText(c, "rules.deleted", name)
	}
	c.Header("HX-Retarget", "#"+targetTables)
	c.Header("HX-Reswap", "outerHTML")
	h.renderList(c, currentFilter(c), notice, true)
}

// rowFail reports a failed row action as a toast and leaves the row as it
// was (the request targeted the row; the toast is retargeted).
func (h *Handler) rowFail(c *gin.Context, err error) {
	status := web.StatusOf(err)
	if status == http.StatusUnauthorized || !web.IsFragment(c) {
		web.Fail(c, err)
		return
	}
	c.Header("HX-Retarget", "#toasts")
	c.Header("HX-Reswap", "beforeend")
	msg := upstreamMessage(c, err)
	if m := apperr.MessageOf(err); m != "" {
		msg = m
	}
	web.Component(c, status, layout.Toast(msg))
}

// upstreamMessage is what the user reads about a failed Thing+ call: Thing+'s
// own message and code for rejections, the standard text otherwise.
func upstreamMessage(ctx context.Context, err error) string {
	var te *thingplus.Error
	if errors.As(err, &te) && (te.Kind == thingplus.KindInvalid || te.Kind == thingplus.KindConflict) {
		msg := te.Message
		if msg == "" {
			msg = http.StatusText(te.Status)
		}
		if te.Code != "" {
			return fmt.Sprintf(text.T(ctx, "rules.err.upstream"), msg, te.Code)
		}
		return msg
	}
	return web.MessageOf(ctx, err)
}
