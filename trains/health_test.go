package trains

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/thingplus/thingplus-webapp/apptest"
)

func TestCheckWritable(t *testing.T) { contract(t, testCheckWritable) }

func testCheckWritable(t *testing.T, tb testBackend) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := tb.open(t, dir, Options{NoSeed: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for range 3 {
		if err := s.CheckWritable(ctx); err != nil {
			t.Fatalf("writable store: %v", err)
		}
	}
}

// TestCheckWritableFailsOnReadOnlyFile makes the database file (and its WAL)
// read-only (immutable) under a running store: the check must fail.
func TestCheckWritableFailsOnReadOnlyFile(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(ctx, dir, Options{NoSeed: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.CheckWritable(ctx); err != nil {
		t.Fatal(err)
	}
	undo := apptest.MakeReadOnly(t, filepath.Join(dir, DBFile))
	defer undo()
	if err := s.CheckWritable(ctx); err == nil {
		t.Fatal("a read-only database passed the write check")
	}
	undo()
	if err := s.CheckWritable(ctx); err != nil {
		t.Fatalf("after the files are writable again: %v", err)
	}
}
