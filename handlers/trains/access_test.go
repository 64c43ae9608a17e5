package trains

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/thingplus/thingplus-webapp/trains"
)

// dbState dumps everything access could change: trains, cars, doors,
// shares, tokens and the sizes of the event log and the duplicate keys.
func (e *env) dbState() string {
	e.t.Helper()
	db, err := sql.Open("sqlite", "file:"+url.PathEscape(filepath.Join(e.dir, trains.DBFile))+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		e.t.Fatal(err)
	}
	defer db.Close()
	var b strings.Builder
	for _, q := range []string{
		"SELECT id, name, running, owner_id, owner_login FROM trains ORDER BY id",
		"SELECT id, train_id, position, capacity, count, updated_at FROM cars ORDER BY id",
		"SELECT sensor_id, car_id, label, inverted FROM doors ORDER BY sensor_id",
		"SELECT train_id, login_id, role FROM train_shares ORDER BY train_id, login_id",
		"SELECT hash, train_id, expires_at FROM train_tokens ORDER BY hash",
		"SELECT count(*), coalesce(max(id), 0) FROM events",
		"SELECT count(*) FROM event_keys",
	} {
		rows, err := db.Query(q)
		if err != nil {
			e.t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				e.t.Fatal(err)
			}
			fmt.Fprintln(&b, vals...)
		}
		rows.Close()
	}
	return b.String()
}

// walkCase is one trains route called by an account that may not do it.
type walkCase struct {
	path, ctype, body string
	stranger          int // status for another account (no access)
	viewer            int // status for a viewer of train 1000
}

