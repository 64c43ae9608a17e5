package trains

import (
	"bytes"
	"context"
	"fmt"
	"testing"
)

// An SQLite database exported and imported into PostgreSQL is the same
// trains system: counts, doors, owners and shares, the event log, the
// duplicate keys and the push tokens.
func TestExportImport(t *testing.T) {
	needPostgres(t)
	ctx := context.Background()
	secret := []byte("0123456789abcdef0123456789abcdef")
	dir := t.TempDir()
	src := testBackend{"sqlite"}.openOpts(t, dir, Options{TokenSecret: secret})
	for i := range 30 {
		typ := TypeIn
		if i%5 == 4 {
			typ = TypeOut
		}
		if _, err := src.Apply(ctx, Push{SensorID: SeedSensorID(i%3+1, 1), Type: typ, EventKey: fmt.Sprintf("k%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := src.ShareTrain(ctx, 1000, "other", RoleEditor); err != nil {
		t.Fatal(err)
	}
	if err := src.AssignDoor(ctx, 2003, Door{SensorID: "gw-x", Label: "back", Inverted: true}); err != nil {
		t.Fatal(err)
	}
	tok, err := src.Token(ctx, 1000)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := src.Trains(ctx)
	wantEvents, _ := src.Events(ctx, EventFilter{Limit: 1000})
	src.Close()

	var buf bytes.Buffer
	if err := Export(ctx, dir, &buf, Shared{}); err != nil {
		t.Fatal(err)
	}
	url := pgDatabase(t, t.TempDir())
	n, err := Import(ctx, url, bytes.NewReader(buf.Bytes()), Shared{})
	if err != nil {
		t.Fatal(err)
	}
	if n["trains"] != 3 || n["events"] != len(wantEvents)+1 || n["event_keys"] != 30 { // +1: the seed marker
		t.Fatalf("imported %v", n)
	}
	if _, err := Import(ctx, url, bytes.NewReader(buf.Bytes()), Shared{}); err == nil {
		t.Fatal("imported twice")
	}
	dst, err := Open(ctx, t.TempDir(), Options{DatabaseURL: url, TokenSecret: secret})
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	got, _ := dst.Trains(ctx)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("trains differ:\n got %+v\nwant %+v", got, want)
	}
	gotEvents, _ := dst.Events(ctx, EventFilter{Limit: 1000})
	if fmt.Sprint(gotEvents) != fmt.Sprint(wantEvents) {
		t.Fatal("event log differs")
	}
	if id, ok := dst.TokenTrain(tok.Token); !ok || id != 1000 {
		t.Fatalf("token after import: %d %v", id, ok)
	}
	if r, err := dst.Apply(ctx, Push{SensorID: SeedSensorID(1, 1), Type: TypeIn, EventKey: "k0"}); err != nil || r.Outcome != OutcomeDuplicate {
		t.Fatalf("old key after import: %v %v", r.Outcome, err)
	}
	r, err := dst.Apply(ctx, Push{SensorID: "gw-x", Type: TypeOut, EventKey: "new"})
	if err != nil || r.Outcome != OutcomeApplied || r.Event.ID <= wantEvents[0].ID || r.Car.Count != 1 {
		t.Fatalf("new push after import: %+v %v", r, err)
	}
	if rl, err := dst.Authorize(ctx, other, 1000, RoleEditor); err != nil || rl != RoleEditor {
		t.Fatalf("share after import: %v %v", rl, err)
	}
}
