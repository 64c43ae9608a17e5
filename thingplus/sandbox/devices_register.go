package sandbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
)

// Plan is an account's limits (§4.6: over it, adding a gateway, sensor or
// rule is 471 BILLING).
type Plan struct {
	Name                     string
	Gateways, Sensors, Rules int
}

// Plans: the trial plan of the sheet (GH-CLOSE) for accounts made through
// sign-up; the seeded demo account gets room for at least 3 more gateways,
// 50 more sensors and 50 more rules than it is seeded with.
var (
	trialPlan = Plan{Name: "trial", Gateways: 2, Sensors: 20, Rules: 5}
	demoPlan  = Plan{Name: "demo", Gateways: 10, Sensors: 100, Rules: 100}
)

// planOf is the plan of a user. The rules area uses it for the rule limit.
func (s *Sandbox) planOf(userID string) Plan {
	if userID == "1" {
		return demoPlan
	}
	return trialPlan
}

// checkPlanLocked refuses to add gateways or sensors beyond the user's plan.
func (d *deviceArea) checkPlanLocked(userID string, addGateways, addSensors int) error {
	plan := d.s.planOf(userID)
	gws, sns := 0, 0
	for _, gw := range d.gateways {
		if gw.Owner == userID {
			gws++
			sns += len(gw.SensorIDs)
		}
	}
	if addGateways > 0 && gws+addGateways > plan.Gateways {
		return &billingError{msg: fmt.Sprintf("the %s plan allows %d gateways; this account has %d", plan.Name, plan.Gateways, gws)}
	}
	if addSensors > 0 && sns+addSensors > plan.Sensors {
		return &billingError{msg: fmt.Sprintf("the %s plan allows %d sensors; this account has %d", plan.Name, plan.Sensors, sns)}
	}
	return nil
}

// ---- sites (§5.10): every account has the one site "1" ("default"). ----

func siteView(id string) map[string]any {
	return map[string]any{"id": id, "name": "default", "code": "iotservice", "_service": "1",
		"billing": "site:" + id, "billingLimit": "site:" + id + ":limit", "billingCurrent": "site:" + id + ":current",
		"billingMeter": "site:" + id + ":meter", "billingReserve": "site:" + id + ":reserve",
		"ctime": "1431416762406", "mtime": "1431416762406"}
}

func (d *deviceArea) listSites(w http.ResponseWriter, r *http.Request) {
	if !d.s.requireScope(w, r, "site-read") {
		return
	}
	writeData(w, http.StatusOK, []map[string]any{siteView("1")}, nil)
}

func (d *deviceArea) getSite(w http.ResponseWriter, r *http.Request) {
	if !d.s.requireScope(w, r, "site-read") {
		return
	}
	if r.PathValue("id") != "1" {
		writeAreaErr(w, notFound("site", r.PathValue("id")))
		return
	}
	writeData(w, http.StatusOK, siteView("1"), nil)
}

// ---- registerGateway (§5.12) ----

type registerBody struct {
	ID     *string         `json:"id"`
	ReqID  *string         `json:"reqId"`
	Params *registerParams `json:"params"`
}

type registerParams struct {
	SiteID                 *flexString       `json:"siteId"`
	Model                  *flexString       `json:"model"`
	Name                   *string           `json:"name"`
	ReportInterval         *flexString       `json:"reportInterval"`
	Location               json.RawMessage   `json:"location"`
	AutoCreateDiscoverable *string           `json:"autoCreateDiscoverable"`
	Virtual                *string           `json:"virtual"`
	Delegate               *string           `json:"delegate"`
	DelegateInfo           json.RawMessage   `json:"delegateInfo"`
	CustomFields           json.RawMessage   `json:"customFields"`
	DeviceModels           *[]deviceModelRef `json:"deviceModels"`
	Devices                []deviceBody      `json:"devices"`
	Sensors                []sensorBody      `json:"sensors"`
}

