package trains

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// Background upkeep: the summaries of rejected pushes dropped from the log,
// and retention of old events, duplicate-detection keys and expired tokens,
// deleted in small batches, each its own short transaction on the writer,
// so pushes queued meanwhile go between two batches.

// Defaults of the upkeep settings.
const (
	DefaultEventsRetention = 90 * 24 * time.Hour
	DefaultDedupeWindow    = 7 * 24 * time.Hour
	DefaultTokenGrace      = 24 * time.Hour
	DefaultRejectBudget    = 60
	retentionBatch         = 500
)

type maintConfig struct {
	events, dedupe time.Duration // <= 0 keeps everything
}

func orDefault(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

// configure applies the options that need the database: admins, the token
// secret and cache, the reject budget, and a token for every train.
func (s *Store) configure(ctx context.Context, opt Options) error {
	s.access = accessConfig{admins: opt.Admins}
	s.tokenSecret = opt.TokenSecret
	if len(s.tokenSecret) == 0 {
		s.tokenSecret = []byte(newNonce() + newNonce())
	}
	if len(s.tokenSecret) < 16 {
		return errNoSecret
	}
	s.tokenGrace = orDefault(opt.TokenGrace, DefaultTokenGrace)
	s.tokens = &tokenCache{}
	budget := opt.RejectBudget
	if budget <= 0 {
		budget = DefaultRejectBudget
	}
	s.rejects = newRejectLog(budget)
	s.maint = maintConfig{events: orDefault(opt.EventsRetention, DefaultEventsRetention), dedupe: orDefault(opt.DedupeWindow, DefaultDedupeWindow)}
	return s.ensureTokens(ctx, s.wdb)
}

func (s *Store) logf(format string, args ...any) { slog.Warn(fmt.Sprintf(format, args...)) }

// maintain runs the upkeep until Close.
func (s *Store) maintain() {
	defer close(s.maintDone)
	roll := time.NewTicker(10 * time.Second)
	defer roll.Stop()
	ret := time.NewTicker(time.Minute)
	defer ret.Stop()
	ctx := context.Background()
	for {
		select {
		case <-s.quit:
			return
		case <-roll.C:
			s.flushRejects(ctx)
		case <-ret.C:
			if _, err := s.Retain(ctx); err != nil {
				s.logf("trains: retention: %v", err)
			}
		}
	}
}

// Retained counts what one retention pass deleted.
type Retained struct {
	Events, Keys, Tokens int64
}

// Retain deletes events older than EventsRetention, duplicate keys older
// than DedupeWindow and expired tokens, in batches of a few hundred rows.
func (s *Store) Retain(ctx context.Context) (Retained, error) {
	var r Retained
	now := s.now()
	if s.maint.events > 0 {
		n, err := s.deleteBatches(ctx, `DELETE FROM events WHERE id IN
			(SELECT id FROM events WHERE time < ? AND type <> 'SEED' LIMIT ?)`, now.Add(-s.maint.events).UnixMilli())
		if r.Events = n; err != nil {
			return r, err
		}
	}
	if s.maint.dedupe > 0 {
		n, err := s.deleteBatches(ctx, `DELETE FROM event_keys WHERE key IN
			(SELECT key FROM event_keys WHERE at < ? LIMIT ?)`, now.Add(-s.maint.dedupe).UnixMilli())
		if r.Keys = n; err != nil {
			return r, err
		}
	}
	n, err := s.deleteBatches(ctx, `DELETE FROM train_tokens WHERE hash IN
		(SELECT hash FROM train_tokens WHERE expires_at <> 0 AND expires_at < ? LIMIT ?)`, now.UnixMilli())
	r.Tokens = n
	return r, err
}

func (s *Store) deleteBatches(ctx context.Context, q string, cutoff int64) (int64, error) {
	var total int64
	for {
		v, err := s.manage(ctx, func(ctx context.Context, tx *sql.Tx, _ time.Time) (manageOut, error) {
			res, err := tx.ExecContext(ctx, q, cutoff, retentionBatch)
			if err != nil {
				return manageOut{}, err
			}
			n, _ := res.RowsAffected()
			return manageOut{value: n, keep: true}, nil
		})
		if err != nil {
			return total, err
		}
		n := v.(int64)
		total += n
		if n < retentionBatch {
			return total, nil
		}
	}
}

// ---- rejected pushes ----

// rejectLog counts rejected pushes per reason and lets at most budget of
// each reason per minute into the event log; the rest become one summary
// row per reason when the minute is over.
type rejectLog struct {
	budget  int
	mu      sync.Mutex
	minute  int64
	used    map[Outcome]int
	dropped map[Outcome]int64
	total   map[Outcome]int64
}

func newRejectLog(budget int) *rejectLog {
	return &rejectLog{budget: budget, used: map[Outcome]int{}, dropped: map[Outcome]int64{}, total: map[Outcome]int64{}}
}

// admit counts a rejection and says whether it may be logged; when a new
// minute began it also returns the summaries of the last one.
func (l *rejectLog) admit(o Outcome, now time.Time) (bool, map[Outcome]int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	sums := l.rollLocked(now)
	l.total[o]++
	if l.used[o] < l.budget {
		l.used[o]++
		return true, sums
	}
	l.dropped[o]++
	return false, sums
}

func (l *rejectLog) rollLocked(now time.Time) map[Outcome]int64 {
	m := now.Unix() / 60
	if m == l.minute {
		return nil
	}
	l.minute = m
	clear(l.used)
	if len(l.dropped) == 0 {
		return nil
	}
	sums := l.dropped
	l.dropped = map[Outcome]int64{}
	return sums
}

// Rejections are the rejected pushes since start, per reason (all of them,
// logged or not).
func (s *Store) Rejections() map[Outcome]int64 {
	s.rejects.mu.Lock()
	defer s.rejects.mu.Unlock()
	out := make(map[Outcome]int64, len(s.rejects.total))
	for k, v := range s.rejects.total {
		out[k] = v
	}
	return out
}

// LogRejected records a push refused before it reached the counts (for
// example OutcomeBadKey): always counted, written to the event log only
// within the per-minute budget of its reason. Strings are truncated to the
// stored limits.
func (s *Store) LogRejected(ctx context.Context, r Rejected) error {
	if r.Outcome == "" {
		r.Outcome = OutcomeInvalid
	}
	ok, sums := s.rejects.admit(r.Outcome, s.now())
	if err := s.writeSummaries(ctx, sums); err != nil {
		return err
	}
	if !ok {
		return nil
	}
	return s.submit(ctx, &op{kind: opReject, rej: r}).err
}

func (s *Store) flushRejects(ctx context.Context) {
	s.rejects.mu.Lock()
	sums := s.rejects.rollLocked(s.now())
	s.rejects.mu.Unlock()
	if err := s.writeSummaries(ctx, sums); err != nil {
		s.logf("trains: log rejected summary: %v", err)
	}
}

func (s *Store) writeSummaries(ctx context.Context, sums map[Outcome]int64) error {
	for o, n := range sums {
		reason := fmt.Sprintf("and %d more %s pushes in that minute (not logged one by one)", n, strings.ReplaceAll(string(o), "_", " "))
		if err := s.submit(ctx, &op{kind: opReject, rej: Rejected{Type: "SUMMARY", Outcome: o, Reason: reason}}).err; err != nil {
			return err
		}
	}
	return nil
}
