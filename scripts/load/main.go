// Command load measures (on SQLite, or with -backend postgres on a
// PostgreSQL server it starts itself) the trains webhook over loopback: durable ingest
// throughput with 64 concurrent senders, and the latency from a push's 204
// to its SSE event with 100 stream clients connected (-clients 1000 for the
// fan-out goal), and that every stream ends at the database's counts. It starts the real
// trains store (SQLite in a temporary directory) and the real trains
// handler on 127.0.0.1, runs a few rounds, checks that no push was lost or
// counted twice, and prints each round and the medians.
//
//	go run ./scripts/load                  # 3 rounds, 100,000 pushes each
//	go run ./scripts/load -runs 5 -n 50000
//	go run ./scripts/load -compare         # legacy shared key vs per-train tokens, same run
//	go run ./scripts/load -flood 10s       # valid senders with and without a bad-key flood
//
// It is bounded: -n pushes per round, -timeout for the whole run, loopback
// only. The app's outer middleware (sessions, request log, gzip) is not in
// the path; the webhook does not use sessions.
package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"regexp"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/thingplus/thingplus-webapp/apptest"
	trainsh "github.com/thingplus/thingplus-webapp/handlers/trains"
	"github.com/thingplus/thingplus-webapp/handlers/web"
	"github.com/thingplus/thingplus-webapp/thingplus"
	"github.com/thingplus/thingplus-webapp/trains"
)

const key = "load-test-webhook-key-0123456789"

type opts struct {
	runs, n, senders, clients, probes int
	rate                              int // background pushes/s during the latency phase
	timeout                           time.Duration
	backend                           string // sqlite or postgres
	mode                              string
	conns                             int
	duration                          time.Duration
	compare                           bool          // ingest with the legacy key vs per-train tokens
	flood                             time.Duration // phase length of the flood measurement (0: off)
	flooders                          int           // concurrent bad-key senders during the flood
	instances                         int           // postgres: stores (instances) on the one database, senders spread over them
	client                            string        // raw (hand-written HTTP/1.1, like wrk) or std (net/http) senders
	binary                            string        // postgres: push to this app binary (whole middleware) instead of an in-process webhook
}