// registerGateway: POST /registerGateway {id|reqId, params{siteId, model,
// name, …}} → 201 "Created" with the gateway (times as numbers, devices and
// sensors as objects). Schema 400, another user's id 403, unknown site or
// model 404, taken gateway id 409, a taken device or sensor id 207 (the rest
// is created), over plan 471.
// A Virtual Gateway-Basic (model "6") without devices gets an emulator
// device with temperature and humidity sensors, which the simulator feeds.
func (d *deviceArea) registerGateway(w http.ResponseWriter, r *http.Request) {
	if !d.s.requireScope(w, r, "gateway") {
		return
	}
	var in registerBody
	if err := decodeStrict(r, &in); err != nil {
		writeAreaErr(w, err)
		return
	}
	gw, devs, sns, err := d.buildRegistration(&in)
	if err != nil {
		writeAreaErr(w, err)
		return
	}
	uid := principalOf(r).UserID
	d.mu.Lock()
	defer d.mu.Unlock()
	devs, sns, dropped, err := d.checkRegistrationLocked(uid, gw, devs, sns)
	if err != nil {
		writeAreaErr(w, err)
		return
	}
	now := d.s.nowMs()
	gw.Owner, gw.Ctime, gw.Mtime = uid, now, now
	d.addGatewayLocked(gw, now)
	for _, dv := range devs {
		dv.Owner, dv.Ctime, dv.Mtime = gw.ID, now, now
		d.addDeviceLocked(gw, dv)
	}
	for _, sn := range sns {
		sn.Owner, sn.Ctime, sn.Mtime = gw.ID, now, now
		d.addSensorLocked(gw, sn, now)
	}
	if gw.simulated {
		d.freshenLocked(gw, now)
	}
	v := d.gatewayView(gw, true)
	v.Status, v.Devices, v.Sensors = nil, nil, nil
	if len(devs) > 0 {
		list := make([]*deviceJSON, len(devs))
		for i, dv := range devs {
			list[i] = deviceView(dv, true)
		}
		v.Devices = list
	}
	if len(sns) > 0 {
		list := make([]*sensorJSON, len(sns))
		for i, sn := range sns {
			list[i] = sensorView(sn, true)
		}
		v.Sensors = list
	}
	if len(dropped) > 0 {
		// §4.6: the gateway was created, some of its parts were not.
		writeJSON(w, http.StatusMultiStatus, envelope{StatusCode: http.StatusMultiStatus,
			Message: http.StatusText(http.StatusMultiStatus), Data: v, Errors: dropped})
		return
	}
	writeData(w, http.StatusCreated, v, nil)
}

