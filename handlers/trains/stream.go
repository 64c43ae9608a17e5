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
	"github.com/thingplus/thingplus-webapp/views/text"
	vt "github.com/thingplus/thingplus-webapp/views/trains"
)

// The live stream. One goroutine (the broadcaster) subscribes to the store's
// hub, renders each committed change of counts once per train — the changed
// cars' CarLive fragments, the same for every reader — and hands the bytes
// without blocking to the open streams whose account may see that train.
// When trains, cars, doors, owners or shares change, every stream re-reads
// what its account may see and draws its own list; a stream whose account
// lost access to a train it showed ends (the browser reconnects and gets a
// list without it).
//
// Flow control: a stream does not queue frames. It holds at most one
// pending event per car and per train strip (a newer state replaces the
// older one) and writes whatever is pending when it is ready again, at
// most every minWriteGap. A slow or overloaded stream therefore gets the
// latest counts in its next write instead of working through a growing
// backlog, and its memory is bounded by the number of cars. Only when the
// broadcaster itself falls behind the hub does a stream resync from a
// snapshot.

// frame is one or more rendered SSE events (a snapshot).
type frame struct {
	seq  uint64
	data []byte
}

// liveEvent is one rendered event about a car or a train's strip, in one
// language: a stream knows its language and takes only events in it (each
// is rendered once per language, not once per stream).
type liveEvent struct {
	key   string // the SSE event name: car-<id> or strip-<train id>
	lang  text.Lang
	train int64
	seq   uint64
	data  []byte
}

type sseClient struct {
	tab         string
	lang        text.Lang
	p           trains.Principal
	wake        chan struct{} // buffered(1): something is pending
	resync      chan struct{}
	restructure chan struct{} // something other than counts changed
	// guarded by broadcaster.mu:
	shown   string         // structure hash of the list this tab shows
	visible map[int64]bool // trains whose car frames this stream gets; nil = none until re-read

	mu      sync.Mutex
	pending map[string]liveEvent // the newest event per car and strip
	closed  bool
	// taken and out are take's scratch space, reused so that a stream
	// allocates nothing per write (only the stream's goroutine calls take).
	taken []liveEvent
	out   []byte
}