// TestEveryRouteChecksAccess walks every trains route of the route table
// as "other" against "demo"'s ids (through the real sandbox: real users and
// tokens), first with no access, then as a viewer: 404 and 403 (or an
// answer that shows nothing of demo's), and the database unchanged. A new
// trains route without a case here fails the test.
func TestEveryRouteChecksAccess(t *testing.T) {
	s := newSandboxEnv(t)
	door := sensor(1, 1)
	const j = "application/json"
	cases := map[string]walkCase{
		"GET /trains":                       {"/trains", "", "", 200, 200},
		"GET /trains/stream":                {"", "", "", 200, 200}, // read below: no demo train for a stranger
		"GET /trains/poll":                  {"/trains/poll?tab=t", "", "", 200, 200},
		"GET /trains/list":                  {"/trains/list", "", "", 200, 200},
		"GET /trains/sensors":               {"/trains/sensors", "", "", 200, 200}, // the caller's own Thing+ sensors
		"GET /trains/events":                {"/trains/events?train=1000", "", "", 404, 200},
		"GET /trains/events.csv":            {"/trains/events.csv?car=2000", "", "", 404, 200},
		"POST /trains":                      {"/trains", formType, form("name", ""), 422, 422},
		"POST /trains/:id/rename":           {"/trains/1000/rename", formType, form("name", "mine"), 404, 403},
		"POST /trains/:id/running":          {"/trains/1000/running", formType, form("running", "false"), 404, 403},
		"POST /trains/:id/reset":            {"/trains/1000/reset", formType, "", 404, 403},
		"POST /trains/:id/delete":           {"/trains/1000/delete", formType, "", 404, 403},
		"POST /trains/:id/cars":             {"/trains/1000/cars", formType, form("capacity", "5"), 404, 403},
		"POST /trains/:id/share":            {"/trains/1000/share", formType, form("login", "third", "role", "editor"), 404, 403},
		"POST /trains/:id/unshare":          {"/trains/1000/unshare", formType, form("login", "other"), 404, 403},
		"POST /trains/:id/token/rotate":     {"/trains/1000/token/rotate", formType, "", 404, 403},
		"POST /trains/:id/rules/repoint":    {"/trains/1000/rules/repoint", formType, "", 404, 403},
		"POST /trains/:id/claim":            {"/trains/1000/claim", formType, "", 404, 409},
		"POST /trains/cars/:id/capacity":    {"/trains/cars/2000/capacity", formType, form("capacity", "9"), 404, 403},
		"POST /trains/cars/:id/correct":     {"/trains/cars/2000/correct", formType, form("count", "9", "reason", "x"), 404, 403},
		"POST /trains/cars/:id/reset":       {"/trains/cars/2000/reset", formType, "", 404, 403},
		"POST /trains/cars/:id/position":    {"/trains/cars/2000/position", formType, form("position", "3"), 404, 403},
		"POST /trains/cars/:id/move":        {"/trains/cars/2000/move", formType, form("trainId", "1002"), 404, 403},
		"POST /trains/cars/:id/delete":      {"/trains/cars/2000/delete", formType, "", 404, 403},
		"POST /trains/cars/:id/doors":       {"/trains/cars/2000/doors", formType, form("sensorId", "b827ebd0a002-x"), 404, 403},
		"POST /trains/doors/unassign":       {"/trains/doors/unassign", formType, form("sensorId", door), 404, 403},
		"POST /trains/doors/wire":           {"/trains/doors/wire", formType, form("sensorId", door), 404, 403},
		"POST /trains/:id/levels":           {"/trains/1000/levels", formType, form("spacious", "70", "normal", "120", "caution", "140"), 404, 403},
		"POST /trains/:id/schedule":         {"/trains/1000/schedule", formType, form("on", "true", "at", "01:00", "zone", "Asia/Seoul"), 404, 403},
		"GET /trains/:id/history":           {"/trains/1000/history", "", "", 404, 200},
		"GET /trains/cars/:id/rules":        {"/trains/cars/2000/rules", "", "", 404, 403}, // the owner's Thing+ rules
		"POST /trains/flags/:id/dismiss":    {"/trains/flags/1/dismiss", formType, form("note", "not mine"), 404, 403},
		"GET /api/trains":                   {"/api/trains", "", "", 200, 200},
		"GET /api/train/:id":                {"/api/train/1000", "", "", 404, 200},
		"GET /api/cars/:id":                 {"/api/cars/2000", "", "", 404, 200},
		"GET /api/sensors/:carId":           {"/api/sensors/2000", "", "", 404, 200},
		"POST /api/train":                   {"/api/train", j, `{"trainId":1000,"isRunning":"false"}`, 404, 403},
		"PUT /api/train":                    {"/api/train", j, `{"name":""}`, 400, 400},
		"POST /api/car":                     {"/api/car", j, `{"carId":2000,"trainId":1002}`, 404, 403},
		"PUT /api/sensor":                   {"/api/sensor", j, `{"sensorId":"b827ebd0a002-x","carId":2000}`, 404, 403},
		"POST /api/sensor":                  {"/api/sensor", j, `{"sensorId":"` + door + `","carId":2001}`, 404, 403},
		"DELETE /api/sensor":                {"/api/sensor", j, `{"sensorId":"` + door + `"}`, 404, 403},
		"POST /api/trigger/:sensorId/:type": {}, // the webhook: tokens, not sessions (TestTokenOfAnotherTrain)
		"POST /api/trigger":                 {},
	}
	for _, r := range s.routes {
		if _, ok := cases[r.Method+" "+r.Path]; !ok {
			t.Errorf("route %s %s has no access case in this test", r.Method, r.Path)
		}
	}
	// A health flag on demo's car 2000 (above twice the capacity for 11 minutes).
	if err := s.store.CorrectCount(context.Background(), 2000, 400, "test"); err != nil {
		t.Fatal(err)
	}
	if f, err := s.store.CheckHealth(context.Background(), time.Now().Add(11*time.Minute)); err != nil || len(f) != 1 || f[0].ID != 1 {
		t.Fatalf("flag: %+v %v", f, err)
	}
	// Leaks: demo's names, sensors and token never reach other.
	tok, _ := s.store.Token(context.Background(), 1000)
	leaks := []string{"신림-성수", "잠실-을지로3가", door, tok.Token}
	walk := func(as string, role string) {
		before := s.dbState()
		for _, r := range s.routes {
			c := cases[r.Method+" "+r.Path]
			if c.path == "" {
				continue
			}
			want := c.stranger
			if role == "viewer" {
				want = c.viewer
			}
			for _, htmx := range []bool{false, true} {
				resp, body := s.do(req{method: r.Method, path: c.path, ctype: c.ctype, body: c.body, as: as, htmx: htmx})
				if resp.StatusCode != want {
					t.Errorf("%s: %s %s (htmx %v): %d, want %d", role, r.Method, c.path, htmx, resp.StatusCode, want)
				}
				for _, l := range leaks {
					if role == "stranger" && strings.Contains(body, l) || role == "viewer" && l == tok.Token && strings.Contains(body, l) {
						t.Errorf("%s: %s %s shows %q", role, r.Method, c.path, l)
					}
				}
				if resp.StatusCode == 403 && r.Method != "GET" && !strings.HasPrefix(c.path, "/api/") &&
					!strings.Contains(body, "viewer may not do this") {
					t.Errorf("%s %s: 403 without the reason: %s", r.Method, c.path, body)
				}
			}
		}
		// The stream: a stranger's snapshot has none of demo's trains.
		st := s.openStreamAs(as, "walk")
		ev := st.until(t, "snapshot")
		st.close()
		if has := strings.Contains(ev.data, `data-train-id="1000"`); has != (role == "viewer") {
			t.Errorf("%s: stream snapshot shows train 1000: %v", role, has)
		}
		if after := s.dbState(); after != before {
			t.Errorf("%s changed the database:\nbefore %s\nafter  %s", role, before, after)
		}
	}
	walk("2", "stranger")
	if err := s.store.ShareTrain(context.Background(), 1000, "other", trains.RoleViewer); err != nil {
		t.Fatal(err)
	}
	walk("2", "viewer")
}

