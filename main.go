// Command thingplus-webapp is a web app for Thing+ users: gateways, rules
// and live subway crowding, signed in through Thing+ OAuth2. With no Thing+
// configured it also runs a built-in Thing+ sandbox.
//
//	thingplus-webapp            run the app (and the sandbox when THINGPLUS_URL is empty)
//	thingplus-webapp sandbox    run only the Thing+ sandbox
//	thingplus-webapp client …   register OAuth clients with Thing+ (see README)
package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"syscall"
	"time"
	_ "time/tzdata" // rule time zones resolve on machines without zoneinfo

	"github.com/gin-gonic/gin"
	"golang.org/x/oauth2"

	"github.com/thingplus/thingplus-webapp/assets"
	"github.com/thingplus/thingplus-webapp/cli"
	"github.com/thingplus/thingplus-webapp/config"
	"github.com/thingplus/thingplus-webapp/handlers"
	"github.com/thingplus/thingplus-webapp/handlers/gateways"
	"github.com/thingplus/thingplus-webapp/handlers/overview"
	"github.com/thingplus/thingplus-webapp/handlers/rules"
	"github.com/thingplus/thingplus-webapp/handlers/session"
	"github.com/thingplus/thingplus-webapp/handlers/since"
	trainsweb "github.com/thingplus/thingplus-webapp/handlers/trains"
	"github.com/thingplus/thingplus-webapp/lastvisit"
	"github.com/thingplus/thingplus-webapp/logging"
	"github.com/thingplus/thingplus-webapp/metrics"
	"github.com/thingplus/thingplus-webapp/rulehistory"
	"github.com/thingplus/thingplus-webapp/thingplus"
	"github.com/thingplus/thingplus-webapp/thingplus/sandbox"
	"github.com/thingplus/thingplus-webapp/trains"
	"github.com/thingplus/thingplus-webapp/wiring"
)

func main() {
	gin.SetMode(gin.ReleaseMode)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run dispatches the subcommand; it returns the exit status (2 for bad
// configuration or usage).
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	cmd := ""
	if len(args) > 0 {
		cmd = args[0]
	}
	switch cmd {
	case "", "serve":
		return exitCode(serve(ctx, getenv, stderr), stderr)
	case "sandbox":
		return exitCode(serveSandboxOnly(ctx, getenv, stderr), stderr)
	case "client":
		return runClient(ctx, args[1:], getenv, stdin, stdout, stderr)
	case "trains":
		return runTrains(ctx, args[1:], getenv, stdin, stdout, stderr)
	default:
		fmt.Fprintf(stderr, "usage: thingplus-webapp [serve | sandbox | client create|list|delete | trains export|import]\n")
		return 2
	}
}

func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	var cfgErr *config.Error
	if errors.As(err, &cfgErr) {
		fmt.Fprintf(stderr, "config: %s\n", cfgErr)
		return 2
	}
	fmt.Fprintf(stderr, "thingplus-webapp: %v\n", err)
	return 1
}

func newLogger(w io.Writer, format string) *slog.Logger {
	if format == "" {
		format = logging.DefaultFormat(w)
	}
	return logging.New(w, format)
}

