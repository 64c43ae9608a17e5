package trains

import (
	"context"
	"sync"
	"testing"

	"github.com/thingplus/thingplus-webapp/apptest"
)

// The contract: the same test functions run against each backend, so the
// embedded SQLite file and a shared PostgreSQL cannot drift apart.

// testBackend opens stores on one backend for a contract test.
type testBackend struct{ name string }

var backends = []testBackend{{"sqlite"}, {"postgres"}}

// contract runs fn once per backend, as subtests named after them.
func contract(t *testing.T, fn func(t *testing.T, tb testBackend)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			if b.name == "postgres" {
				needPostgres(t)
			}
			fn(t, b)
		})
	}
}

// open opens the database named by dir: the SQLite file in it, or the
// PostgreSQL database made for it on first use (so reopening dir reopens
// the same database, as a restart would).
func (b testBackend) open(t testing.TB, dir string, opt Options) (*Store, error) {
	t.Helper()
	if b.name == "postgres" {
		opt.DatabaseURL = pgDatabase(t, dir)
	}
	return Open(context.Background(), dir, opt)
}

// openTest opens dir (a new one when "") and closes the store at the end.
func (b testBackend) openTest(t testing.TB, dir string) *Store {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	s, err := b.open(t, dir, Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

var pg struct {
	once   sync.Once
	server *apptest.Postgres
	err    error
	mu     sync.Mutex
	dbs    map[string]string
}

// needPostgres skips when PostgreSQL is not installed (only then) and
// starts the test server on first use.
func needPostgres(t testing.TB) {
	t.Helper()
	if apptest.PostgresBin() == "" {
		t.Skip("PostgreSQL is not installed (Debian: apt-get install postgresql)")
	}
	pg.once.Do(func() { pg.server, pg.err = apptest.StartPostgres() })
	if pg.err != nil {
		t.Fatalf("start PostgreSQL: %v", pg.err)
	}
}

func pgDatabase(t testing.TB, dir string) string {
	t.Helper()
	needPostgres(t)
	pg.mu.Lock()
	defer pg.mu.Unlock()
	if u, ok := pg.dbs[dir]; ok {
		return u
	}
	u, err := pg.server.NewDatabase(context.Background())
	if err != nil {
		t.Fatalf("create database: %v", err)
	}
	if pg.dbs == nil {
		pg.dbs = map[string]string{}
	}
	pg.dbs[dir] = u
	return u
}

// stopPostgres ends the test server, if one was started (from TestMain).
func stopPostgres() { pg.server.Stop() }