// TestViewerAndEditor: what each role sees on the page, and what an
// editor may change.
func TestViewerAndEditor(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	e.store.ShareTrain(ctx, 1000, "other", trains.RoleViewer)
	_, body := e.do(req{method: "GET", path: "/trains", as: "2"})
	d := doc(t, body)
	tr := d.Find(`[data-train-id="1000"]`)
	if d.Find(`[data-testid="train"]`).Length() != 1 || tr.Find(`[data-testid="car"]`).Length() != 3 {
		t.Fatalf("viewer sees %d trains", d.Find(`[data-testid="train"]`).Length())
	}
	if tr.Find(`[data-testid="car-manage"], [data-testid="train-manage"], [data-testid="owner-panel"]`).Length() != 0 {
		t.Fatal("viewer gets manage controls")
	}
	if role := tr.Find(`[data-testid="train-role"]`).Text(); role != "Shared with you as viewer by demo" {
		t.Fatalf("role badge %q", role)
	}
	tok, _ := e.store.Token(ctx, 1000)
	if strings.Contains(body, tok.Token) || strings.Contains(body, testKey) {
		t.Fatal("viewer sees a key")
	}
	// Events and CSV of the shared train.
	e.do(req{method: "POST", path: "/api/trigger/" + sensor(1, 1) + "/IN?key=" + tok.Token})
	if resp, body := e.do(req{method: "GET", path: "/trains/events.csv?train=1000", as: "2"}); resp.StatusCode != 200 || !strings.Contains(body, sensor(1, 1)) {
		t.Fatalf("viewer csv: %d", resp.StatusCode)
	}
	// Editor: cars and counts, not delete, share or the token.
	e.store.ShareTrain(ctx, 1000, "other", trains.RoleEditor)
	_, body = e.do(req{method: "GET", path: "/trains", as: "2"})
	tr = doc(t, body).Find(`[data-train-id="1000"]`)
	if tr.Find(`[data-testid="car-manage"]`).Length() != 3 || tr.Find(`[data-testid="delete-train"], [data-testid="owner-panel"], [data-testid="rename"]`).Length() != 0 {
		t.Fatal("editor controls")
	}
	if strings.Contains(body, tok.Token) {
		t.Fatal("editor sees the token")
	}
	if resp, _ := e.do(req{method: "POST", path: "/trains/cars/2000/correct", ctype: formType, body: form("count", "3", "reason", "head count"), as: "2", htmx: true}); resp.StatusCode != 200 || e.count(2000) != 3 {
		t.Fatalf("editor correct: %d, count %d", resp.StatusCode, e.count(2000))
	}
	for _, p := range []string{"/trains/1000/delete", "/trains/1000/share", "/trains/1000/token/rotate", "/trains/1000/rename"} {
		if resp, _ := e.do(req{method: "POST", path: p, ctype: formType, body: form("login", "x", "role", "viewer", "name", "x"), as: "2", htmx: true}); resp.StatusCode != 403 {
			t.Errorf("editor %s: %d", p, resp.StatusCode)
		}
	}
	// A car cannot be moved to a train the editor does not manage.
	e.do(req{method: "POST", path: "/trains", ctype: formType, body: form("name", "other's own"), as: "2"})
	ts, _ := e.store.TrainsFor(ctx, trains.Principal{UserID: "2", LoginID: "other"})
	if len(ts) != 2 || ts[1].OwnerLogin != "other" {
		t.Fatalf("other's train: %+v", ts)
	}
	if resp, _ := e.do(req{method: "POST", path: "/trains/cars/2003/move", ctype: formType, body: form("trainId", fmt.Sprint(ts[1].ID)), as: "2", htmx: true}); resp.StatusCode != 404 {
		t.Fatalf("move a car of an unshared train: %d", resp.StatusCode)
	}
	// demo does not see other's train.
	if ts, _ := e.store.TrainsFor(ctx, trains.Principal{UserID: "1", LoginID: "demo"}); len(ts) != 3 {
		t.Fatalf("demo sees %d trains", len(ts))
	}
}

