package trains

import (
	"context"
	"database/sql"
	"fmt"
	"time"
	"unicode/utf8"
)

// opKind says what an op asks of the writer.
type opKind int

const (
	opPush opKind = iota
	opReject
	opManage
)

// manageFunc runs one management operation inside its own transaction.
type manageFunc func(ctx context.Context, tx *sql.Tx, now time.Time) (manageOut, error)

// manageOut is what a management operation changed.
type manageOut struct {
	value     any     // returned to the caller (e.g. the created Train)
	cars      []int64 // cars whose state changed, published after commit
	structure bool    // trains, car order or doors changed
	access    bool    // owners, shares or tokens changed
	keep      bool    // nothing the writer keeps in memory changed (no reload)
}

type op struct {
	kind   opKind
	push   Push
	rej    Rejected
	manage manageFunc
	res    chan opResult // buffered(1)
}

type opResult struct {
	result Result
	value  any
	err    error
}

// submit queues o for the writer and waits until it is committed (or failed).
func (s *Store) submit(ctx context.Context, o *op) opResult {
	s.inflight.Add(1)
	defer s.inflight.Add(-1)
	o.res = make(chan opResult, 1)
	s.closeMu.RLock()
	if s.closed {
		s.closeMu.RUnlock()
		return opResult{err: ErrClosed}
	}
	select {
	case s.ops <- o:
	case <-ctx.Done():
		s.closeMu.RUnlock()
		return opResult{err: ctx.Err()}
	}
	s.closeMu.RUnlock()
	// Once queued, the op will be committed or failed by the writer (which
	// answers every queued op, also when closing): wait for that outcome
	// whatever the caller's context says, so the answer tells the truth — a
	// push that is stored is never reported as lost.
	return <-o.res
}

// Apply counts one push: IN adds a passenger, OUT removes one (swapped on an
// inverted door), never below zero. A push whose EventKey was counted before
// is acknowledged with OutcomeDuplicate and not counted again. A sensor no car
// holds gives ErrUnknownSensor, an invalid push ErrInvalid; both are logged.
// When Apply returns without error the push and its event are on disk.
func (s *Store) Apply(ctx context.Context, p Push) (Result, error) {
	r := s.submit(ctx, &op{kind: opPush, push: p})
	return r.result, r.err
}

// manage runs fn as one transaction on the writer goroutine.
func (s *Store) manage(ctx context.Context, fn manageFunc) (any, error) {
	r := s.submit(ctx, &op{kind: opManage, manage: fn})
	return r.value, r.err
}

// ---- the writer goroutine ----

type doorRef struct {
	car      int64
	inverted bool
}

type writer struct {
	s       *Store
	ctx     context.Context
	sensors map[string]doorRef
	cars    map[int64]*Car
	stale   bool // the maps may be behind the database

	insKey, insEvent, updCar *sql.Stmt
}

func newWriter(ctx context.Context, s *Store) (*writer, error) {
	w := &writer{s: s, ctx: context.WithoutCancel(ctx)}
	var err error
	prep := func(q string) *sql.Stmt {
		if err != nil {
			return nil
		}
		var st *sql.Stmt
		st, err = s.wdb.PrepareContext(ctx, q)
		return st
	}
	w.insKey = prep("INSERT OR IGNORE INTO event_keys(key, at) VALUES(?, ?)")
	w.insEvent = prep("INSERT INTO events(time, train_id, car_id, sensor_id, type, outcome, delta, count_after, event_key, reason) VALUES(?,?,?,?,?,?,?,?,?,?)")
	w.updCar = prep("UPDATE cars SET count = ?, updated_at = ? WHERE id = ?")
	if err != nil {
		return nil, fmt.Errorf("trains: prepare: %w", err)
	}
	if err := w.reload(); err != nil {
		return nil, err
	}
	return w, nil
}

// reload rebuilds the in-memory sensor and car maps from the database. The
// writer is the only goroutine that writes, so the maps stay exact between
// reloads.
func (w *writer) reload() error {
	cars, err := queryCars(w.ctx, w.s.wdb, "")
	if err != nil {
		return err
	}
	w.sensors = make(map[string]doorRef, 64)
	w.cars = make(map[int64]*Car, len(cars))
	for i := range cars {
		c := cars[i]
		w.cars[c.ID] = &c
		for _, d := range c.Doors {
			w.sensors[d.SensorID] = doorRef{car: c.ID, inverted: d.Inverted}
		}
	}
	return nil
}

