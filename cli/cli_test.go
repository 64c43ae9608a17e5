package cli

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"golang.org/x/oauth2"

	"github.com/thingplus/thingplus-webapp/thingplus"
	"github.com/thingplus/thingplus-webapp/thingplus/sandbox"
)

const (
	alicePassword = "S3cret-Pässwörd-42"
	appRedirect   = "http://127.0.0.1:4555/auth/callback"
)

// lockedBuffer collects the sandbox's log lines from its goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

type fixture struct {
	t    *testing.T
	sb   *sandbox.Sandbox
	srv  *httptest.Server
	base string
	logs *lockedBuffer
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	logs := &lockedBuffer{}
	sb := sandbox.New(sandbox.Options{
		App:           sandbox.AppClient{ID: "webapp", Secret: "webapp-secret", Name: "thingplus-webapp"},
		SimulatorPace: -1,
		Logger:        slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	srv := httptest.NewServer(sb.Handler())
	t.Cleanup(func() { srv.Close(); sb.Close() })
	if _, err := sb.CreateUser("alice", "alice@example.com", "앨리스", alicePassword); err != nil {
		t.Fatal(err)
	}
	return &fixture{t: t, sb: sb, srv: srv, base: srv.URL + "/v2", logs: logs}
}

type result struct {
	code           int
	stdout, stderr string
}

// run runs the CLI with the fixture's URL and alice's password in the
// environment unless env overrides them ("" deletes a variable).
func (f *fixture) run(env map[string]string, stdin string, args ...string) result {
	f.t.Helper()
	vars := map[string]string{"THINGPLUS_URL": f.base, "THINGPLUS_PASSWORD": alicePassword,
		"THINGPLUS_LOGIN_ID": "alice", "PUBLIC_URL": "http://127.0.0.1:4555"}
	for k, v := range env {
		vars[k] = v
	}
	var out, errOut bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	code := Run(ctx, args, func(k string) string { return vars[k] }, strings.NewReader(stdin), &out, &errOut)
	res := result{code: code, stdout: out.String(), stderr: errOut.String()}
	f.noSecrets(res, alicePassword, vars["THINGPLUS_PASSWORD"])
	return res
}

// noSecrets: the passwords (plain or MD5) never appear in output or logs.
func (f *fixture) noSecrets(r result, passwords ...string) {
	f.t.Helper()
	var secrets []string
	for _, p := range passwords {
		if p != "" {
			secrets = append(secrets, p, thingplus.PasswordMD5(p))
		}
	}
	for _, s := range secrets {
		if strings.Contains(r.stdout, s) || strings.Contains(r.stderr, s) || strings.Contains(f.logs.String(), s) {
			f.t.Fatalf("password leaked:\nstdout %s\nstderr %s", r.stdout, r.stderr)
		}
	}
}

var envLine = regexp.MustCompile(`(?m)^(THINGPLUS_[A-Z_]+)=(.*)$`)

func envLines(s string) map[string]string {
	m := map[string]string{}
	for _, g := range envLine.FindAllStringSubmatch(s, -1) {
		m[g[1]] = g[2]
	}
	return m
}

// signInWithClient runs the browser side of the code flow for alice and
// exchanges the code as the app does (x/oauth2, credentials in the body).
func (f *fixture) signInWithClient(clientID, secret string) (*oauth2.Token, error) {
	t := f.t
	t.Helper()
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	conf := oauth2.Config{ClientID: clientID, ClientSecret: secret, RedirectURL: appRedirect, Endpoint: thingplus.Endpoint(f.base)}
	authURL := conf.AuthCodeURL("state-1")

	get := func(u string) (*http.Response, *goquery.Document) {
		resp, err := hc.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		doc, _ := goquery.NewDocumentFromReader(resp.Body)
		return resp, doc
	}
	post := func(path string, form *goquery.Selection, extra url.Values) *http.Response {
		v := url.Values{}
		form.Find("input[type=hidden]").Each(func(_ int, s *goquery.Selection) {
			n, _ := s.Attr("name")
			val, _ := s.Attr("value")
			v.Set(n, val)
		})
		for k := range extra {
			v.Set(k, extra.Get(k))
		}
		resp, err := hc.PostForm(f.srv.URL+path, v)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}

	resp, doc := get(authURL)
	if resp.StatusCode != 200 {
		t.Fatalf("authorize with the new client: %d", resp.StatusCode)
	}
	r := post("/login", doc.Find(`form[data-testid="login-form"]`), url.Values{"loginId": {"alice"}, "password": {alicePassword}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: %d", r.StatusCode)
	}
	resp, doc = get(f.srv.URL + r.Header.Get("Location"))
	if resp.StatusCode != 200 {
		t.Fatalf("consent: %d", resp.StatusCode)
	}
	if got := doc.Find(`[data-testid="scopes"] code`).Text(); got != strings.Join(thingplus.AppScopes(), "") {
		t.Fatalf("consent shows scopes %q", got)
	}
	r = post("/v2/oauth2/authorize/decision", doc.Find(`form[data-testid="decision-form"]`), nil)
	loc, _ := url.Parse(r.Header.Get("Location"))
	if r.StatusCode != http.StatusFound || loc.Query().Get("state") != "state-1" {
		t.Fatalf("decision: %d %s", r.StatusCode, loc)
	}
	return conf.Exchange(context.Background(), loc.Query().Get("code"))
}

func TestCreateSignInListDelete(t *testing.T) {
	f := newFixture(t)
	r := f.run(nil, "", "create")
	if r.code != 0 {
		t.Fatalf("create: %d\n%s", r.code, r.stderr)
	}
	env := envLines(r.stdout)
	id, secret := env["THINGPLUS_CLIENT_ID"], env["THINGPLUS_CLIENT_SECRET"]
	if !regexp.MustCompile(`^thingplus-webapp-[a-z0-9-]+-[a-z0-9]{6}$`).MatchString(id) {
		t.Fatalf("client id %q", id)
	}
	if !regexp.MustCompile(`^[A-Za-z0-9]{40}$`).MatchString(secret) {
		t.Fatalf("secret %q", secret)
	}
	if env["THINGPLUS_URL"] != f.base {
		t.Fatalf("THINGPLUS_URL line %q", env["THINGPLUS_URL"])
	}
	if !strings.Contains(r.stdout, "# scopes: user-profile-read gateway site-read rule timeline-read") ||
		!strings.Contains(r.stdout, appRedirect) {
		t.Fatalf("create output:\n%s", r.stdout)
	}

	// The new client signs alice in to the app: code flow, token, users/me.
	tok, err := f.signInWithClient(id, secret)
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	c, _ := thingplus.New(f.base)
	me, err := c.Me(context.Background(), tok.AccessToken)
	if err != nil || me.LoginID != "alice" || me.Nickname != "앨리스" {
		t.Fatalf("users/me: %+v %v", me, err)
	}

	// list shows it (without the secret).
	r = f.run(nil, "", "list")
	if r.code != 0 || !strings.Contains(r.stdout, id) || !strings.Contains(r.stdout, "user-profile-read,gateway,site-read,rule,timeline-read") {
		t.Fatalf("list: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if strings.Contains(r.stdout, secret) {
		t.Fatal("list printed the secret")
	}

	// delete, then it is gone and can no longer authorize.
	r = f.run(nil, "", "delete", id)
	if r.code != 0 || !strings.Contains(r.stdout, "Deleted client "+id) {
		t.Fatalf("delete: %d %s %s", r.code, r.stdout, r.stderr)
	}
	r = f.run(nil, "", "list")
	if strings.Contains(r.stdout, id) || !strings.Contains(r.stdout, "owns no OAuth clients") {
		t.Fatalf("list after delete:\n%s", r.stdout)
	}
	resp, err := http.Get(f.srv.URL + "/v2/oauth2/authorize?response_type=code&client_id=" + id + "&redirect_uri=" + url.QueryEscape(appRedirect))
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("authorize after delete: %v %v", resp.StatusCode, err)
	}
	resp.Body.Close()
}

func TestCreateWithFlagsAndOutFile(t *testing.T) {
	f := newFixture(t)
	out := filepath.Join(t.TempDir(), "thingplus.env")
	r := f.run(nil, "", "create", "--id", "my-app", "--name", "My 앱", "--scopes", "user-profile-read, gateway", "--out", out)
	if r.code != 0 {
		t.Fatalf("create: %d %s", r.code, r.stderr)
	}
	st, err := os.Stat(out)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("out file: %v %v", st.Mode(), err)
	}
	data, _ := os.ReadFile(out)
	env := envLines(string(data))
	if env["THINGPLUS_CLIENT_ID"] != "my-app" || len(env["THINGPLUS_CLIENT_SECRET"]) != 40 {
		t.Fatalf("file:\n%s", data)
	}
	if strings.Contains(r.stdout, env["THINGPLUS_CLIENT_SECRET"]) || !strings.Contains(r.stdout, out) {
		t.Fatalf("stdout with --out:\n%s", r.stdout)
	}
	// The file is refused before anything is registered when it exists.
	r = f.run(nil, "", "create", "--id", "my-app-2", "--out", out)
	if r.code != 1 || !strings.Contains(r.stderr, "already exists") || !strings.Contains(r.stderr, "--force") {
		t.Fatalf("existing file: %d %s", r.code, r.stderr)
	}
	if l := f.run(nil, "", "list"); strings.Contains(l.stdout, "my-app-2") {
		t.Fatal("a client was registered although --out was refused")
	}
	if r = f.run(nil, "", "create", "--id", "my-app-2", "--out", out, "--force"); r.code != 0 {
		t.Fatalf("--force: %d %s", r.code, r.stderr)
	}
	data, _ = os.ReadFile(out)
	if envLines(string(data))["THINGPLUS_CLIENT_ID"] != "my-app-2" {
		t.Fatalf("forced file:\n%s", data)
	}
	// The sandbox got the name and scopes as given (flags after a positional are fine too).
	l := f.run(nil, "", "list", "--login", "alice")
	if !strings.Contains(l.stdout, "My 앱") || !strings.Contains(l.stdout, "user-profile-read,gateway") {
		t.Fatalf("list:\n%s", l.stdout)
	}
}

func TestCredentialsFromStdin(t *testing.T) {
	f := newFixture(t)
	// No env: loginId and password come as two lines, no prompt printed.
	r := f.run(map[string]string{"THINGPLUS_PASSWORD": "", "THINGPLUS_LOGIN_ID": ""}, "alice\n"+alicePassword+"\n", "list")
	if r.code != 0 || strings.Contains(r.stderr, "password for") {
		t.Fatalf("stdin credentials: %d %s", r.code, r.stderr)
	}
	r = f.run(map[string]string{"THINGPLUS_PASSWORD": ""}, alicePassword+"\r\n", "list", "--login", "alice")
	if r.code != 0 {
		t.Fatalf("password line with CRLF: %d %s", r.code, r.stderr)
	}
	r = f.run(map[string]string{"THINGPLUS_PASSWORD": ""}, "", "list")
	if r.code != 1 || !strings.Contains(r.stderr, "THINGPLUS_PASSWORD") {
		t.Fatalf("no password: %d %s", r.code, r.stderr)
	}
	r = f.run(map[string]string{"THINGPLUS_PASSWORD": "", "THINGPLUS_LOGIN_ID": ""}, "", "list")
	if r.code != 1 || !strings.Contains(r.stderr, "--login") {
		t.Fatalf("no loginId: %d %s", r.code, r.stderr)
	}
}

func TestErrorsNameWhatToDo(t *testing.T) {
	f := newFixture(t)
	closed := closedAddr(t)

	cases := []struct {
		name string
		env  map[string]string
		args []string
		code int
		want []string
	}{
		{"wrong password", map[string]string{"THINGPLUS_PASSWORD": "not-" + alicePassword[4:]}, []string{"create"}, 1,
			[]string{`refused loginId "alice"`, "try again"}},
		{"unknown user", map[string]string{"THINGPLUS_LOGIN_ID": "nobody"}, []string{"list"}, 1, []string{`refused loginId "nobody"`}},
		{"unknown scope", nil, []string{"create", "--scopes", "user-profile-read,root"}, 1,
			[]string{"refused the scopes user-profile-read,root", `"root"`, "client scopes"}},
		{"unreachable THINGPLUS_URL", map[string]string{"THINGPLUS_URL": "http://" + closed + "/v2"}, []string{"create"}, 1,
			[]string{"cannot reach Thing+ at http://" + closed + "/v2", "THINGPLUS_URL"}},
		{"sandbox not running", map[string]string{"THINGPLUS_URL": "", "SANDBOX_ADDR": closed}, []string{"list"}, 1,
			[]string{"cannot reach Thing+", "thingplus-webapp sandbox"}},
		{"bad URL", map[string]string{"THINGPLUS_URL": "ftp://x"}, []string{"list"}, 2, []string{"THINGPLUS_URL must be"}},
		{"URL with credentials", nil, []string{"list", "--url", "https://u:p@api.example/v2"}, 2, []string{"--url must be"}},
		{"bad id", nil, []string{"create", "--id", "a b"}, 2, []string{"--id"}},
		{"empty scopes", nil, []string{"create", "--scopes", ","}, 2, []string{"--scopes is empty"}},
		{"delete unknown", nil, []string{"delete", "nope"}, 1, []string{`no client "nope"`, "client list"}},
		{"delete another's", nil, []string{"delete", "webapp"}, 1, []string{"belongs to another Thing+ account"}},
		{"delete bad id", nil, []string{"delete", "../x"}, 1, []string{"not a valid client id"}},
		{"delete without id", nil, []string{"delete"}, 2, []string{"exactly one client id"}},
		{"unknown command", nil, []string{"frobnicate"}, 2, []string{`unknown command "frobnicate"`}},
		{"no command", nil, nil, 2, []string{"Usage: thingplus-webapp client"}},
		{"unknown flag", nil, []string{"list", "--nope"}, 2, []string{"flag provided but not defined"}},
		{"command help", nil, []string{"create", "-h"}, 0, []string{"Usage: thingplus-webapp client create", "-redirect-uri"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := f.run(tc.env, "", tc.args...)
			if r.code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout %s\nstderr %s", r.code, tc.code, r.stdout, r.stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
				}
			}
			if r.stdout != "" {
				t.Errorf("stdout on failure: %q", r.stdout)
			}
		})
	}

	// Duplicate id (and name).
	if r := f.run(nil, "", "create", "--id", "dup"); r.code != 0 {
		t.Fatalf("first create: %s", r.stderr)
	}
	r := f.run(nil, "", "create", "--id", "dup")
	if r.code != 1 || !strings.Contains(r.stderr, `already has a client with id "dup"`) || !strings.Contains(r.stderr, "client delete dup") {
		t.Fatalf("duplicate id: %d %s", r.code, r.stderr)
	}
	r = f.run(nil, "", "create", "--id", "dup2", "--name", "thingplus-webapp on "+hostLabel()+" (dup)")
	if r.code != 1 || !strings.Contains(r.stderr, "name") || !strings.Contains(r.stderr, "already exists") {
		t.Fatalf("duplicate name: %d %s", r.code, r.stderr)
	}
}

