package overview

import (
	"context"
	"testing"
	"time"

	"github.com/thingplus/thingplus-webapp/thingplus"
	"github.com/thingplus/thingplus-webapp/trains"
)

// TestOverviewShowsOnlyYourTrains: the home page's fullest cars and
// refused pushes come from the trains the signed-in account may see; a
// fuller car or a refused push on another account's train never shows.
func TestOverviewShowsOnlyYourTrains(t *testing.T) {
	ctx := context.Background()
	store, err := trains.Open(ctx, t.TempDir(), trains.Options{NoSeed: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	train := func(owner, name, sensor string, count int) {
		t.Helper()
		tr, err := store.CreateTrain(ctx, trains.NewTrain{Name: name, Running: true, Owner: trains.Owner{ID: owner, Login: "login-" + owner}})
		if err != nil {
			t.Fatal(err)
		}
		car, err := store.AddCar(ctx, tr.ID, 100)
		if err != nil {
			t.Fatal(err)
		}
		if err := store.AssignDoor(ctx, car.ID, trains.Door{SensorID: sensor, Label: "Door 1"}); err != nil {
			t.Fatal(err)
		}
		if err := store.CorrectCount(ctx, car.ID, count, "test"); err != nil {
			t.Fatal(err)
		}
	}
	train("1", "신림-성수", "gw1-0-door1", 60)
	train("2", "Other line", "gw2-0-door1", 100)
	if err := store.LogRejected(ctx, trains.Rejected{SensorID: "gw2-0-door1", Type: "IN", Outcome: trains.OutcomeBadKey, Reason: "test"}); err != nil {
		t.Fatal(err)
	}
	l := &Loader{Trains: store, Now: time.Now}
	for _, c := range []struct {
		user    thingplus.User
		train   string
		refused int
	}{
		{thingplus.User{ID: "1", LoginID: "login-1", Timezone: "+9.00"}, "신림-성수", 0},
		{thingplus.User{ID: "2", LoginID: "login-2", Timezone: "+9.00"}, "Other line", 1},
	} {
		o := l.Overview(ctx, "token", c.user)
		if o.Crowded == nil || len(o.Crowded.Cars) != 1 || o.Crowded.Cars[0].Train != c.train {
			t.Errorf("user %s: crowded %+v, want only %s", c.user.ID, o.Crowded, c.train)
		}
		if o.Refused == nil || o.Refused.Today != c.refused {
			t.Errorf("user %s: refused %+v, want %d", c.user.ID, o.Refused, c.refused)
		}
	}
}
