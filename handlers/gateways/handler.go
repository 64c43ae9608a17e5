// Package gateways is the HTTP side of the gateway console: the live
// /gateways table (search, status filter, sort, 15 s refresh of the table
// fragment, rows that expand in place), the gateway page, the sensor page
// with its SVG chart, and the CSV download of a sensor's series. When Thing+
// is slow or down it shows each user's last good data marked "as of …" with
// a 503, so htmx swaps it in and polling continues.
package gateways

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/thingplus/thingplus-webapp/apperr"
	"github.com/thingplus/thingplus-webapp/handlers/web"
	"github.com/thingplus/thingplus-webapp/thingplus"
)

// GatewayReader reads the signed-in user's gateways.
type GatewayReader interface {
	// Gateways is one page (count/page) with Thing+'s _meta (total).
	Gateways(ctx context.Context, token string, q thingplus.Query) ([]thingplus.Gateway, thingplus.Meta, error)
	AllGateways(ctx context.Context, token string, q thingplus.Query) ([]thingplus.Gateway, error)
	Gateway(ctx context.Context, token, id string, q thingplus.Query) (thingplus.Gateway, error)
}

// SensorReader reads a gateway's devices and sensors and a sensor's series.
type SensorReader interface {
	Devices(ctx context.Context, token, gatewayID string, q thingplus.Query) ([]thingplus.Device, error)
	Sensors(ctx context.Context, token, gatewayID string, q thingplus.Query) ([]thingplus.Sensor, error)
	Sensor(ctx context.Context, token, gatewayID, id string, q thingplus.Query) (thingplus.Sensor, error)
	Series(ctx context.Context, token, gatewayID, sensorID string, q thingplus.SeriesQuery) (thingplus.SeriesLeaf, error)
}

// Catalog reads the global catalogues (names and units).
type Catalog interface {
	SensorTypes(ctx context.Context) ([]thingplus.SensorType, error)
	GatewayModels(ctx context.Context) ([]thingplus.GatewayModel, error)
}

// Source is everything the handler reads. *thingplus.Cached implements it
// (use it: the table polls), and so does *thingplus.Client.
type Source interface {
	GatewayReader
	SensorReader
	Catalog
}

// Manager changes the signed-in user's gateways: the sites a new one can
// join, registering, renaming, re-timing and deleting. *thingplus.Cached
// implements it (and drops the user's cached reads after each change), as
// does *thingplus.Client.
type Manager interface {
	Sites(ctx context.Context, token string) ([]thingplus.Site, error)
	RegisterGateway(ctx context.Context, token string, r thingplus.Registration) (thingplus.Gateway, error)
	UpdateGateway(ctx context.Context, token, id string, u thingplus.GatewayUpdate) (thingplus.Gateway, error)
	SetReportInterval(ctx context.Context, token, id string, every time.Duration) error
	DeleteGateway(ctx context.Context, token, id string) error
}

// Options tune a Handler; zero values take the defaults.
type Options struct {
	Now      func() time.Time // clock; default time.Now
	Poll     time.Duration    // table refresh period; default 15 s
	LastGood int              // per-user "last good" entries kept; default 1024
	MaxOpen  int              // open rows refreshed with the table; default 10

	// Manager changes gateways (manage.go). Nil means the Source itself
	// when it is one (*thingplus.Cached and *thingplus.Client are); with
	// neither, the management routes are not mounted.
	Manager Manager

	// Tags reads the account's tags; nil means the Source itself when it
	// is a TagReader.
	Tags TagReader

	// PortalURL opens a gateway in the Thing+ Portal ("{id}" replaced by
	// the gateway id); empty: no link.
	PortalURL string
}

// Handler serves the gateway screens.
type Handler struct {
	src     Source
	now     func() time.Time
	poll    time.Duration
	maxOpen int
	last    *lastGood
	manage  Manager   // nil: no gateway management
	portal  string    // Options.PortalURL
	tags    TagReader // nil: no tags
}

// New builds a Handler reading from src.
func New(src Source, o Options) *Handler {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Poll <= 0 {
		o.Poll = 15 * time.Second
	}
	if o.LastGood <= 0 {
		o.LastGood = 1024
	}
	if o.MaxOpen <= 0 {
		o.MaxOpen = 10
	}
	if o.Manager == nil {
		o.Manager, _ = src.(Manager)
	}
	if o.Tags == nil {
		o.Tags, _ = src.(TagReader)
	}
	return &Handler{src: src, now: o.Now, poll: o.Poll, maxOpen: o.MaxOpen, last: newLastGood(o.LastGood),
		manage: o.Manager, portal: o.PortalURL, tags: o.Tags}
}

// Register mounts the routes; r must already require a signed-in user.
func (h *Handler) Register(r gin.IRouter) {
	r.GET("/gateways", h.list)
	r.GET("/gateways/:gw", h.gateway)
	r.GET("/gateways/:gw/row", h.row)
	r.GET("/gateways/:gw/live", h.detailLive)
	r.GET("/gateways/:gw/sensors/:id", h.sensor)
	r.GET("/gateways/:gw/sensors/:id/series.csv", h.csv)
	if h.manage != nil {
		h.registerManage(r)
	}
}

// isUnavailable reports whether err means "Thing+ is slow or down": the
// case where the last good data is shown instead of an error page.
func isUnavailable(err error) bool {
	return err != nil && apperr.CodeOf(err) == apperr.Unavailable
}

// userKey identifies the user for the last-good store: the Thing+ user id,
// or a hash of the token when the user is unknown (never the token itself).
func userKey(c *gin.Context) string {
	if u, ok := web.UserOf(c); ok && u.ID != "" {
		return "u:" + u.ID
	}
	sum := sha256.Sum256([]byte(web.TokenOf(c)))
	return "t:" + hex.EncodeToString(sum[:12])
}

// viewer is who looks and when: the clock and the user's time zone.
type viewer struct {
	ctx context.Context // carries the language
	now time.Time
	loc *time.Location
}

func (h *Handler) viewerOf(c *gin.Context) viewer {
	u, _ := web.UserOf(c)
	return viewer{ctx: c, now: h.now(), loc: u.Location()}
}
