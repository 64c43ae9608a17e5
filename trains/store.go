package trains

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite" // registers the pure-Go "sqlite" driver
)

// DBFile is the database file name inside the data directory.
const DBFile = "trains.db"

// Options tune a Store. The zero value is usable.
type Options struct {
	// NoSeed skips the demo seed on a fresh database.
	NoSeed bool
	// MaxBatch caps how many queued operations one transaction takes
	// (default 2048 on SQLite, 256 on PostgreSQL).
	MaxBatch int
	// MaxDelay is the longest the writer holds a batch open to let it grow to
	// the size of recent batches (default 1 ms on SQLite, none on
	// PostgreSQL; negative disables).
	MaxDelay time.Duration
	// Now replaces time.Now (tests).
	Now func() time.Time
	// DatabaseURL (postgres://…) stores the trains in PostgreSQL, shared by
	// every instance; empty keeps the SQLite file in the data directory.
	DatabaseURL string
	// Log receives the store's own warnings (e.g. a lost notification
	// connection). Nil discards them.
	Log *slog.Logger
	// Health tunes the door-sensor health checks (zero: defaults).
	Health Health
	// SeedOwner owns the seeded trains (default: the sandbox's demo account).
	SeedOwner Owner
	// Admins are the Thing+ loginIds that see (and may claim) trains
	// without an owner (TRAINS_ADMINS).
	Admins []string
	// TokenSecret derives the per-train webhook tokens (default: random,
	// so tokens change at every start; the app passes a kept secret).
	TokenSecret []byte
	// TokenGrace is how long a rotated-out token keeps working (default 24 h).
	TokenGrace time.Duration
	// EventsRetention and DedupeWindow bound the event log and the
	// duplicate-detection keys (defaults 90 and 7 days; negative keeps all).
	EventsRetention, DedupeWindow time.Duration
	// RejectBudget is how many rejected pushes per reason and minute reach
	// the event log (default 60); the rest are only counted.
	RejectBudget int
	// OnCommit, when set, is told the size and COMMIT time of every push
	// transaction (metrics). It runs on the writer goroutine: keep it quick.
	OnCommit func(ops int, took time.Duration)
}

// Store is the trains database. It is safe for concurrent use.
type Store struct {
	path string
	wdb  *sql.DB // one connection, used only by the writer goroutine
	rdb  *sql.DB // read-only pool
	hub  *Hub
	now  func() time.Time
	log  *slog.Logger

	backend    backend
	epoch      string
	stopListen context.CancelFunc // nil on SQLite
	listenDone chan struct{}
	shapes     map[int64]Car // PostgreSQL: cars as the notifications left them; the listener's own

	settings settingsCache // per-train settings, refreshed after each change
	flags    flagCache     // open door-sensor health flags
	health   Health        // thresholds of the health checks

	ops      chan *op
	maxBatch int
	maxDelay time.Duration
	// sharedDelay replaces maxDelay while other instances write between
	// this one's batches (PostgreSQL's default; see writer.noteVersion).
	sharedDelay time.Duration
	quit        chan struct{}
	done        chan struct{}
	maintDone   chan struct{}

	closeMu sync.RWMutex // held for reading while enqueueing; for writing by Close
	closed  bool
	seq     atomic.Uint64 // version of the last committed change

	tokens      *tokenCache
	tokenSecret []byte
	tokenGrace  time.Duration
	access      accessConfig
	rejects     *rejectLog
	maint       maintConfig
	onCommit    func(ops int, took time.Duration)

	inflight                           atomic.Int64 // callers inside submit
	statCommits, statOps, statCommitNs atomic.Int64
}

// Stats are the writer's counters since Open.
type Stats struct {
	Commits    int64         // push transactions committed (one fsync each)
	Ops        int64         // pushes and rejections in them
	CommitTime time.Duration // total time spent in COMMIT (a batch that is one statement, its own transaction: all of it)
}

// Stats returns the writer's counters.
func (s *Store) Stats() Stats {
	return Stats{Commits: s.statCommits.Load(), Ops: s.statOps.Load(), CommitTime: time.Duration(s.statCommitNs.Load())}
}

