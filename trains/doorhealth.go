package trains

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Door-sensor health: signs that a car's count can no longer be trusted,
// found in the event log and raised as flags the operator sees on the car
// and dismisses with a note. Every flag and dismissal is also an event.
//
//   - silent door: a door sent nothing for Health.SilentAfter while the
//     other doors of its car pushed at least Health.SilentMinPushes times
//     (a dead or unplugged counter: everyone through it goes uncounted);
//   - drift, clamped: more than Health.ClampedPerHour OUT pushes in an hour
//     found the car already empty (people counted out who were never
//     counted in: a door counts the wrong way, or misses entries);
//   - drift, high: the count stayed above twice the capacity for
//     Health.HighFor (entries counted twice, or exits missed).

// Flag kinds.
const (
	FlagSilent       = "silent"
	FlagDriftClamped = "drift_clamped"
	FlagDriftHigh    = "drift_high"
)

// Event types and outcomes of flags.
const (
	TypeFlag    EventType = "FLAG"
	TypeDismiss EventType = "DISMISS"

	OutcomeFlagged   Outcome = "flagged"
	OutcomeDismissed Outcome = "dismissed"
)

// Health tunes the checks; zero fields take the defaults.
type Health struct {
	SilentAfter     time.Duration // default 10 min
	SilentMinPushes int           // default 20
	ClampedPerHour  int           // default 5
	HighFor         time.Duration // default 10 min
}

func (h Health) withDefaults() Health {
	if h.SilentAfter <= 0 {
		h.SilentAfter = 10 * time.Minute
	}
	if h.SilentMinPushes <= 0 {
		h.SilentMinPushes = 20
	}
	if h.ClampedPerHour <= 0 {
		h.ClampedPerHour = 5
	}
	if h.HighFor <= 0 {
		h.HighFor = 10 * time.Minute
	}
	return h
}

// Flag is one open (or dismissed) health flag.
type Flag struct {
	ID       int64
	Time     time.Time
	TrainID  int64
	CarID    int64
	SensorID string // the silent door; "" for drift
	Kind     string
	Detail   string
}

// flagCache holds the open flags, so pages and the live stream need no query.
type flagCache struct {
	mu    sync.RWMutex
	byCar map[int64][]Flag
}

func (c *flagCache) load(ctx context.Context, q querier) error {
	rows, err := q.QueryContext(ctx, "SELECT id, time, train_id, car_id, sensor_id, kind, detail FROM flags WHERE dismissed_at = 0 ORDER BY id")
	if err != nil {
		return fmt.Errorf("trains: read flags: %w", err)
	}
	defer rows.Close()
	m := map[int64][]Flag{}
	for rows.Next() {
		var f Flag
		var t int64
		if err := rows.Scan(&f.ID, &t, &f.TrainID, &f.CarID, &f.SensorID, &f.Kind, &f.Detail); err != nil {
			return fmt.Errorf("trains: read flags: %w", err)
		}
		f.Time = msTime(t)
		m[f.CarID] = append(m[f.CarID], f)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("trains: read flags: %w", err)
	}
	c.mu.Lock()
	c.byCar = m
	c.mu.Unlock()
	return nil
}

// FlagsOf returns the open flags of a car.
func (s *Store) FlagsOf(carID int64) []Flag {
	s.flags.mu.RLock()
	defer s.flags.mu.RUnlock()
	return s.flags.byCar[carID]
}

// CheckHealth looks for silent doors and drifting counts as of now, raises
// a flag for each one not already open, and returns the new flags.
func (s *Store) CheckHealth(ctx context.Context, now time.Time) ([]Flag, error) {
	hc := s.health
	v, err := s.manage(ctx, func(ctx context.Context, tx *sql.Tx, _ time.Time) (manageOut, error) {
		cars, err := queryCars(ctx, tx, "")
		if err != nil {
			return manageOut{}, err
		}
		var raised []Flag
		var touched []int64
		for _, c := range cars {
			found, err := carHealth(ctx, tx, hc, c, now)
			if err != nil {
				return manageOut{}, err
			}
			for _, f := range found {
				ok, err := raise(ctx, tx, now, &f)
				if err != nil {
					return manageOut{}, err
				}
				if ok {
					raised = append(raised, f)
					touched = append(touched, c.ID)
				}
			}
		}
		return manageOut{value: raised, cars: touched, structure: len(raised) > 0}, nil
	})
	if err != nil {
		return nil, err
	}
	if err := s.flags.load(ctx, s.rdb); err != nil {
		return nil, err
	}
	return v.([]Flag), nil
}

const (
	countedPush      = "('applied','clamped')"
	countingOutcomes = "('applied','clamped','corrected','reset')"
)