func main() {
	var o opts
	flag.IntVar(&o.runs, "runs", 3, "rounds (medians are reported)")
	flag.IntVar(&o.n, "n", 100_000, "pushes per ingest round")
	flag.IntVar(&o.senders, "senders", 64, "concurrent webhook senders")
	flag.IntVar(&o.clients, "clients", 100, "SSE clients during the latency phase")
	flag.IntVar(&o.probes, "probes", 300, "timed pushes per latency round")
	flag.IntVar(&o.rate, "rate", 1000, "background pushes per second during the latency phase")
	flag.DurationVar(&o.timeout, "timeout", 5*time.Minute, "give up after this long")
	flag.StringVar(&o.backend, "backend", "sqlite", "sqlite, or postgres (a PostgreSQL server started in a temporary directory, fsync and synchronous_commit on)")
	flag.StringVar(&o.mode, "mode", "trains", "trains (webhook and live streams) or rules (the rules fragment against a JSON proxy)")
	flag.IntVar(&o.conns, "conns", 32, "rules: concurrent connections")
	flag.DurationVar(&o.duration, "duration", 5*time.Second, "rules: length of each measurement")
	flag.BoolVar(&o.compare, "compare", false, "compare ingest with the legacy shared key and with per-train tokens, alternating rounds")
	flag.DurationVar(&o.flood, "flood", 0, "measure valid ingest without and with a bad-key flood, each phase this long (e.g. 10s)")
	flag.IntVar(&o.flooders, "flooders", 16, "concurrent bad-key senders of the flood")
	flag.IntVar(&o.instances, "instances", 1, "postgres: instances (stores with their own writer, pools and webhook server, in this process) on the one database; senders take them in turn")
	flag.StringVar(&o.client, "client", "raw", "ingest senders: raw (hand-written HTTP/1.1 on kept-alive connections, like wrk) or std (net/http's client)")
	flag.StringVar(&o.binary, "binary", "", "postgres: run this app binary (e.g. one built by `go build -o /tmp/app .`) on the database and push to it, every middleware included; with -instances N, N of them behind HAProxy (deploy/haproxy.cfg); ingest only")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	flag.Parse()
	if o.runs < 1 || o.runs > 20 || o.n < 1 || o.n > 2_000_000 || o.senders < 1 || o.senders > 1024 ||
		o.clients < 1 || o.clients > 2000 || o.probes < 1 || o.probes > 100_000 || o.rate < 0 || o.rate > 100_000 ||
		o.flood < 0 || o.flood > 2*time.Minute || o.flooders < 1 || o.flooders > 256 || o.instances < 1 || o.instances > 8 ||
		(o.instances > 1 && o.backend != "postgres") || (o.binary != "" && o.backend != "postgres") {
		fmt.Fprintln(os.Stderr, "load: a flag is out of range")
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
	defer cancel()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "load:", err)
			os.Exit(1)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	runner := run
	if o.mode == "rules" {
		if o.conns < 1 || o.conns > 1024 || o.duration <= 0 || o.duration > time.Minute {
			fmt.Fprintln(os.Stderr, "load: a flag is out of range")
			os.Exit(2)
		}
		runner = runRules
	}
	if err := runner(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

type server struct {
	peers []*server // the other instances (postgres -instances)
	cpu   cpuMeter
	store *trains.Store
	h     *trainsh.Handler
	url   string
	srv   *http.Server
	// commits, when set, reads the commit counters from elsewhere (the
	// app binary's metrics) instead of the store's.
	commits func() trains.Stats
}

func start(ctx context.Context, dir, dbURL string) (*server, error) {
	st, err := trains.Open(ctx, dir, trains.Options{DatabaseURL: dbURL})
	if err != nil {
		return nil, err
	}
	gin.SetMode(gin.ReleaseMode)
	h := trainsh.New(trainsh.Deps{Store: st}, trainsh.Config{
		PublicURL: "http://127.0.0.1", WebhookKey: key,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	r := gin.New()
	signedIn := func(c *gin.Context) {
		web.SetSignedIn(c, thingplus.User{ID: "1", LoginID: "load"}, "")
		c.Next()
	}
	h.Register(r, r.Group("/"), r.Group("/", signedIn))
	ln, err := net.Listen("tcp", "127.0.0.1:0") // loopback only
	if err != nil {
		st.Close()
		return nil, err
	}
	srv := &http.Server{Handler: r, ReadHeaderTimeout: 5 * time.Second, WriteTimeout: 30 * time.Second}
	go srv.Serve(ln)
	return &server{store: st, h: h, url: "http://" + ln.Addr().String(), srv: srv}, nil
}

func (s *server) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	s.srv.Shutdown(ctx)
	s.srv.Close()
	s.store.Close()
}

// newClient is the net/http client of the std senders and the probes.
func newClient(o opts) *http.Client {
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		MaxIdleConns: o.senders * 2, MaxIdleConnsPerHost: o.senders * 2, DisableCompression: true,
	}}
}

func run(ctx context.Context, o opts) error {
	dir, err := os.MkdirTemp("", "trains-load-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	var dbURL string
	var cpu cpuMeter
	if o.backend == "postgres" {
		pg, err := apptest.StartPostgres()
		if err != nil {
			return err
		}
		defer pg.Stop()
		cpu.pgPID = pg.ServerPID()
		if dbURL, err = pg.NewDatabase(ctx); err != nil {
			return err
		}
	}
	fmt.Printf("backend %s\n", o.backend)
	if o.binary != "" {
		return runBinary(ctx, o, dir, dbURL, cpu)
	}
	s, err := start(ctx, dir, dbURL)
	if err != nil {
		return err
	}
	defer s.stop()
	s.cpu = cpu
	for range o.instances - 1 {
		p, err := start(ctx, dir, dbURL)
		if err != nil {
			return err
		}
		defer p.stop()
		s.peers = append(s.peers, p)
	}

	client := newClient(o)
	switch {
	case o.compare:
		return compare(ctx, s, client, o)
	case o.flood > 0:
		return flood(ctx, s, client, o, dir)
	}
	fmt.Printf("trains load: %d instance(s); %d rounds; ingest %d pushes with %d senders; latency %d probes with %d SSE clients and %d pushes/s in the background; GOMAXPROCS=%d\n",
		o.instances, o.runs, o.n, o.senders, o.probes, o.clients, o.rate, runtime.GOMAXPROCS(0))
	var rates, p50s, p99s, maxs []float64
	for i := 1; i <= o.runs; i++ {
		rate, err := ingest(ctx, s, client, o, i)
		if err != nil {
			return err
		}
		lat, err := latency(ctx, s, client, o, i)
		if err != nil {
			return err
		}
		p50, p99, mx := pct(lat, 50), pct(lat, 99), pct(lat, 100)
		fmt.Printf("round %d: ingest %.0f pushes/s (exact sums) | push 204 → SSE event: p50 %.1f ms, p99 %.1f ms, max %.1f ms (%d samples)\n",
			i, rate, p50, p99, mx, len(lat))
		rates, p50s, p99s, maxs = append(rates, rate), append(p50s, p50), append(p99s, p99), append(maxs, mx)
	}
	fmt.Printf("median of %d rounds: ingest %.0f pushes/s; latency p50 %.1f ms, p99 %.1f ms, max %.1f ms\n",
		o.runs, median(rates), median(p50s), median(p99s), median(maxs))
	return nil
}

// ingest sends o.n pushes (90 % IN, 10 % OUT, every one with a unique event
// id) from o.senders goroutines and checks the sums against the log.
func ingest(ctx context.Context, s *server, client *http.Client, o opts, round int) (float64, error) {
	return ingestWith(ctx, s, client, o, round, key, 0)
}

// ingestWith is ingest with the given push key; with dur > 0 the senders
// push for that long instead of o.n pushes, and the rate is of the
// acknowledged pushes.
func ingestWith(ctx context.Context, s *server, client *http.Client, o opts, round int, pushKey string, dur time.Duration) (float64, error) {
	for _, id := range []int64{1000} {
		if err := s.store.ResetTrain(ctx, id, "load round"); err != nil {
			return 0, err
		}
	}
	before, err := s.store.Events(ctx, trains.EventFilter{Limit: 1})
	if err != nil {
		return 0, err
	}
	var lastID int64
	if len(before) > 0 {
		lastID = before[0].ID
	}
	var next, inOK, outOK, failed atomic.Int64
	var wg sync.WaitGroup
	cpu0 := s.cpu.read()
	start := time.Now()
	all := append([]*server{s}, s.peers...)
	stats := func() (st trains.Stats) {
		for _, x := range all {
			xs := x.store.Stats()
			if x.commits != nil {
				xs = x.commits()
			}
			st.Commits, st.Ops, st.CommitTime = st.Commits+xs.Commits, st.Ops+xs.Ops, st.CommitTime+xs.CommitTime
		}
		return st
	}
	for w := range o.senders {
		base := all[w%len(all)].url // senders take the instances in turn
		wg.Go(func() {
			raw := newRawSender(base)
			defer raw.close()
			var path []byte
			for ctx.Err() == nil {
				i := next.Add(1)
				if (dur == 0 && i > int64(o.n)) || (dur > 0 && time.Since(start) >= dur) {
					return
				}
				typ := "IN"
				if i%10 == 0 {
					typ = "OUT"
				}
				body := fmt.Sprintf(`{"event":"r%d-%d"}`, round, i)
				var code int
				if o.client == "raw" {
					path = fmt.Appendf(path[:0], "/api/trigger/%s/%s?key=%s", trains.SeedSensorID(int(i%3)+1, w%4+1), typ, pushKey)
					var err error
					if code, err = raw.post(string(path), body); err != nil {
						failed.Add(1)
						continue
					}
				} else {
					url := fmt.Sprintf("%s/api/trigger/%s/%s?key=%s", base, trains.SeedSensorID(int(i%3)+1, w%4+1), typ, pushKey)
					resp, err := client.Post(url, "application/json", strings.NewReader(body))
					if err != nil {
						failed.Add(1)
						continue
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					code = resp.StatusCode
				}
				switch {
				case code != http.StatusNoContent:
					failed.Add(1)
				case typ == "IN":
					inOK.Add(1)
				default:
					outOK.Add(1)
				}
			}
		})
	}
	st0 := stats()
	wg.Wait()
	took := time.Since(start)
	st := stats()
	cpu1 := s.cpu.read()
	if commits := st.Commits - st0.Commits; commits > 0 {
		fmt.Printf("  ingest round %d: %d commits, %.1f pushes per commit, %.2f ms per COMMIT (fsync; where a batch is one statement, all of it)\n", round, commits,
			float64(st.Ops-st0.Ops)/float64(commits), float64((st.CommitTime-st0.CommitTime).Microseconds())/1000/float64(commits))
	}
	if line := perPush(cpu0, cpu1, inOK.Load()+outOK.Load()); line != "" {
		fmt.Printf("  ingest round %d: %s\n", round, line)
	}
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("timed out during ingest: %w", err)
	}
	if failed.Load() > 0 {
		return 0, fmt.Errorf("round %d: %d pushes not acknowledged", round, failed.Load())
	}
	// Exactness: the counts equal applied IN minus applied OUT, and every
	// acknowledged IN was applied once.
	var appliedIn, appliedOut, clamped int64
	err = s.store.EachEvent(ctx, trains.EventFilter{TrainID: 1000}, func(e trains.Event) error {
		if e.ID <= lastID {
			return errStop
		}
		switch {
		case e.Outcome == trains.OutcomeApplied && e.Delta > 0:
			appliedIn++
		case e.Outcome == trains.OutcomeApplied:
			appliedOut++
		case e.Outcome == trains.OutcomeClamped:
			clamped++
		}
		return nil
	})
	if err != nil && !errors.Is(err, errStop) {
		return 0, err
	}
	t, err := s.store.Train(ctx, 1000)
	if err != nil {
		return 0, err
	}
	var sum int64
	for _, c := range t.Cars {
		sum += int64(c.Count)
	}
	if appliedIn != inOK.Load() || appliedOut+clamped != outOK.Load() || sum != appliedIn-appliedOut {
		return 0, fmt.Errorf("round %d: sums do not match: sum %d, IN acked %d applied %d, OUT acked %d applied %d clamped %d",
			round, sum, inOK.Load(), appliedIn, outOK.Load(), appliedOut, clamped)
	}
	return float64(inOK.Load()+outOK.Load()) / took.Seconds(), nil
}

var errStop = errors.New("stop")

// dataCount reads the first data-count="N" of a line.
func dataCount(line []byte) (int, bool) {
	const attr = `data-count="`
	i := bytes.Index(line, []byte(attr))
	if i < 0 {
		return 0, false
	}
	rest := line[i+len(attr):]
	j := bytes.IndexByte(rest, '"')
	if j < 0 {
		return 0, false
	}
	n, err := strconv.Atoi(string(rest[:j]))
	return n, err == nil
}

var (
	carCountRe = regexp.MustCompile(`id="car-(\d+)-live"[^>]*?data-count="(\d+)"`)
)

// latency connects o.clients SSE streams, then sends o.probes timed pushes
// (one at a time, to car 2002) while a background sender pushes to the other
// cars at o.rate; for every probe and client it measures from the 204 to
// the event's arrival.
func latency(ctx context.Context, s *server, client *http.Client, o opts, round int) ([]float64, error) {
	if err := s.store.ResetTrain(ctx, 1000, "load latency round"); err != nil {
		return nil, err
	}
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	type arrival struct {
		count int
		at    time.Time
	}
	arrivals := make([][]arrival, o.clients)
	last := make([]map[string]int, o.clients) // per client: the last count seen of each car
	var ready sync.WaitGroup
	var readers sync.WaitGroup
	streamClient := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: o.clients, DisableCompression: true}}
	errs := make(chan error, o.clients)
	for i := range o.clients {
		ready.Add(1)
		last[i] = map[string]int{}
		readers.Go(func() {
			req, _ := http.NewRequestWithContext(sctx, "GET", fmt.Sprintf("%s/trains/stream?tab=load-%d", s.url, i), nil)
			req.Header.Set("Accept", "text/event-stream")
			resp, err := streamClient.Do(req)
			if err != nil {
				errs <- err
				ready.Done()
				return
			}
			defer resp.Body.Close()
			// The reader shares the machine with the server it measures:
			// lines are parsed in place (no string per line, no regexp for
			// car events), so the client's own cost stays small.
			br := bufio.NewReaderSize(resp.Body, 64<<10)
			var event []byte
			gotSnapshot := false
			for {
				line, err := br.ReadSlice('\n')
				if err == bufio.ErrBufferFull {
					return // no line of ours is this long
				}
				if err != nil {
					break
				}
				line = bytes.TrimRight(line, "\r\n")
				switch {
				case bytes.HasPrefix(line, []byte("event: ")):
					event = append(event[:0], line[len("event: "):]...)
				case bytes.HasPrefix(line, []byte("data: ")) && bytes.HasPrefix(event, []byte("car-")):
					if n, ok := dataCount(line); ok {
						car := string(event[len("car-"):])
						last[i][car] = n
						if car == "2002" {
							arrivals[i] = append(arrivals[i], arrival{n, time.Now()})
						}
					}
				case bytes.HasPrefix(line, []byte("data: ")) && string(event) == "snapshot":
					for _, m := range carCountRe.FindAllSubmatch(line, -1) {
						n, _ := strconv.Atoi(string(m[2]))
						last[i][string(m[1])] = n
						if string(m[1]) == "2002" && gotSnapshot {
							arrivals[i] = append(arrivals[i], arrival{n, time.Now()})
						}
					}
				case len(line) == 0:
					if string(event) == "snapshot" && !gotSnapshot {
						gotSnapshot = true
						ready.Done()
					}
					event = event[:0]
				}
			}
			if !gotSnapshot {
				ready.Done()
			}
		})
	}
	ready.Wait()
	select {
	case err := <-errs:
		return nil, err
	default:
	}
	if n := s.h.Streams(); n != o.clients {
		return nil, fmt.Errorf("%d of %d streams open", n, o.clients)
	}
	// Background load on cars 2000 and 2001: a ticker feeds a fixed pool of
	// senders (bounded connections); ticks the pool cannot take are skipped.
	bg := make(chan struct{})
	bgctx, bgstop := context.WithCancel(sctx)
	defer bgstop()
	work := make(chan string, 64)
	var pool sync.WaitGroup
	for range 16 {
		pool.Go(func() {
			for url := range work {
				post(client, url)
			}
		})
	}
	go func() {
		defer close(bg)
		defer pool.Wait() // no background push may land in the next round
		defer close(work)
		if o.rate == 0 {
			return
		}
		tick := time.NewTicker(time.Second / time.Duration(o.rate))
		defer tick.Stop()
		var i int
		for {
			select {
			case <-bgctx.Done():
				return
			case <-tick.C:
				i++
				typ := "IN"
				if i%2 == 0 {
					typ = "OUT"
				}
				select {
				case work <- fmt.Sprintf("%s/api/trigger/%s/%s?key=%s", s.url, trains.SeedSensorID(i%2+1, 1), typ, key):
				default:
				}
			}
		}
	}()
	acked := make(map[int]time.Time, o.probes)
	for p := 1; p <= o.probes; p++ {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if code := post(client, fmt.Sprintf("%s/api/trigger/%s/IN?key=%s", s.url, trains.SeedSensorID(3, p%4+1), key)); code != http.StatusNoContent {
			return nil, fmt.Errorf("probe %d: status %d", p, code)
		}
		acked[p] = time.Now()
		time.Sleep(3 * time.Millisecond)
	}
	bgstop()
	<-bg                               // every background push answered
	time.Sleep(500 * time.Millisecond) // let the last events arrive
	stop()
	readers.Wait()
	// A stream holds only the newest state of each car, so a probe counts
	// as delivered at the first event showing its count or a later one.
	var lat []float64
	missing := 0
	for i := range o.clients {
		for p, t0 := range acked {
			var at time.Time
			for _, a := range arrivals[i] {
				if a.count >= p {
					at = a.at
					break
				}
			}
			if at.IsZero() {
				missing++
				continue
			}
			// The event may leave before the 204 arrives (publish precedes
			// the reply): that is zero latency.
			lat = append(lat, max(0, float64(at.Sub(t0).Microseconds())/1000))
		}
	}
	if missing > 0 {
		return nil, fmt.Errorf("round %d: %d probe events never reached a client (of %d)", round, missing, o.probes*o.clients)
	}
	// Every stream ends at the database's counts.
	for _, id := range []int64{2000, 2001, 2002} {
		car, err := s.store.Car(ctx, id)
		if err != nil {
			return nil, err
		}
		for i := range o.clients {
			if got, ok := last[i][strconv.FormatInt(id, 10)]; !ok || got != car.Count {
				return nil, fmt.Errorf("round %d: stream %d ended at %d for car %d, the database has %d", round, i, got, id, car.Count)
			}
		}
	}
	return lat, nil
}

func post(client *http.Client, url string) int {
	resp, err := client.Post(url, "application/json", nil)
	if err != nil {
		return 0
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func pct(v []float64, p float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	i := int(float64(len(s)-1) * p / 100)
	return s[i]
}

func median(v []float64) float64 { return pct(v, 50) }
func runtimeProcs() int          { return runtime.GOMAXPROCS(0) }
