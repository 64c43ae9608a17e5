package trains

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// batching is how the writer groups pushes into one commit by default.
type batching struct {
	maxBatch    int           // operations in one transaction at most
	maxDelay    time.Duration // the longest a batch is held open to grow
	sharedDelay time.Duration // maxDelay while other instances commit between this one's batches
}

// backend is what differs between the two databases. Everything else —
// queries, the writer, the rules — is shared, so behaviour cannot drift;
// the contract tests run the same test functions against both.
type backend interface {
	name() string
	// lockVersion starts a write transaction by taking the version row's
	// lock, so concurrent writers (other instances) commit one after the
	// other and never deadlock on cars locked in different orders.
	lockVersion(ctx context.Context, tx *sql.Tx) error
	// pushes counts a run of valid pushes in order, inside tx, or when tx
	// is nil (only where alone) as one statement on db that is its own
	// transaction. A backend that also gives the change its version and
	// announces it returns that version; 0 leaves it to the writer (bump).
	pushes(ctx context.Context, db *sql.DB, tx *sql.Tx, in []Push, nowMs int64) ([]pushOut, uint64, error)
	// alone reports whether pushes can run without a transaction around it
	// (one round trip per batch instead of BEGIN … COMMIT).
	alone() bool
	// batching is the writer's default group commit for this database.
	batching() batching
	// notify tells the other instances about a committed change (inside tx:
	// delivered on commit, never for a rolled-back change).
	notify(ctx context.Context, tx *sql.Tx, u Update) error
	// nextVersion bumps and returns the database's version (inside tx).
	nextVersion(ctx context.Context, tx *sql.Tx) (int64, error)
	// pushedCars is the cars (ids) as the pushes outs left them, when the
	// backend knows the rest of each car; nil: read them from the database.
	pushedCars(ids []int64, outs []pushOut, now time.Time) []Car
	// forget drops whatever the backend remembers of trains, cars and doors
	// (after a change by the writer).
	forget()
	// listens reports whether changes reach the hub through the database's
	// notifications (every instance, this one included) rather than straight
	// from the writer.
	listens() bool
}

// pushOut is what the database did with one valid push.
type pushOut struct {
	eventID    int64
	outcome    Outcome
	trainID    int64
	carID      int64
	delta      int
	countAfter int
	reason     string
}

//go:embed migrations
var migrationFS embed.FS

// openDB opens the write and read pools for dir (SQLite) or dbURL
// (PostgreSQL).
func openDB(ctx context.Context, dir, dbURL string) (wdb, rdb *sql.DB, b backend, path string, err error) {
	if dbURL != "" {
		return openPostgres(ctx, dbURL)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, nil, "", fmt.Errorf("trains: data dir: %w", err)
	}
	path = filepath.Join(dir, DBFile)
	// synchronous=FULL in WAL mode fsyncs the WAL on every commit, so an
	// acknowledged push survives power loss as well as kill -9. NORMAL would
	// survive kill -9 only. Group commit amortizes the fsync over every push
	// queued while the previous commit was on disk, so FULL costs little.
	common := "_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)"
	wdsn := "file:" + url.PathEscape(path) + "?" + common + "&_pragma=synchronous(FULL)&_txlock=immediate"
	rdsn := "file:" + url.PathEscape(path) + "?" + common + "&_pragma=query_only(1)"
	if wdb, err = sql.Open("sqlite", wdsn); err != nil {
		return nil, nil, nil, "", fmt.Errorf("trains: open: %w", err)
	}
	wdb.SetMaxOpenConns(1)
	wdb.SetMaxIdleConns(1)
	wdb.SetConnMaxLifetime(0)
	wdb.SetConnMaxIdleTime(0)
	sb := &sqliteBackend{}
	if err = migrate(ctx, wdb, sb); err == nil {
		err = sb.prepare(ctx, wdb)
	}
	if err != nil {
		wdb.Close()
		return nil, nil, nil, "", err
	}
	if rdb, err = sql.Open("sqlite", rdsn); err != nil {
		wdb.Close()
		return nil, nil, nil, "", fmt.Errorf("trains: open: %w", err)
	}
	rdb.SetMaxOpenConns(8)
	rdb.SetMaxIdleConns(8)
	return wdb, rdb, sb, path, nil
}

func openPostgres(ctx context.Context, dbURL string) (wdb, rdb *sql.DB, b backend, path string, err error) {
	cfg, err := pgx.ParseConfig(dbURL)
	if err != nil {
		return nil, nil, nil, "", fmt.Errorf("trains: DATABASE_URL: %w", err)
	}
	pool := func(n int) *sql.DB {
		db := sql.OpenDB(rebindConnector{stdlib.GetConnector(*cfg)})
		db.SetMaxOpenConns(n)
		db.SetMaxIdleConns(n)
		return db
	}
	// The writer keeps one connection, like on SQLite: one transaction at a
	// time per instance, group commit across instances by the version lock.
	wdb, rdb = pool(1), pool(8)
	if err := wdb.PingContext(ctx); err != nil {
		wdb.Close()
		rdb.Close()
		return nil, nil, nil, "", fmt.Errorf("trains: connect to PostgreSQL: %w", err)
	}
	pb := &pgBackend{cfg: cfg}
	if err := migrate(ctx, wdb, pb); err != nil {
		wdb.Close()
		rdb.Close()
		return nil, nil, nil, "", err
	}
	return wdb, rdb, pb, redactURL(cfg), nil
}

