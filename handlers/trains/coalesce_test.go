package trains

import (
	"fmt"
	"strings"
	"testing"
)

// A stream that does not write for a while holds one event per car (the
// newest), not the history; a snapshot replaces what came before it; the
// events come out oldest first so the last id is the newest version.
func TestStreamCoalescesPerCar(t *testing.T) {
	c := &sseClient{wake: make(chan struct{}, 1), cars: map[int64]carEvent{}}
	ev := func(car int64, seq uint64) map[int64]carEvent {
		return map[int64]carEvent{car: {seq: seq, data: []byte(fmt.Sprintf("car-%d@%d;", car, seq))}}
	}
	for seq := uint64(1); seq <= 1000; seq++ {
		c.offerCars(ev(int64(seq%2), seq))
	}
	c.offerCars(ev(0, 3)) // an older state never replaces a newer one
	out, seq, _ := c.take(0)
	if string(out) != "car-1@999;car-0@1000;" || seq != 1000 {
		t.Fatalf("got %q up to %d", out, seq)
	}
	if out, _, _ := c.take(seq); len(out) != 0 {
		t.Fatalf("taken twice: %q", out)
	}
	c.offerCars(ev(5, 1001))
	c.offerSnapshot(frame{seq: 1002, data: []byte("snap;")})
	c.offerCars(ev(6, 1003))
	out, seq, _ = c.take(1000)
	if string(out) != "snap;car-6@1003;" || seq != 1003 {
		t.Fatalf("after a snapshot: %q up to %d", out, seq)
	}
	// Events the stream already sent (in its first snapshot) are skipped.
	c.offerCars(ev(7, 1004))
	if out, _, _ := c.take(1010); len(out) != 0 || strings.Contains(string(out), "car-7") {
		t.Fatalf("old event sent: %q", out)
	}
}