func TestScopesCommand(t *testing.T) {
	f := newFixture(t)
	r := f.run(nil, "", "scopes")
	if r.code != 0 {
		t.Fatalf("scopes: %d %s", r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 16 || !regexp.MustCompile(`(?m)^gateway\s+yes\s+create, change and delete your gateways`).MatchString(r.stdout) {
		t.Fatalf("scopes output:\n%s", r.stdout)
	}
}

func TestHelpers(t *testing.T) {
	for in, want := range map[string]string{
		"abc-DEF_1.2":                  "abc-DEF_1.2",
		"https://api.thingplus.net/v2": "https://api.thingplus.net/v2",
		"it's $x":                      `'it'\''s $x'`,
		"~home":                        "'~home'",
	} {
		if got := shellValue(in); got != want {
			t.Errorf("shellValue(%q) = %q, want %q", in, got, want)
		}
	}
	for base, want := range map[string]bool{
		"http://127.0.0.1:3001/v2": true, "http://localhost:3001/v2": true, "http://[::1]:3001/v2": true,
		"https://api.thingplus.net/v2": false, "http://10.0.0.1/v2": false,
	} {
		if isLoopback(base) != want {
			t.Errorf("isLoopback(%q) != %v", base, want)
		}
	}
	if h := hostLabel(); !regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`).MatchString(h) {
		t.Errorf("hostLabel %q", h)
	}
	if got := publicURL(func(k string) string { return map[string]string{"PORT": "8080"}[k] }); got != "http://localhost:8080" {
		t.Errorf("publicURL %q", got)
	}
	l, err := readLine(strings.NewReader("one\ntwo"))
	if l != "one" || err != nil {
		t.Errorf("readLine %q %v", l, err)
	}
}

// closedAddr is a loopback address nobody listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}