// carHealth finds what is wrong with one car now.
func carHealth(ctx context.Context, tx *sql.Tx, hc Health, c Car, now time.Time) ([]Flag, error) {
	var out []Flag
	since := now.Add(-hc.SilentAfter).UnixMilli()
	if len(c.Doors) > 1 {
		for _, d := range c.Doors {
			var last sql.NullInt64
			var others int
			if err := tx.QueryRowContext(ctx, "SELECT max(time) FROM events WHERE sensor_id = ? AND car_id = ? AND outcome IN "+countedPush, d.SensorID, c.ID).Scan(&last); err != nil {
				return nil, err
			}
			if last.Valid && last.Int64 >= since {
				continue
			}
			if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM events WHERE car_id = ? AND sensor_id <> ? AND time >= ? AND outcome IN "+countedPush, c.ID, d.SensorID, since).Scan(&others); err != nil {
				return nil, err
			}
			if others >= hc.SilentMinPushes {
				name := d.Label
				if name == "" {
					name = d.SensorID
				}
				out = append(out, Flag{TrainID: c.TrainID, CarID: c.ID, SensorID: d.SensorID, Kind: FlagSilent,
					Detail: fmt.Sprintf("%s sent nothing for %s while the car's other doors pushed %d times: check the sensor.", name, hc.SilentAfter, others)})
			}
		}
	}
	var clamped int
	if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM events WHERE car_id = ? AND outcome = 'clamped' AND time >= ?", c.ID, now.Add(-time.Hour).UnixMilli()).Scan(&clamped); err != nil {
		return nil, err
	}
	if clamped > hc.ClampedPerHour {
		out = append(out, Flag{TrainID: c.TrainID, CarID: c.ID, Kind: FlagDriftClamped,
			Detail: fmt.Sprintf("%d people were counted out of an empty car in the last hour: correct the count, and check each door's direction (inverted?).", clamped)})
	}
	if c.Capacity > 0 && c.Count > 2*c.Capacity {
		// Above twice the capacity since when? Since the first change past
		// it after the last time it was not.
		var above sql.NullInt64
		if err := tx.QueryRowContext(ctx, `SELECT min(time) FROM events WHERE car_id = ? AND count_after > ? AND outcome IN `+countingOutcomes+`
			AND id > coalesce((SELECT max(id) FROM events WHERE car_id = ? AND count_after <= ? AND outcome IN `+countingOutcomes+`), 0)`,
			c.ID, 2*c.Capacity, c.ID, 2*c.Capacity).Scan(&above); err != nil {
			return nil, err
		}
		if above.Valid && now.Sub(time.UnixMilli(above.Int64)) >= hc.HighFor {
			out = append(out, Flag{TrainID: c.TrainID, CarID: c.ID, Kind: FlagDriftHigh,
				Detail: fmt.Sprintf("The count has stayed above twice the capacity (%d of %d): correct it, and check for a door counting entries twice.", c.Count, c.Capacity)})
		}
	}
	return out, nil
}

// raise stores f and its event unless the same flag is already open.
func raise(ctx context.Context, tx *sql.Tx, now time.Time, f *Flag) (bool, error) {
	var one int
	err := tx.QueryRowContext(ctx, "SELECT 1 FROM flags WHERE dismissed_at = 0 AND car_id = ? AND kind = ? AND sensor_id = ?", f.CarID, f.Kind, f.SensorID).Scan(&one)
	if err == nil {
		return false, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return false, err
	}
	f.Time = now
	// RETURNING rather than LastInsertId: PostgreSQL has no last insert id.
	err = tx.QueryRowContext(ctx, "INSERT INTO flags(time, train_id, car_id, sensor_id, kind, detail) VALUES(?,?,?,?,?,?) RETURNING id",
		now.UnixMilli(), f.TrainID, f.CarID, f.SensorID, f.Kind, f.Detail).Scan(&f.ID)
	if err != nil {
		return false, err
	}
	_, err = tx.ExecContext(ctx, "INSERT INTO events(time, train_id, car_id, sensor_id, type, outcome, count_after, reason) VALUES(?,?,?,?,?,?,(SELECT count FROM cars WHERE id = ?),?)",
		now.UnixMilli(), f.TrainID, f.CarID, f.SensorID, string(TypeFlag), string(OutcomeFlagged), f.CarID, f.Kind+": "+f.Detail)
	return true, err
}

// DismissFlag closes a flag with the operator's note, kept in the log.
func (s *Store) DismissFlag(ctx context.Context, id int64, note string) (Flag, error) {
	note, err := cleanReason(note, true)
	if err != nil {
		return Flag{}, err
	}
	v, err := s.manage(ctx, func(ctx context.Context, tx *sql.Tx, now time.Time) (manageOut, error) {
		var f Flag
		err := tx.QueryRowContext(ctx, "SELECT id, train_id, car_id, sensor_id, kind FROM flags WHERE id = ? AND dismissed_at = 0", id).
			Scan(&f.ID, &f.TrainID, &f.CarID, &f.SensorID, &f.Kind)
		if errors.Is(err, sql.ErrNoRows) {
			return manageOut{}, fmt.Errorf("%w: flag %d", ErrNotFound, id)
		}
		if err != nil {
			return manageOut{}, err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE flags SET dismissed_at = ?, note = ? WHERE id = ?", now.UnixMilli(), note, id); err != nil {
			return manageOut{}, err
		}
		_, err = tx.ExecContext(ctx, "INSERT INTO events(time, train_id, car_id, sensor_id, type, outcome, count_after, reason) VALUES(?,?,?,?,?,?,coalesce((SELECT count FROM cars WHERE id = ?), 0),?)",
			now.UnixMilli(), f.TrainID, f.CarID, f.SensorID, string(TypeDismiss), string(OutcomeDismissed), f.CarID, f.Kind+": "+note)
		return manageOut{value: f, cars: []int64{f.CarID}, structure: true}, err
	})
	if err != nil {
		return Flag{}, err
	}
	if err := s.flags.load(ctx, s.rdb); err != nil {
		return Flag{}, err
	}
	return v.(Flag), nil
}

// FlagTrain returns the train a flag (open or not) belongs to.
func (s *Store) FlagTrain(ctx context.Context, id int64) (int64, error) {
	var train int64
	err := s.rdb.QueryRowContext(ctx, "SELECT train_id FROM flags WHERE id = ?", id).Scan(&train)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("%w: flag %d", ErrNotFound, id)
	}
	return train, err
}
