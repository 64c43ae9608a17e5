package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/thingplus/thingplus-webapp/apptest"
	"github.com/thingplus/thingplus-webapp/trains"
)

// TestThreeInstancesBehindHAProxy runs the real binary three times on one
// PostgreSQL behind a real HAProxy (the committed deploy/haproxy.cfg, with
// this test's ports), with one shared sandbox and memcached:
//   - a stream on instance C sees every push sent to instance A (p99 of the
//     time from the 204 to the event over 1,000 pushes ≤ 100 ms);
//   - the same Thing+ event id sent to A and B at once is counted once;
//   - 64 senders push through HAProxy for 10 s while B is killed (kill -9)
//     at 3 s and restarted at 6 s: every 204 is counted exactly once, and
//     the counts are the returned outcomes added up (plus the pushes the
//     proxy could not answer that the database did count);
//   - a tab streaming from B reconnects through HAProxy and ends showing
//     exactly the database's counts.
//
// It is skipped only when PostgreSQL or HAProxy is not installed.
func TestThreeInstancesBehindHAProxy(t *testing.T) {
	if apptest.PostgresBin() == "" {
		t.Skip("PostgreSQL is not installed (Debian: apt-get install postgresql)")
	}
	haproxy, err := exec.LookPath("haproxy")
	if err != nil {
		t.Skip("HAProxy is not installed (Debian: apt-get install haproxy)")
	}
	if testing.Short() {
		t.Skip("-short")
	}
	if raceEnabled {
		// Its p99 bounds are about the product, not the race detector's
		// slowdown: `go tool task test` runs it on its own without -race.
		t.Skip("latency bounds: run without -race (go tool task test-instances)")
	}
	ctx := context.Background()
	dir := t.TempDir()
	bin := filepath.Join(dir, "thingplus-webapp")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	pg, err := apptest.StartPostgres()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pg.Stop)
	dbURL, err := pg.NewDatabase(ctx)
	if err != nil {
		t.Fatal(err)
	}
	mc := apptest.StartMemcached(t)

	proxyAddr, sbAddr := apptest.FreeAddr(t), apptest.FreeAddr(t)
	appAddrs := []string{apptest.FreeAddr(t), apptest.FreeAddr(t), apptest.FreeAddr(t)}
	proxy := "http://" + proxyAddr
	const key = "multi-instance-webhook-key-0123"
	shared := []string{
		"SANDBOX_ADDR=" + sbAddr, "THINGPLUS_URL=http://" + sbAddr + "/v2", "SANDBOX_SIMULATOR=off",
		"THINGPLUS_CLIENT_ID=multi-instance-test", "THINGPLUS_CLIENT_SECRET=multi-instance-test-secret-0123456789",
		"SESSION_SECRET=multi-instance-session-secret-0123456789abcdef", "MEMCACHED_SERVERS=" + mc.Addr,
		"DATABASE_URL=" + dbURL, "WEBHOOK_KEY=" + key, "WEBHOOK_TOKEN_SECRET=multi-instance-token-secret-0123456789ab",
		"PUBLIC_URL=" + proxy, "LOG_FORMAT=text",
	}
	sb := startProc(t, bin, []string{"sandbox"}, append(shared, "DATA_DIR="+filepath.Join(dir, "sandbox")))
	waitUp(t, "http://"+sbAddr+"/healthz", sb)
	apps := make([]*proc, 3)
	appEnv := func(i int) []string {
		_, port, _ := strings.Cut(appAddrs[i], ":")
		return append(slices.Clone(shared), "PORT="+port, "DATA_DIR="+filepath.Join(dir, "app"+strconv.Itoa(i)))
	}
	for i := range apps { // all at once: the migrations and the seed take turns
		apps[i] = startProc(t, bin, nil, appEnv(i))
	}
	for i, p := range apps {
		waitUp(t, "http://"+appAddrs[i]+"/readyz", p)
	}
	cfg, err := os.ReadFile("deploy/haproxy.cfg")
	if err != nil {
		t.Fatal(err)
	}
	c := strings.Replace(string(cfg), "bind :8080", "bind "+proxyAddr, 1)
	for i, a := range appAddrs {
		c = strings.Replace(c, fmt.Sprintf("127.0.0.1:310%d", i+1), a, 1)
	}
	cfgPath := filepath.Join(dir, "haproxy.cfg")
	if err := os.WriteFile(cfgPath, []byte(c), 0o600); err != nil {
		t.Fatal(err)
	}
	hp := startProc(t, haproxy, []string{"-db", "-f", cfgPath}, nil)
	waitUp(t, proxy+"/readyz", hp)

	b := signIn(t, proxy)
	db, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(ctx)

	t.Run("a push to A reaches a stream on C", func(t *testing.T) {
		st := openStream(t, b, "http://"+appAddrs[2]+"/trains/stream", "")
		defer st.close()
		st.waitSnapshot(t)
		client := &http.Client{Timeout: 10 * time.Second}
		var lat []time.Duration
		for i := range 1000 {
			st.drain()
			sensor := trains.SeedSensorID(i%3+1, i%4+1)
			if _, out := push(client, "http://"+appAddrs[0], key, sensor, "IN", fmt.Sprintf("lat-%d", i)); out == "" {
				t.Fatalf("push %d not acknowledged", i)
			}
			acked := time.Now()
			select {
			case at := <-st.carEvents:
				lat = append(lat, max(0, at.Sub(acked)))
			case <-time.After(5 * time.Second):
				t.Fatalf("push %d never reached instance C", i)
			}
		}
		slices.Sort(lat)
		p50, p99 := lat[len(lat)/2], lat[len(lat)*99/100]
		t.Logf("push to A → event on C over %d pushes: p50 %v, p99 %v, max %v", len(lat), p50, p99, lat[len(lat)-1])
		if p99 > 100*time.Millisecond {
			t.Errorf("p99 %v over 100 ms", p99)
		}
	})

	t.Run("one event id sent to two instances counts once", func(t *testing.T) {
		client := &http.Client{Timeout: 10 * time.Second}
		for i := range 20 {
			var wg sync.WaitGroup
			outs := make([]string, 2)
			for j := range 2 {
				wg.Go(func() {
					_, outs[j] = push(client, "http://"+appAddrs[j], key, trains.SeedSensorID(1, 1), "IN", fmt.Sprintf("dup-%d", i))
				})
			}
			wg.Wait()
			slices.Sort(outs)
			if outs[0] != "applied" || outs[1] != "duplicate" {
				t.Fatalf("event dup-%d: outcomes %v, want one applied and one duplicate", i, outs)
			}
		}
	})

	t.Run("kill -9 under load", func(t *testing.T) {
		before := dbCounts(t, db)
		tab := openStream(t, b, "http://"+appAddrs[1]+"/trains/stream", proxy+"/trains/stream")
		defer tab.close()
		tab.waitSnapshot(t)

		type sent struct {
			car  int64
			typ  string
			out  string // X-Push-Outcome of a 204, "" when not acknowledged
			code int
		}
		var mu sync.Mutex
		results := map[string]sent{}
		client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
		start := time.Now()
		var next atomic.Int64
		var wg sync.WaitGroup
		for w := range 64 {
			wg.Go(func() {
				for time.Since(start) < 10*time.Second {
					i := next.Add(1)
					car, typ := i%3+1, "IN"
					if i%4 == 0 {
						typ = "OUT"
					}
					k := fmt.Sprintf("load-%d", i)
					code, out := push(client, proxy, key, trains.SeedSensorID(int(car), w%4+1), typ, k)
					mu.Lock()
					results[k] = sent{car: 1999 + car, typ: typ, out: out, code: code}
					mu.Unlock()
				}
			})
		}
		time.Sleep(3*time.Second - time.Since(start))
		apps[1].kill9(t)
		time.Sleep(6*time.Second - time.Since(start))
		apps[1] = startProc(t, bin, nil, appEnv(1))
		wg.Wait()
		waitUp(t, "http://"+appAddrs[1]+"/readyz", apps[1])

		// What the database holds for each key.
		rows, err := db.Query(ctx, "SELECT event_key, outcome, delta FROM events WHERE event_key LIKE 'load-%'")
		if err != nil {
			t.Fatal(err)
		}
		type logged struct {
			outcome string
			delta   int
			n       int
		}
		inDB := map[string]logged{}
		for rows.Next() {
			var k, o string
			var d int
			if err := rows.Scan(&k, &o, &d); err != nil {
				t.Fatal(err)
			}
			l := inDB[k]
			inDB[k] = logged{o, d, l.n + 1}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		want := maps3(before)
		var acked, lost, countedUnacked int
		codes := map[int]int{}
		for k, s := range results {
			l, ok := inDB[k]
			if ok && l.n != 1 {
				t.Fatalf("push %s logged %d times", k, l.n)
			}
			if s.out != "" {
				acked++
				if !ok || l.outcome != s.out {
					t.Fatalf("push %s acknowledged as %q, database says %+v", k, s.out, l)
				}
				if s.out == "applied" {
					want[s.car] += map[string]int{"IN": 1, "OUT": -1}[s.typ]
				}
				continue
			}
			codes[s.code]++
			if ok { // reached an instance that died before answering
				countedUnacked++
				want[s.car] += l.delta
			} else {
				lost++
			}
		}
		got := dbCounts(t, db)
		t.Logf("%d pushes: %d acknowledged, %d not (statuses %v): %d of those counted before the instance died, %d never stored", len(results), acked, len(results)-acked, codes, countedUnacked, lost)
		for car, n := range want {
			if got[car] != n {
				t.Errorf("car %d: database %d, acknowledged outcomes add up to %d", car, got[car], n)
			}
		}
		if acked < len(results)*9/10 {
			t.Errorf("only %d of %d pushes acknowledged", acked, len(results))
		}
		// The tab that streamed from B shows the database's counts.
		deadline := time.Now().Add(10 * time.Second)
		for {
			shown := tab.counts()
			if fmt.Sprint(shown) == fmt.Sprint(got) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the tab shows %v, the database %v (reconnects %d)", shown, got, tab.reconnects.Load())
			}
			time.Sleep(50 * time.Millisecond)
		}
		if tab.reconnects.Load() == 0 {
			t.Fatal("the tab never reconnected")
		}
	})
}

