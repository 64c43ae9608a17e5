package trains

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// History is a train's crowding over one service day, per car and time
// bucket, computed from the event log.
type History struct {
	TrainID    int64
	Start, End time.Time // the service day
	Bucket     time.Duration
	Thresholds Thresholds
	Cars       []CarHistory
}

// CarHistory is one car's row of a History.
type CarHistory struct {
	CarID    int64
	Position int
	Capacity int
	// Peaks holds, per bucket, the most passengers the car held during it;
	// -1 for a bucket that has not begun.
	Peaks  []int
	Peak   int       // the day's most passengers
	PeakAt time.Time // when the car first reached Peak (zero if it never held anyone)
}

// countedOutcomes are the events that leave a car's count in count_after.
const countedOutcomes = "('applied','clamped','corrected','reset')"

// History reads train's crowding between start and end in buckets of
// bucket; buckets after now are left empty (-1). Cars are the train's cars
// now, with their current capacity.
func (s *Store) History(ctx context.Context, trainID int64, start, end, now time.Time, bucket time.Duration) (History, error) {
	if bucket <= 0 || !end.After(start) {
		return History{}, errf(ErrInvalid, "empty history range")
	}
	t, err := s.Train(ctx, trainID)
	if err != nil {
		return History{}, err
	}
	n := int((end.Sub(start) + bucket - 1) / bucket)
	h := History{TrainID: trainID, Start: start, End: end, Bucket: bucket, Thresholds: s.ThresholdsOf(trainID)}
	idx := map[int64]int{}
	for _, c := range t.Cars {
		ch := CarHistory{CarID: c.ID, Position: c.Position, Capacity: c.Capacity, Peaks: make([]int, n)}
		// The count the car carried into the day: its last counted event before.
		var carried int
		err := s.rdb.QueryRowContext(ctx, "SELECT count_after FROM events WHERE car_id = ? AND time < ? AND outcome IN "+countedOutcomes+" ORDER BY time DESC, id DESC LIMIT 1",
			c.ID, start.UnixMilli()).Scan(&carried)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return History{}, fmt.Errorf("trains: history: %w", err)
		}
		ch.Peaks[0] = carried // later buckets are filled forward below
		ch.Peak = carried
		if carried > 0 {
			ch.PeakAt = start
		}
		idx[c.ID] = len(h.Cars)
		h.Cars = append(h.Cars, ch)
	}
	rows, err := s.rdb.QueryContext(ctx, "SELECT car_id, time, count_after FROM events WHERE train_id = ? AND time >= ? AND time < ? AND outcome IN "+countedOutcomes+" ORDER BY time, id",
		trainID, start.UnixMilli(), end.UnixMilli())
	if err != nil {
		return History{}, fmt.Errorf("trains: history: %w", err)
	}
	defer rows.Close()
	// last[car] is the count at the end of the last bucket filled so far.
	type cursor struct{ bucket, count int }
	cur := make([]cursor, len(h.Cars))
	for i, ch := range h.Cars {
		cur[i] = cursor{0, ch.Peaks[0]}
	}
	for rows.Next() {
		var car, ms int64
		var count int
		if err := rows.Scan(&car, &ms, &count); err != nil {
			return History{}, fmt.Errorf("trains: history: %w", err)
		}
		i, ok := idx[car]
		if !ok {
			continue // a car that left the train
		}
		b := int(time.UnixMilli(ms).Sub(start) / bucket)
		ch, c := &h.Cars[i], &cur[i]
		// Buckets passed without events held the count carried into them.
		for k := c.bucket + 1; k <= b; k++ {
			ch.Peaks[k] = c.count
		}
		c.bucket, c.count = b, count
		ch.Peaks[b] = max(ch.Peaks[b], count)
		if count > ch.Peak {
			ch.Peak, ch.PeakAt = count, time.UnixMilli(ms)
		}
	}
	if err := rows.Err(); err != nil {
		return History{}, fmt.Errorf("trains: history: %w", err)
	}
	for i := range h.Cars {
		ch, c := &h.Cars[i], cur[i]
		for k := c.bucket + 1; k < n; k++ {
			ch.Peaks[k] = c.count
		}
		for k := range ch.Peaks {
			if start.Add(time.Duration(k) * bucket).After(now) {
				ch.Peaks[k] = -1
			}
		}
	}
	return h, nil
}
