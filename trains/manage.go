package trains

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Management operations. Each runs as one transaction on the writer
// goroutine, validates everything before it changes anything, and publishes
// the change to the hub after commit.

// NewTrain describes a train to create.
type NewTrain struct {
	ID      int64 // 0 picks the next free id
	Name    string
	Running bool
	Owner   Owner // the account creating it
}

// TrainPatch changes some fields of a train; nil fields stay as they are.
type TrainPatch struct {
	Name    *string
	Running *bool
}

func cleanName(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" || !utf8.ValidString(s) || utf8.RuneCountInString(s) > MaxNameLen {
		return "", errf(ErrInvalid, "name must be 1 to %d characters", MaxNameLen)
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return "", errf(ErrInvalid, "name must not contain control characters")
		}
	}
	return s, nil
}

// ValidSensorID reports whether s can be a Thing+ sensor id: 1 to 128
// printable characters without spaces.
func ValidSensorID(s string) error {
	if s == "" || len(s) > MaxSensorIDLen || !utf8.ValidString(s) {
		return errf(ErrInvalid, "sensor id must be 1 to %d characters", MaxSensorIDLen)
	}
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return errf(ErrInvalid, "sensor id must not contain spaces or control characters")
		}
	}
	return nil
}

func validCapacity(n int) error {
	if n < 1 || n > MaxCapacity {
		return errf(ErrInvalid, "capacity must be 1 to %d", MaxCapacity)
	}
	return nil
}

func cleanReason(s string, required bool) (string, error) {
	s = strings.TrimSpace(s)
	if required && s == "" {
		return "", errf(ErrInvalid, "a reason is required")
	}
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > MaxReasonLen {
		return "", errf(ErrInvalid, "reason must be at most %d characters", MaxReasonLen)
	}
	return s, nil
}

func exists(ctx context.Context, tx *sql.Tx, table string, id int64) error {
	var one int
	err := tx.QueryRowContext(ctx, "SELECT 1 FROM "+table+" WHERE id = ?", id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return errf(ErrNotFound, "%s %d", strings.TrimSuffix(table, "s"), id)
	}
	return err
}

func carTrain(ctx context.Context, tx *sql.Tx, car int64) (int64, error) {
	var train int64
	err := tx.QueryRowContext(ctx, "SELECT train_id FROM cars WHERE id = ?", car).Scan(&train)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, errf(ErrNotFound, "car %d", car)
	}
	return train, err
}

func carIDs(ctx context.Context, tx *sql.Tx, train int64) ([]int64, error) {
	return queryIDs(ctx, tx, "SELECT id FROM cars WHERE train_id = ? ORDER BY position, id", train)
}

