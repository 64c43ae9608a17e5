package trains

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/a-h/templ"

	"github.com/gin-gonic/gin"

	"github.com/thingplus/thingplus-webapp/handlers/web"
	"github.com/thingplus/thingplus-webapp/trains"
	"github.com/thingplus/thingplus-webapp/views/text"
	vt "github.com/thingplus/thingplus-webapp/views/trains"
)

// Operations are the operator's settings and views of a train: crowd
// thresholds, the end-of-service reset, the day history and the
// door-sensor health flags.
type Operations interface {
	ThresholdsOf(trainID int64) trains.Thresholds
	Settings(trainID int64) trains.Settings
	SetThresholds(ctx context.Context, trainID int64, th trains.Thresholds) error
	SetSchedule(ctx context.Context, trainID int64, on bool, minute int, zone string) error
	History(ctx context.Context, trainID int64, start, end, now time.Time, bucket time.Duration) (trains.History, error)
	FlagsOf(carID int64) []trains.Flag
	FlagTrain(ctx context.Context, id int64) (int64, error)
	DismissFlag(ctx context.Context, id int64, note string) (trains.Flag, error)
}

// trainVM maps a train to its section: cars, totals, levels, the roomiest
// car and the reset setting.
// The reader's role (t.Role) decides the manage controls; the owner also
// gets the push token and sharing panel.
func (h *Handler) trainVM(ctx context.Context, t trains.Train) vt.Train {
	st := h.store.Settings(t.ID)
	loc := trainLoc(t)
	tv := vt.Train{
		ID: t.ID, Name: t.Name, Running: t.Running,
		Levels: vt.Levels{Spacious: st.Thresholds.Spacious, Normal: st.Thresholds.Normal, Caution: st.Thresholds.Caution},
		Reset:  vt.Reset{On: st.ResetOn, Clock: st.ResetClock(), Zone: st.Zone},
		Role:   t.Role.String(), Owner: t.OwnerLogin, Zone: web.ZoneLabel(loc, h.cfg.Now()),
		CanEdit: t.Role >= trains.RoleEditor, CanOwn: t.Role >= trains.RoleOwner, Claimable: t.OwnerID == "",
	}
	token := ""
	if tv.CanOwn {
		token = h.ownerPanel(ctx, &tv, loc)
	}
	for _, c := range t.Cars {
		cv := h.carVM(ctx, c, len(t.Cars), t.Role, token, loc)
		tv.Cars = append(tv.Cars, cv)
		tv.Flags = append(tv.Flags, cv.Flags...)
		tv.Count += c.Count
		tv.Capacity += c.Capacity
	}
	tv.Roomiest = roomiest(t.Cars)
	return tv
}

// flagVMs maps a car's open health flags, their times in loc.
func (h *Handler) flagVMs(ctx context.Context, c trains.Car, loc *time.Location) []vt.Flag {
	var out []vt.Flag
	for _, f := range h.store.FlagsOf(c.ID) {
		short := text.T(ctx, "trains.flag."+f.Kind)
		if f.Kind == trains.FlagSilent {
			door := f.SensorID
			for _, d := range c.Doors {
				if d.SensorID == f.SensorID && d.Label != "" {
					door = d.Label
				}
			}
			short = fmt.Sprintf(short, door)
		}
		out = append(out, vt.Flag{ID: f.ID, CarID: c.ID, Position: c.Position, Kind: f.Kind, Short: short, Text: f.Detail,
			Since: zoned(f.Time, loc, web.ListTimeLayout)})
	}
	return out
}

// dismissFlag is POST /trains/flags/:id/dismiss: the flag closes, the
// operator's note goes to the log.
func (h *Handler) dismissFlag(c *gin.Context, id int64) (said, error) {
	note := strings.TrimSpace(c.PostForm("note"))
	if note == "" {
		return said{}, trains.Invalid(text.T(c, "trains.err.note"))
	}
	f, err := h.store.DismissFlag(c.Request.Context(), id, withUser(c, note))
	return said{text: text.T(c, "trains.ok.flag.dismissed"), at: "train-" + strconv.FormatInt(f.TrainID, 10)}, err
}

