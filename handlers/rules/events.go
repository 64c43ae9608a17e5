package rules

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/thingplus/thingplus-webapp/handlers/web"
	"github.com/thingplus/thingplus-webapp/thingplus"
	views "github.com/thingplus/thingplus-webapp/views/rules"
	"github.com/thingplus/thingplus-webapp/views/text"
)

// eventsPerPage is how many firings one page of /events shows.
const eventsPerPage = 50

var digits = regexp.MustCompile(`^[0-9]{1,19}$`)

func eventsURL(severity, maxID string) string {
	v := url.Values{}
	if severity != "" {
		v.Set("severity", severity)
	}
	if maxID != "" {
		v.Set("maxId", maxID)
	}
	if len(v) == 0 {
		return "/events"
	}
	return "/events?" + v.Encode()
}

type eventsSnapshot struct {
	page thingplus.TimelinePage
}

// events serves GET /events: the timeline of rule firings, newest first,
// refreshed in place every 15 s while the newest page is shown.
func (h *Handler) events(c *gin.Context) {
	sev := ""
	if s := thingplus.Severity(c.Query("severity")); s.Valid() {
		sev = string(s)
	}
	maxID := c.Query("maxId")
	if !digits.MatchString(maxID) {
		maxID = ""
	}
	// one more than a page: whether anything is older is known without
	// linking to an empty page
	q := thingplus.TimelineQuery{MaxID: maxID, Count: eventsPerPage + 1}
	if sev != "" {
		q.Severity = []thingplus.Severity{thingplus.Severity(sev)}
	}
	vm := views.Events{
		Severity: sev, Newest: maxID == "", NewestURL: eventsURL(sev, ""), PanelURL: eventsURL(sev, maxID),
		UpdatedMs: h.now().UnixMilli(), Zone: web.ZoneLabel(userLoc(c), h.now()),
	}
	status := http.StatusOK
	key := "events:" + userKey(c) + ":" + sev + ":" + maxID
	page, err := h.timelines.Timelines(c.Request.Context(), web.TokenOf(c), q)
	if err != nil {
		if !thingplus.IsKind(err, thingplus.KindUnavailable) {
			web.Fail(c, err)
			return
		}
		status = http.StatusServiceUnavailable
		vm.Stale = &views.Stale{Reason: web.Reason(c, err)}
		vm.UpdatedMs = 0
		if snap, ok := h.lastGood.get(key); ok {
			page = snap.data.(eventsSnapshot).page
			vm.Stale.AsOfMs = snap.at.UnixMilli()
			vm.Stale.AsOf = snap.at.In(userLoc(c)).Format("15:04:05")
			vm.UpdatedMs = vm.Stale.AsOfMs
		}
	} else {
		h.lastGood.put(key, h.now(), eventsSnapshot{page: page})
	}
	n, loc := h.env(c).names(), userLoc(c)
	entries := page.Entries
	if len(entries) > eventsPerPage {
		entries = entries[:eventsPerPage]
		last := entries[len(entries)-1].ID
		if id, err := strconv.ParseUint(last, 10, 64); err == nil && id > 0 {
			vm.OlderURL = eventsURL(sev, strconv.FormatUint(id-1, 10))
		}
	}
	for _, e := range entries {
		vm.Entries = append(vm.Entries, h.event(c, e, n, loc))
	}
	if web.IsFragment(c) && c.GetHeader(web.HeaderTarget) == targetEvents {
		web.Component(c, status, views.EventsPanel(vm))
		return
	}
	web.Render(c, status, web.Page{Title: text.T(c, "events.title"), Active: "events"}, views.EventsBody(vm))
}

var tags = regexp.MustCompile(`<[^>]*>`)

func (h *Handler) event(ctx context.Context, e thingplus.TimelineEntry, n names, loc *time.Location) views.Event {
	// a log: to the second, in the user's zone (named in the header)
	t, iso := "", ""
	if at := e.Time.Time(); !at.IsZero() {
		t, iso = at.In(loc).Format(web.LogTimeLayout), at.In(loc).Format(time.RFC3339)
	}
	v := views.Event{
		ID: e.ID, Time: t, TimeISO: iso, Severity: string(e.Severity), RuleID: e.Rule.ID, RuleName: e.Rule.Name,
		Sensor: n.of(e.Sensor()), Value: string(e.Value), Success: bool(e.Success), RuleMissing: e.Rule.ID == "",
	}
	if v.RuleName == "" {
		v.RuleName = e.Rule.ID
	}
	if v.Value == "" {
		// Thing+ puts the value in its HTML message; show that as text.
		v.Value = clipN(strings.Join(strings.Fields(html.UnescapeString(tags.ReplaceAllString(e.Message, " "))), " "), 160)
	}
	if k := "rules.agent." + e.Rule.What; text.Has(k) {
		v.Action = text.T(ctx, k)
	} else {
		v.Action = e.Rule.What
	}
	return v
}