// redactURL names the database without its password, for logs.
func redactURL(cfg *pgx.ConnConfig) string {
	return fmt.Sprintf("postgres://%s@%s:%d/%s", cfg.User, cfg.Host, cfg.Port, cfg.Database)
}

// ---- migrations: versioned SQL files embedded in the binary ----

// migration is one numbered file of a backend's migrations.
type migration struct {
	version int // the number in its name: NNNN.sql
	sql     string
}

// migrationFiles lists the backend's migrations in version order. Numbers
// must rise but may skip (engineers reserve numbers on parallel branches);
// a database at version v gets every file numbered above v.
func migrationFiles(dialect string) ([]migration, error) {
	names, err := fs.Glob(migrationFS, "migrations/"+dialect+"/*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	out := make([]migration, len(names))
	for i, n := range names {
		b, err := migrationFS.ReadFile(n)
		if err != nil {
			return nil, err
		}
		var v int
		if _, err := fmt.Sscanf(filepath.Base(n), "%04d.sql", &v); err != nil || v < 1 || fmt.Sprintf("%04d.sql", v) != filepath.Base(n) ||
			(i > 0 && v <= out[i-1].version) {
			return nil, fmt.Errorf("trains: migration %s: want NNNN.sql, numbers rising", n)
		}
		out[i] = migration{version: v, sql: string(b)}
	}
	return out, nil
}

// migrate brings the schema to the newest version, one transaction per
// file. The version lives in PRAGMA user_version on SQLite (as before these
// files existed) and in schema_version on PostgreSQL, where an advisory
// lock held for the transaction makes instances that start together take
// turns: the first migrates, the others then find nothing left to do.
func migrate(ctx context.Context, db *sql.DB, b backend) error {
	files, err := migrationFiles(b.name())
	if err != nil {
		return err
	}
	for {
		done, err := migrateStep(ctx, db, b, files)
		if err != nil || done {
			return err
		}
	}
}

func migrateStep(ctx context.Context, db *sql.DB, b backend, files []migration) (done bool, err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("trains: migrate: %w", err)
	}
	defer tx.Rollback()
	var v int
	if b.name() == "postgres" {
		for _, q := range []string{
			"SELECT pg_advisory_xact_lock(7231001)", // any fixed number, the same in every instance
			"CREATE TABLE IF NOT EXISTS schema_version (id INTEGER PRIMARY KEY CHECK (id = 1), v INTEGER NOT NULL)",
			"INSERT INTO schema_version(id, v) VALUES (1, 0) ON CONFLICT DO NOTHING",
		} {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return false, fmt.Errorf("trains: migrate: %w", err)
			}
		}
		err = tx.QueryRowContext(ctx, "SELECT v FROM schema_version").Scan(&v)
	} else {
		err = tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v)
	}
	if err != nil {
		return false, fmt.Errorf("trains: schema version: %w", err)
	}
	last := 0
	if len(files) > 0 {
		last = files[len(files)-1].version
	}
	if v > last {
		return false, fmt.Errorf("trains: database schema version %d is newer than this binary (%d)", v, last)
	}
	i := sort.Search(len(files), func(i int) bool { return files[i].version > v })
	if i == len(files) {
		return true, nil
	}
	m := files[i]
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return false, fmt.Errorf("trains: migration %d: %w", m.version, err)
	}
	set := fmt.Sprintf("PRAGMA user_version = %d", m.version)
	if b.name() == "postgres" {
		set = fmt.Sprintf("UPDATE schema_version SET v = %d", m.version)
	}
	if _, err := tx.ExecContext(ctx, set); err != nil {
		return false, fmt.Errorf("trains: migration %d: %w", m.version, err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("trains: migration %d: %w", m.version, err)
	}
	return false, nil
}

// ---- PostgreSQL placeholders ----

// rebind turns the ? placeholders the shared queries use into PostgreSQL's
// $1, $2, … (outside string literals).
func rebind(q string) string {
	if !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	n, quoted := 0, false
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case c == '\'':
			quoted = !quoted
		case c == '?' && !quoted:
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// rebindConnector wraps pgx's database/sql connector so every query is
// rebound on its way to the server.
type rebindConnector struct{ driver.Connector }

func (c rebindConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &rebindConn{conn.(*stdlib.Conn)}, nil
}

// rebindConn is a pgx connection that rebinds placeholders. It passes on
// every optional interface database/sql looks for.
type rebindConn struct{ *stdlib.Conn }

func (c *rebindConn) Prepare(q string) (driver.Stmt, error) { return c.Conn.Prepare(rebind(q)) }
func (c *rebindConn) PrepareContext(ctx context.Context, q string) (driver.Stmt, error) {
	return c.Conn.PrepareContext(ctx, rebind(q))
}
func (c *rebindConn) ExecContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Result, error) {
	return c.Conn.ExecContext(ctx, rebind(q), args)
}
func (c *rebindConn) QueryContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Rows, error) {
	return c.Conn.QueryContext(ctx, rebind(q), args)
}

// Exclusive runs fn while no other instance runs an Exclusive fn on the same
// database (a PostgreSQL advisory lock; on SQLite one process owns the
// file). Sibling packages create their tables in it, so instances that
// start together do not race on CREATE TABLE.
func (s *Store) Exclusive(ctx context.Context, fn func() error) error {
	if s.backend.name() != "postgres" {
		return fn()
	}
	conn, err := s.rdb.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	const key = 7231002 // any fixed number, the same in every instance
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(?)", key); err != nil {
		return err
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(?)", key)
	return fn()
}
