package trains

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// pgBackend is PostgreSQL shared by any number of instances: counting,
// duplicate detection and versions are the database's; changes reach every
// instance's hub through LISTEN/NOTIFY.
type pgBackend struct {
	cfg *pgx.ConnConfig
}

// notifyChannel is the LISTEN/NOTIFY channel carrying committed changes.
const notifyChannel = "trains_changes"

// listenerName is the application_name of the notification connections.
const listenerName = "thingplus-webapp-listen"

// maxNotifyCars bounds the cars in one notification (PostgreSQL payloads
// stop at 8000 bytes); a bigger change is sent as "take a snapshot".
const maxNotifyCars = 200

func (*pgBackend) name() string  { return "postgres" }
func (*pgBackend) listens() bool { return true }

func (*pgBackend) nextVersion(ctx context.Context, tx *sql.Tx) (int64, error) {
	var v int64
	err := tx.QueryRowContext(ctx, "UPDATE trains_version SET v = v + 1 WHERE id = 1 RETURNING v").Scan(&v)
	return v, err
}

// pushedCars leaves it to the database: another instance may have changed
// a car's capacity or doors.
func (*pgBackend) pushedCars([]int64, []pushOut, time.Time) []Car { return nil }

// forget has nothing to drop: trains_push looks every sensor up itself, as
// another instance may have moved it.
func (*pgBackend) forget() {}

func (*pgBackend) lockVersion(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, "SELECT v FROM trains_version WHERE id = 1 FOR UPDATE")
	return err
}

// alone is true: trains_push_batch takes the version lock, counts, bumps
// the version and notifies, so a batch is one statement — its own
// transaction, committed before the answer's last message (ReadyForQuery),
// which pgx reads before the rows report their end. One round trip instead
// of six (BEGIN, lock, push, version, notify, COMMIT): with PostgreSQL on
// the same busy cores, every round trip is a wait for the scheduler.
func (*pgBackend) alone() bool { return true }

// batching: trains_push_batch looks keys up linearly within a batch
// (migration 8); 256 keeps that small beside the batch's writes. Alone, a
// batch statement's cost is nearly all per push: waiting for a bigger
// batch leaves the database idle while the answered senders come back (in
// the load script's same-run pairs, 64 senders, the real binary made
// 12,071 / 13,044 / 11,392 pushes/s without the wait against 9,195 /
// 11,570 / 11,896 with 1 ms). Beside other instances the batches are a
// fraction of the size and queue for the version lock anyway: there the
// wait is kept (three binaries behind HAProxy, same-run pairs: 3,890 and
// 4,751 with it while others write, 3,882 and 3,956 never waiting).
func (*pgBackend) batching() batching {
	return batching{maxBatch: 256, sharedDelay: time.Millisecond}
}

// pushes sends the whole run to trains_push_batch in one round trip: the
// function does, push by push, what sqliteBackend.count does, then versions
// and announces the change.
func (*pgBackend) pushes(ctx context.Context, db *sql.DB, tx *sql.Tx, in []Push, nowMs int64) ([]pushOut, uint64, error) {
	sensors, types, keys := make([]string, len(in)), make([]string, len(in)), make([]string, len(in))
	want := make([]int64, len(in))
	for i, p := range in {
		sensors[i], types[i], keys[i], want[i] = p.SensorID, string(p.Type), p.EventKey, p.TrainID
	}
	var q querier = db
	if tx != nil {
		q = tx
	}
	rows, err := q.QueryContext(ctx, "SELECT event_id, outcome, train_id, car_id, delta, count_after, reason, version FROM trains_push_batch(?, ?, ?, ?, ?)", sensors, types, keys, want, nowMs)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := make([]pushOut, 0, len(in))
	var version int64
	for rows.Next() {
		var o pushOut
		var oc string
		if err := rows.Scan(&o.eventID, &oc, &o.trainID, &o.carID, &o.delta, &o.countAfter, &o.reason, &version); err != nil {
			return nil, 0, err
		}
		o.outcome = Outcome(oc)
		out = append(out, o)
	}
	// Err is nil only once the server said ReadyForQuery: without tx, after
	// the commit.
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	if len(out) != len(in) {
		return nil, 0, fmt.Errorf("trains_push_batch answered %d of %d pushes", len(out), len(in))
	}
	return out, uint64(version), nil
}

// Notification kinds, the second field of a payload "version kind cars".
const (
	noticeCounts    = "0" // cars' counts changed (pushes): the rest of each car is as it was
	noticeStructure = "1" // trains, cars or doors changed: streams take a snapshot
	noticeCars      = "2" // cars changed in other ways too (capacity, reset): read them
	noticeAccess    = "3" // owners or shares changed (always with structure)
)

// notify sends "version kind id:count:updated,…": the counts as this
// transaction committed them (a later change has its own notification), so
// every instance shows every version, not just the newest. trains_push_batch
// sends the counts-only kind for pushes; the writer's changes here may have
// changed a car's capacity, so receivers read those cars again. (An instance
// of the previous version takes any kind but 0 as structure: a snapshot.)
func (*pgBackend) notify(ctx context.Context, tx *sql.Tx, u Update) error {
	var b strings.Builder
	b.WriteString(strconv.FormatUint(u.Seq, 10))
	switch {
	case u.Access:
		b.WriteString(" " + noticeAccess + " ")
	case u.Structure || len(u.Cars) > maxNotifyCars:
		b.WriteString(" " + noticeStructure + " ")
	default:
		b.WriteString(" " + noticeCars + " ")
		for i, c := range u.Cars {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "%d:%d:%d", c.ID, c.Count, timeMs(c.UpdatedAt))
		}
	}
	_, err := tx.ExecContext(ctx, "SELECT pg_notify(?, ?)", notifyChannel, b.String())
	return err
}

