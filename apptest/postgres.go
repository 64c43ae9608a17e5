package apptest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
)

// Postgres is a real PostgreSQL server (Debian's postgresql package) in a
// temporary directory on a random loopback port, started by the tests
// themselves. As root, initdb and postgres run as the `postgres` system
// user, which PostgreSQL requires.
type Postgres struct {
	Port  int
	dir   string
	asPG  bool // run the binaries as the postgres user
	bin   string
	dbs   atomic.Int64
	super string // superuser URL (database postgres)
}

// PostgresBin is the directory holding initdb and pg_ctl, or "" when
// PostgreSQL is not installed.
func PostgresBin() string {
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p)
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Strings(dirs)
	for i := len(dirs) - 1; i >= 0; i-- {
		if _, err := os.Stat(filepath.Join(dirs[i], "initdb")); err == nil {
			return dirs[i]
		}
	}
	return ""
}

// StartPostgres initialises a cluster in a new temporary directory and
// starts it with fsync on (the speed numbers must be honest) on a free
// port. Stop removes everything.
func StartPostgres() (*Postgres, error) {
	bin := PostgresBin()
	if bin == "" {
		return nil, errors.New("PostgreSQL is not installed (Debian: apt-get install postgresql; `go tool task deps` does it)")
	}
	dir, err := os.MkdirTemp("", "pgtest-")
	if err != nil {
		return nil, err
	}
	p := &Postgres{dir: dir, bin: bin, asPG: os.Geteuid() == 0}
	if p.asPG {
		u, err := user.Lookup("postgres")
		if err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("running as root needs the postgres system user: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	data := filepath.Join(dir, "data")
	if out, err := p.run("initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("initdb: %v: %s", err, out)
	}
	for range 5 {
		p.Port = 20000 + rand.IntN(12000)
		if ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p.Port)); err == nil {
			ln.Close()
		} else {
			continue
		}
		opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c max_connections=300 -c shared_buffers=64MB -c fsync=on -c synchronous_commit=on", p.Port, dir)
		out, err := p.run("pg_ctl", "-D", data, "-l", filepath.Join(dir, "log"), "-o", opts, "-w", "-t", "30", "start")
		if err == nil {
			p.super = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", p.Port)
			return p, nil
		}
		if !strings.Contains(string(out), "could not") {
			break
		}
	}
	log, _ := os.ReadFile(filepath.Join(dir, "log"))
	p.Stop()
	return nil, fmt.Errorf("pg_ctl start failed: %s", log)
}

func (p *Postgres) run(name string, args ...string) ([]byte, error) {
	path := filepath.Join(p.bin, name)
	var cmd *exec.Cmd
	if p.asPG {
		cmd = exec.Command("runuser", append([]string{"-u", "postgres", "--", path}, args...)...)
	} else {
		cmd = exec.Command(path, args...)
	}
	cmd.Dir = p.dir
	return cmd.CombinedOutput()
}

// NewDatabase creates an empty database and returns its URL.
func (p *Postgres) NewDatabase(ctx context.Context) (string, error) {
	name := fmt.Sprintf("t%d_%d", os.Getpid(), p.dbs.Add(1))
	conn, err := pgx.Connect(ctx, p.super)
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return "", err
	}
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", p.Port, name), nil
}

// Stop shuts the server down at once and removes its directory.
func (p *Postgres) Stop() {
	if p == nil || p.dir == "" {
		return
	}
	data := filepath.Join(p.dir, "data")
	if _, err := os.Stat(filepath.Join(data, "postmaster.pid")); err == nil {
		_, _ = p.run("pg_ctl", "-D", data, "-m", "immediate", "-w", "stop")
	}
	os.RemoveAll(p.dir)
	p.dir = ""
}

// ServerPID is the postmaster's process id (0 when unknown), for load
// scripts that measure the server's CPU.
func (p *Postgres) ServerPID() int {
	b, err := os.ReadFile(filepath.Join(p.dir, "data", "postmaster.pid"))
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0]))
	return pid
}
