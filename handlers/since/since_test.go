package since

import (
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/gin-gonic/gin"
	_ "modernc.org/sqlite"

	"github.com/thingplus/thingplus-webapp/apptest"
	"github.com/thingplus/thingplus-webapp/handlers/web"
	"github.com/thingplus/thingplus-webapp/lastvisit"
	"github.com/thingplus/thingplus-webapp/rulehistory"
	"github.com/thingplus/thingplus-webapp/thingplus"
	"github.com/thingplus/thingplus-webapp/thingplus/sandbox"
	"github.com/thingplus/thingplus-webapp/wiring"
)

// TestSinceLastVisit drives the box with a fake clock against the real
// sandbox and real SQLite stores: nothing on the first visit; after two
// hours, a rule that fired twice, a gateway that went silent and a rule
// change, each linking to its screen; hidden on screens once dismissed.
func TestSinceLastVisit(t *testing.T) {
	gin.SetMode(gin.TestMode)
	sb := sandbox.New(sandbox.Options{SimulatorPace: -1, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	t.Cleanup(sb.Close)
	api := httptest.NewServer(sb.Handler())
	t.Cleanup(api.Close)
	tp, _ := thingplus.New(api.URL + "/v2")
	token, _ := sb.TokenFor("1")
	db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "app.db")+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ctx := context.Background()
	clock := &apptest.Clock{}
	visits, _ := lastvisit.Open(ctx, db, clock.Now)
	hist, _ := rulehistory.Open(ctx, db, clock.Now)
	gw := map[string][2]string{"b827ebd0a002": {"Climate", "on"}}
	h := New(lastvisit.Digester{Store: visits, Sources: lastvisit.Sources{
		Gateways:  func(context.Context, string) (map[string][2]string, error) { return gw, nil },
		Timelines: tp, History: hist,
	}}, visits)
	r := gin.New()
	r.Use(func(c *gin.Context) {
		web.SetSignedIn(c, thingplus.User{ID: "1", LoginID: "demo", Timezone: "+9.00"}, token)
		c.Next()
	})
	h.Register(r)
	get := func(path string) *goquery.Document {
		req := httptest.NewRequest("GET", path, nil)
		req.Header.Set("HX-Request", "true")
		w := httptest.NewRecorder()
		r.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			t.Fatalf("%s: %d", path, w.Code)
		}
		doc, _ := goquery.NewDocumentFromReader(w.Body)
		return doc
	}

	if d := get("/since?home=1"); d.Find(`[data-testid="since-first"]`).Length() != 1 {
		t.Fatalf("first visit: %s", d.Text())
	}
	if d := get("/since"); d.Find(`[data-testid="since-box"]`).Length() != 0 {
		t.Fatal("a screen shows the box on the first visit")
	}
	clock.Advance(2 * time.Hour)

	// while away: a rule fires twice, the climate gateway goes silent, a rule is edited
	rule := wiring.DoorRule("+9.00", "b827ebd0a002-0-temperature", "IN", "")
	rule.Name, rule.Trigger.Type = "Hot", "temperature"
	rule.Trigger.Method = thingplus.Method{ID: "over", Name: "over"}.WithParams(map[string]any{"degree": 1000})
	rule.Actions = [][]thingplus.RuleItem{{thingplus.EmailAction("ops@example.com", "hot", "")}}
	created, err := tp.CreateRule(ctx, token, rule)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Now()
	for i, v := range []string{"1001", "20", "1002"} {
		if err := sb.PushValue("b827ebd0a002-0-temperature", v, at.Add(time.Duration(i+1)*time.Millisecond)); err != nil {
			t.Fatal(err)
		}
	}
	body, _ := json.Marshal(created)
	if _, err := hist.Record(ctx, rulehistory.Version{Account: "1", RuleID: created.ID, RuleName: "Hot", Action: rulehistory.Update, Actor: "other-admin", Body: body}); err != nil {
		t.Fatal(err)
	}
	gw = map[string][2]string{"b827ebd0a002": {"Climate", "off"}}
	clock.Advance(2 * time.Hour) // a new visit

	var lines map[string]string
	deadline := time.Now().Add(10 * time.Second)
	for {
		lines = map[string]string{}
		d := get("/since?home=1")
		d.Find(`[data-testid="since-line"]`).Each(func(_ int, s *goquery.Selection) {
			k, _ := s.Attr("data-kind")
			href, _ := s.Find("a").Attr("href")
			lines[k] = strings.TrimSpace(s.Text()) + " → " + href
		})
		if strings.Contains(lines["fired"], "2 times") || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond) // the sandbox engine fires asynchronously
	}
	for kind, want := range map[string]string{
		"fired":  "Rule “Hot” fired 2 times. → /events",
		"silent": "Gateway Climate went silent (off). → /gateways/b827ebd0a002",
		"change": "Rule “Hot” was edited by other-admin. → /rules/" + created.ID + "/history",
	} {
		if lines[kind] != want {
			t.Errorf("%s: %q, want %q", kind, lines[kind], want)
		}
	}
	// a screen's box can be hidden for the rest of the visit
	if d := get("/since"); d.Find(`[data-testid="since-dismiss"]`).Length() != 1 {
		t.Fatal("no dismiss button on a screen's box")
	}
	req := httptest.NewRequest("POST", "/since/dismiss", nil)
	req.Header.Set("HX-Request", "true")
	w := httptest.NewRecorder()
	r.ServeHTTP(w, req)
	if w.Code != http.StatusOK {
		t.Fatalf("dismiss: %d", w.Code)
	}
	if d := get("/since"); d.Find(`[data-testid="since-box"]`).Length() != 0 {
		t.Fatal("the box came back on a screen after hiding it")
	}
	if d := get("/since?home=1"); d.Find(`[data-testid="since-line"]`).Length() == 0 {
		t.Fatal("the home lost its summary")
	}
}
