package trains

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
)

// Random batches count exactly as pushes one by one would, on both
// backends: PostgreSQL counts a batch set-based (a running sum clamped at
// zero, migration 7), so this checks it against the plain rule, push by
// push — clamping, duplicates within and across batches, inverted doors,
// unknown sensors and other trains' tokens mixed over two cars.
func TestBatchRandomModel(t *testing.T) { contract(t, testBatchRandomModel) }

func testBatchRandomModel(t *testing.T, tb testBackend) {
	s := tb.openTest(t, "")
	ctx := context.Background()
	if err := s.AssignDoor(ctx, 2001, Door{SensorID: "rand-inv", Inverted: true}); err != nil {
		t.Fatal(err)
	}
	type door struct {
		car      int64
		inverted bool
	}
	doors := map[string]door{SeedSensorID(2, 1): {car: 2001}, SeedSensorID(3, 1): {car: 2002}, "rand-inv": {car: 2001, inverted: true}}
	sensors := []string{SeedSensorID(2, 1), SeedSensorID(3, 1), "rand-inv", "rand-ghost"}
	counts := map[int64]int{}
	for _, id := range []int64{2001, 2002} {
		if err := s.ResetCar(ctx, id, ""); err != nil {
			t.Fatal(err)
		}
		if c := mustCar(t, s, id); c.TrainID != 1000 {
			t.Fatalf("car %d is on train %d, want the seed's 1000", id, c.TrainID)
		}
	}
	seen := map[string]bool{}
	rng := rand.New(rand.NewPCG(12, 7))
	for batch := range 6 {
		pushes := make([]Push, 40)
		for i := range pushes {
			p := Push{SensorID: sensors[rng.IntN(len(sensors))], Type: TypeIn}
			if rng.IntN(100) < 55 { // more OUTs than INs: the counts meet zero often
				p.Type = TypeOut
			}
			if k := rng.IntN(12); k < 8 { // a few keys, reused within and across batches
				p.EventKey = fmt.Sprintf("rk%d-%d", k, rng.IntN(2)*batch)
			}
			if rng.IntN(10) == 0 {
				p.TrainID = 1002 // another train's token
			}
			pushes[i] = p
		}
		got := applyOneBatch(t, s, pushes)
		for i, p := range pushes {
			d, known := doors[p.SensorID]
			var want Outcome
			switch {
			case !known:
				want = OutcomeUnknownSensor
			case p.TrainID != 0:
				want = OutcomeWrongTrain
			case p.EventKey != "" && seen[p.EventKey]:
				want = OutcomeDuplicate
			default:
				seen[p.EventKey] = p.EventKey != ""
				dl := map[EventType]int{TypeIn: 1, TypeOut: -1}[p.Type]
				if d.inverted {
					dl = -dl
				}
				if counts[d.car]+dl < 0 {
					want = OutcomeClamped
				} else {
					want, counts[d.car] = OutcomeApplied, counts[d.car]+dl
				}
			}
			r := got[i]
			if r.res.Outcome != want {
				t.Fatalf("batch %d, push %d (%+v): %s (%v), want %s", batch, i, p, r.res.Outcome, r.err, want)
			}
			if r.err == nil && r.res.Car.Count != counts[d.car] {
				t.Fatalf("batch %d, push %d (%+v): count %d, want %d", batch, i, p, r.res.Car.Count, counts[d.car])
			}
		}
		for id, n := range counts {
			if c := mustCar(t, s, id); c.Count != n {
				t.Fatalf("batch %d: car %d at %d, want %d", batch, id, c.Count, n)
			}
		}
	}
}
