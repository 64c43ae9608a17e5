package gateways

import (
	"cmp"
	"context"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/thingplus/thingplus-webapp/thingplus"
	vt "github.com/thingplus/thingplus-webapp/views/gateways"
	"github.com/thingplus/thingplus-webapp/views/text"
)

// Status keys, as the filter and the badges know them.
const (
	stOn    = "on"
	stOff   = "off"
	stError = "error"
	stStale = "stale"
)

var statusKeys = []string{stOn, stOff, stError, stStale}

// staleGrace is added to 1.5 report intervals before a report counts as late.
const staleGrace = 10 * time.Second

// gwRow is a gateway reduced to what the table shows. A user's rows are also
// their "last good" data, re-rendered against the clock during an outage.
type gwRow struct {
	ID, Name, Model  string
	lname, lid       string // lower case, for search and sort
	Status           statusIn
	Devices, Sensors int
	Tags             []tagOpt  // the account's tags on any of its sensors, by name
	own              *statusIn // the status leaf as reported, when freshen moved Status
}

// statusIn is a status leaf and the report interval it is judged by.
type statusIn struct {
	Value    string
	Time     thingplus.Millis
	ExpireAt thingplus.Millis
	Loaded   bool
	Interval time.Duration
}

func statusOf(st *thingplus.Status, interval time.Duration) statusIn {
	if !st.Loaded() {
		return statusIn{Interval: interval}
	}
	return statusIn{Value: strings.ToLower(string(st.Value)), Time: st.Time, ExpireAt: st.ExpireAt, Loaded: true, Interval: interval}
}

// key is the status shown at now. A report later than the report interval
// allows (1.5 intervals plus a grace), or past its expireAt, is stale: the
// gateway stopped reporting (Thing+ then reads the expired status as "off",
// which would hide that). Otherwise error and off are as reported, and on
// is on. No status at all is off.
func (s statusIn) key(now time.Time) string {
	if !s.Loaded {
		return stOff
	}
	if s.Value == "err" || s.Value == "error" {
		return stError
	}
	late := s.ExpireAt > 0 && now.UnixMilli() > int64(s.ExpireAt)
	if s.Interval > 0 && s.Time > 0 && now.Sub(s.Time.Time()) > s.Interval*3/2+staleGrace {
		late = true
	}
	switch {
	case late:
		return stStale
	case s.Value == "on":
		return stOn
	}
	return stOff
}

func statusRank(key string) int {
	switch key {
	case stError:
		return 0
	case stStale:
		return 1
	case stOff:
		return 2
	}
	return 3
}

// badgeOf is the status badge. A late report names the interval it is late
// against ("no recent report (every 1 min)") so the reader knows what "recent" means.
func badgeOf(ctx context.Context, key string, interval time.Duration) vt.Badge {
	switch key {
	case stOn:
		return vt.Badge{Kind: "ok", Text: text.T(ctx, "gw.status.on")}
	case stError:
		return vt.Badge{Kind: "bad", Text: text.T(ctx, "gw.status.error")}
	case stStale:
		if interval > 0 {
			return vt.Badge{Kind: "warn", Text: text.T(ctx, "gw.status.late", everyText(ctx, interval))}
		}
		return vt.Badge{Kind: "warn", Text: text.T(ctx, "gw.status.stale")}
	}
	return vt.Badge{Kind: "off", Text: text.T(ctx, "gw.status.off")}
}

// modelNames maps gatewayModel ids to display names.
func modelNames(ms []thingplus.GatewayModel) map[string]string {
	m := make(map[string]string, len(ms))
	for _, x := range ms {
		name := x.DisplayName
		if name == "" {
			name = x.Model
		}
		if name != "" {
			m[string(x.ID)] = name
		}
	}
	return m
}

func modelName(ctx context.Context, id string, names map[string]string) string {
	if id == "" {
		return text.T(ctx, "gw.novalue")
	}
	if n, ok := names[id]; ok {
		return n
	}
	return fmt.Sprintf(text.T(ctx, "gw.model.unknown"), id)
}

