package lastvisit

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/thingplus/thingplus-webapp/apptest"
)

// TestVisitsWithAFakeClock: the first visit has nothing to summarise; views
// within 30 minutes are the same visit; a view after a longer gap starts a
// new visit whose summary starts at the previous visit's last view, and
// compares gateways with their states then.
func TestVisitsWithAFakeClock(t *testing.T) {
	db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "v.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	clock := &apptest.Clock{}
	s, err := Open(context.Background(), db, clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	on := map[string][2]string{"gw1": {"Subway", "on"}, "gw2": {"Climate", "off"}}
	v, _ := s.Touch(ctx, "1", on)
	if !v.First {
		t.Fatal("the first view is not a first visit")
	}
	clock.Advance(10 * time.Minute)
	v, _ = s.Touch(ctx, "1", on)
	if !v.First {
		t.Fatal("a view 10 minutes into the first visit has something to summarise")
	}
	lastOfFirst := clock.Now()
	if other, _ := s.Touch(ctx, "2", nil); !other.First {
		t.Fatal("another account shares the visits")
	}
	clock.Advance(2 * time.Hour)
	changed := map[string][2]string{"gw1": {"Subway", "off"}, "gw2": {"Climate", "on"}}
	v, _ = s.Touch(ctx, "1", changed)
	if v.First || v.Previous.Sub(lastOfFirst).Abs() > time.Second {
		t.Fatalf("second visit: first=%v since %v, want %v", v.First, v.Previous, lastOfFirst)
	}
	gone, back := gatewayChanges(v.Gateways, changed)
	if len(gone) != 1 || gone[0].ID != "gw1" || len(back) != 1 || back[0].ID != "gw2" {
		t.Fatalf("went silent %v, came back %v", gone, back)
	}
	// dismissed for the rest of this visit, shown again on the next
	if err := s.Dismiss(ctx, "1"); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Minute)
	if v, _ = s.Touch(ctx, "1", changed); !v.Dismissed || v.Previous.Sub(lastOfFirst).Abs() > time.Second {
		t.Fatalf("same visit after dismissing: %+v", v)
	}
	clock.Advance(time.Hour)
	if v, _ = s.Touch(ctx, "1", changed); v.Dismissed {
		t.Fatal("still dismissed on the next visit")
	}
}
