package sandbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Report interval bounds in ms (§4.4).
const (
	minReportInterval = 60000
	maxReportInterval = 604800000
)

// embedOpts carries what to inline under each gateway: its sensors' own
// embeds (sensors[embed]=status,series) and series query (sensors[series][…]).
type embedOpts struct {
	gateway map[string]bool
	sensor  map[string]bool
	series  *seriesQuery
}

// parseGatewayEmbeds reads embed=… and the nested sensors[…] query.
func (d *deviceArea) parseGatewayEmbeds(q url.Values, lq listQuery) (embedOpts, error) {
	opts := embedOpts{gateway: lq.embed}
	sq := subQuery(q, "sensors")
	slq, err := parseListQuery(url.Values{"embed": sq["embed"]}, "status", "series")
	if err != nil {
		return opts, schemaErr("sensors[embed]: " + err.Error())
	}
	opts.sensor = slq.embed
	if opts.sensor["series"] {
		series, given, err := parseSeriesQuery(subQuery(sq, "series"), d.s.nowMs())
		if err != nil {
			return opts, err
		}
		if given {
			opts.series = &series
		}
	}
	return opts, nil
}

// parseSensorEmbeds reads embed=status,series and series[…] for sensor lists.
func (d *deviceArea) parseSensorEmbeds(q url.Values, lq listQuery) (embedOpts, error) {
	opts := embedOpts{sensor: lq.embed}
	if opts.sensor["series"] {
		series, given, err := parseSeriesQuery(subQuery(q, "series"), d.s.nowMs())
		if err != nil {
			return opts, err
		}
		if given {
			opts.series = &series
		}
	}
	return opts, nil
}

// embedGatewayLocked inlines status, devices and sensors into a gateway view.
func (d *deviceArea) embedGatewayLocked(v *gatewayJSON, gw *gateway, opts embedOpts) {
	if opts.gateway["status"] {
		v.Status = d.statusView(gw.Status, gw, nil)
	}
	if opts.gateway["devices"] {
		list := make([]*deviceJSON, 0, len(gw.DeviceIDs))
		for _, id := range gw.DeviceIDs {
			if dv := d.devices[id]; dv != nil {
				list = append(list, deviceView(dv, false))
			}
		}
		v.Devices = list
	}
	if opts.gateway["sensors"] {
		list := make([]*sensorJSON, 0, len(gw.SensorIDs))
		for _, id := range gw.SensorIDs {
			if sn := d.sensors[id]; sn != nil {
				sv := sensorView(sn, false)
				d.embedSensorLocked(sv, sn, opts)
				list = append(list, sv)
			}
		}
		v.Sensors = list
	}
}

func (d *deviceArea) embedSensorLocked(v *sensorJSON, sn *sensor, opts embedOpts) {
	if opts.sensor["status"] {
		v.Status = d.statusView(sn.Status, nil, sn)
	}
	if opts.sensor["series"] {
		v.Series = seriesView(sn, opts.series)
	}
}

func (d *deviceArea) gatewayItemLocked(gw *gateway) listItem {
	st, _ := gw.Status.effective(d.s.nowMs())
	return listItem{view: d.gatewayView(gw, false), ctime: gw.Ctime, status: st, ref: gw}
}

// listGateways: GET /gateways with the collection queries (§4.2, §5.3).
func (d *deviceArea) listGateways(w http.ResponseWriter, r *http.Request) {
	if !d.s.requireScope(w, r, "gateway-read") {
		return
	}
	q := r.URL.Query()
	lq, err := parseListQuery(q, "status", "sensors", "devices")
	if err != nil {
		writeAreaErr(w, err)
		return
	}
	opts, err := d.parseGatewayEmbeds(q, lq)
	if err != nil {
		writeAreaErr(w, err)
		return
	}
	uid := principalOf(r).UserID
	d.mu.RLock()
	items := make([]listItem, 0, len(d.gwOrder))
	for _, id := range d.gwOrder {
		if gw := d.gateways[id]; gw != nil && gw.Owner == uid {
			items = append(items, d.gatewayItemLocked(gw))
		}
	}
	page, meta := lq.apply(items)
	out := make([]any, len(page))
	for i, it := range page {
		d.embedGatewayLocked(it.view.(*gatewayJSON), it.ref.(*gateway), opts)
		out[i] = lq.project(it.view)
	}
	d.mu.RUnlock()
	writeData(w, http.StatusOK, out, meta)
}

// getGateway: GET /gateways/{id} (fields, embed=status|sensors|devices).
func (d *deviceArea) getGateway(w http.ResponseWriter, r *http.Request) {
	d.showGateway(w, r, nil)
}

// getGatewayStatus: GET /gateways/{id}/status = GET /gateways/{id}?embed=status.
func (d *deviceArea) getGatewayStatus(w http.ResponseWriter, r *http.Request) {
	d.showGateway(w, r, []string{"status"})
}