// rowsOf reduces gateways to table rows.
func rowsOf(ctx context.Context, gws []thingplus.Gateway, models map[string]string) []gwRow {
	rows := make([]gwRow, 0, len(gws))
	for i := range gws {
		g := &gws[i]
		name := clip(g.Name, 200)
		if strings.TrimSpace(name) == "" {
			name = g.ID
		}
		rows = append(rows, gwRow{
			ID: g.ID, Name: name, Model: modelName(ctx, string(g.Model), models),
			lname: strings.ToLower(name), lid: strings.ToLower(g.ID),
			Status:  statusOf(g.Status, g.Interval()),
			Devices: g.Devices.Len(), Sensors: g.Sensors.Len(),
		})
	}
	return rows
}

// clip shortens s to at most n runes (untrusted names can be huge).
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i, count := 0, 0
	for i < len(s) && count < n {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
		count++
	}
	if i >= len(s) {
		return s
	}
	return s[:i] + "…"
}

// listState is the table's state, all of it in the URL.
type listState struct {
	Q      string
	Status string // "" or a status key
	Tag    string // "" or a tag id
	Sort   string // a column key
	Dir    string // asc | desc
	Page   int    // 1-based
	Open   []string
	// pageOK is false when ?page= was not a plain page number, or was
	// clamped to the last page: the answer then names the canonical address.
	pageOK bool
}

var sortKeys = []string{"name", "id", "model", "status", "last", "devices", "sensors"}

func parseListState(q url.Values, maxOpen int) listState {
	s := listState{Q: clip(strings.TrimSpace(q.Get("q")), 100), Sort: "name", Dir: "asc"}
	if v := q.Get("status"); slices.Contains(statusKeys, v) {
		s.Status = v
	}
	if v := strings.TrimSpace(q.Get("tag")); v != "" && len(v) <= 64 {
		s.Tag = v
	}
	if v := q.Get("sort"); slices.Contains(sortKeys, v) {
		s.Sort = v
	}
	if q.Get("dir") == "desc" {
		s.Dir = "desc"
	}
	s.Page, s.pageOK = parsePage(q["page"])
	for _, id := range q["open"] {
		if id != "" && len(id) <= 200 && !slices.Contains(s.Open, id) && len(s.Open) < maxOpen {
			s.Open = append(s.Open, id)
		}
	}
	return s
}

// keepOpen drops the open ids whose rows are not shown; it reports whether
// it dropped any.
func (s *listState) keepOpen(rows []vt.Row) bool {
	kept := s.Open[:0:0]
	for _, id := range s.Open {
		if slices.ContainsFunc(rows, func(r vt.Row) bool { return r.ID == id }) {
			kept = append(kept, id)
		}
	}
	dropped := len(kept) < len(s.Open)
	s.Open = kept
	return dropped
}

// href is the canonical URL of the state with another sort (open rows are
// not part of it: they ride along from the page).
func (s listState) href(sort, dir string) string {
	v := url.Values{}
	if s.Q != "" {
		v.Set("q", s.Q)
	}
	if s.Status != "" {
		v.Set("status", s.Status)
	}
	if s.Tag != "" {
		v.Set("tag", s.Tag)
	}
	if sort != "name" {
		v.Set("sort", sort)
	}
	if dir != "asc" {
		v.Set("dir", dir)
	}
	if len(v) == 0 {
		return "/gateways"
	}
	return "/gateways?" + v.Encode()
}

// canonical is the state's URL with its page and open rows: what the
// address bar shows.
func (s listState) canonical() string {
	u := s.pageHref(s.Page)
	if len(s.Open) == 0 {
		return u
	}
	v := url.Values{"open": s.Open}
	if strings.Contains(u, "?") {
		return u + "&" + v.Encode()
	}
	return u + "?" + v.Encode()
}

func (s listState) columns(ctx context.Context) []vt.Column {
	cols := make([]vt.Column, 0, len(sortKeys))
	for _, k := range sortKeys {
		c := vt.Column{Key: k, Label: text.T(ctx, "gw.col."+k), Num: k == "devices" || k == "sensors"}
		dir := "asc"
		if s.Sort == k {
			c.Sort = "ascending"
			if s.Dir == "desc" {
				c.Sort = "descending"
			} else {
				dir = "desc"
			}
		}
		c.Href = s.href(k, dir)
		cols = append(cols, c)
	}
	return cols
}

