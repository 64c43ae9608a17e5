package trains

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
)

// Ownership and sharing. Every train belongs to one Thing+ account (its user
// id; the loginId is kept for display). The owner may share it with other
// loginIds as viewer or editor. Trains from before owners existed have none:
// only the admins (TRAINS_ADMINS) see them, until one claims them.

// Owner is a Thing+ account.
type Owner struct {
	ID    string // Thing+ user id (users/me "id")
	Login string // loginId
	// Zone is the account's Thing+ time zone as users/me gives it ("+9.00",
	// decimal hours; "" unknown). Every reader sees the train's times in it.
	Zone string
}

// DemoOwner is the built-in sandbox's demo account, owner of the seed.
var DemoOwner = Owner{ID: "1", Login: "demo"}

func (o Owner) orDemo() Owner {
	if o.ID == "" {
		return DemoOwner
	}
	return o
}

// Principal is who is asking: a signed-in Thing+ account.
type Principal struct {
	UserID  string
	LoginID string
}

// Role is what a principal may do with a train. Higher roles include the
// lower ones.
type Role int

// Roles, from least to most.
const (
	RoleNone   Role = iota // may not know the train exists
	RoleViewer             // counts, live updates, event log, CSV
	RoleEditor             // also cars, doors, corrections and resets
	RoleOwner              // also rename, delete, share, see and rotate the token
)

// String is the role's name ("viewer", "editor", "owner", "").
func (r Role) String() string {
	switch r {
	case RoleViewer:
		return "viewer"
	case RoleEditor:
		return "editor"
	case RoleOwner:
		return "owner"
	}
	return ""
}

// ParseShareRole reads a role a train can be shared with.
func ParseShareRole(s string) (Role, error) {
	switch s {
	case "viewer":
		return RoleViewer, nil
	case "editor":
		return RoleEditor, nil
	}
	return RoleNone, errf(ErrInvalid, "role must be viewer or editor")
}

type accessConfig struct {
	admins []string // loginIds
}

// IsAdmin reports whether loginID is one of TRAINS_ADMINS.
func (s *Store) IsAdmin(loginID string) bool {
	return loginID != "" && slices.Contains(s.access.admins, loginID)
}

// rolesTx reads the shares granted to p's loginId.
func (s *Store) rolesTx(ctx context.Context, q querier, p Principal) (map[int64]Role, error) {
	roles := map[int64]Role{}
	if p.LoginID == "" {
		return roles, nil
	}
	rows, err := q.QueryContext(ctx, "SELECT train_id, role FROM train_shares WHERE login_id = ?", p.LoginID)
	if err != nil {
		return nil, fmt.Errorf("trains: read shares: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var role string
		if err := rows.Scan(&id, &role); err != nil {
			return nil, fmt.Errorf("trains: read shares: %w", err)
		}
		r, _ := ParseShareRole(role)
		roles[id] = r
	}
	return roles, rows.Err()
}

// roleOf decides p's role on t given p's shares.
func (s *Store) roleOf(p Principal, t Train, shares map[int64]Role) Role {
	switch {
	case p.UserID == "":
		return RoleNone
	case t.OwnerID == p.UserID:
		return RoleOwner
	case t.OwnerID == "" && s.IsAdmin(p.LoginID):
		return RoleViewer // until claimed
	}
	return shares[t.ID]
}

// TrainsFor reads the trains p may see (own, shared, and for admins the
// unclaimed ones), each with p's role.
func (s *Store) TrainsFor(ctx context.Context, p Principal) ([]Train, error) {
	return s.readTrains(ctx, 0, &p)
}

// SnapshotFor is TrainsFor with the version it is at least as new as.
func (s *Store) SnapshotFor(ctx context.Context, p Principal) (Snapshot, error) {
	seq := s.seq.Load()
	ts, err := s.TrainsFor(ctx, p)
	return Snapshot{Seq: seq, Trains: ts}, err
}

// TrainFor reads one train p may see; ErrNotFound when p may not (so ids
// cannot be probed).
func (s *Store) TrainFor(ctx context.Context, p Principal, id int64) (Train, error) {
	ts, err := s.readTrains(ctx, id, &p)
	if err != nil {
		return Train{}, err
	}
	if len(ts) == 0 {
		return Train{}, errf(ErrNotFound, "train %d", id)
	}
	return ts[0], nil
}

// Authorize checks that p may act on train id with at least role need:
// ErrNotFound when p may not see it, ErrForbidden when p may see it but not
// make this change. It returns p's role.
func (s *Store) Authorize(ctx context.Context, p Principal, id int64, need Role) (Role, error) {
	var t Train
	err := s.rdb.QueryRowContext(ctx, "SELECT id, owner_id FROM trains WHERE id = ?", id).Scan(&t.ID, &t.OwnerID)
	if errors.Is(err, sql.ErrNoRows) {
		return RoleNone, errf(ErrNotFound, "train %d", id)
	}
	if err != nil {
		return RoleNone, fmt.Errorf("trains: read train: %w", err)
	}
	var shares map[int64]Role
	if t.OwnerID != p.UserID {
		var role string
		err := s.rdb.QueryRowContext(ctx, "SELECT role FROM train_shares WHERE train_id = ? AND login_id = ?", id, p.LoginID).Scan(&role)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return RoleNone, fmt.Errorf("trains: read shares: %w", err)
		}
		r, _ := ParseShareRole(role)
		shares = map[int64]Role{id: r}
	}
	r := s.roleOf(p, t, shares)
	switch {
	case r == RoleNone:
		return r, errf(ErrNotFound, "train %d", id)
	case r < need:
		return r, errf(ErrForbidden, "%s may not do this on train %d", r, id)
	}
	return r, nil
}

