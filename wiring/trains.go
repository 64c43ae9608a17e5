package wiring

import (
	"context"
	"fmt"

	"github.com/thingplus/thingplus-webapp/trains"
)

// TrainLister lists the trains with their cars and doors (*trains.Store).
type TrainLister interface {
	Trains(ctx context.Context) ([]trains.Train, error)
}

// TrainDoors is the Expect of the trains database: the doors on its cars,
// and the push URL the app gives each door.
type TrainDoors struct {
	Trains TrainLister
	URL    func(sensorID, dir string) string
}

// Doors lists every door on a car, train by train.
func (t TrainDoors) Doors(ctx context.Context) ([]Door, error) {
	ts, err := t.Trains.Trains(ctx)
	if err != nil {
		return nil, err
	}
	var out []Door
	for _, tr := range ts {
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

// PushURL is the door's current push URL.
func (t TrainDoors) PushURL(sensorID, dir string) string { return t.URL(sensorID, dir) }
