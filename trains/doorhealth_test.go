package trains

import (
	"context"
	"strings"
	"testing"
	"time"
)

// healthStore is a store on a clock the test moves.
func healthStore(t *testing.T) (*Store, *time.Time) {
	t.Helper()
	clock := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	s, err := Open(context.Background(), t.TempDir(), Options{Now: func() time.Time { return clock }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, &clock
}

func push(t *testing.T, s *Store, car, door int, typ EventType) {
	t.Helper()
	if _, err := s.Apply(context.Background(), Push{SensorID: SeedSensorID(car, door), Type: typ}); err != nil {
		t.Fatal(err)
	}
}

// A door silent for 10 minutes while its car's other doors pushed 20 times
// is flagged once (on the car and in the log); a door that pushed is not.
func TestSilentDoor(t *testing.T) {
	ctx := context.Background()
	s, clock := healthStore(t)
	push(t, s, 1, 4, TypeIn) // door 4 worked, at 08:00
	for i := 0; i < 21; i++ {
		*clock = clock.Add(30 * time.Second)
		push(t, s, 1, 1+i%3, TypeIn) // doors 1-3 keep pushing
	}
	*clock = clock.Add(time.Second) // 08:10:31: door 4 silent for 10 min 31 s
	flags, err := s.CheckHealth(ctx, *clock)
	if err != nil {
		t.Fatal(err)
	}
	if len(flags) != 1 || flags[0].Kind != FlagSilent || flags[0].SensorID != SeedSensorID(1, 4) || flags[0].CarID != 2000 ||
		!strings.Contains(flags[0].Detail, "Door 4 sent nothing") {
		t.Fatalf("flags %+v", flags)
	}
	if got := s.FlagsOf(2000); len(got) != 1 || got[0].ID != flags[0].ID {
		t.Fatalf("car's open flags %+v", got)
	}
	// Car 2 had nobody pushing: its silent doors are not flagged.
	if again, _ := s.CheckHealth(ctx, *clock); len(again) != 0 {
		t.Fatalf("flagged twice: %+v", again)
	}
	evs, _ := s.Events(ctx, EventFilter{Outcome: OutcomeFlagged})
	if len(evs) != 1 || evs[0].SensorID != SeedSensorID(1, 4) || evs[0].CarID != 2000 {
		t.Fatalf("log %+v", evs)
	}
	// Dismissed with a note: closed, the note in the log; a new silence flags again.
	if _, err := s.DismissFlag(ctx, flags[0].ID, ""); err == nil {
		t.Fatal("dismissed without a note")
	}
	if _, err := s.DismissFlag(ctx, flags[0].ID, "sensor replaced"); err != nil {
		t.Fatal(err)
	}
	if len(s.FlagsOf(2000)) != 0 {
		t.Fatal("still open")
	}
	evs, _ = s.Events(ctx, EventFilter{Outcome: OutcomeDismissed})
	if len(evs) != 1 || evs[0].Reason != "silent: sensor replaced" {
		t.Fatalf("dismissal %+v", evs)
	}
	if _, err := s.DismissFlag(ctx, flags[0].ID, "again"); err == nil {
		t.Fatal("dismissed twice")
	}
}

// Fewer pushes at the other doors than the minimum: no flag (a quiet car
// is not a broken door).
func TestSilentDoorNeedsTraffic(t *testing.T) {
	s, clock := healthStore(t)
	for i := 0; i < 19; i++ {
		*clock = clock.Add(30 * time.Second)
		push(t, s, 1, 1+i%3, TypeIn)
	}
	*clock = clock.Add(5 * time.Minute)
	if flags, _ := s.CheckHealth(context.Background(), *clock); len(flags) != 0 {
		t.Fatalf("flags %+v", flags)
	}
}

// Six OUT pushes into an empty car within an hour: drift; five: not yet.
func TestDriftClamped(t *testing.T) {
	ctx := context.Background()
	s, clock := healthStore(t)
	for i := 0; i < 5; i++ {
		*clock = clock.Add(5 * time.Minute)
		push(t, s, 2, 1, TypeOut)
	}
	if flags, _ := s.CheckHealth(ctx, *clock); len(flags) != 0 {
		t.Fatalf("5 clamped: %+v", flags)
	}
	*clock = clock.Add(5 * time.Minute)
	push(t, s, 2, 1, TypeOut)
	flags, _ := s.CheckHealth(ctx, *clock)
	if len(flags) != 1 || flags[0].Kind != FlagDriftClamped || flags[0].CarID != 2001 || !strings.Contains(flags[0].Detail, "6 people were counted out of an empty car") {
		t.Fatalf("6 clamped: %+v", flags)
	}
	// An hour later the old clamps no longer count (after dismissal, nothing new).
	s.DismissFlag(ctx, flags[0].ID, "door 1 direction fixed")
	*clock = clock.Add(61 * time.Minute)
	if flags, _ := s.CheckHealth(ctx, *clock); len(flags) != 0 {
		t.Fatalf("an hour later: %+v", flags)
	}
}

// Above twice the capacity for 10 minutes: drift; a brief peak is not.
func TestDriftHigh(t *testing.T) {
	ctx := context.Background()
	s, clock := healthStore(t)
	if err := s.CorrectCount(ctx, 2002, 320, "start"); err != nil { // exactly 2×160
		t.Fatal(err)
	}
	*clock = clock.Add(time.Minute)
	push(t, s, 3, 1, TypeIn) // 321
	*clock = clock.Add(9 * time.Minute)
	if flags, _ := s.CheckHealth(ctx, *clock); len(flags) != 0 {
		t.Fatalf("after 9 min: %+v", flags)
	}
	*clock = clock.Add(2 * time.Minute)
	flags, _ := s.CheckHealth(ctx, *clock)
	if len(flags) != 1 || flags[0].Kind != FlagDriftHigh || flags[0].CarID != 2002 {
		t.Fatalf("after 11 min: %+v", flags)
	}
}
