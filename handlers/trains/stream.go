package trains

import (
	"bytes"
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
// list without it). A stream that falls behind is told to resync and sends
// itself a full snapshot.

// frame is one or more rendered SSE events about one train's cars, in
// every language an open stream reads (a stream knows its language; car
// fragments are rendered once per language, not once per stream).
type frame struct {
	seq   uint64
	train int64
	data  map[text.Lang][]byte
}

type sseClient struct {
	tab         string
	lang        text.Lang
	p           trains.Principal
	ch          chan frame
	resync      chan struct{}
	restructure chan struct{} // something other than counts changed
	// guarded by broadcaster.mu:
	shown   string         // structure hash of the list this tab shows
	visible map[int64]bool // trains whose car frames this stream gets; nil = none until re-read
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

// clientBuffer is how many frames a stream may lag before it resyncs.
const clientBuffer = 256

// shutdown ends every stream and refuses new ones.
func (b *broadcaster) shutdown() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	for c := range b.clients {
		close(c.ch)
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
	for {
		select {
		case u, ok := <-b.sub.Updates():
			if !ok {
				return
			}
			if u.Structure || u.Access {
				b.restructureAll(u.Access)
			}
			if len(u.Cars) == 0 {
				continue
			}
			fs, err := b.renderCars(u, b.langs())
			if err != nil {
				b.h.cfg.Log.Error("trains: render live update", "err", err)
				b.resyncAll()
				continue
			}
			for _, f := range fs {
				b.send(f)
			}
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

// renderCars renders the changed cars' live parts, once per train and
// language for every stream that may see it.
func (b *broadcaster) renderCars(u trains.Update, langs []text.Lang) ([]frame, error) {
	var out []frame
	idx := map[int64]int{}
	for _, c := range u.Cars {
		if _, ok := idx[c.TrainID]; !ok {
			idx[c.TrainID] = len(out)
			out = append(out, frame{seq: u.Seq, train: c.TrainID, data: map[text.Lang][]byte{}})
		}
	}
	for _, l := range langs {
		ctx := text.WithLang(context.Background(), l)
		for _, c := range u.Cars {
			i := idx[c.TrainID]
			var buf bytes.Buffer
			// The live part has no manage controls: the same for every role.
			if err := writeEvent(ctx, &buf, "car-"+strconv.FormatInt(c.ID, 10), b.h.version(u.Seq), vt.CarLive(b.h.carVM(c, 0, trains.RoleViewer, ""), false)); err != nil {
				return nil, err
			}
			out[i].data[l] = append(out[i].data[l], buf.Bytes()...)
		}
		// Each train's whole-train strip goes with its cars.
		for i := range out {
			var buf bytes.Buffer
			if err := b.h.renderStrips(ctx, &buf, b.h.version(u.Seq), []trains.Car{{TrainID: out[i].train}}); err != nil {
				return nil, err
			}
			out[i].data[l] = append(out[i].data[l], buf.Bytes()...)
		}
	}
	return out, nil
}

func (b *broadcaster) send(f frame) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for c := range b.clients {
		if !c.visible[f.train] {
			continue // not this account's train (or its access is being re-read)
		}
		select {
		case c.ch <- f:
		default:
			select {
			case c.resync <- struct{}{}:
			default:
			}
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
	c := &sseClient{tab: tab, lang: lang, p: p, ch: make(chan frame, clientBuffer), resync: make(chan struct{}, 1), restructure: make(chan struct{}, 1)}
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
	f := frame{seq: snap.Seq, data: map[text.Lang][]byte{text.LangOf(ctx): buf.Bytes()}}
	return f, structureHash(p, snap.Trains), ids, err
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
		return write(f.data[lang])
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
		case f, ok := <-client.ch:
			if !ok {
				return // shutting down
			}
			if f.seq <= sent {
				continue // already in the snapshot
			}
			h.cfg.Metrics.StreamFrame()
			data, ok := f.data[lang]
			if !ok {
				continue // rendered before this stream opened; its snapshot covers it
			}
			if !write(data) {
				return
			}
		case <-client.resync:
			// Frames were dropped: discard the backlog and start over.
			for drained := false; !drained; {
				select {
				case <-client.ch:
				default:
					drained = true
				}
			}
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
