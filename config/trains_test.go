package config

import (
	"errors"
	"slices"
	"testing"
	"time"
)

func TestTrainsSettings(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	tr := c.Trains
	if tr.TokenGrace != 24*time.Hour || tr.WebhookRate != 50 || tr.EventsRetention != 90*24*time.Hour ||
		tr.DedupeWindow != 7*24*time.Hour || tr.Admins != nil || tr.TokenSecret != "" {
		t.Fatalf("defaults: %+v", tr)
	}
	c, err = Load(env(map[string]string{"TRAINS_ADMINS": " ops, admin2 ,", "WEBHOOK_TOKEN_GRACE": "36h", "WEBHOOK_RATE": "10",
		"EVENTS_RETENTION": "0", "DEDUPE_WINDOW": "2d", "WEBHOOK_TOKEN_SECRET": "0123456789abcdef0123456789abcdef"}))
	if err != nil {
		t.Fatal(err)
	}
	tr = c.Trains
	if !slices.Equal(tr.Admins, []string{"ops", "admin2"}) || tr.TokenGrace != 36*time.Hour || tr.WebhookRate != 10 ||
		tr.EventsRetention >= 0 || tr.DedupeWindow != 48*time.Hour {
		t.Fatalf("set: %+v", tr)
	}
	for k, v := range map[string]string{
		"WEBHOOK_TOKEN_GRACE": "0", "WEBHOOK_RATE": "0", "EVENTS_RETENTION": "soon",
		"DEDUPE_WINDOW": "10s", "WEBHOOK_TOKEN_SECRET": "short",
	} {
		_, err := Load(env(map[string]string{k: v}))
		var ce *Error
		if !errors.As(err, &ce) || ce.Var != k {
			t.Errorf("%s=%q: %v", k, v, err)
		}
	}
}
