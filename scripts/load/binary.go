package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/thingplus/thingplus-webapp/trains"
)

// appProc is one running instance of the app's binary.
type appProc struct {
	cmd     *exec.Cmd
	url     string // http://127.0.0.1:port
	metrics string // its /metrics
	logf    *os.File
}

func (a *appProc) stop() {
	a.cmd.Process.Kill()
	a.cmd.Wait()
	a.logf.Close()
}

// startApp runs the app's binary (the whole route table and its
// middleware: request log, budget, security headers, sessions, CSRF) as
// instance i on dbURL and free ports, its sandbox off the train (the
// simulator would push to it too).
func startApp(ctx context.Context, bin, dir, dbURL string, i int) (*appProc, error) {
	var ports [3]int
	for j := range ports {
		p, err := freePort()
		if err != nil {
			return nil, err
		}
		ports[j] = p
	}
	data := filepath.Join(dir, fmt.Sprintf("app%d", i))
	if err := os.MkdirAll(data, 0o700); err != nil {
		return nil, err
	}
	logf, err := os.Create(filepath.Join(data, "app.log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "DATABASE_URL="+dbURL, "DATA_DIR="+data, "WEBHOOK_KEY="+key,
		"WEBHOOK_TOKEN_SECRET=load-test-token-secret-0123456789abcdef", "SESSION_SECRET=load-test-session-secret-0123456789abcdef",
		"THINGPLUS_URL=", "MEMCACHED_SERVERS=", "SANDBOX_SIMULATOR=off",
		"PORT="+strconv.Itoa(ports[0]), "SANDBOX_ADDR=127.0.0.1:"+strconv.Itoa(ports[1]), "METRICS_ADDR=127.0.0.1:"+strconv.Itoa(ports[2]))
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, err
	}
	a := &appProc{cmd: cmd, url: fmt.Sprintf("http://127.0.0.1:%d", ports[0]), metrics: fmt.Sprintf("http://127.0.0.1:%d/metrics", ports[2]), logf: logf}
	if err := waitReady(ctx, a.url+"/readyz"); err != nil {
		a.stop()
		b, _ := os.ReadFile(logf.Name())
		return nil, fmt.Errorf("%s did not get ready: %w\n%s", bin, err, b)
	}
	return a, nil
}

// startBinaries runs n instances of the binary on dbURL, behind HAProxy
// (this repository's deploy/haproxy.cfg, with the instances' ports) when n
// is more than one, and opens a store of this process on the same database
// to reset the train and add up the events. Only the ingest is measured:
// the live streams need a signed-in session.
func startBinaries(ctx context.Context, bin, dir, dbURL string, n int) (*server, func(), error) {
	var apps []*appProc
	var proxy *exec.Cmd
	stop := func() {
		if proxy != nil {
			proxy.Process.Kill()
			proxy.Wait()
		}
		for _, a := range apps {
			a.stop()
		}
	}
	for i := range n {
		a, err := startApp(ctx, bin, dir, dbURL, i+1)
		if err != nil {
			stop()
			return nil, nil, err
		}
		apps = append(apps, a)
	}
	s := &server{url: apps[0].url}
	if n > 1 {
		var err error
		if proxy, s.url, err = startProxy(ctx, dir, apps); err != nil {
			stop()
			return nil, nil, err
		}
		s.cpu.proxyPID = proxy.Process.Pid
	}
	st, err := trains.Open(ctx, dir, trains.Options{DatabaseURL: dbURL})
	if err != nil {
		stop()
		return nil, nil, err
	}
	s.store = st
	s.commits = func() (sum trains.Stats) {
		for _, a := range apps {
			c := scrapeCommits(a.metrics)
			sum.Commits, sum.Ops, sum.CommitTime = sum.Commits+c.Commits, sum.Ops+c.Ops, sum.CommitTime+c.CommitTime
		}
		return sum
	}
	for _, a := range apps {
		s.cpu.appPIDs = append(s.cpu.appPIDs, a.cmd.Process.Pid)
	}
	return s, func() { st.Close(); stop() }, nil
}

