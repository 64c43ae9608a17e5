package sandbox

import (
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
)

// deviceArea owns gateways, devices, sensors, their status and series
// leaves, the catalogs (sensorTypes, gatewayModels, sensorDrivers), sites,
// registerGateway/manageGateway, plan limits and the simulator (§5.3–§5.8,
// §5.10, §5.12, §5.13 of the fact sheet).
//
// Locking: d.mu guards every map and every object reachable from them.
// Calls into the rule engine (seriesArrived) happen after d.mu is released.
type deviceArea struct {
	s *Sandbox

	mu       sync.RWMutex
	gateways map[string]*gateway
	gwOrder  []string // gateway ids in creation order (the default list order)
	devices  map[string]*device
	sensors  map[string]*sensor
	ids      *rand.Rand             // leaf ids; seeded so a seed gives the same ids
	keys     map[string]*gatewayKey // registerGatewayKey, by gateway id

	sim *simulator

	// observe, when set (tests), sees every value handed to the rule engine.
	observe atomic.Pointer[func(SeriesEvent)]
}

// gateway is a Thing+ gateway (§5.3). Owner is the user id.
type gateway struct {
	ID, Name, Model, Owner, Site, Service string
	ReportInterval                        int64 // ms
	Virtual, AutoCreateDiscoverable       string
	Delegate                              string
	Desc, Mobile                          *string
	Location, DelegateInfo, CustomFields  any // objects as decoded from JSON
	DeviceModels                          []deviceModelRef
	Ctime, Mtime                          int64
	Status                                *statusLeaf
	DeviceIDs, SensorIDs                  []string // creation order

	// simulated gateways get fresh statuses (and values for their climate
	// sensors) from the simulator.
	simulated bool
}

type deviceModelRef struct {
	ID    string `json:"id,omitempty"`
	Model string `json:"model"`
}

// device is a gateway's device (§5.5). Owner is the gateway id.
type device struct {
	ID, Name, Model, Owner, Address string
	Ctime, Mtime                    int64
}

// sensor is a gateway's sensor (§5.6). Owner is the gateway id.
type sensor struct {
	ID, Name, Owner, DeviceID, Type, Category string
	Network, DriverName, Model, Sequence      string
	Address, Virtual, Delegate                string
	DelegateInfo, Options                     any
	Ctime, Mtime                              int64
	Status                                    *statusLeaf
	Series                                    *seriesLeaf
}

// statusLeaf is a status leaf (§5.4, §5.7). ExpireAt -1 means never.
type statusLeaf struct {
	ID                                  string
	Value                               string
	Time, ExpireAt, Vtime, Ctime, Mtime int64
}

// effective is the value and vtime a reader sees at now: an expired status
// reads "off" from the moment it expired (§6 "expiry of a status turns it off").
func (l *statusLeaf) effective(now int64) (value string, vtime int64) {
	if l.ExpireAt >= 0 && now >= l.ExpireAt {
		v := l.Vtime
		if l.Value != "off" && l.ExpireAt > v {
			v = l.ExpireAt
		}
		return "off", v
	}
	return l.Value, l.Vtime
}

func newDeviceArea(s *Sandbox) *deviceArea {
	d := &deviceArea{
		s:        s,
		gateways: map[string]*gateway{},
		devices:  map[string]*device{},
		sensors:  map[string]*sensor{},
		keys:     map[string]*gatewayKey{},
		ids:      rand.New(rand.NewPCG(uint64(s.opts.Seed), 0x1eaf1d5)),
	}
	d.seed()
	d.sim = newSimulator(d)
	return d
}

