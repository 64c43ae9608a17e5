package rules

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/gin-gonic/gin"
	_ "modernc.org/sqlite"

	"github.com/thingplus/thingplus-webapp/handlers/web"
	"github.com/thingplus/thingplus-webapp/rulehistory"
	"github.com/thingplus/thingplus-webapp/thingplus"
)

// withHistory gives the harness a history store on a real SQLite file.
func (hs *harness) withHistory() (*rulehistory.Store, *sql.DB) {
	hs.t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(hs.t.TempDir(), "app.db")+"?_pragma=busy_timeout(5000)")
	if err != nil {
		hs.t.Fatal(err)
	}
	hs.t.Cleanup(func() { db.Close() })
	st, err := rulehistory.Open(context.Background(), db, nil)
	if err != nil {
		hs.t.Fatal(err)
	}
	hs.h.WithHistory(st)
	hs.engine = gin.New()
	hs.engine.Use(func(c *gin.Context) {
		web.SetSignedIn(c, thingplus.User{ID: "1", LoginID: "demo", Timezone: "+9.00"}, hs.token)
		c.Next()
	})
	hs.h.Register(hs.engine)
	return st, db
}

func (hs *harness) ruleNamed(name string) thingplus.Rule {
	hs.t.Helper()
	rules, err := hs.c.ListRules(context.Background(), hs.token)
	if err != nil {
		hs.t.Fatal(err)
	}
	for _, r := range rules {
		if r.Name == name {
			return r
		}
	}
	hs.t.Fatalf("no rule named %q", name)
	return thingplus.Rule{}
}

func TestHistoryEveryChangeDiffAndRestoreDeleted(t *testing.T) {
	hs := newHarness(t)
	st, _ := hs.withHistory()
	ctx := context.Background()

	// create, edit, switch off, delete — all through the app
	if r := hs.do("POST", "/rules", validForm(), "-"); r.Code != http.StatusNoContent {
		t.Fatalf("create: %d %s", r.Code, r.Body)
	}
	rule := hs.ruleNamed("Car 2 door 3 leaving")
	id := rule.ID
	if r := hs.do("POST", "/rules/"+id, with(validForm(), "t.degree", "-0.5"), "-"); r.Code != http.StatusNoContent {
		t.Fatalf("edit: %d %s", r.Code, r.Body)
	}
	if r := hs.do("POST", "/rules/"+id+"/status", url.Values{"status": {"deactivated"}}, "rule-"+hx(id)); r.Code != http.StatusOK {
		t.Fatalf("toggle: %d", r.Code)
	}
	if r := hs.do("POST", "/rules/"+id+"/delete", url.Values{"name": {"x"}}, "rule-"+hx(id)); r.Code != http.StatusOK {
		t.Fatalf("delete: %d", r.Code)
	}
	vs, err := st.Versions(ctx, "1", id)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, v := range vs {
		actions = append(actions, v.Action)
	}
	if strings.Join(actions, ",") != "delete,toggle,update,create" {
		t.Fatalf("snapshots %v, want delete,toggle,update,create", actions)
	}
	// the edit's snapshot holds the rule before the edit (degree 0), as Thing+ returned it
	var before thingplus.Rule
	_ = json.Unmarshal(vs[2].Body, &before)
	if before.ID != id || before.Trigger.Method.Param("degree") != "0" || before.Mtime == 0 {
		t.Fatalf("edit snapshot: %+v", before)
	}

	// the history page: the rule is gone, four versions
	r := hs.do("GET", "/rules/"+id+"/history", nil, "")
	if r.Code != http.StatusOK || r.find("version").Length() != 4 || r.find("history-deleted").Length() != 1 {
		t.Fatalf("history: %d versions=%d", r.Code, r.find("version").Length())
	}
	// diff of the create snapshot with the next (the edit's): the degree changed
	create := vs[3].ID
	r = hs.do("GET", "/rules/"+id+"/history/"+itoa(create)+"?with="+itoa(vs[2].ID), nil, "")
	if r.Code != http.StatusOK {
		t.Fatalf("diff: %d", r.Code)
	}
	if r.find("diff-row").Length() != 0 {
		t.Fatalf("create and pre-edit snapshots differ: %s", r.find("diff").Text())
	}
	r = hs.do("GET", "/rules/"+id+"/history/"+itoa(vs[1].ID)+"?with="+itoa(vs[0].ID), nil, "")
	if got := r.doc.Find(`[data-path="status"] .diff-new`).Text(); got != `"deactivated"` {
		t.Fatalf("toggle diff: status → %q\n%s", got, r.find("diff").Text())
	}
	if !strings.Contains(r.find("diff-old-summary").Text(), "is under -0.5") {
		t.Fatalf("old summary %q", r.find("diff-old-summary").Text())
	}

	// restore the pre-delete version: created again with a new id, and said so
	r = hs.do("POST", "/rules/"+id+"/history/"+itoa(vs[0].ID)+"/restore", url.Values{}, "-")
	loc := r.Header().Get("HX-Redirect")
	if r.Code != http.StatusNoContent || !strings.Contains(loc, "recreated="+id) {
		t.Fatalf("restore: %d %q", r.Code, loc)
	}
	again := hs.ruleNamed("Car 2 door 3 leaving")
	if again.ID == id || again.Status != thingplus.RuleDeactivated || again.Trigger.Method.Param("degree") != "-0.5" {
		t.Fatalf("recreated rule: id %s (old %s) status %s", again.ID, id, again.Status)
	}
	r = hs.do("GET", loc, nil, "")
	if !strings.Contains(r.Body.String(), "it is now rule "+again.ID) {
		t.Fatalf("the page does not say the new id: %s", r.find("rule-history").Text())
	}
	// restoring an older version onto the live rule snapshots it first
	r = hs.do("POST", "/rules/"+again.ID+"/history/"+itoa(mustLatest(t, st, again.ID))+"/restore", url.Values{}, "")
	if r.Code != http.StatusSeeOther {
		t.Fatalf("restore onto live rule: %d", r.Code)
	}
}