func statusOptions(ctx context.Context, cur string) []vt.Option {
	opts := []vt.Option{{Value: "", Label: text.T(ctx, "gw.filter.all"), Selected: cur == ""}}
	for _, k := range statusKeys {
		opts = append(opts, vt.Option{Value: k, Label: text.T(ctx, "gw.status."+k), Selected: cur == k})
	}
	return opts
}

// shown is a row that passed the filter, with its status at now.
type shown struct {
	r   *gwRow
	key string
}

// filterSort applies the search, the status filter and the order. A state
// that Thing+ pages (name or id order, no filter) keeps Thing+'s order, so
// the pages this app cuts from a full list (an upstream that does not
// page) are the same slices Thing+'s pages would be, never overlapping.
func filterSort(rows []gwRow, s listState, now time.Time) []shown {
	q := strings.ToLower(s.Q)
	out := make([]shown, 0, len(rows))
	for i := range rows {
		r := &rows[i]
		if q != "" && !strings.Contains(r.lname, q) && !strings.Contains(r.lid, q) {
			continue
		}
		if s.Tag != "" && !r.hasTag(s.Tag) {
			continue
		}
		key := r.Status.key(now)
		if s.Status != "" && key != s.Status {
			continue
		}
		out = append(out, shown{r, key})
	}
	if s.serverPaged() {
		return out
	}
	by := func(a, b shown) int {
		switch s.Sort {
		case "id":
			return cmp.Compare(a.r.lid, b.r.lid)
		case "model":
			return cmp.Compare(a.r.Model, b.r.Model)
		case "status":
			return cmp.Compare(statusRank(a.key), statusRank(b.key))
		case "last":
			return cmp.Compare(a.r.Status.Time, b.r.Status.Time)
		case "devices":
			return cmp.Compare(a.r.Devices, b.r.Devices)
		case "sensors":
			return cmp.Compare(a.r.Sensors, b.r.Sensors)
		}
		return 0
	}
	slices.SortStableFunc(out, func(a, b shown) int {
		c := by(a, b)
		if s.Dir == "desc" {
			c = -c
		}
		if c == 0 {
			c = cmp.Or(cmp.Compare(a.r.lname, b.r.lname), cmp.Compare(a.r.ID, b.r.ID))
		}
		return c
	})
	return out
}

func gatewayHref(id string) string { return "/gateways/" + url.PathEscape(id) }

func sensorHref(gw, id string) string {
	return "/gateways/" + url.PathEscape(gw) + "/sensors/" + url.PathEscape(id)
}

// rowView is one table row at the viewer's clock.
func (v viewer) rowView(r *gwRow, key string) vt.Row {
	href := gatewayHref(r.ID)
	return vt.Row{
		ID: r.ID, Name: r.Name, Model: r.Model,
		Status: badgeOf(v.ctx, key, r.Status.Interval), Last: v.ago(r.Status.Time),
		Devices: strconv.Itoa(r.Devices), Sensors: strconv.Itoa(r.Sensors),
		Toggle: href, Href: href,
	}
}

// openRow marks a row open with its detail (the toggle then collapses it).
func openRow(row vt.Row, d vt.Detail) vt.Row {
	row.Open = true
	row.Toggle = row.Href + "/row"
	row.Detail = &d
	return row
}

// tableOf builds the panel for one page of the rows at the viewer's clock.
// Rows Thing+ paged (d.paged) are that page already; otherwise the rows are
// every gateway, filtered and sorted here, and s.Page is clamped to the
// last page of what matched.
func (h *Handler) tableOf(d listData, s *listState, v viewer, at time.Time) vt.Table {
	s.Page = max(s.Page, 1)
	list := filterSort(d.rows, *s, v.now)
	matching, total := len(list), len(d.rows)
	pages := pagesOf(matching)
	if d.paged {
		matching, total, pages = d.total, d.total, pagesOf(d.total)
		if d.total == 0 { // Thing+ gave no total: pages unknown
			pages = 0
		}
	} else {
		if s.Page > pages {
			s.Page, s.pageOK = pages, false
		}
		from := (s.Page - 1) * pageSize
		list = list[from:min(from+pageSize, len(list))]
	}
	t := vt.Table{
		URL: s.pageHref(s.Page), PollSec: int(h.poll / time.Second),
		SortBy: s.Sort, SortDir: s.Dir,
		Columns: s.columns(v.ctx),
		Rows:    make([]vt.Row, len(list)),
		Updated: v.ago(thingplus.Millis(at.UnixMilli())),
		Pager:   pagerOf(v.ctx, *s, pages, d.more),
	}
	for i, x := range list {
		t.Rows[i] = v.rowView(x.r, x.key)
	}
	t.Shown = shownText(v.ctx, s.Page, len(list), matching, total, pages)
	switch {
	case total == 0 && s.Page == 1:
		t.Empty = text.T(v.ctx, "gw.empty.none")
	case len(list) == 0 && d.paged:
		t.Empty = fmt.Sprintf(text.T(v.ctx, "gw.page.empty"), s.Page)
	case len(list) == 0:
		t.Empty = text.T(v.ctx, "gw.empty.nomatch")
	}
	return t
}

