package trains

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/thingplus/thingplus-webapp/handlers/web"
	"github.com/thingplus/thingplus-webapp/trains"
	"github.com/thingplus/thingplus-webapp/views/text"
	vt "github.com/thingplus/thingplus-webapp/views/trains"
)

const eventsPage = 100

// eventFilter reads ?train=&car=&outcome=&before= ; ok is false when a
// value is malformed.
func eventFilter(c *gin.Context) (trains.EventFilter, vt.EventFilter, bool) {
	vf := vt.EventFilter{TrainID: c.Query("train"), CarID: c.Query("car"), Outcome: c.Query("outcome")}
	var f trains.EventFilter
	ok := true
	num := func(s string) int64 {
		if s == "" {
			return 0
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 {
			ok = false
			return 0
		}
		return n
	}
	f.TrainID, f.CarID, f.BeforeID = num(vf.TrainID), num(vf.CarID), num(c.Query("before"))
	if vf.Outcome != "" {
		if !slices.Contains(trains.Outcomes, trains.Outcome(vf.Outcome)) {
			ok = false
		} else {
			f.Outcome = trains.Outcome(vf.Outcome)
		}
	}
	if !ok {
		vf.Error = text.T(c, "trains.events.badfilter")
		f = trains.EventFilter{}
	}
	return f, vf, ok
}

// scopeEvents limits f to the trains the account may see: a named train or
// car must be visible (404 otherwise), and without one the log holds the
// events of every visible train (refused pushes that name no train are
// in no one's log; they are counted and kept for the operator).
func (h *Handler) scopeEvents(c *gin.Context, f *trains.EventFilter) error {
	if f.TrainID != 0 {
		if err := h.need(c, f.TrainID, trains.RoleViewer); err != nil {
			return err
		}
	}
	if f.CarID != 0 {
		if err := h.needCar(c, f.CarID, trains.RoleViewer); err != nil {
			return err
		}
		// A car's history stays with the trains the account may see.
	}
	ids, err := h.store.VisibleTrainIDs(c.Request.Context(), principal(c))
	if err != nil {
		return err
	}
	if ids == nil {
		ids = []int64{}
	}
	f.Trains = ids
	return nil
}

func filterQuery(vf vt.EventFilter) url.Values {
	q := url.Values{}
	for k, v := range map[string]string{"train": vf.TrainID, "car": vf.CarID, "outcome": vf.Outcome} {
		if v != "" {
			q.Set(k, v)
		}
	}
	return q
}

// events is GET /trains/events: the log, newest first, filtered; the table
// alone for htmx.
func (h *Handler) events(c *gin.Context) {
	ctx := c.Request.Context()
	f, vf, ok := eventFilter(c)
	status := http.StatusOK
	if !ok {
		status = http.StatusUnprocessableEntity
	}
	f.Limit = eventsPage
	if err := h.scopeEvents(c, &f); err != nil {
		web.Fail(c, err)
		return
	}
	evs, err := h.store.Events(ctx, f)
	if err != nil {
		web.Fail(c, err)
		return
	}
	ts, err := h.store.TrainsFor(ctx, principal(c))
	if err != nil {
		web.Fail(c, err)
		return
	}
	q := filterQuery(vf)
	// Each event is in its train's owner's zone, as in its CSV export; the
	// header names the zone when the page holds one, else every time does.
	locs := zonesOf(ts)
	now := h.cfg.Now()
	e := vt.Events{Filter: vf, CSVURL: "/trains/events.csv", Zone: oneZone(evs, locs, now)}
	if len(q) > 0 {
		e.CSVURL += "?" + q.Encode()
	}
	names := namesOf(c, ts)
	for _, t := range ts {
		e.Trains = append(e.Trains, vt.TrainOption{ID: t.ID, Name: t.Name})
		g := vt.CarGroup{Train: t.Name}
		for _, c := range t.Cars {
			g.Cars = append(g.Cars, vt.CarOption{ID: c.ID, Name: names.car[c.ID]})
		}
		if len(g.Cars) > 0 {
			e.Cars = append(e.Cars, g)
		}
	}
	for _, o := range trains.Outcomes {
		e.Outcomes = append(e.Outcomes, string(o))
	}
	for _, ev := range evs {
		loc := locs.of(ev.TrainID)
		at := ev.Time.In(loc).Format(web.LogTimeLayout)
		if e.Zone == "" {
			at = zoned(ev.Time, loc, web.LogTimeLayout)
		}
		e.Rows = append(e.Rows, vt.EventRow{
			ID: ev.ID, Time: at, TimeISO: ev.Time.In(loc).Format(time.RFC3339), TimeMs: ev.Time.UnixMilli(),
			TrainID: ev.TrainID, CarID: ev.CarID, SensorID: ev.SensorID, Type: string(ev.Type), Outcome: string(ev.Outcome),
			TrainName: names.train[ev.TrainID], CarName: names.car[ev.CarID], DoorLabel: names.door[ev.SensorID],
			Delta: ev.Delta, CountAfter: ev.CountAfter, EventKey: ev.EventKey, Reason: ev.Reason,
		})
	}
	if len(evs) == eventsPage {
		q.Set("before", strconv.FormatInt(evs[len(evs)-1].ID, 10))
		e.NextURL = "/trains/events?" + q.Encode()
	}
	if web.IsFragment(c) {
		c.Header("Vary", web.HeaderRequest)
		web.Component(c, status, vt.EventsTable(e))
		return
	}
	web.Render(c, status, web.Page{Title: text.T(c, "trains.events.title"), Active: "trains"}, vt.EventsBody(e))
}

// csvSafe keeps a text cell from being read as a formula by spreadsheets
// (sensor ids and keys of refused pushes come from outside).
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// eventsCSV is GET /trains/events.csv: every matching event, streamed.
func (h *Handler) eventsCSV(c *gin.Context) {
	f, _, ok := eventFilter(c)
	if !ok {
		plain(c, http.StatusBadRequest, text.T(c, "trains.events.badfilter"))
		return
	}
	if err := h.scopeEvents(c, &f); err != nil {
		web.Fail(c, err)
		return
	}
	c.Header("Content-Type", "text/csv; charset=utf-8")
	c.Header("Content-Disposition", `attachment; filename="train-events.csv"`)
	c.Status(http.StatusOK)
	w := csv.NewWriter(c.Writer)
	w.Write([]string{"id", "time", "train_id", "car_id", "sensor_id", "type", "outcome", "delta", "count_after", "event_key", "reason",
		"train_name", "car_name", "door_label"})
	ts, err := h.store.Trains(c.Request.Context())
	if err != nil {
		h.cfg.Log.ErrorContext(c.Request.Context(), "trains: csv export", "err", err)
	}
	names := namesOf(c, ts)
	i64 := func(n int64) string { return strconv.FormatInt(n, 10) }
	locs := zonesOf(ts) // each event with its train's owner's offset
	err = h.store.EachEvent(c.Request.Context(), f, func(e trains.Event) error {
		w.Write([]string{
			i64(e.ID), e.Time.In(locs.of(e.TrainID)).Format(web.CSVTimeLayout), i64(e.TrainID), i64(e.CarID), csvSafe(e.SensorID),
			csvSafe(string(e.Type)), string(e.Outcome), strconv.Itoa(e.Delta), strconv.Itoa(e.CountAfter),
			csvSafe(e.EventKey), csvSafe(e.Reason),
			csvSafe(names.train[e.TrainID]), names.car[e.CarID], csvSafe(names.door[e.SensorID]),
		})
		return w.Error()
	})
	w.Flush()
	if err != nil {
		// Headers are gone; the truncated file is all we can do. Log it.
		h.cfg.Log.ErrorContext(c.Request.Context(), "trains: csv export", "err", err)
	}
}

// names are the current names of trains, cars ("Car 2") and doors (their
// labels), for showing the log's raw ids to people.
type names struct {
	train map[int64]string
	car   map[int64]string
	door  map[string]string
}

func namesOf(ctx context.Context, ts []trains.Train) names {
	n := names{train: map[int64]string{}, car: map[int64]string{}, door: map[string]string{}}
	for _, t := range ts {
		n.train[t.ID] = t.Name
		for _, c := range t.Cars {
			n.car[c.ID] = fmt.Sprintf(text.T(ctx, "trains.car.title"), c.Position)
			for _, d := range c.Doors {
				if d.Label != "" {
					n.door[d.SensorID] = d.Label
				}
			}
		}
	}
	return n
}
