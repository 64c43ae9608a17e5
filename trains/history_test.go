package trains

import (
	"context"
	"testing"
	"time"
)

// The history's buckets hold each car's most passengers during the bucket,
// carried forward through quiet buckets, from the count carried into the day.
func TestHistoryFromEventLog(t *testing.T) { contract(t, testHistoryFromEventLog) }

func testHistoryFromEventLog(t *testing.T, tb testBackend) {
	ctx := context.Background()
	seoul, _ := time.LoadLocation("Asia/Seoul")
	day := time.Date(2026, 3, 2, 1, 0, 0, 0, seoul)
	clock := day.Add(-time.Hour) // the evening before: 2 people carried in
	s, err := tb.open(t, t.TempDir(), Options{Now: func() time.Time { return clock }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	push := func(at time.Duration, car int, typ EventType, n int) {
		clock = day.Add(at)
		for i := 0; i < n; i++ {
			if _, err := s.Apply(ctx, Push{SensorID: SeedSensorID(car, 1), Type: typ}); err != nil {
				t.Fatal(err)
			}
		}
	}
	push(-time.Hour, 1, TypeIn, 2)
	push(5*time.Minute, 1, TypeIn, 3)   // bucket 0: 5
	push(7*time.Minute, 1, TypeOut, 4)  // bucket 0: 1 (peak 5 stays)
	push(35*time.Minute, 1, TypeIn, 10) // bucket 3: 11
	push(36*time.Minute, 2, TypeIn, 1)  // car 2
	clock = day.Add(-time.Hour)
	if err := s.CorrectCount(ctx, 2002, 9, "test"); err != nil { // before the day: carried in
		t.Fatal(err)
	}
	now := day.Add(55 * time.Minute)
	h, err := s.History(ctx, 1000, day, day.Add(24*time.Hour), now, 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Cars) != 3 || len(h.Cars[0].Peaks) != 144 {
		t.Fatalf("history shape %d cars × %d", len(h.Cars), len(h.Cars[0].Peaks))
	}
	want := []int{5, 1, 1, 11, 11, 11, -1, -1}
	for i, w := range want {
		if got := h.Cars[0].Peaks[i]; got != w {
			t.Errorf("car 1 bucket %d = %d, want %d (row %v)", i, got, w, h.Cars[0].Peaks[:8])
		}
	}
	if c := h.Cars[0]; c.Peak != 11 || !c.PeakAt.Equal(day.Add(35*time.Minute)) {
		t.Errorf("car 1 peak %d at %v", c.Peak, c.PeakAt)
	}
	if c := h.Cars[1]; c.Peaks[2] != 0 || c.Peaks[3] != 1 || c.Peak != 1 {
		t.Errorf("car 2 row %v peak %d", c.Peaks[:6], c.Peak)
	}
	if c := h.Cars[2]; c.Peaks[0] != 9 || c.Peaks[5] != 9 || c.Peak != 9 || !c.PeakAt.Equal(day) {
		t.Errorf("car 3 (carried 9) row %v peak %d at %v", c.Peaks[:6], c.Peak, c.PeakAt)
	}
}
