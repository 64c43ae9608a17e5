package trains

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"
)

// sqliteBackend is the embedded single-instance database: one process owns
// the file, so the writer's own publishing is the whole truth, and the
// door → car map can be kept in memory (the writer is the only one to
// change it, and drops it after every change: forget).
type sqliteBackend struct {
	doors map[string]doorRef // nil: read again before the next push
	cars  map[int64]Car      // with their doors; counts as last read

	insKey, updCar, version *sql.Stmt
	insEvents               map[int]*sql.Stmt // INSERTs of 1 and eventChunk rows
}

// doorRef is where a sensor's pushes go.
type doorRef struct {
	car, train int64
	inverted   bool
}

func (*sqliteBackend) name() string  { return "sqlite" }
func (*sqliteBackend) listens() bool { return false }
func (b *sqliteBackend) forget()     { b.doors, b.cars = nil, nil }

func (b *sqliteBackend) nextVersion(ctx context.Context, tx *sql.Tx) (int64, error) {
	var v int64
	err := tx.StmtContext(ctx, b.version).QueryRowContext(ctx).Scan(&v)
	return v, err
}

// pushedCars builds the changed cars from memory: the writer is the only
// one to change a car, and forgets them after every change but a push.
func (b *sqliteBackend) pushedCars(ids []int64, outs []pushOut, now time.Time) []Car {
	if b.cars == nil || len(ids) == 0 {
		return nil
	}
	for _, o := range outs {
		if o.outcome == OutcomeApplied {
			c := b.cars[o.carID]
			c.Count, c.UpdatedAt = o.countAfter, now
			b.cars[o.carID] = c
		}
	}
	out := make([]Car, 0, len(ids))
	for _, id := range ids {
		c, ok := b.cars[id]
		if !ok {
			return nil
		}
		out = append(out, c)
	}
	return out
}

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
	b.updCar = prep("UPDATE cars SET count = ?, updated_at = ? WHERE id = ?")
	b.version = prep("UPDATE trains_version SET v = v + 1 WHERE id = 1 RETURNING v")
	b.insEvents = map[int]*sql.Stmt{}
	for _, n := range []int{1, eventChunk} {
		b.insEvents[n] = prep("INSERT INTO events(time, train_id, car_id, sensor_id, type, outcome, delta, count_after, event_key, reason) VALUES" +
			strings.TrimSuffix(strings.Repeat("(?,?,?,?,?,?,?,?,?,?),", n), ","))
	}
	if err != nil {
		return fmt.Errorf("trains: prepare: %w", err)
	}
	return nil
}

func (b *sqliteBackend) loadDoors(ctx context.Context, tx *sql.Tx) error {
	cars, err := queryCars(ctx, tx, "")
	if err != nil {
		return err
	}
	b.doors, b.cars = make(map[string]doorRef, 64), make(map[int64]Car, len(cars))
	for _, c := range cars {
		b.cars[c.ID] = c
		for _, d := range c.Doors {
			b.doors[d.SensorID] = doorRef{car: c.ID, train: c.TrainID, inverted: d.Inverted}
		}
	}
	return nil
}

// count counts a run of pushes in order, with the rules of the PostgreSQL
// function trains_push_batch (migrations/postgres/0006.sql): an unknown sensor is
// logged, another train's sensor refused without a row, a key seen before
// is a duplicate, otherwise the count moves by one, never below zero. One
// process owns the file and the writer is its only writer, so the counts
// read with the doors (inside a write transaction) plus the pushes counted
// since are the database's; each changed car is written once per
// transaction. The maps are forgotten after any other change and after a
// failed transaction.
func (b *sqliteBackend) pushes(ctx context.Context, _ *sql.DB, tx *sql.Tx, in []Push, nowMs int64) ([]pushOut, uint64, error) {
	out, err := b.count(ctx, tx, in, nowMs)
	return out, 0, err // the writer versions the change (bump)
}

// alone is false: the write lock is BEGIN IMMEDIATE's, and the statements
// of a batch are many (prepared, no round trips: SQLite is in process).
func (*sqliteBackend) alone() bool { return false }

