//go:build race

package main

// raceEnabled: the race detector slows every goroutine several times over,
// so the latency bounds of the multi-instance test are checked in a run
// without it (the test task's "instances" step).
const raceEnabled = true
