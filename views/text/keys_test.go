package text

import "testing"

func TestLooksLikeKey(t *testing.T) {
	for s, want := range map[string]bool{
		"trains.outcome.applied": true, "trains.outcome.never_written": true, "time.head": true,
		"example.com": false, "b827ebd0a001-1-door1": false, "Thing+": false, "nosuch.ns.key": false,
	} {
		if got := LooksLikeKey(s); got != want {
			t.Errorf("LooksLikeKey(%q) = %v, want %v", s, got, want)
		}
	}
}