func (d *deviceArea) showGateway(w http.ResponseWriter, r *http.Request, force []string) {
	if !d.s.requireScope(w, r, "gateway-read") {
		return
	}
	q := r.URL.Query()
	lq, err := parseListQuery(q, "status", "sensors", "devices")
	if err != nil {
		writeAreaErr(w, err)
		return
	}
	for _, e := range force {
		lq.embed[e] = true
	}
	opts, err := d.parseGatewayEmbeds(q, lq)
	if err != nil {
		writeAreaErr(w, err)
		return
	}
	d.mu.RLock()
	gw, err := d.gatewayOfLocked(principalOf(r).UserID, r.PathValue("id"))
	if err != nil {
		d.mu.RUnlock()
		writeAreaErr(w, err)
		return
	}
	v := d.gatewayView(gw, false)
	d.embedGatewayLocked(v, gw, opts)
	out := lq.project(v)
	d.mu.RUnlock()
	writeData(w, http.StatusOK, out, nil)
}

// gatewayPut is the PUT /gateways/{id} body (§5.3). The read-only fields a
// GET returns may be echoed back and are ignored; reportInterval, listed
// among them, is applied when it changes (the sheet's "change its report
// interval" otherwise needs manageGateway setProperty, which also works).
type gatewayPut struct {
	Name                   *string           `json:"name"`
	Model                  *flexString       `json:"model"`
	Desc                   *string           `json:"desc"`
	Mobile                 *string           `json:"mobile"`
	Virtual                *string           `json:"virtual"`
	AutoCreateDiscoverable *string           `json:"autoCreateDiscoverable"`
	Delegate               *string           `json:"delegate"`
	Location               json.RawMessage   `json:"location"`
	DelegateInfo           json.RawMessage   `json:"delegateInfo"`
	CustomFields           json.RawMessage   `json:"customFields"`
	DeviceModels           *[]deviceModelRef `json:"deviceModels"`
	ReportInterval         *flexString       `json:"reportInterval"`

	ID      *string         `json:"id"`
	Tree    json.RawMessage `json:"tree"`
	Site    json.RawMessage `json:"_site"`
	Service json.RawMessage `json:"_service"`
	Ctime   json.RawMessage `json:"ctime"`
	Mtime   json.RawMessage `json:"mtime"`
	Status  json.RawMessage `json:"status"`
	Devices json.RawMessage `json:"devices"`
	Sensors json.RawMessage `json:"sensors"`
}

// flexString accepts a JSON string or number (model, reportInterval).
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return schemaErr("expected a string or a number")
	}
	*f = flexString(n.String())
	return nil
}

func checkName(name string) error {
	if strings.TrimSpace(name) == "" {
		return schemaErr("name must not be empty")
	}
	if utf8.RuneCountInString(name) > 100 {
		return schemaErr("name is longer than 100 characters")
	}
	return nil
}

func checkYN(field string, v *string) error {
	if v != nil && *v != "y" && *v != "n" {
		return schemaErr(field + ` must be "y" or "n"`)
	}
	return nil
}

// objectOrNull decodes an optional JSON object: absent → keep (ok=false),
// null → clear (nil, true), object → (value, true); anything else is 400.
func objectOrNull(field string, raw json.RawMessage) (any, bool, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil, false, nil
	}
	if string(raw) == "null" {
		return nil, true, nil
	}
	var m map[string]any
	if raw[0] != '{' || json.Unmarshal(raw, &m) != nil {
		return nil, false, schemaErr(field + " must be an object")
	}
	return m, true, nil
}

func parseReportInterval(f flexString) (int64, error) {
	n, err := strconv.ParseInt(string(f), 10, 64)
	if err != nil || n < minReportInterval || n > maxReportInterval {
		return 0, schemaErr("reportInterval must be ms between 60000 and 604800000")
	}
	return n, nil
}