// serve runs the app, and the sandbox when no Thing+ is configured.
func serve(ctx context.Context, getenv func(string) string, stderr io.Writer) error {
	cfg, err := config.Load(getenv)
	if err != nil {
		return err
	}
	log := newLogger(stderr, cfg.LogFormat)
	slog.SetDefault(log)
	m := metrics.New()
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("DATA_DIR: %w", err)
	}
	if cfg.SessionSecretGenerated {
		log.Warn("SESSION_SECRET not set: generated one for this run; sessions end when the process restarts")
	}
	if len(cfg.MemcachedServers) == 0 {
		log.Warn("MEMCACHED_SERVERS not set: sessions are kept in process memory (fine for one developer machine)")
	}
	domain, err := openDomain(ctx, cfg, log, m)
	if err != nil {
		return err
	}
	defer domain.Close()

	servers := []*http.Server{}
	if cfg.MetricsAddr != "" {
		srv, err := listen(cfg.MetricsAddr, metricsMux(m))
		if err != nil {
			return fmt.Errorf("METRICS_ADDR: %w", err)
		}
		servers = append(servers, srv)
		log.Info("metrics listening", "url", "http://"+cfg.MetricsAddr+"/metrics")
	}
	if cfg.UsesSandbox() {
		if cfg.ClientID == "" {
			cfg.ClientID, cfg.ClientSecret = "thingplus-webapp-local", config.RandomHex(24)
		}
		if cfg.DatabaseURL != "" {
			log.Warn("the built-in Thing+ sandbox is per process: with several instances each has its own sandbox (set THINGPLUS_URL to share one Thing+)")
		}
		sb := sandbox.New(sandboxOptions(cfg, domain.PushURL, log))
		defer sb.Close()
		if err := seedMoreGateways(sb, cfg, log); err != nil {
			return err
		}
		srv, err := listen(cfg.SandboxAddr, sb.Handler())
		if err != nil {
			return fmt.Errorf("SANDBOX_ADDR: %w", err)
		}
		servers = append(servers, srv)
		cfg.ThingplusURL = cfg.SandboxURL()
		log.Info("Thing+ sandbox running", "url", "http://"+cfg.SandboxAddr, "demo_login", "demo", "demo_password", "demo")
	}

	tp, err := thingplus.New(cfg.ThingplusURL, thingplus.WithBodyBudget(cfg.UpstreamBodyBudget), thingplus.WithHTTPClient(upstreamClient(m)))
	if err != nil {
		return &config.Error{Var: "THINGPLUS_URL", Msg: err.Error()}
	}
	store := session.New(session.Options{Servers: cfg.MemcachedServers, Secret: cfg.SessionSecret, Timeout: cfg.MemcachedTimeout,
		Secure: cfg.SecureCookies(), OnError: m.MemcachedError, Log: log})
	engine := handlers.New(handlers.Deps{
		Log: log, Assets: assets.New(), Sessions: store, Metrics: m,
		OAuth: &oauth2.Config{ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret,
			Endpoint: thingplus.Endpoint(cfg.ThingplusURL), RedirectURL: cfg.RedirectURI()},
		HTTPClient: upstreamClient(m), Identity: tp, SignupURL: cfg.SignupURL, SignedIn: domain.SignedIn,
		Secure: cfg.SecureCookies(), Sandbox: cfg.UsesSandbox() || cfg.ThingplusURL == cfg.SandboxURL(),
		Ready: []handlers.Check{
			{Name: "sessions", Required: true, Check: func(context.Context) error { return store.Ping() }},
			{Name: "trains_db", Required: true, Check: domain.trains.CheckWritable},
			{Name: "thingplus", Check: reachable(cfg.ThingplusURL, m)},
		},
		Budget:   cfg.RequestBudget,
		Features: domain.Features(tp, cfg),
		Public:   domain.PublicFeatures(tp, cfg),
		Overview: domain.Overview(tp),
	})
	srv, err := listen(fmt.Sprintf(":%d", cfg.Port), engine)
	if err != nil {
		return fmt.Errorf("PORT: %w", err)
	}
	servers = append(servers, srv)
	log.Info("thingplus-webapp running: open this URL and sign in", "url", cfg.PublicURL)
	<-ctx.Done()
	log.Info("shutting down")
	// Live streams never finish by themselves: end them first, then let
	// in-flight requests (webhook pushes among them) finish, and only then
	// close the database (deferred above).
	domain.EndStreams()
	return shutdown(servers)
}

// serveSandboxOnly runs the sandbox alone, for developers of other Thing+ clients.
func serveSandboxOnly(ctx context.Context, getenv func(string) string, stderr io.Writer) error {
	cfg, err := config.Load(getenv)
	if err != nil {
		return err
	}
	log := newLogger(stderr, cfg.LogFormat)
	if cfg.ClientID == "" {
		cfg.ClientID, cfg.ClientSecret = "thingplus-webapp-local", config.RandomHex(24)
		log.Info("generated the app's OAuth client", "client_id", cfg.ClientID)
	}
	key, err := webhookKey(cfg)
	if err != nil {
		return err
	}
	sb := sandbox.New(sandboxOptions(cfg, pushURL(cfg.PublicURL, key), log))
	defer sb.Close()
	if err := seedMoreGateways(sb, cfg, log); err != nil {
		return err
	}
	srv, err := listen(cfg.SandboxAddr, sb.Handler())
	if err != nil {
		return fmt.Errorf("SANDBOX_ADDR: %w", err)
	}
	log.Info("Thing+ sandbox running", "url", "http://"+cfg.SandboxAddr+"/v2", "demo_login", "demo", "demo_password", "demo")
	<-ctx.Done()
	return shutdown([]*http.Server{srv})
}