func maps3(m map[int64]int) map[int64]int {
	out := make(map[int64]int, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// dbCounts reads the counts of the first train's cars.
func dbCounts(t *testing.T, db *pgx.Conn) map[int64]int {
	t.Helper()
	rows, err := db.Query(context.Background(), "SELECT id, count FROM cars WHERE train_id = 1000")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	m := map[int64]int{}
	for rows.Next() {
		var id int64
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			t.Fatal(err)
		}
		m[id] = n
	}
	return m
}

// push sends one webhook push; out is the X-Push-Outcome of a 204, else "".
func push(client *http.Client, base, key, sensor, typ, event string) (code int, out string) {
	u := base + "/api/trigger/" + url.PathEscape(sensor) + "/" + typ + "?key=" + key
	resp, err := client.Post(u, "application/json", strings.NewReader(`{"event":"`+event+`"}`))
	if err != nil {
		return 0, ""
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		return resp.StatusCode, ""
	}
	return resp.StatusCode, resp.Header.Get("X-Push-Outcome")
}

// proc is a child process with its output kept for failure messages.
type proc struct {
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{}
}

func startProc(t *testing.T, bin string, args, env []string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(bin, args...), out: &syncBuffer{}, done: make(chan struct{})}
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	go func() { p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(5 * time.Second):
			p.cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("%s %v output:\n%s", filepath.Base(bin), args, tail(p.out.String(), 3000))
		}
	})
	return p
}

