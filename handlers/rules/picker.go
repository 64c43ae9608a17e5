package rules

import (
	"context"
	"sort"

	"github.com/thingplus/thingplus-webapp/thingplus"
)

// GatewayLister lists gateways with embedded sensors
// (*thingplus.Client.AllGateways).
type GatewayLister interface {
	AllGateways(ctx context.Context, token string, q thingplus.Query) ([]thingplus.Gateway, error)
}

// GatewayPicker is the SensorPicker over the gateways API: one call,
// GET /gateways?embed=sensors, actuators left out, names sorted.
func GatewayPicker(l GatewayLister) SensorPicker {
	return PickerFunc(func(ctx context.Context, token string) ([]GatewayChoice, error) {
		gws, err := l.AllGateways(ctx, token, thingplus.Query{Embed: []string{"sensors"}})
		if err != nil {
			return nil, err
		}
		out := make([]GatewayChoice, 0, len(gws))
		for _, g := range gws {
			gc := GatewayChoice{ID: g.ID, Name: g.Name}
			for _, s := range g.Sensors.Items {
				if s.Category == "actuator" || s.ID == "" {
					continue
				}
				gc.Sensors = append(gc.Sensors, SensorChoice{ID: s.ID, Name: s.Name, Type: s.Type})
			}
			sort.SliceStable(gc.Sensors, func(i, j int) bool { return gc.Sensors[i].Name < gc.Sensors[j].Name })
			out = append(out, gc)
		}
		sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
		return out, nil
	})
}
