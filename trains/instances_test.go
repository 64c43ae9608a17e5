package trains

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
)

// Several instances on one PostgreSQL database: two stores stand for two
// processes (each its own writer, pools and notification connection).

// Pushes spread over two instances are counted exactly: the counts equal
// the applied INs minus the applied OUTs both instances reported.
func TestInstancesCountExactly(t *testing.T) {
	a, b := twoInstances(t)
	ctx := context.Background()
	var mu sync.Mutex
	applied := map[int64]int{}
	var wg sync.WaitGroup
	for w := range 32 {
		st := a
		if w%2 == 1 {
			st = b
		}
		wg.Go(func() {
			for i := range 40 {
				typ := TypeIn
				if (w+i)%3 == 0 {
					typ = TypeOut
				}
				r, err := st.Apply(ctx, Push{SensorID: SeedSensorID(w%3+1, w%4+1), Type: typ, EventKey: fmt.Sprintf("w%d-%d", w, i)})
				if err != nil {
					t.Errorf("Apply: %v", err)
					return
				}
				mu.Lock()
				applied[r.Car.ID] += r.Event.Delta
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	for _, st := range []*Store{a, b} {
		for id, want := range applied {
			if c := mustCar(t, st, id); c.Count != want {
				t.Errorf("car %d: count %d, applied deltas %d", id, c.Count, want)
			}
		}
	}
}

// The same Thing+ event delivered to two instances is counted once, even
// when both arrive at the same moment.
func TestInstancesDuplicateAcrossInstances(t *testing.T) {
	a, b := twoInstances(t)
	ctx := context.Background()
	for i := range 50 {
		p := Push{SensorID: SeedSensorID(1, 1), Type: TypeIn, EventKey: fmt.Sprintf("evt-%d", i)}
		var ra, rb Result
		var wg sync.WaitGroup
		wg.Go(func() { ra, _ = a.Apply(ctx, p) })
		wg.Go(func() { rb, _ = b.Apply(ctx, p) })
		wg.Wait()
		if got := []Outcome{ra.Outcome, rb.Outcome}; !(got[0] == OutcomeApplied && got[1] == OutcomeDuplicate) && !(got[0] == OutcomeDuplicate && got[1] == OutcomeApplied) {
			t.Fatalf("event %d: outcomes %v, want one applied and one duplicate", i, got)
		}
	}
	if c := mustCar(t, b, 2000); c.Count != 50 {
		t.Fatalf("count %d, want 50", c.Count)
	}
}

// A change committed by one instance reaches the live subscribers of the
// other, with the database's version and the committed count, in order.
func TestInstancesLiveUpdates(t *testing.T) {
	a, b := twoInstances(t)
	ctx := context.Background()
	sub := b.Hub().Subscribe(0)
	defer sub.Close()
	if a.Epoch() != b.Epoch() || a.Epoch() == "" {
		t.Fatalf("epochs %q and %q", a.Epoch(), b.Epoch())
	}
	var last uint64
	for i := 1; i <= 20; i++ {
		r, err := a.Apply(ctx, Push{SensorID: SeedSensorID(2, 1), Type: TypeIn})
		if err != nil {
			t.Fatal(err)
		}
		deadline := time.After(5 * time.Second)
		for got := false; !got; {
			select {
			case u := <-sub.Updates():
				if u.Structure && len(u.Cars) == 0 {
					continue // the listener's "take a snapshot" on connect
				}
				if u.Seq <= last || len(u.Cars) != 1 || u.Cars[0].ID != 2001 || u.Cars[0].Count != r.Car.Count || u.Cars[0].Capacity != 160 {
					t.Fatalf("update %+v after push %d (count %d, last seq %d)", u, i, r.Car.Count, last)
				}
				last, got = u.Seq, true
			case <-deadline:
				t.Fatalf("push %d never reached the other instance", i)
			}
		}
	}
	if b.Seq() != last || a.Seq() != last {
		t.Fatalf("versions a %d b %d, last update %d", a.Seq(), b.Seq(), last)
	}
}

// When the notification connection drops, the store reconnects and tells
// every stream to take a snapshot; later changes flow again.
func TestInstancesNotificationConnectionDrops(t *testing.T) {
	a, b := twoInstances(t)
	ctx := context.Background()
	sub := b.Hub().Subscribe(0)
	defer sub.Close()
	// End every LISTEN connection (both stores'); a's writer is untouched.
	if _, err := a.wdb.ExecContext(ctx, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '"+listenerName+"'"); err != nil {
		t.Fatal(err)
	}
	deadline := time.After(10 * time.Second)
	for resynced := false; !resynced; {
		select {
		case u := <-sub.Updates():
			resynced = u.Structure
		case <-deadline:
			t.Fatal("no snapshot signal after the notification connection dropped")
		}
	}
	r, err := a.Apply(ctx, Push{SensorID: SeedSensorID(3, 1), Type: TypeIn})
	if err != nil {
		t.Fatal(err)
	}
	for {
		select {
		case u := <-sub.Updates():
			if len(u.Cars) == 1 && u.Cars[0].ID == 2002 && u.Cars[0].Count == r.Car.Count {
				return
			}
		case <-deadline:
			t.Fatal("changes stopped flowing after the reconnect")
		}
	}
}

// A push's notification carries only counts: the other instance keeps the
// rest of each car and reads it again only when it may have changed — a
// capacity change, a door moved — so its streams never show a stale car.
func TestInstancesCarChangesReachOthers(t *testing.T) {
	a, b := twoInstances(t)
	ctx := context.Background()
	sub := b.Hub().Subscribe(0)
	defer sub.Close()
	sensor := SeedSensorID(2, 1) // car 2001
	next := func(what string, ok func(c Car) bool) {
		t.Helper()
		deadline := time.After(5 * time.Second)
		for {
			select {
			case u := <-sub.Updates():
				for _, c := range u.Cars {
					if c.ID == 2001 && ok(c) {
						return
					}
				}
			case <-deadline:
				t.Fatalf("%s: never reached the other instance", what)
			}
		}
	}
	push := func() int {
		t.Helper()
		r, err := a.Apply(ctx, Push{SensorID: sensor, Type: TypeIn})
		if err != nil {
			t.Fatal(err)
		}
		return r.Car.Count
	}
	n := push()
	next("first push", func(c Car) bool { return c.Count == n && c.Capacity == 160 && len(c.Doors) == 4 })
	if err := a.SetCapacity(ctx, 2001, 200); err != nil {
		t.Fatal(err)
	}
	next("capacity", func(c Car) bool { return c.Capacity == 200 })
	n = push()
	next("push after capacity", func(c Car) bool { return c.Count == n && c.Capacity == 200 })
	if err := a.AssignDoor(ctx, 2001, Door{SensorID: "extra-door", Label: "Door 5"}); err != nil {
		t.Fatal(err)
	}
	n = push()
	next("push after a new door", func(c Car) bool { return c.Count == n && len(c.Doors) == 5 })
}

// twoInstances opens two stores on one fresh PostgreSQL database, as two
// instances of the app would.
func twoInstances(t *testing.T) (a, b *Store) {
	t.Helper()
	dir := t.TempDir()
	tb := testBackend{"postgres"}
	needPostgres(t)
	return tb.openTest(t, dir), tb.openTest(t, dir)
}