// Open opens the trains database — the SQLite file in dir, or PostgreSQL
// when opt.DatabaseURL is set — migrates the schema, seeds a fresh database
// and starts the writer goroutine (and, on PostgreSQL, the listener that
// brings every instance's changes to this one's hub).
func Open(ctx context.Context, dir string, opt Options) (*Store, error) {
	wdb, rdb, b, path, err := openDB(ctx, dir, opt.DatabaseURL)
	if err != nil {
		return nil, err
	}
	now := opt.Now
	if now == nil {
		now = time.Now
	}
	log := opt.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	fail := func(err error) (*Store, error) {
		wdb.Close()
		rdb.Close()
		return nil, err
	}
	if !opt.NoSeed {
		if err := seed(ctx, wdb, b, now(), opt.SeedOwner.orDemo()); err != nil {
			return fail(err)
		}
	}
	s := &Store{
		path: path, wdb: wdb, rdb: rdb, hub: NewHub(), now: now, backend: b, log: log,
		ops: make(chan *op, 4096), maxBatch: opt.MaxBatch,
		quit: make(chan struct{}), done: make(chan struct{}), maintDone: make(chan struct{}), onCommit: opt.OnCommit,
	}
	d := b.batching()
	if s.maxBatch <= 0 {
		s.maxBatch = d.maxBatch
	}
	switch s.maxDelay = opt.MaxDelay; {
	case s.maxDelay == 0:
		s.maxDelay, s.sharedDelay = d.maxDelay, d.sharedDelay
	case s.maxDelay < 0:
		s.maxDelay = 0
	}
	var v int64
	if err := rdb.QueryRowContext(ctx, "SELECT v, epoch FROM trains_version WHERE id = 1").Scan(&v, &s.epoch); err != nil {
		return fail(fmt.Errorf("trains: version: %w", err))
	}
	s.seq.Store(uint64(v))
	s.health = opt.Health.withDefaults()
	if err := s.flags.load(ctx, rdb); err != nil {
		return fail(err)
	}
	if err := s.settings.load(ctx, rdb); err != nil {
		return fail(err)
	}
	if err := s.configure(ctx, opt); err != nil {
		return fail(err)
	}
	if pb, ok := b.(*pgBackend); ok {
		lctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		s.stopListen, s.listenDone = cancel, make(chan struct{})
		ready := make(chan error, 1)
		go s.listen(lctx, pb.cfg, ready)
		if err := <-ready; err != nil {
			cancel()
			return fail(fmt.Errorf("trains: listen for changes: %w", err))
		}
	}
	w, err := newWriter(ctx, s)
	if err != nil {
		return fail(err)
	}
	go w.run()
	go s.maintain()
	return s, nil
}

// Backend names the database: "sqlite" or "postgres".
func (s *Store) Backend() string { return s.backend.name() }

// Epoch identifies the database the versions count in: it changes only with
// the database, so a version seen on one instance means the same on all.
func (s *Store) Epoch() string { return s.epoch }

// DB is the pool sibling packages (rule history, last visits) use for
// their own tables in the same database: one file to back up, and the same
// engine when PostgreSQL replaces SQLite. On SQLite it is the write pool
// (one writer per file: their writes queue behind the writer's commits);
// on PostgreSQL the shared pool, so they never wait behind push batches on
// the writer's one connection.
func (s *Store) DB() *sql.DB {
	if s.backend.name() == "postgres" {
		return s.rdb
	}
	return s.wdb
}

// Path is the database file path (or the PostgreSQL database, without password).
func (s *Store) Path() string { return s.path }

// Hub is the live-update hub: it carries every committed change.
func (s *Store) Hub() *Hub { return s.hub }

// Seq is the version of the last committed change.
func (s *Store) Seq() uint64 { return s.seq.Load() }

// Close stops the writer after the queued operations, then closes the
// database. Operations submitted after Close fail with ErrClosed.
func (s *Store) Close() error {
	s.closeMu.Lock()
	if s.closed {
		s.closeMu.Unlock()
		return nil
	}
	s.closed = true
	s.closeMu.Unlock()
	close(s.quit)
	<-s.done
	<-s.maintDone
	if s.stopListen != nil {
		s.stopListen()
		<-s.listenDone
	}
	s.hub.Close()
	return errors.Join(s.rdb.Close(), s.wdb.Close())
}

