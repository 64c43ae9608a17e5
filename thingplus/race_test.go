//go:build race

package thingplus_test

// raceEnabled: the race detector's shadow memory inflates RSS several
// times over, so memory tests assert the Go heap only.
const raceEnabled = true
