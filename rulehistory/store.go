// Package rulehistory keeps a snapshot of a Thing+ rule before every change
// made through the app (create, edit, switch, delete, restore, import), per
// Thing+ account, in the app's own database. It knows nothing of HTTP.
//
// The SQL is kept portable (no SQLite-only syntax besides the integer key,
// which PostgreSQL spells as an identity column) so the same tables can live
// in PostgreSQL.
package rulehistory

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Actions recorded.
const (
	Create  = "create"
	Update  = "update"
	Toggle  = "toggle"
	Delete  = "delete"
	Restore = "restore"
	Import  = "import"
)

// ErrNotFound is a version that does not exist for this account.
var ErrNotFound = errors.New("rulehistory: no such version")

// Version is one snapshot: the rule as Thing+ returned it just before the
// change (for a create, the rule as created).
type Version struct {
	ID       int64
	Account  string // Thing+ user id: a version is never shown to another account
	RuleID   string
	RuleName string
	Action   string
	Actor    string // login id of who made the change
	At       time.Time
	Body     json.RawMessage
	Note     string // e.g. "restored as rule 12"
}

// Store is the history tables on a shared database.
type Store struct {
	db  *sql.DB
	now func() time.Time
}

// Tables are the tables this package keeps in the app's database (moved
// with the trains by export and import).
var Tables = []string{"rule_versions"}

var migrations = []string{
	`CREATE TABLE rule_versions (
		id        INTEGER PRIMARY KEY,
		account   TEXT    NOT NULL,
		rule_id   TEXT    NOT NULL,
		rule_name TEXT    NOT NULL,
		action    TEXT    NOT NULL,
		actor     TEXT    NOT NULL,
		at        BIGINT  NOT NULL,
		body      TEXT    NOT NULL,
		note      TEXT    NOT NULL DEFAULT ''
	)`,
	`CREATE INDEX rule_versions_rule ON rule_versions (account, rule_id, id)`,
	`CREATE INDEX rule_versions_at ON rule_versions (account, at)`,
}

// Open creates or migrates the history tables. now may be nil (time.Now).
func Open(ctx context.Context, db *sql.DB, now func() time.Time) (*Store, error) {
	if now == nil {
		now = time.Now
	}
	if err := migrate(ctx, db, "rulehistory", migrations); err != nil {
		return nil, err
	}
	return &Store{db: db, now: now}, nil
}

// migrate applies the statements a component has not applied yet, each in
// its own transaction with its version (a table of versions per component,
// so packages sharing a database migrate independently).
func migrate(ctx context.Context, db *sql.DB, component string, steps []string) error {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_versions (component TEXT PRIMARY KEY, version INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("%s: schema versions: %w", component, err)
	}
	var v int
	err := db.QueryRowContext(ctx, `SELECT version FROM schema_versions WHERE component = ?`, component).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		_, err = db.ExecContext(ctx, `INSERT INTO schema_versions (component, version) VALUES (?, 0)`, component)
	}
	if err != nil {
		return fmt.Errorf("%s: schema version: %w", component, err)
	}
	if v > len(steps) {
		return fmt.Errorf("%s: database schema version %d is newer than this binary (%d)", component, v, len(steps))
	}
	for i := v; i < len(steps); i++ {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("%s: migrate: %w", component, err)
		}
		_, err = tx.ExecContext(ctx, steps[i])
		if err == nil {
			_, err = tx.ExecContext(ctx, `UPDATE schema_versions SET version = ? WHERE component = ?`, i+1, component)
		}
		if err == nil {
			err = tx.Commit()
		} else {
			_ = tx.Rollback()
		}
		if err != nil {
			return fmt.Errorf("%s: migration %d: %w", component, i+1, err)
		}
	}
	return nil
}

// Record stores a snapshot and returns it with its id and time.
func (s *Store) Record(ctx context.Context, v Version) (Version, error) {
	if v.Account == "" || v.RuleID == "" || len(v.Body) == 0 {
		return v, errors.New("rulehistory: a version needs an account, a rule id and a body")
	}
	v.At = s.now()
	// The id is picked in the statement rather than left to SQLite's rowid:
	// the same SQL then works on PostgreSQL (DATABASE_URL), which has no
	// last insert id. Two instances picking the same id at once collide on
	// the primary key; the loser tries again.
	var err error
	for try := 0; try < 3; try++ {
		err = s.db.QueryRowContext(ctx, `INSERT INTO rule_versions (id, account, rule_id, rule_name, action, actor, at, body, note)
			VALUES ((SELECT COALESCE(MAX(id), 0) + 1 FROM rule_versions), ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			v.Account, v.RuleID, v.RuleName, v.Action, v.Actor, v.At.UnixMilli(), string(v.Body), v.Note).Scan(&v.ID)
		if err == nil {
			return v, nil
		}
	}
	return v, fmt.Errorf("rulehistory: record: %w", err)
}

const cols = `id, account, rule_id, rule_name, action, actor, at, body, note`

func scan(rows interface{ Scan(...any) error }) (Version, error) {
	var v Version
	var at int64
	var body string
	err := rows.Scan(&v.ID, &v.Account, &v.RuleID, &v.RuleName, &v.Action, &v.Actor, &at, &body, &v.Note)
	v.At, v.Body = time.UnixMilli(at), json.RawMessage(body)
	return v, err
}

func (s *Store) query(ctx context.Context, q string, args ...any) ([]Version, error) {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("rulehistory: %w", err)
	}
	defer rows.Close()
	var out []Version
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("rulehistory: %w", err)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// Versions lists a rule's snapshots, newest first.
func (s *Store) Versions(ctx context.Context, account, ruleID string) ([]Version, error) {
	return s.query(ctx, `SELECT `+cols+` FROM rule_versions WHERE account = ? AND rule_id = ? ORDER BY id DESC`, account, ruleID)
}

// Version returns one snapshot of the account.
func (s *Store) Version(ctx context.Context, account string, id int64) (Version, error) {
	vs, err := s.query(ctx, `SELECT `+cols+` FROM rule_versions WHERE account = ? AND id = ?`, account, id)
	if err != nil {
		return Version{}, err
	}
	if len(vs) == 0 {
		return Version{}, ErrNotFound
	}
	return vs[0], nil
}

// Latest lists the newest snapshot of every rule the account has history
// for (deleted rules included), newest first.
func (s *Store) Latest(ctx context.Context, account string) ([]Version, error) {
	return s.query(ctx, `SELECT `+cols+` FROM rule_versions WHERE id IN
		(SELECT MAX(id) FROM rule_versions WHERE account = ? GROUP BY rule_id) ORDER BY id DESC`, account)
}

// Since lists the account's snapshots made after t, oldest first.
func (s *Store) Since(ctx context.Context, account string, t time.Time) ([]Version, error) {
	return s.query(ctx, `SELECT `+cols+` FROM rule_versions WHERE account = ? AND at > ? ORDER BY id`, account, t.UnixMilli())
}
