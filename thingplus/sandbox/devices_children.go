package sandbox

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
)

// reqIDRe is what the sandbox accepts as a new gateway, device or sensor id:
// MACs, UUIDs without dashes and template ids like b827ebd0a001-1-door2.
var reqIDRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$`)

func checkReqID(field string, v *string) (string, error) {
	if v == nil || *v == "" {
		return "", schemaErr(field + " is required")
	}
	if !reqIDRe.MatchString(*v) {
		return "", schemaErr(field + " may hold only letters, digits and _ . : - (at most 128)")
	}
	return *v, nil
}

// ---- devices (§5.5) ----

func (d *deviceArea) listDevices(w http.ResponseWriter, r *http.Request) {
	if !d.s.requireScope(w, r, "gateway-read") {
		return
	}
	lq, err := parseListQuery(r.URL.Query())
	if err != nil {
		writeAreaErr(w, err)
		return
	}
	d.mu.RLock()
	gw, err := d.gatewayOfLocked(principalOf(r).UserID, r.PathValue("owner"))
	if err != nil {
		d.mu.RUnlock()
		writeAreaErr(w, err)
		return
	}
	items := make([]listItem, 0, len(gw.DeviceIDs))
	for _, id := range gw.DeviceIDs {
		if dv := d.devices[id]; dv != nil {
			items = append(items, listItem{view: deviceView(dv, false), ctime: dv.Ctime, ref: dv})
		}
	}
	page, meta := lq.apply(items)
	out := make([]any, len(page))
	for i, it := range page {
		out[i] = lq.project(it.view)
	}
	d.mu.RUnlock()
	writeData(w, http.StatusOK, out, meta)
}

func (d *deviceArea) getDevice(w http.ResponseWriter, r *http.Request) {
	if !d.s.requireScope(w, r, "gateway-read") {
		return
	}
	lq, err := parseListQuery(r.URL.Query())
	if err != nil {
		writeAreaErr(w, err)
		return
	}
	d.mu.RLock()
	_, dv, err := d.deviceOfLocked(principalOf(r).UserID, r.PathValue("owner"), r.PathValue("id"))
	var v any
	if err == nil {
		v = lq.project(deviceView(dv, false))
	}
	d.mu.RUnlock()
	if err != nil {
		writeAreaErr(w, err)
		return
	}
	writeData(w, http.StatusOK, v, nil)
}

type deviceBody struct {
	ReqID   *string `json:"reqId"`
	Name    *string `json:"name"`
	Model   *string `json:"model"`
	Address *string `json:"address"`

	// read-only echoes accepted on PUT
	ID    *string         `json:"id"`
	Owner json.RawMessage `json:"owner"`
	Ctime json.RawMessage `json:"ctime"`
	Mtime json.RawMessage `json:"mtime"`
}

// checkDeviceModel: a device model must belong to its gateway's model (TA).
func checkDeviceModel(gw *gateway, model string) error {
	gm, ok := gatewayModelByID(gw.Model)
	if !ok {
		return nil
	}
	for _, dm := range gm.DeviceModels {
		if dm.ID == model {
			return nil
		}
	}
	return inputErr("device model " + model + " does not belong to gateway model " + gw.Model)
}

// createDevice: POST /gateways/{owner}/devices {reqId, name, model, address?} → 201.
func (d *deviceArea) createDevice(w http.ResponseWriter, r *http.Request) {
	if !d.s.requireScope(w, r, "gateway") {
		return
	}
	var in deviceBody
	if err := decodeStrict(r, &in); err != nil {
		writeAreaErr(w, err)
		return
	}
	if in.ID != nil || in.Owner != nil || in.Ctime != nil || in.Mtime != nil {
		writeAreaErr(w, schemaErr("id, owner, ctime and mtime are set by the server; send reqId"))
		return
	}
	id, err := checkReqID("reqId", in.ReqID)
	if err == nil && (in.Name == nil || in.Model == nil) {
		err = schemaErr("reqId, name and model are required")
	}
	if err == nil {
		err = checkName(*in.Name)
	}
	if err != nil {
		writeAreaErr(w, err)
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	gw, err := d.gatewayOfLocked(principalOf(r).UserID, r.PathValue("owner"))
	if err == nil {
		err = checkDeviceModel(gw, *in.Model)
	}
	if err == nil && d.devices[id] != nil {
		err = conflict("device", id)
	}
	if err != nil {
		writeAreaErr(w, err)
		return
	}
	now := d.s.nowMs()
	dv := &device{ID: id, Name: *in.Name, Model: *in.Model, Owner: gw.ID, Ctime: now, Mtime: now}
	if in.Address != nil {
		dv.Address = *in.Address
	}
	d.addDeviceLocked(gw, dv)
	writeData(w, http.StatusCreated, deviceView(dv, true), nil)
}

func (d *deviceArea) addDeviceLocked(gw *gateway, dv *device) {
	dv.Owner = gw.ID
	d.devices[dv.ID] = dv
	gw.DeviceIDs = append(gw.DeviceIDs, dv.ID)
	addDeviceModelRef(gw, dv)
}

// putDevice: PUT …/devices/{id} {name, model, address} → 200.
func (d *deviceArea) putDevice(w http.ResponseWriter, r *http.Request) {
	if !d.s.requireScope(w, r, "gateway-update") {
		return
	}
	var in deviceBody
	if err := decodeStrict(r, &in); err != nil {
		writeAreaErr(w, err)
		return
	}
	if in.ReqID != nil {
		writeAreaErr(w, schemaErr("reqId is only for creation"))
		return
	}
	if in.ID != nil && *in.ID != r.PathValue("id") {
		writeAreaErr(w, schemaErr("id in the body differs from the path"))
		return
	}
	if in.Name != nil {
		if err := checkName(*in.Name); err != nil {
			writeAreaErr(w, err)
			return
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	gw, dv, err := d.deviceOfLocked(principalOf(r).UserID, r.PathValue("owner"), r.PathValue("id"))
	if err == nil && in.ID != nil && *in.ID != dv.ID {
		err = schemaErr("id in the body differs from the path")
	}
	if err == nil && in.Model != nil {
		err = checkDeviceModel(gw, *in.Model)
	}
	if err != nil {
		writeAreaErr(w, err)
		return
	}
	if in.Name != nil {
		dv.Name = *in.Name
	}
	if in.Model != nil {
		dv.Model = *in.Model
		for i := range gw.DeviceModels {
			if gw.DeviceModels[i].ID == dv.ID {
				gw.DeviceModels[i].Model = dv.Model
			}
		}
	}
	if in.Address != nil {
		dv.Address = *in.Address
	}
	dv.Mtime = d.s.nowMs()
	writeData(w, http.StatusOK, deviceView(dv, false), nil)
}

// deleteDevice: DELETE …/devices/{id} → 204; the device's sensors go too.
func (d *deviceArea) deleteDevice(w http.ResponseWriter, r *http.Request) {
	if !d.s.requireScope(w, r, "gateway") {
		return
	}
	d.mu.Lock()
	gw, dv, err := d.deviceOfLocked(principalOf(r).UserID, r.PathValue("owner"), r.PathValue("id"))
	if err == nil {
		d.removeDeviceLocked(dv)
		gw.DeviceModels = slices.DeleteFunc(gw.DeviceModels, func(m deviceModelRef) bool { return m.ID == dv.ID })
	}
	d.mu.Unlock()
	if err != nil {
		writeAreaErr(w, err)
		return
	}
	writeNoContent(w)
}

// ---- sensors (§5.6, §5.7) ----

func (d *deviceArea) listSensors(w http.ResponseWriter, r *http.Request) {
	if !d.s.requireScope(w, r, "gateway-read") {
		return
	}
	q := r.URL.Query()
	lq, err := parseListQuery(q, "status", "series")
	if err != nil {
		writeAreaErr(w, err)
		return
	}
	opts, err := d.parseSensorEmbeds(q, lq)
	if err != nil {
		writeAreaErr(w, err)
		return
	}
	d.mu.RLock()
	gw, err := d.gatewayOfLocked(principalOf(r).UserID, r.PathValue("owner"))
	if err != nil {
		d.mu.RUnlock()
		writeAreaErr(w, err)
		return
	}
	now := d.s.nowMs()
	items := make([]listItem, 0, len(gw.SensorIDs))
	for _, id := range gw.SensorIDs {
		if sn := d.sensors[id]; sn != nil {
			st, _ := sn.Status.effective(now)
			items = append(items, listItem{view: sensorView(sn, false), ctime: sn.Ctime, status: st, ref: sn})
		}
	}
	page, meta := lq.apply(items)
	out := make([]any, len(page))
	for i, it := range page {
		d.embedSensorLocked(it.view.(*sensorJSON), it.ref.(*sensor), opts)
		out[i] = lq.project(it.view)
	}
	d.mu.RUnlock()
	writeData(w, http.StatusOK, out, meta)
}

func (d *deviceArea) getSensor(w http.ResponseWriter, r *http.Request) { d.showSensor(w, r, false) }

// getSensorStatus: GET …/sensors/{id}/status = the sensor with embed=status.
func (d *deviceArea) getSensorStatus(w http.ResponseWriter, r *http.Request) {
	d.showSensor(w, r, true)
}

func (d *deviceArea) showSensor(w http.ResponseWriter, r *http.Request, status bool) {
	if !d.s.requireScope(w, r, "gateway-read") {
		return
	}
	q := r.URL.Query()
	lq, err := parseListQuery(q, "status", "series")
	if err != nil {
		writeAreaErr(w, err)
		return
	}
	if status {
		lq.embed["status"] = true
	}
	opts, err := d.parseSensorEmbeds(q, lq)
	if err != nil {
		writeAreaErr(w, err)
		return
	}
	d.mu.RLock()
	_, sn, err := d.sensorOfLocked(principalOf(r).UserID, r.PathValue("owner"), r.PathValue("id"))
	var v any
	if err == nil {
		sv := sensorView(sn, false)
		d.embedSensorLocked(sv, sn, opts)
		v = lq.project(sv)
	}
	d.mu.RUnlock()
	if err != nil {
		writeAreaErr(w, err)
		return
	}
	writeData(w, http.StatusOK, v, nil)
}

type sensorBody struct {
	ReqID        *string         `json:"reqId"`
	Name         *string         `json:"name"`
	Type         *string         `json:"type"`
	Category     *string         `json:"category"`
	DeviceID     *string         `json:"deviceId"`
	Network      *string         `json:"network"`
	DriverName   *string         `json:"driverName"`
	Model        *string         `json:"model"`
	Sequence     *string         `json:"sequence"`
	Address      *string         `json:"address"`
	Virtual      *string         `json:"virtual"`
	Delegate     *string         `json:"delegate"`
	DelegateInfo json.RawMessage `json:"delegateInfo"`
	Options      json.RawMessage `json:"options"`

	// read-only echoes accepted on PUT
	ID     *string         `json:"id"`
	Owner  json.RawMessage `json:"owner"`
	Status json.RawMessage `json:"status"`
	Series json.RawMessage `json:"series"`
	Ctime  json.RawMessage `json:"ctime"`
	Mtime  json.RawMessage `json:"mtime"`
}

// checkSensorBody validates the fields common to POST and PUT.
func checkSensorBody(in *sensorBody) error {
	if in.Name != nil {
		if err := checkName(*in.Name); err != nil {
			return err
		}
	}
	if in.Type != nil {
		st, ok := sensorTypeByID(*in.Type)
		if !ok {
			return inputErr("unknown sensor type " + *in.Type)
		}
		if st.Category != "sensor" {
			return inputErr("sensors registered over HTTPS cannot be actuators (type " + *in.Type + ")")
		}
	}
	if in.Category != nil && *in.Category != "sensor" {
		if *in.Category == "actuator" {
			return inputErr("sensors registered over HTTPS cannot be actuators")
		}
		return schemaErr(`category must be "sensor" or "actuator"`)
	}
	if err := checkYN("virtual", in.Virtual); err != nil {
		return err
	}
	return checkYN("delegate", in.Delegate)
}

// applySensorBodyLocked copies the optional fields (everything is valid).
func applySensorBody(sn *sensor, in *sensorBody, di, opts any, setDI, setOpts bool) {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&sn.Name, in.Name)
	set(&sn.Type, in.Type)
	set(&sn.Category, in.Category)
	set(&sn.DeviceID, in.DeviceID)
	set(&sn.Network, in.Network)
	set(&sn.DriverName, in.DriverName)
	set(&sn.Model, in.Model)
	set(&sn.Sequence, in.Sequence)
	set(&sn.Address, in.Address)
	set(&sn.Virtual, in.Virtual)
	set(&sn.Delegate, in.Delegate)
	if setDI {
		sn.DelegateInfo = di
	}
	if setOpts {
		sn.Options = opts
	}
}

// createSensor: POST /gateways/{owner}/sensors → 201 (over plan → 471 BILLING).
func (d *deviceArea) createSensor(w http.ResponseWriter, r *http.Request) {
	if !d.s.requireScope(w, r, "gateway") {
		return
	}
	var in sensorBody
	if err := decodeStrict(r, &in); err != nil {
		writeAreaErr(w, err)
		return
	}
	if in.ID != nil || in.Owner != nil || in.Status != nil || in.Series != nil || in.Ctime != nil || in.Mtime != nil {
		writeAreaErr(w, schemaErr("id, owner, status, series, ctime and mtime are set by the server; send reqId"))
		return
	}
	id, err := checkReqID("reqId", in.ReqID)
	if err == nil && (in.Name == nil || in.Type == nil) {
		err = schemaErr("reqId, name and type are required")
	}
	if err == nil {
		err = checkSensorBody(&in)
	}
	if err == nil && in.ID != nil && *in.ID != r.PathValue("id") {
		err = schemaErr("id in the body differs from the path")
	}
	di, setDI, err2 := objectOrNull("delegateInfo", in.DelegateInfo)
	opts, setOpts, err3 := objectOrNull("options", in.Options)
	for _, e := range []error{err, err2, err3} {
		if e != nil {
			writeAreaErr(w, e)
			return
		}
	}
	uid := principalOf(r).UserID
	d.mu.Lock()
	defer d.mu.Unlock()
	gw, err := d.gatewayOfLocked(uid, r.PathValue("owner"))
	if err == nil && in.DeviceID != nil {
		if dv := d.devices[*in.DeviceID]; dv == nil || dv.Owner != gw.ID {
			err = inputErr("device " + *in.DeviceID + " is not a device of gateway " + gw.ID)
		}
	}
	if err == nil && d.sensors[id] != nil {
		err = conflict("sensor", id)
	}
	if err == nil {
		err = d.checkPlanLocked(uid, 0, 1)
	}
	if err != nil {
		writeAreaErr(w, err)
		return
	}
	now := d.s.nowMs()
	sn := &sensor{ID: id, Owner: gw.ID, Category: "sensor", Ctime: now, Mtime: now}
	applySensorBody(sn, &in, di, opts, setDI, setOpts)
	d.addSensorLocked(gw, sn, now)
	writeData(w, http.StatusCreated, sensorView(sn, true), nil)
}

// addSensorLocked registers a sensor with fresh (never reported) leaves.
func (d *deviceArea) addSensorLocked(gw *gateway, sn *sensor, now int64) {
	sn.Owner = gw.ID
	sn.Status = d.newStatusLocked("sensor", now)
	st, _ := sensorTypeByID(sn.Type)
	sn.Series = &seriesLeaf{ID: d.leafIDLocked("series.sensor"), object: st.ValueType == "object"}
	d.sensors[sn.ID] = sn
	gw.SensorIDs = append(gw.SensorIDs, sn.ID)
}

// putSensor: PUT …/sensors/{id} (sensor fields; read-only echoes accepted) → 200.
func (d *deviceArea) putSensor(w http.ResponseWriter, r *http.Request) {
	if !d.s.requireScope(w, r, "gateway-update") {
		return
	}
	var in sensorBody
	if err := decodeStrict(r, &in); err != nil {
		writeAreaErr(w, err)
		return
	}
	err := checkSensorBody(&in)
	if err == nil && in.ReqID != nil {
		err = schemaErr("reqId is only for creation")
	}
	di, setDI, err2 := objectOrNull("delegateInfo", in.DelegateInfo)
	opts, setOpts, err3 := objectOrNull("options", in.Options)
	for _, e := range []error{err, err2, err3} {
		if e != nil {
			writeAreaErr(w, e)
			return
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	gw, sn, err := d.sensorOfLocked(principalOf(r).UserID, r.PathValue("owner"), r.PathValue("id"))
	if err == nil && in.ID != nil && *in.ID != sn.ID {
		err = schemaErr("id in the body differs from the path")
	}
	if err == nil && in.DeviceID != nil {
		if dv := d.devices[*in.DeviceID]; dv == nil || dv.Owner != gw.ID {
			err = inputErr("device " + *in.DeviceID + " is not a device of gateway " + gw.ID)
		}
	}
	if err == nil && in.Type != nil {
		st, _ := sensorTypeByID(*in.Type)
		if obj := st.ValueType == "object"; obj != sn.Series.object && sn.Series.len() > 0 {
			err = inputErr("the type cannot change between object and plain values once the sensor has values")
		}
	}
	if err != nil {
		writeAreaErr(w, err)
		return
	}
	applySensorBody(sn, &in, di, opts, setDI, setOpts)
	if in.Type != nil {
		st, _ := sensorTypeByID(sn.Type)
		sn.Series.object = st.ValueType == "object"
	}
	sn.Mtime = d.s.nowMs()
	writeData(w, http.StatusOK, sensorView(sn, false), nil)
}

// deleteSensor: DELETE …/sensors/{id} → 204.
func (d *deviceArea) deleteSensor(w http.ResponseWriter, r *http.Request) {
	if !d.s.requireScope(w, r, "gateway") {
		return
	}
	d.mu.Lock()
	_, sn, err := d.sensorOfLocked(principalOf(r).UserID, r.PathValue("owner"), r.PathValue("id"))
	if err == nil {
		d.removeSensorLocked(sn)
	}
	d.mu.Unlock()
	if err != nil {
		writeAreaErr(w, err)
		return
	}
	writeNoContent(w)
}

// putSensorStatus: PUT …/sensors/{id}/status → 200 data = the status leaf.
func (d *deviceArea) putSensorStatus(w http.ResponseWriter, r *http.Request) {
	if !d.s.requireScope(w, r, "gateway-update") {
		return
	}
	value, validMs, err := parseStatusPut(r)
	if err != nil {
		writeAreaErr(w, err)
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	_, sn, err := d.sensorOfLocked(principalOf(r).UserID, r.PathValue("owner"), r.PathValue("id"))
	if err != nil {
		writeAreaErr(w, err)
		return
	}
	setStatusLocked(sn.Status, value, validMs, d.s.nowMs())
	writeData(w, http.StatusOK, d.statusView(sn.Status, nil, sn), nil)
}
