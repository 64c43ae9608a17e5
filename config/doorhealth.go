package config

import (
	"fmt"
	"strconv"
	"time"
)

// DoorHealth tunes the trains' door-sensor health checks; zero values take
// the store's defaults.
type DoorHealth struct {
	SilentAfter     time.Duration // DOOR_SILENT_AFTER: a door silent this long is flagged… (default 10m)
	SilentMinPushes int           // DOOR_SILENT_PUSHES: …when its car's other doors pushed this often meanwhile (default 20)
	ClampedPerHour  int           // DRIFT_CLAMPED_PER_HOUR: OUT pushes into an empty car an hour before a drift flag (default 5)
	HighFor         time.Duration // DRIFT_HIGH_FOR: how long above twice the capacity before a drift flag (default 10m)
}

func loadDoorHealth(getenv func(string) string) (DoorHealth, error) {
	var h DoorHealth
	dur := func(name string, to *time.Duration) error {
		v := getenv(name)
		if v == "" {
			return nil
		}
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Minute || d > 24*time.Hour {
			return &Error{name, fmt.Sprintf("%q is not a duration from 1m to 24h", v)}
		}
		*to = d
		return nil
	}
	num := func(name string, to *int) error {
		v := getenv(name)
		if v == "" {
			return nil
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100000 {
			return &Error{name, fmt.Sprintf("%q is not a whole number from 1 to 100000", v)}
		}
		*to = n
		return nil
	}
	for _, err := range []error{
		dur("DOOR_SILENT_AFTER", &h.SilentAfter), num("DOOR_SILENT_PUSHES", &h.SilentMinPushes),
		num("DRIFT_CLAMPED_PER_HOUR", &h.ClampedPerHour), dur("DRIFT_HIGH_FOR", &h.HighFor),
	} {
		if err != nil {
			return h, err
		}
	}
	return h, nil
}
