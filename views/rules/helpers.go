package rules

import (
	"context"
	"net/url"
	"strconv"
	"strings"

	"github.com/a-h/templ"

	"github.com/thingplus/thingplus-webapp/views/text"
)

// Severities and statuses offered by the filters, in order.
var (
	severities = []string{"information", "warning", "fatal"}
	statuses   = []string{"activated", "deactivated"}
	methods    = []string{"over", "under", "range", "changed"}
	sorts      = []string{SortName, SortModified, SortSeverity}
)

func ruleURL(id, suffix string) string { return "/rules/" + url.PathEscape(id) + suffix }

func editURL(id string) templ.SafeURL { return templ.SafeURL(ruleURL(id, "/edit")) }

func useURL(id string) templ.SafeURL {
	return templ.SafeURL("/rules/new?template=" + url.QueryEscape(id))
}

// severityClass is the badge class of a severity (colour and icon).
func severityClass(sev string) string {
	switch sev {
	case "information":
		return "info"
	case "warning":
		return "warn"
	case "fatal":
		return "bad"
	}
	return "off"
}

func severityText(ctx context.Context, sev string) string {
	if k := "rules.sev." + sev; text.Has(k) {
		return text.T(ctx, k)
	}
	return sev
}

func statusText(ctx context.Context, s string) string { return text.T(ctx, "rules.status."+s) }

func tf(ctx context.Context, key string, args ...any) string { return text.T(ctx, key, args...) }

func boolStr(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// fid is the element id of a form field name ("a0.url" → "rf-a0-url").
func fid(name string) string { return "rf-" + strings.ReplaceAll(name, ".", "-") }

// describedBy lists the hint and error ids of a field.
func describedBy(f Form, name string, hint bool) string {
	var ids []string
	if hint {
		ids = append(ids, fid(name)+"-hint")
	}
	if f.Err(name) != "" {
		ids = append(ids, fid(name)+"-err")
	}
	return strings.Join(ids, " ")
}

// index is the number in a prefix ("c3" → 3).
func index(prefix string) int {
	n, _ := strconv.Atoi(strings.TrimLeft(prefix, "ca"))
	return n
}

// refreshVals makes a select re-render the form on change (pickers).
const refreshVals = `{"op":"refresh"}`

func panelAttrs(url string, poll bool) templ.Attributes {
	if !poll {
		return templ.Attributes{}
	}
	return templ.Attributes{"hx-get": url, "hx-trigger": "every 15s", "hx-target": "this", "hx-swap": "outerHTML"}
}

func staleText(ctx context.Context, s *Stale) string {
	if s.Reason != "" && s.AsOf == "" {
		return s.Reason
	}
	if s.Reason != "" {
		return s.Reason + " " + tf(ctx, "err.asof", s.AsOf)
	}
	if s.AsOf == "" {
		return text.T(ctx, "rules.stale.never")
	}
	return tf(ctx, "rules.stale", s.AsOf)
}

// newGroup reports whether condition i starts a new OR group.
func newGroup(cs []Sensorish, i int) bool { return i == 0 || cs[i].Group != cs[i-1].Group }

// rowStatus is a row's data-status: a template has none.
func rowStatus(r Row) string {
	if r.Template {
		return "template"
	}
	return boolStr(r.Active)
}

// sensorRefresh re-renders the form when the trigger's sensor changes: the
// default action follows the sensor's type.
func sensorRefresh(f Form, prefix string) templ.Attributes {
	if prefix != "t" {
		return templ.Attributes{}
	}
	return templ.Attributes{"hx-post": f.Action, "hx-trigger": "change", "hx-target": "#rule-form", "hx-swap": "outerHTML", "hx-vals": refreshVals}
}
