package e2e

import (
	"bufio"
	"bytes"
	"database/sql"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/thingplus/thingplus-webapp/apptest"
	_ "github.com/thingplus/thingplus-webapp/trains" // the "sqlite" driver, to read the trains database
)

// sessionSecret is fixed so that restarting the app keeps sessions valid.
const sessionSecret = "e2e-session-secret-0123456789abcdef-0123456789"

// stack is one running app: the binary, the Thing+ sandbox (inside the app
// or as its own process) and a real memcached.
type stack struct {
	t          *testing.T
	URL        string // the app, e.g. http://127.0.0.1:41234
	SandboxURL string // the sandbox's origin, e.g. http://127.0.0.1:41235
	DataDir    string
	Memcached  *apptest.Memcached
	App        *proc
	Sandbox    *proc // nil when the app runs the sandbox in-process
}

type stackOptions struct {
	// separateSandbox runs `thingplus-webapp sandbox` as its own process and
	// points the app at it, so the app can be restarted without the sandbox
	// (which signs tokens with a per-process secret).
	separateSandbox bool
	// moreGateways gives the demo account this many extra gateways
	// (SANDBOX_MORE_GATEWAYS), for the gateway list's pages.
	moreGateways int
}

// startStack starts memcached, the sandbox and the app, and stops them when
// the test ends. On failure their logs go to test-output/.
func startStack(t *testing.T, o stackOptions) *stack {
	t.Helper()
	_ = os.RemoveAll(artifactDir(t)) // no stale screenshots from an earlier run
	mc := apptest.StartMemcached(t)
	appAddr, sbAddr := apptest.FreeAddr(t), apptest.FreeAddr(t)
	_, appPort, _ := net.SplitHostPort(appAddr)
	s := &stack{
		t: t, URL: "http://" + appAddr, SandboxURL: "http://" + sbAddr,
		DataDir: t.TempDir(), Memcached: mc,
	}
	logs := t.TempDir()
	env := []string{
		"PORT=" + appPort,
		"PUBLIC_URL=" + s.URL,
		"SANDBOX_ADDR=" + sbAddr,
		"DATA_DIR=" + s.DataDir,
		"MEMCACHED_SERVERS=" + mc.Addr,
		"SESSION_SECRET=" + sessionSecret,
	}
	if o.moreGateways > 0 {
		env = append(env, "SANDBOX_MORE_GATEWAYS="+strconv.Itoa(o.moreGateways))
	}
	if o.separateSandbox {
		env = append(env, "THINGPLUS_CLIENT_ID=e2e-webapp", "THINGPLUS_CLIENT_SECRET=e2e-client-secret-0123456789abcdef")
		s.Sandbox = &proc{name: "sandbox", args: []string{"sandbox"}, env: env,
			log: filepath.Join(logs, "sandbox.log"), ready: s.SandboxURL + "/healthz"}
		env = append(env, "THINGPLUS_URL="+s.SandboxURL+"/v2")
	}
	s.App = &proc{name: "app", env: env, log: filepath.Join(logs, "app.log"), ready: s.URL + "/healthz"}

	t.Cleanup(func() {
		s.App.stop()
		if s.Sandbox != nil {
			s.Sandbox.stop()
		}
		if t.Failed() {
			s.saveLogs()
		}
	})
	if s.Sandbox != nil {
		s.Sandbox.start(t)
	}
	s.App.start(t)
	if s.Sandbox == nil {
		waitHTTP(t, s.SandboxURL+"/healthz", false, 10*time.Second, nil)
	}
	return s
}

// WebhookKey is the key the app generated in DATA_DIR (shared with a
// separately started sandbox).
func (s *stack) WebhookKey() string {
	s.t.Helper()
	b, err := os.ReadFile(filepath.Join(s.DataDir, "webhook.key"))
	if err != nil {
		s.t.Fatalf("read the webhook key: %v", err)
	}
	return strings.TrimSpace(string(b))
}

