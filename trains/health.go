package trains

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// CheckWritable proves the database takes writes: it writes a health row
// through the writer (the path every push takes, fsync included) and reads
// it back through the read pool. For /readyz: an instance that cannot store
// pushes must leave the load balancer.
func (s *Store) CheckWritable(ctx context.Context) error {
	mark := time.Now().UnixNano()
	_, err := s.manage(ctx, func(ctx context.Context, tx *sql.Tx, _ time.Time) (manageOut, error) {
		if _, err := tx.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS health(id INTEGER PRIMARY KEY CHECK (id = 1), mark BIGINT NOT NULL)"); err != nil {
			return manageOut{}, err
		}
		_, err := tx.ExecContext(ctx, "INSERT INTO health(id, mark) VALUES(1, ?) ON CONFLICT(id) DO UPDATE SET mark = excluded.mark", mark)
		return manageOut{}, err
	})
	if err != nil {
		return fmt.Errorf("trains: health write: %w", err)
	}
	var got int64
	if err := s.rdb.QueryRowContext(ctx, "SELECT mark FROM health WHERE id = 1").Scan(&got); err != nil {
		return fmt.Errorf("trains: health read: %w", err)
	}
	if got != mark {
		// Another probe may have written after ours; only an older mark is wrong.
		if got < mark {
			return fmt.Errorf("trains: health read %d, wrote %d", got, mark)
		}
	}
	return nil
}
