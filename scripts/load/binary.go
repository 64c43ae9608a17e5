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

// startBinary runs the app's binary (the whole route table and its
// middleware: request log, budget, security headers, sessions, CSRF) on
// dbURL and a free port, and opens a store of this process on the same
// database to reset the train and add up the events. Only the ingest is
// measured: the live streams need a signed-in session.
func startBinary(ctx context.Context, bin, dir, dbURL string) (*server, func(), error) {
	port, err := freePort()
	if err != nil {
		return nil, nil, err
	}
	sandbox, err := freePort()
	if err != nil {
		return nil, nil, err
	}
	metricsPort, err := freePort()
	if err != nil {
		return nil, nil, err
	}
	logf, err := os.Create(filepath.Join(dir, "app.log"))
	if err != nil {
		return nil, nil, err
	}
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "DATABASE_URL="+dbURL, "PORT="+strconv.Itoa(port), "DATA_DIR="+dir,
		"WEBHOOK_KEY="+key, "WEBHOOK_TOKEN_SECRET=load-test-token-secret-0123456789abcdef", "SESSION_SECRET=load-test-session-secret-0123456789abcdef", "SANDBOX_ADDR=127.0.0.1:"+strconv.Itoa(sandbox), "THINGPLUS_URL=", "MEMCACHED_SERVERS=", "SANDBOX_SIMULATOR=off", // the simulator would push to the same train
		"METRICS_ADDR=127.0.0.1:"+strconv.Itoa(metricsPort))
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, nil, err
	}
	stop := func() {
		cmd.Process.Kill()
		cmd.Wait()
		logf.Close()
	}
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	if err := waitReady(ctx, url+"/readyz"); err != nil {
		stop()
		b, _ := os.ReadFile(logf.Name())
		return nil, nil, fmt.Errorf("%s did not get ready: %w\n%s", bin, err, b)
	}
	st, err := trains.Open(ctx, dir, trains.Options{DatabaseURL: dbURL})
	if err != nil {
		stop()
		return nil, nil, err
	}
	s := &server{store: st, url: url}
	s.commits = func() trains.Stats { return scrapeCommits(fmt.Sprintf("http://127.0.0.1:%d/metrics", metricsPort)) }
	s.cpu.appPID = cmd.Process.Pid
	return s, func() { st.Close(); stop() }, nil
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
	s, stop, err := startBinary(ctx, o.binary, dir, dbURL)
	if err != nil {
		return err
	}
	defer stop()
	s.cpu.pgPID = cpu.pgPID
	fmt.Printf("trains load: the app binary %s; %d rounds; ingest %d pushes with %d senders (%s)\n", o.binary, o.runs, o.n, o.senders, o.client)
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