func (p *proc) kill9(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-p.done
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

func waitUp(t *testing.T, u string, p *proc) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-p.done:
			t.Fatalf("%s exited:\n%s", u, tail(p.out.String(), 3000))
		default:
		}
		if resp, err := http.Get(u); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s never answered 200:\n%s", u, tail(p.out.String(), 3000))
}

// signIn signs in as the sandbox's demo account through the proxy: the
// session (in memcached) then works on every instance. A 503 (memcached
// slower than its 100 ms timeout on a busy machine) starts over, twice.
func signIn(t *testing.T, proxy string) *apptest.Browser {
	t.Helper()
	for try := 1; ; try++ {
		b, status, msg := trySignIn(t, proxy)
		if b != nil {
			return b
		}
		if status != http.StatusServiceUnavailable || try == 3 {
			t.Fatal(msg)
		}
		t.Logf("sign-in try %d: %s; again", try, msg)
	}
}

func trySignIn(t *testing.T, proxy string) (*apptest.Browser, int, string) {
	t.Helper()
	b := apptest.NewBrowser(t)
	r := b.Get(proxy + "/auth/login")
	for hop := 0; hop < 12; hop++ {
		switch {
		case r.StatusCode >= 300 && r.StatusCode < 400:
			r = b.Get(r.Location())
			continue
		case r.StatusCode != http.StatusOK:
			return nil, r.StatusCode, fmt.Sprintf("sign-in hop %d: %d %s", hop, r.StatusCode, tail(r.Body, 300))
		}
		u := r.Request.URL.String()
		if f, ok := apptest.FindForm(u, r.Body, `form[data-testid="login-form"]`); ok {
			r = b.Submit(f, map[string]string{"loginId": "demo", "password": "demo"})
			continue
		}
		if f, ok := apptest.FindForm(u, r.Body, `form[data-testid="decision-form"]`); ok {
			r = b.Submit(f, map[string]string{"allow": "Allow"})
			continue
		}
		if strings.HasPrefix(u, proxy) {
			page := b.Get(proxy + "/trains")
			if page.StatusCode == http.StatusOK && strings.Contains(page.Body, "car-live") {
				return b, 0, ""
			}
			return nil, page.StatusCode, fmt.Sprintf("trains page after sign-in: %d", page.StatusCode)
		}
		return nil, r.StatusCode, fmt.Sprintf("sign-in stuck at %s: %s", u, tail(r.Body, 300))
	}
	return nil, 0, "sign-in: too many hops"
}