func mustLatest(t *testing.T, st *rulehistory.Store, id string) int64 {
	vs, err := st.Versions(context.Background(), "1", id)
	if err != nil || len(vs) == 0 {
		t.Fatalf("no versions of %s: %v", id, err)
	}
	return vs[0].ID
}

func itoa(n int64) string { return strconvFormat(n) }

func TestHistoryIsPerAccountAndRefusesUnsnapshottedChanges(t *testing.T) {
	hs := newHarness(t)
	st, db := hs.withHistory()
	v, err := st.Record(context.Background(), rulehistory.Version{Account: "2", RuleID: "99999", RuleName: "theirs", Action: "create", Actor: "other", Body: json.RawMessage(`{"name":"theirs"}`)})
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/rules/99999/history/" + itoa(v.ID), "/rules/99999/history"} {
		if r := hs.do("GET", path, nil, ""); r.Code != http.StatusNotFound || strings.Contains(r.Body.String(), "theirs") {
			t.Fatalf("%s as another account: %d", path, r.Code)
		}
	}
	if r := hs.do("POST", "/rules/99999/history/"+itoa(v.ID)+"/restore", url.Values{}, "-"); r.Code != http.StatusNotFound {
		t.Fatalf("restore of another account's version: %d", r.Code)
	}
	// the history database is gone: a switch is refused, the rule unchanged
	db.Close()
	rule := hs.rule("1")
	r := hs.do("POST", "/rules/1/status", url.Values{"status": {"deactivated"}}, "rule-1")
	if r.Code != http.StatusServiceUnavailable || !strings.Contains(r.Body.String(), "nothing was changed") {
		t.Fatalf("toggle without history: %d %s", r.Code, r.Body)
	}
	if hs.rule("1").Status != rule.Status {
		t.Fatal("the rule was switched without a snapshot")
	}
}

