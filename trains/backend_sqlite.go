package trains

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// sqliteBackend is the embedded single-instance database: one process owns
// the file, so the writer's own publishing is the whole truth, and the
// door → car map can be kept in memory (the writer is the only one to
// change it, and drops it after every change: forget).
type sqliteBackend struct {
	doors map[string]doorRef // nil: read again before the next push

	insKey, updCar, selCount, insEvent *sql.Stmt
}

// doorRef is where a sensor's pushes go.
type doorRef struct {
	car, train int64
	inverted   bool
}

func (*sqliteBackend) name() string  { return "sqlite" }
func (*sqliteBackend) listens() bool { return false }
func (b *sqliteBackend) forget()     { b.doors = nil }

// The write transaction is BEGIN IMMEDIATE: it holds the only write lock.
func (*sqliteBackend) lockVersion(context.Context, *sql.Tx) error    { return nil }
func (*sqliteBackend) notify(context.Context, *sql.Tx, Update) error { return nil }

// prepare readies the statements of every push on the write connection
// (parsed once, not once per push).
func (b *sqliteBackend) prepare(ctx context.Context, db *sql.DB) error {
	var err error
	prep := func(q string) *sql.Stmt {
		if err != nil {
			return nil
		}
		var st *sql.Stmt
		st, err = db.PrepareContext(ctx, q)
		return st
	}
	b.insKey = prep("INSERT INTO event_keys(key, at) VALUES(?, ?) ON CONFLICT DO NOTHING")
	b.updCar = prep("UPDATE cars SET count = count + ?, updated_at = ? WHERE id = ? AND count + ? >= 0 RETURNING count")
	b.selCount = prep("SELECT count FROM cars WHERE id = ?")
	b.insEvent = prep("INSERT INTO events(time, train_id, car_id, sensor_id, type, outcome, delta, count_after, event_key, reason) VALUES(?,?,?,?,?,?,?,?,?,?)")
	if err != nil {
		return fmt.Errorf("trains: prepare: %w", err)
	}
	return nil
}

func (b *sqliteBackend) loadDoors(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, "SELECT d.sensor_id, d.car_id, d.inverted, c.train_id FROM doors d JOIN cars c ON c.id = d.car_id")
	if err != nil {
		return err
	}
	defer rows.Close()
	m := make(map[string]doorRef, 64)
	for rows.Next() {
		var id string
		var d doorRef
		if err := rows.Scan(&id, &d.car, &d.inverted, &d.train); err != nil {
			return err
		}
		m[id] = d
	}
	if err := rows.Err(); err != nil {
		return err
	}
	b.doors = m
	return nil
}

// pushes follows, statement by statement, what the PostgreSQL function
// trains_push (migrations/postgres/0004.sql) does in one round trip.
func (b *sqliteBackend) pushes(ctx context.Context, tx *sql.Tx, in []Push, nowMs int64) ([]pushOut, error) {
	if len(in) == 0 {
		return nil, nil
	}
	if b.doors == nil {
		if err := b.loadDoors(ctx, tx); err != nil {
			return nil, err
		}
	}
	st := pushStmts{
		insKey: tx.StmtContext(ctx, b.insKey), updCar: tx.StmtContext(ctx, b.updCar),
		selCount: tx.StmtContext(ctx, b.selCount),
	}
	insEvent := tx.StmtContext(ctx, b.insEvent)
	out := make([]pushOut, len(in))
	for i, p := range in {
		o := &out[i]
		d, ok := b.doors[p.SensorID]
		switch {
		case !ok:
			o.outcome = OutcomeUnknownSensor
		case p.TrainID != 0 && d.train != p.TrainID:
			o.outcome, o.trainID, o.carID = OutcomeWrongTrain, d.train, d.car
			continue // refused without a row
		default:
			o.trainID, o.carID = d.train, d.car
			if err := st.count(ctx, p, d.inverted, nowMs, o); err != nil {
				return nil, err
			}
		}
		r, err := insEvent.ExecContext(ctx, nowMs, o.trainID, o.carID, p.SensorID, string(p.Type), string(o.outcome), o.delta, o.countAfter, p.EventKey, o.reason)
		if err == nil {
			o.eventID, err = r.LastInsertId()
		}
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

type pushStmts struct{ insKey, updCar, selCount *sql.Stmt }

// count records the push's key (a duplicate is not counted again) and
// moves the count by one in a single clamped statement.
func (st pushStmts) count(ctx context.Context, p Push, inverted bool, nowMs int64, o *pushOut) error {
	if p.EventKey != "" {
		r, err := st.insKey.ExecContext(ctx, p.EventKey, nowMs)
		if err != nil {
			return err
		}
		if n, _ := r.RowsAffected(); n == 0 {
			o.outcome = OutcomeDuplicate
			return st.selCount.QueryRowContext(ctx, o.carID).Scan(&o.countAfter)
		}
	}
	o.delta = 1
	if p.Type == TypeOut {
		o.delta = -1
	}
	if inverted {
		o.delta, o.reason = -o.delta, "inverted door"
	}
	err := st.updCar.QueryRowContext(ctx, o.delta, nowMs, o.carID, o.delta).Scan(&o.countAfter)
	if errors.Is(err, sql.ErrNoRows) {
		o.outcome, o.delta = OutcomeClamped, 0
		return st.selCount.QueryRowContext(ctx, o.carID).Scan(&o.countAfter)
	}
	o.outcome = OutcomeApplied
	return err
}
