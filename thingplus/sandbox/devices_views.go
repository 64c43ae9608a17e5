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

func (d *deviceArea) gatewayView(gw *gateway, num bool) map[string]any {
	m := map[string]any{
		"id": gw.ID, "name": gw.Name, "model": gw.Model, "tree": gw.ID,
		"_site": gw.Site, "_service": gw.Service,
		"reportInterval":         strconv.FormatInt(gw.ReportInterval, 10),
		"virtual":                gw.Virtual,
		"autoCreateDiscoverable": gw.AutoCreateDiscoverable,
		"delegate":               gw.Delegate,
		"deviceModels":           nonNil(gw.DeviceModels),
		"devices":                nonNil(gw.DeviceIDs),
		"sensors":                nonNil(gw.SensorIDs),
		"status":                 gw.Status.ID,
		"ctime":                  msTime(gw.Ctime, num), "mtime": msTime(gw.Mtime, num),
	}
	if gw.Desc != nil {
		m["desc"] = *gw.Desc
	}
	if gw.Mobile != nil {
		m["mobile"] = *gw.Mobile
	}
	if gw.Location != nil {
		m["location"] = gw.Location
	}
	if gw.DelegateInfo != nil {
		m["delegateInfo"] = gw.DelegateInfo
	}
	if gw.CustomFields != nil {
		m["customFields"] = gw.CustomFields
	}
	return m
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func deviceView(dv *device, num bool) map[string]any {
	m := map[string]any{"id": dv.ID, "name": dv.Name, "model": dv.Model, "owner": dv.Owner,
		"ctime": msTime(dv.Ctime, num), "mtime": msTime(dv.Mtime, num)}
	if dv.Address != "" {
		m["address"] = dv.Address
	}
	return m
}

// sensorView is the sensor object; create answers (num) leave out the leaf
// ids, as TG-HTTPS shows.
func sensorView(sn *sensor, num bool) map[string]any {
	m := map[string]any{"id": sn.ID, "name": sn.Name, "owner": sn.Owner, "type": sn.Type,
		"category": sn.Category, "ctime": msTime(sn.Ctime, num), "mtime": msTime(sn.Mtime, num)}
	opt := map[string]string{"deviceId": sn.DeviceID, "network": sn.Network, "driverName": sn.DriverName,
		"model": sn.Model, "sequence": sn.Sequence, "address": sn.Address, "virtual": sn.Virtual,
		"delegate": sn.Delegate}
	for k, v := range opt {
		if v != "" {
			m[k] = v
		}
	}
	if sn.DelegateInfo != nil {
		m["delegateInfo"] = sn.DelegateInfo
	}
	if sn.Options != nil {
		m["options"] = sn.Options
	}
	if !num {
		m["status"] = sn.Status.ID
		m["series"] = sn.Series.ID
	}
	return m
}

// statusView renders a status leaf as GET shows it (§5.4, §5.7).
func (d *deviceArea) statusView(l *statusLeaf, gw *gateway, sn *sensor) map[string]any {
	value, vtime := l.effective(d.s.nowMs())
	m := map[string]any{"type": "status", "value": value, "time": msTime(l.Time, false),
		"vtime": msTime(vtime, false), "ctime": msTime(l.Ctime, false), "mtime": msTime(l.Mtime, false),
		"id": l.ID}
	if l.ExpireAt < 0 {
		m["expireAt"] = "-1"
	} else {
		m["expireAt"] = msTime(l.ExpireAt, false)
	}
	if sn != nil {
		m["srcDbType"] = "sensor"
		m["srcType"] = sn.Type
		m["srcCategory"] = sn.Category
		m["status"] = sn.ID
		m["owner"] = sn.Owner
		m["sensor"] = sn.ID
	} else {
		m["srcDbType"] = "gateway"
		m["status"] = gw.ID
		m["owner"] = gw.ID
		m["gateway"] = gw.ID
	}
	return m
}
