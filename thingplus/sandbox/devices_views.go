package sandbox

import (
	"errors"
	"net/http"
	"strconv"
)

// areaErr gives a shared sentinel (errNotFound, errDenied, errConflict) a
// message a client can show.
type areaErr struct {
	base error
	msg  string
}

func (e *areaErr) Error() string { return e.msg }
func (e *areaErr) Unwrap() error { return e.base }

func notFound(kind, id string) error {
	return &areaErr{base: errNotFound, msg: kind + " " + id + " not found"}
}

func denied(kind, id string) error {
	return &areaErr{base: errDenied, msg: "no permission on " + kind + " " + id}
}

func conflict(kind, id string) error {
	return &areaErr{base: errConflict, msg: kind + " " + id + " already exists"}
}

// billingError is 471 BILLING: the plan has no room for another gateway or
// sensor (§4.6, §4.7).
type billingError struct{ msg string }

func (e *billingError) Error() string { return e.msg }

// StatusBilling is Thing+'s "plan exceeded" status.
const StatusBilling = 471

// writeAreaErr is writeErr plus 471 BILLING, which respond.go does not know.
func writeAreaErr(w http.ResponseWriter, err error) {
	var b *billingError
	if errors.As(err, &b) {
		writeJSON(w, StatusBilling, envelope{StatusCode: StatusBilling, Message: "Billing",
			Errors: []errorItem{{Code: "BILLING", Message: b.msg, Category: "BILLING_ERROR"}}})
		return
	}
	var g *gatewayError
	if errors.As(err, &g) {
		writeJSON(w, http.StatusGatewayTimeout, envelope{StatusCode: http.StatusGatewayTimeout, Message: "Gateway Timeout",
			Errors: []errorItem{{Code: "PROCESS_COMMAND_RESULT", Message: g.msg, Category: "GATEWAY_ERROR"}}})
		return
	}
	writeErr(w, err)
}

// msTime renders a ms time: GET and PUT answers give strings, create
// answers numbers (§4.4).
func msTime(v int64, num bool) any {
	if num {
		return v
	}
	return strconv.FormatInt(v, 10)
}

// The views are structs (not maps) so that large lists encode fast; their
// field order is the JSON order. Status, devices, sensors and series hold a
// leaf id or id list, or the embedded objects.

type gatewayJSON struct {
	ID                     string           `json:"id"`
	Name                   string           `json:"name"`
	Model                  string           `json:"model"`
	Desc                   *string          `json:"desc,omitempty"`
	Mobile                 *string          `json:"mobile,omitempty"`
	Tree                   string           `json:"tree"`
	Site                   string           `json:"_site"`
	Service                string           `json:"_service"`
	ReportInterval         string           `json:"reportInterval"`
	Virtual                string           `json:"virtual"`
	AutoCreateDiscoverable string           `json:"autoCreateDiscoverable"`
	Delegate               string           `json:"delegate"`
	DelegateInfo           any              `json:"delegateInfo,omitempty"`
	Location               any              `json:"location,omitempty"`
	CustomFields           any              `json:"customFields,omitempty"`
	DeviceModels           []deviceModelRef `json:"deviceModels"`
	Status                 any              `json:"status,omitempty"`
	Devices                any              `json:"devices,omitempty"`
	Sensors                any              `json:"sensors,omitempty"`
	Ctime                  any              `json:"ctime"`
	Mtime                  any              `json:"mtime"`
}

type deviceJSON struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Model   string `json:"model"`
	Owner   string `json:"owner"`
	Address string `json:"address,omitempty"`
	Ctime   any    `json:"ctime"`
	Mtime   any    `json:"mtime"`
}

type sensorJSON struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	Owner        string `json:"owner"`
	DeviceID     string `json:"deviceId,omitempty"`
	Type         string `json:"type"`
	Category     string `json:"category"`
	Network      string `json:"network,omitempty"`
	DriverName   string `json:"driverName,omitempty"`
	Model        string `json:"model,omitempty"`
	Sequence     string `json:"sequence,omitempty"`
	Address      string `json:"address,omitempty"`
	Virtual      string `json:"virtual,omitempty"`
	Delegate     string `json:"delegate,omitempty"`
	DelegateInfo any    `json:"delegateInfo,omitempty"`
	Options      any    `json:"options,omitempty"`
	Status       any    `json:"status,omitempty"`
	Series       any    `json:"series,omitempty"`
	Ctime        any    `json:"ctime"`
	Mtime        any    `json:"mtime"`
}