// TestRevokeEndsStream: a viewer's open stream gets the shared train's
// counts, and ends when the owner revokes the share; another account's
// stream never gets them.
func TestRevokeEndsStream(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	e.store.ShareTrain(ctx, 1000, "other", trains.RoleViewer)
	viewer := e.openStreamAs("2", "v")
	defer viewer.close()
	if ev := viewer.until(t, "snapshot"); !strings.Contains(ev.data, `data-train-id="1000"`) {
		t.Fatal("viewer snapshot without the shared train")
	}
	tok, _ := e.store.Token(ctx, 1000)
	tok2, _ := e.store.Token(ctx, 1002)
	if resp, _ := e.do(req{method: "POST", path: "/api/trigger/" + sensor(1, 1) + "/IN?key=" + tok.Token}); resp.StatusCode != 204 {
		t.Fatal(resp.Status)
	}
	if ev := viewer.until(t, "car-2000"); !strings.Contains(ev.data, `data-testid="car-count">1<`) {
		t.Fatalf("car event: %s", ev.data)
	}
	// A count of an unshared train (1002) never reaches the viewer; the
	// next count of 1000 does, so nothing was in between.
	e.store.AssignDoor(ctx, 2003, trains.Door{SensorID: "b827ebd0a002-1-door1"})
	e.do(req{method: "POST", path: "/api/trigger/b827ebd0a002-1-door1/IN?key=" + tok2.Token})
	e.do(req{method: "POST", path: "/api/trigger/" + sensor(1, 1) + "/IN?key=" + tok.Token})
	for {
		ev := viewer.next(t, 3*time.Second)
		if ev.name == "car-2003" {
			t.Fatal("the viewer got a car of a train not shared with it")
		}
		if ev.name == "car-2000" {
			break
		}
	}
	if err := e.store.UnshareTrain(ctx, 1000, "other"); err != nil {
		t.Fatal(err)
	}
	ended := make(chan bool, 1)
	go func() {
		for viewer.sc.Scan() {
			if strings.HasPrefix(viewer.sc.Text(), "event: car-") {
				ended <- false
				return
			}
		}
		ended <- true
	}()
	e.do(req{method: "POST", path: "/api/trigger/" + sensor(1, 1) + "/IN?key=" + tok.Token})
	select {
	case ok := <-ended:
		if !ok {
			t.Fatal("a count reached the stream after the share was revoked")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the revoked viewer's stream did not end")
	}
	// Reconnecting, the list no longer has the train.
	again := e.openStreamAs("2", "v")
	defer again.close()
	if ev := again.until(t, "snapshot"); strings.Contains(ev.data, `data-train-id="1000"`) {
		t.Fatal("revoked train still in the snapshot")
	}
}

// TestAdminClaimsUnownedTrain: a train from before owners is shown, read
// only and with a Claim button, to TRAINS_ADMINS only; the admin who claims
// it owns it.
func TestAdminClaimsUnownedTrain(t *testing.T) {
	e := newEnvStore(t, nil, 30*time.Second, trains.Options{Admins: []string{"other"}})
	ctx := context.Background()
	old, err := e.store.CreateTrain(ctx, trains.NewTrain{Name: "before owners"}) // no owner
	if err != nil {
		t.Fatal(err)
	}
	id := fmt.Sprint(old.ID)
	_, body := e.do(req{method: "GET", path: "/trains", user: true})
	if strings.Contains(body, "before owners") {
		t.Fatal("a non-admin sees the unowned train")
	}
	_, body = e.do(req{method: "GET", path: "/trains", as: "2"})
	tr := doc(t, body).Find(`[data-train-id="` + id + `"]`)
	if tr.Length() != 1 || tr.Find(`[data-testid="claim"]`).Length() != 1 || tr.Find(`[data-testid="train-manage"]`).Length() != 0 {
		t.Fatal("admin view of an unowned train")
	}
	if resp, _ := e.do(req{method: "POST", path: "/trains/" + id + "/claim", as: "1", htmx: true}); resp.StatusCode != 404 {
		t.Fatalf("a non-admin claims: %d", resp.StatusCode)
	}
	if resp, _ := e.do(req{method: "POST", path: "/trains/" + id + "/claim", as: "2", htmx: true}); resp.StatusCode != 200 {
		t.Fatalf("claim: %d", resp.StatusCode)
	}
	got, _ := e.store.TrainFor(ctx, trains.Principal{UserID: "2", LoginID: "other"}, old.ID)
	if got.Role != trains.RoleOwner || got.OwnerLogin != "other" {
		t.Fatalf("after claim: %+v", got)
	}
}