func (w *writer) run() {
	s := w.s
	defer close(s.done)
	defer func() { w.insKey.Close(); w.insEvent.Close(); w.updCar.Close() }()
	batch := make([]*op, 0, s.maxBatch)
	prev, peak := 0, 0 // size of the last batch; recent peak of callers in submit
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		var first *op
		select {
		case first = <-s.ops:
		case <-s.quit:
			// Close holds the lock, so nothing more can be queued: drain and stop.
			for {
				select {
				case o := <-s.ops:
					w.process([]*op{o})
				default:
					return
				}
			}
		}
		batch = append(batch[:0], first)
		// Everything queued while the previous commit was on disk joins this one.
	fill:
		for len(batch) < s.maxBatch {
			select {
			case o := <-s.ops:
				batch = append(batch, o)
			default:
				break fill
			}
		}
		// With N senders in flight, the ones answered by the last commit
		// (prev) come back a moment later, while the others are already
		// queued (now in batch). Committing at once would split N over two
		// fsyncs; instead wait up to maxDelay for three quarters of
		// prev+queued. A lone sender (prev 1, nothing queued) never waits.
		// prev may overlap the queued ones (a fast sender is back already),
		// so the estimate is capped by the recent peak of callers inside
		// Apply, which never exceeds N.
		peak = max(int(s.inflight.Load()), peak*7/8)
		if target := min(min(prev+len(batch), peak)*3/4, s.maxBatch); len(batch) < target && s.maxDelay > 0 {
			timer.Reset(s.maxDelay)
		wait:
			for len(batch) < target {
				select {
				case o := <-s.ops:
					batch = append(batch, o)
				case <-timer.C:
					break wait
				}
			}
			timer.Stop()
		}
		prev = len(batch)
		w.process(batch)
		clear(batch)
	}
}

