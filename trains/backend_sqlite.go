package trains

import (
	"context"
	"database/sql"
	"errors"
)

// sqliteBackend is the embedded single-instance database: one process owns
// the file, so the writer's own publishing is the whole truth.
type sqliteBackend struct{}

func (sqliteBackend) name() string  { return "sqlite" }
func (sqliteBackend) listens() bool { return false }

// The write transaction is BEGIN IMMEDIATE: it holds the only write lock.
func (sqliteBackend) lockVersion(context.Context, *sql.Tx) error    { return nil }
func (sqliteBackend) notify(context.Context, *sql.Tx, Update) error { return nil }

// pushes follows, statement by statement, what the PostgreSQL function
// trains_push (migrations/postgres/0004.sql) does in one round trip.
func (sqliteBackend) pushes(ctx context.Context, tx *sql.Tx, in []Push, nowMs int64) ([]pushOut, error) {
	out := make([]pushOut, len(in))
	for i, p := range in {
		o := &out[i]
		var inverted bool
		err := tx.QueryRowContext(ctx, "SELECT d.car_id, d.inverted, c.train_id FROM doors d JOIN cars c ON c.id = d.car_id WHERE d.sensor_id = ?", p.SensorID).
			Scan(&o.carID, &inverted, &o.trainID)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			o.outcome = OutcomeUnknownSensor
		case err != nil:
			return nil, err
		default:
			if err := countPush(ctx, tx, p, inverted, nowMs, o); err != nil {
				return nil, err
			}
		}
		err = tx.QueryRowContext(ctx, "INSERT INTO events(time, train_id, car_id, sensor_id, type, outcome, delta, count_after, event_key, reason) VALUES(?,?,?,?,?,?,?,?,?,?) RETURNING id",
			nowMs, o.trainID, o.carID, p.SensorID, string(p.Type), string(o.outcome), o.delta, o.countAfter, p.EventKey, o.reason).Scan(&o.eventID)
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// countPush records the push's key (a duplicate is not counted again) and
// moves the count by one in a single clamped statement.
func countPush(ctx context.Context, tx *sql.Tx, p Push, inverted bool, nowMs int64, o *pushOut) error {
	if p.EventKey != "" {
		r, err := tx.ExecContext(ctx, "INSERT INTO event_keys(key) VALUES(?) ON CONFLICT DO NOTHING", p.EventKey)
		if err != nil {
			return err
		}
		if n, _ := r.RowsAffected(); n == 0 {
			o.outcome = OutcomeDuplicate
			return tx.QueryRowContext(ctx, "SELECT count FROM cars WHERE id = ?", o.carID).Scan(&o.countAfter)
		}
	}
	o.delta = 1
	if p.Type == TypeOut {
		o.delta = -1
	}
	if inverted {
		o.delta, o.reason = -o.delta, "inverted door"
	}
	err := tx.QueryRowContext(ctx, "UPDATE cars SET count = count + ?, updated_at = ? WHERE id = ? AND count + ? >= 0 RETURNING count",
		o.delta, nowMs, o.carID, o.delta).Scan(&o.countAfter)
	if errors.Is(err, sql.ErrNoRows) {
		o.outcome, o.delta = OutcomeClamped, 0
		return tx.QueryRowContext(ctx, "SELECT count FROM cars WHERE id = ?", o.carID).Scan(&o.countAfter)
	}
	o.outcome = OutcomeApplied
	return err
}