// TrainOfCar is the train a car belongs to (ErrNotFound for no such car).
func (s *Store) TrainOfCar(ctx context.Context, carID int64) (int64, error) {
	var t int64
	err := s.rdb.QueryRowContext(ctx, "SELECT train_id FROM cars WHERE id = ?", carID).Scan(&t)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, errf(ErrNotFound, "car %d", carID)
	}
	if err != nil {
		return 0, fmt.Errorf("trains: read car: %w", err)
	}
	return t, nil
}

// TrainOfSensor is the train whose car holds a sensor (ErrUnknownSensor).
func (s *Store) TrainOfSensor(ctx context.Context, sensorID string) (int64, error) {
	var t int64
	err := s.rdb.QueryRowContext(ctx, "SELECT c.train_id FROM doors d JOIN cars c ON c.id = d.car_id WHERE d.sensor_id = ?", sensorID).Scan(&t)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, errf(ErrUnknownSensor, "sensor %q", sensorID)
	}
	if err != nil {
		return 0, fmt.Errorf("trains: read door: %w", err)
	}
	return t, nil
}

// VisibleTrainIDs are the ids of the trains p may see (event log filter).
func (s *Store) VisibleTrainIDs(ctx context.Context, p Principal) ([]int64, error) {
	ts, err := s.TrainsFor(ctx, p)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, 0, len(ts))
	for _, t := range ts {
		ids = append(ids, t.ID)
	}
	return ids, nil
}

// Share is one grant of a train to another account.
type Share struct {
	LoginID string
	Role    Role
}

// Shares lists who a train is shared with, by loginId.
func (s *Store) Shares(ctx context.Context, trainID int64) ([]Share, error) {
	rows, err := s.rdb.QueryContext(ctx, "SELECT login_id, role FROM train_shares WHERE train_id = ? ORDER BY login_id", trainID)
	if err != nil {
		return nil, fmt.Errorf("trains: read shares: %w", err)
	}
	defer rows.Close()
	var out []Share
	for rows.Next() {
		var sh Share
		var role string
		if err := rows.Scan(&sh.LoginID, &role); err != nil {
			return nil, fmt.Errorf("trains: read shares: %w", err)
		}
		sh.Role, _ = ParseShareRole(role)
		out = append(out, sh)
	}
	return out, rows.Err()
}

// MaxLoginLen bounds a loginId typed into the share form.
const MaxLoginLen = 100

func cleanLogin(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > MaxLoginLen || strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		return "", errf(ErrInvalid, "loginId must be 1 to %d characters without spaces", MaxLoginLen)
	}
	return s, nil
}