// shownText says which gateways the page shows: "120 gateways" on a single
// page, "Gateways 51–100 of 120" (and how many matched) on one of several.
func shownText(ctx context.Context, page, n, matching, total, pages int) string {
	from, to := (page-1)*pageSize+1, (page-1)*pageSize+n
	switch {
	case pages == 1 && matching == total:
		return text.N(ctx, "gw.shown.all", total)
	case pages == 1:
		return fmt.Sprintf(text.T(ctx, "gw.shown"), matching, total)
	case n == 0:
		return fmt.Sprintf(text.T(ctx, "gw.page.none"), page)
	case pages == 0:
		return fmt.Sprintf(text.T(ctx, "gw.page.rangeopen"), from, to)
	case matching == total:
		return fmt.Sprintf(text.T(ctx, "gw.page.range"), from, to, total)
	}
	return fmt.Sprintf(text.T(ctx, "gw.page.rangeof"), from, to, matching, total)
}

// typeIndex maps sensorType ids to their types.
func typeIndex(ts []thingplus.SensorType) map[string]thingplus.SensorType {
	m := make(map[string]thingplus.SensorType, len(ts))
	for _, t := range ts {
		m[t.ID] = t
	}
	return m
}

// typeLabel is "temperature (°C)", or the type alone without a unit.
func typeLabel(ctx context.Context, id string, types map[string]thingplus.SensorType) string {
	if id == "" {
		return text.T(ctx, "gw.novalue")
	}
	name := text.TypeName(ctx, id)
	if id == counterType {
		return name + " (" + text.T(ctx, "door.unit") + ")"
	}
	if t, ok := types[id]; ok && t.Unit != "" {
		return name + " (" + t.Unit + ")"
	}
	return name
}

// counterType is a door counter: each value is one person, +1 in, -1 out.
const counterType = "countEvent"

// doorText is a door counter's value in people: "1 person entered",
// "2 people left" (승차 1명 / 하차 2명), never "-1 ea".
func doorText(ctx context.Context, raw string) (string, bool) {
	f, err := strconv.ParseFloat(raw, 64)
	if err != nil || isNaNOrInf(f) || f != float64(int(f)) {
		return "", false
	}
	switch n := int(f); {
	case n > 0:
		return text.N(ctx, "door.entered", n), true
	case n < 0:
		return text.N(ctx, "door.left", -n), true
	}
	return text.T(ctx, "door.zero"), true
}

// formatNumber writes v with the type's decimal places, or as short as it
// is exact up to 2 decimals when the type does not say.
func formatNumber(v float64, dp int) string {
	if dp > 0 && dp <= 6 {
		return strconv.FormatFloat(v, 'f', dp, 64)
	}
	if v == float64(int64(v)) && v < 1e15 && v > -1e15 {
		return strconv.FormatInt(int64(v), 10)
	}
	s := strconv.FormatFloat(v, 'f', 2, 64)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if s == "-0" {
		s = "0"
	}
	return s
}