// startProxy runs HAProxy with deploy/haproxy.cfg, bound to a free port and
// balancing over apps; it returns the process and its URL.
func startProxy(ctx context.Context, dir string, apps []*appProc) (*exec.Cmd, string, error) {
	haproxy, err := exec.LookPath("haproxy")
	if err != nil {
		return nil, "", fmt.Errorf("several instances of the binary need HAProxy (Debian: apt-get install haproxy)")
	}
	cfg, err := os.ReadFile("deploy/haproxy.cfg")
	if err != nil {
		return nil, "", fmt.Errorf("%w (run from the repository root)", err)
	}
	port, err := freePort()
	if err != nil {
		return nil, "", err
	}
	var out []string
	for _, l := range strings.Split(string(cfg), "\n") {
		switch t := strings.TrimSpace(l); {
		case t == "bind :8080":
			l = "    bind 127.0.0.1:" + strconv.Itoa(port)
		case strings.HasPrefix(t, "server app"):
			continue // replaced below, after default-server (the backend ends the file)
		}
		out = append(out, l)
	}
	for i, a := range apps {
		out = append(out, fmt.Sprintf("    server app%d %s check", i+1, strings.TrimPrefix(a.url, "http://")))
	}
	path := filepath.Join(dir, "haproxy.cfg")
	if err := os.WriteFile(path, []byte(strings.Join(out, "\n")+"\n"), 0o600); err != nil {
		return nil, "", err
	}
	cmd := exec.Command(haproxy, "-db", "-f", path)
	logf, err := os.Create(filepath.Join(dir, "haproxy.log"))
	if err != nil {
		return nil, "", err
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return nil, "", err
	}
	url := "http://127.0.0.1:" + strconv.Itoa(port)
	if err := waitReady(ctx, url+"/readyz"); err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		b, _ := os.ReadFile(logf.Name())
		return nil, "", fmt.Errorf("haproxy: %w\n%s", err, b)
	}
	return cmd, url, nil
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func waitReady(ctx context.Context, url string) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("no 200 from %s within 30 s (last error: %v)", url, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// runBinary measures ingest against the app's binary, o.runs rounds.
func runBinary(ctx context.Context, o opts, dir, dbURL string, cpu cpuMeter) error {
	s, stop, err := startBinaries(ctx, o.binary, dir, dbURL, o.instances)
	if err != nil {
		return err
	}
	defer stop()
	s.cpu.pgPID = cpu.pgPID
	behind := ""
	if o.instances > 1 {
		behind = " behind HAProxy"
	}
	fmt.Printf("trains load: the app binary %s, %d instance(s)%s; %d rounds; ingest %d pushes with %d senders (%s)\n",
		o.binary, o.instances, behind, o.runs, o.n, o.senders, o.client)
	var rates []float64
	for i := 1; i <= o.runs; i++ {
		rate, err := ingest(ctx, s, newClient(o), o, i)
		if err != nil {
			return err
		}
		fmt.Printf("round %d: ingest %.0f pushes/s (exact sums)\n", i, rate)
		rates = append(rates, rate)
	}
	fmt.Printf("median of %d rounds: ingest %.0f pushes/s\n", o.runs, median(rates))
	return nil
}

// scrapeCommits reads the app's ingest commit counters from its metrics:
// commits, operations and time spent committing, as trains.Stats has them.
func scrapeCommits(url string) (st trains.Stats) {
	resp, err := http.Get(url)
	if err != nil {
		return st
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		if !ok || strings.HasPrefix(name, "#") {
			continue
		}
		v, err := strconv.ParseFloat(value, 64)
		if err != nil {
			continue
		}
		switch {
		case strings.HasSuffix(name, "_ingest_commit_batch_size_count"):
			st.Commits = int64(v)
		case strings.HasSuffix(name, "_ingest_commit_batch_size_sum"):
			st.Ops = int64(v)
		case strings.HasSuffix(name, "_ingest_commit_duration_seconds_sum"):
			st.CommitTime = time.Duration(v * float64(time.Second))
		}
	}
	return st
}