type statusJSON struct {
	Type        string `json:"type"`
	Value       string `json:"value"`
	SrcType     string `json:"srcType,omitempty"`
	SrcCategory string `json:"srcCategory,omitempty"`
	SrcDbType   string `json:"srcDbType"`
	Time        string `json:"time"`
	ExpireAt    string `json:"expireAt"`
	Vtime       string `json:"vtime"`
	Status      string `json:"status"`
	Owner       string `json:"owner"`
	Gateway     string `json:"gateway,omitempty"`
	Sensor      string `json:"sensor,omitempty"`
	Ctime       string `json:"ctime"`
	Mtime       string `json:"mtime"`
	ID          string `json:"id"`
}

type seriesJSON struct {
	Type        string `json:"type"`
	Value       any    `json:"value,omitempty"`
	Time        string `json:"time,omitempty"`
	SrcType     string `json:"srcType"`
	SrcCategory string `json:"srcCategory"`
	SrcDbType   string `json:"srcDbType"`
	Series      string `json:"series"`
	Owner       string `json:"owner"`
	Sensor      string `json:"sensor"`
	Data        any    `json:"data,omitempty"`
	Meta        any    `json:"_meta,omitempty"`
	SeriesPack  any    `json:"seriesPack,omitempty"`
	Ctime       string `json:"ctime,omitempty"`
	Mtime       string `json:"mtime,omitempty"`
	ID          string `json:"id"`
}

func (d *deviceArea) gatewayView(gw *gateway, num bool) *gatewayJSON {
	return &gatewayJSON{
		ID: gw.ID, Name: gw.Name, Model: gw.Model, Desc: gw.Desc, Mobile: gw.Mobile, Tree: gw.ID,
		Site: gw.Site, Service: gw.Service, ReportInterval: strconv.FormatInt(gw.ReportInterval, 10),
		Virtual: gw.Virtual, AutoCreateDiscoverable: gw.AutoCreateDiscoverable, Delegate: gw.Delegate,
		DelegateInfo: gw.DelegateInfo, Location: gw.Location, CustomFields: gw.CustomFields,
		DeviceModels: nonNil(gw.DeviceModels), Status: gw.Status.ID,
		Devices: nonNil(gw.DeviceIDs), Sensors: nonNil(gw.SensorIDs),
		Ctime: msTime(gw.Ctime, num), Mtime: msTime(gw.Mtime, num),
	}
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func deviceView(dv *device, num bool) *deviceJSON {
	return &deviceJSON{ID: dv.ID, Name: dv.Name, Model: dv.Model, Owner: dv.Owner, Address: dv.Address,
		Ctime: msTime(dv.Ctime, num), Mtime: msTime(dv.Mtime, num)}
}

// sensorView is the sensor object; create answers (num) leave out the leaf
// ids, as TG-HTTPS shows.
func sensorView(sn *sensor, num bool) *sensorJSON {
	v := &sensorJSON{ID: sn.ID, Name: sn.Name, Owner: sn.Owner, DeviceID: sn.DeviceID, Type: sn.Type,
		Category: sn.Category, Network: sn.Network, DriverName: sn.DriverName, Model: sn.Model,
		Sequence: sn.Sequence, Address: sn.Address, Virtual: sn.Virtual, Delegate: sn.Delegate,
		DelegateInfo: sn.DelegateInfo, Options: sn.Options,
		Ctime: msTime(sn.Ctime, num), Mtime: msTime(sn.Mtime, num)}
	if !num {
		v.Status = sn.Status.ID
		v.Series = sn.Series.ID
	}
	return v
}

// statusView renders a status leaf as GET shows it (§5.4, §5.7).
func (d *deviceArea) statusView(l *statusLeaf, gw *gateway, sn *sensor) *statusJSON {
	value, vtime := l.effective(d.s.nowMs())
	v := &statusJSON{Type: "status", Value: value, Time: strconv.FormatInt(l.Time, 10),
		ExpireAt: strconv.FormatInt(l.ExpireAt, 10), Vtime: strconv.FormatInt(vtime, 10),
		Ctime: strconv.FormatInt(l.Ctime, 10), Mtime: strconv.FormatInt(l.Mtime, 10), ID: l.ID}
	if sn != nil {
		v.SrcDbType, v.SrcType, v.SrcCategory = "sensor", sn.Type, sn.Category
		v.Status, v.Owner, v.Sensor = sn.ID, sn.Owner, sn.ID
	} else {
		v.SrcDbType = "gateway"
		v.Status, v.Owner, v.Gateway = gw.ID, gw.ID, gw.ID
	}
	return v
}