func (d *deviceArea) routes(mux *http.ServeMux) {
	u := d.s.requireUser
	mux.HandleFunc("GET /v2/gateways", u(d.listGateways))
	mux.HandleFunc("GET /v2/gateways/{id}", u(d.getGateway))
	mux.HandleFunc("PUT /v2/gateways/{id}", u(d.putGateway))
	mux.HandleFunc("DELETE /v2/gateways/{id}", u(d.deleteGateway))
	mux.HandleFunc("GET /v2/gateways/{id}/status", u(d.getGatewayStatus))
	mux.HandleFunc("PUT /v2/gateways/{id}/status", u(d.putGatewayStatus))

	mux.HandleFunc("GET /v2/gateways/{owner}/devices", u(d.listDevices))
	mux.HandleFunc("POST /v2/gateways/{owner}/devices", u(d.createDevice))
	mux.HandleFunc("GET /v2/gateways/{owner}/devices/{id}", u(d.getDevice))
	mux.HandleFunc("PUT /v2/gateways/{owner}/devices/{id}", u(d.putDevice))
	mux.HandleFunc("DELETE /v2/gateways/{owner}/devices/{id}", u(d.deleteDevice))

	mux.HandleFunc("GET /v2/gateways/{owner}/sensors", u(d.listSensors))
	mux.HandleFunc("POST /v2/gateways/{owner}/sensors", u(d.createSensor))
	mux.HandleFunc("GET /v2/gateways/{owner}/sensors/{id}", u(d.getSensor))
	mux.HandleFunc("PUT /v2/gateways/{owner}/sensors/{id}", u(d.putSensor))
	mux.HandleFunc("DELETE /v2/gateways/{owner}/sensors/{id}", u(d.deleteSensor))
	mux.HandleFunc("GET /v2/gateways/{owner}/sensors/{id}/status", u(d.getSensorStatus))
	mux.HandleFunc("PUT /v2/gateways/{owner}/sensors/{id}/status", u(d.putSensorStatus))
	mux.HandleFunc("GET /v2/gateways/{owner}/sensors/{id}/series", u(d.getSeries))
	mux.HandleFunc("PUT /v2/gateways/{owner}/sensors/{id}/series", u(d.putSeries))

	mux.HandleFunc("GET /v2/sites", u(d.listSites))
	mux.HandleFunc("GET /v2/sites/{id}", u(d.getSite))
	mux.HandleFunc("POST /v2/registerGateway", u(d.registerGateway))
	mux.HandleFunc("POST /v2/manageGateway", u(d.manageGateway))
	mux.HandleFunc("POST /v2/controlActuator", u(d.controlActuator))
	mux.HandleFunc("POST /v2/registerGatewayKey", u(d.registerGatewayKey))
	mux.HandleFunc("POST /v2/activateGatewayKey", d.activateGatewayKey)

	// No login (§5.1).
	mux.HandleFunc("GET /v2/sensorTypes", d.listSensorTypes)
	mux.HandleFunc("GET /v2/sensorTypes/{id}", d.getSensorType)
	mux.HandleFunc("GET /v2/gatewayModels", d.listGatewayModels)
	mux.HandleFunc("GET /v2/gatewayModels/{id}", d.getGatewayModel)
	mux.HandleFunc("GET /v2/sensorDrivers", d.listSensorDrivers)
	mux.HandleFunc("GET /v2/sensorDrivers/{id}", d.getSensorDriver)
}

// start runs the simulator unless Options.SimulatorPace is negative.
func (d *deviceArea) start() {
	pace := d.s.opts.SimulatorPace
	if pace < 0 {
		return
	}
	if pace == 0 {
		pace = defaultSimulatorPace
	}
	if d.s.opts.RushHour {
		d.sim.rushFrom.Store(d.s.now().UnixMilli())
	}
	d.s.goBackground(func(stop <-chan struct{}) { d.sim.run(pace, stop) })
}

// SensorInfo is what the rule engine needs to know about a sensor.
type SensorInfo struct {
	ID, Name, Type, GatewayID, OwnerUserID string
	// DeviceID, Category and Unit (from the sensor type) complete the picture.
	DeviceID, Category, Unit string
}

// lookupSensor finds a sensor of any user (the engine checks ownership).
func (d *deviceArea) lookupSensor(sensorID string) (SensorInfo, bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	sn, ok := d.sensors[sensorID]
	if !ok {
		return SensorInfo{}, false
	}
	return d.infoLocked(sn), true
}

func (d *deviceArea) infoLocked(sn *sensor) SensorInfo {
	info := SensorInfo{ID: sn.ID, Name: sn.Name, Type: sn.Type, GatewayID: sn.Owner,
		DeviceID: sn.DeviceID, Category: sn.Category}
	if gw, ok := d.gateways[sn.Owner]; ok {
		info.OwnerUserID = gw.Owner
	}
	if st, ok := sensorTypeByID(sn.Type); ok {
		info.Unit = st.Unit
	}
	return info
}

