// Command pgbatch measures trains_push_batch alone: one backend calls it
// with batches of pushes on the seeded trains, and the backend's CPU comes
// from /proc. Each -sql file (empty name: the schema as migrated) is applied
// to its own database before measuring, and the variants are measured in
// turn for -rounds rounds, so a change to the function or the indexes can be
// compared with the current one in the same run:
//
//	go run ./scripts/pgbatch -sql ",/tmp/variant.sql" -rounds 5
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/thingplus/thingplus-webapp/apptest"
	"github.com/thingplus/thingplus-webapp/trains"
)

type variant struct {
	name   string
	conn   *pgx.Conn
	pid    int
	store  *trains.Store
	ms     []float64 // per call
	cpuUs  []float64 // backend CPU per push
	nextID int
}

func main() {
	batch := flag.Int("batch", 34, "pushes per call (the load script's batches are 30–40 with 64 senders)")
	dur := flag.Duration("d", 2*time.Second, "length of each measurement")
	rounds := flag.Int("rounds", 5, "rounds (medians are reported)")
	files := flag.String("sql", "", "comma-separated SQL files, one variant each; an empty name is the migrated schema")
	flag.Parse()
	if err := run(*files, *batch, *rounds, *dur); err != nil {
		log.Fatal(err)
	}
}

func run(files string, batch, rounds int, dur time.Duration) error {
	ctx := context.Background()
	pg, err := apptest.StartPostgres()
	if err != nil {
		return err
	}
	defer pg.Stop()
	dir, err := os.MkdirTemp("", "pgbatch-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	var vs []*variant
	for _, f := range strings.Split(files, ",") {
		v, err := open(ctx, pg, dir, f)
		if err != nil {
			return err
		}
		defer v.close(ctx)
		for range 200 { // warm: plans cached, the tables past their first pages
			if err := v.call(ctx, batch); err != nil {
				return err
			}
		}
		vs = append(vs, v)
	}
	for range rounds {
		for _, v := range vs {
			if err := v.measure(ctx, batch, dur); err != nil {
				return err
			}
		}
	}
	fmt.Printf("trains_push_batch, batches of %d, %d rounds of %s (medians):\n", batch, rounds, dur)
	for _, v := range vs {
		ms := median(v.ms)
		fmt.Printf("  %-24s %.3f ms per call (%.0f pushes/s in one backend), backend CPU %.1f µs per push\n",
			orElse(v.name, "(as migrated)"), ms, float64(batch)*1000/ms, median(v.cpuUs))
	}
	return nil
}

func open(ctx context.Context, pg *apptest.Postgres, dir, file string) (*variant, error) {
	url, err := pg.NewDatabase(ctx)
	if err != nil {
		return nil, err
	}
	st, err := trains.Open(ctx, dir, trains.Options{DatabaseURL: url}) // migrates and seeds
	if err != nil {
		return nil, err
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		st.Close()
		return nil, err
	}
	v := &variant{name: file, conn: conn, store: st}
	if file != "" {
		b, err := os.ReadFile(file)
		if err == nil {
			_, err = conn.Exec(ctx, string(b))
		}
		if err != nil {
			v.close(ctx)
			return nil, fmt.Errorf("%s: %w", file, err)
		}
	}
	return v, conn.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&v.pid)
}

func (v *variant) close(ctx context.Context) {
	v.conn.Close(ctx)
	v.store.Close()
}

// call sends one batch like the load script's senders: three cars of the
// first seeded train, nine IN for every OUT, every push with its own key.
func (v *variant) call(ctx context.Context, n int) error {
	sensors, types, keys, want := make([]string, n), make([]string, n), make([]string, n), make([]int64, n)
	for i := range n {
		v.nextID++
		sensors[i] = trains.SeedSensorID(v.nextID%3+1, v.nextID%4+1)
		types[i] = "IN"
		if v.nextID%10 == 0 {
			types[i] = "OUT"
		}
		keys[i] = "k" + strconv.Itoa(v.nextID)
	}
	rows, err := v.conn.Query(ctx, "SELECT * FROM trains_push_batch($1, $2, $3, $4, $5)", sensors, types, keys, want, time.Now().UnixMilli())
	if err != nil {
		return err
	}
	rows.Close()
	return rows.Err()
}

func (v *variant) measure(ctx context.Context, n int, dur time.Duration) error {
	t0, c0, calls := time.Now(), cpuTicks(v.pid), 0
	for time.Since(t0) < dur {
		if err := v.call(ctx, n); err != nil {
			return err
		}
		calls++
	}
	el := time.Since(t0)
	cpu := time.Duration(cpuTicks(v.pid)-c0) * 10 * time.Millisecond // USER_HZ is 100 on Linux
	v.ms = append(v.ms, float64(el.Microseconds())/1000/float64(calls))
	v.cpuUs = append(v.cpuUs, float64(cpu.Microseconds())/float64(calls*n))
	return nil
}

// cpuTicks is a process's user and system time in clock ticks.
func cpuTicks(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndex(s, ")")+2:])
	u, _ := strconv.ParseInt(f[11], 10, 64)
	k, _ := strconv.ParseInt(f[12], 10, 64)
	return u + k
}

func median(x []float64) float64 {
	sort.Float64s(x)
	return x[len(x)/2]
}

func orElse(s, empty string) string {
	if s == "" {
		return empty
	}
	return s
}
