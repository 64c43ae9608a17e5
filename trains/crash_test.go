package trains

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const crashEnv = "TRAINS_CRASH_CHILD_DIR"

// TestMain lets the crash test re-run this test binary as a child that
// pushes until it is killed.
func TestMain(m *testing.M) {
	if dir := os.Getenv(crashEnv); dir != "" {
		crashChild(dir)
		return
	}
	code := m.Run()
	stopPostgres()
	os.Exit(code)
}

// crashChild pushes IN events from 64 goroutines forever, printing the key of
// every acknowledged push. The parent kills it with SIGKILL.
func crashChild(dir string) {
	s, err := Open(context.Background(), dir, Options{})
	if err != nil {
		fmt.Println("ERR", err)
		os.Exit(1)
	}
	out := bufio.NewWriter(os.Stdout)
	var mu sync.Mutex
	fmt.Println("READY")
	var wg sync.WaitGroup
	for w := range 64 {
		wg.Go(func() {
			for i := 0; ; i++ {
				key := fmt.Sprintf("k-%d-%d", w, i)
				r, err := s.Apply(context.Background(), Push{SensorID: SeedSensorID(w%3+1, w%4+1), Type: TypeIn, EventKey: key})
				if err != nil || r.Outcome != OutcomeApplied {
					continue
				}
				mu.Lock()
				fmt.Fprintln(out, "ACK", key)
				out.Flush() // the parent sees an ack only after Apply returned
				mu.Unlock()
			}
		})
	}
	wg.Wait()
}

func TestKillDuringLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess test")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashEnv+"="+dir)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stdout)
	acked := map[string]bool{}
	deadline := time.Now().Add(20 * time.Second)
	killed := false
	for sc.Scan() {
		line := sc.Text()
		if k, ok := strings.CutPrefix(line, "ACK "); ok {
			acked[k] = true
		} else if strings.HasPrefix(line, "ERR") {
			t.Fatal(line)
		}
		if !killed && (len(acked) >= 3000 || time.Now().After(deadline)) {
			// Kill mid-load: pushes are in flight in the writer right now.
			cmd.Process.Signal(syscall.SIGKILL)
			killed = true
		}
	}
	err = cmd.Wait()
	if !killed || err == nil {
		t.Fatalf("child was not killed: %v", err)
	}
	if len(acked) < 100 {
		t.Fatalf("only %d acks before the deadline", len(acked))
	}

	s := openTest(t, dir)
	ctx := context.Background()
	stored := map[string]bool{}
	applied := 0
	if err := s.EachEvent(ctx, EventFilter{Outcome: OutcomeApplied}, func(e Event) error {
		stored[e.EventKey] = true
		applied++
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for k := range acked {
		if !stored[k] {
			t.Fatalf("acknowledged push %s lost after kill -9", k)
		}
	}
	ts, _ := s.Trains(ctx)
	sum := 0
	for _, c := range ts[0].Cars {
		sum += c.Count
	}
	if sum != applied {
		t.Fatalf("sum of counts %d != applied events %d", sum, applied)
	}
	t.Logf("%d acknowledged before kill, %d committed (every ack present)", len(acked), applied)
	// Replaying every acknowledged key counts nothing.
	for k := range acked {
		var w, i int
		fmt.Sscanf(k, "k-%d-%d", &w, &i)
		r, err := s.Apply(ctx, Push{SensorID: SeedSensorID(w%3+1, w%4+1), Type: TypeIn, EventKey: k})
		if err != nil || r.Outcome != OutcomeDuplicate {
			t.Fatalf("replay %s: %s %v", k, r.Outcome, err)
		}
		break
	}
}