// seedMoreGateways gives the sandbox's demo account the extra gateways
// SANDBOX_MORE_GATEWAYS asks for, so the gateway list's pages can be tried.
func seedMoreGateways(sb *sandbox.Sandbox, cfg config.Config, log *slog.Logger) error {
	if cfg.MoreGateways == 0 {
		return nil
	}
	if _, err := sb.SeedGateways(sandbox.DemoUserID, cfg.MoreGateways); err != nil {
		return fmt.Errorf("SANDBOX_MORE_GATEWAYS: %w", err)
	}
	log.Info("sandbox: more gateways for the demo account", "count", cfg.MoreGateways)
	return nil
}

func sandboxOptions(cfg config.Config, push func(sensorID, dir string) string, log *slog.Logger) sandbox.Options {
	return sandbox.Options{
		BaseURL: "http://" + cfg.SandboxAddr,
		App: sandbox.AppClient{ID: cfg.ClientID, Secret: cfg.ClientSecret, Name: "Thing+ webapp",
			RedirectURIs: []string{cfg.RedirectURI()}, Scopes: thingplus.AppScopes(),
			SignInURL: cfg.PublicURL + "/auth/login"},
		PushURL:       push,
		SimulatorPace: cfg.SimulatorPace,
		Logger:        log,
	}
}

// pushURL builds the webhook URL a Thing+ dataPush rule calls for a door.
func pushURL(publicURL, key string) func(sensorID, dir string) string {
	return func(sensorID, dir string) string {
		return publicURL + "/api/trigger/" + url.PathEscape(sensorID) + "/" + dir + "?key=" + url.QueryEscape(key)
	}
}

func listen(addr string, h http.Handler) (*http.Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	srv := handlers.NewServer(h)
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			slog.Error("server stopped", "addr", addr, "err", err)
		}
	}()
	return srv, nil
}

func shutdown(servers []*http.Server) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var errs []error
	for _, s := range servers {
		errs = append(errs, s.Shutdown(ctx))
	}
	return errors.Join(errs...)
}

// upstreamClient is the HTTP client for Thing+, counted in the metrics.
func upstreamClient(m *metrics.Metrics) *http.Client {
	c := thingplus.NewHTTPClient()
	c.Transport = m.Transport(c.Transport)
	return c
}

// metricsMux serves /metrics on the metrics listener (METRICS_ADDR), apart
// from the app's public port.
func metricsMux(m *metrics.Metrics) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	return mux
}

// reachable checks that Thing+ answers HTTP at all (any status below 500)
// and records the result in the metrics.
func reachable(base string, m *metrics.Metrics) handlers.Checker {
	client := thingplus.NewHTTPClient()
	return func(ctx context.Context) error {
		start := time.Now()
		err := probe(ctx, client, base+"/ruleAgents")
		m.ThingplusProbe(err == nil, time.Since(start))
		return err
	}
}

