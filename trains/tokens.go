package trains

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Per-train webhook tokens. A token is HMAC-SHA256(secret, nonce): the
// database keeps the random nonce and the token's SHA-256 (for lookup), never
// the token, so a copy of the database alone pushes nothing; the server,
// which has the secret, can show the owner the push URL again and re-point
// rules. Rotating keeps the old token working for a grace period.

// TokenHashLen is the length of a stored token hash (hex SHA-256).
const tokenNonceBytes = 16 // 128 random bits

// HashToken is the stored form of a token.
func HashToken(token string) [32]byte { return sha256.Sum256([]byte(token)) }

func (s *Store) deriveToken(nonce string) string {
	m := hmac.New(sha256.New, s.tokenSecret)
	m.Write([]byte("trains webhook token\x00" + nonce))
	return hex.EncodeToString(m.Sum(nil))
}

func newNonce() string {
	b := make([]byte, tokenNonceBytes)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// insertToken gives a train a new current token.
func (s *Store) insertToken(ctx context.Context, tx *sql.Tx, trainID int64, now time.Time) error {
	nonce := newNonce()
	h := HashToken(s.deriveToken(nonce))
	_, err := tx.ExecContext(ctx, "INSERT INTO train_tokens(hash, train_id, nonce, created_at, expires_at) VALUES(?,?,?,?,0)",
		hex.EncodeToString(h[:]), trainID, nonce, now.UnixMilli())
	return err
}

// ensureTokens gives every train without a current token one (trains from
// before tokens existed, the seed).
func (s *Store) ensureTokens(ctx context.Context, db *sql.DB) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("trains: tokens: %w", err)
	}
	defer tx.Rollback()
	// Instances starting together take turns: one current token per train.
	if err := s.backend.lockVersion(ctx, tx); err != nil {
		return fmt.Errorf("trains: tokens: %w", err)
	}
	rows, err := tx.QueryContext(ctx, "SELECT id FROM trains WHERE id NOT IN (SELECT train_id FROM train_tokens WHERE expires_at = 0)")
	if err != nil {
		return fmt.Errorf("trains: tokens: %w", err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return fmt.Errorf("trains: tokens: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	for _, id := range ids {
		if err := s.insertToken(ctx, tx, id, s.now()); err != nil {
			return fmt.Errorf("trains: tokens: %w", err)
		}
	}
	return tx.Commit()
}

// TokenInfo is a train's current token and, after a rotation, when the
// previous one stops working.
type TokenInfo struct {
	Token      string
	GraceUntil time.Time // zero when no older token still works
}

// Token returns a train's current push token (show it to the owner only).
func (s *Store) Token(ctx context.Context, trainID int64) (TokenInfo, error) {
	rows, err := s.rdb.QueryContext(ctx, "SELECT nonce, expires_at FROM train_tokens WHERE train_id = ? AND (expires_at = 0 OR expires_at > ?)",
		trainID, s.now().UnixMilli())
	if err != nil {
		return TokenInfo{}, fmt.Errorf("trains: read token: %w", err)
	}
	defer rows.Close()
	var ti TokenInfo
	for rows.Next() {
		var nonce string
		var exp int64
		if err := rows.Scan(&nonce, &exp); err != nil {
			return TokenInfo{}, fmt.Errorf("trains: read token: %w", err)
		}
		if exp == 0 {
			ti.Token = s.deriveToken(nonce)
		} else if t := time.UnixMilli(exp); t.After(ti.GraceUntil) {
			ti.GraceUntil = t
		}
	}
	if err := rows.Err(); err != nil {
		return TokenInfo{}, fmt.Errorf("trains: read token: %w", err)
	}
	if ti.Token == "" {
		return ti, errf(ErrNotFound, "token of train %d", trainID)
	}
	return ti, nil
}

// RotateToken gives a train a new token; the current one keeps working
// until the grace period (Options.TokenGrace) ends.
func (s *Store) RotateToken(ctx context.Context, trainID int64) (TokenInfo, error) {
	_, err := s.manage(ctx, func(ctx context.Context, tx *sql.Tx, now time.Time) (manageOut, error) {
		if err := exists(ctx, tx, "trains", trainID); err != nil {
			return manageOut{}, err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE train_tokens SET expires_at = ? WHERE train_id = ? AND expires_at = 0",
			now.Add(s.tokenGrace).UnixMilli(), trainID); err != nil {
			return manageOut{}, err
		}
		return manageOut{access: true, keep: true}, s.insertToken(ctx, tx, trainID, now)
	})
	if err != nil {
		return TokenInfo{}, err
	}
	return s.Token(ctx, trainID)
}

// TokenTrain is the train a push token belongs to (false for an unknown or
// expired token). It answers from memory: a flood of wrong tokens costs a
// hash and a map lookup, and at most one database read per second.
func (s *Store) TokenTrain(token string) (int64, bool) {
	if token == "" {
		return 0, false
	}
	return s.tokens.lookup(s, HashToken(token))
}

type tokenRef struct {
	train   int64
	expires int64 // unix ms; 0 = current
}

// tokenCache is the tokens table in memory. It is reloaded after this
// process changes tokens, every tokenMaxAge, and on a miss at most once per
// tokenMissEvery (another instance may have made the token).
type tokenCache struct {
	mu       sync.RWMutex
	m        map[[32]byte]tokenRef
	loaded   time.Time
	stale    bool
	reloadMu sync.Mutex
}

const (
	tokenMaxAge    = 5 * time.Second
	tokenMissEvery = time.Second
)

func (c *tokenCache) invalidate() {
	c.mu.Lock()
	c.stale = true
	c.mu.Unlock()
}

func (c *tokenCache) lookup(s *Store, h [32]byte) (int64, bool) {
	now := s.now()
	for try := 0; ; try++ {
		c.mu.RLock()
		ref, ok := c.m[h]
		age, stale := now.Sub(c.loaded), c.stale
		c.mu.RUnlock()
		need := stale || age > tokenMaxAge || (!ok && age > tokenMissEvery)
		if try > 0 || !need {
			if !ok || (ref.expires != 0 && now.UnixMilli() >= ref.expires) {
				return 0, false
			}
			return ref.train, true
		}
		if err := c.reload(s); err != nil {
			s.logf("trains: reload tokens: %v", err)
		}
	}
}

func (c *tokenCache) reload(s *Store) error {
	c.reloadMu.Lock()
	defer c.reloadMu.Unlock()
	c.mu.RLock()
	fresh := !c.stale && s.now().Sub(c.loaded) < 100*time.Millisecond
	c.mu.RUnlock()
	if fresh { // another caller just reloaded
		return nil
	}
	now := s.now()
	rows, err := s.rdb.Query("SELECT hash, train_id, expires_at FROM train_tokens WHERE expires_at = 0 OR expires_at > ?", now.UnixMilli())
	if err != nil {
		c.mu.Lock()
		c.loaded = now // do not hammer a failing database
		c.mu.Unlock()
		return err
	}
	defer rows.Close()
	m := make(map[[32]byte]tokenRef)
	for rows.Next() {
		var hs string
		var ref tokenRef
		if err := rows.Scan(&hs, &ref.train, &ref.expires); err != nil {
			return err
		}
		var h [32]byte
		if b, err := hex.DecodeString(hs); err == nil && len(b) == 32 {
			copy(h[:], b)
			m[h] = ref
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	c.m, c.loaded, c.stale = m, now, false
	c.mu.Unlock()
	return nil
}

var errNoSecret = errors.New("trains: token secret too short")
