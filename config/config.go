// Package config reads the app's settings from the environment and checks
// them once at start: a wrong value stops the binary with one line naming
// the variable.
package config

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Config is everything the binary needs to start.
type Config struct {
	Port      int
	PublicURL string // no trailing slash; OAuth redirect URI and push URLs start with it

	ThingplusURL           string // empty: start the embedded sandbox and use it
	ClientID               string
	ClientSecret           string
	SignupURL              string // where /register sends visitors
	PortalURL              string // the Thing+ Portal's gateway page, "{id}" replaced by the gateway id; "" = no link
	SessionSecret          []byte
	SessionSecretGenerated bool

	MemcachedServers []string      // empty: in-process sessions
	SandboxAddr      string        // host:port of the embedded sandbox
	SimulatorPace    time.Duration // sandbox simulator tick; 0 = its default, negative = off
	RushHour         bool          // SANDBOX_RUSH_HOUR: the simulator replays a morning peak at 10× speed
	MoreGateways     int           // SANDBOX_MORE_GATEWAYS: extra reporting gateways for the demo account (to try paging)
	DataDir          string
	DatabaseURL      string // postgres://…: trains in PostgreSQL, shared by every instance; empty: SQLite in DataDir
	WebhookKey       string // the legacy shared key; empty: generated once and kept in DataDir (sandbox)
	Trains           Trains
	DoorHealth       DoorHealth // door-sensor health checks of the trains
	Limits

	LogFormat   string // "json", "text", or empty: JSON unless logging to a terminal
	MetricsAddr string // host:port of the Prometheus /metrics listener; empty: none
}

// Error names the variable that is wrong.
type Error struct {
	Var, Msg string
}

func (e *Error) Error() string { return e.Var + ": " + e.Msg }

// UsesSandbox reports whether the embedded sandbox stands in for Thing+.
func (c Config) UsesSandbox() bool { return c.ThingplusURL == "" }

// SecureCookies is true when the app is served over https.
func (c Config) SecureCookies() bool { return strings.HasPrefix(c.PublicURL, "https://") }

// RedirectURI is the OAuth callback, always built from PUBLIC_URL.
func (c Config) RedirectURI() string { return c.PublicURL + "/auth/callback" }

// SandboxURL is the embedded sandbox's API base.
func (c Config) SandboxURL() string { return "http://" + c.SandboxAddr + "/v2" }

// Load reads the configuration through getenv (os.Getenv in main).
func Load(getenv func(string) string) (Config, error) {
	c := Config{}
	var err error
	if c.Port, err = port(getenv("PORT")); err != nil {
		return c, err
	}
	if c.PublicURL, err = publicURL(getenv("PUBLIC_URL"), c.Port); err != nil {
		return c, err
	}
	if c.ThingplusURL, err = thingplusURL(getenv("THINGPLUS_URL")); err != nil {
		return c, err
	}
	c.ClientID = first(getenv("THINGPLUS_CLIENT_ID"), getenv("CLIENT_ID"))
	c.ClientSecret = first(getenv("THINGPLUS_CLIENT_SECRET"), getenv("CLIENT_SECRET"))
	if err = c.checkClient(); err != nil {
		return c, err
	}
	if err = c.loadSessionSecret(getenv("SESSION_SECRET")); err != nil {
		return c, err
	}
	if c.MemcachedServers, err = hostPorts("MEMCACHED_SERVERS", getenv("MEMCACHED_SERVERS")); err != nil {
		return c, err
	}
	c.SandboxAddr = first(getenv("SANDBOX_ADDR"), "127.0.0.1:3001")
	if _, err := hostPorts("SANDBOX_ADDR", c.SandboxAddr); err != nil {
		return c, err
	}
	if c.SimulatorPace, err = simulatorPace(getenv("SANDBOX_SIMULATOR")); err != nil {
		return c, err
	}
	switch v := getenv("SANDBOX_RUSH_HOUR"); v {
	case "", "off":
	case "on":
		c.RushHour = true
	default:
		return c, &Error{"SANDBOX_RUSH_HOUR", fmt.Sprintf("%q is not \"on\" or \"off\"", v)}
	}
	if c.MoreGateways, err = moreGateways(getenv("SANDBOX_MORE_GATEWAYS")); err != nil {
		return c, err
	}
	c.DataDir = first(getenv("DATA_DIR"), "./data")
	c.WebhookKey = getenv("WEBHOOK_KEY")
	if c.WebhookKey != "" && len(c.WebhookKey) < 16 {
		return c, &Error{"WEBHOOK_KEY", "must be at least 16 characters"}
	}
	if c.DoorHealth, err = loadDoorHealth(getenv); err != nil {
		return c, err
	}
	if c.Trains, err = loadTrains(getenv); err != nil {
		return c, err
	}
	if c.DatabaseURL = getenv("DATABASE_URL"); c.DatabaseURL != "" {
		if !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
			return c, &Error{"DATABASE_URL", "must be a postgres:// URL (empty: the SQLite file in DATA_DIR)"}
		}
		// A key or secret generated per DATA_DIR would differ between
		// instances: a push with the legacy key landing on another instance
		// would be refused, and each instance would show other push URLs.
		if c.WebhookKey == "" {
			return c, &Error{"WEBHOOK_KEY", "must be set (the same on every instance) when DATABASE_URL is set"}
		}
		if c.Trains.TokenSecret == "" {
			return c, &Error{"WEBHOOK_TOKEN_SECRET", "must be set (the same on every instance) when DATABASE_URL is set"}
		}
	}
	if err = c.loadLimits(getenv); err != nil {
		return c, err
	}
	switch c.LogFormat = getenv("LOG_FORMAT"); c.LogFormat {
	case "", "json", "text":
	default:
		return c, &Error{"LOG_FORMAT", fmt.Sprintf("%q is not json or text", c.LogFormat)}
	}
	if c.MetricsAddr = getenv("METRICS_ADDR"); c.MetricsAddr != "" {
		if _, err := hostPorts("METRICS_ADDR", c.MetricsAddr); err != nil || strings.Contains(c.MetricsAddr, ",") {
			return c, &Error{"METRICS_ADDR", fmt.Sprintf("%q is not host:port (e.g. 127.0.0.1:9090)", c.MetricsAddr)}
		}
	}
	if c.PortalURL = getenv("THINGPLUS_PORTAL_URL"); c.PortalURL != "" {
		u, err := url.Parse(strings.ReplaceAll(c.PortalURL, "{id}", "x"))
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return c, &Error{"THINGPLUS_PORTAL_URL", fmt.Sprintf("%q is not an http(s) URL (e.g. https://myservice.thingplus.net/#/gateway/{id})", c.PortalURL)}
		}
	}
	c.SignupURL = getenv("THINGPLUS_SIGNUP_URL")
	if c.SignupURL == "" {
		c.SignupURL = defaultSignup(c)
	}
	return c, nil
}

