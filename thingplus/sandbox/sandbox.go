// Package sandbox is a local stand-in for the Thing+ v2 API: an OAuth2
// authorization server, users, gateways, sensors, series, rules with a rule
// engine whose dataPush actions call real URLs, and a simulator. It follows
// ../shared/thingplus-api.md; where that sheet leaves a question open, the
// choice is written next to the code that makes it.
package sandbox

import (
	"crypto/rand"
	"log/slog"
	"net/http"
	"sync"
	"time"
)

// Options configure a sandbox. The zero value is usable: it gets generated
// secrets, the real clock, no seeded app client and no simulator.
type Options struct {
	// BaseURL is where the sandbox is reachable, e.g. http://127.0.0.1:3001.
	// Pages and redirects it builds for browsers start with it.
	BaseURL string
	// App is the OAuth client seeded for thingplus-webapp.
	App AppClient
	// PushURL builds the dataPush URL of a seeded door rule
	// (direction is "IN" or "OUT"). Nil seeds no door rules.
	PushURL func(sensorID, direction string) string
	// JWTSecret signs access tokens; empty means a random one.
	JWTSecret []byte
	// Seed makes the simulator deterministic.
	Seed int64
	// SimulatorPace is the simulator's tick; 0 means the default and a
	// negative value disables the simulator (tests drive values themselves).
	SimulatorPace time.Duration
	// RushHour starts the simulator with a replay of a morning peak
	// (07:00–09:00 in Seoul at ten times speed), see StartRushHour.
	RushHour bool
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// PushClient sends dataPush requests; nil means a client with a short timeout.
	PushClient *http.Client
	Logger     *slog.Logger
}

// AppClient is an OAuth client registered at start.
type AppClient struct {
	ID, Secret, Name string
	// SignInURL is the app's own sign-in page (absolute): a new account's
	// page links back to it, so sign-up ends inside the app.
	SignInURL    string
	RedirectURIs []string
	Scopes       []string
}

// Sandbox is one running stand-in. Create it with New, serve Handler, and
// Close it to stop the simulator and the rule engine.
type Sandbox struct {
	opts   Options
	log    *slog.Logger
	secret []byte

	mu       sync.RWMutex
	users    map[string]*User   // by id
	clients  map[string]*Client // by id (= reqId)
	portal   map[string]string  // portal session cookie → user id
	nextUser int

	auth    *authArea
	devices *deviceArea
	rules   *ruleArea
	extras  *extraArea

	handler http.Handler
	stop    chan struct{}
	wg      sync.WaitGroup
}

// New builds a sandbox with the seeded demo data and starts its background
// work (simulator, rule engine).
func New(opts Options) *Sandbox {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.PushClient == nil {
		opts.PushClient = &http.Client{Timeout: 3 * time.Second}
	}
	s := &Sandbox{
		opts:    opts,
		log:     opts.Logger.With("component", "sandbox"),
		secret:  opts.JWTSecret,
		users:   map[string]*User{},
		clients: map[string]*Client{},
		portal:  map[string]string{},
		stop:    make(chan struct{}),
	}
	if len(s.secret) == 0 {
		s.secret = make([]byte, 32)
		_, _ = rand.Read(s.secret)
	}
	s.seedUsers()
	s.seedAppClient()
	s.auth = newAuthArea(s)
	s.devices = newDeviceArea(s)
	s.rules = newRuleArea(s)
	s.extras = newExtraArea(s)
	s.handler = s.routes()
	s.start()
	return s
}

// Handler serves the Thing+ API under /v2 and the sandbox's own pages.
func (s *Sandbox) Handler() http.Handler { return s.handler }

// BaseURL is the public address given in Options.
func (s *Sandbox) BaseURL() string { return s.opts.BaseURL }

// Close stops the background work and waits for it.
func (s *Sandbox) Close() {
	select {
	case <-s.stop:
	default:
		close(s.stop)
	}
	s.wg.Wait()
}

func (s *Sandbox) now() time.Time { return s.opts.Now() }

func (s *Sandbox) nowMs() int64 { return s.now().UnixMilli() }

// goBackground runs f until Close; f must return when stop is closed.
func (s *Sandbox) goBackground(f func(stop <-chan struct{})) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		f(s.stop)
	}()
}

func (s *Sandbox) start() {
	s.devices.start()
	s.rules.start()
}
