package sandbox

import (
	"fmt"
	"strconv"
	"time"
)

// Seeded gateway ids (the team brief's fixed facts).
const (
	SubwayGatewayID  = "b827ebd0a001"
	ClimateGatewayID = "b827ebd0a002"
	OfflineGatewayID = "b827ebd0a003"
	OtherGatewayID   = "b827ebd0a0ff"

	seedReportInterval = 60000 // ms
	subwayCars         = 3
	doorsPerCar        = 4
	// offlineSince is how long ago the offline gateway last reported.
	offlineSince = 3 * 24 * time.Hour
)

// DoorSensorID is the id of a subway door counter: car 1..3, door 1..4.
func DoorSensorID(car, door int) string {
	return fmt.Sprintf("%s-%d-door%d", SubwayGatewayID, car, door)
}

// seed creates the demo account's gateways (user "1") and user "2"'s one
// gateway. Times are relative to the clock at New; history is added by the
// simulator's backfill.
func (d *deviceArea) seed() {
	now := d.s.nowMs()
	day := (24 * time.Hour).Milliseconds()

	// Subway 신림-성수: model 52 (Open API Gateway), one device per car,
	// four people-counter door sensors per car.
	sub := d.seedGateway(SubwayGatewayID, "Subway 신림-성수 line", "52", "1", now-40*day,
		map[string]any{"latitude": 37.4842, "longitude": 126.9297, "address": "서울 관악구 신림역"})
	for car := 1; car <= subwayCars; car++ {
		dv := &device{ID: fmt.Sprintf("%s-%d", SubwayGatewayID, car), Name: fmt.Sprintf("Car %d", car),
			Model: "open-api-device-v1.0", Address: strconv.Itoa(car), Ctime: sub.Ctime, Mtime: sub.Ctime}
		d.addDeviceLocked(sub, dv)
		for door := 1; door <= doorsPerCar; door++ {
			d.addSensorLocked(sub, &sensor{ID: DoorSensorID(car, door), Name: fmt.Sprintf("Car %d door %d", car, door),
				DeviceID: dv.ID, Type: "countEvent", Category: "sensor", Network: "daliworks",
				DriverName: "openApiSensor", Model: "openApiCountEvent", Sequence: strconv.Itoa(door),
				Ctime: sub.Ctime, Mtime: sub.Ctime}, sub.Ctime)
		}
	}

	// Climate: model 18 (Raspberry Pi-Developer) with temperature and humidity.
	cl := d.seedGateway(ClimateGatewayID, "Climate 신림 station", "18", "1", now-35*day,
		map[string]any{"latitude": 37.4842, "longitude": 126.9297, "address": "서울 관악구 신림역 대합실"})
	d.seedClimateDevice(cl, true)
	d.seedActuators(cl)

	// Offline: a model-18 gateway that stopped reporting days ago.
	off := d.seedGateway(OfflineGatewayID, "Depot 군자 climate", "18", "1", now-60*day,
		map[string]any{"latitude": 37.5571, "longitude": 127.0794, "address": "서울 광진구 군자차량기지"})
	d.seedClimateDevice(off, false)
	d.seedActuators(off)

	// User 2's gateway, for 403 tests.
	other := d.seedGateway(OtherGatewayID, "Other's gateway", "52", "2", now-20*day, nil)
	odv := &device{ID: OtherGatewayID + "-0", Name: "Open API Device", Model: "open-api-device-v1.0",
		Address: "0", Ctime: other.Ctime, Mtime: other.Ctime}
	d.addDeviceLocked(other, odv)
	d.addSensorLocked(other, &sensor{ID: OtherGatewayID + "-0-temperature", Name: "Temperature", DeviceID: odv.ID,
		Type: "temperature", Category: "sensor", Network: "daliworks", DriverName: "openApiSensor",
		Model: "openApiTemp", Ctime: other.Ctime, Mtime: other.Ctime}, other.Ctime)

	// Statuses: fresh for the live gateways, long expired for the offline one.
	for _, gw := range []*gateway{sub, cl, other} {
		gw.simulated = true
		d.freshenLocked(gw, now)
	}
	lastSeen := now - offlineSince.Milliseconds()
	setStatusLocked(off.Status, "on", seedReportInterval*3/2, lastSeen)
	for _, sid := range off.SensorIDs {
		setStatusLocked(d.sensors[sid].Status, "on", seedReportInterval*3/2, lastSeen)
	}
}

func (d *deviceArea) seedGateway(id, name, model, owner string, ctime int64, location map[string]any) *gateway {
	gw := &gateway{ID: id, Name: name, Model: model, Owner: owner, Site: "1", Service: "1",
		ReportInterval: seedReportInterval, Virtual: "n", AutoCreateDiscoverable: "y", Delegate: "n",
		Ctime: ctime, Mtime: ctime}
	if location != nil {
		gw.Location = location
	}
	d.addGatewayLocked(gw, ctime)
	return gw
}

