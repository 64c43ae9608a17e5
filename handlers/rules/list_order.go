package rules

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"unicode"

	"github.com/thingplus/thingplus-webapp/thingplus"
	views "github.com/thingplus/thingplus-webapp/views/rules"
)

// ruleRow is a rule with its view model, kept together while sorting.
type ruleRow struct {
	rule thingplus.Rule
	row  views.Row
}

// severityRank puts the gravest first; unknown severities last.
func severityRank(s thingplus.Severity) int {
	switch s {
	case thingplus.SeverityFatal:
		return 0
	case thingplus.SeverityWarning:
		return 1
	case thingplus.SeverityInformation:
		return 2
	}
	return 3
}

// sortRules orders the list; ties fall back to the name, then the id, so
// the order never changes between two reads of the same rules.
func sortRules(rs []ruleRow, by string) {
	slices.SortStableFunc(rs, func(a, b ruleRow) int {
		var c int
		switch by {
		case views.SortModified:
			c = cmp.Compare(b.rule.Mtime, a.rule.Mtime)
		case views.SortSeverity:
			c = cmp.Compare(severityRank(a.rule.Severity), severityRank(b.rule.Severity))
		}
		if c != 0 {
			return c
		}
		if c = compareNames(a.rule.Name, b.rule.Name); c != 0 {
			return c
		}
		return cmp.Compare(a.rule.ID, b.rule.ID)
	})
}

// compareNames orders names as people read them: case-insensitively, and
// runs of digits by value ("Car 2" before "Car 10").
func compareNames(a, b string) int {
	ra, rb := []rune(strings.ToLower(a)), []rune(strings.ToLower(b))
	i, j := 0, 0
	for i < len(ra) && j < len(rb) {
		if unicode.IsDigit(ra[i]) && unicode.IsDigit(rb[j]) {
			si, sj := i, j
			for i < len(ra) && unicode.IsDigit(ra[i]) {
				i++
			}
			for j < len(rb) && unicode.IsDigit(rb[j]) {
				j++
			}
			na := strings.TrimLeft(string(ra[si:i]), "0")
			nb := strings.TrimLeft(string(rb[sj:j]), "0")
			if c := cmp.Compare(len(na), len(nb)); c != 0 {
				return c
			}
			if c := strings.Compare(na, nb); c != 0 {
				return c
			}
			continue
		}
		if c := cmp.Compare(ra[i], rb[j]); c != 0 {
			return c
		}
		i, j = i+1, j+1
	}
	return cmp.Compare(len(ra)-i, len(rb)-j)
}

// gatewayIndex maps each sensor to its gateway, and gateways to their names.
func (e formEnv) gatewayIndex() (gwOf, name map[string]string) {
	gwOf, name = map[string]string{}, map[string]string{}
	for _, g := range e.picker {
		name[g.ID] = cmp.Or(g.Name, g.ID)
		for _, s := range g.Sensors {
			gwOf[s.ID] = g.ID
		}
	}
	return gwOf, name
}

// gatewayOptions are the gateway filter's choices: the gateways that have
// rules, by name, each with its count; the chosen one stays even with none.
func gatewayOptions(picker []GatewayChoice, count map[string]int, name map[string]string, chosen string) []views.Option {
	var out []views.Option
	for _, g := range picker {
		if count[g.ID] == 0 && g.ID != chosen {
			continue
		}
		out = append(out, views.Option{Value: g.ID, Label: fmt.Sprintf("%s (%d)", name[g.ID], count[g.ID])})
	}
	if chosen != "" && name[chosen] == "" {
		out = append(out, views.Option{Value: chosen, Label: chosen})
	}
	slices.SortStableFunc(out, func(a, b views.Option) int { return compareNames(a.Label, b.Label) })
	return out
}

// pageOf places the filter's page in n matching rules; a page past the end
// shows the last one.
func pageOf(n int, f views.Filter) views.Pager {
	pages := max(1, (n+views.PageSize-1)/views.PageSize)
	page := min(max(f.Page, 1), pages)
	p := views.Pager{Page: page, Pages: pages, Matching: n}
	if n > 0 {
		p.From = (page-1)*views.PageSize + 1
		p.To = min(page*views.PageSize, n)
	}
	if page > 1 {
		g := f
		g.Page = page - 1
		p.PrevURL = filterURL(g)
	}
	if page < pages {
		g := f
		g.Page = page + 1
		p.NextURL = filterURL(g)
	}
	return p
}
