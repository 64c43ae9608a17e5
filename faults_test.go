package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/thingplus/thingplus-webapp/apptest"
	"github.com/thingplus/thingplus-webapp/thingplus"
	"github.com/thingplus/thingplus-webapp/thingplus/sandbox"
)

// faultProxy stands between the app and the sandbox. Its mode decides what
// the API calls meet (sign-in and the sandbox's pages always pass): the
// sandbox, a Thing+ that never answers, or one that answers late.
type faultProxy struct {
	mode  atomic.Int32 // 0 pass, 1 hang, 2 slow
	delay time.Duration
	srv   *httptest.Server
}

const (
	modePass = iota
	modeHang
	modeSlow
)

func newFaultProxy(t *testing.T, backend http.Handler, delay time.Duration) *faultProxy {
	p := &faultProxy{delay: delay}
	pass := backend
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		api := strings.HasPrefix(r.URL.Path, "/v2/") && !strings.HasPrefix(r.URL.Path, "/v2/oauth2/")
		switch mode := p.mode.Load(); {
		case api && mode == modeHang:
			<-r.Context().Done()
			return
		case api && mode == modeSlow:
			select {
			case <-time.After(p.delay):
			case <-r.Context().Done():
				return
			}
		}
		pass.ServeHTTP(w, r)
	}))
	t.Cleanup(p.srv.Close)
	return p
}

// faultApp runs the whole app (the real wiring of run) against Thing+
// behind a fault proxy, with a short request budget.
func faultApp(t *testing.T, budget time.Duration) (appURL string, proxy *faultProxy, b *apptest.Browser) {
	t.Helper()
	gin.SetMode(gin.TestMode)
	appAddr := apptest.FreeAddr(t)
	appURL = "http://" + appAddr
	sb := sandbox.New(sandbox.Options{SimulatorPace: -1, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		App: sandbox.AppClient{ID: "fault-app", Secret: "fault-secret-0123456789abcdef", Name: "Fault test",
			RedirectURIs: []string{appURL + "/auth/callback"}, Scopes: thingplus.AppScopes()}})
	t.Cleanup(sb.Close)
	proxy = newFaultProxy(t, sb.Handler(), budget+budget/2)
	_, port, _ := net.SplitHostPort(appAddr)
	env := map[string]string{
		"PORT": port, "PUBLIC_URL": appURL, "DATA_DIR": t.TempDir(),
		"THINGPLUS_URL": proxy.srv.URL + "/v2", "THINGPLUS_CLIENT_ID": "fault-app",
		"THINGPLUS_CLIENT_SECRET": "fault-secret-0123456789abcdef",
		"SESSION_SECRET":          "fault-session-secret-0123456789abcdef",
		"REQUEST_BUDGET":          budget.String(),
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int)
	go func() { done <- run(ctx, nil, func(k string) string { return env[k] }, nil, io.Discard, io.Discard) }()
	t.Cleanup(func() { cancel(); <-done })
	waitOK(t, appURL+"/healthz")

	b = apptest.NewBrowser(t)
	r := b.Get(appURL + "/auth/login")
	hops := b.Follow(r.Location(), 5)
	page := hops[len(hops)-1]
	f, ok := apptest.FindForm(page.Request.URL.String(), page.Body, "form:has(input[type=password])")
	if !ok {
		t.Fatalf("no sandbox login form:\n%s", page.Body)
	}
	set := map[string]string{}
	for _, n := range apptest.InputNames(page.Body, "form:has(input[type=password])") {
		if strings.Contains(strings.ToLower(n), "pass") {
			set[n] = "demo"
		} else if ln := strings.ToLower(n); strings.Contains(ln, "login") || strings.Contains(ln, "user") {
			set[n] = "demo"
		}
	}
	r = b.Submit(f, set)
	for r.StatusCode >= 300 && r.StatusCode < 400 {
		r = b.Get(r.Location())
	}
	if consent, ok := apptest.FindForm(r.Request.URL.String(), r.Body, "form[action*='decision']"); ok {
		r = b.Submit(consent, nil)
		b.Follow(r.Location(), 5)
	}
	if home := b.Get(appURL + "/rules"); home.StatusCode != 200 {
		t.Fatalf("not signed in: %d", home.StatusCode)
	}
	return appURL, proxy, b
}

