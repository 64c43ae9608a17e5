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
	"hash/fnv"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/thingplus/thingplus-webapp/handlers/web"
	"github.com/thingplus/thingplus-webapp/metrics"
	"github.com/thingplus/thingplus-webapp/rulehistory"
	"github.com/thingplus/thingplus-webapp/trains"
	vt "github.com/thingplus/thingplus-webapp/views/trains"
)

// Ingest counts pushes and logs refused ones.
type Ingest interface {
	Apply(ctx context.Context, p trains.Push) (trains.Result, error)
	LogRejected(ctx context.Context, r trains.Rejected) error
	// TokenTrain is the train a push token belongs to (from memory).
	TokenTrain(token string) (int64, bool)
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

// Access answers who may do what with which train (trains/access.go).
type Access interface {
	TrainsFor(ctx context.Context, p trains.Principal) ([]trains.Train, error)
	SnapshotFor(ctx context.Context, p trains.Principal) (trains.Snapshot, error)
	TrainFor(ctx context.Context, p trains.Principal, id int64) (trains.Train, error)
	Authorize(ctx context.Context, p trains.Principal, id int64, need trains.Role) (trains.Role, error)
	TrainOfCar(ctx context.Context, carID int64) (int64, error)
	TrainOfSensor(ctx context.Context, sensorID string) (int64, error)
	VisibleTrainIDs(ctx context.Context, p trains.Principal) ([]int64, error)
	SensorOwner(ctx context.Context, sensorID string) (string, bool, error)
	Shares(ctx context.Context, trainID int64) ([]trains.Share, error)
	ShareTrain(ctx context.Context, trainID int64, loginID string, role trains.Role) error
	UnshareTrain(ctx context.Context, trainID int64, loginID string) error
	ClaimTrain(ctx context.Context, trainID int64, o trains.Owner) error
	OwnerZone(ctx context.Context, trainID int64) (string, error)
	Token(ctx context.Context, trainID int64) (trains.TokenInfo, error)
	RotateToken(ctx context.Context, trainID int64) (trains.TokenInfo, error)
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
	Access
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
// skipping a direction whose rule already pushes to this app, and points
// existing rules at a train's new push URL.
type DoorWirer interface {
	WireDoor(ctx context.Context, token, timezone, sensorID, inURL, outURL string, j Journal) (WireResult, error)
	Repoint(ctx context.Context, token string, newURL func(old string) (string, bool), j Journal) (int, error)
}

// RuleHistory keeps the rules history (*rulehistory.Store; optional): the
// rules this screen creates or re-points are recorded there like those
// changed on the rules screen.
type RuleHistory interface {
	Record(ctx context.Context, v rulehistory.Version) (rulehistory.Version, error)
}

// SensorChecker says whether the signed-in user's Thing+ account has a
// sensor (optional; without it any well-formed id is accepted).
type SensorChecker interface {
	HasSensor(ctx context.Context, token, sensorID string) (bool, error)
}

// Config is the handler's settings.
type Config struct {
	PublicURL string // PUBLIC_URL, no trailing slash: push URLs start with it
	// WebhookKey is the legacy shared key (WEBHOOK_KEY): still accepted for
	// pushes to every train, never for the JSON API. "" = none.
	WebhookKey string
	// RejectRate is how many refused pushes per second one address may
	// cause before it gets 429 (WEBHOOK_RATE, default 50).
	RejectRate int
	// TarpitDelay holds each 429 answer this long (default 1 s; negative:
	// answer at once), so a flooding client slows itself down.
	TarpitDelay time.Duration
	Thresholds  trains.Thresholds
	Heartbeat   time.Duration // SSE heartbeat (default 15 s)
	PollEvery   time.Duration // polling fallback period (default 10 s)
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
	strips  stripCache // the last strip sent per train (the live stream)
	store   Store
	sensors SensorSource
	wirer   DoorWirer
	checker SensorChecker
	rules   RuleSource
	ruleLog RuleHistory
	cfg     Config
	keySum  [32]byte
	bc      *broadcaster
	limiter *limiter
	tarpits chan struct{} // semaphore of held-back 429 answers
	legacy  legacyUse
	epoch   string // the database's SSE version prefix, the same on every instance
}

// Deps are the handler's collaborators; Sensors, Wirer, Checker and Rules
// may be nil.
type Deps struct {
	Store   Store
	Sensors SensorSource
	Wirer   DoorWirer
	Checker SensorChecker
	Rules   RuleSource
	History RuleHistory
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
	if cfg.RejectRate <= 0 {
		cfg.RejectRate = DefaultRejectRate
	}
	if cfg.TarpitDelay == 0 {
		cfg.TarpitDelay = time.Second
	}
	cfg.PublicURL = strings.TrimRight(cfg.PublicURL, "/")
	if cfg.Metrics != nil {
		d.Store = countingStore{Store: d.Store, m: cfg.Metrics}
	}
	h := &Handler{store: d.Store, sensors: d.Sensors, wirer: d.Wirer, checker: d.Checker, rules: d.Rules, ruleLog: d.History, cfg: cfg,
		keySum: sha256.Sum256([]byte(cfg.WebhookKey)), epoch: d.Store.Epoch(),
		limiter: newLimiter(cfg.RejectRate, cfg.Now), tarpits: make(chan struct{}, maxTarpits)}
	h.bc = newBroadcaster(h)
	go h.bc.run()
	return h
}

// Register mounts the routes: the webhook (and the key-or-session JSON API)
// on public, the pages and forms on authed.
func (h *Handler) Register(machine, public, authed gin.IRouter) {
	machine.POST("/api/trigger/:sensorId/:type", h.trigger)
	machine.POST("/api/trigger", h.trigger)

	api := public.Group("/api")
	if h.cfg.OptionalUser != nil {
		api.Use(h.cfg.OptionalUser)
	}
	api.GET("/trains", h.apiTrains)
	api.GET("/train/:id", h.apiTrain)
	api.GET("/cars/:id", h.apiCar)
	api.GET("/sensors/:carId", h.apiSensors)
	// Writes: a signed-in owner or editor (CSRF-checked like every form),
	// never a key in the URL.
	api.POST("/train", h.apiSignedIn, h.apiUpdateTrain)
	api.PUT("/train", h.apiSignedIn, h.apiCreateTrain)
	api.POST("/car", h.apiSignedIn, h.apiMoveCar)
	api.PUT("/sensor", h.apiSignedIn, h.apiAddSensor)
	api.POST("/sensor", h.apiSignedIn, h.apiMoveSensor)
	api.DELETE("/sensor", h.apiSignedIn, h.apiDeleteSensor)

	// Lists are filtered to what the account may see; everything under a
	// train, car or door id checks the account's role on its train first.
	viewer, editor, own := trains.RoleViewer, trains.RoleEditor, trains.RoleOwner
	authed.GET("/trains", h.page)
	authed.GET("/trains/stream", h.stream)
	authed.GET("/trains/poll", h.poll)
	authed.GET("/trains/list", h.list)
	authed.GET("/trains/sensors", h.sensorList)
	authed.GET("/trains/events", h.events)
	authed.GET("/trains/events.csv", h.eventsCSV)
	authed.POST("/trains", h.createTrain)
	authed.POST("/trains/:id/rename", h.act("rename-", trainScope, own, h.renameTrain))
	authed.POST("/trains/:id/running", h.act("running-", trainScope, editor, h.setRunning))
	authed.POST("/trains/:id/reset", h.act("reset-", trainScope, editor, h.resetTrain))
	authed.POST("/trains/:id/delete", h.act("delete-", trainScope, own, h.deleteTrain))
	authed.POST("/trains/:id/cars", h.act("addcar-", trainScope, editor, h.addCar))
	authed.POST("/trains/:id/share", h.act("share-", trainScope, own, h.share))
	authed.POST("/trains/:id/unshare", h.act("share-", trainScope, own, h.unshare))
	authed.POST("/trains/:id/token/rotate", h.act("token-", trainScope, own, h.rotateToken))
	authed.POST("/trains/:id/rules/repoint", h.act("repoint-", trainScope, own, h.repoint))
	authed.POST("/trains/:id/claim", h.act("claim-", trainScope, viewer, h.claim))
	authed.POST("/trains/cars/:id/capacity", h.act("cap-", carScope, editor, h.setCapacity))
	authed.POST("/trains/cars/:id/correct", h.act("correct-", carScope, editor, h.correct))
	authed.POST("/trains/cars/:id/reset", h.act("resetcar-", carScope, editor, h.resetCar))
	authed.POST("/trains/cars/:id/position", h.act("position-", carScope, editor, h.reorder))
	authed.POST("/trains/cars/:id/move", h.act("move-", carScope, editor, h.moveCar))
	authed.POST("/trains/cars/:id/delete", h.act("removecar-", carScope, editor, h.removeCar))
	authed.POST("/trains/cars/:id/doors", h.act("door-", carScope, editor, h.assignDoor))
	authed.POST("/trains/doors/unassign", h.unassignDoor)
	authed.POST("/trains/doors/wire", h.wireDoor)
	authed.POST("/trains/:id/levels", h.act("levels-", trainScope, editor, h.setLevels))
	authed.POST("/trains/:id/schedule", h.act("schedule-", trainScope, editor, h.setSchedule))
	authed.GET("/trains/:id/history", h.guard(trainScope, viewer, h.history))
	authed.GET("/trains/cars/:id/rules", h.guard(carScope, own, h.doorRules))
	authed.POST("/trains/flags/:id/dismiss", h.act("dismiss-", flagScope, editor, h.dismissFlag))
}

// PushURL is the URL a Thing+ dataPush action calls for a door sensor and
// direction ("IN" or "OUT"), carrying the webhook key.
func PushURL(publicURL, key, sensorID, direction string) string {
	return strings.TrimRight(publicURL, "/") + "/api/trigger/" + url.PathEscape(sensorID) + "/" + direction + "?key=" + url.QueryEscape(key)
}

// pushURL is a door's push URL with a train's token.
func (h *Handler) pushURL(token, sensorID, dir string) string {
	return PushURL(h.cfg.PublicURL, token, sensorID, dir)
}

// ---- view models ----

// carVM is a car card; token is the train's push token, given only for
// its owner (the door push URLs carry it).
// Its times are in loc, the train's zone.
func (h *Handler) carVM(ctx context.Context, c trains.Car, cars int, role trains.Role, token string, loc *time.Location) vt.Car {
	th := h.store.ThresholdsOf(c.TrainID)
	pct := trains.Percent(c.Count, c.Capacity)
	v := vt.Car{
		ID: c.ID, TrainID: c.TrainID, Position: c.Position, Cars: cars, Capacity: c.Capacity, Count: c.Count,
		Percent: pct, Level: string(th.Level(c.Count, c.Capacity)),
		FillPct: min(pct, 100), OverPct: min(max(pct-100, 0), 100),
		CanEdit: role >= trains.RoleEditor, CanOwn: role >= trains.RoleOwner,
	}
	v.CheckRules = v.CanOwn && h.rules != nil
	v.Flags = h.flagVMs(ctx, c, loc)
	if !c.UpdatedAt.IsZero() {
		v.UpdatedMs = c.UpdatedAt.UnixMilli()
		v.Updated = zoned(c.UpdatedAt, loc, web.LogTimeLayout)
		v.UpdatedISO = c.UpdatedAt.In(loc).Format(time.RFC3339)
	}
	for _, d := range c.Doors {
		door := vt.Door{SensorID: d.SensorID, Label: d.Label, Inverted: d.Inverted}
		if token != "" {
			door.PushIN, door.PushOUT = h.pushURL(token, d.SensorID, "IN"), h.pushURL(token, d.SensorID, "OUT")
		}
		v.Doors = append(v.Doors, door)
	}
	return v
}

// listVM is the list as the account p sees it: manage controls by role,
// the owner's panel (push token, shares) on the trains p owns.
func (h *Handler) listVM(ctx context.Context, p trains.Principal, ts []trains.Train) vt.List {
	l := vt.List{PollSec: int(h.cfg.PollEvery / time.Second), CanWire: h.wirer != nil}
	if l.PollSec < 1 {
		l.PollSec = 1
	}
	for _, t := range ts {
		tv := h.trainVM(ctx, t)
		l.Trains = append(l.Trains, tv)
		if tv.CanEdit {
			l.Options = append(l.Options, vt.TrainOption{ID: t.ID, Name: t.Name})
		}
	}
	l.Structure = structureHash(p, ts)
	l.PollURL = "/trains/poll?sh=" + l.Structure
	return l
}

// structureHash fingerprints everything but the counts, so the polling
// fallback knows whether car fragments suffice or the list must be redrawn.
func structureHash(p trains.Principal, ts []trains.Train) string {
	f := fnv.New64a()
	w := func(s string) { f.Write([]byte(s)); f.Write([]byte{0}) }
	w(p.UserID)
	for _, t := range ts {
		w(strconv.FormatInt(t.ID, 10))
		w(t.Role.String())
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

func userOf(c *gin.Context) (name, timezone string) {
	if u, ok := web.UserOf(c); ok {
		return u.DisplayName(), u.Timezone
	}
	return "", ""
}