// notice is one parsed notification.
type notice struct {
	seq               uint64
	structure, access bool
	reread            bool  // the cars' capacity may have changed too
	cars              []Car // id, count, updated
}

// parseNotice reads a notification payload.
func parseNotice(s string) (n notice, err error) {
	f := strings.SplitN(s, " ", 3)
	if len(f) != 3 {
		return n, fmt.Errorf("bad notification %q", s)
	}
	if n.seq, err = strconv.ParseUint(f[0], 10, 64); err != nil {
		return n, err
	}
	switch f[1] {
	case noticeCounts:
	case noticeCars:
		n.reread = true
	case noticeAccess:
		n.structure, n.access = true, true
	default:
		n.structure = true
	}
	for item := range strings.SplitSeq(f[2], ",") {
		if item == "" {
			continue
		}
		var c Car
		var upd int64
		if _, err := fmt.Sscanf(item, "%d:%d:%d", &c.ID, &c.Count, &upd); err != nil {
			return n, fmt.Errorf("bad notification %q: %w", s, err)
		}
		c.UpdatedAt = msTime(upd)
		n.cars = append(n.cars, c)
	}
	return n, nil
}

// listen carries every instance's committed changes (this one's included,
// so the hub sees them in commit order) into the hub until ctx ends. When
// the connection drops it reconnects and tells every stream to take a fresh
// snapshot, since notifications sent meanwhile are lost.
func (s *Store) listen(ctx context.Context, cfg *pgx.ConnConfig, ready chan<- error) {
	defer close(s.listenDone)
	first := true
	for backoff := 50 * time.Millisecond; ctx.Err() == nil; {
		err := s.listenOnce(ctx, cfg, func(err error) {
			if first {
				ready <- err
				first = false
			}
		})
		if first { // never connected: Open reports it
			ready <- err
			return
		}
		if ctx.Err() != nil {
			return
		}
		s.log.Warn("trains: notification connection lost; streams resync on reconnect", "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 2*time.Second)
	}
}

func (s *Store) listenOnce(ctx context.Context, cfg *pgx.ConnConfig, connected func(error)) error {
	cfg = cfg.Copy()
	cfg.RuntimeParams["application_name"] = listenerName // visible in pg_stat_activity
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+notifyChannel); err != nil {
		return err
	}
	// Listening now: whatever committed before is in the database, so one
	// snapshot brings every stream up to date.
	var v int64
	if err := conn.QueryRow(ctx, "SELECT v FROM trains_version WHERE id = 1").Scan(&v); err != nil {
		return err
	}
	s.raiseSeq(uint64(v))
	s.shapes = nil // changes may have been missed: read every car again
	s.hub.Publish(Update{Seq: uint64(v), Structure: true})
	connected(nil)
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		s.deliver(ctx, n.Payload)
	}
}

// deliver publishes one notification: the changed cars as they are now.
// The rest of each car (train, position, capacity, doors) comes from
// shapes, read from the database when missing or possibly changed; only
// the listening goroutine touches shapes.
func (s *Store) deliver(ctx context.Context, payload string) {
	n, err := parseNotice(payload)
	if err != nil {
		s.log.Error("trains: notification", "err", err)
		return
	}
	u := Update{Seq: n.seq, Structure: n.structure, Access: n.access}
	if n.access {
		s.tokens.invalidate() // a train (and its tokens) may be gone
	}
	if n.structure || s.shapes == nil {
		s.shapes = map[int64]Car{} // doors may have moved, cars gone
	}
	if len(n.cars) > 0 {
		if err := s.readShapes(ctx, n.cars, n.reread); err != nil {
			s.log.Error("trains: read notified cars", "err", err)
			u.Structure = true // the streams take a snapshot instead
		}
		for _, nc := range n.cars {
			if c, ok := s.shapes[nc.ID]; ok { // a car deleted since is left out
				c.Count, c.UpdatedAt = nc.Count, nc.UpdatedAt
				u.Cars = append(u.Cars, c)
			}
		}
	}
	if n.structure { // settings or flags may have changed on another instance
		if err := s.settings.load(ctx, s.rdb); err != nil {
			s.log.Error("trains: reload settings", "err", err)
		}
		if err := s.flags.load(ctx, s.rdb); err != nil {
			s.log.Error("trains: reload flags", "err", err)
		}
	}
	s.raiseSeq(n.seq)
	s.hub.Publish(u)
}

// readShapes reads into s.shapes the cars it lacks (all of them with
// reread): a push notification then costs no query.
func (s *Store) readShapes(ctx context.Context, cars []Car, reread bool) error {
	var args []any
	for _, c := range cars {
		if _, ok := s.shapes[c.ID]; reread || !ok {
			args = append(args, c.ID)
			delete(s.shapes, c.ID)
		}
	}
	if len(args) == 0 {
		return nil
	}
	ph := strings.TrimSuffix(strings.Repeat("?,", len(args)), ",")
	read, err := queryCars(ctx, s.rdb, " WHERE id IN ("+ph+")", args...)
	if err != nil {
		return err
	}
	for _, c := range read {
		s.shapes[c.ID] = c
	}
	return nil
}

// raiseSeq moves the known version forward (never back).
func (s *Store) raiseSeq(v uint64) {
	for {
		cur := s.seq.Load()
		if v <= cur || s.seq.CompareAndSwap(cur, v) {
			return
		}
	}
}
