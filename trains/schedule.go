package trains

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// The end-of-service reset: at each train's reset time every car goes back
// to zero with a logged reason, so a day's miscounts do not carry over.
// Which occurrence ran last is stored with the train, and it is claimed with
// a conditional update in the same transaction as the reset, so each
// occurrence runs once — after a restart, and when several processes share
// the database.

// lastOccurrence is the latest time at minute (after midnight, in loc) that
// is not after now.
func lastOccurrence(now time.Time, minute int, loc *time.Location) time.Time {
	t := now.In(loc)
	at := time.Date(t.Year(), t.Month(), t.Day(), minute/60, minute%60, 0, 0, loc)
	if at.After(now) {
		at = time.Date(t.Year(), t.Month(), t.Day()-1, minute/60, minute%60, 0, 0, loc)
	}
	return at
}

// ServiceDay is the service day of a train holding t: it starts at the
// train's reset time (the end of the previous day's service).
func (st Settings) ServiceDay(t time.Time) (start, end time.Time) {
	start = lastOccurrence(t, st.ResetMinute, st.Location())
	s := start.In(st.Location())
	end = time.Date(s.Year(), s.Month(), s.Day()+1, st.ResetMinute/60, st.ResetMinute%60, 0, 0, st.Location())
	return start, end
}

// ServiceDayOf is the service day that starts on the calendar date day
// (its year, month and day, read in the train's zone).
func (st Settings) ServiceDayOf(year int, month time.Month, day int) (start, end time.Time) {
	loc := st.Location()
	start = time.Date(year, month, day, st.ResetMinute/60, st.ResetMinute%60, 0, 0, loc)
	end = time.Date(year, month, day+1, st.ResetMinute/60, st.ResetMinute%60, 0, 0, loc)
	return start, end
}

// RunScheduledResets resets every train whose reset time passed since its
// last reset, as of now, and returns their ids. A train without stored
// settings gets them now, with its first reset at the next occurrence.
func (s *Store) RunScheduledResets(ctx context.Context, now time.Time) ([]int64, error) {
	v, err := s.manage(ctx, func(ctx context.Context, tx *sql.Tx, _ time.Time) (manageOut, error) {
		trains, err := trainIDs(ctx, tx)
		if err != nil {
			return manageOut{}, err
		}
		var done, cars []int64
		for _, id := range trains {
			st, stored, err := readSettingsTx(ctx, tx, id)
			if err != nil {
				return manageOut{}, err
			}
			if !stored {
				st.LastReset = now
				if err := writeSettingsTx(ctx, tx, st); err != nil {
					return manageOut{}, err
				}
				continue
			}
			due := lastOccurrence(now, st.ResetMinute, st.Location())
			if !st.ResetOn || !st.LastReset.Before(due) {
				continue
			}
			// Claim this occurrence: another process may have run it.
			r, err := tx.ExecContext(ctx, "UPDATE train_settings SET last_reset = ? WHERE train_id = ? AND last_reset < ?", due.UnixMilli(), id, due.UnixMilli())
			if err != nil {
				return manageOut{}, err
			}
			if n, _ := r.RowsAffected(); n == 0 {
				continue
			}
			ids, err := carIDs(ctx, tx, id)
			if err != nil {
				return manageOut{}, err
			}
			reason := fmt.Sprintf("end of service (%s %s)", st.ResetClock(), st.Zone)
			for _, car := range ids {
				if err := setCount(ctx, tx, now, car, 0, TypeReset, OutcomeReset, reason); err != nil {
					return manageOut{}, err
				}
			}
			done = append(done, id)
			cars = append(cars, ids...)
		}
		return manageOut{value: done, cars: cars}, nil
	})
	if err != nil {
		return nil, err
	}
	if err := s.settings.load(ctx, s.rdb); err != nil {
		return nil, err
	}
	return v.([]int64), nil
}

func trainIDs(ctx context.Context, tx *sql.Tx) ([]int64, error) {
	return queryIDs(ctx, tx, "SELECT id FROM trains ORDER BY id")
}

// RunSchedule checks the reset times and the door-sensor health every period until ctx ends, calling
// onErr with any failure (the next check tries again).
func (s *Store) RunSchedule(ctx context.Context, period time.Duration, onErr func(error)) {
	tk := time.NewTicker(period)
	defer tk.Stop()
	for {
		now := s.now()
		if _, err := s.RunScheduledResets(ctx, now); err != nil && ctx.Err() == nil && onErr != nil {
			onErr(err)
		}
		if _, err := s.CheckHealth(ctx, now); err != nil && ctx.Err() == nil && onErr != nil {
			onErr(err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tk.C:
		}
	}
}