// Seed data: the original app's trains and cars, with the sandbox subway
// gateway's door sensors on the first train.
const (
	SeedGateway = "b827ebd0a001"
)

// SeedSensorID is the sandbox id of door n (1..4) of car c (1..3) of 신림-성수.
func SeedSensorID(car, door int) string {
	return fmt.Sprintf("%s-%d-door%d", SeedGateway, car, door)
}

func seed(ctx context.Context, db *sql.DB, b backend, now time.Time, owner Owner) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("trains: seed: %w", err)
	}
	defer tx.Rollback()
	// Instances starting together take turns, so only the first one seeds.
	if err := b.lockVersion(ctx, tx); err != nil {
		return fmt.Errorf("trains: seed: %w", err)
	}
	var n int
	if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM trains").Scan(&n); err != nil {
		return fmt.Errorf("trains: seed: %w", err)
	}
	var seeded int
	if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM events WHERE type = 'SEED'").Scan(&seeded); err != nil {
		return fmt.Errorf("trains: seed: %w", err)
	}
	if n > 0 || seeded > 0 { // seed only once, even if the user later deletes every train
		return nil
	}
	type car struct {
		id, train int64
		pos, cap  int
		doors     int // seed car number for sensors, 0 = none
	}
	trains := []struct {
		id      int64
		name    string
		running bool
	}{
		{1000, "신림-성수", true},
		{1002, "잠실-을지로3가", false},
		{1004, "홍대입구-서울대입구", false},
	}
	// Seoul Metro counts 160 passengers (seated and standing) as a car's
	// capacity, 100 %: the sandbox's simulator fills them to that scale.
	cars := []car{
		{2000, 1000, 1, 160, 1}, {2001, 1000, 2, 160, 2}, {2002, 1000, 3, 160, 3},
		{2003, 1002, 1, 160, 0}, {2004, 1002, 2, 160, 0}, {2005, 1002, 3, 160, 0},
	}
	for _, t := range trains {
		if _, err := tx.ExecContext(ctx, "INSERT INTO trains(id, name, running, owner_id, owner_login, owner_zone) VALUES(?,?,?,?,?,?)",
			t.id, t.name, t.running, owner.ID, owner.Login, owner.Zone); err != nil {
			return fmt.Errorf("trains: seed: %w", err)
		}
	}
	for _, c := range cars {
		if _, err := tx.ExecContext(ctx, "INSERT INTO cars(id, train_id, position, capacity) VALUES(?,?,?,?)", c.id, c.train, c.pos, c.cap); err != nil {
			return fmt.Errorf("trains: seed: %w", err)
		}
		for d := 1; c.doors > 0 && d <= 4; d++ {
			if _, err := tx.ExecContext(ctx, "INSERT INTO doors(sensor_id, car_id, label) VALUES(?,?,?)",
				SeedSensorID(c.doors, d), c.id, fmt.Sprintf("Door %d", d)); err != nil {
				return fmt.Errorf("trains: seed: %w", err)
			}
		}
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO events(time, type, outcome, reason) VALUES(?, 'SEED', 'seeded', 'demo data')", now.UnixMilli()); err != nil {
		return fmt.Errorf("trains: seed: %w", err)
	}
	return tx.Commit()
}

// ---- reads (read-only pool; WAL lets them run beside the writer) ----

// Snapshot is every train with its cars and doors, and the version it is at
// least as new as.
type Snapshot struct {
	Seq    uint64
	Trains []Train
}

// Snapshot reads every train, its cars (in order) and their doors.
func (s *Store) Snapshot(ctx context.Context) (Snapshot, error) {
	seq := s.seq.Load() // read before the data: the data is at least this new
	ts, err := s.Trains(ctx)
	return Snapshot{Seq: seq, Trains: ts}, err
}

// Trains reads every train with its cars and doors, ordered by id, whoever
// owns it (for the operator and tests; screens use TrainsFor).
func (s *Store) Trains(ctx context.Context) ([]Train, error) {
	return s.readTrains(ctx, 0, nil)
}

// Train reads one train with its cars and doors.
func (s *Store) Train(ctx context.Context, id int64) (Train, error) {
	ts, err := s.readTrains(ctx, id, nil)
	if err != nil {
		return Train{}, err
	}
	if len(ts) == 0 {
		return Train{}, errf(ErrNotFound, "train %d", id)
	}
	return ts[0], nil
}

