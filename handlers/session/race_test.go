//go:build race

package session_test

// raceEnabled: the race detector slows every goroutine several times over,
// so the stall tests' latency bounds are checked in a run without it (the
// test task's "test-stall" step); with it they check everything else.
const raceEnabled = true
