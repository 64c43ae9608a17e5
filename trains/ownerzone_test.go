package trains

import (
	"context"
	"errors"
	"testing"
)

func TestOwnerZone(t *testing.T) { contract(t, testOwnerZone) }

// testOwnerZone: a train keeps its owner's Thing+ zone from its creation,
// every reader (a viewer too) reads it, a sign-in with another zone moves
// all the owner's trains and only theirs, and it survives a restart.
func testOwnerZone(t *testing.T, tb testBackend) {
	ctx := context.Background()
	dir := t.TempDir()
	s := tb.openTest(t, dir)
	seeded, err := s.OwnerZone(ctx, 1000)
	if err != nil || seeded != "" {
		t.Fatalf("seed train's zone %q %v, want unknown", seeded, err)
	}
	nt, err := s.CreateTrain(ctx, NewTrain{Name: "2호선", Owner: Owner{ID: "2", Login: "other", Zone: "-3.00"}})
	if err != nil || nt.OwnerZone != "-3.00" {
		t.Fatalf("create: %+v %v", nt, err)
	}
	if err := s.ShareTrain(ctx, nt.ID, "demo", RoleViewer); err != nil {
		t.Fatal(err)
	}
	got, err := s.TrainFor(ctx, demo, nt.ID)
	if err != nil || got.OwnerZone != "-3.00" || got.Role != RoleViewer {
		t.Fatalf("viewer reads %+v %v, want the owner's zone", got, err)
	}
	// The demo account signs in with +9.00: its three seed trains follow,
	// the other account's train keeps its owner's zone.
	if err := s.SetOwnerZone(ctx, "1", "+9.00"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetOwnerZone(ctx, "1", "+9.00"); err != nil { // nothing to change: no write
		t.Fatal(err)
	}
	ts, err := s.Trains(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range ts {
		want := "+9.00"
		if tr.ID == nt.ID {
			want = "-3.00"
		}
		if tr.OwnerZone != want {
			t.Fatalf("train %d zone %q, want %q", tr.ID, tr.OwnerZone, want)
		}
	}
	if _, err := s.OwnerZone(ctx, 999); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown train: %v", err)
	}
	s.Close()
	s = tb.openTest(t, dir)
	if z, err := s.OwnerZone(ctx, 1002); err != nil || z != "+9.00" {
		t.Fatalf("after a restart: %q %v", z, err)
	}
}