// batching: the commit's fsync is most of a batch's cost, so a batch waits
// up to 1 ms to grow to the size of recent ones; this process is the only
// writer.
func (*sqliteBackend) batching() batching {
	return batching{maxBatch: 2048, maxDelay: time.Millisecond}
}

func (b *sqliteBackend) count(ctx context.Context, tx *sql.Tx, in []Push, nowMs int64) ([]pushOut, error) {
	if len(in) == 0 {
		return nil, nil
	}
	if b.doors == nil {
		if err := b.loadDoors(ctx, tx); err != nil {
			return nil, err
		}
	}
	insKey := tx.StmtContext(ctx, b.insKey)
	out := make([]pushOut, len(in))
	logged := make([]int, 0, len(in)) // the pushes that get an event row
	var touched []int64
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
			dup, err := b.newKey(ctx, insKey, p.EventKey, nowMs)
			if err != nil {
				return nil, err
			}
			c := b.cars[d.car]
			if !dup {
				o.delta = 1
				if p.Type == TypeOut {
					o.delta = -1
				}
				if d.inverted {
					o.delta, o.reason = -o.delta, "inverted door"
				}
			}
			switch {
			case dup:
				o.outcome = OutcomeDuplicate
			case c.Count+o.delta < 0:
				o.outcome, o.delta = OutcomeClamped, 0
			default:
				o.outcome = OutcomeApplied
				if !slices.Contains(touched, c.ID) { // a train has a few cars
					touched = append(touched, c.ID)
				}
				c.Count += o.delta
				c.UpdatedAt = msTime(nowMs)
				b.cars[d.car] = c
			}
			o.countAfter = c.Count
		}
		logged = append(logged, i)
	}
	upd := tx.StmtContext(ctx, b.updCar)
	for _, id := range touched {
		c := b.cars[id]
		if _, err := upd.ExecContext(ctx, c.Count, nowMs, id); err != nil {
			return nil, err
		}
	}
	if err := b.logEvents(ctx, tx, in, out, logged, nowMs); err != nil {
		return nil, err
	}
	return out, nil
}

// newKey records an event key; dup when it was recorded before.
func (b *sqliteBackend) newKey(ctx context.Context, insKey *sql.Stmt, key string, nowMs int64) (dup bool, err error) {
	if key == "" {
		return false, nil
	}
	r, err := insKey.ExecContext(ctx, key, nowMs)
	if err != nil {
		return false, err
	}
	n, err := r.RowsAffected()
	return n == 0, err
}

// eventChunk is the most event rows one INSERT writes (10 values each).
const eventChunk = 16

// logEvents writes the event rows of the pushes at idx, eventChunk rows per
// statement and the rest one by one (both statements prepared once), and
// hands out their ids. The rows of one statement get consecutive ids
// ending at last_insert_rowid(): events.id is the rowid (INTEGER PRIMARY
// KEY without AUTOINCREMENT), which SQLite assigns as the largest one plus
// one, and the writer is the only one inserting.
func (b *sqliteBackend) logEvents(ctx context.Context, tx *sql.Tx, in []Push, out []pushOut, idx []int, nowMs int64) error {
	var many, one *sql.Stmt
	args := make([]any, 0, 10*eventChunk)
	for len(idx) > 0 {
		n, st := 1, &one
		if len(idx) >= eventChunk {
			n, st = eventChunk, &many
		}
		if *st == nil {
			*st = tx.StmtContext(ctx, b.insEvents[n])
		}
		args = args[:0]
		for _, i := range idx[:n] {
			p, o := in[i], out[i]
			args = append(args, nowMs, o.trainID, o.carID, p.SensorID, string(p.Type), string(o.outcome), o.delta, o.countAfter, p.EventKey, o.reason)
		}
		r, err := (*st).ExecContext(ctx, args...)
		if err != nil {
			return err
		}
		last, err := r.LastInsertId()
		if err != nil {
			return err
		}
		for j, i := range idx[:n] {
			out[i].eventID = last - int64(n-1-j)
		}
		idx = idx[n:]
	}
	return nil
}