// buildRegistration validates the body and builds the objects (unowned).
func (d *deviceArea) buildRegistration(in *registerBody) (*gateway, []*device, []*sensor, error) {
	idp := in.ID
	if idp == nil {
		idp = in.ReqID
	} else if in.ReqID != nil && *in.ReqID != *in.ID {
		return nil, nil, nil, schemaErr("id and reqId differ")
	}
	id, err := checkReqID("id", idp)
	if err != nil {
		return nil, nil, nil, err
	}
	p := in.Params
	if p == nil || p.SiteID == nil || p.Model == nil || p.Name == nil {
		return nil, nil, nil, schemaErr("params.siteId, params.model and params.name are required")
	}
	if err := checkName(*p.Name); err != nil {
		return nil, nil, nil, err
	}
	if *p.SiteID == "" || *p.Model == "" {
		return nil, nil, nil, schemaErr("params.siteId and params.model must not be empty")
	}
	if p.DeviceModels != nil {
		for i, m := range *p.DeviceModels {
			if m.Model == "" {
				return nil, nil, nil, schemaErr(fmt.Sprintf("params.deviceModels[%d] needs a model", i))
			}
		}
	}
	gm, _ := gatewayModelByID(string(*p.Model)) // existence is checked after permission
	for field, v := range map[string]*string{"virtual": p.Virtual, "autoCreateDiscoverable": p.AutoCreateDiscoverable, "delegate": p.Delegate} {
		if err := checkYN(field, v); err != nil {
			return nil, nil, nil, err
		}
	}
	ri, _ := strconv.ParseInt(cmpOr(gm.ReportInterval, "60000"), 10, 64)
	if p.ReportInterval != nil {
		if ri, err = parseReportInterval(*p.ReportInterval); err != nil {
			return nil, nil, nil, err
		}
	}
	gw := &gateway{ID: id, Name: *p.Name, Model: string(*p.Model), Site: string(*p.SiteID), Service: "1", ReportInterval: ri,
		Virtual: "n", AutoCreateDiscoverable: "y", Delegate: "n"}
	if gm.ID == "6" {
		gw.Virtual = "y"
		gw.simulated = true
	}
	if p.Virtual != nil {
		gw.Virtual = *p.Virtual
	}
	if p.AutoCreateDiscoverable != nil {
		gw.AutoCreateDiscoverable = *p.AutoCreateDiscoverable
	}
	if p.Delegate != nil {
		gw.Delegate = *p.Delegate
	}
	for field, raw := range map[string]json.RawMessage{"location": p.Location, "delegateInfo": p.DelegateInfo, "customFields": p.CustomFields} {
		v, _, err := objectOrNull(field, raw)
		if err != nil {
			return nil, nil, nil, err
		}
		switch field {
		case "location":
			gw.Location = v
		case "delegateInfo":
			gw.DelegateInfo = v
		default:
			gw.CustomFields = v
		}
	}
	var devs []*device
	for i := range p.Devices {
		db := &p.Devices[i]
		did, err := checkReqID(fmt.Sprintf("devices[%d].reqId", i), db.ReqID)
		if err == nil && (db.Name == nil || db.Model == nil) {
			err = schemaErr(fmt.Sprintf("devices[%d] needs reqId, name and model", i))
		}
		if err == nil {
			err = checkName(*db.Name)
		}
		if err != nil {
			return nil, nil, nil, err
		}
		dv := &device{ID: did, Name: *db.Name, Model: *db.Model}
		if db.Address != nil {
			dv.Address = *db.Address
		}
		devs = append(devs, dv)
	}
	var sns []*sensor
	for i := range p.Sensors {
		sb := &p.Sensors[i]
		sid, err := checkReqID(fmt.Sprintf("sensors[%d].reqId", i), sb.ReqID)
		if err == nil && (sb.Name == nil || sb.Type == nil) {
			err = schemaErr(fmt.Sprintf("sensors[%d] needs reqId, name and type", i))
		}
		if err == nil {
			err = checkSensorBody(sb)
		}
		if err != nil {
			return nil, nil, nil, err
		}
		di, setDI, err1 := objectOrNull("delegateInfo", sb.DelegateInfo)
		opts, setOpts, err2 := objectOrNull("options", sb.Options)
		if err1 != nil || err2 != nil {
			return nil, nil, nil, schemaErr(fmt.Sprintf("sensors[%d]: delegateInfo and options must be objects", i))
		}
		sn := &sensor{ID: sid, Category: "sensor"}
		applySensorBody(sn, sb, di, opts, setDI, setOpts)
		if sn.DeviceID != "" && !containsDevice(devs, sn.DeviceID) {
			return nil, nil, nil, inputErr(fmt.Sprintf("sensors[%d].deviceId %s is not among params.devices", i, sn.DeviceID))
		}
		sns = append(sns, sn)
	}
	if gm.ID == "6" && len(devs) == 0 && len(sns) == 0 && gw.AutoCreateDiscoverable == "y" {
		dv := &device{ID: id + "-0", Name: "Emulator", Model: "emulator", Address: "0"}
		devs = append(devs, dv)
		for _, t := range []struct{ typ, model, name string }{
			{"temperature", "temperatureEmulator", "Temperature"}, {"humidity", "humidityEmulator", "Humidity"},
		} {
			sns = append(sns, &sensor{ID: dv.ID + "-" + t.typ, Name: t.name, DeviceID: dv.ID, Type: t.typ,
				Category: "sensor", Network: "daliworks", DriverName: "daliworksEmulator", Model: t.model, Sequence: "0"})
		}
	}
	if p.DeviceModels != nil {
		gw.DeviceModels = append(gw.DeviceModels, *p.DeviceModels...)
	}
	return gw, devs, sns, nil
}

