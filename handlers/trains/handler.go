// Package trains is the HTTP side of the trains feature: the Thing+ rule
// webhook, the live /trains page with its SSE stream and polling fallback,
// the management forms, the event log with CSV export, and the original
// app's JSON API. Storage and rules live in the trains domain package.
package trains

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash/fnv"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/thingplus/thingplus-webapp/apperr"
	"github.com/thingplus/thingplus-webapp/handlers/web"
	"github.com/thingplus/thingplus-webapp/metrics"
	"github.com/thingplus/thingplus-webapp/trains"
	vt "github.com/thingplus/thingplus-webapp/views/trains"
)

// Ingest counts pushes and logs refused ones.
type Ingest interface {
	Apply(ctx context.Context, p trains.Push) (trains.Result, error)
	LogRejected(ctx context.Context, r trains.Rejected) error
}

// Reader reads trains, cars and events.
type Reader interface {
	Snapshot(ctx context.Context) (trains.Snapshot, error)
	Trains(ctx context.Context) ([]trains.Train, error)
	Train(ctx context.Context, id int64) (trains.Train, error)
	Car(ctx context.Context, id int64) (trains.Car, error)
	DoorOf(ctx context.Context, sensorID string) (trains.Door, int64, error)
	Events(ctx context.Context, f trains.EventFilter) ([]trains.Event, error)
	EachEvent(ctx context.Context, f trains.EventFilter, fn func(trains.Event) error) error
}

// Manager changes trains, cars, doors and counts.
type Manager interface {
	CreateTrain(ctx context.Context, nt trains.NewTrain) (trains.Train, error)
	UpdateTrain(ctx context.Context, id int64, p trains.TrainPatch) (trains.Train, error)
	DeleteTrain(ctx context.Context, id int64) error
	AddCar(ctx context.Context, trainID int64, capacity int) (trains.Car, error)
	RemoveCar(ctx context.Context, carID int64) error
	ReorderCar(ctx context.Context, carID int64, position int) error
	MoveCar(ctx context.Context, carID, toTrainID int64, position int) error
	SetCapacity(ctx context.Context, carID int64, capacity int) error
	AssignDoor(ctx context.Context, carID int64, d trains.Door) error
	MoveDoor(ctx context.Context, sensorID string, toCarID int64) error
	UnassignDoor(ctx context.Context, sensorID string) error
	ResetCar(ctx context.Context, carID int64, reason string) error
	ResetTrain(ctx context.Context, trainID int64, reason string) error
	CorrectCount(ctx context.Context, carID int64, count int, reason string) error
}

// Live is the source of committed changes.
type Live interface {
	Hub() *trains.Hub
	Seq() uint64
	Epoch() string // names the database the versions count in
}

// Store is everything the handler needs from the trains store
// (*trains.Store implements it).
type Store interface {
	Ingest
	Reader
	Manager
	Live
	Operations
}

// SensorChoice is a Thing+ sensor offered when assigning a door.
type SensorChoice struct {
	ID   string
	Name string
}

// SensorSource lists the signed-in user's door sensors (optional).
type SensorSource interface {
	DoorSensors(ctx context.Context, token string) ([]SensorChoice, error)
}

// DoorWirer creates a door's IN and OUT rules in Thing+ (optional),
// skipping a direction whose rule already pushes to this app.
type DoorWirer interface {
	WireDoor(ctx context.Context, token, timezone, sensorID, inURL, outURL string) (WireResult, error)
}

// Config is the handler's settings.
type Config struct {
	PublicURL  string // PUBLIC_URL, no trailing slash: push URLs start with it
	WebhookKey string // the webhook secret (never logged)
	Thresholds trains.Thresholds
	Heartbeat  time.Duration // SSE heartbeat (default 15 s)
	PollEvery  time.Duration // polling fallback period (default 10 s)
	// OptionalUser loads the signed-in user, if any, without requiring one
	// (the compatibility API accepts a session or the webhook key).
	OptionalUser gin.HandlerFunc
	Log          *slog.Logger
	Location     *time.Location   // for times shown on pages (default: local)
	Metrics      *metrics.Metrics // nil: no metrics
	Now          func() time.Time // the clock (default time.Now)
}