// stream is one tab's SSE connection: it keeps the counts it was shown
// and, when its instance goes away, reconnects to again with Last-Event-ID.
type stream struct {
	b          *apptest.Browser
	cancel     context.CancelFunc
	carEvents  chan time.Time // arrival of each car frame
	snapshots  chan struct{}
	reconnects atomic.Int64

	mu     sync.Mutex
	shown  map[int64]int
	lastID string
	done   chan struct{}
}

var carCount = regexp.MustCompile(`id="car-(\d+)-live"[^>]*?data-count="(\d+)"`)

func openStream(t *testing.T, b *apptest.Browser, first, again string) *stream {
	ctx, cancel := context.WithCancel(context.Background())
	s := &stream{b: b, cancel: cancel, carEvents: make(chan time.Time, 4096), snapshots: make(chan struct{}, 16),
		shown: map[int64]int{}, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		u := first
		for ctx.Err() == nil {
			err := s.read(ctx, u)
			if ctx.Err() != nil {
				return
			}
			t.Logf("stream %s ended (%v); reconnecting to %s", u, err, again)
			if again != "" {
				u = again
			}
			s.reconnects.Add(1)
			time.Sleep(200 * time.Millisecond) // a browser waits `retry:`; shorter here
		}
	}()
	return s
}

func (s *stream) read(ctx context.Context, u string) error {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	s.mu.Lock()
	if s.lastID != "" {
		req.Header.Set("Last-Event-ID", s.lastID)
	}
	s.mu.Unlock()
	client := &http.Client{Jar: s.b.Jar} // no timeout: a stream lives long
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<22)
	var event, id string
	var data strings.Builder
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if event != "" {
				s.apply(event, id, data.String())
			}
			event, id = "", ""
			data.Reset()
		case strings.HasPrefix(line, "event: "):
			event = line[len("event: "):]
		case strings.HasPrefix(line, "id: "):
			id = line[len("id: "):]
		case strings.HasPrefix(line, "data: "):
			data.WriteString(line[len("data: "):])
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	return fmt.Errorf("stream closed")
}

func (s *stream) apply(event, id, html string) {
	s.mu.Lock()
	if id != "" {
		s.lastID = id
	}
	for _, m := range carCount.FindAllStringSubmatch(html, -1) {
		car, _ := strconv.ParseInt(m[1], 10, 64)
		n, _ := strconv.Atoi(m[2])
		if car >= 2000 && car <= 2002 {
			s.shown[car] = n
		}
	}
	s.mu.Unlock()
	switch {
	case event == "snapshot":
		select {
		case s.snapshots <- struct{}{}:
		default:
		}
	case strings.HasPrefix(event, "car-"):
		select {
		case s.carEvents <- time.Now():
		default:
		}
	}
}

func (s *stream) waitSnapshot(t *testing.T) {
	t.Helper()
	select {
	case <-s.snapshots:
	case <-time.After(10 * time.Second):
		t.Fatal("no snapshot")
	}
}

// drain forgets car frames that arrived before the next push.
func (s *stream) drain() {
	for {
		select {
		case <-s.carEvents:
		default:
			return
		}
	}
}

func (s *stream) counts() map[int64]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps3(s.shown)
}

func (s *stream) close() {
	s.cancel()
	<-s.done
}
