package trains

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func openTest(t testing.TB, dir string) *Store {
	t.Helper()
	return testBackend{"sqlite"}.openTest(t, dir)
}

func mustCar(t testing.TB, s *Store, id int64) Car {
	t.Helper()
	c, err := s.Car(context.Background(), id)
	if err != nil {
		t.Fatalf("Car(%d): %v", id, err)
	}
	return c
}

func TestSeed(t *testing.T) { contract(t, testSeed) }

func testSeed(t *testing.T, tb testBackend) {
	s := tb.openTest(t, "")
	ctx := context.Background()
	ts, err := s.Trains(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		id      int64
		name    string
		running bool
		cars    []int64
	}{
		{1000, "신림-성수", true, []int64{2000, 2001, 2002}},
		{1002, "잠실-을지로3가", false, []int64{2003, 2004, 2005}},
		{1004, "홍대입구-서울대입구", false, nil},
	}
	if len(ts) != len(want) {
		t.Fatalf("got %d trains, want %d", len(ts), len(want))
	}
	for i, w := range want {
		tr := ts[i]
		if tr.ID != w.id || tr.Name != w.name || tr.Running != w.running || len(tr.Cars) != len(w.cars) {
			t.Fatalf("train %d = %+v, want %+v", i, tr, w)
		}
		for j, c := range tr.Cars {
			if c.ID != w.cars[j] || c.Position != j+1 || c.Count != 0 || c.Capacity != 160 {
				t.Errorf("train %d car %d = %+v", w.id, j, c)
			}
			wantDoors := 0
			if w.id == 1000 {
				wantDoors = 4
			}
			if len(c.Doors) != wantDoors {
				t.Fatalf("car %d has %d doors, want %d", c.ID, len(c.Doors), wantDoors)
			}
			for n, d := range c.Doors {
				if want := SeedSensorID(j+1, n+1); d.SensorID != want || d.Label != fmt.Sprintf("Door %d", n+1) || d.Inverted {
					t.Errorf("car %d door %d = %+v, want sensor %s", c.ID, n, d, want)
				}
			}
		}
	}
	if got := ts[0].Cars[0].Doors[2].SensorID; got != "b827ebd0a001-1-door3" {
		t.Errorf("sensor id = %q", got)
	}
	// Reopening does not seed again, and deleting every train does not bring the seed back.
	dir := t.TempDir()
	s2, err := tb.open(t, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range ts {
		if err := s2.DeleteTrain(ctx, tr.ID); err != nil {
			t.Fatal(err)
		}
	}
	s2.Close()
	s3 := tb.openTest(t, dir)
	if ts, _ := s3.Trains(ctx); len(ts) != 0 {
		t.Fatalf("seed came back: %d trains", len(ts))
	}
}

func TestNoSeed(t *testing.T) { contract(t, testNoSeed) }

func testNoSeed(t *testing.T, tb testBackend) {
	s, err := tb.open(t, t.TempDir(), Options{NoSeed: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if ts, _ := s.Trains(context.Background()); len(ts) != 0 {
		t.Fatalf("got %d trains", len(ts))
	}
}

func TestLevels(t *testing.T) {
	th := DefaultThresholds
	cases := []struct {
		count, capacity int
		want            Level
	}{
		{0, 4, Spacious}, {3, 4, Spacious}, {4, 4, Normal}, {5, 4, Normal}, {6, 4, Caution}, {7, 4, Crowded},
		{80, 100, Spacious}, {81, 100, Normal}, {130, 100, Normal}, {131, 100, Caution}, {150, 100, Caution}, {151, 100, Crowded},
		{0, 0, Spacious}, {1, 0, Crowded},
	}
	for _, c := range cases {
		if got := th.Level(c.count, c.capacity); got != c.want {
			t.Errorf("Level(%d, %d) = %s, want %s", c.count, c.capacity, got, c.want)
		}
	}
	if err := (Thresholds{80, 70, 150}).Validate(); !errors.Is(err, ErrInvalid) {
		t.Errorf("Validate accepted decreasing thresholds: %v", err)
	}
	if err := DefaultThresholds.Validate(); err != nil {
		t.Error(err)
	}
	if got := (Thresholds{50, 100, 120}).Level(3, 4); got != Normal {
		t.Errorf("custom thresholds: %s", got)
	}
	if Percent(5, 4) != 125 || Percent(1, 0) != 0 {
		t.Error("Percent")
	}
}

func TestParseType(t *testing.T) {
	for in, want := range map[string]EventType{"IN": TypeIn, "in": TypeIn, " Out ": TypeOut, "out": TypeOut} {
		if got, err := ParseType(in); err != nil || got != want {
			t.Errorf("ParseType(%q) = %q, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "INOUT", "RESET", "CORRECT", "1"} {
		if _, err := ParseType(in); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseType(%q) err = %v", in, err)
		}
	}
}

func TestApply(t *testing.T) { contract(t, testApply) }

func testApply(t *testing.T, tb testBackend) {
	s := tb.openTest(t, "")
	ctx := context.Background()
	sensor := SeedSensorID(1, 1)

	r, err := s.Apply(ctx, Push{SensorID: sensor, Type: TypeOut})
	if err != nil || r.Outcome != OutcomeClamped || r.Event.Delta != 0 || r.Event.CountAfter != 0 {
		t.Fatalf("OUT on empty car = %+v, %v", r, err)
	}
	for i := 1; i <= 3; i++ {
		r, err = s.Apply(ctx, Push{SensorID: sensor, Type: TypeIn})
		if err != nil || r.Outcome != OutcomeApplied || r.Event.Delta != 1 || r.Event.CountAfter != i || r.Car.ID != 2000 || r.Car.Count != i {
			t.Fatalf("IN #%d = %+v, %v", i, r, err)
		}
	}
	if r.Event.TrainID != 1000 || r.Event.CarID != 2000 || r.Event.ID == 0 {
		t.Fatalf("event = %+v", r.Event)
	}
	r, err = s.Apply(ctx, Push{SensorID: SeedSensorID(1, 4), Type: TypeOut})
	if err != nil || r.Outcome != OutcomeApplied || r.Event.Delta != -1 || r.Car.Count != 2 {
		t.Fatalf("OUT = %+v, %v", r, err)
	}
	c := mustCar(t, s, 2000)
	if c.Count != 2 || c.UpdatedAt.IsZero() {
		t.Fatalf("car = %+v", c)
	}

	// Unknown sensor: error, logged.
	r, err = s.Apply(ctx, Push{SensorID: "nope", Type: TypeIn})
	if !errors.Is(err, ErrUnknownSensor) || r.Outcome != OutcomeUnknownSensor {
		t.Fatalf("unknown sensor = %+v, %v", r, err)
	}
	// Bad type: invalid, logged.
	if _, err = s.Apply(ctx, Push{SensorID: sensor, Type: "UP"}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("bad type err = %v", err)
	}
	// Rejected (bad key) is logged with the car it names.
	if err := s.LogRejected(ctx, Rejected{SensorID: sensor, Type: "IN", Outcome: OutcomeBadKey, Reason: "missing key"}); err != nil {
		t.Fatal(err)
	}
	evs, err := s.Events(ctx, EventFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var outcomes []Outcome
	for _, e := range evs {
		outcomes = append(outcomes, e.Outcome)
	}
	want := []Outcome{OutcomeBadKey, OutcomeInvalid, OutcomeUnknownSensor, OutcomeApplied, OutcomeApplied, OutcomeApplied, OutcomeApplied, OutcomeClamped}
	if fmt.Sprint(outcomes) != fmt.Sprint(want) {
		t.Fatalf("outcomes = %v, want %v", outcomes, want)
	}
	if evs[0].CarID != 2000 || evs[0].TrainID != 1000 || evs[0].Reason != "missing key" {
		t.Errorf("bad key event = %+v", evs[0])
	}
	if c.Count != 2 {
		t.Fatal("count moved")
	}
	// Filters.
	if evs, _ := s.Events(ctx, EventFilter{Outcome: OutcomeApplied, Limit: 2}); len(evs) != 2 || evs[0].Outcome != OutcomeApplied {
		t.Errorf("outcome filter = %+v", evs)
	}
	if evs, _ := s.Events(ctx, EventFilter{CarID: 2001}); len(evs) != 0 {
		t.Errorf("car filter = %+v", evs)
	}
	if evs, _ := s.Events(ctx, EventFilter{TrainID: 1000}); len(evs) != 6 {
		t.Errorf("train filter = %d events", len(evs))
	}
	n := 0
	if err := s.EachEvent(ctx, EventFilter{SensorID: sensor}, func(Event) error { n++; return nil }); err != nil || n != 6 {
		t.Errorf("EachEvent sensor filter: %d, %v", n, err)
	}
}

func TestDuplicateKey(t *testing.T) { contract(t, testDuplicateKey) }

func testDuplicateKey(t *testing.T, tb testBackend) {
	s := tb.openTest(t, "")
	ctx := context.Background()
	sensor := SeedSensorID(2, 1)
	r, err := s.Apply(ctx, Push{SensorID: sensor, Type: TypeIn, EventKey: "tl-1"})
	if err != nil || r.Outcome != OutcomeApplied {
		t.Fatalf("%+v %v", r, err)
	}
	r, err = s.Apply(ctx, Push{SensorID: sensor, Type: TypeIn, EventKey: "tl-1"})
	if err != nil || r.Outcome != OutcomeDuplicate || r.Car.Count != 1 {
		t.Fatalf("duplicate = %+v, %v", r, err)
	}
	// Same key in one batch: many goroutines at once.
	var wg sync.WaitGroup
	var applied, dup atomic.Int64
	for range 50 {
		wg.Go(func() {
			r, err := s.Apply(ctx, Push{SensorID: sensor, Type: TypeIn, EventKey: "tl-2"})
			if err != nil {
				t.Error(err)
			}
			switch r.Outcome {
			case OutcomeApplied:
				applied.Add(1)
			case OutcomeDuplicate:
				dup.Add(1)
			}
		})
	}
	wg.Wait()
	if applied.Load() != 1 || dup.Load() != 49 {
		t.Fatalf("applied %d dup %d", applied.Load(), dup.Load())
	}
	if c := mustCar(t, s, 2001); c.Count != 2 {
		t.Fatalf("count = %d, want 2", c.Count)
	}
	// A key that only met an unknown sensor is not burnt.
	if _, err := s.Apply(ctx, Push{SensorID: "ghost", Type: TypeIn, EventKey: "tl-3"}); !errors.Is(err, ErrUnknownSensor) {
		t.Fatal(err)
	}
	if r, _ := s.Apply(ctx, Push{SensorID: sensor, Type: TypeIn, EventKey: "tl-3"}); r.Outcome != OutcomeApplied {
		t.Fatalf("key after unknown sensor = %s", r.Outcome)
	}
	// A clamped push burns its key: a replay must not count later.
	if err := s.ResetCar(ctx, 2001, ""); err != nil {
		t.Fatal(err)
	}
	if r, _ := s.Apply(ctx, Push{SensorID: sensor, Type: TypeOut, EventKey: "tl-4"}); r.Outcome != OutcomeClamped {
		t.Fatal(r.Outcome)
	}
	if r, _ := s.Apply(ctx, Push{SensorID: sensor, Type: TypeOut, EventKey: "tl-4"}); r.Outcome != OutcomeDuplicate {
		t.Fatal(r.Outcome)
	}
	// Keys survive a reopen.
	dir := t.TempDir()
	s2, _ := tb.open(t, dir, Options{})
	s2.Apply(ctx, Push{SensorID: sensor, Type: TypeIn, EventKey: "persist"})
	s2.Close()
	s3 := tb.openTest(t, dir)
	if r, _ := s3.Apply(ctx, Push{SensorID: sensor, Type: TypeIn, EventKey: "persist"}); r.Outcome != OutcomeDuplicate || r.Car.Count != 1 {
		t.Fatalf("after reopen: %+v", r)
	}
}

func TestInvertedDoor(t *testing.T) { contract(t, testInvertedDoor) }

func testInvertedDoor(t *testing.T, tb testBackend) {
	s := tb.openTest(t, "")
	ctx := context.Background()
	if err := s.AssignDoor(ctx, 2003, Door{SensorID: "inv-1", Label: "Back door", Inverted: true}); err != nil {
		t.Fatal(err)
	}
	r, err := s.Apply(ctx, Push{SensorID: "inv-1", Type: TypeOut})
	if err != nil || r.Outcome != OutcomeApplied || r.Car.Count != 1 || r.Event.Reason != "inverted door" {
		t.Fatalf("%+v %v", r, err)
	}
	if r, _ := s.Apply(ctx, Push{SensorID: "inv-1", Type: TypeIn}); r.Car.Count != 0 {
		t.Fatalf("%+v", r)
	}
}

func TestConcurrentApply(t *testing.T) { contract(t, testConcurrentApply) }

func testConcurrentApply(t *testing.T, tb testBackend) {
	dir := t.TempDir()
	s := tb.openTest(t, dir)
	ctx := context.Background()
	const workers, each = 64, 60
	var wg sync.WaitGroup
	var in, out, clamped atomic.Int64
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				car := w%3 + 1
				typ := TypeIn
				if i%3 == 2 {
					typ = TypeOut
				}
				key := ""
				if i%5 == 0 {
					key = fmt.Sprintf("w%d-%d", w, i/10) // i=10k and i=10k+5 share a key: the second is a duplicate
				}
				r, err := s.Apply(ctx, Push{SensorID: SeedSensorID(car, i%4+1), Type: typ, EventKey: key})
				if err != nil {
					t.Error(err)
					return
				}
				switch {
				case r.Outcome == OutcomeApplied && typ == TypeIn:
					in.Add(1)
				case r.Outcome == OutcomeApplied:
					out.Add(1)
				case r.Outcome == OutcomeClamped:
					clamped.Add(1)
				}
			}
		})
	}
	wg.Wait()
	ts, _ := s.Trains(ctx)
	sum := 0
	for _, c := range ts[0].Cars {
		sum += c.Count
	}
	if int64(sum) != in.Load()-out.Load() {
		t.Fatalf("sum %d != applied IN %d - applied OUT %d", sum, in.Load(), out.Load())
	}
	// The log agrees with the acknowledgements.
	var logIn, logOut int64
	s.EachEvent(ctx, EventFilter{Outcome: OutcomeApplied}, func(e Event) error {
		if e.Delta > 0 {
			logIn++
		} else {
			logOut++
		}
		return nil
	})
	if logIn != in.Load() || logOut != out.Load() {
		t.Fatalf("log in/out %d/%d, acked %d/%d", logIn, logOut, in.Load(), out.Load())
	}
	// After reopen, the counts are the same.
	s.Close()
	s2 := tb.openTest(t, dir)
	ts2, _ := s2.Trains(ctx)
	for i, c := range ts2[0].Cars {
		if c.Count != ts[0].Cars[i].Count {
			t.Fatalf("car %d: %d after reopen, %d before", c.ID, c.Count, ts[0].Cars[i].Count)
		}
	}
}

func TestManage(t *testing.T) { contract(t, testManage) }

func testManage(t *testing.T, tb testBackend) {
	s := tb.openTest(t, "")
	ctx := context.Background()

	tr, err := s.CreateTrain(ctx, NewTrain{Name: "  2호선 순환  ", Running: true})
	if err != nil || tr.ID != 1006 || tr.Name != "2호선 순환" || !tr.Running {
		t.Fatalf("CreateTrain = %+v, %v", tr, err)
	}
	if _, err := s.CreateTrain(ctx, NewTrain{ID: 1006, Name: "dup"}); !errors.Is(err, ErrConflict) {
		t.Fatalf("duplicate id: %v", err)
	}
	if _, err := s.CreateTrain(ctx, NewTrain{Name: " "}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("empty name: %v", err)
	}
	if tr2, err := s.CreateTrain(ctx, NewTrain{ID: 5000, Name: "given id"}); err != nil || tr2.ID != 5000 {
		t.Fatalf("given id: %+v %v", tr2, err)
	}
	if err := s.RenameTrain(ctx, tr.ID, "Line 2"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetRunning(ctx, tr.ID, false); err != nil {
		t.Fatal(err)
	}
	if err := s.RenameTrain(ctx, 9999, "x"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("rename missing: %v", err)
	}
	got, _ := s.Train(ctx, tr.ID)
	if got.Name != "Line 2" || got.Running {
		t.Fatalf("after update: %+v", got)
	}

	// Cars.
	var ids []int64
	for i := range 3 {
		c, err := s.AddCar(ctx, tr.ID, 10+i)
		if err != nil || c.Position != i+1 || c.Capacity != 10+i {
			t.Fatalf("AddCar = %+v, %v", c, err)
		}
		ids = append(ids, c.ID)
	}
	if ids[0] != 2006 {
		t.Errorf("first new car id = %d", ids[0])
	}
	if _, err := s.AddCar(ctx, tr.ID, 0); !errors.Is(err, ErrInvalid) {
		t.Fatal("capacity 0 accepted")
	}
	if _, err := s.AddCar(ctx, 9999, 5); !errors.Is(err, ErrNotFound) {
		t.Fatal("car on missing train")
	}
	order := func(id int64) []int64 {
		t.Helper()
		tr, err := s.Train(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		var out []int64
		for i, c := range tr.Cars {
			if c.Position != i+1 {
				t.Fatalf("train %d positions not 1..n: %+v", id, tr.Cars)
			}
			out = append(out, c.ID)
		}
		return out
	}
	if err := s.ReorderCar(ctx, ids[2], 1); err != nil {
		t.Fatal(err)
	}
	if got := order(tr.ID); fmt.Sprint(got) != fmt.Sprint([]int64{ids[2], ids[0], ids[1]}) {
		t.Fatalf("after reorder: %v", got)
	}
	if err := s.ReorderCar(ctx, ids[2], 99); err != nil {
		t.Fatal(err)
	}
	if got := order(tr.ID); fmt.Sprint(got) != fmt.Sprint(ids) {
		t.Fatalf("after reorder to end: %v", got)
	}
	if err := s.SetCapacity(ctx, ids[0], 42); err != nil {
		t.Fatal(err)
	}
	if c := mustCar(t, s, ids[0]); c.Capacity != 42 {
		t.Fatal("capacity")
	}

	// Move a car (with its count and doors) to another train.
	if _, err := s.Apply(ctx, Push{SensorID: SeedSensorID(1, 1), Type: TypeIn}); err != nil {
		t.Fatal(err)
	}
	if err := s.MoveCar(ctx, 2000, tr.ID, 2); err != nil {
		t.Fatal(err)
	}
	if got := order(1000); fmt.Sprint(got) != "[2001 2002]" {
		t.Fatalf("source after move: %v", got)
	}
	if got := order(tr.ID); fmt.Sprint(got) != fmt.Sprint([]int64{ids[0], 2000, ids[1], ids[2]}) {
		t.Fatalf("target after move: %v", got)
	}
	r, err := s.Apply(ctx, Push{SensorID: SeedSensorID(1, 1), Type: TypeIn})
	if err != nil || r.Event.TrainID != tr.ID || r.Car.Count != 2 {
		t.Fatalf("push after move = %+v, %v", r, err)
	}
	if err := s.MoveCar(ctx, 2000, 9999, 0); !errors.Is(err, ErrNotFound) {
		t.Fatalf("move to missing train: %v", err)
	}
	if got := order(tr.ID); len(got) != 4 {
		t.Fatal("failed move changed the train")
	}

	// Doors: a sensor is on at most one car; validation before mutation.
	if err := s.AssignDoor(ctx, 2003, Door{SensorID: SeedSensorID(2, 1)}); !errors.Is(err, ErrConflict) {
		t.Fatalf("assign held sensor: %v", err)
	}
	if err := s.AssignDoor(ctx, 2003, Door{SensorID: "has space"}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("bad sensor id: %v", err)
	}
	if err := s.MoveDoor(ctx, SeedSensorID(2, 1), 9999); !errors.Is(err, ErrNotFound) {
		t.Fatalf("move to missing car: %v", err)
	}
	if _, car, err := s.DoorOf(ctx, SeedSensorID(2, 1)); err != nil || car != 2001 {
		t.Fatalf("failed move lost the sensor: car %d, %v", car, err)
	}
	if err := s.MoveDoor(ctx, SeedSensorID(2, 1), 2003); err != nil {
		t.Fatal(err)
	}
	if r, _ := s.Apply(ctx, Push{SensorID: SeedSensorID(2, 1), Type: TypeIn}); r.Car.ID != 2003 {
		t.Fatalf("push after door move went to %d", r.Car.ID)
	}
	if err := s.AssignDoor(ctx, 2003, Door{SensorID: SeedSensorID(2, 1), Label: "Relabelled", Inverted: true}); err != nil {
		t.Fatal(err)
	}
	if d, _, _ := s.DoorOf(ctx, SeedSensorID(2, 1)); d.Label != "Relabelled" || !d.Inverted {
		t.Fatalf("relabel: %+v", d)
	}
	if err := s.MoveDoor(ctx, "fresh-sensor", 2004); err != nil {
		t.Fatal(err)
	}
	if err := s.UnassignDoor(ctx, "fresh-sensor"); err != nil {
		t.Fatal(err)
	}
	if err := s.UnassignDoor(ctx, "fresh-sensor"); !errors.Is(err, ErrUnknownSensor) {
		t.Fatalf("unassign twice: %v", err)
	}
	if _, err := s.Apply(ctx, Push{SensorID: "fresh-sensor", Type: TypeIn}); !errors.Is(err, ErrUnknownSensor) {
		t.Fatalf("push to unassigned sensor: %v", err)
	}

	// Correct and reset, logged.
	if err := s.CorrectCount(ctx, 2001, 7, ""); !errors.Is(err, ErrInvalid) {
		t.Fatal("correction without reason accepted")
	}
	if err := s.CorrectCount(ctx, 2001, -1, "x"); !errors.Is(err, ErrInvalid) {
		t.Fatal("negative correction accepted")
	}
	if err := s.CorrectCount(ctx, 2001, 7, "counted by hand at 성수"); err != nil {
		t.Fatal(err)
	}
	evs, _ := s.Events(ctx, EventFilter{CarID: 2001, Limit: 1})
	if len(evs) != 1 || evs[0].Type != TypeCorrect || evs[0].Outcome != OutcomeCorrected || evs[0].Delta != 7 || evs[0].CountAfter != 7 || evs[0].Reason != "counted by hand at 성수" {
		t.Fatalf("correction event = %+v", evs)
	}
	if r, _ := s.Apply(ctx, Push{SensorID: SeedSensorID(2, 2), Type: TypeOut}); r.Car.Count != 6 {
		t.Fatalf("push after correction: %+v", r.Car)
	}
	if err := s.ResetCar(ctx, 2001, "end of day"); err != nil {
		t.Fatal(err)
	}
	if c := mustCar(t, s, 2001); c.Count != 0 {
		t.Fatal("reset car")
	}
	if err := s.ResetTrain(ctx, tr.ID, ""); err != nil {
		t.Fatal(err)
	}
	for _, id := range order(tr.ID) {
		if c := mustCar(t, s, id); c.Count != 0 {
			t.Fatalf("car %d = %d after train reset", id, c.Count)
		}
	}
	if evs, _ := s.Events(ctx, EventFilter{TrainID: tr.ID, Outcome: OutcomeReset}); len(evs) != 4 {
		t.Fatalf("train reset logged %d events", len(evs))
	}
	if err := s.ResetCar(ctx, 9999, ""); !errors.Is(err, ErrNotFound) {
		t.Fatal("reset missing car")
	}

	// Remove a car: the rest move up; its doors go with it.
	if err := s.RemoveCar(ctx, ids[0]); err != nil {
		t.Fatal(err)
	}
	if got := order(tr.ID); fmt.Sprint(got) != fmt.Sprint([]int64{2000, ids[1], ids[2]}) {
		t.Fatalf("after remove: %v", got)
	}
	if err := s.RemoveCar(ctx, ids[0]); !errors.Is(err, ErrNotFound) {
		t.Fatal("remove twice")
	}
	// Delete the train: cars and doors go; the sensor is free again.
	if err := s.DeleteTrain(ctx, tr.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Train(ctx, tr.ID); !errors.Is(err, ErrNotFound) {
		t.Fatal("train still there")
	}
	if _, err := s.Apply(ctx, Push{SensorID: SeedSensorID(1, 1), Type: TypeIn}); !errors.Is(err, ErrUnknownSensor) {
		t.Fatalf("sensor of deleted car: %v", err)
	}
	if err := s.AssignDoor(ctx, 2004, Door{SensorID: SeedSensorID(1, 1)}); err != nil {
		t.Fatalf("sensor not freed: %v", err)
	}
	if err := s.DeleteTrain(ctx, tr.ID); !errors.Is(err, ErrNotFound) {
		t.Fatal("delete twice")
	}
}

func TestHub(t *testing.T) { contract(t, testHub) }

func testHub(t *testing.T, tb testBackend) {
	s := tb.openTest(t, "")
	ctx := context.Background()
	sub := s.Hub().Subscribe(0)
	defer sub.Close()
	if _, err := s.Apply(ctx, Push{SensorID: SeedSensorID(3, 2), Type: TypeIn}); err != nil {
		t.Fatal(err)
	}
	select {
	case u := <-sub.Updates():
		if u.Seq == 0 || u.Seq != s.Seq() || len(u.Cars) != 1 || u.Cars[0].ID != 2002 || u.Cars[0].Count != 1 || u.Structure {
			t.Fatalf("update = %+v", u)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no update")
	}
	if err := s.RenameTrain(ctx, 1000, "renamed"); err != nil {
		t.Fatal(err)
	}
	u := <-sub.Updates()
	if !u.Structure {
		t.Fatalf("rename update = %+v", u)
	}
	// A clamped OUT changes nothing, so nothing is published.
	s.Apply(ctx, Push{SensorID: SeedSensorID(2, 2), Type: TypeOut})
	select {
	case u := <-sub.Updates():
		t.Fatalf("unexpected update %+v", u)
	case <-time.After(50 * time.Millisecond):
	}

	// A slow subscriber loses updates and is told to resync; publishing never blocks.
	slow := s.Hub().Subscribe(1)
	for range 5 {
		if _, err := s.Apply(ctx, Push{SensorID: SeedSensorID(3, 1), Type: TypeIn}); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case <-slow.Resync():
	default:
		t.Fatal("slow subscriber not told to resync")
	}
	if s.Hub().Dropped() == 0 {
		t.Fatal("nothing dropped")
	}
	slow.Close()
	slow.Close() // idempotent
	if n := s.Hub().Subscribers(); n != 1 {
		t.Fatalf("subscribers = %d", n)
	}
	snap, err := s.Snapshot(ctx)
	if err != nil || snap.Seq != s.Seq() || snap.Trains[0].Cars[2].Count != 6 {
		t.Fatalf("snapshot = %+v, %v", snap.Seq, err)
	}
	// Close ends subscriptions.
	s.Close()
	for range sub.Updates() {
	}
	if _, err := s.Apply(ctx, Push{SensorID: SeedSensorID(3, 1), Type: TypeIn}); !errors.Is(err, ErrClosed) {
		t.Fatalf("Apply after Close: %v", err)
	}
}

func TestSchemaVersion(t *testing.T) {
	s := openTest(t, "")
	var v int
	files, _ := migrationFiles("sqlite")
	if err := s.rdb.QueryRow("PRAGMA user_version").Scan(&v); err != nil || v != len(files) || v < 5 {
		t.Fatalf("user_version = %d, %v", v, err)
	}
	var mode string
	if err := s.rdb.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal_mode = %q, %v", mode, err)
	}
	// A newer schema is refused.
	dir := t.TempDir()
	s2, _ := Open(context.Background(), dir, Options{})
	s2.wdb.Exec("PRAGMA user_version = 99")
	s2.Close()
	if _, err := Open(context.Background(), dir, Options{}); err == nil {
		t.Fatal("opened a newer schema")
	}
}

// A lone sender never waits for a batch to fill: with a huge MaxDelay, 20
// sequential pushes still finish quickly.
func TestLoneSenderDoesNotWait(t *testing.T) { contract(t, testLoneSenderDoesNotWait) }

func testLoneSenderDoesNotWait(t *testing.T, tb testBackend) {
	s, err := tb.open(t, t.TempDir(), Options{MaxDelay: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	start := time.Now()
	for range 20 {
		if _, err := s.Apply(context.Background(), Push{SensorID: SeedSensorID(1, 1), Type: TypeIn}); err != nil {
			t.Fatal(err)
		}
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("20 sequential pushes took %v: the writer waited for batches", d)
	}
	if st := s.Stats(); st.Commits != 20 || st.Ops != 20 {
		t.Fatalf("stats %+v", st)
	}
}