// process runs a batch: consecutive pushes share one transaction; each
// management operation gets its own.
func (w *writer) process(batch []*op) {
	for len(batch) > 0 {
		if batch[0].kind == opManage {
			w.runManage(batch[0])
			batch = batch[1:]
			continue
		}
		n := 1
		for n < len(batch) && batch[n].kind != opManage {
			n++
		}
		w.runPushes(batch[:n])
		batch = batch[n:]
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

type before struct {
	count int
	upd   time.Time
}

func (w *writer) runPushes(ops []*op) {
	ctx := w.ctx
	if w.stale {
		if err := w.reload(); err != nil {
			for _, o := range ops {
				o.res <- opResult{err: err}
			}
			return
		}
	}
	now := w.s.now()
	nowMs := now.UnixMilli()
	results := make([]opResult, len(ops))
	orig := map[int64]before{} // state of each touched car before the batch
	var tx *sql.Tx
	fail := func(err error) {
		if tx != nil {
			tx.Rollback()
		}
		// The database rolled back: undo the in-memory counts too.
		for id, b := range orig {
			if c := w.cars[id]; c != nil {
				c.Count, c.UpdatedAt = b.count, b.upd
			}
		}
		for _, o := range ops {
			o.res <- opResult{err: fmt.Errorf("trains: commit: %w", err)}
		}
	}
	tx, err := w.s.wdb.BeginTx(ctx, nil)
	if err != nil {
		tx = nil
		fail(err)
		return
	}
	insKey, insEvent := tx.StmtContext(ctx, w.insKey), tx.StmtContext(ctx, w.insEvent)
	for i, o := range ops {
		e, res, err := w.event(ctx, insKey, o, now, orig)
		if err != nil {
			fail(err)
			return
		}
		if e.Outcome == "" { // refused without a row (the caller logs it, within budget)
			results[i] = res
			continue
		}
		r, err := insEvent.ExecContext(ctx, nowMs, e.TrainID, e.CarID, e.SensorID, string(e.Type), string(e.Outcome), e.Delta, e.CountAfter, e.EventKey, e.Reason)
		if err == nil {
			e.ID, err = r.LastInsertId()
		}
		if err != nil {
			fail(err)
			return
		}
		res.result.Event = e
		results[i] = res
	}
	changed := make([]Car, 0, len(orig))
	if len(orig) > 0 {
		upd := tx.StmtContext(ctx, w.updCar)
		for id := range orig {
			c := w.cars[id]
			if _, err := upd.ExecContext(ctx, c.Count, timeMs(c.UpdatedAt), id); err != nil {
				fail(err)
				return
			}
			changed = append(changed, *c)
		}
	}
	t0 := time.Now()
	if err := tx.Commit(); err != nil {
		tx = nil
		fail(err)
		return
	}
	took := time.Since(t0)
	w.s.statCommitNs.Add(int64(took))
	w.s.statCommits.Add(1)
	w.s.statOps.Add(int64(len(ops)))
	if w.s.onCommit != nil {
		w.s.onCommit(len(ops), took)
	}
	// Committed: publish first (so live views move with the acknowledgements),
	// then wake every waiter.
	if len(changed) > 0 {
		seq := w.s.seq.Add(1)
		w.s.hub.Publish(Update{Seq: seq, Cars: changed})
	}
	for i, o := range ops {
		if id := results[i].result.Car.ID; id != 0 {
			c := *w.cars[id]
			c.Count = results[i].result.Event.CountAfter // the car as this push left it
			results[i].result.Car = c
		}
		o.res <- results[i]
	}
}

// event works out one push or rejection against the in-memory state and,
// for a counted push, records its key. It does not write the event row.
func (w *writer) event(ctx context.Context, insKey *sql.Stmt, o *op, now time.Time, orig map[int64]before) (Event, opResult, error) {
	if o.kind == opReject {
		r := o.rej
		e := Event{
			Time: now, SensorID: truncate(r.SensorID, MaxSensorIDLen), Type: EventType(truncate(r.Type, 16)),
			Outcome: r.Outcome, EventKey: truncate(r.EventKey, MaxEventKeyLen), Reason: truncate(r.Reason, MaxReasonLen),
		}
		if ref, ok := w.sensors[e.SensorID]; ok {
			e.CarID = ref.car
			e.TrainID = w.cars[ref.car].TrainID
		}
		return e, opResult{result: Result{Outcome: e.Outcome}}, nil
	}
	p := o.push
	e := Event{Time: now, SensorID: truncate(p.SensorID, MaxSensorIDLen), Type: EventType(truncate(string(p.Type), 16)), EventKey: truncate(p.EventKey, MaxEventKeyLen)}
	if p.Type != TypeIn && p.Type != TypeOut {
		e.Outcome, e.Reason = OutcomeInvalid, "type must be IN or OUT"
		return e, opResult{result: Result{Outcome: e.Outcome}, err: errf(ErrInvalid, "type must be IN or OUT")}, nil
	}
	if p.SensorID == "" || len(p.SensorID) > MaxSensorIDLen || len(p.EventKey) > MaxEventKeyLen {
		e.Outcome, e.Reason = OutcomeInvalid, "sensor id or event key empty or too long"
		return e, opResult{result: Result{Outcome: e.Outcome}, err: errf(ErrInvalid, "sensor id or event key empty or too long")}, nil
	}
	ref, ok := w.sensors[p.SensorID]
	if !ok {
		e.Outcome = OutcomeUnknownSensor
		return e, opResult{result: Result{Outcome: e.Outcome}, err: errf(ErrUnknownSensor, "%q", p.SensorID)}, nil
	}
	c := w.cars[ref.car]
	if p.TrainID != 0 && c.TrainID != p.TrainID {
		// A token of another train: count nothing, write nothing here.
		return Event{}, opResult{result: Result{Outcome: OutcomeWrongTrain}, err: errf(ErrWrongTrain, "sensor %q is not on this token's train", p.SensorID)}, nil
	}
	e.CarID, e.TrainID = c.ID, c.TrainID
	if p.EventKey != "" {
		r, err := insKey.ExecContext(ctx, p.EventKey, now.UnixMilli())
		if err != nil {
			return e, opResult{}, err
		}
		if n, _ := r.RowsAffected(); n == 0 {
			e.Outcome, e.CountAfter = OutcomeDuplicate, c.Count
			return e, opResult{result: Result{Outcome: e.Outcome, Car: Car{ID: c.ID}}}, nil
		}
	}
	delta := 1
	if p.Type == TypeOut {
		delta = -1
	}
	if ref.inverted {
		delta = -delta
		e.Reason = "inverted door"
	}
	if c.Count+delta < 0 {
		e.Outcome, e.Delta = OutcomeClamped, 0
	} else {
		if _, seen := orig[c.ID]; !seen {
			orig[c.ID] = before{c.Count, c.UpdatedAt}
		}
		e.Outcome, e.Delta = OutcomeApplied, delta
		c.Count += delta
		c.UpdatedAt = now
	}
	e.CountAfter = c.Count
	return e, opResult{result: Result{Outcome: e.Outcome, Car: Car{ID: c.ID}}}, nil
}

func (w *writer) runManage(o *op) {
	ctx := w.ctx
	tx, err := w.s.wdb.BeginTx(ctx, nil)
	if err != nil {
		o.res <- opResult{err: fmt.Errorf("trains: begin: %w", err)}
		return
	}
	out, err := o.manage(ctx, tx, w.s.now())
	if err != nil {
		tx.Rollback()
		o.res <- opResult{err: err}
		return
	}
	if err := tx.Commit(); err != nil {
		o.res <- opResult{err: fmt.Errorf("trains: commit: %w", err)}
		return
	}
	if out.access {
		w.s.tokens.invalidate()
	}
	if out.keep && !out.structure && len(out.cars) == 0 {
		o.res <- opResult{value: out.value}
		return
	}
	if err := w.reload(); err != nil {
		// The change is on disk; rebuild the maps before the next push.
		w.stale = true
		o.res <- opResult{err: err}
		return
	}
	w.stale = false
	u := Update{Structure: out.structure, Access: out.access}
	for _, id := range out.cars {
		if c := w.cars[id]; c != nil {
			u.Cars = append(u.Cars, *c)
		}
	}
	if u.Structure || len(u.Cars) > 0 {
		u.Seq = w.s.seq.Add(1)
		w.s.hub.Publish(u)
	}
	o.res <- opResult{value: out.value}
}