// ShareTrain grants loginID a role on a train (replacing an earlier grant).
// Sharing with the owner is refused.
func (s *Store) ShareTrain(ctx context.Context, trainID int64, loginID string, role Role) error {
	login, err := cleanLogin(loginID)
	if err != nil {
		return err
	}
	if role != RoleViewer && role != RoleEditor {
		return errf(ErrInvalid, "role must be viewer or editor")
	}
	_, err = s.manage(ctx, func(ctx context.Context, tx *sql.Tx, _ time.Time) (manageOut, error) {
		var owner string
		err := tx.QueryRowContext(ctx, "SELECT owner_login FROM trains WHERE id = ?", trainID).Scan(&owner)
		if errors.Is(err, sql.ErrNoRows) {
			return manageOut{}, errf(ErrNotFound, "train %d", trainID)
		}
		if err != nil {
			return manageOut{}, err
		}
		if owner == login {
			return manageOut{}, errf(ErrInvalid, "%s owns this train", login)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO train_shares(train_id, login_id, role) VALUES(?,?,?)
			ON CONFLICT(train_id, login_id) DO UPDATE SET role = excluded.role`, trainID, login, role.String())
		return manageOut{structure: true, access: true}, err
	})
	return err
}

// UnshareTrain revokes loginID's access to a train. It takes effect on the
// next request, and open live streams of that account end.
func (s *Store) UnshareTrain(ctx context.Context, trainID int64, loginID string) error {
	_, err := s.manage(ctx, func(ctx context.Context, tx *sql.Tx, _ time.Time) (manageOut, error) {
		r, err := tx.ExecContext(ctx, "DELETE FROM train_shares WHERE train_id = ? AND login_id = ?", trainID, loginID)
		if err != nil {
			return manageOut{}, err
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return manageOut{}, errf(ErrNotFound, "train %d is not shared with %q", trainID, loginID)
		}
		return manageOut{structure: true, access: true}, nil
	})
	return err
}

// ClaimTrain makes owner the owner of a train that has none (admins claim
// trains from before owners existed). A train with an owner is a conflict.
func (s *Store) ClaimTrain(ctx context.Context, trainID int64, owner Owner) error {
	if owner.ID == "" {
		return errf(ErrInvalid, "owner required")
	}
	_, err := s.manage(ctx, func(ctx context.Context, tx *sql.Tx, _ time.Time) (manageOut, error) {
		r, err := tx.ExecContext(ctx, "UPDATE trains SET owner_id = ?, owner_login = ?, owner_zone = ? WHERE id = ? AND owner_id = ''",
			owner.ID, owner.Login, owner.Zone, trainID)
		if err != nil {
			return manageOut{}, err
		}
		if n, _ := r.RowsAffected(); n == 0 {
			if err := exists(ctx, tx, "trains", trainID); err != nil {
				return manageOut{}, err
			}
			return manageOut{}, errf(ErrConflict, "train %d already has an owner", trainID)
		}
		return manageOut{structure: true, access: true}, nil
	})
	return err
}

// SetOwnerZone records an account's Thing+ time zone (users/me, at sign-in)
// on the trains it owns, so their times follow a zone changed in Thing+.
// Nothing is written when it is already current; a change redraws live views.
func (s *Store) SetOwnerZone(ctx context.Context, ownerID, zone string) error {
	if ownerID == "" {
		return nil
	}
	var stale int
	err := s.rdb.QueryRowContext(ctx, "SELECT count(*) FROM trains WHERE owner_id = ? AND owner_zone <> ?", ownerID, zone).Scan(&stale)
	if err != nil || stale == 0 {
		return err
	}
	_, err = s.manage(ctx, func(ctx context.Context, tx *sql.Tx, _ time.Time) (manageOut, error) {
		r, err := tx.ExecContext(ctx, "UPDATE trains SET owner_zone = ? WHERE owner_id = ? AND owner_zone <> ?", zone, ownerID, zone)
		if err != nil {
			return manageOut{}, err
		}
		n, _ := r.RowsAffected()
		return manageOut{structure: n > 0, keep: n == 0}, nil
	})
	return err
}

// OwnerZone is the Thing+ time zone of a train's owner ("" unknown).
func (s *Store) OwnerZone(ctx context.Context, trainID int64) (string, error) {
	var zone string
	err := s.rdb.QueryRowContext(ctx, "SELECT owner_zone FROM trains WHERE id = ?", trainID).Scan(&zone)
	if errors.Is(err, sql.ErrNoRows) {
		return "", errf(ErrNotFound, "train %d", trainID)
	}
	return zone, err
}

// SensorOwner is the owner of the train whose car holds sensorID ("" and
// false when no car holds it).
func (s *Store) SensorOwner(ctx context.Context, sensorID string) (string, bool, error) {
	var owner string
	err := s.rdb.QueryRowContext(ctx, `SELECT t.owner_id FROM doors d JOIN cars c ON c.id = d.car_id
		JOIN trains t ON t.id = c.train_id WHERE d.sensor_id = ?`, sensorID).Scan(&owner)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("trains: read door: %w", err)
	}
	return owner, true, nil
}