// putGateway: PUT /gateways/{id}, strict: an unknown key is 400 SCHEMA_VALIDATE.
func (d *deviceArea) putGateway(w http.ResponseWriter, r *http.Request) {
	if !d.s.requireScope(w, r, "gateway-update") {
		return
	}
	var in gatewayPut
	if err := decodeStrict(r, &in); err != nil {
		writeAreaErr(w, err)
		return
	}
	id := r.PathValue("id")
	if err := checkGatewayPutSchema(&in, id); err != nil {
		writeAreaErr(w, err)
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	gw, err := d.gatewayOfLocked(principalOf(r).UserID, id)
	if err == nil {
		err = d.applyGatewayPutLocked(gw, &in)
	}
	if err != nil {
		writeAreaErr(w, err)
		return
	}
	writeData(w, http.StatusOK, d.gatewayView(gw, false), nil)
}

// checkGatewayPutSchema is the body check that comes before permission and
// existence: an id other than the path's, a deviceModels item without model.
func checkGatewayPutSchema(in *gatewayPut, id string) error {
	if in.ID != nil && *in.ID != id {
		return schemaErr("id in the body differs from the path")
	}
	if in.DeviceModels != nil {
		for i, m := range *in.DeviceModels {
			if m.Model == "" {
				return schemaErr(fmt.Sprintf("deviceModels[%d] needs a model", i))
			}
		}
	}
	return nil
}

func (d *deviceArea) applyGatewayPutLocked(gw *gateway, in *gatewayPut) error {
	if in.ID != nil && *in.ID != gw.ID {
		return schemaErr("id in the body differs from the path")
	}
	if in.Name != nil {
		if err := checkName(*in.Name); err != nil {
			return err
		}
	}
	for field, v := range map[string]*string{"virtual": in.Virtual, "autoCreateDiscoverable": in.AutoCreateDiscoverable, "delegate": in.Delegate} {
		if err := checkYN(field, v); err != nil {
			return err
		}
	}
	if in.Model != nil {
		if _, ok := gatewayModelByID(string(*in.Model)); !ok {
			return inputErr("unknown gateway model " + string(*in.Model))
		}
	}
	var ri int64
	if in.ReportInterval != nil {
		var err error
		if ri, err = parseReportInterval(*in.ReportInterval); err != nil {
			return err
		}
	}
	loc, setLoc, err := objectOrNull("location", in.Location)
	if err != nil {
		return err
	}
	di, setDI, err := objectOrNull("delegateInfo", in.DelegateInfo)
	if err != nil {
		return err
	}
	cf, setCF, err := objectOrNull("customFields", in.CustomFields)
	if err != nil {
		return err
	}
	if in.DeviceModels != nil {
		for _, m := range *in.DeviceModels {
			if m.Model == "" {
				return schemaErr("deviceModels items need a model")
			}
		}
	}
	// Everything is valid: apply.
	if in.Name != nil {
		gw.Name = *in.Name
	}
	if in.Model != nil {
		gw.Model = string(*in.Model)
	}
	if in.Desc != nil {
		gw.Desc = in.Desc
	}
	if in.Mobile != nil {
		gw.Mobile = in.Mobile
	}
	if in.Virtual != nil {
		gw.Virtual = *in.Virtual
	}
	if in.AutoCreateDiscoverable != nil {
		gw.AutoCreateDiscoverable = *in.AutoCreateDiscoverable
	}
	if in.Delegate != nil {
		gw.Delegate = *in.Delegate
	}
	if setLoc {
		gw.Location = loc
	}
	if setDI {
		gw.DelegateInfo = di
	}
	if setCF {
		gw.CustomFields = cf
	}
	if in.DeviceModels != nil {
		gw.DeviceModels = *in.DeviceModels
	}
	if ri != 0 {
		gw.ReportInterval = ri
	}
	gw.Mtime = d.s.nowMs()
	return nil
}

// deleteGateway: DELETE /gateways/{id} → 204; its devices and sensors go too.
func (d *deviceArea) deleteGateway(w http.ResponseWriter, r *http.Request) {
	if !d.s.requireScope(w, r, "gateway") {
		return
	}
	d.mu.Lock()
	gw, err := d.gatewayOfLocked(principalOf(r).UserID, r.PathValue("id"))
	if err == nil {
		d.removeGatewayLocked(gw)
	}
	d.mu.Unlock()
	if err != nil {
		writeAreaErr(w, err)
		return
	}
	writeNoContent(w)
}

// statusPut is the PUT …/status body: value on|off|err and a validity in
// seconds as timeout (v1, KIM-SW) or validDuration (TG-HTTPS); -1 = never
// expires (§5.4, §9.5).
type statusPut struct {
	Value         *string `json:"value"`
	Timeout       *int64  `json:"timeout"`
	ValidDuration *int64  `json:"validDuration"`
}

func parseStatusPut(r *http.Request) (value string, validMs int64, err error) {
	var in statusPut
	if err := decodeStrict(r, &in); err != nil {
		return "", 0, err
	}
	if in.Value == nil {
		return "", 0, schemaErr("value is required")
	}
	switch *in.Value {
	case "on", "off", "err":
	default:
		return "", 0, schemaErr(`value must be "on", "off" or "err"`)
	}
	secs := in.ValidDuration
	if secs == nil {
		secs = in.Timeout
	}
	if secs == nil {
		return "", 0, schemaErr("timeout (or validDuration) in seconds is required")
	}
	if *secs < -1 {
		return "", 0, schemaErr("timeout must be seconds from 0, or -1 for never")
	}
	if *secs == -1 {
		return *in.Value, -1, nil
	}
	return *in.Value, *secs * 1000, nil
}

// putGatewayStatus: PUT /gateways/{id}/status → 200 data = the status leaf.
func (d *deviceArea) putGatewayStatus(w http.ResponseWriter, r *http.Request) {
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
	gw, err := d.gatewayOfLocked(principalOf(r).UserID, r.PathValue("id"))
	if err != nil {
		writeAreaErr(w, err)
		return
	}
	setStatusLocked(gw.Status, value, validMs, d.s.nowMs())
	writeData(w, http.StatusOK, d.statusView(gw.Status, gw, nil), nil)
}