func probe(ctx context.Context, client *http.Client, u string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode >= 500 {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return nil
}

// domain holds the app's own state (the trains database) and builds the
// feature handlers on top of it and the Thing+ client.
type domain struct {
	trains   *trains.Store
	history  *rulehistory.Store
	visits   *lastvisit.Store
	cached   *thingplus.Cached  // built once: the per-user Thing+ cache every screen shares
	gateways *gateways.Handler  // built once: a screen and the overview's counts
	web      *trainsweb.Handler // built once, for the trains screens and the rules screen
	key      string             // the legacy shared webhook key ("" = none)
	PushURL  func(sensorID, dir string) string
	log      *slog.Logger
	m        *metrics.Metrics
	portal   string // THINGPLUS_PORTAL_URL: the gateway page links to the Thing+ Portal
}

// openDomain opens the trains database. The seed (demo trains owned by the
// sandbox's demo account) exists only with the sandbox, whose
// seeded rules push with the legacy key; with a real Thing+ the legacy key
// is WEBHOOK_KEY or the one an earlier version kept in DATA_DIR, or none.
func openDomain(ctx context.Context, cfg config.Config, log *slog.Logger, m *metrics.Metrics) (*domain, error) {
	// The sandbox: built in, or started on its own at SANDBOX_ADDR.
	sandbox := cfg.UsesSandbox() || cfg.ThingplusURL == cfg.SandboxURL()
	var key string
	var err error
	if sandbox {
		key, err = webhookKey(cfg)
	} else if key, err = trains.LoadKey(cfg.DataDir, cfg.WebhookKey); err != nil {
		err = &config.Error{Var: "WEBHOOK_KEY", Msg: err.Error()}
	}
	if err != nil {
		return nil, err
	}
	secret, err := trains.LoadOrCreateSecret(cfg.DataDir, cfg.Trains.TokenSecret)
	if err != nil {
		return nil, &config.Error{Var: "WEBHOOK_TOKEN_SECRET", Msg: err.Error()}
	}
	t := cfg.Trains
	store, err := trains.Open(ctx, cfg.DataDir, trains.Options{
		NoSeed: !sandbox, Admins: t.Admins, TokenSecret: []byte(secret), TokenGrace: t.TokenGrace,
		EventsRetention: t.EventsRetention, DedupeWindow: t.DedupeWindow, OnCommit: m.Commit,
		Health: trains.Health{SilentAfter: cfg.DoorHealth.SilentAfter, SilentMinPushes: cfg.DoorHealth.SilentMinPushes,
			ClampedPerHour: cfg.DoorHealth.ClampedPerHour, HighFor: cfg.DoorHealth.HighFor},
		DatabaseURL: cfg.DatabaseURL, Log: log,
	})
	if err != nil {
		if cfg.DatabaseURL != "" {
			return nil, fmt.Errorf("DATABASE_URL: %w", err)
		}
		return nil, fmt.Errorf("DATA_DIR: %w", err)
	}
	log.Info("trains: database", "backend", store.Backend(), "at", store.Path())
	if err := m.WatchTrains(store, trains.DefaultThresholds); err != nil {
		store.Close()
		return nil, err
	}
	var history *rulehistory.Store
	var visits *lastvisit.Store
	err = store.Exclusive(ctx, func() error {
		var err error
		history, err = rulehistory.Open(ctx, store.DB(), nil)
		if err == nil {
			visits, err = lastvisit.Open(ctx, store.DB(), nil)
		}
		return err
	})
	if err != nil {
		store.Close()
		return nil, fmt.Errorf("DATA_DIR: %w", err)
	}
	// The end-of-service resets: checked every 30 s until shutdown.
	go store.RunSchedule(ctx, 30*time.Second, func(err error) { log.Error("trains: scheduled reset", "err", err) })
	return &domain{trains: store, history: history, visits: visits, key: key, PushURL: pushURL(cfg.PublicURL, key), log: log, m: m, portal: cfg.PortalURL}, nil
}

// EndStreams closes every open live stream (they would hold a graceful
// shutdown until its deadline).
func (d *domain) EndStreams() { d.trains.Hub().Close() }

// SignedIn records the Thing+ time zone of an account that signed in on the
// trains it owns (their times follow it). A failure only costs a stale zone.
func (d *domain) SignedIn(ctx context.Context, u thingplus.User) {
	if err := d.trains.SetOwnerZone(ctx, u.ID, u.Timezone); err != nil {
		d.log.WarnContext(ctx, "trains: record owner zone", "user", u.ID, "err", err)
	}
}

// Close closes the database after the last commit.
func (d *domain) Close() error { return d.trains.Close() }

// Features are the signed-in screens.
func (d *domain) Features(tp *thingplus.Client, cfg config.Config) []handlers.Feature {
	cached := d.cachedOf(tp)
	return []handlers.Feature{
		d.gatewaysOf(tp),
		rules.New(cached, tp, rules.GatewayPicker(tp), d.PushURL).WithDryRun(tp).WithHistory(d.history).WithUserPushURL(d.trainsWeb(tp, cfg).PushURLFor).
			WithWiring(wiring.TrainDoors{Trains: d.trains, URL: d.trainsWeb(tp, cfg).PushURLFor}),
		since.New(lastvisit.Digester{Store: d.visits, Sources: lastvisit.Sources{
			Gateways: d.gatewaysOf(tp).GatewayStates, Timelines: tp, History: d.history, Trains: d.trains,
		}}, d.visits),
	}
}

func (d *domain) gatewaysOf(tp *thingplus.Client) *gateways.Handler {
	if d.gateways == nil {
		d.gateways = gateways.New(d.cachedOf(tp), gateways.Options{PortalURL: d.portal})
	}
	return d.gateways
}

// cachedOf is the one per-user Thing+ cache: a rule change made on the rules
// screen clears what the gateways screen and the overview read as well.
func (d *domain) cachedOf(tp *thingplus.Client) *thingplus.Cached {
	if d.cached == nil {
		d.cached = thingplus.NewCached(tp, thingplus.CacheOptions{})
	}
	return d.cached
}

// Overview gathers the signed-in home page's figures.
func (d *domain) Overview(tp *thingplus.Client) handlers.Overview {
	return &overview.Loader{Gateways: d.gatewaysOf(tp), Rules: tp, Timelines: tp, Trains: d.trains}
}

// trainsWeb builds the trains handler once.
func (d *domain) trainsWeb(tp *thingplus.Client, cfg config.Config) *trainsweb.Handler {
	if d.web != nil {
		return d.web
	}
	seoul, err := time.LoadLocation("Asia/Seoul")
	if err != nil {
		seoul = time.UTC
	}
	adapter := trainsweb.Thingplus{API: tp}
	d.web = trainsweb.New(trainsweb.Deps{Store: d.trains, Sensors: adapter, Wirer: adapter, Checker: adapter, Rules: adapter, History: d.history},
		trainsweb.Config{PublicURL: cfg.PublicURL, WebhookKey: d.key, RejectRate: cfg.Trains.WebhookRate, Log: d.log, Location: seoul, Metrics: d.m})
	return d.web
}

// PublicFeatures are screens with routes for callers without a session.
func (d *domain) PublicFeatures(tp *thingplus.Client, cfg config.Config) []handlers.PublicFeature {
	return []handlers.PublicFeature{d.trainsWeb(tp, cfg)}
}

// webhookKey is WEBHOOK_KEY, or the key generated once and kept in DATA_DIR
// (shared by the app and a separately started sandbox).
func webhookKey(cfg config.Config) (string, error) {
	key, err := trains.LoadOrCreateKey(cfg.DataDir, cfg.WebhookKey)
	if err != nil {
		return "", &config.Error{Var: "WEBHOOK_KEY", Msg: err.Error()}
	}
	return key, nil
}

// runTrains moves the trains from SQLite to PostgreSQL:
// `trains export` writes DATA_DIR's database to stdout, `trains import`
// reads it from stdin into DATABASE_URL (an empty database).
func runTrains(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	dir := getenv("DATA_DIR")
	if dir == "" {
		dir = "./data"
	}
	// Rule history and last visits live in the same database: they move too.
	shared := trains.Shared{
		Tables: slices.Concat(rulehistory.Tables, lastvisit.Tables),
		Create: func(ctx context.Context, db *sql.DB) error {
			if _, err := rulehistory.Open(ctx, db, nil); err != nil {
				return err
			}
			_, err := lastvisit.Open(ctx, db, nil)
			return err
		},
	}
	var err error
	switch {
	case len(args) == 1 && args[0] == "export":
		err = trains.Export(ctx, dir, stdout, shared)
	case len(args) == 1 && args[0] == "import":
		var n trains.Imported
		if n, err = trains.Import(ctx, getenv("DATABASE_URL"), stdin, shared); err == nil {
			fmt.Fprintf(stderr, "imported: %d trains, %d cars, %d doors, %d events, %d rule versions, %d last visits\n",
				n["trains"], n["cars"], n["doors"], n["events"], n["rule_versions"], n["last_visits"])
		}
	default:
		fmt.Fprintf(stderr, "usage: thingplus-webapp trains export > trains.jsonl   (reads DATA_DIR)\n       thingplus-webapp trains import < trains.jsonl   (writes DATABASE_URL)\n")
		return 2
	}
	if err != nil {
		fmt.Fprintf(stderr, "thingplus-webapp: %v\n", err)
		return 1
	}
	return 0
}

func runClient(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	return cli.Run(ctx, args, getenv, stdin, stdout, stderr)
}