// gatewayOfLocked returns the caller's gateway: 404 when it does not exist,
// 403 when it is another user's (§4.7). Callers hold d.mu.
func (d *deviceArea) gatewayOfLocked(userID, gwID string) (*gateway, error) {
	gw, ok := d.gateways[gwID]
	if !ok {
		return nil, notFound("gateway", gwID)
	}
	if gw.Owner != userID {
		return nil, denied("gateway", gwID)
	}
	return gw, nil
}

// sensorOfLocked checks the gateway first, so another user's gateway is 403
// even when the sensor does not exist; a sensor of another user reached
// through one's own gateway id is 403 too, any other miss is 404.
func (d *deviceArea) sensorOfLocked(userID, gwID, sensorID string) (*gateway, *sensor, error) {
	gw, err := d.gatewayOfLocked(userID, gwID)
	if err != nil {
		return nil, nil, err
	}
	sn, ok := d.sensors[sensorID]
	if !ok {
		return nil, nil, notFound("sensor", sensorID)
	}
	if sn.Owner != gw.ID {
		if other, ok := d.gateways[sn.Owner]; ok && other.Owner != userID {
			return nil, nil, denied("sensor", sensorID)
		}
		return nil, nil, notFound("sensor", sensorID)
	}
	return gw, sn, nil
}

func (d *deviceArea) deviceOfLocked(userID, gwID, deviceID string) (*gateway, *device, error) {
	gw, err := d.gatewayOfLocked(userID, gwID)
	if err != nil {
		return nil, nil, err
	}
	dv, ok := d.devices[deviceID]
	if !ok {
		return nil, nil, notFound("device", deviceID)
	}
	if dv.Owner != gw.ID {
		if other, ok := d.gateways[dv.Owner]; ok && other.Owner != userID {
			return nil, nil, denied("device", deviceID)
		}
		return nil, nil, notFound("device", deviceID)
	}
	return gw, dv, nil
}

// removeSensorLocked forgets a sensor and its place in its gateway.
func (d *deviceArea) removeSensorLocked(sn *sensor) {
	delete(d.sensors, sn.ID)
	if gw, ok := d.gateways[sn.Owner]; ok {
		gw.SensorIDs = slices.DeleteFunc(gw.SensorIDs, func(id string) bool { return id == sn.ID })
	}
}

// removeDeviceLocked forgets a device and the sensors attached to it.
func (d *deviceArea) removeDeviceLocked(dv *device) {
	delete(d.devices, dv.ID)
	gw, ok := d.gateways[dv.Owner]
	if !ok {
		return
	}
	gw.DeviceIDs = slices.DeleteFunc(gw.DeviceIDs, func(id string) bool { return id == dv.ID })
	for _, sid := range slices.Clone(gw.SensorIDs) {
		if sn := d.sensors[sid]; sn != nil && sn.DeviceID == dv.ID {
			d.removeSensorLocked(sn)
		}
	}
}

func (d *deviceArea) removeGatewayLocked(gw *gateway) {
	for _, sid := range gw.SensorIDs {
		delete(d.sensors, sid)
	}
	for _, did := range gw.DeviceIDs {
		delete(d.devices, did)
	}
	delete(d.gateways, gw.ID)
	d.gwOrder = slices.DeleteFunc(d.gwOrder, func(id string) bool { return id == gw.ID })
}

const leafIDChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// leafIDLocked makes "status.gateway.5F36S1"-style ids (§4.4). Callers hold d.mu.
func (d *deviceArea) leafIDLocked(prefix string) string {
	b := []byte(prefix + ".")
	for range 6 {
		b = append(b, leafIDChars[d.ids.IntN(len(leafIDChars))])
	}
	return string(b)
}

// newStatusLocked makes a status leaf that has never been reported: it reads "off".
func (d *deviceArea) newStatusLocked(kind string, now int64) *statusLeaf {
	return &statusLeaf{ID: d.leafIDLocked("status." + kind), Value: "off",
		Time: now, ExpireAt: now, Vtime: now, Ctime: now, Mtime: now}
}

// setStatusLocked records a status report: value for validMs (-1 = forever).
func setStatusLocked(l *statusLeaf, value string, validMs, now int64) {
	old, _ := l.effective(now)
	if old != value {
		l.Vtime = now
	}
	l.Value = value
	l.Time = now
	l.Mtime = now
	if validMs < 0 {
		l.ExpireAt = -1
	} else {
		l.ExpireAt = now + validMs
	}
}
