package gateways

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/thingplus/thingplus-webapp/thingplus"
	"github.com/thingplus/thingplus-webapp/thingplus/sandbox"
	vt "github.com/thingplus/thingplus-webapp/views/gateways"
	"github.com/thingplus/thingplus-webapp/views/text"
)

// mgHarness is the gateways handler over the real sandbox (over HTTP),
// reading through the per-user cache as in production, for one user.
type mgHarness struct {
	harness
	sb    *sandbox.Sandbox
	c     *thingplus.Client
	token string
}

type mgOpts struct {
	scopes []string // the app client's scopes; nil: no app client (every scope passes)
	trial  bool     // sign in as a new sign-up account (trial plan) instead of demo
}

func newManageHarness(t *testing.T, o mgOpts) *mgHarness {
	t.Helper()
	m := &mgHarness{}
	m.t = t
	m.clock = &clock{t: time.Now()}
	opts := sandbox.Options{SimulatorPace: -1, Seed: 5, Now: m.clock.Now, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if o.scopes != nil {
		opts.App = sandbox.AppClient{ID: "webapp-test", Secret: "s3cret", Name: "webapp test", Scopes: o.scopes}
	}
	m.sb = sandbox.New(opts)
	t.Cleanup(m.sb.Close)
	srv := httptest.NewServer(m.sb.Handler())
	t.Cleanup(srv.Close)
	var err error
	if m.c, err = thingplus.New(srv.URL + "/v2"); err != nil {
		t.Fatal(err)
	}
	user := demoUser()
	if o.trial {
		u, err := m.sb.CreateUser("trial-"+strings.ReplaceAll(t.Name(), "/", "-"), "trial@example.com", "Trial", "pw")
		if err != nil {
			t.Fatal(err)
		}
		user = thingplus.User{ID: u.ID, LoginID: u.LoginID, Nickname: "Trial", Timezone: "+9.00"}
	}
	if m.token, err = m.sb.TokenFor(user.ID); err != nil {
		t.Fatal(err)
	}
	m.h = New(thingplus.NewCached(m.c, thingplus.CacheOptions{Now: m.clock.Now}), Options{Now: m.clock.Now})
	m.eng = app(m.h, user, m.token)
	return m
}

// do sends a request; headers come in name, value pairs.
func (m *mgHarness) do(method, path string, form url.Values, headers ...string) resp {
	m.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest(method, path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	m.eng.ServeHTTP(rec, req)
	return parse(m.t, rec)
}

var hxHeaders = []string{"HX-Request", "true", "HX-Current-URL", "http://localhost:3000/gateways"}

func (m *mgHarness) hx(method, path string, form url.Values) resp {
	return m.do(method, path, form, hxHeaders...)
}

func testid(r resp, id string) *goquery.Selection { return r.doc.Find(`[data-testid="` + id + `"]`) }

// rowByName finds a gateway's id in the table by its name.
func (m *mgHarness) rowByName(name string) (string, bool) {
	m.t.Helper()
	for _, row := range rowCells(m.hx("GET", "/gateways", nil).doc) {
		if row[0] == name {
			return row[1], true
		}
	}
	return "", false
}

func wantCode(t *testing.T, what string, r resp, code int) {
	t.Helper()
	if r.Code != code {
		t.Fatalf("%s: status %d, want %d: %s", what, r.Code, code, r.Body)
	}
}

func TestManageLifecycleHTMX(t *testing.T) {
	m := newManageHarness(t, mgOpts{scopes: thingplus.AppScopes()})

	// The page offers the add section and the refresher the add/delete answers trigger.
	page := m.do("GET", "/gateways", nil)
	wantCode(t, "page", page, http.StatusOK)
	if testid(page, "gw-add-open").AttrOr("hx-get", "") != "/gateways/new" || testid(page, "gw-add-open").AttrOr("href", "") != "/gateways/new" {
		t.Error("no add button")
	}
	if ref := testid(page, "gw-refresher"); ref.AttrOr("hx-trigger", "") != "gw-changed from:body" || ref.AttrOr("hx-target", "") != "#gateways" {
		t.Errorf("refresher = %v", ref.Nodes)
	}

	// Open the form in place.
	r := m.hx("GET", "/gateways/new", nil)
	wantCode(t, "form", r, http.StatusOK)
	if !strings.HasPrefix(r.Body.String(), `<section id="gw-add"`) {
		t.Errorf("form fragment starts %.60q", r.Body.String())
	}
	if got := r.doc.Find(`#gw-add-model option[selected]`).AttrOr("value", ""); got != "6" {
		t.Errorf("default model %q", got)
	}
	if got := r.doc.Find(`#gw-add-model optgroup`).First().Find("option").Text(); got != "Virtual Gateway-Basic" {
		t.Errorf("first group = %q", got)
	}
	if got := r.doc.Find(`#gw-add-site option[selected]`).AttrOr("value", ""); got != "1" {
		t.Errorf("default site %q", got)
	}

	// Register a virtual gateway whose name is markup: it must render as text.
	evil := "<script>alert(1)</script>"
	r = m.hx("POST", "/gateways", url.Values{"name": {evil}, "model": {"6"}, "site": {"1"}, "minutes": {"2"}, "id": {""}})
	wantCode(t, "register", r, http.StatusOK)
	if r.Header().Get("HX-Trigger") != "gw-changed" {
		t.Errorf("HX-Trigger = %q", r.Header().Get("HX-Trigger"))
	}
	if n := testid(r, "gw-add-notice"); !strings.Contains(n.Text(), evil) || !n.HasClass("ok") {
		t.Errorf("notice = %q", n.Text())
	}
	if testid(r, "gw-add-name").AttrOr("value", "x") != "" {
		t.Error("the form after success is not fresh")
	}
	id, ok := m.rowByName(evil)
	if !ok || len(id) != 32 {
		t.Fatalf("registered gateway not in the table (id %q)", id)
	}
	table := m.hx("GET", "/gateways", nil)
	if strings.Contains(table.Body.String(), evil) || !strings.Contains(table.Body.String(), "&lt;script&gt;") {
		t.Error("the name is not escaped in the table")
	}
	if gw, err := m.c.Gateway(context.Background(), m.token, id, thingplus.Query{}); err != nil || gw.Interval() != 2*time.Minute || gw.Model != "6" {
		t.Errorf("stored = %+v, %v", gw, err)
	}

	// Open its row: the management link is there, preserved across refreshes.
	r = m.hx("GET", "/gateways/"+id, nil)
	wantCode(t, "row", r, http.StatusOK)
	slot := testid(r, "gw-manage-slot")
	if _, preserve := slot.Attr("hx-preserve"); !preserve || slot.AttrOr("id", "") != vt.ManageDomID(id) {
		t.Errorf("slot = %v", slot.Nodes)
	}
	// Open the panel.
	r = m.hx("GET", "/gateways/"+id+"/manage", nil)
	wantCode(t, "panel", r, http.StatusOK)
	if testid(r, "gw-rename-name").AttrOr("value", "") != evil || testid(r, "gw-interval-minutes").AttrOr("value", "") != "2" {
		t.Errorf("panel values: %s", r.Body)
	}
	if strings.Contains(r.Body.String(), evil) {
		t.Error("the name is not escaped in the panel")
	}
	if q := testid(r, "gw-delete-form").AttrOr("hx-confirm", ""); !strings.Contains(q, evil) || !strings.Contains(q, id) {
		t.Errorf("confirm = %q", q)
	}
	if _, preserve := testid(r, "gw-manage").Attr("hx-preserve"); preserve {
		t.Error("the panel itself must not be preserved (its answers replace it)")
	}

	// Rename: the whole row comes back with the new name and the panel open.
	r = m.hx("POST", "/gateways/"+id+"/name", url.Values{"name": {"Renamed 잠실"}})
	wantCode(t, "rename", r, http.StatusOK)
	if r.Header().Get("HX-Retarget") != "closest tbody" || !strings.HasPrefix(r.Body.String(), "<tbody") {
		t.Errorf("rename answer: %q %.40q", r.Header().Get("HX-Retarget"), r.Body.String())
	}
	if cells := texts(r.doc.Find("tbody > tr:first-child > td")); len(cells) != 7 || cells[0] != "Renamed 잠실" || cells[1] != id {
		t.Errorf("row after rename = %v", cells)
	}
	if n := testid(r, "gw-manage-notice"); n.Text() != "Renamed to “Renamed 잠실”." {
		t.Errorf("rename notice = %q", n.Text())
	}
	if _, ok := m.rowByName("Renamed 잠실"); !ok {
		t.Error("the table does not show the new name at once")
	}

	// Change the report interval.
	r = m.hx("POST", "/gateways/"+id+"/interval", url.Values{"minutes": {"15"}})
	wantCode(t, "interval", r, http.StatusOK)
	if n := testid(r, "gw-manage-notice"); n.Text() != "The gateway now reports every 15 min." {
		t.Errorf("interval notice = %q", n.Text())
	}
	if got := testid(r, "gw-interval-current").Text(); !strings.HasPrefix(got, "Now every 15 min.") {
		t.Errorf("current = %q", got)
	}
	if gw, _ := m.c.Gateway(context.Background(), m.token, id, thingplus.Query{}); gw.Interval() != 15*time.Minute {
		t.Errorf("stored interval = %v", gw.Interval())
	}

	// Close the panel: the link again, not preserved (so it does replace the panel).
	r = m.hx("GET", "/gateways/"+id+"/manage?close=1", nil)
	if _, preserve := testid(r, "gw-manage-slot").Attr("hx-preserve"); preserve || testid(r, "gw-manage-open").Length() != 1 {
		t.Errorf("closed = %s", r.Body)
	}

	// Delete: the row goes, the status line says so, the table reloads.
	r = m.hx("POST", "/gateways/"+id+"/delete", url.Values{"name": {"Renamed 잠실"}})
	wantCode(t, "delete", r, http.StatusOK)
	if r.Header().Get("HX-Reswap") != "delete" || r.Header().Get("HX-Trigger") != "gw-changed" {
		t.Errorf("delete headers %v", r.Header())
	}
	if ch := testid(r, "gw-changes"); ch.Text() != "Deleted the gateway “Renamed 잠실”." || ch.AttrOr("hx-swap-oob", "") != "innerHTML" {
		t.Errorf("delete status = %q", ch.Text())
	}
	if _, ok := m.rowByName("Renamed 잠실"); ok {
		t.Error("deleted gateway still listed")
	}
	if rows := rowCells(m.hx("GET", "/gateways", nil).doc); len(rows) != 3 {
		t.Errorf("%d rows after delete", len(rows))
	}
	// Deleting it again is no error (already gone).
	wantCode(t, "delete again", m.hx("POST", "/gateways/"+id+"/delete", url.Values{}), http.StatusOK)
}

func TestManageWithoutJavaScript(t *testing.T) {
	m := newManageHarness(t, mgOpts{})
	r := m.do("GET", "/gateways/new", nil)
	wantCode(t, "form page", r, http.StatusOK)
	if r.doc.Find("h1#gw-add-title").Length() != 1 || r.doc.Find("form[action='/gateways'][method='post']").Length() != 1 {
		t.Fatalf("form page: %s", r.Body)
	}
	r = m.do("POST", "/gateways", url.Values{"name": {"Plain 성수"}, "model": {"6"}, "site": {"1"}})
	wantCode(t, "register", r, http.StatusSeeOther)
	loc := r.Header().Get("Location")
	if !strings.HasPrefix(loc, "/gateways/") {
		t.Fatalf("Location %q", loc)
	}
	id := strings.TrimPrefix(loc, "/gateways/")
	gw, err := m.c.Gateway(context.Background(), m.token, id, thingplus.Query{})
	if err != nil || gw.Name != "Plain 성수" || gw.Interval() != time.Minute {
		t.Fatalf("stored = %+v, %v", gw, err)
	}
	wantCode(t, "its page", m.do("GET", loc, nil), http.StatusOK)

	r = m.do("GET", loc+"/manage", nil)
	wantCode(t, "manage page", r, http.StatusOK)
	if testid(r, "gw-title").Text() != "Plain 성수" || testid(r, "gw-rename-form").Find(`input[name="view"]`).AttrOr("value", "") != "page" {
		t.Errorf("manage page: %s", r.Body)
	}
	if f := testid(r, "gw-delete-form"); f.AttrOr("method", "") != "get" || f.AttrOr("action", "") != loc+"/delete" {
		t.Error("delete on the page must go to the confirmation page")
	}
	r = m.do("POST", loc+"/name", url.Values{"name": {"Renamed"}, "view": {"page"}})
	wantCode(t, "rename", r, http.StatusSeeOther)
	if r.Header().Get("Location") != loc+"/manage?done=renamed" {
		t.Errorf("Location %q", r.Header().Get("Location"))
	}
	r = m.do("GET", loc+"/manage?done=renamed", nil)
	if testid(r, "gw-manage-notice").Text() != "Renamed to “Renamed”." {
		t.Errorf("notice = %q", testid(r, "gw-manage-notice").Text())
	}
	// With htmx on the gateway page only the panel is swapped: the
	// heading comes along out of band with the new name.
	r = m.hx("POST", loc+"/name", url.Values{"name": {"Renamed 2"}, "view": {"page"}})
	wantCode(t, "htmx rename", r, http.StatusOK)
	if h := testid(r, "gw-title"); h.Text() != "Renamed 2" || h.AttrOr("hx-swap-oob", "") != "true" || h.AttrOr("id", "") != "gw-title" {
		t.Errorf("heading after an htmx rename: %q %v", h.Text(), h.Nodes)
	}
	r = m.do("POST", loc+"/name", url.Values{"name": {"Renamed"}, "view": {"page"}})
	wantCode(t, "rename back", r, http.StatusSeeOther)
	r = m.do("POST", loc+"/interval", url.Values{"minutes": {"60"}, "view": {"page"}})
	wantCode(t, "interval", r, http.StatusSeeOther)
	r = m.do("GET", r.Header().Get("Location"), nil)
	if testid(r, "gw-manage-notice").Text() != "The gateway now reports every 60 min." {
		t.Errorf("notice = %q", testid(r, "gw-manage-notice").Text())
	}

	r = m.do("GET", loc+"/delete", nil)
	wantCode(t, "confirm", r, http.StatusOK)
	if c := testid(r, "gw-delete-confirm"); !strings.Contains(c.Text(), "“Renamed” ("+id+")") || !strings.Contains(c.Text(), "1 device and 2 sensors") {
		t.Errorf("confirm page: %q", c.Text())
	}
	r = m.do("POST", loc+"/delete", url.Values{"name": {"Renamed"}})
	wantCode(t, "delete", r, http.StatusSeeOther)
	if r.Header().Get("Location") != "/gateways" {
		t.Errorf("Location %q", r.Header().Get("Location"))
	}
	if _, err := m.c.Gateway(context.Background(), m.token, id, thingplus.Query{}); !thingplus.IsKind(err, thingplus.KindNotFound) {
		t.Errorf("after delete: %v", err)
	}
}

func TestManageAddValidation(t *testing.T) {
	m := newManageHarness(t, mgOpts{})
	cases := []struct {
		name   string
		form   url.Values
		errors map[string]string // testid → message
	}{
		{"all wrong", url.Values{"name": {"  "}, "model": {"18"}, "site": {"1"}, "minutes": {"0"}},
			map[string]string{"gw-add-name-error": "Enter a name.", "gw-add-id-error": text.T(context.Background(), "gw.err.id.required"), "gw-add-minutes-error": text.T(context.Background(), "gw.err.minutes")}},
		{"long name, bad id, unknown site", url.Values{"name": {strings.Repeat("가", 101)}, "model": {"52"}, "id": {"a/b c"}, "site": {"9"}, "minutes": {"abc"}},
			map[string]string{"gw-add-name-error": "Use at most 100 characters.", "gw-add-id-error": text.T(context.Background(), "gw.err.id.chars"),
				"gw-add-site-error": "Choose a site.", "gw-add-minutes-error": text.T(context.Background(), "gw.err.minutes")}},
		{"unknown model, reserved id, a week and a minute", url.Values{"kind": {"real"}, "name": {"x"}, "model": {"999"}, "id": {"new"}, "site": {"1"}, "minutes": {"10081"}},
			map[string]string{"gw-add-model-error": "Choose a model.", "gw-add-id-error": text.T(context.Background(), "gw.err.id.reserved"), "gw-add-minutes-error": text.T(context.Background(), "gw.err.minutes")}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, htmx := range []bool{true, false} {
				var r resp
				if htmx {
					r = m.hx("POST", "/gateways", tc.form)
				} else {
					r = m.do("POST", "/gateways", tc.form)
				}
				wantCode(t, "invalid", r, http.StatusUnprocessableEntity)
				if htmx == strings.Contains(r.Body.String(), "<html") {
					t.Errorf("htmx=%v: page/fragment mixed up", htmx)
				}
				for tid, msg := range tc.errors {
					if got := testid(r, tid).Text(); got != msg {
						t.Errorf("%s = %q, want %q", tid, got, msg)
					}
				}
				if n := r.doc.Find(".error").Length(); n != len(tc.errors) {
					t.Errorf("%d errors shown, want %d", n, len(tc.errors))
				}
				// input kept, errors wired to their fields
				if got := testid(r, "gw-add-name").AttrOr("value", ""); got != clip(tc.form.Get("name"), maxField) && got != strings.TrimSpace(tc.form.Get("name")) {
					t.Errorf("name kept = %q", got)
				}
				if got := testid(r, "gw-add-minutes").AttrOr("value", ""); got != tc.form.Get("minutes") {
					t.Errorf("minutes kept = %q", got)
				}
				if got := testid(r, "gw-add-id").AttrOr("value", ""); got != tc.form.Get("id") {
					t.Errorf("id kept = %q", got)
				}
				if sel := r.doc.Find("#gw-add-model option[selected]").AttrOr("value", ""); tc.form.Get("model") != "999" && sel != tc.form.Get("model") {
					t.Errorf("model kept = %q", sel)
				}
				if in := testid(r, "gw-add-minutes"); in.AttrOr("aria-invalid", "") != "true" || !strings.Contains(in.AttrOr("aria-describedby", ""), "gw-add-minutes-error") {
					t.Error("minutes error not wired to the field")
				}
			}
		})
	}
	if rows := rowCells(m.hx("GET", "/gateways", nil).doc); len(rows) != 3 {
		t.Errorf("an invalid form registered something: %d rows", len(rows))
	}
}

func TestManageChangeValidation(t *testing.T) {
	m := newManageHarness(t, mgOpts{})
	r := m.hx("POST", "/gateways/b827ebd0a002/name", url.Values{"name": {""}})
	wantCode(t, "empty name", r, http.StatusUnprocessableEntity)
	if testid(r, "gw-rename-error").Text() != "Enter a name." || testid(r, "gw-manage").Length() != 1 || r.Header().Get("HX-Retarget") != "" {
		t.Errorf("empty name: %s", r.Body)
	}
	if testid(r, "gw-interval-minutes").AttrOr("value", "") != "1" {
		t.Error("the other field lost its current value")
	}
	r = m.hx("POST", "/gateways/b827ebd0a002/interval", url.Values{"minutes": {"10081"}})
	wantCode(t, "long interval", r, http.StatusUnprocessableEntity)
	if testid(r, "gw-interval-error").Text() != text.T(context.Background(), "gw.err.minutes") || testid(r, "gw-interval-minutes").AttrOr("value", "") != "10081" {
		t.Errorf("interval: %s", r.Body)
	}
	if testid(r, "gw-rename-name").AttrOr("value", "") != "Climate 신림 station" {
		t.Error("the name field lost its current value")
	}
	// without JavaScript: the management page with the message
	r = m.do("POST", "/gateways/b827ebd0a002/interval", url.Values{"minutes": {"1.5"}, "view": {"page"}})
	wantCode(t, "no-JS interval", r, http.StatusUnprocessableEntity)
	if testid(r, "gw-interval-error").Length() != 1 || testid(r, "gw-title").Text() != "Climate 신림 station" {
		t.Errorf("no-JS page: %s", r.Body)
	}
	gw, _ := m.c.Gateway(context.Background(), m.token, "b827ebd0a002", thingplus.Query{})
	if gw.Name != "Climate 신림 station" || gw.Interval() != time.Minute {
		t.Errorf("invalid forms changed the gateway: %+v", gw)
	}
}

func TestManagePlanRefusal(t *testing.T) {
	m := newManageHarness(t, mgOpts{scopes: thingplus.AppScopes(), trial: true})
	for _, name := range []string{"one", "two"} {
		wantCode(t, name, m.hx("POST", "/gateways", url.Values{"name": {name}, "model": {"6"}, "site": {"1"}}), http.StatusOK)
	}
	form := url.Values{"name": {"three 셋"}, "model": {"6"}, "site": {"1"}, "minutes": {"5"}}
	r := m.hx("POST", "/gateways", form)
	wantCode(t, "third", r, http.StatusUnprocessableEntity)
	n := testid(r, "gw-add-notice")
	if n.Text() != "Your Thing+ plan has no room for another gateway (trial plans allow 2). Remove one or upgrade your plan." || !n.HasClass("bad") || n.AttrOr("role", "") != "alert" {
		t.Errorf("471 notice = %q", n.Text())
	}
	if testid(r, "gw-add-name").AttrOr("value", "") != "three 셋" || testid(r, "gw-add-minutes").AttrOr("value", "") != "5" {
		t.Error("input lost on a refusal")
	}
	if r.Header().Get("HX-Trigger") != "" {
		t.Error("a refusal must not reload the table")
	}
	if rows := rowCells(m.hx("GET", "/gateways", nil).doc); len(rows) != 2 {
		t.Errorf("%d rows", len(rows))
	}
	// without JavaScript: the page, same words
	r = m.do("POST", "/gateways", form)
	wantCode(t, "third, no JS", r, http.StatusUnprocessableEntity)
	if !strings.Contains(testid(r, "gw-add-notice").Text(), "trial plans allow 2") || r.doc.Find("h1#gw-add-title").Length() != 1 {
		t.Errorf("no-JS 471: %s", r.Body)
	}
}

func TestManageScopeRefusal(t *testing.T) {
	m := newManageHarness(t, mgOpts{scopes: []string{"user-profile-read", "gateway-read"}})
	// no site-read: the form asks for the site id and says why
	r := m.hx("GET", "/gateways/new", nil)
	wantCode(t, "form", r, http.StatusOK)
	if testid(r, "gw-add-site").Nodes[0].Data != "input" || !strings.Contains(testid(r, "gw-add-notice").Text(), "scope `site-read` missing") {
		t.Errorf("form without site-read: %s", r.Body)
	}
	scopeMsg := "The app is not allowed to manage gateways (scope `gateway` missing). Sign out and in again after registering the app with that scope."
	r = m.hx("POST", "/gateways", url.Values{"name": {"x"}, "model": {"6"}, "site": {"1"}})
	wantCode(t, "register", r, http.StatusUnprocessableEntity)
	if testid(r, "gw-add-notice").Text() != scopeMsg || testid(r, "gw-add-site").AttrOr("value", "") != "1" {
		t.Errorf("register notice = %q", testid(r, "gw-add-notice").Text())
	}
	for _, path := range []string{"/name", "/interval"} {
		r = m.hx("POST", "/gateways/b827ebd0a002"+path, url.Values{"name": {"new name"}, "minutes": {"5"}})
		wantCode(t, path, r, http.StatusUnprocessableEntity)
		if testid(r, "gw-manage-notice").Text() != scopeMsg {
			t.Errorf("%s notice = %q", path, testid(r, "gw-manage-notice").Text())
		}
	}
	if testid(r, "gw-interval-minutes").AttrOr("value", "") != "5" {
		t.Error("input lost")
	}
	r = m.hx("POST", "/gateways/b827ebd0a002/delete", url.Values{"name": {"Climate"}})
	wantCode(t, "delete", r, http.StatusUnprocessableEntity)
	if r.Header().Get("HX-Retarget") != "closest .gw-manage-slot" || testid(r, "gw-manage-notice").Text() != scopeMsg {
		t.Errorf("delete refusal: %v %s", r.Header(), r.Body)
	}
	if rows := rowCells(m.hx("GET", "/gateways", nil).doc); len(rows) != 3 {
		t.Errorf("%d rows", len(rows))
	}
}

func TestManageOtherRefusals(t *testing.T) {
	m := newManageHarness(t, mgOpts{})
	// a taken id → 409 next to the id field
	r := m.hx("POST", "/gateways", url.Values{"name": {"dup"}, "model": {"52"}, "id": {"b827ebd0a001"}, "site": {"1"}})
	wantCode(t, "duplicate", r, http.StatusConflict)
	if testid(r, "gw-add-id-error").Text() != "A gateway with the id b827ebd0a001 already exists in Thing+." {
		t.Errorf("duplicate: %s", r.Body)
	}
	// user 2's gateway
	r = m.hx("POST", "/gateways/b827ebd0a0ff/name", url.Values{"name": {"mine now"}})
	wantCode(t, "other's", r, http.StatusUnprocessableEntity)
	if testid(r, "gw-manage-notice").Text() != text.T(context.Background(), "gw.err.denied") || testid(r, "gw-rename-name").AttrOr("value", "") != "mine now" {
		t.Errorf("other's: %s", r.Body)
	}
	// a gateway that is gone
	r = m.hx("POST", "/gateways/feedfeed/interval", url.Values{"minutes": {"3"}})
	wantCode(t, "gone", r, http.StatusUnprocessableEntity)
	if testid(r, "gw-manage-notice").Text() != text.T(context.Background(), "gw.err.gone") {
		t.Errorf("gone: %s", r.Body)
	}
	// delete from the gateway's own page: back to the table
	r = m.do("POST", "/gateways/b827ebd0a003/delete", url.Values{}, "HX-Request", "true", "HX-Current-URL", "http://localhost:3000/gateways/b827ebd0a003")
	if r.Header().Get("HX-Redirect") != "/gateways" {
		t.Errorf("delete from its page: %d %v", r.Code, r.Header())
	}
}

func TestManageThingPlusDown(t *testing.T) {
	s := newSandboxHarness(t, true)
	m := &mgHarness{harness: s.harness}
	form := url.Values{"name": {"while down"}, "model": {"6"}, "site": {"1"}, "minutes": {"7"}}
	// warm the model catalogue, then break Thing+
	wantCode(t, "form", m.hx("GET", "/gateways/new", nil), http.StatusOK)
	s.setFault(modeFail)
	r := m.hx("POST", "/gateways", form)
	wantCode(t, "register while down", r, http.StatusServiceUnavailable)
	if testid(r, "gw-add-notice").Text() != text.T(context.Background(), "gw.err.unavailable") || testid(r, "gw-add-minutes").AttrOr("value", "") != "7" {
		t.Errorf("down: %s", r.Body)
	}
	r = m.hx("GET", "/gateways/b827ebd0a001/manage", nil)
	wantCode(t, "panel while down", r, http.StatusServiceUnavailable)
	if testid(r, "gw-manage").Length() != 1 || testid(r, "gw-manage-notice").Length() != 1 {
		t.Errorf("panel down: %s", r.Body)
	}
	r = m.hx("POST", "/gateways/b827ebd0a001/name", url.Values{"name": {"x"}})
	wantCode(t, "rename while down", r, http.StatusServiceUnavailable)
	if testid(r, "gw-rename-name").AttrOr("value", "") != "x" {
		t.Error("input lost while down")
	}
}

func TestManageExpiredToken(t *testing.T) {
	m := newManageHarness(t, mgOpts{})
	m.eng = app(m.h, demoUser(), "not-a-jwt")
	r := m.hx("POST", "/gateways", url.Values{"name": {"x"}, "model": {"6"}, "site": {"1"}})
	if r.Header().Get("HX-Redirect") != "/auth/login?expired=1" {
		t.Errorf("expired token: %d %v", r.Code, r.Header())
	}
	r = m.hx("POST", "/gateways/b827ebd0a002/name", url.Values{"name": {"x"}})
	if r.Header().Get("HX-Redirect") != "/auth/login?expired=1" {
		t.Errorf("expired token on rename: %d %v", r.Code, r.Header())
	}
}

func TestManageOversizedForm(t *testing.T) {
	m := newManageHarness(t, mgOpts{})
	r := m.hx("POST", "/gateways", url.Values{"name": {strings.Repeat("x", maxFormBody)}})
	if r.Code != http.StatusRequestEntityTooLarge || testid(r, "toast").Length() != 1 ||
		!strings.Contains(r.Body.String(), text.T(context.Background(), "err.too_large")) {
		t.Errorf("oversized: %d %s", r.Code, r.Body)
	}
}

// "Add a virtual gateway" offers only virtual models and no id; "Add a real
// gateway" (?kind=real, also without script) only real models and the id,
// which it requires. A virtual model posted from the real form is refused.
func TestManageAddKinds(t *testing.T) {
	m := newManageHarness(t, mgOpts{scopes: thingplus.AppScopes()})
	groups := func(r resp) (virtual bool, real bool) {
		r.doc.Find("#gw-add-model option").Each(func(_ int, o *goquery.Selection) {
			if strings.Contains(strings.ToLower(o.Text()), "virtual") {
				virtual = true
			} else {
				real = true
			}
		})
		return virtual, real
	}
	for _, htmx := range []bool{true, false} {
		var v resp
		if htmx {
			v = m.hx("GET", "/gateways/new", nil)
		} else {
			v = m.do("GET", "/gateways/new", nil)
		}
		wantCode(t, "virtual form", v, http.StatusOK)
		if virt, real := groups(v); !virt || real || v.doc.Find("#gw-add-id").Length() != 0 {
			t.Errorf("htmx=%v virtual form: virtual %v real %v id %d", htmx, virt, real, v.doc.Find("#gw-add-id").Length())
		}
		var r resp
		if htmx {
			r = m.hx("GET", "/gateways/new?kind=real", nil)
		} else {
			r = m.do("GET", "/gateways/new?kind=real", nil)
		}
		wantCode(t, "real form", r, http.StatusOK)
		if virt, real := groups(r); virt || !real || r.doc.Find("#gw-add-id[required]").Length() != 1 {
			t.Errorf("htmx=%v real form: virtual %v real %v", htmx, virt, real)
		}
	}
	r := m.hx("POST", "/gateways", url.Values{"kind": {"real"}, "name": {"x"}, "model": {"6"}, "id": {"aa:bb"}, "site": {"1"}})
	wantCode(t, "virtual model in the real form", r, http.StatusUnprocessableEntity)
	if testid(r, "gw-add-model-error").Text() == "" || testid(r, "gw-add-id").AttrOr("value", "") != "aa:bb" {
		t.Errorf("model error %q, id kept %q", testid(r, "gw-add-model-error").Text(), testid(r, "gw-add-id").AttrOr("value", ""))
	}
	r = m.hx("POST", "/gateways", url.Values{"kind": {"real"}, "name": {"x"}, "model": {"18"}, "site": {"1"}})
	wantCode(t, "real without id", r, http.StatusUnprocessableEntity)
	if testid(r, "gw-add-id-error").Text() != text.T(context.Background(), "gw.err.id.required") {
		t.Errorf("id error %q", testid(r, "gw-add-id-error").Text())
	}
}