// valueText is a latest value for people: display values (door "1" →
// "opened"), decimals, and the unit.
func valueText(ctx context.Context, raw string, t thingplus.SensorType, known bool) string {
	if raw == "" {
		return text.T(ctx, "gw.novalue")
	}
	if t.ID == counterType {
		if d, ok := doorText(ctx, raw); ok {
			return d
		}
	}
	if known {
		if d := t.Display(raw); d != raw {
			return clip(d, 60)
		}
	}
	s := clip(raw, 60)
	if f, err := strconv.ParseFloat(raw, 64); err == nil && !isNaNOrInf(f) {
		s = formatNumber(f, int(t.DecimalPlace))
	}
	if known && t.Unit != "" {
		s += " " + t.Unit
	}
	return s
}

// detailOf groups a gateway's sensors under its devices.
func (v viewer) detailOf(gwID string, devs []thingplus.Device, sensors []thingplus.Sensor, types map[string]thingplus.SensorType) vt.Detail {
	groups := make([]vt.DeviceGroup, 0, len(devs)+1)
	index := make(map[string]int, len(devs))
	for _, d := range devs {
		if _, dup := index[d.ID]; dup {
			continue
		}
		name := clip(d.Name, 200)
		if strings.TrimSpace(name) == "" {
			name = d.ID
		}
		index[d.ID] = len(groups)
		groups = append(groups, vt.DeviceGroup{ID: d.ID, Name: name})
	}
	other := -1
	for i := range sensors {
		s := &sensors[i]
		row := v.sensorRow(gwID, s, types)
		gi, ok := index[s.DeviceID]
		if !ok {
			if other < 0 {
				other = len(groups)
				groups = append(groups, vt.DeviceGroup{Name: text.T(v.ctx, "gw.device.other")})
			}
			gi = other
		}
		groups[gi].Sensors = append(groups[gi].Sensors, row)
	}
	for i := range groups {
		slices.SortStableFunc(groups[i].Sensors, func(a, b vt.SensorRow) int { return naturalOrder(a.Name, b.Name) })
	}
	// Devices in natural name order; "Other sensors" stays last.
	end := len(groups)
	if other >= 0 {
		end = other
	}
	slices.SortStableFunc(groups[:end], func(a, b vt.DeviceGroup) int { return naturalOrder(a.Name, b.Name) })
	d := vt.Detail{Groups: groups}
	if len(groups) == 0 {
		d.Empty = text.T(v.ctx, "gw.detail.empty")
	}
	return d
}

func (v viewer) sensorRow(gwID string, s *thingplus.Sensor, types map[string]thingplus.SensorType) vt.SensorRow {
	t, known := types[s.Type]
	t.ID = s.Type // a door counter reads as people even if its type is not listed
	name := clip(s.Name, 200)
	if strings.TrimSpace(name) == "" {
		name = s.ID
	}
	row := vt.SensorRow{
		ID: s.ID, Name: name, Href: sensorHref(gwID, s.ID),
		Type:   typeLabel(v.ctx, s.Type, types),
		Value:  text.T(v.ctx, "gw.novalue"),
		Age:    vt.Ago{Text: text.T(v.ctx, "gw.novalue")},
		Status: badgeOf(v.ctx, statusOf(s.Status, 0).key(v.now), 0),
	}
	if s.Series.Loaded() {
		row.Value = valueText(v.ctx, string(s.Series.Value), t, known)
		row.Age = v.ago(s.Series.Time)
	}
	return row
}

// naturalCompare orders "door 2" before "door 10".
func naturalCompare(a, b string) int {
	for a != "" && b != "" {
		da, db := digits(a), digits(b)
		if da > 0 && db > 0 {
			na, nb := strings.TrimLeft(a[:da], "0"), strings.TrimLeft(b[:db], "0")
			if c := cmp.Or(cmp.Compare(len(na), len(nb)), cmp.Compare(na, nb)); c != 0 {
				return c
			}
			a, b = a[da:], b[db:]
			continue
		}
		ra, sa := utf8.DecodeRuneInString(a)
		rb, sb := utf8.DecodeRuneInString(b)
		if c := cmp.Compare(ra, rb); c != 0 {
			return c
		}
		a, b = a[sa:], b[sb:]
	}
	return cmp.Compare(len(a), len(b))
}

// naturalOrder is naturalCompare with a plain comparison to break ties.
func naturalOrder(a, b string) int { return cmp.Or(naturalCompare(a, b), strings.Compare(a, b)) }

func digits(s string) int {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i
}
