package wiring

import (
	"context"
	"fmt"

	"github.com/thingplus/thingplus-webapp/trains"
)

// TrainLister lists the trains an account may see, with its role on each
// (*trains.Store).
type TrainLister interface {
	TrainsFor(ctx context.Context, p trains.Principal) ([]trains.Train, error)
}

// TrainDoors is the Expect of the trains database: the doors on the cars of
// the trains the account owns, and the push URL the app gives each door
// (the train's token; handlers/trains.Handler.PushURLFor).
type TrainDoors struct {
	Trains TrainLister
	URL    func(ctx context.Context, account, sensorID, dir string) string
}

// Doors lists every door on a car of the account's own trains.
func (t TrainDoors) Doors(ctx context.Context, account string) ([]Door, error) {
	ts, err := t.Trains.TrainsFor(ctx, trains.Principal{UserID: account})
	if err != nil {
		return nil, err
	}
	var out []Door
	for _, tr := range ts {
		if tr.Role < trains.RoleOwner {
			continue // doors of a train shared with the account are its owner's to wire
		}
		for _, car := range tr.Cars {
			for _, d := range car.Doors {
				label := d.Label
				if label == "" {
					label = d.SensorID
				}
				out = append(out, Door{SensorID: d.SensorID, Where: fmt.Sprintf("%s · %d · %s", tr.Name, car.Position, label)})
			}
		}
	}
	return out, nil
}

// PushURL is the door's current push URL for the account.
func (t TrainDoors) PushURL(ctx context.Context, account, sensorID, dir string) string {
	return t.URL(ctx, account, sensorID, dir)
}