// offer records newer states for the stream.
func (c *sseClient) offer(evs []liveEvent) {
	c.mu.Lock()
	for _, ev := range evs {
		if old, ok := c.pending[ev.key]; !ok || old.seq < ev.seq {
			c.pending[ev.key] = ev
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

// take empties the pending events, returning those newer than after,
// oldest first (so the last event id is the newest version). closed
// reports that the stream must end. The bytes are valid until the next
// take: the stream writes them before it takes again.
func (c *sseClient) take(after uint64) (out []byte, seq uint64, closed bool) {
	c.mu.Lock()
	evs := c.taken[:0]
	for _, ev := range c.pending {
		if ev.seq > after {
			evs = append(evs, ev)
		}
	}
	clear(c.pending)
	closed = c.closed
	c.mu.Unlock()
	// Sorting and copying happen outside the lock, so the broadcaster's
	// offer does not wait for them.
	slices.SortFunc(evs, func(a, b liveEvent) int { return cmp.Compare(a.seq, b.seq) })
	seq, out = after, c.out[:0]
	for i, ev := range evs {
		out = append(out, ev.data...)
		seq = max(seq, ev.seq)
		evs[i] = liveEvent{} // do not keep the rendered bytes alive
	}
	c.taken, c.out = evs[:0], out
	return out, seq, closed
}

// drop forgets what is pending (a resync sends a snapshot instead).
func (c *sseClient) drop() {
	c.mu.Lock()
	clear(c.pending)
	c.mu.Unlock()
}

type broadcaster struct {
	h       *Handler
	mu      sync.Mutex
	clients map[*sseClient]struct{}
	tabs    map[string]int // open streams per tab id
	closed  bool
	sub     *trains.Subscription
	// zones are the trains' owner zones, read once and kept until a
	// structure change (which a changed owner zone is) or a resync: a
	// push costs no query for them. Only run's goroutine touches it.
	zones map[int64]*time.Location
}

func newBroadcaster(h *Handler) *broadcaster {
	return &broadcaster{
		h: h, clients: map[*sseClient]struct{}{}, tabs: map[string]int{},
		sub: h.store.Hub().Subscribe(4096), zones: map[int64]*time.Location{},
	}
}

// minWriteGap paces each stream: with a thousand streams, one write per
// change per stream is more system calls than the machine can make, and
// the backlog would show as seconds of delay. A person cannot tell 25 ms.
const minWriteGap = 25 * time.Millisecond

// maxFold is how many queued hub updates the broadcaster folds into one
// fan-out when it is behind.
const maxFold = 256

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

func (b *broadcaster) run() {
	defer b.shutdown()
	var held *trains.Update // an access change met while folding: next round
	for {
		var u trains.Update
		if held != nil {
			u, held = *held, nil
		} else {
			select {
			case next, ok := <-b.sub.Updates():
				if !ok {
					return
				}
				u = next
			case <-b.sub.Resync():
				clear(b.zones)
				b.resync()
				continue
			}
		}
		// Fold the updates already queued: each car is rendered and handed
		// out once, at its newest state. An access change is never folded
		// with counts (streams get no counts until they re-read access).
		cars := map[int64]trains.Car{}
		seqs := map[int64]uint64{}
		structure, access := false, false
	fold:
		for n := 0; ; n++ {
			structure, access = structure || u.Structure, access || u.Access
			for _, c := range u.Cars {
				cars[c.ID], seqs[c.ID] = c, u.Seq
			}
			if n == maxFold || access {
				break
			}
			select {
			case next, ok := <-b.sub.Updates():
				if !ok {
					return
				}
				if next.Access {
					held = &next
					break fold
				}
				u = next
			default:
				break fold
			}
		}
		if structure || access {
			clear(b.zones)
			b.restructureAll(access)
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
		b.send(evs)
	}
}

// resync drops the hub's backlog after the broadcaster fell behind it;
// every stream takes a fresh snapshot instead.
func (b *broadcaster) resync() {
	for {
		select {
		case _, ok := <-b.sub.Updates():
			if !ok {
				return
			}
		default:
			b.resyncAll()
			return
		}
	}
}

// langs are the languages of the open streams.
func (b *broadcaster) langs() []text.Lang {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []text.Lang
	for c := range b.clients {
		if !slices.Contains(out, c.lang) {
			out = append(out, c.lang)
		}
	}
	return out
}

// renderCars renders the changed cars' live parts and their trains'
// strips, once per language of the open streams.
func (b *broadcaster) renderCars(cars map[int64]trains.Car, seqs map[int64]uint64) ([]liveEvent, error) {
	var out []liveEvent
	locs := b.carLocs(cars)
	for _, l := range b.langs() {
		evs, err := b.renderCarsIn(text.WithLang(context.Background(), l), cars, seqs, locs)
		if err != nil {
			return nil, err
		}
		out = append(out, evs...)
	}
	return out, nil
}

func (b *broadcaster) renderCarsIn(ctx context.Context, cars map[int64]trains.Car, seqs map[int64]uint64, locs map[int64]*time.Location) ([]liveEvent, error) {
	lang := text.LangOf(ctx)
	out := make([]liveEvent, 0, len(cars)+4)
	trainSeq := map[int64]uint64{}
	for id, c := range cars {
		var buf bytes.Buffer
		// The live part has no manage controls: the same for every role.
		if err := writeEvent(ctx, &buf, "car-"+strconv.FormatInt(id, 10), b.h.version(seqs[id]), vt.CarLive(b.h.carVM(ctx, c, 0, trains.RoleViewer, "", locs[c.TrainID]), false)); err != nil {
			return nil, err
		}
		out = append(out, liveEvent{key: "car-" + strconv.FormatInt(id, 10), lang: lang, train: c.TrainID, seq: seqs[id], data: buf.Bytes()})
		trainSeq[c.TrainID] = max(trainSeq[c.TrainID], seqs[id])
	}
	// Each train's whole-train strip goes with its cars.
	for train, seq := range trainSeq {
		var buf bytes.Buffer
		if err := b.h.renderStrips(ctx, &buf, b.h.version(seq), []trains.Car{{TrainID: train}}); err != nil {
			return nil, err
		}
		if buf.Len() > 0 {
			out = append(out, liveEvent{key: "strip-" + strconv.FormatInt(train, 10), lang: lang, train: train, seq: seq, data: buf.Bytes()})
		}
	}
	return out, nil
}

// send offers each stream the events of the trains its account may see.
func (b *broadcaster) send(evs []liveEvent) {
	b.mu.Lock()
	defer b.mu.Unlock()
	mine := make([]liveEvent, 0, len(evs))
	for c := range b.clients {
		mine = mine[:0]
		for _, ev := range evs {
			// not this account's train (or its access is being re-read), or not its language
			if c.visible[ev.train] && ev.lang == c.lang {
				mine = append(mine, ev)
			}
		}
		if len(mine) > 0 {
			c.offer(mine)
		}
	}
}

// restructureAll tells every stream that trains, cars, doors or access
// changed. After an access change no stream gets car frames until it has
// re-read what its account may see.
func (b *broadcaster) restructureAll(access bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for c := range b.clients {
		if access {
			c.visible = nil
		}
		select {
		case c.restructure <- struct{}{}:
		default:
		}
	}
}

// setVisible records the trains c's account may see; it reports the ones
// the stream showed before and may no longer see.
func (b *broadcaster) setVisible(c *sseClient, ids []int64) {
	vis := make(map[int64]bool, len(ids))
	for _, id := range ids {
		vis[id] = true
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	c.visible = vis
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

func (b *broadcaster) add(tab string, lang text.Lang, p trains.Principal) (*sseClient, bool) {
	c := &sseClient{tab: tab, lang: lang, p: p, wake: make(chan struct{}, 1), resync: make(chan struct{}, 1), restructure: make(chan struct{}, 1),
		pending: map[string]liveEvent{}}
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

// shownIs reports whether c's tab shows the list with structure hash h.
func (b *broadcaster) shownIs(c *sseClient, h string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return c.shown == h
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

// snapshotFrame renders the whole list as p sees it as a "snapshot"
// event; it also returns the list's structure hash and train ids.
func (h *Handler) snapshotFrame(ctx context.Context, p trains.Principal) (frame, string, []int64, error) {
	snap, err := h.store.SnapshotFor(ctx, p)
	if err != nil {
		return frame{}, "", nil, err
	}
	ids := make([]int64, 0, len(snap.Trains))
	for _, t := range snap.Trains {
		ids = append(ids, t.ID)
	}
	var buf bytes.Buffer
	err = writeEvent(ctx, &buf, "snapshot", h.version(snap.Seq), vt.ListBody(h.listVM(ctx, p, snap.Trains)))
	return frame{seq: snap.Seq, data: buf.Bytes()}, structureHash(p, snap.Trains), ids, err
}

// stream is GET /trains/stream: Server-Sent Events for one tab. It starts
// with a full snapshot (also after every reconnect), then sends each changed
// car's fragment, a snapshot when the structure changed or the stream fell
// behind, and a heartbeat comment every Heartbeat.
func (h *Handler) stream(c *gin.Context) {
	ctx := c.Request.Context()
	p := principal(c)
	lang := text.LangOf(ctx)
	client, ok := h.bc.add(c.Query("tab"), lang, p)
	if !ok {
		plain(c, http.StatusServiceUnavailable, "shutting down")
		return
	}
	defer h.bc.remove(client)
	h.cfg.Metrics.StreamOpened()
	defer h.cfg.Metrics.StreamClosed()

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
	var shows map[int64]bool // the trains the tab shows
	// snapshot reads the list as the account sees it, refreshes which car
	// frames the stream gets, and sends it by mode. It is false when the
	// stream must end.
	const (
		readOnly  = iota // the tab shows it already (page just drawn)
		ifChanged        // unless the tab shows this structure already
		always
	)
	snapshot := func(mode int) bool {
		f, hash, ids, err := h.snapshotFrame(ctx, p)
		if err != nil {
			h.cfg.Log.ErrorContext(ctx, "trains: snapshot", "err", err)
			return false
		}
		sent = max(sent, f.seq)
		shows = make(map[int64]bool, len(ids))
		for _, id := range ids {
			shows[id] = true
		}
		h.bc.setVisible(client, ids)
		if mode == readOnly || (mode == ifChanged && h.bc.shownIs(client, hash)) {
			if mode == readOnly {
				h.bc.setShown(client, hash)
			}
			return true
		}
		h.bc.setShown(client, hash)
		h.cfg.Metrics.StreamFrame()
		return write(f.data)
	}
	// lostAccess reports whether the account no longer sees a train that
	// still exists and the tab shows: a revoked share ends the stream.
	lostAccess := func() bool {
		ids, err := h.store.VisibleTrainIDs(ctx, p)
		if err != nil {
			h.cfg.Log.ErrorContext(ctx, "trains: recheck access", "err", err)
			return true
		}
		now := make(map[int64]bool, len(ids))
		for _, id := range ids {
			now[id] = true
		}
		for id := range shows {
			if !now[id] {
				if _, err := h.store.Train(ctx, id); err == nil {
					return true
				}
			}
		}
		h.bc.setVisible(client, ids)
		return false
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
		// Read what the account sees without sending it again.
		if !snapshot(readOnly) {
			return
		}
		sent = cur
		if !write([]byte(": up to date\n\n")) {
			return
		}
	} else if sh := c.Query("sh"); seen != "" && sh != "" && c.GetHeader("Last-Event-ID") == "" {
		// The page is a few counts behind (a busy train moved while it
		// loaded): its cars catch up, without redrawing the whole list.
		if !h.catchUp(ctx, p, client, sh, write, func() bool { return snapshot(always) }, func(seq uint64, ids []int64) {
			sent = max(sent, seq)
			shows = make(map[int64]bool, len(ids))
			for _, id := range ids {
				shows[id] = true
			}
		}) {
			return
		}
	} else if !snapshot(always) {
		return
	}
	beat := time.NewTicker(h.cfg.Heartbeat)
	defer beat.Stop()
	// A structure change is drawn structureDelay later, so the tab that
	// made it (whose form answer shows it already) is marked first, and a
	// burst of changes is drawn once.
	redraw := time.NewTimer(time.Hour)
	redraw.Stop()
	defer redraw.Stop()
	var lastWrite time.Time
	gap := time.NewTimer(time.Hour)
	gap.Stop()
	defer gap.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-client.restructure:
			if lostAccess() {
				return
			}
			redraw.Reset(structureDelay)
		case <-redraw.C:
			if !snapshot(ifChanged) {
				return
			}
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
			h.cfg.Metrics.StreamFrame()
			if !write(data) {
				return
			}
		case <-client.resync:
			// The broadcaster fell behind: start over from a snapshot.
			client.drop()
			h.cfg.Metrics.StreamResync()
			if !snapshot(always) {
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
	ctx, p := c.Request.Context(), principal(c)
	ts, err := h.store.TrainsFor(ctx, p)
	if err != nil {
		web.Fail(c, err)
		return
	}
	l := h.listVM(ctx, p, ts)
	web.Component(c, http.StatusOK, vt.PollAnswer(l, c.Query("sh") != structureHash(p, ts)))
}

// catchUp brings a page drawn a few changes ago up to date with every car's
// live part and every train's strip, when the trains, cars and doors are
// still the ones it shows (structure hash sh); otherwise it falls back to a
// full snapshot. It is false when the stream must end.
func (h *Handler) catchUp(ctx context.Context, p trains.Principal, client *sseClient, sh string,
	write func([]byte) bool, fullSnapshot func() bool, mark func(seq uint64, ids []int64)) bool {
	snap, err := h.store.SnapshotFor(ctx, p)
	if err != nil {
		h.cfg.Log.ErrorContext(ctx, "trains: snapshot", "err", err)
		return false
	}
	if structureHash(p, snap.Trains) != sh {
		return fullSnapshot()
	}
	ids := make([]int64, 0, len(snap.Trains))
	var buf bytes.Buffer
	id := h.version(snap.Seq)
	for _, t := range h.listVM(ctx, p, snap.Trains).Trains {
		ids = append(ids, t.ID)
		for _, c := range t.Cars {
			if err := writeEvent(ctx, &buf, "car-"+strconv.FormatInt(c.ID, 10), id, vt.CarLive(c, false)); err != nil {
				return false
			}
		}
		if len(t.Cars) > 0 {
			if err := writeEvent(ctx, &buf, "strip-"+strconv.FormatInt(t.ID, 10), id, vt.TrainStrip(t, false)); err != nil {
				return false
			}
		}
	}
	mark(snap.Seq, ids)
	h.bc.setVisible(client, ids)
	h.bc.setShown(client, sh)
	h.cfg.Metrics.StreamFrame()
	return write(buf.Bytes())
}
