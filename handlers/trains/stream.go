package trains

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/a-h/templ"
	"github.com/gin-gonic/gin"

	"github.com/thingplus/thingplus-webapp/handlers/web"
	"github.com/thingplus/thingplus-webapp/trains"
	vt "github.com/thingplus/thingplus-webapp/views/trains"
)

// The live stream. One goroutine (the broadcaster) subscribes to the store's
// hub, renders each committed change once — the changed cars' CarLive
// fragments, or the whole list when trains, cars or doors changed — and
// hands the bytes to every open stream without blocking.
//
// Flow control: a stream does not queue frames. It holds at most one
// pending event per car (a newer state of the car replaces the older one)
// and at most one pending snapshot, and writes whatever is pending when it
// is ready again. A slow or overloaded stream therefore gets the latest
// counts in its next write instead of working through a growing backlog,
// and its memory is bounded by the number of cars. Only when the
// broadcaster itself falls behind the hub does every stream resync from a
// snapshot.

// frame is one or more rendered SSE events.
type frame struct {
	seq       uint64
	data      []byte
	structure string // for a snapshot: the structure hash of the list it carries
}

// carEvent is one car's rendered live part at a version.
type carEvent struct {
	seq  uint64
	data []byte
}

type sseClient struct {
	tab    string
	wake   chan struct{} // buffered(1): something is pending
	resync chan struct{}
	shown  string // structure hash of the list this tab shows (guarded by broadcaster.mu)

	mu     sync.Mutex
	cars   map[int64]carEvent // pending: the newest event per car
	snap   *frame             // pending snapshot (it covers every car event before it)
	closed bool
}

// offerCars records newer car states for the stream.
func (c *sseClient) offerCars(evs map[int64]carEvent) {
	c.mu.Lock()
	for id, ev := range evs {
		if old, ok := c.cars[id]; !ok || old.seq < ev.seq {
			c.cars[id] = ev
		}
	}
	c.mu.Unlock()
	c.signal()
}

// offerSnapshot replaces whatever is pending before f.
func (c *sseClient) offerSnapshot(f frame) {
	c.mu.Lock()
	c.snap = &f
	for id, ev := range c.cars {
		if ev.seq <= f.seq {
			delete(c.cars, id)
		}
	}
	c.mu.Unlock()
	c.signal()
}

func (c *sseClient) signal() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

func (c *sseClient) close() {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.signal()
}

// take empties the pending events: the snapshot (if any) first, then the
// car events newer than after, oldest first (so the last event id is the
// newest version). closed reports that the stream must end.
func (c *sseClient) take(after uint64) (out []byte, seq uint64, closed bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	seq = after
	if c.snap != nil && c.snap.seq > after {
		out = append(out, c.snap.data...)
		seq = c.snap.seq
	}
	c.snap = nil
	evs := make([]carEvent, 0, len(c.cars))
	for id, ev := range c.cars {
		if ev.seq > seq {
			evs = append(evs, ev)
		}
		delete(c.cars, id)
	}
	slices.SortFunc(evs, func(a, b carEvent) int { return cmp.Compare(a.seq, b.seq) })
	for _, ev := range evs {
		out = append(out, ev.data...)
		seq = max(seq, ev.seq)
	}
	return out, seq, c.closed
}

// drop forgets what is pending (a resync sends a snapshot instead).
func (c *sseClient) drop() {
	c.mu.Lock()
	clear(c.cars)
	c.snap = nil
	c.mu.Unlock()
}

type broadcaster struct {
	h       *Handler
	mu      sync.Mutex
	clients map[*sseClient]struct{}
	tabs    map[string]int // open streams per tab id
	closed  bool
	sub     *trains.Subscription
}

func newBroadcaster(h *Handler) *broadcaster {
	return &broadcaster{
		h: h, clients: map[*sseClient]struct{}{}, tabs: map[string]int{},
		sub: h.store.Hub().Subscribe(4096),
	}
}

// shutdown ends every stream and refuses new ones.
func (b *broadcaster) shutdown() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	for c := range b.clients {
		c.close()
		delete(b.clients, c)
	}
}

// structureDelay holds back the snapshot after a structure change, so the
// tab that made the change (whose form answer already shows it) is marked
// as up to date first and is not redrawn under the user's hands; it also
// folds bursts of changes into one snapshot.
const structureDelay = 150 * time.Millisecond

// minWriteGap paces each stream: with a thousand streams, one write per
// change per stream is more system calls than the machine can make, and
// the backlog would show as seconds of delay. A person cannot tell 25 ms.
const minWriteGap = 25 * time.Millisecond

// maxFold is how many queued hub updates the broadcaster folds into one
// fan-out when it is behind.
const maxFold = 256

