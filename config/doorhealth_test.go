package config

import (
	"testing"
	"time"
)

func TestDoorHealth(t *testing.T) {
	env := map[string]string{"DOOR_SILENT_AFTER": "15m", "DOOR_SILENT_PUSHES": "30", "DRIFT_CLAMPED_PER_HOUR": "8", "DRIFT_HIGH_FOR": "20m"}
	h, err := loadDoorHealth(func(k string) string { return env[k] })
	if err != nil || h != (DoorHealth{15 * time.Minute, 30, 8, 20 * time.Minute}) {
		t.Fatalf("%+v %v", h, err)
	}
	if h, err := loadDoorHealth(func(string) string { return "" }); err != nil || h != (DoorHealth{}) {
		t.Fatalf("defaults: %+v %v", h, err)
	}
	for k, v := range map[string]string{"DOOR_SILENT_AFTER": "10s", "DOOR_SILENT_PUSHES": "0", "DRIFT_CLAMPED_PER_HOUR": "x", "DRIFT_HIGH_FOR": "2d"} {
		_, err := loadDoorHealth(func(n string) string {
			if n == k {
				return v
			}
			return ""
		})
		if e, ok := err.(*Error); !ok || e.Var != k {
			t.Errorf("%s=%s: %v", k, v, err)
		}
	}
}
