// Package handlers is the app's HTTP layer: one route table (this file), the
// middleware chain, sign-in, and the feature handlers it mounts.
package handlers

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-contrib/sessions"
	"github.com/gin-gonic/gin"
	"golang.org/x/oauth2"

	"github.com/thingplus/thingplus-webapp/assets"
	"github.com/thingplus/thingplus-webapp/handlers/apidoc"
	"github.com/thingplus/thingplus-webapp/handlers/session"
	"github.com/thingplus/thingplus-webapp/handlers/web"
	"github.com/thingplus/thingplus-webapp/metrics"
	"github.com/thingplus/thingplus-webapp/thingplus"
	"github.com/thingplus/thingplus-webapp/views/layout"
)

// Feature is a screen mounted on the signed-in routes.
type Feature interface {
	Register(authed gin.IRouter)
}

// PublicFeature also has routes for callers without a session. Machine
// routes (webhooks) get only the engine's own middleware (recovery, request
// log, deadline, security headers): no language, session, CSRF check or
// user, which a push from Thing+ has no use for and would pay for at
// thousands a second. Public routes get the optional-user group.
type PublicFeature interface {
	Register(machine, public, authed gin.IRouter)
}

// Deps is everything the HTTP layer is built from.
type Deps struct {
	Log        *slog.Logger
	Assets     *assets.Assets
	Sessions   *session.Store
	OAuth      *oauth2.Config
	HTTPClient *http.Client // for the token exchange
	Identity   Identity
	// SignedIn, if set, hears of every sign-in with the account as users/me
	// gave it (the trains record their owner's time zone).
	SignedIn  func(ctx context.Context, u thingplus.User)
	SignupURL string
	Secure    bool // served over https
	Sandbox   bool // the built-in sandbox stands in for Thing+
	Ready     []Check
	Features  []Feature
	Overview  Overview // the signed-in home's figures; nil: a plain greeting
	Public    []PublicFeature
	Now       func() time.Time
	Budget    time.Duration    // every request's deadline (DefaultBudget when 0)
	Metrics   *metrics.Metrics // nil: no metrics
}

// New builds the engine with the whole route table.
func New(d Deps) *gin.Engine {
	if d.Now == nil {
		d.Now = time.Now
	}
	auth := &Auth{oauth: d.OAuth, http: d.HTTPClient, identity: d.Identity, signupURL: d.SignupURL, log: d.Log, now: d.Now, signedIn: d.SignedIn}
	r := gin.New()
	r.ContextWithFallback = true
	r.HandleMethodNotAllowed = true
	r.Use(recovery(d.Log), requestLog(d.Log, d.Metrics), requestBudget(d.Budget, "/stream"), securityHeaders(d.Secure), gzipResponses(assets.Prefix))

	r.GET("/healthz", health)
	r.GET("/readyz", ready(d.Ready))
	r.GET("/api/openapi.json", apidoc.Handler)
	r.GET(assets.Prefix+"*file", gin.WrapH(d.Assets.Handler()))
	icon := d.Assets.Path("favicon.svg")
	r.GET("/favicon.ico", func(c *gin.Context) { c.Redirect(http.StatusMovedPermanently, icon) })

	shell := layout.Shell{Sandbox: d.Sandbox, Assets: layout.Assets{
		CSS: d.Assets.Path("app.css"), JS: d.Assets.Path("app.js"), Icon: d.Assets.Path("favicon.svg"),
		HTMX: d.Assets.Path("vendor/htmx-2.0.11.min.js"), SSE: d.Assets.Path("vendor/htmx-ext-sse-2.2.4.min.js"),
	}}
	appChain := []gin.HandlerFunc{withLang,
		func(c *gin.Context) { c.Request = session.TrackOutage(c.Request); c.Next() },
		sessions.Sessions(session.Name, d.Sessions),
		web.WithShell(shell), web.WithSignInAgain(auth.signInAgain),
		csrf()}
	app := r.Group("/", appChain...)
	// An unknown address gets the app's own 404 page, with the shell (and
	// the user, when signed in) like any other page.
	r.NoRoute(append(appChain, noStore, auth.loadUser(false), notFound)...)

	public := app.Group("/", auth.loadUser(false))
	public.GET("/", noStore, homePage(d.Overview))
	public.POST("/theme", setTheme(d.Secure))
	public.GET("/shortcuts", shortcutsPage)
	public.GET("/register", auth.register)
	public.GET("/auth/login", noStore, auth.login)
	public.GET("/auth/callback", noStore, auth.callback)
	public.POST("/auth/logout", auth.logout)
	public.POST("/lang", switchLang(d.Secure))

	authed := app.Group("/", noStore, auth.loadUser(true))
	for _, f := range d.Features {
		f.Register(authed)
	}
	// Public features get the bare engine for the webhook (Thing+ sends no
	// cookie) and the optional-user group for the compatibility API, which
	// accepts either a signed-in user or the webhook key.
	machine := r.Group("/")
	for _, f := range d.Public {
		f.Register(machine, public, authed)
	}
	return r
}
