package trains

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
)

// Settings are a train's operator settings: its crowd thresholds and its
// end-of-service reset. A train without a stored row has the defaults.
type Settings struct {
	TrainID    int64
	Thresholds Thresholds
	// ResetOn turns the scheduled end-of-service reset on.
	ResetOn bool
	// ResetMinute is the reset time, in minutes after midnight in Zone.
	// It also starts the service day of the history.
	ResetMinute int
	Zone        string    // IANA time zone name of the reset time
	LastReset   time.Time // the scheduled time the last reset ran for (zero: never)
}

// DefaultResetMinute is the default end of service: 01:00.
const DefaultResetMinute = 60

// DefaultZone is the zone of a train nobody set one for.
const DefaultZone = "Asia/Seoul"

// DefaultSettings are the settings of a train without a stored row.
func DefaultSettings(trainID int64) Settings {
	return Settings{TrainID: trainID, Thresholds: DefaultThresholds, ResetOn: true, ResetMinute: DefaultResetMinute, Zone: DefaultZone}
}

// Location is the settings' zone (UTC if the name is unknown to this binary).
func (st Settings) Location() *time.Location {
	loc, err := time.LoadLocation(st.Zone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// ResetClock is the reset time as "HH:MM".
func (st Settings) ResetClock() string {
	return fmt.Sprintf("%02d:%02d", st.ResetMinute/60, st.ResetMinute%60)
}

// ParseClock reads "HH:MM" (24-hour) into minutes after midnight.
func ParseClock(s string) (int, error) {
	var h, m int
	s = strings.TrimSpace(s)
	if n, err := fmt.Sscanf(s, "%d:%d", &h, &m); err != nil || n != 2 || len(s) < 4 || len(s) > 5 || h < 0 || h > 23 || m < 0 || m > 59 {
		return 0, errf(ErrInvalid, "time must be HH:MM, 00:00 to 23:59")
	}
	return h*60 + m, nil
}

// settingsCache holds every stored settings row, so hot paths (the live
// stream renders each change with its train's thresholds) need no query.
type settingsCache struct {
	mu sync.RWMutex
	m  map[int64]Settings
}

func (c *settingsCache) get(train int64) Settings {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if st, ok := c.m[train]; ok {
		return st
	}
	return DefaultSettings(train)
}

func (c *settingsCache) load(ctx context.Context, q querier) error {
	rows, err := q.QueryContext(ctx, "SELECT train_id, spacious, normal, caution, reset_on, reset_minute, zone, last_reset FROM train_settings")
	if err != nil {
		return fmt.Errorf("trains: read settings: %w", err)
	}
	defer rows.Close()
	m := map[int64]Settings{}
	for rows.Next() {
		var st Settings
		var last int64
		if err := rows.Scan(&st.TrainID, &st.Thresholds.Spacious, &st.Thresholds.Normal, &st.Thresholds.Caution,
			&st.ResetOn, &st.ResetMinute, &st.Zone, &last); err != nil {
			return fmt.Errorf("trains: read settings: %w", err)
		}
		st.LastReset = msTime(last)
		m[st.TrainID] = st
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("trains: read settings: %w", err)
	}
	c.mu.Lock()
	c.m = m
	c.mu.Unlock()
	return nil
}

// Settings returns a train's settings (the defaults if none were stored).
func (s *Store) Settings(trainID int64) Settings { return s.settings.get(trainID) }

// ThresholdsOf returns the crowd thresholds of a train.
func (s *Store) ThresholdsOf(trainID int64) Thresholds { return s.settings.get(trainID).Thresholds }

// readSettingsTx reads one train's stored settings, or the defaults.
func readSettingsTx(ctx context.Context, tx *sql.Tx, train int64) (Settings, bool, error) {
	st := DefaultSettings(train)
	var last int64
	err := tx.QueryRowContext(ctx, "SELECT spacious, normal, caution, reset_on, reset_minute, zone, last_reset FROM train_settings WHERE train_id = ?", train).
		Scan(&st.Thresholds.Spacious, &st.Thresholds.Normal, &st.Thresholds.Caution, &st.ResetOn, &st.ResetMinute, &st.Zone, &last)
	if errors.Is(err, sql.ErrNoRows) {
		return st, false, nil
	}
	st.LastReset = msTime(last)
	return st, err == nil, err
}

func writeSettingsTx(ctx context.Context, tx *sql.Tx, st Settings) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO train_settings(train_id, spacious, normal, caution, reset_on, reset_minute, zone, last_reset)
		VALUES(?,?,?,?,?,?,?,?)
		ON CONFLICT(train_id) DO UPDATE SET spacious = excluded.spacious, normal = excluded.normal, caution = excluded.caution,
			reset_on = excluded.reset_on, reset_minute = excluded.reset_minute, zone = excluded.zone, last_reset = excluded.last_reset`,
		st.TrainID, st.Thresholds.Spacious, st.Thresholds.Normal, st.Thresholds.Caution, st.ResetOn, st.ResetMinute, st.Zone, timeMs(st.LastReset))
	return err
}

// updateSettings changes one train's settings with fn, in one transaction,
// then refreshes the cache.
func (s *Store) updateSettings(ctx context.Context, trainID int64, fn func(st *Settings)) (Settings, error) {
	v, err := s.manage(ctx, func(ctx context.Context, tx *sql.Tx, now time.Time) (manageOut, error) {
		if err := exists(ctx, tx, "trains", trainID); err != nil {
			return manageOut{}, err
		}
		st, stored, err := readSettingsTx(ctx, tx, trainID)
		if err != nil {
			return manageOut{}, err
		}
		if !stored {
			// A reset time set now applies from the next occurrence on, not
			// to the one that passed earlier today.
			st.LastReset = now
		}
		oldMin, oldZone := st.ResetMinute, st.Zone
		fn(&st)
		if st.ResetMinute != oldMin || st.Zone != oldZone {
			st.LastReset = now
		}
		if err := writeSettingsTx(ctx, tx, st); err != nil {
			return manageOut{}, err
		}
		ids, err := carIDs(ctx, tx, trainID)
		// The cars' crowd levels may have changed: redraw them.
		return manageOut{value: st, cars: ids, structure: true}, err
	})
	if err != nil {
		return Settings{}, err
	}
	if err := s.settings.load(ctx, s.rdb); err != nil {
		return Settings{}, err
	}
	return v.(Settings), nil
}

// SetThresholds sets a train's crowd thresholds (percent of capacity).
func (s *Store) SetThresholds(ctx context.Context, trainID int64, th Thresholds) error {
	if err := th.Validate(); err != nil {
		return err
	}
	if th.Caution > 1000 {
		return errf(ErrInvalid, "thresholds must be at most 1000 %%")
	}
	_, err := s.updateSettings(ctx, trainID, func(st *Settings) { st.Thresholds = th })
	return err
}

// SetSchedule sets a train's end-of-service reset: on or off, its time
// (minutes after midnight) and zone.
func (s *Store) SetSchedule(ctx context.Context, trainID int64, on bool, minute int, zone string) error {
	if minute < 0 || minute >= 24*60 {
		return errf(ErrInvalid, "time must be 00:00 to 23:59")
	}
	zone = strings.TrimSpace(zone)
	if _, err := time.LoadLocation(zone); err != nil || zone == "" || strings.EqualFold(zone, "local") {
		return errf(ErrInvalid, "unknown time zone %q", zone)
	}
	_, err := s.updateSettings(ctx, trainID, func(st *Settings) { st.ResetOn, st.ResetMinute, st.Zone = on, minute, zone })
	return err
}
