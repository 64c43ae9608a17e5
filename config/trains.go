package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Trains holds the settings of the trains feature's ownership, tokens and
// upkeep.
type Trains struct {
	Admins          []string      // TRAINS_ADMINS: loginIds that see and may claim trains without an owner
	TokenGrace      time.Duration // WEBHOOK_TOKEN_GRACE: how long a rotated-out token keeps working
	TokenSecret     string        // WEBHOOK_TOKEN_SECRET: derives the per-train tokens ("" = kept in DATA_DIR)
	WebhookRate     int           // WEBHOOK_RATE: refused pushes a second per address before 429
	EventsRetention time.Duration // EVENTS_RETENTION: event log entries older than this are deleted (0 = keep)
	DedupeWindow    time.Duration // DEDUPE_WINDOW: duplicate-detection keys older than this are deleted (0 = keep)
}

func loadTrains(getenv func(string) string) (Trains, error) {
	t := Trains{}
	for _, a := range strings.Split(getenv("TRAINS_ADMINS"), ",") {
		if a = strings.TrimSpace(a); a != "" {
			t.Admins = append(t.Admins, a)
		}
	}
	var err error
	if t.TokenGrace, err = days("WEBHOOK_TOKEN_GRACE", getenv("WEBHOOK_TOKEN_GRACE"), 24*time.Hour, false); err != nil {
		return t, err
	}
	if t.EventsRetention, err = days("EVENTS_RETENTION", getenv("EVENTS_RETENTION"), 90*24*time.Hour, true); err != nil {
		return t, err
	}
	if t.DedupeWindow, err = days("DEDUPE_WINDOW", getenv("DEDUPE_WINDOW"), 7*24*time.Hour, true); err != nil {
		return t, err
	}
	t.TokenSecret = getenv("WEBHOOK_TOKEN_SECRET")
	if t.TokenSecret != "" && len(t.TokenSecret) < 32 {
		return t, &Error{"WEBHOOK_TOKEN_SECRET", "must be at least 32 characters"}
	}
	t.WebhookRate = 50
	if v := getenv("WEBHOOK_RATE"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1_000_000 {
			return t, &Error{"WEBHOOK_RATE", fmt.Sprintf("%q is not a whole number from 1 to 1000000", v)}
		}
		t.WebhookRate = n
	}
	return t, nil
}

// days reads a duration written as a Go duration ("36h", "90m") or in
// days ("90d"); "0" turns the feature off where off is allowed.
func days(name, v string, def time.Duration, offOK bool) (time.Duration, error) {
	if v == "" {
		return def, nil
	}
	if v == "0" && offOK {
		return -1, nil // the store reads a negative value as "keep everything"
	}
	var d time.Duration
	var err error
	if n, ok := strings.CutSuffix(v, "d"); ok {
		var k int
		k, err = strconv.Atoi(n)
		d = time.Duration(k) * 24 * time.Hour
	} else {
		d, err = time.ParseDuration(v)
	}
	if err != nil || d < time.Minute || d > 100*365*24*time.Hour {
		return 0, &Error{name, fmt.Sprintf("%q is not a duration such as 24h or 90d (at least 1m)", v)}
	}
	return d, nil
}
