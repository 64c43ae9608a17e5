package trains

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"
)

// One batch, in order, counts the same on both backends: clamping at zero
// and duplicates within the batch, keys not burnt by an unknown sensor or
// another train's token, an inverted door, and one version for the batch.
// On PostgreSQL the all-valid batch is one statement (trains_push_batch on
// its own) and the batch with a malformed push runs inside BEGIN … COMMIT.
func TestBatchInOrder(t *testing.T) { contract(t, testBatchInOrder) }

func testBatchInOrder(t *testing.T, tb testBackend) {
	s := tb.openTest(t, "")
	ctx := context.Background()
	if err := s.AssignDoor(ctx, 2002, Door{SensorID: "inv-b", Label: "Back door", Inverted: true}); err != nil {
		t.Fatal(err)
	}
	door := SeedSensorID(3, 1) // car 2002 of train 1000
	type want struct {
		outcome Outcome
		err     error
		count   int
	}
	for _, mixed := range []bool{false, true} {
		if err := s.ResetCar(ctx, 2002, ""); err != nil {
			t.Fatal(err)
		}
		k := func(key string) string { return key + map[bool]string{false: "-valid", true: "-mixed"}[mixed] }
		pushes := []Push{
			{SensorID: door, Type: TypeOut},                                 // 0 → clamped
			{SensorID: door, Type: TypeIn, EventKey: k("a")},                // 1
			{SensorID: door, Type: TypeIn, EventKey: k("a")},                // 1, duplicate
			{SensorID: door, Type: TypeOut, EventKey: k("b")},               // 0
			{SensorID: door, Type: TypeOut},                                 // 0 → clamped
			{SensorID: "ghost", Type: TypeIn, EventKey: k("c")},             // unknown
			{SensorID: door, Type: TypeIn, EventKey: k("c")},                // 1: the key was not burnt
			{SensorID: door, Type: TypeIn, EventKey: k("d"), TrainID: 1002}, // another train's token
			{SensorID: door, Type: TypeIn, EventKey: k("d")},                // 2: nor here
			{SensorID: "inv-b", Type: TypeIn},                               // 1: an inverted door
		}
		wants := []want{
			{OutcomeClamped, nil, 0}, {OutcomeApplied, nil, 1}, {OutcomeDuplicate, nil, 1}, {OutcomeApplied, nil, 0},
			{OutcomeClamped, nil, 0}, {OutcomeUnknownSensor, ErrUnknownSensor, 0}, {OutcomeApplied, nil, 1},
			{OutcomeWrongTrain, ErrWrongTrain, 0}, {OutcomeApplied, nil, 2}, {OutcomeApplied, nil, 1},
		}
		if mixed { // a malformed push in the middle: logged, nothing else changes
			pushes = append(pushes[:5:5], append([]Push{{SensorID: door, Type: "SIDEWAYS"}}, pushes[5:]...)...)
			wants = append(wants[:5:5], append([]want{{OutcomeInvalid, ErrInvalid, 0}}, wants[5:]...)...)
		}
		seq := s.Seq()
		got := applyOneBatch(t, s, pushes)
		for i, r := range got {
			w := wants[i]
			if r.res.Outcome != w.outcome || !errors.Is(r.err, w.err) || (w.err == nil && r.res.Car.Count != w.count) {
				t.Errorf("mixed %v, push %d: %s %v count %d, want %s %v count %d", mixed, i, r.res.Outcome, r.err, r.res.Car.Count, w.outcome, w.err, w.count)
			}
		}
		if c := mustCar(t, s, 2002); c.Count != 1 {
			t.Fatalf("mixed %v: car 2002 at %d, want 1", mixed, c.Count)
		}
		// One batch, one version (PostgreSQL's arrives with the writer's
		// answer; the notification may follow).
		if v := s.Seq(); v != seq+1 {
			t.Fatalf("mixed %v: version %d after %d, want one step", mixed, v, seq)
		}
		// The counted pushes' event ids rise in push order (a malformed
		// push's event is written before them, wrong-train ones have none).
		var last int64
		for i, r := range got {
			if r.res.Outcome == OutcomeWrongTrain || r.res.Outcome == OutcomeInvalid {
				continue
			}
			if r.res.Event.ID <= last {
				t.Fatalf("mixed %v, push %d: event id %d after %d", mixed, i, r.res.Event.ID, last)
			}
			last = r.res.Event.ID
		}
	}
}

type batchResult struct {
	res Result
	err error
}

// applyOneBatch queues pushes in order while the writer is held by a
// management operation, so the writer takes them as one batch.
func applyOneBatch(t *testing.T, s *Store, pushes []Push) []batchResult {
	t.Helper()
	ctx := context.Background()
	started, release := make(chan struct{}), make(chan struct{})
	held := make(chan error, 1)
	go func() {
		_, err := s.manage(ctx, func(context.Context, *sql.Tx, time.Time) (manageOut, error) {
			close(started)
			<-release
			return manageOut{keep: true}, nil
		})
		held <- err
	}()
	<-started
	out := make([]batchResult, len(pushes))
	done := make(chan int, len(pushes))
	for i, p := range pushes {
		go func() {
			out[i].res, out[i].err = s.Apply(ctx, p)
			done <- i
		}()
		for deadline := time.Now().Add(5 * time.Second); len(s.ops) < i+1; { // queued, in this order
			if time.Now().After(deadline) {
				t.Fatal("push not queued")
			}
			time.Sleep(100 * time.Microsecond)
		}
	}
	close(release)
	if err := <-held; err != nil {
		t.Fatal(err)
	}
	for range pushes {
		<-done
	}
	return out
}

// A writer waits for fuller batches only while other instances commit
// between its changes (a version skipped); alone it never waits.
func TestWriterNoticesOtherWriters(t *testing.T) {
	var w writer
	for _, step := range []struct {
		v      uint64
		shared bool
	}{{5, false}, {6, false}, {0, false}, {7, false}, {10, true}, {0, true}, {12, true}, {13, false}} {
		w.noteVersion(step.v)
		if w.shared != step.shared {
			t.Fatalf("after version %d: shared %v, want %v", step.v, w.shared, step.shared)
		}
	}
}