// seedClimateDevice adds a GrovePi device with temperature (and humidity).
func (d *deviceArea) seedClimateDevice(gw *gateway, humidity bool) {
	dv := &device{ID: gw.ID + "-0", Name: "GrovePi+ sensors", Model: "GrovePiPlusStarterKitForRaspberryPi",
		Address: "0", Ctime: gw.Ctime, Mtime: gw.Ctime}
	d.addDeviceLocked(gw, dv)
	d.addSensorLocked(gw, &sensor{ID: dv.ID + "-temperature", Name: "Temperature", DeviceID: dv.ID,
		Type: "temperature", Category: "sensor", Network: "jsonrpc", DriverName: "jsonrpcSensor",
		Model: "jsonrpcTemp", Sequence: "0", Ctime: gw.Ctime, Mtime: gw.Ctime}, gw.Ctime)
	if humidity {
		d.addSensorLocked(gw, &sensor{ID: dv.ID + "-humidity", Name: "Humidity", DeviceID: dv.ID,
			Type: "humidity", Category: "sensor", Network: "jsonrpc", DriverName: "jsonrpcSensor",
			Model: "jsonrpcHumi", Sequence: "0", Ctime: gw.Ctime, Mtime: gw.Ctime}, gw.Ctime)
	}
}

// seedActuators gives a GrovePi gateway an LED, a relay (powerSwitch) and a
// text display (stringActuator) for controlActuator; on the offline gateway
// they answer 504.
func (d *deviceArea) seedActuators(gw *gateway) {
	dv := gw.ID + "-0"
	for _, a := range []struct{ suffix, name, typ, model string }{
		{"led", "Status LED", "led", "jsonrpcLed"},
		{"relay", "Fan relay", "powerSwitch", "jsonrpcRelay"},
		{"display", "Platform display", "stringActuator", "jsonrpcString"},
	} {
		d.addSensorLocked(gw, &sensor{ID: dv + "-" + a.suffix, Name: a.name, DeviceID: dv, Type: a.typ,
			Category: "actuator", Network: "jsonrpc", DriverName: "jsonrpcActuator", Model: a.model,
			Sequence: "0", Ctime: gw.Ctime, Mtime: gw.Ctime}, gw.Ctime)
	}
}

// freshenLocked reports a gateway and its sensors "on" for 1.5 report
// intervals, as a live gateway does once per report interval (§5.4).
func (d *deviceArea) freshenLocked(gw *gateway, now int64) {
	valid := gw.ReportInterval * 3 / 2
	setStatusLocked(gw.Status, "on", valid, now)
	for _, sid := range gw.SensorIDs {
		if sn := d.sensors[sid]; sn != nil {
			setStatusLocked(sn.Status, "on", valid, now)
		}
	}
}

// SeedGateways adds n reporting gateways (model 52, one device, a
// temperature and a countEvent sensor each, status on) to a user, beyond
// any plan limit. For benchmarks and load tests; it returns their ids.
func (s *Sandbox) SeedGateways(userID string, n int) ([]string, error) {
	if _, ok := s.userByID(userID); !ok {
		return nil, notFound("user", userID)
	}
	d := s.devices
	d.mu.Lock()
	defer d.mu.Unlock()
	now := s.nowMs()
	ids := make([]string, 0, n)
	for i := 0; len(ids) < n; i++ {
		id := fmt.Sprintf("bench%s%06d", userID, i)
		if d.gateways[id] != nil {
			continue
		}
		gw := &gateway{ID: id, Name: fmt.Sprintf("Bench gateway %d", len(ids)+1), Model: "52", Owner: userID,
			Site: "1", Service: "1", ReportInterval: seedReportInterval, Virtual: "y",
			AutoCreateDiscoverable: "y", Delegate: "n", Ctime: now, Mtime: now}
		d.addGatewayLocked(gw, now)
		dv := &device{ID: id + "-0", Name: "Open API Device", Model: "open-api-device-v1.0", Address: "0", Ctime: now, Mtime: now}
		d.addDeviceLocked(gw, dv)
		for _, t := range []struct{ typ, model string }{{"temperature", "openApiTemp"}, {"countEvent", "openApiCountEvent"}} {
			d.addSensorLocked(gw, &sensor{ID: dv.ID + "-" + t.typ, Name: t.typ, DeviceID: dv.ID, Type: t.typ,
				Category: "sensor", Network: "daliworks", DriverName: "openApiSensor", Model: t.model,
				Ctime: now, Mtime: now}, now)
		}
		d.freshenLocked(gw, now)
		ids = append(ids, id)
	}
	return ids, nil
}
