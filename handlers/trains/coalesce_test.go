package trains

import (
	"fmt"
	"testing"
)

// A stream that does not write for a while holds one event per car and
// strip (the newest), not the history; the events come out oldest first
// so the last id is the newest version; events already covered by the
// stream's snapshot are not sent.
func TestStreamCoalescesPerCar(t *testing.T) {
	c := &sseClient{wake: make(chan struct{}, 1), pending: map[string]liveEvent{}}
	ev := func(key string, seq uint64) []liveEvent {
		return []liveEvent{{key: key, train: 1, seq: seq, data: []byte(fmt.Sprintf("%s@%d;", key, seq))}}
	}
	for seq := uint64(1); seq <= 1000; seq++ {
		c.offer(ev(fmt.Sprintf("car-%d", seq%2), seq))
		c.offer(ev("strip-1", seq))
	}
	c.offer(ev("car-0", 3)) // an older state never replaces a newer one
	out, seq, _ := c.take(0)
	if string(out) != "car-1@999;car-0@1000;strip-1@1000;" && string(out) != "car-1@999;strip-1@1000;car-0@1000;" || seq != 1000 {
		t.Fatalf("got %q up to %d", out, seq)
	}
	if out, _, _ := c.take(seq); len(out) != 0 {
		t.Fatalf("taken twice: %q", out)
	}
	// Events the stream already sent (in its snapshot) are skipped.
	c.offer(ev("car-7", 1004))
	if out, _, _ := c.take(1010); len(out) != 0 {
		t.Fatalf("old event sent: %q", out)
	}
	c.close()
	if _, _, closed := c.take(0); !closed {
		t.Fatal("close not seen")
	}
}
