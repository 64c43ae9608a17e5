package trains

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
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

// writer is the goroutine that owns the write connection. It keeps no
// counts of its own: the database counts, so any number of instances can
// write the same trains.
type writer struct {
	s   *Store
	ctx context.Context
	// lastSeq is the version of this writer's last change; shared says
	// that other instances committed between its last two (a version was
	// skipped), so batches wait up to sharedDelay to fill.
	lastSeq uint64
	shared  bool
}

// noteVersion records the version a change of this writer got.
func (w *writer) noteVersion(v uint64) {
	if v == 0 {
		return
	}
	w.shared = w.lastSeq != 0 && v > w.lastSeq+1
	w.lastSeq = v
}

func newWriter(ctx context.Context, s *Store) (*writer, error) {
	return &writer{s: s, ctx: context.WithoutCancel(ctx)}, nil
}

func (w *writer) run() {
	s := w.s
	defer close(s.done)
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
		delay := s.maxDelay
		if w.shared && s.sharedDelay > 0 {
			delay = s.sharedDelay
		}
		if target := min(min(prev+len(batch), peak)*3/4, s.maxBatch); len(batch) < target && delay > 0 {
			timer.Reset(delay)
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

func (w *writer) runPushes(ops []*op) {
	ctx := w.ctx
	s := w.s
	now := s.now()
	nowMs := now.UnixMilli()
	results := make([]opResult, len(ops))
	// Valid pushes go to the database in one run; rejections and malformed
	// pushes are only logged.
	var valid []Push
	var validAt, logged []int
	for i, o := range ops {
		e, res, ok := checkOp(o, now)
		if ok {
			valid, validAt = append(valid, o.push), append(validAt, i)
			continue
		}
		res.result.Event = e
		results[i], logged = res, append(logged, i)
	}
	var tx *sql.Tx
	fail := func(err error) {
		if tx != nil {
			tx.Rollback()
		}
		s.backend.forget() // what it kept of this transaction is undone
		for _, o := range ops {
			o.res <- opResult{err: fmt.Errorf("trains: commit: %w", err)}
		}
	}
	t0 := time.Now()
	// Only valid pushes, where the backend can: one statement, its own
	// transaction. Otherwise BEGIN, the version lock, … COMMIT.
	if len(logged) > 0 || !s.backend.alone() {
		var err error
		if tx, err = s.wdb.BeginTx(ctx, nil); err != nil {
			tx = nil
			fail(err)
			return
		}
		if err := s.backend.lockVersion(ctx, tx); err != nil {
			fail(err)
			return
		}
		for _, i := range logged {
			e := &results[i].result.Event
			if e.ID, e.TrainID, e.CarID, err = logEvent(ctx, tx, *e, ops[i].kind == opReject); err != nil {
				fail(err)
				return
			}
		}
	}
	var outs []pushOut
	var seq uint64
	if len(valid) > 0 {
		var err error
		if outs, seq, err = s.backend.pushes(ctx, s.wdb, tx, valid, nowMs); err != nil {
			fail(err)
			return
		}
	}
	var changed []int64
	seen := map[int64]bool{}
	for j, o := range outs {
		i := validAt[j]
		results[i] = pushResult(valid[j], o, now)
		if o.outcome == OutcomeApplied && !seen[o.carID] {
			seen[o.carID] = true
			changed = append(changed, o.carID)
		}
	}
	w.noteVersion(seq)
	u := Update{Seq: seq} // versioned and announced by the database already, if seq > 0
	if tx != nil {
		if seq == 0 {
			var err error
			if u, err = w.bump(ctx, tx, changed, s.backend.pushedCars(changed, outs, now), false, false); err != nil {
				fail(err)
				return
			}
		}
		t0 = time.Now()
		if err := tx.Commit(); err != nil {
			tx = nil
			fail(err)
			return
		}
	}
	took := time.Since(t0)
	s.statCommitNs.Add(int64(took))
	s.statCommits.Add(1)
	s.statOps.Add(int64(len(ops)))
	if s.onCommit != nil {
		s.onCommit(len(ops), took)
	}
	// Committed: publish first (so live views move with the acknowledgements),
	// then wake every waiter.
	w.published(u)
	for i, o := range ops {
		o.res <- results[i]
	}
}

// checkOp turns a rejection or a malformed push into its event; ok means a
// valid push for the database to count.
func checkOp(o *op, now time.Time) (e Event, res opResult, ok bool) {
	if o.kind == opReject {
		r := o.rej
		e = Event{
			Time: now, SensorID: truncate(r.SensorID, MaxSensorIDLen), Type: EventType(truncate(r.Type, 16)),
			Outcome: r.Outcome, EventKey: truncate(r.EventKey, MaxEventKeyLen), Reason: truncate(r.Reason, MaxReasonLen),
		}
		return e, opResult{result: Result{Outcome: e.Outcome}}, false
	}
	p := o.push
	e = Event{Time: now, SensorID: truncate(p.SensorID, MaxSensorIDLen), Type: EventType(truncate(string(p.Type), 16)), EventKey: truncate(p.EventKey, MaxEventKeyLen)}
	if p.Type != TypeIn && p.Type != TypeOut {
		e.Outcome, e.Reason = OutcomeInvalid, "type must be IN or OUT"
		return e, opResult{result: Result{Outcome: e.Outcome}, err: errf(ErrInvalid, "type must be IN or OUT")}, false
	}
	if p.SensorID == "" || len(p.SensorID) > MaxSensorIDLen || len(p.EventKey) > MaxEventKeyLen {
		e.Outcome, e.Reason = OutcomeInvalid, "sensor id or event key empty or too long"
		return e, opResult{result: Result{Outcome: e.Outcome}, err: errf(ErrInvalid, "sensor id or event key empty or too long")}, false
	}
	return e, opResult{}, true
}

// logEvent stores an event that counts nothing; a rejection is filed under
// the car that holds its sensor, if any.
func logEvent(ctx context.Context, tx *sql.Tx, e Event, withCar bool) (id, train, car int64, err error) {
	if withCar {
		err = tx.QueryRowContext(ctx, "SELECT c.id, c.train_id FROM doors d JOIN cars c ON c.id = d.car_id WHERE d.sensor_id = ?", e.SensorID).Scan(&car, &train)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return 0, 0, 0, err
		}
	}
	err = tx.QueryRowContext(ctx, "INSERT INTO events(time, train_id, car_id, sensor_id, type, outcome, delta, count_after, event_key, reason) VALUES(?,?,?,?,?,?,0,0,?,?) RETURNING id",
		timeMs(e.Time), train, car, e.SensorID, string(e.Type), string(e.Outcome), e.EventKey, e.Reason).Scan(&id)
	return id, train, car, err
}

// pushResult is the caller's answer for one counted (or refused) push.
func pushResult(p Push, o pushOut, now time.Time) opResult {
	if o.outcome == OutcomeWrongTrain { // refused without a row (the caller logs it, within budget)
		return opResult{result: Result{Outcome: o.outcome}, err: errf(ErrWrongTrain, "sensor %q is not on this token's train", p.SensorID)}
	}
	e := Event{
		ID: o.eventID, Time: now, TrainID: o.trainID, CarID: o.carID, SensorID: p.SensorID, Type: p.Type,
		Outcome: o.outcome, Delta: o.delta, CountAfter: o.countAfter, EventKey: p.EventKey, Reason: o.reason,
	}
	r := opResult{result: Result{Outcome: o.outcome, Event: e}}
	if o.outcome == OutcomeUnknownSensor {
		r.err = errf(ErrUnknownSensor, "%q", p.SensorID)
		return r
	}
	r.result.Car = Car{ID: o.carID, TrainID: o.trainID, Count: o.countAfter} // the car as this push left it
	if o.outcome == OutcomeApplied {
		r.result.Car.UpdatedAt = now
	}
	return r
}

// bump gives a change that live views must show the next database version,
// reads the changed cars as committed by this transaction and tells the
// other instances. A transaction that changed nothing keeps the version.
func (w *writer) bump(ctx context.Context, tx *sql.Tx, cars []int64, known []Car, structure, access bool) (Update, error) {
	if len(cars) == 0 && !structure {
		return Update{}, nil
	}
	u := Update{Structure: structure, Access: access, Cars: known}
	v, err := w.s.backend.nextVersion(ctx, tx)
	if err != nil {
		return Update{}, err
	}
	u.Seq = uint64(v)
	if len(cars) > 0 && known == nil {
		ph := strings.TrimSuffix(strings.Repeat("?,", len(cars)), ",")
		args := make([]any, len(cars))
		for i, id := range cars {
			args[i] = id
		}
		if u.Cars, err = queryCars(ctx, tx, " WHERE id IN ("+ph+")", args...); err != nil {
			return Update{}, err
		}
	}
	return u, w.s.backend.notify(ctx, tx, u)
}

// published makes a committed update known: straight to the hub on SQLite;
// on PostgreSQL the notification brings it to every instance's hub, this
// one's included, in commit order.
func (w *writer) published(u Update) {
	if u.Seq == 0 {
		return
	}
	w.s.raiseSeq(u.Seq)
	if !w.s.backend.listens() {
		w.s.hub.Publish(u)
	}
}

func (w *writer) runManage(o *op) {
	ctx := w.ctx
	tx, err := w.s.wdb.BeginTx(ctx, nil)
	if err != nil {
		o.res <- opResult{err: fmt.Errorf("trains: begin: %w", err)}
		return
	}
	defer tx.Rollback()
	if err := w.s.backend.lockVersion(ctx, tx); err != nil {
		o.res <- opResult{err: fmt.Errorf("trains: begin: %w", err)}
		return
	}
	out, err := o.manage(ctx, tx, w.s.now())
	if err != nil {
		o.res <- opResult{err: err}
		return
	}
	// Only what live views show gets a version (as before: a rotated token
	// or a retention batch does not); owners and shares come with structure.
	var u Update
	if out.structure || len(out.cars) > 0 {
		if u, err = w.bump(ctx, tx, out.cars, nil, out.structure, out.access); err != nil {
			o.res <- opResult{err: fmt.Errorf("trains: version: %w", err)}
			return
		}
	}
	if err := tx.Commit(); err != nil {
		w.s.backend.forget() // the rollback may have undone what was read into it
		o.res <- opResult{err: fmt.Errorf("trains: commit: %w", err)}
		return
	}
	w.noteVersion(u.Seq)
	if !out.keep {
		w.s.backend.forget()
	}
	if out.access {
		w.s.tokens.invalidate()
	}
	w.published(u)
	o.res <- opResult{value: out.value}
}