// queryIDs runs a query whose rows are one integer id each.
func queryIDs(ctx context.Context, tx *sql.Tx, query string, args ...any) ([]int64, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// setOrder writes positions 1..n for ids in train.
func setOrder(ctx context.Context, tx *sql.Tx, train int64, ids []int64) error {
	for i, id := range ids {
		if _, err := tx.ExecContext(ctx, "UPDATE cars SET train_id = ?, position = ? WHERE id = ?", train, i+1, id); err != nil {
			return err
		}
	}
	return nil
}

func insertAt(ids []int64, id int64, pos int) []int64 {
	if pos < 1 || pos > len(ids)+1 {
		pos = len(ids) + 1
	}
	ids = append(ids, 0)
	copy(ids[pos:], ids[pos-1:])
	ids[pos-1] = id
	return ids
}

func without(ids []int64, id int64) []int64 {
	out := ids[:0:0]
	for _, x := range ids {
		if x != id {
			out = append(out, x)
		}
	}
	return out
}

func (s *Store) readTrainTx(ctx context.Context, tx *sql.Tx, id int64) (Train, error) {
	var t Train
	err := tx.QueryRowContext(ctx, "SELECT id, name, running FROM trains WHERE id = ?", id).Scan(&t.ID, &t.Name, &t.Running)
	if errors.Is(err, sql.ErrNoRows) {
		return t, errf(ErrNotFound, "train %d", id)
	}
	if err != nil {
		return t, err
	}
	t.Cars, err = queryCars(ctx, tx, " WHERE train_id = ?", id)
	return t, err
}

// CreateTrain adds a train without cars.
func (s *Store) CreateTrain(ctx context.Context, nt NewTrain) (Train, error) {
	name, err := cleanName(nt.Name)
	if err != nil {
		return Train{}, err
	}
	if nt.ID < 0 {
		return Train{}, errf(ErrInvalid, "train id must be positive")
	}
	v, err := s.manage(ctx, func(ctx context.Context, tx *sql.Tx, now time.Time) (manageOut, error) {
		id := nt.ID
		if id != 0 {
			switch err := exists(ctx, tx, "trains", id); {
			case err == nil:
				return manageOut{}, errf(ErrConflict, "train %d exists", id)
			case !errors.Is(err, ErrNotFound):
				return manageOut{}, err
			}
		} else {
			// Keep the original app's even-numbered style: the next free id after the largest.
			if err := tx.QueryRowContext(ctx, "SELECT coalesce(max(id), 998) + 2 FROM trains").Scan(&id); err != nil {
				return manageOut{}, err
			}
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO trains(id, name, running, owner_id, owner_login, owner_zone) VALUES(?,?,?,?,?,?)",
			id, name, nt.Running, nt.Owner.ID, nt.Owner.Login, nt.Owner.Zone); err != nil {
			return manageOut{}, err
		}
		if err := s.insertToken(ctx, tx, id, now); err != nil {
			return manageOut{}, err
		}
		return manageOut{value: Train{ID: id, Name: name, Running: nt.Running, OwnerID: nt.Owner.ID, OwnerLogin: nt.Owner.Login,
			OwnerZone: nt.Owner.Zone, Role: RoleOwner},
			structure: true, access: true}, nil
	})
	if err != nil {
		return Train{}, err
	}
	return v.(Train), nil
}

// UpdateTrain renames and/or starts or stops a train.
func (s *Store) UpdateTrain(ctx context.Context, id int64, p TrainPatch) (Train, error) {
	var name string
	if p.Name != nil {
		n, err := cleanName(*p.Name)
		if err != nil {
			return Train{}, err
		}
		name = n
	}
	v, err := s.manage(ctx, func(ctx context.Context, tx *sql.Tx, _ time.Time) (manageOut, error) {
		if err := exists(ctx, tx, "trains", id); err != nil {
			return manageOut{}, err
		}
		if p.Name != nil {
			if _, err := tx.ExecContext(ctx, "UPDATE trains SET name = ? WHERE id = ?", name, id); err != nil {
				return manageOut{}, err
			}
		}
		if p.Running != nil {
			if _, err := tx.ExecContext(ctx, "UPDATE trains SET running = ? WHERE id = ?", *p.Running, id); err != nil {
				return manageOut{}, err
			}
		}
		t, err := s.readTrainTx(ctx, tx, id)
		return manageOut{value: t, structure: true}, err
	})
	if err != nil {
		return Train{}, err
	}
	return v.(Train), nil
}

// RenameTrain sets a train's name.
func (s *Store) RenameTrain(ctx context.Context, id int64, name string) error {
	_, err := s.UpdateTrain(ctx, id, TrainPatch{Name: &name})
	return err
}

// SetRunning starts or stops a train.
func (s *Store) SetRunning(ctx context.Context, id int64, running bool) error {
	_, err := s.UpdateTrain(ctx, id, TrainPatch{Running: &running})
	return err
}

// DeleteTrain removes a train with its cars and their door assignments. The
// event log keeps their history.
func (s *Store) DeleteTrain(ctx context.Context, id int64) error {
	_, err := s.manage(ctx, func(ctx context.Context, tx *sql.Tx, _ time.Time) (manageOut, error) {
		if err := exists(ctx, tx, "trains", id); err != nil {
			return manageOut{}, err
		}
		_, err := tx.ExecContext(ctx, "DELETE FROM trains WHERE id = ?", id)
		return manageOut{structure: true, access: true}, err
	})
	return err
}

// AddCar appends an empty car to a train.
func (s *Store) AddCar(ctx context.Context, trainID int64, capacity int) (Car, error) {
	if err := validCapacity(capacity); err != nil {
		return Car{}, err
	}
	v, err := s.manage(ctx, func(ctx context.Context, tx *sql.Tx, _ time.Time) (manageOut, error) {
		if err := exists(ctx, tx, "trains", trainID); err != nil {
			return manageOut{}, err
		}
		var id int64
		var pos int
		if err := tx.QueryRowContext(ctx, "SELECT coalesce(max(id), 1999) + 1 FROM cars").Scan(&id); err != nil {
			return manageOut{}, err
		}
		if err := tx.QueryRowContext(ctx, "SELECT coalesce(max(position), 0) + 1 FROM cars WHERE train_id = ?", trainID).Scan(&pos); err != nil {
			return manageOut{}, err
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO cars(id, train_id, position, capacity) VALUES(?,?,?,?)", id, trainID, pos, capacity); err != nil {
			return manageOut{}, err
		}
		return manageOut{value: Car{ID: id, TrainID: trainID, Position: pos, Capacity: capacity}, structure: true}, nil
	})
	if err != nil {
		return Car{}, err
	}
	return v.(Car), nil
}

// RemoveCar deletes a car and its door assignments; the cars behind it move up.
func (s *Store) RemoveCar(ctx context.Context, carID int64) error {
	_, err := s.manage(ctx, func(ctx context.Context, tx *sql.Tx, _ time.Time) (manageOut, error) {
		train, err := carTrain(ctx, tx, carID)
		if err != nil {
			return manageOut{}, err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM cars WHERE id = ?", carID); err != nil {
			return manageOut{}, err
		}
		ids, err := carIDs(ctx, tx, train)
		if err != nil {
			return manageOut{}, err
		}
		return manageOut{structure: true}, setOrder(ctx, tx, train, ids)
	})
	return err
}

// ReorderCar moves a car to position (1-based) within its train; a position
// past the end puts it last.
func (s *Store) ReorderCar(ctx context.Context, carID int64, position int) error {
	if position < 1 {
		return errf(ErrInvalid, "position must be at least 1")
	}
	_, err := s.manage(ctx, func(ctx context.Context, tx *sql.Tx, _ time.Time) (manageOut, error) {
		train, err := carTrain(ctx, tx, carID)
		if err != nil {
			return manageOut{}, err
		}
		ids, err := carIDs(ctx, tx, train)
		if err != nil {
			return manageOut{}, err
		}
		ids = insertAt(without(ids, carID), carID, position)
		return manageOut{structure: true}, setOrder(ctx, tx, train, ids)
	})
	return err
}

// MoveCar moves a car (with its count and doors) to another train, at
// position (1-based; 0 or past the end puts it last).
func (s *Store) MoveCar(ctx context.Context, carID, toTrainID int64, position int) error {
	if position < 0 {
		return errf(ErrInvalid, "position must not be negative")
	}
	_, err := s.manage(ctx, func(ctx context.Context, tx *sql.Tx, _ time.Time) (manageOut, error) {
		from, err := carTrain(ctx, tx, carID)
		if err != nil {
			return manageOut{}, err
		}
		if err := exists(ctx, tx, "trains", toTrainID); err != nil {
			return manageOut{}, err
		}
		src, err := carIDs(ctx, tx, from)
		if err != nil {
			return manageOut{}, err
		}
		if err := setOrder(ctx, tx, from, without(src, carID)); err != nil {
			return manageOut{}, err
		}
		dst, err := carIDs(ctx, tx, toTrainID)
		if err != nil {
			return manageOut{}, err
		}
		dst = insertAt(without(dst, carID), carID, position)
		return manageOut{structure: true}, setOrder(ctx, tx, toTrainID, dst)
	})
	return err
}

// SetCapacity changes a car's capacity.
func (s *Store) SetCapacity(ctx context.Context, carID int64, capacity int) error {
	if err := validCapacity(capacity); err != nil {
		return err
	}
	_, err := s.manage(ctx, func(ctx context.Context, tx *sql.Tx, _ time.Time) (manageOut, error) {
		if _, err := carTrain(ctx, tx, carID); err != nil {
			return manageOut{}, err
		}
		_, err := tx.ExecContext(ctx, "UPDATE cars SET capacity = ? WHERE id = ?", capacity, carID)
		return manageOut{cars: []int64{carID}}, err
	})
	return err
}

// AssignDoor puts a door sensor on a car. A sensor is on at most one car:
// assigning a sensor another car holds is a conflict (use MoveDoor).
// Assigning it again to the same car updates its label and direction.
func (s *Store) AssignDoor(ctx context.Context, carID int64, d Door) error {
	if err := ValidSensorID(d.SensorID); err != nil {
		return err
	}
	d.Label = strings.TrimSpace(d.Label)
	if utf8.RuneCountInString(d.Label) > MaxLabelLen || !utf8.ValidString(d.Label) {
		return errf(ErrInvalid, "door label must be at most %d characters", MaxLabelLen)
	}
	_, err := s.manage(ctx, func(ctx context.Context, tx *sql.Tx, _ time.Time) (manageOut, error) {
		if _, err := carTrain(ctx, tx, carID); err != nil {
			return manageOut{}, err
		}
		var holder int64
		err := tx.QueryRowContext(ctx, "SELECT car_id FROM doors WHERE sensor_id = ?", d.SensorID).Scan(&holder)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return manageOut{}, err
		case holder != carID:
			return manageOut{}, errf(ErrConflict, "sensor %q is on car %d", d.SensorID, holder)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO doors(sensor_id, car_id, label, inverted) VALUES(?,?,?,?)
			ON CONFLICT(sensor_id) DO UPDATE SET label = excluded.label, inverted = excluded.inverted`,
			d.SensorID, carID, d.Label, d.Inverted)
		return manageOut{structure: true, cars: []int64{carID}}, err
	})
	return err
}

// MoveDoor moves a sensor to another car, assigning it if no car holds it.
// The target car is checked before anything changes.
func (s *Store) MoveDoor(ctx context.Context, sensorID string, toCarID int64) error {
	if err := ValidSensorID(sensorID); err != nil {
		return err
	}
	_, err := s.manage(ctx, func(ctx context.Context, tx *sql.Tx, _ time.Time) (manageOut, error) {
		if _, err := carTrain(ctx, tx, toCarID); err != nil {
			return manageOut{}, err
		}
		var from int64
		err := tx.QueryRowContext(ctx, "SELECT car_id FROM doors WHERE sensor_id = ?", sensorID).Scan(&from)
		if errors.Is(err, sql.ErrNoRows) {
			_, err = tx.ExecContext(ctx, "INSERT INTO doors(sensor_id, car_id) VALUES(?,?)", sensorID, toCarID)
			return manageOut{structure: true, cars: []int64{toCarID}}, err
		}
		if err != nil {
			return manageOut{}, err
		}
		_, err = tx.ExecContext(ctx, "UPDATE doors SET car_id = ? WHERE sensor_id = ?", toCarID, sensorID)
		return manageOut{structure: true, cars: []int64{from, toCarID}}, err
	})
	return err
}

// UnassignDoor takes a sensor off its car.
func (s *Store) UnassignDoor(ctx context.Context, sensorID string) error {
	_, err := s.manage(ctx, func(ctx context.Context, tx *sql.Tx, _ time.Time) (manageOut, error) {
		var car int64
		err := tx.QueryRowContext(ctx, "SELECT car_id FROM doors WHERE sensor_id = ?", sensorID).Scan(&car)
		if errors.Is(err, sql.ErrNoRows) {
			return manageOut{}, errf(ErrUnknownSensor, "sensor %q", sensorID)
		}
		if err != nil {
			return manageOut{}, err
		}
		_, err = tx.ExecContext(ctx, "DELETE FROM doors WHERE sensor_id = ?", sensorID)
		return manageOut{structure: true, cars: []int64{car}}, err
	})
	return err
}

// setCount sets one car's count by hand and logs it.
func setCount(ctx context.Context, tx *sql.Tx, now time.Time, carID int64, count int, typ EventType, out Outcome, reason string) error {
	var train int64
	var old int
	err := tx.QueryRowContext(ctx, "SELECT train_id, count FROM cars WHERE id = ?", carID).Scan(&train, &old)
	if errors.Is(err, sql.ErrNoRows) {
		return errf(ErrNotFound, "car %d", carID)
	}
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, "UPDATE cars SET count = ?, updated_at = ? WHERE id = ?", count, now.UnixMilli(), carID); err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, "INSERT INTO events(time, train_id, car_id, type, outcome, delta, count_after, reason) VALUES(?,?,?,?,?,?,?,?)",
		now.UnixMilli(), train, carID, string(typ), string(out), count-old, count, reason)
	return err
}

// ResetCar sets a car's count to zero (logged, with an optional reason).
func (s *Store) ResetCar(ctx context.Context, carID int64, reason string) error {
	reason, err := cleanReason(reason, false)
	if err != nil {
		return err
	}
	_, err = s.manage(ctx, func(ctx context.Context, tx *sql.Tx, now time.Time) (manageOut, error) {
		return manageOut{cars: []int64{carID}}, setCount(ctx, tx, now, carID, 0, TypeReset, OutcomeReset, reason)
	})
	return err
}

// ResetTrain sets every car of a train to zero (logged per car).
func (s *Store) ResetTrain(ctx context.Context, trainID int64, reason string) error {
	reason, err := cleanReason(reason, false)
	if err != nil {
		return err
	}
	_, err = s.manage(ctx, func(ctx context.Context, tx *sql.Tx, now time.Time) (manageOut, error) {
		if err := exists(ctx, tx, "trains", trainID); err != nil {
			return manageOut{}, err
		}
		ids, err := carIDs(ctx, tx, trainID)
		if err != nil {
			return manageOut{}, err
		}
		for _, id := range ids {
			if err := setCount(ctx, tx, now, id, 0, TypeReset, OutcomeReset, reason); err != nil {
				return manageOut{}, err
			}
		}
		return manageOut{cars: ids}, nil
	})
	return err
}

// CorrectCount sets a car's count by hand; the reason is required and logged.
func (s *Store) CorrectCount(ctx context.Context, carID int64, count int, reason string) error {
	if count < 0 || count > 100*MaxCapacity {
		return errf(ErrInvalid, "count must be 0 to %d", 100*MaxCapacity)
	}
	reason, err := cleanReason(reason, true)
	if err != nil {
		return err
	}
	_, err = s.manage(ctx, func(ctx context.Context, tx *sql.Tx, now time.Time) (manageOut, error) {
		return manageOut{cars: []int64{carID}}, setCount(ctx, tx, now, carID, count, TypeCorrect, OutcomeCorrected, reason)
	})
	return err
}
