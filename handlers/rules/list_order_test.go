package rules

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/thingplus/thingplus-webapp/thingplus"
	views "github.com/thingplus/thingplus-webapp/views/rules"
)

func TestCompareNames(t *testing.T) {
	got := []string{"Car 10 door 1 IN", "car 2 door 1 OUT", "Car 2 door 1 IN", "Car 1 door 12", "Car 1 door 3", "", "Car"}
	slices.SortFunc(got, compareNames)
	want := []string{"", "Car", "Car 1 door 3", "Car 1 door 12", "Car 2 door 1 IN", "car 2 door 1 OUT", "Car 10 door 1 IN"}
	if !slices.Equal(got, want) {
		t.Fatalf("%q", got)
	}
}

func TestParseFilterKeepsOnlyKnownValues(t *testing.T) {
	for q, want := range map[string]views.Filter{
		"":                                   {Sort: views.SortName},
		"sort=modified&page=3":               {Sort: views.SortModified, Page: 3},
		"sort=bogus&page=-1&status=x":        {Sort: views.SortName},
		"sort=severity&gateway=gw1&page=1":   {Sort: views.SortSeverity, Gateway: "gw1"},
		"q=+door+&page=99999999999999999999": {Q: "door", Sort: views.SortName},
	} {
		u, _ := http.NewRequest("GET", "/rules?"+q, nil)
		if got := parseFilter(u.URL.Query()); got != want {
			t.Errorf("%q: %+v, want %+v", q, got, want)
		}
		if got := parseFilter(u.URL.Query()); filterURL(got) != filterURL(parseFilter(mustQuery(filterURL(got)))) {
			t.Errorf("%q: the URL does not round-trip", q)
		}
	}
}

func mustQuery(u string) map[string][]string {
	r, _ := http.NewRequest("GET", u, nil)
	return r.URL.Query()
}

func rowNames(doc *goquery.Document) []string {
	var out []string
	doc.Find(`[data-testid="rules-table"] [data-testid="rule-name"]`).Each(func(_ int, s *goquery.Selection) {
		out = append(out, strings.TrimSpace(s.Text()))
	})
	return out
}

func TestListSortGatewayAndPaging(t *testing.T) {
	hs := newHarness(t)
	// by name (the default): a door's IN and OUT rules side by side
	r := hs.do("GET", "/rules", nil, targetTables)
	names := rowNames(r.doc)
	if len(names) != 20 || names[0] != "Car 1 door 1 IN" || names[1] != "Car 1 door 1 OUT" || !slices.IsSortedFunc(names, compareNames) {
		t.Fatalf("by name: %q", names)
	}
	// the filter form sends empty fields too: the address bar gets the short form
	r = hs.do("GET", "/rules?q=&status=&severity=&gateway=&sort=severity", nil, targetTables)
	if got := r.Header().Get("HX-Push-Url"); got != "/rules?sort=severity" {
		t.Fatalf("pushed %q", got)
	}
	if r = hs.do("GET", "/rules?page=2", nil, targetTables); r.Header().Get("HX-Push-Url") != "" {
		t.Fatal("a canonical address (pager, polling) must not push another")
	}
	// page 2 holds the rest; the pager keeps the sort in its links
	r = hs.do("GET", "/rules?sort=name&page=2", nil, targetTables)
	if n := len(rowNames(r.doc)); n != 5 || r.find("rules-prev").AttrOr("href", "") != "/rules" || r.find("rules-next").Length() != 0 {
		t.Fatalf("page 2: %d rows, prev %q", n, r.find("rules-prev").AttrOr("href", ""))
	}
	// a page past the end shows the last page
	if r = hs.do("GET", "/rules?page=99", nil, targetTables); len(rowNames(r.doc)) != 5 {
		t.Fatal("page 99 is not the last page")
	}
	// by severity: gravest first
	r = hs.do("GET", "/rules?sort=severity", nil, targetTables)
	var ranks []int
	r.doc.Find(`[data-testid="rules-table"] [data-testid="severity"]`).Each(func(_ int, s *goquery.Selection) {
		ranks = append(ranks, severityRank(thingplusSeverity(s.AttrOr("data-severity", ""))))
	})
	if len(ranks) != 20 || !slices.IsSorted(ranks) {
		t.Fatalf("by severity: %v", ranks)
	}
	if r.find("rules-next").AttrOr("href", "") != "/rules?page=2&sort=severity" {
		t.Fatalf("next keeps the sort: %q", r.find("rules-next").AttrOr("href", ""))
	}
	// by last change: newest first
	r = hs.do("GET", "/rules?sort=modified", nil, targetTables)
	var times []string
	r.doc.Find(`[data-testid="rules-table"] time`).Each(func(_ int, s *goquery.Selection) { times = append(times, s.AttrOr("datetime", "")) })
	if len(times) != 20 || !slices.IsSortedFunc(times, func(a, b string) int { return strings.Compare(b, a) }) {
		t.Fatalf("by last change: %v", times)
	}
	// the gateway filter offers the gateways that have rules, with counts,
	// and filters by the trigger sensor's gateway
	page := hs.do("GET", "/rules?sort=severity", nil, "")
	opts := page.doc.Find(`#rules-gateway option[value!=""]`)
	if opts.Length() == 0 || page.doc.Find(`#rules-sort option[selected]`).AttrOr("value", "") != "severity" {
		t.Fatal("no gateway filter, or the sort is not kept in the form")
	}
	gw := opts.First()
	var want int
	fmt.Sscanf(gw.Text()[strings.LastIndex(gw.Text(), "(")+1:], "%d", &want)
	r = hs.do("GET", "/rules?gateway="+gw.AttrOr("value", ""), nil, targetTables)
	if got := r.find("rules-count").AttrOr("data-matching", ""); got != fmt.Sprint(want) || want == 0 {
		t.Fatalf("gateway %s: %s matching, label says %d", gw.Text(), got, want)
	}
	if r = hs.do("GET", "/rules?gateway=nosuch", nil, targetTables); r.find("rules-empty").Length() != 1 {
		t.Fatal("an unknown gateway matches rules")
	}
}

func thingplusSeverity(s string) thingplus.Severity { return thingplus.Severity(s) }
