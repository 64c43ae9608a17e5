package sandbox

import "net/http"

// deviceArea owns gateways, devices, sensors, status, series and the simulator.
// Placeholder until the devices area lands.
type deviceArea struct{ s *Sandbox }

func newDeviceArea(s *Sandbox) *deviceArea { return &deviceArea{s: s} }

func (d *deviceArea) routes(mux *http.ServeMux) {}

func (d *deviceArea) start() {}

// SensorInfo is what the rule engine needs to know about a sensor.
type SensorInfo struct {
	ID, Name, Type, GatewayID, OwnerUserID string
}

// lookupSensor finds a sensor of any user (the engine checks ownership).
func (d *deviceArea) lookupSensor(sensorID string) (SensorInfo, bool) { return SensorInfo{}, false }
