package thingplus

import (
	"testing"
	"time"
)

func TestZone(t *testing.T) {
	at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for tz, want := range map[string]string{
		"+9.00": "09:00 KST", "+09.50": "09:30 UTC+09:30", "+09:00": "09:00 KST", "-3.00": "21:00 UTC-03:00",
		"+0.00": "00:00 UTC", "": "09:00 KST", "garbage": "09:00 KST", "+99": "09:00 KST", " ": "09:00 KST", "+9:75": "09:00 KST", "+5.75": "05:45 UTC+05:45",
	} {
		if got := at.In(Zone(tz)).Format("15:04 MST"); got != want {
			t.Errorf("Zone(%q) → %q, want %q", tz, got, want)
		}
	}
}

func TestUserLocation(t *testing.T) {
	at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	if got := at.In((User{Timezone: "+9.00"}).Location()).Format("15:04 MST"); got != "09:00 KST" {
		t.Fatalf("demo user's zone: %s", got)
	}
	// A user without a zone in Thing+ reads Asia/Seoul times, not UTC.
	if got := at.In((User{}).Location()).Format("15:04 MST -07:00"); got != "09:00 KST +09:00" {
		t.Fatalf("no time zone: %s, want Asia/Seoul", got)
	}
}