func (b *broadcaster) run() {
	defer b.shutdown()
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	pending := false
	for {
		select {
		case u, ok := <-b.sub.Updates():
			if !ok {
				return
			}
			// Fold every update already queued: each car is rendered and
			// handed out once, at its newest state.
			cars := map[int64]trains.Car{}
			seqs := map[int64]uint64{}
			structure := false
			for n := 0; ; n++ {
				structure = structure || u.Structure
				for _, c := range u.Cars {
					cars[c.ID], seqs[c.ID] = c, u.Seq
				}
				if n == maxFold {
					break
				}
				select {
				case next, ok := <-b.sub.Updates():
					if !ok {
						return
					}
					u = next
					continue
				default:
				}
				break
			}
			if structure && !pending {
				pending = true
				timer.Reset(structureDelay)
			}
			if len(cars) == 0 {
				continue
			}
			evs, err := b.renderCars(cars, seqs)
			if err != nil {
				b.h.cfg.Log.Error("trains: render live update", "err", err)
				b.resyncAll()
				continue
			}
			b.sendCars(evs)
		case <-timer.C:
			pending = false
			f, err := b.h.snapshotFrame(context.Background())
			if err != nil {
				b.h.cfg.Log.Error("trains: render snapshot", "err", err)
				b.resyncAll()
				continue
			}
			b.sendSnapshot(f)
		case <-b.sub.Resync():
			// We fell behind the hub: drop the backlog; every stream takes a
			// fresh snapshot instead.
			for drained := false; !drained; {
				select {
				case _, ok := <-b.sub.Updates():
					if !ok {
						return
					}
				default:
					drained = true
				}
			}
			b.resyncAll()
		}
	}
}

// renderCars renders the changed cars' live parts, once for every stream.
func (b *broadcaster) renderCars(cars map[int64]trains.Car, seqs map[int64]uint64) (map[int64]carEvent, error) {
	ctx := context.Background()
	out := make(map[int64]carEvent, len(cars))
	for id, c := range cars {
		var buf bytes.Buffer
		// The live part has no position controls, so the train's car count is not needed.
		if err := writeEvent(ctx, &buf, "car-"+strconv.FormatInt(id, 10), b.h.version(seqs[id]), vt.CarLive(b.h.carVM(c, 0), false)); err != nil {
			return nil, err
		}
		out[id] = carEvent{seq: seqs[id], data: buf.Bytes()}
	}
	return out, nil
}

func (b *broadcaster) sendCars(evs map[int64]carEvent) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for c := range b.clients {
		c.offerCars(evs)
	}
}

func (b *broadcaster) sendSnapshot(f frame) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for c := range b.clients {
		if c.shown == f.structure {
			continue // this tab already shows this structure
		}
		c.shown = f.structure
		c.offerSnapshot(f)
	}
}

func (b *broadcaster) resyncAll() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for c := range b.clients {
		select {
		case c.resync <- struct{}{}:
		default:
		}
	}
}

func (b *broadcaster) add(tab string) (*sseClient, bool) {
	c := &sseClient{tab: tab, wake: make(chan struct{}, 1), resync: make(chan struct{}, 1), cars: map[int64]carEvent{}}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, false
	}
	b.clients[c] = struct{}{}
	if tab != "" {
		b.tabs[tab]++
	}
	return c, true
}

func (b *broadcaster) remove(c *sseClient) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.clients[c]; ok {
		delete(b.clients, c)
	}
	if c.tab != "" {
		if b.tabs[c.tab]--; b.tabs[c.tab] <= 0 {
			delete(b.tabs, c.tab)
		}
	}
}

