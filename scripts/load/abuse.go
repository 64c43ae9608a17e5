package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/thingplus/thingplus-webapp/trains"
)

// compare runs ingest rounds alternately with the legacy shared key and
// with train 1000's own token (every pushed sensor is on train 1000), so
// both are measured in the same run on the same machine state.
func compare(ctx context.Context, s *server, client *http.Client, o opts) error {
	tok, err := s.store.Token(ctx, 1000)
	if err != nil {
		return err
	}
	fmt.Printf("trains load -compare: %d rounds of %d pushes each with %d senders, legacy key and per-train token alternating; GOMAXPROCS=%d\n",
		o.runs, o.n, o.senders, runtimeProcs())
	var legacy, token []float64
	for i := 1; i <= o.runs; i++ {
		order := []string{"legacy", "token"}
		if i%2 == 0 {
			order = []string{"token", "legacy"}
		}
		for _, which := range order {
			k := key
			if which == "token" {
				k = tok.Token
			}
			rate, err := ingestWith(ctx, s, client, o, 2*i+len(which), k, 0)
			if err != nil {
				return err
			}
			fmt.Printf("round %d %-6s: %.0f acknowledged pushes/s (exact sums)\n", i, which, rate)
			if which == "token" {
				token = append(token, rate)
			} else {
				legacy = append(legacy, rate)
			}
		}
	}
	ml, mt := median(legacy), median(token)
	fmt.Printf("median: legacy key %.0f pushes/s, per-train token %.0f pushes/s, token/legacy = %.3f\n", ml, mt, mt/ml)
	return nil
}

// flood measures valid ingest (train 1000's token, o.senders senders) for
// o.flood without, then with a bad-key flood from o.flooders concurrent
// senders; then the flood alone for o.flood, to see what it does to the
// database size (checkpointed). Every phase checks exact sums.
func flood(ctx context.Context, s *server, client *http.Client, o opts, dir string) error {
	tok, err := s.store.Token(ctx, 1000)
	if err != nil {
		return err
	}
	fmt.Printf("trains load -flood: %s phases, %d valid senders, %d flooders; GOMAXPROCS=%d\n", o.flood, o.senders, o.flooders, runtimeProcs())
	var base, flooded []float64
	var rows, sent, limited int64
	for i := 1; i <= o.runs; i++ {
		rate, err := ingestWith(ctx, s, client, o, 100+2*i, tok.Token, o.flood)
		if err != nil {
			return err
		}
		base = append(base, rate)
		before := logRows(ctx, s)
		fctx, stop := context.WithCancel(ctx)
		var n, n429 atomic.Int64
		var wg sync.WaitGroup
		floodClient := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: o.flooders, DisableCompression: true}}
		for range o.flooders {
			wg.Go(func() { floodLoop(fctx, s.url, floodClient, &n, &n429) })
		}
		frate, err := ingestWith(ctx, s, client, o, 101+2*i, tok.Token, o.flood)
		stop()
		wg.Wait()
		if err != nil {
			return err
		}
		flooded = append(flooded, frate)
		r := logRows(ctx, s) - before
		rows, sent, limited = rows+r, sent+n.Load(), limited+n429.Load()
		fmt.Printf("round %d: valid %.0f pushes/s alone, %.0f with the flood (%.1f %%) | flood: %d bad-key pushes (%.0f/s), %d answered 429, %d event-log rows\n",
			i, rate, frate, 100*frate/rate, n.Load(), float64(n.Load())/o.flood.Seconds(), n429.Load(), r)
	}
	mb, mf := median(base), median(flooded)
	fmt.Printf("median: valid alone %.0f pushes/s, with the flood %.0f pushes/s: %.1f %% (every valid 204 counted once: sums exact)\n", mb, mf, 100*mf/mb)

	// The flood alone: database growth.
	size0 := diskSize(dir)
	fctx, stop := context.WithTimeout(ctx, o.flood)
	var n, n429 atomic.Int64
	var wg sync.WaitGroup
	floodClient := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: o.flooders, DisableCompression: true}}
	for range o.flooders {
		wg.Go(func() { floodLoop(fctx, s.url, floodClient, &n, &n429) })
	}
	wg.Wait()
	stop()
	size1 := diskSize(dir)
	fmt.Printf("flood alone for %s: %d bad-key pushes (%d answered 429), database %d → %d bytes (+%d bytes, checkpointed); refusals counted in memory: %v\n",
		o.flood, n.Load(), n429.Load(), size0, size1, size1-size0, s.store.Rejections())
	return nil
}

// floodLoop posts bad-key pushes as fast as it can until ctx ends.
func floodLoop(ctx context.Context, base string, client *http.Client, n, n429 *atomic.Int64) {
	for i := 0; ctx.Err() == nil; i++ {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost,
			fmt.Sprintf("%s/api/trigger/%s/IN?key=wrong-%d", base, trains.SeedSensorID(1, 1), i), strings.NewReader(`{"event":"x"}`))
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			continue
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		n.Add(1)
		if resp.StatusCode == http.StatusTooManyRequests {
			n429.Add(1)
		}
	}
}

func logRows(ctx context.Context, s *server) int64 {
	var n int64
	for _, o := range []trains.Outcome{trains.OutcomeBadKey, trains.OutcomeRateLimited} {
		s.store.EachEvent(ctx, trains.EventFilter{Outcome: o}, func(trains.Event) error { n++; return nil })
	}
	return n
}

// diskSize is the database's size after its WAL was checkpointed into it.
func diskSize(dir string) int64 {
	db, err := sql.Open("sqlite", "file:"+url.PathEscape(filepath.Join(dir, trains.DBFile))+"?_pragma=busy_timeout(10000)")
	if err == nil {
		db.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
		db.Close()
	}
	var n int64
	for _, f := range []string{trains.DBFile, trains.DBFile + "-wal"} {
		if fi, err := os.Stat(filepath.Join(dir, f)); err == nil {
			n += fi.Size()
		}
	}
	return n
}