// Handler serves the trains feature.
type Handler struct {
	store   Store
	sensors SensorSource
	wirer   DoorWirer
	cfg     Config
	keySum  [32]byte
	bc      *broadcaster
	epoch   string // the database's SSE version prefix, the same on every instance
}

// Deps are the handler's collaborators; Sensors and Wirer may be nil.
type Deps struct {
	Store   Store
	Sensors SensorSource
	Wirer   DoorWirer
}

// New builds the handler and starts the live-update broadcaster, which runs
// until the store's hub closes.
func New(d Deps, cfg Config) *Handler {
	if cfg.Thresholds == (trains.Thresholds{}) {
		cfg.Thresholds = trains.DefaultThresholds
	}
	if cfg.Heartbeat <= 0 {
		cfg.Heartbeat = 15 * time.Second
	}
	if cfg.PollEvery <= 0 {
		cfg.PollEvery = 10 * time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Location == nil {
		cfg.Location = time.Local
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	cfg.PublicURL = strings.TrimRight(cfg.PublicURL, "/")
	if cfg.Metrics != nil {
		d.Store = countingStore{Store: d.Store, m: cfg.Metrics}
	}
	h := &Handler{store: d.Store, sensors: d.Sensors, wirer: d.Wirer, cfg: cfg, keySum: sha256.Sum256([]byte(cfg.WebhookKey)), epoch: d.Store.Epoch()}
	h.bc = newBroadcaster(h)
	go h.bc.run()
	return h
}

// Register mounts the routes: the webhook (and the key-or-session JSON API)
// on public, the pages and forms on authed.
func (h *Handler) Register(public, authed gin.IRouter) {
	public.POST("/api/trigger/:sensorId/:type", h.trigger)
	public.POST("/api/trigger", h.trigger)

	api := public.Group("/api")
	if h.cfg.OptionalUser != nil {
		api.Use(h.cfg.OptionalUser)
	}
	api.Use(h.apiAuth)
	api.GET("/trains", h.apiTrains)
	api.GET("/train/:id", h.apiTrain)
	api.POST("/train", h.apiUpdateTrain)
	api.PUT("/train", h.apiCreateTrain)
	api.GET("/cars/:id", h.apiCar)
	api.POST("/car", h.apiMoveCar)
	api.GET("/sensors/:carId", h.apiSensors)
	api.PUT("/sensor", h.apiAddSensor)
	api.POST("/sensor", h.apiMoveSensor)
	api.DELETE("/sensor", h.apiDeleteSensor)

	authed.GET("/trains", h.page)
	authed.GET("/trains/stream", h.stream)
	authed.GET("/trains/poll", h.poll)
	authed.GET("/trains/list", h.list)
	authed.GET("/trains/events", h.events)
	authed.GET("/trains/events.csv", h.eventsCSV)
	authed.POST("/trains", h.createTrain)
	authed.POST("/trains/:id/rename", h.act("rename-", h.renameTrain))
	authed.POST("/trains/:id/running", h.act("running-", h.setRunning))
	authed.POST("/trains/:id/reset", h.act("reset-", h.resetTrain))
	authed.POST("/trains/:id/delete", h.act("delete-", h.deleteTrain))
	authed.POST("/trains/:id/cars", h.act("addcar-", h.addCar))
	authed.POST("/trains/cars/:id/capacity", h.act("cap-", h.setCapacity))
	authed.POST("/trains/cars/:id/correct", h.act("correct-", h.correct))
	authed.POST("/trains/cars/:id/reset", h.act("resetcar-", h.resetCar))
	authed.POST("/trains/cars/:id/position", h.act("position-", h.reorder))
	authed.POST("/trains/cars/:id/move", h.act("move-", h.moveCar))
	authed.POST("/trains/cars/:id/delete", h.act("removecar-", h.removeCar))
	authed.POST("/trains/cars/:id/doors", h.act("door-", h.assignDoor))
	authed.POST("/trains/doors/unassign", h.unassignDoor)
	authed.POST("/trains/doors/wire", h.wireDoor)
	authed.POST("/trains/:id/levels", h.act("levels-", h.setLevels))
	authed.POST("/trains/:id/schedule", h.act("schedule-", h.setSchedule))
	authed.GET("/trains/:id/history", h.history)
}

// PushURL is the URL a Thing+ dataPush action calls for a door sensor and
// direction ("IN" or "OUT"), carrying the webhook key.
func PushURL(publicURL, key, sensorID, direction string) string {
	return strings.TrimRight(publicURL, "/") + "/api/trigger/" + url.PathEscape(sensorID) + "/" + direction + "?key=" + url.QueryEscape(key)
}

func (h *Handler) pushURL(sensorID, dir string) string {
	return PushURL(h.cfg.PublicURL, h.cfg.WebhookKey, sensorID, dir)
}

// ---- view models ----

func (h *Handler) carVM(c trains.Car, cars int) vt.Car {
	th := h.store.ThresholdsOf(c.TrainID)
	pct := trains.Percent(c.Count, c.Capacity)
	v := vt.Car{
		ID: c.ID, TrainID: c.TrainID, Position: c.Position, Cars: cars, Capacity: c.Capacity, Count: c.Count,
		Percent: pct, Level: string(th.Level(c.Count, c.Capacity)),
		FillPct: min(pct, 100), OverPct: min(max(pct-100, 0), 100),
	}
	if !c.UpdatedAt.IsZero() {
		v.UpdatedMs = c.UpdatedAt.UnixMilli()
		v.Updated = c.UpdatedAt.In(h.cfg.Location).Format("2006-01-02 15:04:05")
	}
	for _, d := range c.Doors {
		v.Doors = append(v.Doors, vt.Door{SensorID: d.SensorID, Label: d.Label, Inverted: d.Inverted,
			PushIN: h.pushURL(d.SensorID, "IN"), PushOUT: h.pushURL(d.SensorID, "OUT")})
	}
	return v
}

func (h *Handler) listVM(ts []trains.Train) vt.List {
	l := vt.List{PollSec: int(h.cfg.PollEvery / time.Second), CanWire: h.wirer != nil}
	if l.PollSec < 1 {
		l.PollSec = 1
	}
	for _, t := range ts {
		tv := h.trainVM(t)
		l.Trains = append(l.Trains, tv)
		l.Options = append(l.Options, vt.TrainOption{ID: t.ID, Name: t.Name})
	}
	l.PollURL = "/trains/poll?sh=" + structureHash(ts)
	return l
}

// structureHash fingerprints everything but the counts, so the polling
// fallback knows whether car fragments suffice or the list must be redrawn.
func structureHash(ts []trains.Train) string {
	f := fnv.New64a()
	w := func(s string) { f.Write([]byte(s)); f.Write([]byte{0}) }
	for _, t := range ts {
		w(strconv.FormatInt(t.ID, 10))
		w(t.Name)
		w(strconv.FormatBool(t.Running))
		for _, c := range t.Cars {
			w(strconv.FormatInt(c.ID, 10))
			w(strconv.Itoa(c.Position))
			w(strconv.Itoa(c.Capacity))
			for _, d := range c.Doors {
				w(d.SensorID)
				w(d.Label)
				w(strconv.FormatBool(d.Inverted))
			}
		}
	}
	return strconv.FormatUint(f.Sum64(), 36)
}

func randomID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// ---- errors ----

// message strips the sentinel prefix from a trains error ("invalid input: x" → "x").
func message(err error) string {
	s := err.Error()
	for _, e := range []error{trains.ErrInvalid, trains.ErrConflict, trains.ErrNotFound, trains.ErrUnknownSensor} {
		if rest, ok := strings.CutPrefix(s, e.Error()+": "); ok {
			return rest
		}
	}
	return s
}

// appErr maps a trains error to the application's error codes.
func appErr(err error) error {
	switch {
	case errors.Is(err, trains.ErrInvalid), errors.Is(err, trains.ErrUnknownSensor):
		return apperr.E(apperr.Invalid, message(err), err)
	case errors.Is(err, trains.ErrConflict):
		return apperr.E(apperr.Conflict, message(err), err)
	case errors.Is(err, trains.ErrNotFound):
		return apperr.E(apperr.NotFound, message(err), err)
	case errors.Is(err, trains.ErrClosed), errors.Is(err, context.DeadlineExceeded):
		return apperr.E(apperr.Unavailable, "trains store unavailable", err)
	}
	return err
}

func userOf(c *gin.Context) (name, timezone string) {
	if u, ok := web.UserOf(c); ok {
		return u.DisplayName(), u.Timezone
	}
	return "", ""
}
