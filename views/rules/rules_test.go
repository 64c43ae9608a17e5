package rules

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"

	"github.com/thingplus/thingplus-webapp/views/text"
)

func render(t *testing.T, c templ.Component) *goquery.Document {
	t.Helper()
	var buf bytes.Buffer
	if err := c.Render(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	src := buf.String()
	if strings.HasPrefix(src, "<tr") {
		src = "<table><tbody>" + src + "</tbody></table>"
	}
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func TestSeverityChipReadableWithoutColour(t *testing.T) {
	for sev, want := range map[string][2]string{
		"information": {"info", "Information"}, "warning": {"warn", "Warning"}, "fatal": {"bad", "Fatal"}, "odd": {"off", "odd"},
	} {
		chip := render(t, SeverityChip(sev)).Find(`[data-testid="severity"]`)
		if !chip.HasClass("badge") || !chip.HasClass(want[0]) || strings.TrimSpace(chip.Text()) != want[1] {
			t.Errorf("%s: class %q text %q", sev, chip.AttrOr("class", ""), chip.Text())
		}
	}
}

func TestRuleRowEscapesUpstreamText(t *testing.T) {
	row := Row{ID: "9", Name: `<script>alert(1)</script> 신림-성수`, Summary: `When <b>x</b> → y`, Severity: "fatal", Active: true}
	var buf bytes.Buffer
	if err := RuleRow(row).Render(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "<script>") || strings.Contains(buf.String(), "<b>x") {
		t.Fatal("upstream text is not escaped")
	}
	doc := render(t, RuleRow(row))
	tr := doc.Find("tr#rule-9")
	if tr.Find(`[data-testid="rule-name"]`).Text() != row.Name || tr.Find(`[data-testid="rule-use"]`).Length() != 0 {
		t.Fatal("row content")
	}
	toggle := tr.Find(`[data-testid="rule-toggle"]`)
	if toggle.AttrOr("id", "") != "rule-toggle-9" || !strings.Contains(toggle.AttrOr("aria-label", ""), "신림-성수") {
		t.Fatal("the toggle needs a stable id (focus kept across the swap) and a label naming the rule")
	}
	if tr.Find(`input[name="status"]`).AttrOr("value", "") != "deactivated" {
		t.Fatal("an active rule's toggle must deactivate it")
	}
}

// A template never runs: no status, no Activate/Deactivate, but "Use";
// every cell names its column for the mobile cards.
func TestTemplateRowHasNoStatus(t *testing.T) {
	doc := render(t, RuleRow(Row{ID: "1", Name: "T", Severity: "warning", Active: true, Template: true}))
	tr := doc.Find("tr#rule-1")
	if tr.Find(`[data-testid="status"]`).Length() != 0 || tr.Find(`[data-testid="rule-toggle"]`).Length() != 0 {
		t.Fatal("a template shows a status or a toggle")
	}
	if tr.Find(`[data-testid="rule-use"]`).Length() != 1 || tr.AttrOr("data-status", "") != "template" {
		t.Fatal("a template offers no Use")
	}
	tr.Find("td").Each(func(_ int, td *goquery.Selection) {
		if td.AttrOr("data-label", "") == "" {
			t.Error("a cell without data-label (mobile cards)")
		}
	})
	del := tr.Find(`[data-testid="rule-delete"]`)
	if !del.HasClass("outline") || del.Closest("form").AttrOr("data-confirm-yes", "") != "Delete" || del.Closest("form").AttrOr("hx-target", "") != "#rules-tables" {
		t.Fatal("delete: quiet button, named dialog button, whole tables swapped")
	}
}

// The pager keeps filters and sort in its links, and appears only when
// there is more than one page.
func TestPagerLinks(t *testing.T) {
	vm := List{Rules: []Row{{ID: "1", Name: "a"}}, TotalRules: 45,
		Pager: Pager{Page: 2, Pages: 3, From: 21, To: 40, Matching: 45, PrevURL: "/rules?sort=severity", NextURL: "/rules?page=3&sort=severity"}}
	doc := render(t, Tables(vm))
	next := doc.Find(`[data-testid="rules-next"]`)
	if next.AttrOr("href", "") != "/rules?page=3&sort=severity" || next.AttrOr("hx-push-url", "") != "true" || next.AttrOr("hx-target", "") != "#rules-tables" {
		t.Fatalf("next link %v", next.Nodes)
	}
	if doc.Find(`[data-testid="rules-prev"]`).AttrOr("href", "") != "/rules?sort=severity" || strings.TrimSpace(doc.Find(`[data-testid="rules-pageno"]`).Text()) != "Page 2 of 3" {
		t.Fatal("prev link or position")
	}
	if got := strings.TrimSpace(doc.Find(`[data-testid="rules-count"]`).Text()); got != "Showing rules 21–40 of 45 (45 in all) and 0 of 0 templates." {
		t.Fatalf("counter %q", got)
	}
	vm.Pager = Pager{Page: 1, Pages: 1, From: 1, To: 1, Matching: 1}
	if render(t, Tables(vm)).Find(`[data-testid="rules-pager"]`).Length() != 0 {
		t.Fatal("a pager for one page")
	}
}

func TestFormMarksErrors(t *testing.T) {
	f := Form{Action: "/rules", Tab: "form", Name: "x", Trigger: Sensorish{Prefix: "t", Method: "range", Min: "5", Max: "1"},
		Errors: map[string]string{"t.max": "too low"}, Upstream: &Upstream{Code: "SCHEMA_VALIDATE", Message: "nope"}}
	doc := render(t, RuleForm(f))
	max := doc.Find(`[name="t.max"]`)
	if max.AttrOr("aria-invalid", "") != "true" || max.AttrOr("aria-describedby", "") != "rf-t-max-err" || doc.Find("#rf-t-max-err").Text() != "too low" {
		t.Fatal("error not tied to its field")
	}
	if doc.Find(`[data-testid="upstream-code"]`).Text() != "SCHEMA_VALIDATE" {
		t.Fatal("Thing+ code not shown")
	}
	// the first submit button is the save button: Enter in a field saves
	if first := doc.Find(`#rule-form button[type="submit"]`).First(); first.AttrOr("value", "") != "save" {
		t.Fatalf("first submit button is %q", first.AttrOr("value", ""))
	}
	doc.Find("input:not([type=hidden]), select, textarea").Each(func(_ int, s *goquery.Selection) {
		id := s.AttrOr("id", "")
		if s.Closest("label").Length() == 0 && (id == "" || doc.Find(`label[for="`+id+`"]`).Length() == 0) {
			t.Errorf("unlabelled %s %s", goquery.NodeName(s), s.AttrOr("name", ""))
		}
	})
}

// Every text key the rules views and handlers use exists.
func TestTextKeysExist(t *testing.T) {
	re := regexp.MustCompile(`(?:text\.T|tf)\((?:[a-z.]+, )?"([a-z][a-zA-Z0-9_.]+)"`)
	files, _ := filepath.Glob("*.templ")
	more, _ := filepath.Glob("../../handlers/rules/*.go")
	files = append(files, more...)
	n := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			n++
			if !strings.HasSuffix(m[1], ".") && !text.Has(m[1]) {
				t.Errorf("%s: missing text key %q", f, m[1])
			}
		}
	}
	for _, k := range []string{"rules.m.over", "rules.m.under", "rules.m.range", "rules.m.changed", "rules.dir.IN", "rules.dir.OUT",
		"rules.status.activated", "rules.status.deactivated", "rules.done.created", "rules.done.updated", "rules.done.deleted",
		"rules.done.activated", "rules.done.deactivated"} {
		if !text.Has(k) {
			t.Errorf("missing text key %q", k)
		}
	}
	if n < 100 {
		t.Fatalf("only %d keys found: the scan is broken", n)
	}
}
