// Package rules serves the rules screens: the list (/rules) with one-click
// activate/deactivate and delete, the create/edit form that needs no JSON
// (with an advanced raw-JSON tab kept in sync by server round trips), and the
// timeline of rule firings (/events).
package rules

import (
	"context"
	"time"

	"github.com/gin-gonic/gin"
	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/thingplus/thingplus-webapp/thingplus"
	"github.com/thingplus/thingplus-webapp/thingplus/dryrun"
	"github.com/thingplus/thingplus-webapp/wiring"
)

// RuleStore is the Thing+ rules API (*thingplus.Client implements it).
type RuleStore interface {
	ListRules(ctx context.Context, token string) ([]thingplus.Rule, error)
	GetRule(ctx context.Context, token, id string) (thingplus.Rule, error)
	CreateRule(ctx context.Context, token string, r thingplus.Rule) (thingplus.Rule, error)
	UpdateRule(ctx context.Context, token string, r thingplus.Rule) (thingplus.Rule, error)
	DeleteRule(ctx context.Context, token, id string) error
}

// TimelineLister reads rule firings (*thingplus.Client implements it).
type TimelineLister interface {
	Timelines(ctx context.Context, token string, q thingplus.TimelineQuery) (thingplus.TimelinePage, error)
}

// SensorPicker lists the user's gateways with the sensors a rule can watch
// (actuators left out). See PickerFunc and GatewayPicker.
type SensorPicker interface {
	SensorChoices(ctx context.Context, token string) ([]GatewayChoice, error)
}

// PickerFunc adapts a function to SensorPicker.
type PickerFunc func(ctx context.Context, token string) ([]GatewayChoice, error)

// SensorChoices calls f.
func (f PickerFunc) SensorChoices(ctx context.Context, token string) ([]GatewayChoice, error) {
	return f(ctx, token)
}

// PushURLFunc builds this app's webhook URL for a sensor and a direction
// ("IN" or "OUT"); the URL carries the webhook key.
type PushURLFunc func(sensorID, dir string) string

// UserPushURLFunc builds the webhook URL for the signed-in account (userID):
// the URL of the train it owns that holds the sensor, with that train's
// token, so a rule never carries another account's token.
type UserPushURLFunc func(ctx context.Context, userID, sensorID, dir string) string

// Handler serves /rules and /events.
type Handler struct {
	rules     RuleStore
	timelines TimelineLister
	sensors   SensorPicker
	push      pushURLs
	userPush  UserPushURLFunc
	zones     zones
	now       func() time.Time
	series    dryrun.SeriesSource // nil: no dry-run
	history   History             // nil: no snapshots, no history screens
	wiring    wiring.Expect       // nil: no wiring check

	lastGood snapshots  // last good data per user, shown while Thing+ is down
	tables   tablesMemo // the last rendered tables fragment per user
}

// New builds the handler. pushURL may be nil (then the form offers no
// "push to this app" action); sensors may be nil (then sensors are typed
// from the rule only).
func New(rules RuleStore, timelines TimelineLister, sensors SensorPicker, pushURL PushURLFunc) *Handler {
	return &Handler{
		rules: rules, timelines: timelines, sensors: sensors,
		push: pushURLs{build: pushURL}, zones: newZones(), now: time.Now,
		lastGood: newSnapshots(),
	}
}

// WithUserPushURL makes push-to-this-app actions use f, per signed-in
// account, instead of the fixed builder given to New.
func (h *Handler) WithUserPushURL(f UserPushURLFunc) *Handler {
	h.userPush = f
	return h
}

// Register adds the routes; they need a signed-in user (web.SetSignedIn has run).
func (h *Handler) Register(r gin.IRouter) {
	r.GET("/rules", h.list)
	r.GET("/rules/new", h.newForm)
	r.POST("/rules", h.create)
	r.GET("/rules/:id", h.editForm)
	r.GET("/rules/:id/edit", h.editForm)
	r.POST("/rules/:id", h.update)
	r.POST("/rules/:id/status", h.toggle)
	r.GET("/rules/:id/delete", h.confirmDelete)
	r.POST("/rules/:id/delete", h.delete)
	r.GET("/events", h.events)
	h.registerTools(r)
	h.registerWiring(r)
}

// snapshots keep the last good list per user and view, so an outage shows
// "as of …" data instead of an empty table; the least recently used go
// first beyond maxSnapshots.
type snapshots struct {
	items *lru.Cache[string, snapshot]
}

type snapshot struct {
	at   time.Time
	data any
}

const maxSnapshots = 512

func newSnapshots() snapshots {
	items, _ := lru.New[string, snapshot](maxSnapshots) // errs only for a size <= 0
	return snapshots{items: items}
}

func (s *snapshots) put(key string, at time.Time, data any) {
	s.items.Add(key, snapshot{at: at, data: data})
}

func (s *snapshots) get(key string) (snapshot, bool) { return s.items.Get(key) }
