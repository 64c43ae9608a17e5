//go:build !race

package thingplus_test

const raceEnabled = false
