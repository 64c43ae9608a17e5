package trains

import (
	"context"
	"database/sql"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// fakeClock is a settable clock for tests.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func openOpts(t testing.TB, dir string, opt Options) *Store {
	t.Helper()
	return testBackend{"sqlite"}.openOpts(t, dir, opt)
}

// openOpts opens dir (a new one when "") with opt and closes it at the end.
func (b testBackend) openOpts(t testing.TB, dir string, opt Options) *Store {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	s, err := b.open(t, dir, opt)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

var (
	demo  = Principal{UserID: "1", LoginID: "demo"}
	other = Principal{UserID: "2", LoginID: "other"}
)

func TestSeedBelongsToDemo(t *testing.T) { contract(t, testSeedBelongsToDemo) }

func testSeedBelongsToDemo(t *testing.T, tb testBackend) {
	s := tb.openTest(t, "")
	ctx := context.Background()
	ts, err := s.TrainsFor(ctx, demo)
	if err != nil || len(ts) != 3 || ts[0].OwnerLogin != "demo" || ts[0].Role != RoleOwner {
		t.Fatalf("demo: %+v %v", ts, err)
	}
	if ts, _ := s.TrainsFor(ctx, other); len(ts) != 0 {
		t.Fatalf("other sees %d trains", len(ts))
	}
	if _, err := s.TrainFor(ctx, other, 1000); !errors.Is(err, ErrNotFound) {
		t.Fatalf("other reads 1000: %v", err)
	}
	if _, err := s.Authorize(ctx, other, 1000, RoleViewer); !errors.Is(err, ErrNotFound) {
		t.Fatalf("authorize other: %v", err)
	}
	// NoSeed: a real Thing+ starts empty.
	if ts, _ := tb.openOpts(t, "", Options{NoSeed: true}).Trains(ctx); len(ts) != 0 {
		t.Fatalf("NoSeed: %d trains", len(ts))
	}
}

func TestSharing(t *testing.T) { contract(t, testSharing) }

func testSharing(t *testing.T, tb testBackend) {
	s := tb.openTest(t, "")
	ctx := context.Background()
	if err := s.ShareTrain(ctx, 1000, "other", RoleViewer); err != nil {
		t.Fatal(err)
	}
	ts, _ := s.TrainsFor(ctx, other)
	if len(ts) != 1 || ts[0].ID != 1000 || ts[0].Role != RoleViewer || len(ts[0].Cars) != 3 {
		t.Fatalf("shared: %+v", ts)
	}
	if _, err := s.Authorize(ctx, other, 1000, RoleEditor); !errors.Is(err, ErrForbidden) {
		t.Fatalf("viewer edits: %v", err)
	}
	if err := s.ShareTrain(ctx, 1000, "other", RoleEditor); err != nil {
		t.Fatal(err)
	}
	if r, err := s.Authorize(ctx, other, 1000, RoleEditor); err != nil || r != RoleEditor {
		t.Fatalf("editor: %v %v", r, err)
	}
	if _, err := s.Authorize(ctx, other, 1000, RoleOwner); !errors.Is(err, ErrForbidden) {
		t.Fatalf("editor owns: %v", err)
	}
	if err := s.ShareTrain(ctx, 1000, "demo", RoleViewer); !errors.Is(err, ErrInvalid) {
		t.Fatalf("share with the owner: %v", err)
	}
	if err := s.UnshareTrain(ctx, 1000, "other"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authorize(ctx, other, 1000, RoleViewer); !errors.Is(err, ErrNotFound) {
		t.Fatalf("after revoke: %v", err)
	}
	if err := s.UnshareTrain(ctx, 1000, "other"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("revoke twice: %v", err)
	}
}

func TestTokens(t *testing.T) { contract(t, testTokens) }

func testTokens(t *testing.T, tb testBackend) {
	clock := &fakeClock{t: time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)}
	dir := t.TempDir()
	s := tb.openOpts(t, dir, Options{Now: clock.Now, TokenSecret: []byte("0123456789abcdef0123456789abcdef"), TokenGrace: time.Hour})
	ctx := context.Background()
	a, err := s.Token(ctx, 1000)
	if err != nil || len(a.Token) != 64 {
		t.Fatalf("token: %q %v", a.Token, err)
	}
	b, _ := s.Token(ctx, 1002)
	if a.Token == b.Token {
		t.Fatal("two trains share a token")
	}
	if id, ok := s.TokenTrain(a.Token); !ok || id != 1000 {
		t.Fatalf("lookup: %d %v", id, ok)
	}
	if _, ok := s.TokenTrain("not-a-token"); ok {
		t.Fatal("made-up token accepted")
	}
	// Stored hashed: the token is nowhere in the database.
	if tb.name == "sqlite" {
		raw, _ := os.ReadFile(filepath.Join(dir, DBFile))
		wal, _ := os.ReadFile(filepath.Join(dir, DBFile+"-wal"))
		if containsStr(raw, a.Token) || containsStr(wal, a.Token) {
			t.Fatal("token stored in clear")
		}
	} else {
		var n int
		if err := s.rdb.QueryRow("SELECT count(*) FROM train_tokens WHERE hash = ? OR nonce = ?", a.Token, a.Token).Scan(&n); err != nil || n != 0 {
			t.Fatalf("token stored in clear: %d %v", n, err)
		}
	}
	// A token counts only its own train's sensors.
	if _, err := s.Apply(ctx, Push{TrainID: 1002, SensorID: SeedSensorID(1, 1), Type: TypeIn}); !errors.Is(err, ErrWrongTrain) {
		t.Fatalf("wrong train: %v", err)
	}
	if c := mustCar(t, s, 2000); c.Count != 0 {
		t.Fatalf("wrong train counted: %d", c.Count)
	}
	if _, err := s.Apply(ctx, Push{TrainID: 1000, SensorID: SeedSensorID(1, 1), Type: TypeIn}); err != nil {
		t.Fatal(err)
	}
	// Rotation: the old token works until the grace ends.
	rot, err := s.RotateToken(ctx, 1000)
	if err != nil || rot.Token == a.Token || !rot.GraceUntil.Equal(clock.Now().Add(time.Hour)) {
		t.Fatalf("rotate: %+v %v", rot, err)
	}
	for _, tok := range []string{a.Token, rot.Token} {
		if id, ok := s.TokenTrain(tok); !ok || id != 1000 {
			t.Fatalf("during grace %q: %d %v", tok[:6], id, ok)
		}
	}
	clock.Add(time.Hour)
	if _, ok := s.TokenTrain(a.Token); ok {
		t.Fatal("old token after the grace")
	}
	if _, ok := s.TokenTrain(rot.Token); !ok {
		t.Fatal("new token refused")
	}
	// The same secret derives the same tokens after a restart.
	s.Close()
	s2 := tb.openOpts(t, dir, Options{Now: clock.Now, TokenSecret: []byte("0123456789abcdef0123456789abcdef")})
	if again, _ := s2.Token(ctx, 1000); again.Token != rot.Token {
		t.Fatal("token changed across restarts")
	}
}

func containsStr(b []byte, s string) bool {
	return len(s) > 0 && len(b) >= len(s) && string(b) != "" && indexOf(b, s) >= 0
}

func indexOf(b []byte, s string) int {
	for i := 0; i+len(s) <= len(b); i++ {
		if string(b[i:i+len(s)]) == s {
			return i
		}
	}
	return -1
}

// TestRejectFloodBound: 100,000 bad-key rejections are all counted, but the
// event log takes at most the budget per minute plus one summary row, and
// the database grows by far less than 1 MiB.
func TestRejectFloodBound(t *testing.T) { contract(t, testRejectFloodBound) }

func testRejectFloodBound(t *testing.T, tb testBackend) {
	clock := &fakeClock{t: time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)}
	dir := t.TempDir()
	s := tb.openOpts(t, dir, Options{Now: clock.Now})
	ctx := context.Background()
	size := func() int64 { return DiskSize(t, dir) }
	if tb.name == "postgres" {
		size = func() int64 {
			var n int64
			if err := s.rdb.QueryRow("SELECT pg_total_relation_size('events')").Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	before := size()
	const n = 100_000
	for i := range n {
		if i == n/2 {
			clock.Add(time.Minute) // a second minute: a new budget, and the first one's summary
		}
		if err := s.LogRejected(ctx, Rejected{SensorID: "x", Type: "IN", Outcome: OutcomeBadKey, Reason: "missing or wrong webhook key"}); err != nil {
			t.Fatal(err)
		}
	}
	clock.Add(time.Minute)
	s.flushRejects(ctx)
	if got := s.Rejections()[OutcomeBadKey]; got != n {
		t.Fatalf("counted %d, want %d", got, n)
	}
	evs, _ := s.Events(ctx, EventFilter{Outcome: OutcomeBadKey, Limit: 1000})
	if len(evs) != 2*DefaultRejectBudget+2 {
		t.Fatalf("logged %d rows, want %d", len(evs), 2*DefaultRejectBudget+2)
	}
	if evs[0].Type != "SUMMARY" || evs[0].Reason != "and 49940 more bad key pushes in that minute (not logged one by one)" {
		t.Fatalf("summary: %+v", evs[0])
	}
	if grew := size() - before; grew > 1<<20 {
		t.Fatalf("database grew %d bytes", grew)
	}
}

func TestRetention(t *testing.T) { contract(t, testRetention) }

func testRetention(t *testing.T, tb testBackend) {
	clock := &fakeClock{t: time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)}
	s := tb.openOpts(t, "", Options{Now: clock.Now, EventsRetention: 90 * 24 * time.Hour, DedupeWindow: 7 * 24 * time.Hour})
	ctx := context.Background()
	push := func(key string) {
		t.Helper()
		if _, err := s.Apply(ctx, Push{SensorID: SeedSensorID(1, 1), Type: TypeIn, EventKey: key}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 1200 { // more than two batches
		push("old-" + itoa(i))
	}
	clock.Add(8 * 24 * time.Hour)
	push("new")
	r, err := s.Retain(ctx)
	if err != nil || r.Keys != 1200 || r.Events != 0 {
		t.Fatalf("after 8 days: %+v %v", r, err)
	}
	// The key of a retained push is gone: the same key counts again; the
	// recent one is still a duplicate.
	if res, _ := s.Apply(ctx, Push{SensorID: SeedSensorID(1, 1), Type: TypeIn, EventKey: "new"}); res.Outcome != OutcomeDuplicate {
		t.Fatalf("recent key: %s", res.Outcome)
	}
	clock.Add(83 * 24 * time.Hour) // the first pushes are 91 days old
	r, err = s.Retain(ctx)
	if err != nil || r.Events != 1200 {
		t.Fatalf("after 91 days: %+v %v", r, err)
	}
	evs, _ := s.Events(ctx, EventFilter{Limit: 1000})
	if len(evs) != 2 {
		t.Fatalf("%d events left", len(evs))
	}
	// The seed marker stays: a fresh start must not seed again.
	var seeds int
	s.rdb.QueryRow("SELECT count(*) FROM events WHERE type = 'SEED'").Scan(&seeds)
	if seeds != 1 {
		t.Fatal("seed marker deleted")
	}
}

func itoa(i int) string { return string(rune('a'+i%26)) + "-" + time.Duration(i).String() }

// TestMigrateOwnerless: a database from before owners keeps its trains;
// only admins see them, until one claims one.
func TestMigrateOwnerless(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, DBFile)
	db, err := sql.Open("sqlite", "file:"+url.PathEscape(path))
	if err != nil {
		t.Fatal(err)
	}
	first, err := migrationFiles("sqlite")
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{first[0].sql, "PRAGMA user_version = 1",
		"INSERT INTO trains(id, name, running) VALUES(7, 'old line', 1)",
		"INSERT INTO cars(id, train_id, position, capacity, count) VALUES(70, 7, 1, 10, 4)",
		"INSERT INTO doors(sensor_id, car_id) VALUES('gw-1-door1', 70)",
		"INSERT INTO event_keys(key) VALUES('k1')",
		"INSERT INTO events(time, type, outcome, reason) VALUES(1, 'SEED', 'seeded', 'demo data')"} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()
	s := openOpts(t, dir, Options{Admins: []string{"ops"}})
	ctx := context.Background()
	admin := Principal{UserID: "9", LoginID: "ops"}
	ts, err := s.TrainsFor(ctx, admin)
	if err != nil || len(ts) != 1 || ts[0].Cars[0].Count != 4 || ts[0].OwnerID != "" || ts[0].Role != RoleViewer {
		t.Fatalf("admin: %+v %v", ts, err)
	}
	if ts, _ := s.TrainsFor(ctx, demo); len(ts) != 0 {
		t.Fatal("a non-admin sees an unowned train")
	}
	if _, err := s.Token(ctx, 7); err != nil {
		t.Fatalf("migrated train has no token: %v", err)
	}
	if res, _ := s.Apply(ctx, Push{SensorID: "gw-1-door1", Type: TypeIn, EventKey: "k1"}); res.Outcome != OutcomeDuplicate {
		t.Fatal("dedupe key lost in the migration")
	}
	if ts[0].OwnerZone != "" {
		t.Fatalf("an old train knows its owner's zone: %q", ts[0].OwnerZone)
	}
	// The admin who claims it brings their Thing+ zone (users/me).
	if err := s.ClaimTrain(ctx, 7, Owner{ID: "9", Login: "ops", Zone: "-5.00"}); err != nil {
		t.Fatal(err)
	}
	if err := s.ClaimTrain(ctx, 7, Owner{ID: "10", Login: "ops2"}); !errors.Is(err, ErrConflict) {
		t.Fatalf("claim twice: %v", err)
	}
	ts, _ = s.TrainsFor(ctx, admin)
	if len(ts) != 1 || ts[0].Role != RoleOwner || ts[0].OwnerLogin != "ops" || ts[0].OwnerZone != "-5.00" {
		t.Fatalf("after claim: %+v", ts)
	}
	if ts, _ := s.TrainsFor(ctx, Principal{UserID: "11", LoginID: "ops"}); len(ts) != 0 {
		t.Fatal("a claimed train is still shown to other admins")
	}
}

// DiskSize is the size of the database in dir after its write-ahead log was
// checkpointed into it and truncated (the WAL file's own size is a
// high-water mark that is reused, not growth).
func DiskSize(t testing.TB, dir string) int64 {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+url.PathEscape(filepath.Join(dir, DBFile))+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, f := range []string{DBFile, DBFile + "-wal"} {
		if fi, err := os.Stat(filepath.Join(dir, f)); err == nil {
			n += fi.Size()
		}
	}
	return n
}
