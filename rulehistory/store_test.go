package rulehistory

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/thingplus/thingplus-webapp/apptest"
	"github.com/thingplus/thingplus-webapp/trains"
)

func openTest(t *testing.T, now func() time.Time) (*Store, *sql.DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "app.db")
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s, err := Open(context.Background(), db, now)
	if err != nil {
		t.Fatal(err)
	}
	return s, db, path
}

func TestRecordListPerAccount(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		clock := &apptest.Clock{}
		s, db, _ := openTest(t, clock.Now)
		testRecordList(t, clock, s, db)
	})
	// The same tables in PostgreSQL, through the trains store's database
	// (DATABASE_URL): skipped only when PostgreSQL is not installed.
	t.Run("postgres", func(t *testing.T) {
		if apptest.PostgresBin() == "" {
			t.Skip("PostgreSQL is not installed")
		}
		pg, err := apptest.StartPostgres()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(pg.Stop)
		u, err := pg.NewDatabase(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		st, err := trains.Open(context.Background(), t.TempDir(), trains.Options{DatabaseURL: u, NoSeed: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		clock := &apptest.Clock{}
		s, err := Open(context.Background(), st.DB(), clock.Now)
		if err != nil {
			t.Fatal(err)
		}
		testRecordList(t, clock, s, st.DB())
	})
}

func testRecordList(t *testing.T, clock *apptest.Clock, s *Store, db *sql.DB) {
	ctx := context.Background()
	rec := func(acct, rule, action, body string) Version {
		v, err := s.Record(ctx, Version{Account: acct, RuleID: rule, RuleName: "r" + rule, Action: action, Actor: "demo", Body: json.RawMessage(body)})
		if err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Minute)
		return v
	}
	a1 := rec("1", "7", Create, `{"name":"a","status":"activated"}`)
	rec("1", "7", Toggle, `{"name":"a","status":"deactivated"}`)
	rec("2", "7", Create, `{"name":"other account"}`)
	rec("1", "8", Delete, `{"name":"b"}`)

	vs, err := s.Versions(ctx, "1", "7")
	if err != nil || len(vs) != 2 || vs[0].Action != Toggle || vs[1].ID != a1.ID {
		t.Fatalf("versions of rule 7: %+v %v", vs, err)
	}
	if _, err := s.Version(ctx, "2", a1.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("account 2 read account 1's version: %v", err)
	}
	latest, _ := s.Latest(ctx, "1")
	if len(latest) != 2 || latest[0].RuleID != "8" || latest[1].Action != Toggle {
		t.Fatalf("latest: %+v", latest)
	}
	since, _ := s.Since(ctx, "1", a1.At)
	if len(since) != 2 {
		t.Fatalf("since the first: %d, want 2", len(since))
	}
	// reopening migrates nothing twice
	if _, err := Open(ctx, db, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Record(ctx, Version{Account: "1"}); err == nil {
		t.Fatal("a version without rule id or body was stored")
	}
}

func TestDiffAndSame(t *testing.T) {
	a := json.RawMessage(`{"id":"1","name":"a","mtime":"5","trigger":{"method":{"params":{"degree":30}}},"actions":[[{"to":"x"}]]}`)
	b := json.RawMessage(`{"id":"2","name":"a","mtime":"9","trigger":{"method":{"params":{"degree":31}}},"actions":[[{"to":"x"},{"to":"y"}]],"desc":""}`)
	got := Diff(a, b)
	want := []Change{
		{Path: "actions[0][1].to", New: `"y"`},
		{Path: "desc", New: `""`},
		{Path: "id", Old: `"1"`, New: `"2"`},
		{Path: "trigger.method.params.degree", Old: "30", New: "31"},
	}
	if len(got) != len(want) {
		t.Fatalf("diff %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("change %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	if !Same(json.RawMessage(`{"id":"1","name":"a","n":1.0}`), json.RawMessage(`{"name":"a","id":"9","n":1}`)) {
		t.Fatal("same rule with other ids reported different")
	}
	if Same(a, b) {
		t.Fatal("different rules reported same")
	}
}