// roomiest is the position of the car with the lowest share of its
// capacity taken (the front-most one on a tie), 0 without cars.
func roomiest(cars []trains.Car) int {
	best := -1
	for i, c := range cars {
		// Compare count/capacity without division: a/b < c/d ⇔ a·d < c·b.
		if best < 0 || c.Count*cars[best].Capacity < cars[best].Count*c.Capacity {
			best = i
		}
	}
	if best < 0 {
		return 0
	}
	return cars[best].Position
}

// renderStrips renders the whole-train strip of every train with a changed
// car, as "strip-<train id>" events.
func (h *Handler) renderStrips(ctx context.Context, buf *bytes.Buffer, id string, cars []trains.Car) error {
	done := map[int64]bool{}
	for _, c := range cars {
		if done[c.TrainID] {
			continue
		}
		done[c.TrainID] = true
		t, err := h.store.Train(ctx, c.TrainID)
		if err != nil {
			continue // the train went away meanwhile; the snapshot follows
		}
		var html bytes.Buffer
		if err := vt.TrainStrip(h.trainVM(ctx, t), false).Render(ctx, &html); err != nil {
			return err
		}
		// A strip changes only when a car's level or the roomiest car does:
		// most pushes need no strip event (a busy train would double the
		// stream's bytes otherwise).
		if !h.strips.changed(t.ID, html.String()) {
			continue
		}
		if err := writeEvent(ctx, buf, "strip-"+strconv.FormatInt(t.ID, 10), id, templ.Raw(html.String())); err != nil {
			return err
		}
	}
	return nil
}

// stripCache remembers the last strip sent for each train.
type stripCache struct {
	mu   sync.Mutex
	last map[int64]string
}

// changed records html as train's strip and reports whether it differs
// from the last one.
func (c *stripCache) changed(train int64, html string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.last == nil {
		c.last = map[int64]string{}
	}
	if c.last[train] == html {
		return false
	}
	c.last[train] = html
	return true
}

func (h *Handler) now() time.Time { return h.cfg.Now() }

// setLevels is POST /trains/:id/levels.
func (h *Handler) setLevels(c *gin.Context, id int64) (said, error) {
	var th trains.Thresholds
	for _, f := range []struct {
		name string
		to   *int
	}{{"spacious", &th.Spacious}, {"normal", &th.Normal}, {"caution", &th.Caution}} {
		n, err := strconv.Atoi(strings.TrimSpace(c.PostForm(f.name)))
		if err != nil {
			return said{}, trains.Invalid(text.T(c, "trains.err.levels"))
		}
		*f.to = n
	}
	if err := h.store.SetThresholds(c.Request.Context(), id, th); err != nil {
		if isInvalid(err) {
			return said{}, trains.Invalid(text.T(c, "trains.err.levels"))
		}
		return said{}, err
	}
	return say(text.T(c, "trains.ok.levels"), th.Spacious, th.Normal, th.Caution), nil
}

// setSchedule is POST /trains/:id/schedule.
func (h *Handler) setSchedule(c *gin.Context, id int64) (said, error) {
	on := formBool(c, "on")
	minute, err := trains.ParseClock(c.PostForm("at"))
	if err != nil {
		return said{}, fieldErr{"at", trains.Invalid(text.T(c, "trains.err.clock"))}
	}
	zone := strings.TrimSpace(c.PostForm("zone"))
	if err := h.store.SetSchedule(c.Request.Context(), id, on, minute, zone); err != nil {
		if isInvalid(err) {
			return said{}, fieldErr{"zone", trains.Invalid(text.T(c, "trains.err.zone"))}
		}
		return said{}, err
	}
	if !on {
		return said{text: text.T(c, "trains.ok.schedule.off")}, nil
	}
	return say(text.T(c, "trains.ok.schedule.on"), trains.Settings{ResetMinute: minute}.ResetClock(), zone), nil
}

func isInvalid(err error) bool { return errors.Is(err, trains.ErrInvalid) }

// flagScope finds the train of a health flag, for the access check.
func flagScope(h *Handler, c *gin.Context, id int64) (int64, error) {
	return h.store.FlagTrain(c.Request.Context(), id)
}
