package trains

import (
	"context"
	"database/sql"
	"testing"
	"time"
)

// A caller that goes away after its push was queued for the commit still
// gets the commit's outcome: the push is stored and Apply says so (it used
// to answer "context canceled" — a 503 "not stored" — for a stored push).
func TestApplyAnswersTheCommitsOutcomeAfterTheCallerLeft(t *testing.T) {
	contract(t, testApplyAnswersTheCommitsOutcomeAfterTheCallerLeft)
}

func testApplyAnswersTheCommitsOutcomeAfterTheCallerLeft(t *testing.T, tb testBackend) {
	s := tb.openTest(t, "")
	hold, release := make(chan struct{}), make(chan struct{})
	go s.manage(context.Background(), func(context.Context, *sql.Tx, time.Time) (manageOut, error) {
		close(hold)
		<-release // the writer is busy: the push below waits in the queue
		return manageOut{}, nil
	})
	<-hold
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := s.Apply(ctx, Push{SensorID: SeedSensorID(1, 1), Type: TypeIn, EventKey: "k-gone"})
		done <- err
	}()
	for len(s.ops) == 0 {
		time.Sleep(time.Millisecond)
	}
	cancel() // the webhook client disconnects
	time.Sleep(20 * time.Millisecond)
	close(release)
	if err := <-done; err != nil {
		t.Fatalf("a stored push was answered with %v", err)
	}
	if c := mustCar(t, s, 2000); c.Count != 1 {
		t.Fatalf("count %d, want 1", c.Count)
	}
}