// markShown records that tab now shows the list with structure hash h (a
// form answer drew it), so the next snapshot with the same structure skips it.
func (b *broadcaster) markShown(tab, h string) {
	if tab == "" {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for c := range b.clients {
		if c.tab == tab {
			c.shown = h
		}
	}
}

func (b *broadcaster) setShown(c *sseClient, h string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	c.shown = h
}

// live reports whether tab has an open stream.
func (b *broadcaster) live(tab string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return tab != "" && b.tabs[tab] > 0
}

// Close ends every open SSE stream (their handlers return at once) and
// stops the broadcaster. Call it when the server shuts down —
// http.Server.RegisterOnShutdown(h.Close) — or Shutdown waits for the
// streams until its deadline.
func (h *Handler) Close() {
	h.bc.shutdown()
	h.bc.sub.Close()
}

// Streams is the number of open SSE streams.
func (h *Handler) Streams() int {
	h.bc.mu.Lock()
	defer h.bc.mu.Unlock()
	return len(h.bc.clients)
}

// writeEvent renders comp as one SSE event (one data: line per line).
func writeEvent(ctx context.Context, w *bytes.Buffer, event, id string, comp templ.Component) error {
	var html bytes.Buffer
	if err := comp.Render(ctx, &html); err != nil {
		return err
	}
	w.WriteString("event: ")
	w.WriteString(event)
	w.WriteString("\nid: ")
	w.WriteString(id)
	w.WriteByte('\n')
	for line := range bytes.Lines(html.Bytes()) {
		w.WriteString("data: ")
		w.Write(bytes.TrimRight(line, "\r\n"))
		w.WriteByte('\n')
	}
	if html.Len() == 0 {
		w.WriteString("data: \n")
	}
	w.WriteByte('\n')
	return nil
}

// version names a store version for SSE ids and the page's stream URL:
// this process's epoch and the sequence number, so a version seen before a
// restart never matches one after it.
func (h *Handler) version(seq uint64) string {
	return h.epoch + "." + strconv.FormatUint(seq, 10)
}

// snapshotFrame renders the whole list as a "snapshot" event.
func (h *Handler) snapshotFrame(ctx context.Context) (frame, error) {
	snap, err := h.store.Snapshot(ctx)
	if err != nil {
		return frame{}, err
	}
	var buf bytes.Buffer
	err = writeEvent(ctx, &buf, "snapshot", h.version(snap.Seq), vt.ListBody(h.listVM(snap.Trains)))
	return frame{seq: snap.Seq, data: buf.Bytes(), structure: structureHash(snap.Trains)}, err
}

// stream is GET /trains/stream: Server-Sent Events for one tab. It starts
// with a full snapshot (also after every reconnect), then sends each changed
// car's fragment, a snapshot when the structure changed or the stream fell
// behind, and a heartbeat comment every Heartbeat.
func (h *Handler) stream(c *gin.Context) {
	ctx := c.Request.Context()
	client, ok := h.bc.add(c.Query("tab"))
	if !ok {
		plain(c, http.StatusServiceUnavailable, "shutting down")
		return
	}
	defer h.bc.remove(client)

	rc := http.NewResponseController(c.Writer)
	// The server's WriteTimeout must not cut a stream that lives for hours.
	// (Its read deadline is already cleared by net/http once the request
	// body has been read.)
	if err := rc.SetWriteDeadline(time.Time{}); err != nil && !errors.Is(err, http.ErrNotSupported) {
		h.cfg.Log.WarnContext(ctx, "trains: clear write deadline", "err", err)
	}
	hd := c.Writer.Header()
	hd.Set("Content-Type", "text/event-stream")
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Accel-Buffering", "no") // no proxy buffering
	hd.Del("Content-Length")
	c.Status(http.StatusOK)

	write := func(b []byte) bool {
		if _, err := c.Writer.Write(b); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	var sent uint64
	snapshot := func() bool {
		f, err := h.snapshotFrame(ctx)
		if err != nil {
			h.cfg.Log.ErrorContext(ctx, "trains: snapshot", "err", err)
			return false
		}
		sent = f.seq
		h.bc.setShown(client, f.structure)
		return write(f.data)
	}
	// Tell the client how soon to reconnect, then the snapshot — unless the
	// client already shows the current version: the page it was just drawn
	// with (?v=), or the last event it got before a reconnect (Last-Event-ID).
	if !write([]byte("retry: 2000\n\n")) {
		return
	}
	seen := c.GetHeader("Last-Event-ID")
	if seen == "" {
		seen = c.Query("v")
	}
	if cur := h.store.Seq(); seen != "" && seen == h.version(cur) {
		sent = cur
		if !write([]byte(": up to date\n\n")) {
			return
		}
	} else if !snapshot() {
		return
	}
	beat := time.NewTicker(h.cfg.Heartbeat)
	defer beat.Stop()
	var lastWrite time.Time
	gap := time.NewTimer(time.Hour)
	gap.Stop()
	defer gap.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-client.wake:
			// At most one write per minWriteGap: what arrives meanwhile is
			// folded into the next write (the newest state of each car).
			if wait := time.Until(lastWrite.Add(minWriteGap)); wait > 0 {
				gap.Reset(wait)
				select {
				case <-gap.C:
				case <-ctx.Done():
					return
				}
			}
			data, seq, closed := client.take(sent)
			if closed {
				return // shutting down
			}
			if len(data) == 0 {
				continue
			}
			sent, lastWrite = seq, time.Now()
			if !write(data) {
				return
			}
		case <-client.resync:
			// The broadcaster fell behind: start over from a snapshot.
			client.drop()
			if !snapshot() {
				return
			}
		case <-beat.C:
			if !write([]byte(": heartbeat\n\n")) {
				return
			}
		}
	}
}

// poll is the polling fallback: 204 while this tab's stream is live, else
// every car's live part as out-of-band swaps, or the whole list when the
// structure changed since the page drew it.
func (h *Handler) poll(c *gin.Context) {
	c.Header("Vary", web.HeaderRequest)
	if h.bc.live(c.Query("tab")) {
		c.Status(http.StatusNoContent)
		return
	}
	ts, err := h.store.Trains(c.Request.Context())
	if err != nil {
		web.Fail(c, appErr(err))
		return
	}
	l := h.listVM(ts)
	web.Component(c, http.StatusOK, vt.PollAnswer(l, c.Query("sh") != structureHash(ts)))
}
