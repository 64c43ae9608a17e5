// Package lastvisit remembers, per Thing+ account, when the user was last
// here and what their gateways looked like then, so the app can say what
// changed since: gateways that went silent or came back, rule firings and
// failures, rule changes made through the app, the peak crowding of each
// train and refused pushes. It knows nothing of HTTP.
package lastvisit

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Gap is how long without a page view starts a new visit.
const Gap = 30 * time.Minute

// Store keeps one row per account in the app's database.
type Store struct {
	db  *sql.DB
	now func() time.Time
}

// Visit is what is known of an account's visits.
type Visit struct {
	First     bool      // no earlier visit: nothing to summarise
	Previous  time.Time // the start of the summary: the last view of the previous visit
	Dismissed bool      // the user closed the box during this visit
	// Gateways are the gateway states (id → name, status) at the end of the
	// previous visit.
	Gateways map[string][2]string
}

// Tables are the tables this package keeps in the app's database (moved
// with the trains by export and import).
var Tables = []string{"last_visits"}

// Open creates the table if needed. now may be nil.
func Open(ctx context.Context, db *sql.DB, now func() time.Time) (*Store, error) {
	if now == nil {
		now = time.Now
	}
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS last_visits (
		account       TEXT   PRIMARY KEY,
		last_seen     BIGINT NOT NULL,
		previous      BIGINT NOT NULL,
		dismissed     BIGINT NOT NULL DEFAULT 0,
		gateways_last TEXT   NOT NULL DEFAULT '{}',
		gateways_prev TEXT   NOT NULL DEFAULT '{}'
	)`); err != nil {
		return nil, fmt.Errorf("lastvisit: %w", err)
	}
	return &Store{db: db, now: now}, nil
}

// Touch records a page view and returns the visit it belongs to. A view
// more than Gap after the last one starts a new visit, whose summary covers
// everything since that last view. gateways are the account's gateway
// states now (nil when unknown: the stored ones stay).
func (s *Store) Touch(ctx context.Context, account string, gateways map[string][2]string) (Visit, error) {
	now := s.now().UnixMilli()
	var last, prev, dismissed int64
	var gwLast, gwPrev string
	err := s.db.QueryRowContext(ctx, `SELECT last_seen, previous, dismissed, gateways_last, gateways_prev FROM last_visits WHERE account = ?`, account).
		Scan(&last, &prev, &dismissed, &gwLast, &gwPrev)
	if errors.Is(err, sql.ErrNoRows) {
		_, err = s.db.ExecContext(ctx, `INSERT INTO last_visits (account, last_seen, previous, dismissed, gateways_last, gateways_prev)
			VALUES (?, ?, 0, 0, ?, '{}')`, account, now, encode(gateways))
		return Visit{First: true}, wrap(err)
	}
	if err != nil {
		return Visit{}, wrap(err)
	}
	if now-last > Gap.Milliseconds() { // a new visit
		prev, dismissed, gwPrev = last, 0, gwLast
	}
	if gateways != nil {
		gwLast = encode(gateways)
	}
	_, err = s.db.ExecContext(ctx, `UPDATE last_visits SET last_seen = ?, previous = ?, dismissed = ?, gateways_last = ?, gateways_prev = ? WHERE account = ?`,
		now, prev, dismissed, gwLast, gwPrev, account)
	v := Visit{First: prev == 0, Previous: time.UnixMilli(prev), Dismissed: dismissed > 0}
	_ = json.Unmarshal([]byte(gwPrev), &v.Gateways)
	return v, wrap(err)
}

func encode(g map[string][2]string) string {
	if g == nil {
		return "{}"
	}
	b, _ := json.Marshal(g)
	return string(b)
}

func wrap(err error) error {
	if err != nil {
		return fmt.Errorf("lastvisit: %w", err)
	}
	return nil
}

// Dismiss hides the box until the next visit.
func (s *Store) Dismiss(ctx context.Context, account string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE last_visits SET dismissed = ? WHERE account = ?`, s.now().UnixMilli(), account)
	return wrap(err)
}