func (c *Config) checkClient() error {
	if c.ThingplusURL == "" {
		return nil // the sandbox registers whatever id we bring, or generates one
	}
	if c.ClientID == "" {
		return &Error{"THINGPLUS_CLIENT_ID", "required when THINGPLUS_URL is set (run `thingplus-webapp client create`)"}
	}
	if c.ClientSecret == "" {
		return &Error{"THINGPLUS_CLIENT_SECRET", "required when THINGPLUS_URL is set"}
	}
	return nil
}

func (c *Config) loadSessionSecret(v string) error {
	switch {
	case v != "" && len(v) < 32:
		return &Error{"SESSION_SECRET", "must be at least 32 characters"}
	case v != "":
		c.SessionSecret = []byte(v)
	case c.ThingplusURL != "":
		return &Error{"SESSION_SECRET", "required when THINGPLUS_URL is set"}
	default:
		c.SessionSecret = []byte(RandomHex(32))
		c.SessionSecretGenerated = true
	}
	return nil
}

func defaultSignup(c Config) string {
	if c.UsesSandbox() {
		return "http://" + c.SandboxAddr + "/signup"
	}
	return "https://thingplus.net/signup/"
}

// simulatorPace reads SANDBOX_SIMULATOR: empty for the default pace, "off"
// to stop the simulated traffic, or a Go duration such as "500ms".
func simulatorPace(v string) (time.Duration, error) {
	switch v {
	case "":
		return 0, nil
	case "off":
		return -1, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 50*time.Millisecond || d > time.Hour {
		return 0, &Error{"SANDBOX_SIMULATOR", fmt.Sprintf("%q is not \"off\" or a duration between 50ms and 1h", v)}
	}
	return d, nil
}

func port(v string) (int, error) {
	if v == "" {
		return 3000, nil
	}
	p, err := strconv.Atoi(v)
	if err != nil || p < 1 || p > 65535 {
		return 0, &Error{"PORT", fmt.Sprintf("%q is not a port number (1-65535)", v)}
	}
	return p, nil
}

func publicURL(v string, port int) (string, error) {
	if v == "" {
		return fmt.Sprintf("http://localhost:%d", port), nil
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return "", &Error{"PUBLIC_URL", fmt.Sprintf("%q is not an absolute http(s) URL", v)}
	}
	return strings.TrimRight(v, "/"), nil
}

func thingplusURL(v string) (string, error) {
	if v == "" {
		return "", nil
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", &Error{"THINGPLUS_URL", fmt.Sprintf("%q is not an absolute http(s) URL like https://api.thingplus.net/v2", v)}
	}
	return strings.TrimRight(v, "/"), nil
}

func hostPorts(name, v string) ([]string, error) {
	if strings.TrimSpace(v) == "" {
		return nil, nil
	}
	var out []string
	for _, hp := range strings.Split(v, ",") {
		hp = strings.TrimSpace(hp)
		host, p, err := net.SplitHostPort(hp)
		if err != nil || host == "" {
			return nil, &Error{name, fmt.Sprintf("%q is not host:port", hp)}
		}
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return nil, &Error{name, fmt.Sprintf("%q has a bad port", hp)}
		}
		out = append(out, hp)
	}
	return out, nil
}

func first(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// RandomHex returns n random bytes as hex (crypto/rand).
func RandomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// moreGateways reads SANDBOX_MORE_GATEWAYS: 0 to 4000 (Thing+'s cap on a
// listing), empty = 0.
func moreGateways(v string) (int, error) {
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > 4000 {
		return 0, &Error{"SANDBOX_MORE_GATEWAYS", fmt.Sprintf("%q is not a number from 0 to 4000", v)}
	}
	return n, nil
}