// Every page and fragment that needs Thing+ (and /trains, which needs it
// only for its sensor choices, loaded after the page).
var faultPaths = []string{"/", "/gateways", "/rules", "/rules/new", "/events", "/trains", "/trains/sensors", "/trains/list"}

// With Thing+ hanging or slow, every page and fragment answers by the
// request budget: those that waited for Thing+ answer at the budget plus
// 100 ms (median; each within 400 ms, as the shared test machine delays
// single requests), and the goroutines the requests started are gone again
// within 10 s.
func TestPagesHoldTheirDeadline(t *testing.T) {
	const budget = time.Second
	appURL, proxy, b := faultApp(t, budget)
	b.Client.CloseIdleConnections()
	time.Sleep(200 * time.Millisecond)
	base := runtime.NumGoroutine()
	var waited []time.Duration // requests that ran into the budget
	for _, mode := range []int32{modeHang, modeSlow} {
		proxy.mode.Store(mode)
		for _, path := range faultPaths {
			for _, htmx := range []bool{false, true} {
				var headers []string
				if htmx {
					headers = []string{"HX-Request", "true"}
				}
				start := time.Now()
				r := b.Get(appURL+path, headers...)
				took := time.Since(start)
				t.Logf("mode %d %s htmx=%v: %d in %v", mode, path, htmx, r.StatusCode, took.Round(time.Millisecond))
				if took > budget+400*time.Millisecond {
					t.Errorf("%s (htmx %v, mode %d) took %v", path, htmx, mode, took)
				}
				if took > budget/2 {
					waited = append(waited, took)
				}
				if r.StatusCode >= 500 && r.StatusCode != http.StatusServiceUnavailable {
					t.Errorf("%s: %d", path, r.StatusCode)
				}
			}
		}
		// /trains never waits on Thing+: its counts come from the database.
		start := time.Now()
		if r := b.Get(appURL + "/trains"); r.StatusCode != 200 || time.Since(start) > 300*time.Millisecond {
			t.Errorf("/trains with Thing+ down: %d in %v", r.StatusCode, time.Since(start))
		}
	}
	slices.Sort(waited)
	if len(waited) == 0 || waited[len(waited)/2] > budget+100*time.Millisecond {
		t.Errorf("median of %d requests that waited for Thing+: %v", len(waited), waited)
	}
	proxy.mode.Store(modePass)
	b.Client.CloseIdleConnections()
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > base+5 {
		if time.Now().After(deadline) {
			t.Fatalf("goroutines %d, baseline %d", runtime.NumGoroutine(), base)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// A client that sends its form body a byte a second is dropped within
// ~10 s (the server's read timeout), and HEAD is answered where GET is.
func TestSlowBodyDroppedAndHEAD(t *testing.T) {
	appURL, _, b := faultApp(t, time.Second)
	if resp, err := http.Head(appURL + "/healthz"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("HEAD /healthz: %v %v", err, resp)
	}
	req, _ := http.NewRequest(http.MethodHead, appURL+"/rules", nil)
	if r := b.Do(req); r.StatusCode != 200 || r.Body != "" {
		t.Fatalf("HEAD /rules: %d %q", r.StatusCode, r.Body)
	}
	u, _ := url.Parse(appURL)
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	io.WriteString(conn, "POST /rules HTTP/1.1\r\nHost: "+u.Host+"\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n")
	start := time.Now()
	closed := make(chan time.Duration, 1)
	go func() {
		io.Copy(io.Discard, conn) // returns when the server drops us
		closed <- time.Since(start)
	}()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case d := <-closed:
			t.Logf("slow-body client dropped after %v", d)
			if d > 11*time.Second {
				t.Fatalf("dropped after %v", d)
			}
			return
		case <-tick.C:
			if _, err := conn.Write([]byte("a")); err != nil {
				continue
			}
			if time.Since(start) > 15*time.Second {
				t.Fatal("slow-body client still connected after 15 s")
			}
		}
	}
}