// readTrains reads one train (only) or all, and with p only those p may see,
// each with p's role.
func (s *Store) readTrains(ctx context.Context, only int64, p *Principal) ([]Train, error) {
	conn, err := s.rdb.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("trains: read: %w", err)
	}
	defer conn.Close()
	// One read transaction, so trains, cars and doors are one consistent view.
	tx, err := conn.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("trains: read: %w", err)
	}
	defer tx.Rollback()

	where, args := "", []any{}
	if only != 0 {
		where, args = " WHERE id = ?", []any{only}
	}
	var roles map[int64]Role
	if p != nil {
		if roles, err = s.rolesTx(ctx, tx, *p); err != nil {
			return nil, err
		}
	}
	rows, err := tx.QueryContext(ctx, "SELECT id, name, running, owner_id, owner_login, owner_zone FROM trains"+where+" ORDER BY id", args...)
	if err != nil {
		return nil, fmt.Errorf("trains: read: %w", err)
	}
	var out []Train
	idx := map[int64]int{}
	for rows.Next() {
		var t Train
		if err := rows.Scan(&t.ID, &t.Name, &t.Running, &t.OwnerID, &t.OwnerLogin, &t.OwnerZone); err != nil {
			rows.Close()
			return nil, fmt.Errorf("trains: read: %w", err)
		}
		if p != nil {
			if t.Role = s.roleOf(*p, t, roles); t.Role == RoleNone {
				continue
			}
		}
		idx[t.ID] = len(out)
		out = append(out, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("trains: read: %w", err)
	}

	cw := ""
	if only != 0 {
		cw = " WHERE train_id = ?"
	}
	if len(out) == 0 {
		return out, nil
	}
	cars, err := queryCars(ctx, tx, cw, args...)
	if err != nil {
		return nil, err
	}
	for _, c := range cars {
		if i, ok := idx[c.TrainID]; ok {
			out[i].Cars = append(out[i].Cars, c)
		}
	}
	return out, nil
}

type querier interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