// Push sends one Thing+ dataPush to the app's webhook, as a door rule
// does, and returns the status.
func (s *stack) Push(sensorID, direction, event string) int {
	s.t.Helper()
	u := fmt.Sprintf("%s/api/trigger/%s/%s?key=%s", s.URL, sensorID, direction, s.WebhookKey())
	body := fmt.Sprintf(`{"event":%q,"sensor":%q,"value":"1","time":%d}`, event, sensorID, time.Now().UnixMilli())
	resp, err := http.Post(u, "application/json", strings.NewReader(body))
	if err != nil {
		s.t.Fatalf("push %s %s: %v", sensorID, direction, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// CarCount is what the app's store holds for a car, read from the trains
// database (read-only), to tell a wrong count from a page that did not
// update. (The JSON API opens a train to a signed-in account or that
// train's own token, not to the shared key the pushes use.)
func (s *stack) CarCount(carID string) string {
	s.t.Helper()
	db, err := sql.Open("sqlite", "file:"+url.PathEscape(filepath.Join(s.DataDir, "trains.db"))+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		return "(db: " + err.Error() + ")"
	}
	defer db.Close()
	var n int
	if err := db.QueryRow("SELECT count FROM cars WHERE id = ?", carID).Scan(&n); err != nil {
		return "(db: " + err.Error() + ")"
	}
	return strconv.Itoa(n)
}

// FlushSessions empties memcached, so every session is gone (as when it
// expires or memcached is replaced), without an outage.
func (s *stack) FlushSessions() {
	s.t.Helper()
	c, err := net.DialTimeout("tcp", s.Memcached.Addr, 2*time.Second)
	if err != nil {
		s.t.Fatalf("memcached: %v", err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.Write([]byte("flush_all\r\n")); err != nil {
		s.t.Fatalf("memcached flush_all: %v", err)
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "OK" {
		s.t.Fatalf("memcached flush_all answered %q, %v", line, err)
	}
}

func (s *stack) saveLogs() {
	dir := artifactDir(s.t)
	for _, p := range []*proc{s.App, s.Sandbox} {
		if p == nil {
			continue
		}
		b, err := os.ReadFile(p.log)
		if err != nil {
			continue
		}
		_ = os.WriteFile(filepath.Join(dir, p.name+".log"), b, 0o644)
		s.t.Logf("last lines of the %s log (whole log in %s):\n%s", p.name, dir, tail(b, 25))
	}
}

// proc is the binary run as a subprocess.
type proc struct {
	name      string
	args      []string
	env       []string
	log       string // stdout and stderr, appended across restarts
	ready     string // URL polled after start
	anyStatus bool   // ready on any HTTP answer (else 200 only)

	cmd  *exec.Cmd
	done chan struct{}
}

func (p *proc) start(t *testing.T) {
	t.Helper()
	f, err := os.OpenFile(p.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(binPath, p.args...)
	cmd.Env = append(baseEnv(), p.env...)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		f.Close()
		t.Fatalf("start %s: %v", p.name, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); f.Close(); close(done) }()
	p.cmd, p.done = cmd, done
	waitHTTP(t, p.ready, p.anyStatus, 20*time.Second, done)
}

// stop ends the process gracefully (SIGTERM), or kills it after 10 s.
func (p *proc) stop() {
	if p.cmd == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
	p.cmd = nil
}

// restart stops and starts the process on the same port and data.
func (p *proc) restart(t *testing.T) {
	t.Helper()
	p.stop()
	p.start(t)
}

// baseEnv is the little of the caller's environment the binary may see:
// none of the app's own variables leak in from a developer's shell.
func baseEnv() []string {
	var env []string
	for _, k := range []string{"PATH", "HOME", "TMPDIR", "LANG", "TZ"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return env
}

// waitHTTP polls u until it answers (200, or anything with anyStatus).
func waitHTTP(t *testing.T, u string, anyStatus bool, within time.Duration, exited <-chan struct{}) {
	t.Helper()
	client := &http.Client{Timeout: time.Second, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			t.Fatalf("the process serving %s exited during start (see its log below)", u)
		default:
		}
		resp, err := client.Get(u)
		if err == nil {
			resp.Body.Close()
			if anyStatus || resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s did not answer within %s", u, within)
}

func tail(b []byte, n int) string {
	lines := bytes.Split(bytes.TrimRight(b, "\n"), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}

// artifactDir is test-output/<test name>, created on demand.
func artifactDir(t testing.TB) string {
	name := strings.NewReplacer("/", "_", " ", "_", ":", "_").Replace(t.Name())
	dir := filepath.Join(outDir, name)
	_ = os.MkdirAll(dir, 0o755)
	return dir
}
