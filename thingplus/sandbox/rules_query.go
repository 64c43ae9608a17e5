package sandbox

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// maxRuleCollection is the most items one collection call returns (§4.2, GH-GS).
const maxRuleCollection = 4000

// ruleListQuery is a parsed collection query (§4.2): count, page, orderBy,
// orderDir and filter[key]=v (AND across keys, OR when a key repeats).
// Unknown filter keys, orderBy fields and bad numbers are 400
// SCHEMA_VALIDATE; other parameters (fields, embed) are ignored.
type ruleListQuery struct {
	count, page int
	orderBy     string
	desc        bool
	filters     map[string][]string
	given       bool // any of count, page, orderBy, orderDir, filter[…] was sent
}

func parseRuleListQuery(q url.Values, filterKeys, orderKeys []string) (ruleListQuery, error) {
	lq := ruleListQuery{count: maxRuleCollection, filters: map[string][]string{}}
	if v := q.Get("count"); v != "" || q.Has("count") {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxRuleCollection {
			return lq, schemaErr(fmt.Sprintf("count: must be an integer from 1 to %d", maxRuleCollection))
		}
		lq.count, lq.given = n, true
	}
	if v := q.Get("page"); v != "" || q.Has("page") {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 1_000_000 {
			return lq, schemaErr("page: must be an integer from 0 to 1000000")
		}
		lq.page, lq.given = n, true
	}
	if q.Has("orderBy") {
		v := q.Get("orderBy")
		if !ruleHas(orderKeys, v) {
			return lq, schemaErr("orderBy: must be one of " + strings.Join(orderKeys, ", "))
		}
		lq.orderBy, lq.given = v, true
	}
	if q.Has("orderDir") {
		switch q.Get("orderDir") {
		case "asc":
		case "desc":
			lq.desc = true
		default:
			return lq, schemaErr(`orderDir: must be "asc" or "desc"`)
		}
		lq.given = true
	}
	for k, vs := range q {
		key, ok := strings.CutPrefix(k, "filter[")
		if !ok {
			continue
		}
		key, ok = strings.CutSuffix(key, "]")
		if !ok || !ruleHas(filterKeys, key) {
			return lq, schemaErr(fmt.Sprintf("%s: unknown filter (allowed: %s)", k, strings.Join(filterKeys, ", ")))
		}
		lq.filters[key] = append(lq.filters[key], vs...)
		lq.given = true
	}
	return lq, nil
}

// match reports whether get(key) is one of the filter values for every filtered key.
func (lq ruleListQuery) match(get func(key string) string) bool {
	for k, vs := range lq.filters {
		if !ruleHas(vs, get(k)) {
			return false
		}
	}
	return true
}

// window returns the [from, to) slice bounds of the requested page.
func (lq ruleListQuery) window(total int) (int, int) {
	from := lq.page * lq.count
	if from > total || from < 0 {
		return total, total
	}
	to := from + lq.count
	if to > total {
		to = total
	}
	return from, to
}