// queryCars reads cars (with doors) matching where, ordered by train and position.
func queryCars(ctx context.Context, q querier, where string, args ...any) ([]Car, error) {
	rows, err := q.QueryContext(ctx, "SELECT id, train_id, position, capacity, count, updated_at FROM cars"+where+" ORDER BY train_id, position, id", args...)
	if err != nil {
		return nil, fmt.Errorf("trains: read cars: %w", err)
	}
	var cars []Car
	idx := map[int64]int{}
	for rows.Next() {
		var c Car
		var upd int64
		if err := rows.Scan(&c.ID, &c.TrainID, &c.Position, &c.Capacity, &c.Count, &upd); err != nil {
			rows.Close()
			return nil, fmt.Errorf("trains: read cars: %w", err)
		}
		c.UpdatedAt = msTime(upd)
		idx[c.ID] = len(cars)
		cars = append(cars, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("trains: read cars: %w", err)
	}
	if len(cars) == 0 {
		return cars, nil
	}
	dw := ""
	if where != "" {
		dw = " WHERE car_id IN (SELECT id FROM cars" + where + ")"
	}
	drows, err := q.QueryContext(ctx, "SELECT sensor_id, car_id, label, inverted FROM doors"+dw+" ORDER BY car_id, label, sensor_id", args...)
	if err != nil {
		return nil, fmt.Errorf("trains: read doors: %w", err)
	}
	defer drows.Close()
	for drows.Next() {
		var d Door
		var car int64
		if err := drows.Scan(&d.SensorID, &car, &d.Label, &d.Inverted); err != nil {
			return nil, fmt.Errorf("trains: read doors: %w", err)
		}
		if i, ok := idx[car]; ok {
			cars[i].Doors = append(cars[i].Doors, d)
		}
	}
	if err := drows.Err(); err != nil {
		return nil, fmt.Errorf("trains: read doors: %w", err)
	}
	return cars, nil
}

// Car reads one car with its doors.
func (s *Store) Car(ctx context.Context, id int64) (Car, error) {
	cars, err := queryCars(ctx, s.rdb, " WHERE id = ?", id)
	if err != nil {
		return Car{}, err
	}
	if len(cars) == 0 {
		return Car{}, errf(ErrNotFound, "car %d", id)
	}
	return cars[0], nil
}

// DoorOf returns the door with the given sensor and the car holding it.
func (s *Store) DoorOf(ctx context.Context, sensorID string) (Door, int64, error) {
	var d Door
	var car int64
	err := s.rdb.QueryRowContext(ctx, "SELECT sensor_id, car_id, label, inverted FROM doors WHERE sensor_id = ?", sensorID).
		Scan(&d.SensorID, &car, &d.Label, &d.Inverted)
	if errors.Is(err, sql.ErrNoRows) {
		return Door{}, 0, errf(ErrUnknownSensor, "sensor %q", sensorID)
	}
	if err != nil {
		return Door{}, 0, fmt.Errorf("trains: read door: %w", err)
	}
	return d, car, nil
}

// EventFilter selects events. Zero fields match everything.
type EventFilter struct {
	TrainID  int64
	CarID    int64
	SensorID string
	Outcome  Outcome
	BeforeID int64 // only events with a smaller id (paging, newest first)
	// Trains, when not nil, limits the events to these trains (the ones
	// the reader may see); an empty list matches nothing.
	Trains []int64
	Limit  int // default 100, at most 1000; ignored by EachEvent
}

func (f EventFilter) where() (string, []any) {
	var conds []string
	var args []any
	add := func(c string, a any) { conds = append(conds, c); args = append(args, a) }
	if f.TrainID != 0 {
		add("train_id = ?", f.TrainID)
	}
	if f.CarID != 0 {
		add("car_id = ?", f.CarID)
	}
	if f.SensorID != "" {
		add("sensor_id = ?", f.SensorID)
	}
	if f.Outcome != "" {
		add("outcome = ?", string(f.Outcome))
	}
	if f.BeforeID > 0 {
		add("id < ?", f.BeforeID)
	}
	if f.Trains != nil {
		if len(f.Trains) == 0 {
			conds = append(conds, "1 = 0")
		} else {
			in := "train_id IN (?" + strings.Repeat(",?", len(f.Trains)-1) + ")"
			conds = append(conds, in)
			for _, id := range f.Trains {
				args = append(args, id)
			}
		}
	}
	conds = append(conds, "type <> 'SEED'")
	w := " WHERE "
	for i, c := range conds {
		if i > 0 {
			w += " AND "
		}
		w += c
	}
	return w, args
}

const eventCols = "id, time, train_id, car_id, sensor_id, type, outcome, delta, count_after, event_key, reason"

func scanEvent(rows *sql.Rows) (Event, error) {
	var e Event
	var t int64
	var typ, out string
	err := rows.Scan(&e.ID, &t, &e.TrainID, &e.CarID, &e.SensorID, &typ, &out, &e.Delta, &e.CountAfter, &e.EventKey, &e.Reason)
	e.Time, e.Type, e.Outcome = msTime(t), EventType(typ), Outcome(out)
	return e, err
}

// Events returns events matching f, newest first.
func (s *Store) Events(ctx context.Context, f EventFilter) ([]Event, error) {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	if f.Limit > 1000 {
		f.Limit = 1000
	}
	var out []Event
	err := s.eachEvent(ctx, f, f.Limit, func(e Event) error { out = append(out, e); return nil })
	return out, err
}

// EachEvent calls fn for every event matching f, newest first (for exports).
// fn's error stops the scan and is returned.
func (s *Store) EachEvent(ctx context.Context, f EventFilter, fn func(Event) error) error {
	return s.eachEvent(ctx, f, -1, fn)
}

func (s *Store) eachEvent(ctx context.Context, f EventFilter, limit int, fn func(Event) error) error {
	w, args := f.where()
	lim := ""
	if limit >= 0 {
		lim = " LIMIT " + strconv.Itoa(limit)
	}
	rows, err := s.rdb.QueryContext(ctx, "SELECT "+eventCols+" FROM events"+w+" ORDER BY id DESC"+lim, args...)
	if err != nil {
		return fmt.Errorf("trains: read events: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return fmt.Errorf("trains: read events: %w", err)
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("trains: read events: %w", err)
	}
	return nil
}

func msTime(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}

func timeMs(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}
