package trains

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/thingplus/thingplus-webapp/handlers/web"
	"github.com/thingplus/thingplus-webapp/trains"
	"github.com/thingplus/thingplus-webapp/views/text"
	vt "github.com/thingplus/thingplus-webapp/views/trains"
)

// historyBucket is the heatmap's time slot.
const historyBucket = 10 * time.Minute

// history is GET /trains/:id/history?day=YYYY-MM-DD: one service day of a
// train as a heatmap (the current day when day is empty); the heatmap alone
// for htmx (its refresh every minute).
func (h *Handler) history(c *gin.Context) {
	id, ok := pathID(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	t, err := h.store.Train(ctx, id)
	if err != nil {
		web.Fail(c, err)
		return
	}
	st := h.store.Settings(id)
	now := h.now()
	start, end := st.ServiceDay(now)
	today := start.In(st.Location()).Format(time.DateOnly)
	status, bad := http.StatusOK, ""
	if day := c.Query("day"); day != "" && day != today {
		d, err := time.ParseInLocation(time.DateOnly, day, st.Location())
		if err != nil || d.After(start) {
			status, bad = http.StatusUnprocessableEntity, text.T(c, "trains.history.badday")
		} else {
			start, end = st.ServiceDayOf(d.Year(), d.Month(), d.Day())
		}
	}
	hist, err := h.store.History(ctx, id, start, end, now, historyBucket)
	if err != nil {
		web.Fail(c, err)
		return
	}
	vm := historyVM(c, t, st, hist, now)
	vm.MaxDay, vm.Error = today, bad
	vm.RefreshURL = "/trains/" + strconv.FormatInt(t.ID, 10) + "/history?day=" + url.QueryEscape(vm.Day)
	if web.IsFragment(c) {
		c.Header("Vary", web.HeaderRequest)
		web.Component(c, status, vt.Heatmap(vm))
		return
	}
	web.Render(c, status, web.Page{Title: fmt.Sprintf(text.T(c, "trains.history.title"), t.Name), Active: "trains"}, vt.HistoryBody(vm))
}

// historyVM lays the history out as a heatmap: one column per slot, one
// row per car, an hour label every three hours. The service day is the
// reset schedule's (its zone); the times are in the owner's zone, named.
func historyVM(ctx context.Context, t trains.Train, st trains.Settings, hist trains.History, now time.Time) vt.History {
	loc := trainLoc(t)
	th := hist.Thresholds
	vm := vt.History{
		TrainID: t.ID, TrainName: t.Name, Day: hist.Start.In(st.Location()).Format(time.DateOnly), TimeZone: web.ZoneLabel(loc, now),
		StartMs: hist.Start.UnixMilli(), BucketMs: hist.Bucket.Milliseconds(),
		From: st.ResetClock(), Zone: st.Zone, Live: !now.Before(hist.Start) && now.Before(hist.End),
		Levels: vt.Levels{Spacious: th.Spacious, Normal: th.Normal, Caution: th.Caution},
	}
	n := 0
	for i, ch := range hist.Cars {
		n = len(ch.Peaks)
		row := vt.HistoryRow{Position: ch.Position, Y: vt.HeatTop + i*vt.HeatCellH, PeakCount: ch.Peak, PeakPct: trains.Percent(ch.Peak, ch.Capacity)}
		if !ch.PeakAt.IsZero() {
			row.PeakAt = ch.PeakAt.In(loc).Format("15:04")
		}
		for k, count := range ch.Peaks {
			from := hist.Start.Add(time.Duration(k) * hist.Bucket).In(loc)
			cell := vt.HistoryCell{X: vt.HeatLabelW + k*vt.HeatCellW, Count: count, Bucket: k, Level: "none"}
			what := text.T(ctx, "trains.history.future")
			if count >= 0 {
				cell.Level = string(th.Level(count, ch.Capacity))
				what = text.T(ctx, "trains.level."+cell.Level)
			}
			cell.Title = fmt.Sprintf(text.T(ctx, "trains.history.cell"), ch.Position, from.Format("15:04"), from.Add(hist.Bucket).Format("15:04"), text.N(ctx, "trains.n.passengers", max(count, 0)), what)
			row.Cells = append(row.Cells, cell)
		}
		vm.Rows = append(vm.Rows, row)
	}
	for k := 0; k < n; k += 18 { // every three hours
		vm.Hours = append(vm.Hours, vt.HourMark{X: vt.HeatLabelW + k*vt.HeatCellW, Label: hist.Start.Add(time.Duration(k) * hist.Bucket).In(loc).Format("15:04")})
	}
	vm.Width = vt.HeatLabelW + n*vt.HeatCellW
	vm.Height = vt.HeatTop + len(hist.Cars)*vt.HeatCellH
	return vm
}
