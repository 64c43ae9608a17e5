package trains

import (
	"context"
	"testing"
	"time"
)

// The end-of-service reset runs once per occurrence: not before its time,
// once after it, not again after a restart, and not at all when off.
func TestScheduledResetOncePerOccurrence(t *testing.T) {
	contract(t, testScheduledResetOncePerOccurrence)
}

func testScheduledResetOncePerOccurrence(t *testing.T, tb testBackend) {
	ctx := context.Background()
	dir := t.TempDir()
	seoul, _ := time.LoadLocation("Asia/Seoul")
	clock := time.Date(2026, 3, 2, 23, 0, 0, 0, seoul)
	s := tb.openTest(t, dir)
	// First check: trains get their settings, nothing resets (01:00 today passed before they existed).
	if got, err := s.RunScheduledResets(ctx, clock); err != nil || len(got) != 0 {
		t.Fatalf("first run = %v, %v; want nothing", got, err)
	}
	for i := 0; i < 5; i++ {
		if _, err := s.Apply(ctx, Push{SensorID: SeedSensorID(1, 1), Type: TypeIn}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SetSchedule(ctx, 1002, false, 60, "Asia/Seoul"); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.RunScheduledResets(ctx, clock.Add(90*time.Minute)); len(got) != 0 { // 00:30: not yet
		t.Fatalf("reset before its time: %v", got)
	}
	got, err := s.RunScheduledResets(ctx, clock.Add(2*time.Hour+time.Second)) // 01:00:01
	if err != nil || len(got) != 2 || got[0] != 1000 || got[1] != 1004 {
		t.Fatalf("at 01:00:01 reset %v, %v; want [1000 1004] (1002 is off)", got, err)
	}
	if c := mustCar(t, s, 2000); c.Count != 0 {
		t.Fatalf("car 2000 count %d after the reset", c.Count)
	}
	evs, _ := s.Events(ctx, EventFilter{CarID: 2000, Outcome: OutcomeReset})
	if len(evs) != 1 || evs[0].Reason != "end of service (01:00 Asia/Seoul)" || evs[0].Delta != -5 {
		t.Fatalf("reset events %+v", evs)
	}
	s.Close()

	// A restart, checked again the same night: nothing runs twice.
	s = tb.openTest(t, dir)
	if got, _ := s.RunScheduledResets(ctx, clock.Add(3*time.Hour)); len(got) != 0 {
		t.Fatalf("ran again after a restart: %v", got)
	}
	// The next night it runs again.
	if got, _ := s.RunScheduledResets(ctx, clock.Add(26*time.Hour+time.Minute)); len(got) != 2 {
		t.Fatalf("next night: %v", got)
	}
	if st := s.Settings(1000); !st.LastReset.Equal(time.Date(2026, 3, 4, 1, 0, 0, 0, seoul)) {
		t.Fatalf("last reset %v", st.LastReset)
	}
}

// Two stores on one database file (two processes) run an occurrence once.
func TestScheduledResetTwoStoresOneDatabase(t *testing.T) {
	contract(t, testScheduledResetTwoStoresOneDatabase)
}

func testScheduledResetTwoStoresOneDatabase(t *testing.T, tb testBackend) {
	ctx := context.Background()
	dir := t.TempDir()
	a, b := tb.openTest(t, dir), tb.openTest(t, dir)
	seoul, _ := time.LoadLocation("Asia/Seoul")
	night := time.Date(2026, 3, 2, 22, 0, 0, 0, seoul)
	if _, err := a.RunScheduledResets(ctx, night); err != nil {
		t.Fatal(err)
	}
	later := night.Add(3*time.Hour + time.Second)
	ra, err := a.RunScheduledResets(ctx, later)
	if err != nil {
		t.Fatal(err)
	}
	rb, err := b.RunScheduledResets(ctx, later)
	if err != nil {
		t.Fatal(err)
	}
	if len(ra)+len(rb) != 3 {
		t.Fatalf("instance A reset %v, B %v; want 3 trains once in all", ra, rb)
	}
	evs, _ := a.Events(ctx, EventFilter{CarID: 2000, Outcome: OutcomeReset})
	if len(evs) != 1 {
		t.Fatalf("car 2000 reset %d times", len(evs))
	}
}

func TestSettingsValidation(t *testing.T) { contract(t, testSettingsValidation) }

func testSettingsValidation(t *testing.T, tb testBackend) {
	s := tb.openTest(t, "")
	ctx := context.Background()
	for _, th := range []Thresholds{{0, 10, 20}, {80, 80, 150}, {80, 130, 120}, {80, 130, 5000}} {
		if err := s.SetThresholds(ctx, 1000, th); err == nil {
			t.Errorf("thresholds %v accepted", th)
		}
	}
	if err := s.SetThresholds(ctx, 1000, Thresholds{50, 100, 120}); err != nil {
		t.Fatal(err)
	}
	if got := s.ThresholdsOf(1000); got != (Thresholds{50, 100, 120}) {
		t.Fatalf("thresholds %v", got)
	}
	if got := s.ThresholdsOf(1002); got != DefaultThresholds {
		t.Fatalf("other train's thresholds %v", got)
	}
	if err := s.SetSchedule(ctx, 1000, true, 60, "Mars/Olympus"); err == nil {
		t.Error("unknown zone accepted")
	}
	if err := s.SetSchedule(ctx, 1000, true, 24*60, "UTC"); err == nil {
		t.Error("24:00 accepted")
	}
	if err := s.SetThresholds(ctx, 999, DefaultThresholds); err == nil {
		t.Error("unknown train accepted")
	}
	for in, want := range map[string]int{"01:00": 60, "23:59": 1439, "0:05": 5} {
		if got, err := ParseClock(in); err != nil || got != want {
			t.Errorf("ParseClock(%q) = %d, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "24:00", "1:60", "noon", "01:00:00"} {
		if _, err := ParseClock(in); err == nil {
			t.Errorf("ParseClock(%q) accepted", in)
		}
	}
}
