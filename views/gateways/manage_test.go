package gateways

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/thingplus/thingplus-webapp/views/text"
)

func sampleAdd() AddForm {
	return AddForm{Open: true, Real: true, Name: "신림 <b>", Model: "18", ID: "b827:eb", Site: "1", Minutes: "0",
		Models: []OptionGroup{
			{Label: "Virtual", Options: []Option{{Value: "6", Label: "Virtual Gateway-Basic"}}},
			{Label: "Real", Options: []Option{{Value: "18", Label: "Raspberry Pi-Developer", Selected: true}}},
		},
		Sites:  []Option{{Value: "1", Label: "default (site 1)", Selected: true}},
		Errors: map[string]string{"id": "A real gateway needs its id.", "minutes": "Enter a whole number."},
		Notice: Notice{Kind: "bad", Text: "Your Thing+ plan has no room for another gateway."},
	}
}

// labelled checks that every form control has exactly one label.
func labelled(t *testing.T, doc *goquery.Document) {
	t.Helper()
	doc.Find("input:not([type=hidden]), select").Each(func(_ int, s *goquery.Selection) {
		id := s.AttrOr("id", "")
		if id == "" || doc.Find(`label[for="`+id+`"]`).Length() != 1 {
			t.Errorf("control %q (%s) has no label", id, s.AttrOr("name", ""))
		}
	})
}

func TestAddSection(t *testing.T) {
	html, doc := render(t, AddSection(sampleAdd()))
	if strings.Contains(html, "<b>") || strings.Contains(html, "style=") {
		t.Fatalf("markup leaked or inline style: %s", html)
	}
	labelled(t, doc)
	form := byID(doc, "gw-add-form")
	if form.AttrOr("method", "") != "post" || form.AttrOr("action", "") != "/gateways" || form.AttrOr("hx-post", "") != "/gateways" || form.AttrOr("hx-target", "") != "#gw-add" {
		t.Error("form attributes")
	}
	kept := map[string]string{"gw-add-name": "신림 <b>", "gw-add-id": "b827:eb", "gw-add-minutes": "0"}
	for id, want := range kept {
		if got := byID(doc, id).AttrOr("value", ""); got != want {
			t.Errorf("%s = %q, want %q", id, got, want)
		}
	}
	if byID(doc, "gw-add-model").Find("option[selected]").AttrOr("value", "") != "18" || byID(doc, "gw-add-model").Find("optgroup").Length() != 2 {
		t.Error("model choice")
	}
	for _, f := range []string{"id", "minutes"} {
		in := byID(doc, "gw-add-"+f)
		errID := "gw-add-" + f + "-error"
		if in.AttrOr("aria-invalid", "") != "true" || !strings.Contains(in.AttrOr("aria-describedby", ""), errID) || doc.Find("#"+errID).Text() == "" {
			t.Errorf("%s: error not wired", f)
		}
	}
	if byID(doc, "gw-add-name").AttrOr("aria-invalid", "") != "false" || byID(doc, "gw-add-name-error").Length() != 0 {
		t.Error("name flagged without an error")
	}
	if af := doc.Find("[autofocus]"); af.Length() != 1 || af.AttrOr("id", "") != "gw-add-id" {
		t.Errorf("focus goes to the first mistake, not %v", af.AttrOr("id", ""))
	}
	if n := byID(doc, "gw-add-notice"); n.AttrOr("role", "") != "alert" || !n.HasClass("bad") {
		t.Error("refusal notice")
	}
	if doc.Find("h2#gw-add-title").Length() != 1 {
		t.Error("heading")
	}
	// its page: h1, and a plain cancel link
	p := sampleAdd()
	p.Page, p.SiteText, p.Sites = true, true, nil
	_, doc = render(t, AddPage(p))
	if doc.Find("h1#gw-add-title").Length() != 1 || byID(doc, "gw-add-cancel").AttrOr("hx-get", "") != "" {
		t.Error("page form")
	}
	if s := byID(doc, "gw-add-site"); goquery.NodeName(s) != "input" || s.AttrOr("value", "") != "1" {
		t.Error("site as text when the sites are unreadable")
	}
	labelled(t, doc)
}

