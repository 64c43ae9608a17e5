package gateways

import (
	"cmp"
	"slices"

	"github.com/thingplus/thingplus-webapp/thingplus"
	vt "github.com/thingplus/thingplus-webapp/views/gateways"
	"github.com/thingplus/thingplus-webapp/views/text"
)

// One notion of freshness. Thing+ moves a gateway's status leaf on its own
// schedule (about once per report interval), while every sensor value
// carries the time it was measured. A sensor value can only arrive through
// its gateway, so the newest of the gateway's status time and its sensors'
// value and status times is when the gateway was last heard from. Wherever
// the sensors are loaded (an open row, the gateway page) that newest time
// is the row's "last report" and judges "no recent report", so the row
// never says "51 s ago" beside a sensor "updated 8 s ago". A closed row in
// the list has only the status leaf (loading every sensor of every gateway
// for the 15 s poll would cost far more than the table).

// freshen moves the row's report time to newest when that is later. A
// sensor heard from after the status expired shows the gateway reported
// since: the expiry no longer applies and the interval judges instead.
func (r *gwRow) freshen(newest thingplus.Millis) {
	if newest <= r.Status.Time {
		return
	}
	if r.own == nil {
		own := r.Status
		r.own = &own
	}
	r.Status.Time = newest
	if r.Status.ExpireAt > 0 && newest > r.Status.ExpireAt {
		r.Status.ExpireAt = 0
	}
}

// newestReport is the latest time any sensor reported a value or status.
func newestReport(sensors []thingplus.Sensor) thingplus.Millis {
	var newest thingplus.Millis
	for i := range sensors {
		s := &sensors[i]
		if s.Series.Loaded() {
			newest = max(newest, s.Series.Time)
		}
		if s.Status.Loaded() {
			newest = max(newest, s.Status.Time)
		}
	}
	return newest
}

// statusReport is one entry of a gateway's status history: the latest
// status report of the gateway or of one of its sensors.
type statusReport struct {
	Name, Href string
	Status     statusIn
}

// Thing+ keeps no history of a gateway's status (GET /gateways/{id}/status
// is the current leaf only), so the gateway page's "status history" is
// what Thing+ does offer: the latest status report of the gateway and of
// each of its sensors, newest first.
const maxReports = 12

// sensorReports are the sensors' latest status reports.
func sensorReports(gwID string, sensors []thingplus.Sensor) []statusReport {
	out := make([]statusReport, 0, len(sensors))
	for i := range sensors {
		s := &sensors[i]
		if !s.Status.Loaded() {
			continue
		}
		name := clip(s.Name, 200)
		if name == "" {
			name = s.ID
		}
		out = append(out, statusReport{Name: name, Href: sensorHref(gwID, s.ID), Status: statusOf(s.Status, 0)})
	}
	return out
}

// history is the gateway's own report then its sensors', newest first.
func (v viewer) history(r *gwRow, reports []statusReport) []vt.HistoryItem {
	all := make([]statusReport, 0, len(reports)+1)
	own := r.Status
	if r.own != nil {
		own = *r.own // the gateway's own report, before its sensors freshened it
	}
	if own.Loaded {
		all = append(all, statusReport{Name: text.T(v.ctx, "gw.page.history.self"), Status: own})
	}
	all = append(all, reports...)
	slices.SortStableFunc(all, func(a, b statusReport) int {
		return cmp.Or(cmp.Compare(b.Status.Time, a.Status.Time), naturalOrder(a.Name, b.Name))
	})
	if len(all) > maxReports {
		all = all[:maxReports]
	}
	items := make([]vt.HistoryItem, len(all))
	for i, x := range all {
		items[i] = vt.HistoryItem{Name: x.Name, Href: x.Href, Status: badgeOf(v.ctx, x.Status.key(v.now), x.Status.Interval), At: v.ago(x.Status.Time)}
	}
	return items
}