// addDeviceModelRef records a device once in deviceModels: one listed in
// params.deviceModels (by id, or by model without an id) is not added again.
func addDeviceModelRef(gw *gateway, dv *device) {
	for i, m := range gw.DeviceModels {
		if m.ID == dv.ID || (m.ID == "" && m.Model == dv.Model) {
			gw.DeviceModels[i] = deviceModelRef{ID: dv.ID, Model: dv.Model}
			return
		}
	}
	gw.DeviceModels = append(gw.DeviceModels, deviceModelRef{ID: dv.ID, Model: dv.Model})
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func containsDevice(devs []*device, id string) bool {
	for _, dv := range devs {
		if dv.ID == id {
			return true
		}
	}
	return false
}

// checkRegistrationLocked runs the checks after the body schema, in Thing+'s
// order: permission (a gateway id of another user is 403), existence (site,
// gateway model), conflict (a taken gateway id is 409 for the whole request;
// a taken device or sensor id only drops that item, which makes the answer a
// 207 listing it), the rest of the body (device models of the gateway model),
// billing. It returns the devices and sensors to create and the dropped ones.
func (d *deviceArea) checkRegistrationLocked(uid string, gw *gateway, devs []*device, sns []*sensor) ([]*device, []*sensor, []errorItem, error) {
	if old := d.gateways[gw.ID]; old != nil && old.Owner != uid {
		return nil, nil, nil, denied("gateway", gw.ID)
	}
	if k := d.keys[gw.ID]; k != nil && k.User != uid {
		return nil, nil, nil, denied("gateway", gw.ID)
	}
	if gw.Site != "1" {
		return nil, nil, nil, notFound("site", gw.Site)
	}
	if _, ok := gatewayModelByID(gw.Model); !ok {
		return nil, nil, nil, notFound("gatewayModel", gw.Model)
	}
	if d.gateways[gw.ID] != nil {
		return nil, nil, nil, conflict("gateway", gw.ID)
	}
	var dropped []errorItem
	drop := func(err error) {
		dropped = append(dropped, errorItem{Code: "CONFLICT", Message: err.Error(), Category: "REQUEST_ERROR"})
	}
	seen := map[string]bool{}
	keptDevs := devs[:0:0]
	for _, dv := range devs {
		if d.devices[dv.ID] != nil || seen["d"+dv.ID] {
			drop(conflict("device", dv.ID))
			continue
		}
		seen["d"+dv.ID] = true
		keptDevs = append(keptDevs, dv)
	}
	keptSns := sns[:0:0]
	for _, sn := range sns {
		switch {
		case d.sensors[sn.ID] != nil || seen["s"+sn.ID]:
			drop(conflict("sensor", sn.ID))
		case sn.DeviceID != "" && !containsDevice(keptDevs, sn.DeviceID):
			drop(fmt.Errorf("sensor %s is not created: its device %s already exists", sn.ID, sn.DeviceID))
		default:
			seen["s"+sn.ID] = true
			keptSns = append(keptSns, sn)
		}
	}
	for _, dv := range keptDevs {
		if err := checkDeviceModel(gw, dv.Model); err != nil {
			return nil, nil, nil, err
		}
	}
	return keptDevs, keptSns, dropped, d.checkPlanLocked(uid, 1, len(keptSns))
}

// addGatewayLocked stores a new gateway with a never-reported status.
func (d *deviceArea) addGatewayLocked(gw *gateway, now int64) {
	gw.Status = d.newStatusLocked("gateway", now)
	d.gateways[gw.ID] = gw
	d.gwOrder = append(d.gwOrder, gw.ID)
}

// ---- manageGateway (§5.12): getProperty and setProperty {reportInterval};
// other acts answer per the model's deviceMgmt.DM support. ----

type manageBody struct {
	ID     *string         `json:"id"`
	Act    *string         `json:"act"`
	Params json.RawMessage `json:"params"`
}

type manageProps struct {
	ReportInterval *flexString `json:"reportInterval"`
}

func (d *deviceArea) manageGateway(w http.ResponseWriter, r *http.Request) {
	if !d.s.requireScope(w, r, "gateway-management") {
		return
	}
	var in manageBody
	if err := decodeStrict(r, &in); err != nil {
		writeAreaErr(w, err)
		return
	}
	if in.ID == nil || in.Act == nil {
		writeAreaErr(w, schemaErr("id and act are required"))
		return
	}
	var props manageProps
	if *in.Act == "setProperty" {
		if err := strictUnmarshal(in.Params, &props); err != nil || props.ReportInterval == nil {
			writeAreaErr(w, schemaErr(`setProperty needs params {"reportInterval": ms}`))
			return
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	gw, err := d.gatewayOfLocked(principalOf(r).UserID, *in.ID)
	if err != nil {
		writeAreaErr(w, err)
		return
	}
	gm, _ := gatewayModelByID(gw.Model)
	switch *in.Act {
	case "getProperty":
		writeData(w, http.StatusOK, map[string]any{"reportInterval": strconv.FormatInt(gw.ReportInterval, 10)}, nil)
	case "setProperty":
		ri, err := parseReportInterval(*props.ReportInterval)
		if err != nil {
			writeAreaErr(w, err)
			return
		}
		gw.ReportInterval = ri
		gw.Mtime = d.s.nowMs()
		writeData(w, http.StatusOK, map[string]any{"reportInterval": strconv.FormatInt(ri, 10)}, nil)
	default:
		if gm.DM[*in.Act] != "y" {
			writeAreaErr(w, inputErr("act "+*in.Act+" is not supported by gateway model "+gw.Model))
			return
		}
		writeData(w, http.StatusOK, map[string]any{"stdout": "ok"}, nil)
	}
}

// strictUnmarshal is decodeStrict for bytes already read.
func strictUnmarshal(raw json.RawMessage, v any) error {
	if len(raw) == 0 {
		return schemaErr("missing")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return schemaErr(err.Error())
	}
	return nil
}