func TestAddSectionClosed(t *testing.T) {
	_, doc := render(t, AddSection(AddForm{Added: &Link{Text: "Open “x”", Href: "/gateways/abc"}}))
	open := byID(doc, "gw-add-open")
	if open.AttrOr("href", "") != "/gateways/new" || open.AttrOr("hx-get", "") != "/gateways/new" || byID(doc, "gw-add-form").Length() != 0 {
		t.Error("closed section")
	}
	if byID(doc, "gw-add-added").AttrOr("href", "") != "/gateways/abc" {
		t.Error("link to the new gateway")
	}
}

func sampleManage() Manage {
	evil := `"><script>alert(1)</script>`
	return Manage{ID: "b827:eb.01", Title: evil, Name: evil, Minutes: "5", Current: "Now every 5 min.",
		Confirm: "Delete " + evil + "?", Errors: map[string]string{"name": "Enter a name."}}
}

func TestManagePanel(t *testing.T) {
	m := sampleManage()
	html, doc := render(t, ManagePanel(m))
	if strings.Contains(html, "<script>") {
		t.Fatalf("markup leaked: %s", html)
	}
	labelled(t, doc)
	panel := byID(doc, "gw-manage")
	if panel.AttrOr("id", "") != "gwm-623832373a65622e3031" || !panel.HasClass("gw-manage-slot") {
		t.Errorf("panel id %q", panel.AttrOr("id", ""))
	}
	if _, ok := panel.Attr("hx-preserve"); ok {
		t.Error("the panel must not be preserved")
	}
	if byID(doc, "gw-rename-name").AttrOr("value", "") != m.Name || byID(doc, "gw-interval-minutes").AttrOr("value", "") != "5" {
		t.Error("values")
	}
	if f := byID(doc, "gw-rename-form"); f.AttrOr("hx-post", "") != "/gateways/b827:eb.01/name" || f.AttrOr("action", "") != "/gateways/b827:eb.01/name" || f.AttrOr("hx-target", "") != "closest .gw-manage-slot" {
		t.Error("rename form")
	}
	del := byID(doc, "gw-delete-form")
	if del.AttrOr("hx-post", "") != "/gateways/b827:eb.01/delete" || del.AttrOr("hx-confirm", "") != m.Confirm || del.AttrOr("method", "") != "get" || del.AttrOr("hx-target", "") != "closest tbody" {
		t.Error("delete form")
	}
	if del.Find(`input[name="name"]`).AttrOr("value", "") != m.Title {
		t.Error("delete carries the name for its message")
	}
	if in := byID(doc, "gw-rename-name"); in.AttrOr("aria-invalid", "") != "true" || doc.Find("#"+in.AttrOr("aria-describedby", "x")).Text() != "Enter a name." {
		t.Error("rename error wiring")
	}
	if byID(doc, "gw-manage-close").Length() != 1 || doc.Find("h3").Length() != 1 {
		t.Error("close link or heading")
	}
	// on its page: delete goes to the confirmation page; no close link
	m.Page = true
	_, doc = render(t, ManagePage(m))
	if d := byID(doc, "gw-delete-form"); d.AttrOr("hx-post", "") != "" || d.AttrOr("action", "") != "/gateways/b827:eb.01/delete" {
		t.Error("page delete")
	}
	if byID(doc, "gw-manage-close").Length() != 0 || byID(doc, "gw-title").Text() != m.Title || doc.Find(`input[name="view"][value="page"]`).Length() != 2 {
		t.Error("page parts")
	}
}

func TestManageSlotInOpenRow(t *testing.T) {
	r := sampleRow()
	r.Open, r.Detail = true, &Detail{Empty: "none"}
	_, doc := render(t, GatewayRow(r))
	slot := byID(doc, "gw-manage-slot")
	if _, ok := slot.Attr("hx-preserve"); !ok || slot.AttrOr("id", "") != ManageDomID(r.ID) {
		t.Error("open row: the launcher must be preserved across refreshes")
	}
	if byID(doc, "gw-manage-open").AttrOr("hx-get", "") != "/gateways/b827ebd0a001/manage" {
		t.Error("launcher target")
	}
	m := sampleManage()
	m.ID = r.ID
	r.Manage = &m
	_, doc = render(t, GatewayRow(r))
	if byID(doc, "gw-manage").Length() != 1 || byID(doc, "gw-manage-slot").Length() != 0 {
		t.Error("open row with a panel")
	}
	// a closed row has neither
	_, doc = render(t, GatewayRow(sampleRow()))
	if byID(doc, "gw-manage-slot").Length()+byID(doc, "gw-manage").Length() != 0 {
		t.Error("closed row shows management")
	}
}

