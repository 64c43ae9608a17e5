package sandbox

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// maxCollection is the most items one collection call returns (§4.2).
const maxCollection = 4000

// listQuery is §4.2: count, page, orderBy/orderDir, fields, filter[key],
// embed, start/end (on ctime).
type listQuery struct {
	given      bool // any query that makes _meta appear (§9.11)
	count      int  // page size
	page       int
	orderBy    string
	desc       bool
	fields     []string
	filterKeys []string            // in URL order, for stable behaviour
	filters    map[string][]string // key → accepted values (OR)
	embed      map[string]bool
	start, end int64 // ctime range; end 0 = open
}

// parseListQuery reads the collection query. embeds lists what the
// resource can embed. embed may repeat or be comma-separated.
func parseListQuery(q url.Values, embeds ...string) (listQuery, error) {
	lq := listQuery{count: maxCollection, filters: map[string][]string{}, embed: map[string]bool{}}
	if v, ok := q["count"]; ok {
		n, err := strconv.Atoi(first(v))
		if err != nil || n < 1 {
			return lq, schemaErr("count must be a positive integer")
		}
		lq.count, lq.given = min(n, maxCollection), true
	}
	if v, ok := q["page"]; ok {
		n, err := strconv.Atoi(first(v))
		if err != nil || n < 0 {
			return lq, schemaErr("page must be an integer from 0")
		}
		lq.page, lq.given = n, true
	}
	if v, ok := q["orderBy"]; ok {
		lq.orderBy, lq.given = first(v), true
	}
	if v, ok := q["orderDir"]; ok {
		switch first(v) {
		case "asc":
		case "desc":
			lq.desc = true
		default:
			return lq, schemaErr("orderDir must be asc or desc")
		}
		lq.given = true
	}
	for _, f := range q["fields"] {
		for _, name := range strings.Split(f, ",") {
			if name = strings.TrimSpace(name); name != "" {
				lq.fields = append(lq.fields, name)
			}
		}
		lq.given = true
	}
	for _, which := range []string{"start", "end"} {
		v := q.Get(which)
		if v == "" {
			continue
		}
		t, err := parseQueryTime(v)
		if err != nil {
			return lq, schemaErr(which + ": " + err.Error())
		}
		if which == "start" {
			lq.start = t
		} else {
			lq.end = t
		}
		lq.given = true
	}
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		name, ok := strings.CutPrefix(k, "filter[")
		if !ok {
			continue
		}
		name, ok = strings.CutSuffix(name, "]")
		if !ok || name == "" || strings.ContainsAny(name, "[]") {
			return lq, schemaErr("bad filter parameter " + k)
		}
		lq.filterKeys = append(lq.filterKeys, name)
		lq.filters[name] = q[k]
		lq.given = true
	}
	for _, e := range q["embed"] {
		for _, name := range strings.Split(e, ",") {
			name = strings.TrimSpace(name)
			if name == "" {
				continue
			}
			if !slices.Contains(embeds, name) {
				if len(embeds) == 0 {
					return lq, schemaErr("nothing can be embedded here")
				}
				return lq, schemaErr(fmt.Sprintf("embed must be one of %s", strings.Join(embeds, ", ")))
			}
			lq.embed[name] = true
		}
	}
	return lq, nil
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

// subQuery extracts a nested query: for prefix "sensors",
// sensors[embed]=series&sensors[series][dataStart]=x becomes
// embed=series&series[dataStart]=x (§4.2 nested embed).
func subQuery(q url.Values, prefix string) url.Values {
	out := url.Values{}
	for k, v := range q {
		rest, ok := strings.CutPrefix(k, prefix+"[")
		if !ok {
			continue
		}
		i := strings.IndexByte(rest, ']')
		if i <= 0 {
			continue
		}
		out[rest[:i]+rest[i+1:]] = v
	}
	return out
}

// listItem is one row of a collection: its view plus the values used for
// filtering and sorting where they differ from the view (status).
type listItem struct {
	view  any            // the view struct
	m     map[string]any // the view as a map, made when a query needs it
	ctime int64
	// status is the effective status value; filter[status] and
	// orderBy=status use it (the view holds only the leaf id).
	status string
	ref    any // the stored object (*gateway, *device, *sensor)
}

// apply filters, sorts and pages items; it returns the page and the _meta
// (nil unless a query was given or the result was truncated).
func (lq listQuery) apply(items []listItem) ([]listItem, any) {
	kept := items[:0:0]
	needMap := len(lq.filterKeys) > 0 || lq.orderBy != ""
	for _, it := range items {
		if needMap {
			it.m = asMap(it.view)
		}
		if lq.start != 0 && it.ctime < lq.start || lq.end != 0 && it.ctime >= lq.end {
			continue
		}
		if lq.matches(it) {
			kept = append(kept, it)
		}
	}
	if lq.orderBy != "" {
		slices.SortStableFunc(kept, func(a, b listItem) int {
			c := compareField(a.sortValue(lq.orderBy), b.sortValue(lq.orderBy))
			if lq.desc {
				return -c
			}
			return c
		})
	} else if lq.desc {
		slices.Reverse(kept)
	}
	total := len(kept)
	from := total
	if lq.page <= total/lq.count { // (no overflow for a huge page)
		from = lq.page * lq.count
	}
	to := min(from+lq.count, total)
	page := kept[from:to]
	if !lq.given && total <= maxCollection {
		return page, nil
	}
	return page, map[string]any{"count": len(page), "page": lq.page, "total": total}
}

func (lq listQuery) matches(it listItem) bool {
	for _, key := range lq.filterKeys {
		want := lq.filters[key]
		ok := false
		for _, w := range want {
			if it.fieldMatches(key, w) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

func (it listItem) fieldMatches(key, want string) bool {
	if key == "status" && it.status != "" && it.status == want {
		return true
	}
	v, ok := it.m[key]
	if !ok {
		return false
	}
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			if scalarString(e) == want {
				return true
			}
		}
		return false
	default:
		return scalarString(v) == want
	}
}

func (it listItem) sortValue(key string) string {
	if key == "status" && it.status != "" {
		return it.status
	}
	v, ok := it.m[key]
	if !ok {
		return ""
	}
	return scalarString(v)
}

func scalarString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case int:
		return strconv.Itoa(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	default:
		b, _ := json.Marshal(x)
		return string(b)
	}
}

// compareField orders numbers numerically (ctime, reportInterval…) and
// everything else as strings.
func compareField(a, b string) int {
	fa, ea := strconv.ParseFloat(a, 64)
	fb, eb := strconv.ParseFloat(b, 64)
	if ea == nil && eb == nil {
		switch {
		case fa < fb:
			return -1
		case fa > fb:
			return 1
		}
		return 0
	}
	return strings.Compare(a, b)
}

// asMap turns a view into the map its JSON makes (filters, orderBy, fields).
func asMap(view any) map[string]any {
	b, err := json.Marshal(view)
	if err != nil {
		return nil
	}
	var m map[string]any
	if json.Unmarshal(b, &m) != nil {
		return nil
	}
	return m
}

// project keeps id, the requested fields and the embedded keys.
func (lq listQuery) project(view any) any {
	if len(lq.fields) == 0 {
		return view
	}
	v := asMap(view)
	out := map[string]any{"id": v["id"]}
	for _, f := range lq.fields {
		if x, ok := v[f]; ok {
			out[f] = x
		}
	}
	for e := range lq.embed {
		if x, ok := v[e]; ok {
			out[e] = x
		}
	}
	return out
}