// TestExportImportRoundTrip exports demo's rules and imports them into the
// other account: a dry report first, then the import; a second import
// skips every identical rule.
func TestExportImportRoundTrip(t *testing.T) {
	hs := newHarness(t)
	hs.withHistory()
	ctx := context.Background()
	custom := thingplus.Rule{Name: "Virtual over 5", Severity: thingplus.SeverityWarning, Timezone: "+9.00", Status: thingplus.RuleActivated,
		Trigger: thingplus.Trigger{Agent: thingplus.AgentSensorValue, Type: "number",
			Method: thingplus.Method{ID: "over", Name: "over"}.WithParams(map[string]any{"degree": 5}),
			Filter: thingplus.TriggerFilter{Type: []string{"series"}, Gateway: thingplus.AllIDs(), Sensor: []string{"virtual-sensor-1"}}},
		Actions: [][]thingplus.RuleItem{{thingplus.PushAction(hs.push("virtual-sensor-1", "IN")), thingplus.EmailAction("a@b.c", "hi", "")}}}
	if _, err := hs.c.CreateRule(ctx, hs.token, custom); err != nil {
		t.Fatal(err)
	}
	r := hs.do("GET", "/rules/export", nil, "")
	if r.Code != http.StatusOK || !strings.Contains(r.Header().Get("Content-Disposition"), "attachment") {
		t.Fatalf("export: %d", r.Code)
	}
	file := r.Body.String() // the harness already checked: no webhook key in it
	var ex exportFile
	if err := json.Unmarshal([]byte(file), &ex); err != nil || len(ex.Rules) < 2 {
		t.Fatalf("export file: %v %d rules", err, len(ex.Rules))
	}

	// sign in as other
	otherTok, err := hs.sb.TokenFor("2")
	if err != nil {
		t.Fatal(err)
	}
	other := gin.New()
	other.Use(func(c *gin.Context) {
		web.SetSignedIn(c, thingplus.User{ID: "2", LoginID: "other", Timezone: "+9.00"}, otherTok)
		c.Next()
	})
	hs.h.Register(other)
	upload := func(op string) *goquery.Document {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		_ = mw.WriteField("mode", "skip")
		_ = mw.WriteField("op", op)
		fw, _ := mw.CreateFormFile("file", "rules.json")
		_, _ = fw.Write([]byte(file))
		mw.Close()
		req := httptest.NewRequest("POST", "/rules/import", &body)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("HX-Request", "true")
		w := httptest.NewRecorder()
		other.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			t.Fatalf("import %s: %d %s", op, w.Code, w.Body)
		}
		doc, _ := goquery.NewDocumentFromReader(w.Body)
		return doc
	}
	count := func() int {
		rules, err := hs.c.ListRules(ctx, otherTok)
		if err != nil {
			t.Fatal(err)
		}
		return len(rules)
	}
	n0 := count()
	doc := upload("check")
	if count() != n0 || !strings.Contains(doc.Text(), "Virtual over 5: would be created") {
		t.Fatalf("dry report changed something or misses the rule: %s", doc.Find(`[data-testid="import-report"]`).Text())
	}
	if doc.Find(`[data-testid="import-apply"]`).Length() != 1 {
		t.Fatal("no apply button after the check")
	}
	doc = upload("apply")
	if !strings.Contains(doc.Text(), "Virtual over 5: created") {
		t.Fatalf("import: %s", doc.Find(`[data-testid="import-report"]`).Text())
	}
	// the door rules name demo's sensors: Thing+ refuses them for other, and the report says so
	if !strings.Contains(doc.Text(), "failed") {
		t.Fatalf("demo's door rules were imported into other: %s", doc.Text())
	}
	var got thingplus.Rule
	rules, _ := hs.c.ListRules(ctx, otherTok)
	for _, x := range rules {
		if x.Name == custom.Name {
			got = x
		}
	}
	if !rulehistory.Same(got.Body(), hs.ruleNamed(custom.Name).Body()) {
		t.Fatalf("the imported rule differs:\n%s\n%s", got.Body(), hs.ruleNamed(custom.Name).Body())
	}
	n1 := count()
	doc = upload("apply")
	if count() != n1 || !strings.Contains(doc.Text(), "Virtual over 5: skipped: an identical rule exists") {
		t.Fatalf("second import: %d → %d rules: %s", n1, count(), doc.Text())
	}
}

func strconvFormat(n int64) string { return strconv.FormatInt(n, 10) }