func TestManageBarOnPage(t *testing.T) {
	_, doc := render(t, GatewaysPage(Page{Table: sampleTable()}))
	ref := byID(doc, "gw-refresher")
	if ref.AttrOr("hx-get", "") != "/gateways" || ref.AttrOr("hx-trigger", "") != "gw-changed from:body" || ref.AttrOr("hx-swap", "") != "outerHTML" {
		t.Error("refresher")
	}
	if _, hidden := ref.Attr("hidden"); !hidden {
		t.Error("refresher visible")
	}
	if byID(doc, "gw-changes").AttrOr("role", "") != "status" || byID(doc, "gw-add").Length() != 1 {
		t.Error("status line or add section")
	}
	_, doc = render(t, Changed("Deleted “x”."))
	if c := byID(doc, "gw-changes"); c.AttrOr("hx-swap-oob", "") != "innerHTML" || c.AttrOr("id", "") != "gw-changes" {
		t.Error("out-of-band status")
	}
}

func TestDeletePage(t *testing.T) {
	html, doc := render(t, DeletePage(DeleteConfirm{ID: "gw 1", Name: "<i>x</i>", Question: "Delete “<i>x</i>”?", Details: "Its 1 devices"}))
	if strings.Contains(html, "<i>") {
		t.Fatal("markup leaked")
	}
	f := byID(doc, "gw-delete-confirm").Find("form")
	if f.AttrOr("method", "") != "post" || f.AttrOr("action", "") != "/gateways/gw%201/delete" || byID(doc, "gw-delete-yes").Length() != 1 {
		t.Errorf("confirm form %q", f.AttrOr("action", ""))
	}
	if byID(doc, "gw-delete-no").AttrOr("href", "") != "/gateways/gw%201" {
		t.Error("cancel")
	}
}

// TestManageTextKeysExist checks the keys of the management view and of
// the handlers that build its messages.
func TestManageTextKeysExist(t *testing.T) {
	re := regexp.MustCompile(`text\.T\((?:[a-z.]+, )?"([^"]+)"\)|bad\("([^"]+)"\)`)
	files := []string{"manage.templ"}
	more, _ := filepath.Glob("../../handlers/gateways/manage*.go")
	files = append(files, more...)
	n := 0
	for _, src := range files {
		if strings.HasSuffix(src, "_test.go") {
			continue
		}
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			key := m[1] + m[2]
			n++
			if !text.Has(key) {
				t.Errorf("%s uses missing text %q", src, key)
			}
		}
	}
	if n < 40 {
		t.Errorf("only %d keys found: the pattern is broken", n)
	}
}

// The virtual form has no id field and says how to add a real gateway
// instead; the real form asks for the id (required) and carries kind=real.
func TestAddFormKinds(t *testing.T) {
	_, virtual := render(t, AddSection(AddForm{Open: true, Models: []OptionGroup{{Label: "Virtual", Options: []Option{{Value: "6", Label: "Virtual Gateway-Basic"}}}}}))
	if virtual.Find("#gw-add-id").Length() != 0 || virtual.Find(`[name=kind]`).Length() != 0 {
		t.Error("the virtual form asks for a gateway id")
	}
	if virtual.Find("h2").Text() != "Add a virtual gateway" || byID(virtual, "gw-add-switch").AttrOr("href", "") != "/gateways/new?kind=real" {
		t.Errorf("virtual form: %q %q", virtual.Find("h2").Text(), byID(virtual, "gw-add-switch").AttrOr("href", ""))
	}
	_, real := render(t, AddSection(AddForm{Open: true, Real: true}))
	if _, req := real.Find("#gw-add-id").Attr("required"); !req || real.Find(`input[name=kind]`).AttrOr("value", "") != "real" {
		t.Error("the real form does not ask for the id")
	}
	if real.Find("h2").Text() != "Add a real gateway" || byID(real, "gw-add-switch").AttrOr("href", "") != "/gateways/new" {
		t.Errorf("real form: %q", real.Find("h2").Text())
	}
	_, closed := render(t, AddSection(AddForm{}))
	if byID(closed, "gw-add-open").AttrOr("href", "") != "/gateways/new" || byID(closed, "gw-add-open-real").AttrOr("href", "") != "/gateways/new?kind=real" {
		t.Error("the closed section lacks its two ways in")
	}
}
