package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// step is how long one browser action may take.
const step = 15 * time.Second

// browser is one headless Chromium with a fresh profile and one tab. It
// records console errors, uncaught exceptions, CSP violations, dialogs and
// every network request, and saves a screenshot and the HTML on failure.
type browser struct {
	t   *testing.T
	st  *stack
	ctx context.Context // the tab

	mu        sync.Mutex
	problems  []string         // console errors, exceptions, CSP violations not yet reported
	allowed   []*regexp.Regexp // expected console errors (e.g. a 422 from a form)
	offsite   []string         // requests that left loopback
	reqs      map[network.RequestID]*request
	order     []network.RequestID
	dialogs   []string
	sse       map[string]sseMessage // last message per event name
	onDialog  func(msg string) bool // answers confirm(); nil dismisses
	artifacts int
}

type sseMessage struct {
	Data string
	N    int // messages of this name so far
	At   time.Time
}

type request struct {
	URL      string
	Type     network.ResourceType
	Status   int64
	Headers  network.Headers
	Bytes    float64 // encoded (transferred) bytes, headers included
	head     float64 // header bytes (from the response)
	body     float64 // body bytes so far (for streams that never finish)
	sseBytes float64 // bytes of the server-sent events received so far
	Finished bool
	Failed   string
}

func newBrowser(t *testing.T, st *stack) *browser {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromePath),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("headless", "new"),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-proxy-server", true),
		chromedp.Flag("disable-features", "Translate,MediaRouter,OptimizationHints,AutofillServerCommunication"),
		chromedp.Flag("lang", "en-US"),
		chromedp.WindowSize(1280, 900),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	logf := func(string, ...any) {}
	if os.Getenv("E2E_DEBUG") != "" {
		logf = func(f string, a ...any) { fmt.Fprintf(os.Stderr, "chromedp: "+f+"\n", a...) }
	}
	b := &browser{t: t, st: st, reqs: map[network.RequestID]*request{}}
	ctx, cancel := chromedp.NewContext(allocCtx, chromedp.WithErrorf(logf), chromedp.WithLogf(logf),
		chromedp.WithListener(b.listen))
	b.ctx = ctx

	// The first Run starts Chromium; it gets the tab's own context (a
	// shorter-lived one would close the browser with it), bounded by a timer.
	started := make(chan error, 1)
	go func() {
		_, err := chromedp.Call(ctx, emulation.SetFocusEmulationEnabled, emulation.SetFocusEmulationEnabledParams{Enabled: true})
		started <- err
	}()
	select {
	case err := <-started:
		if err != nil {
			cancel()
			cancelAlloc()
			t.Fatalf("start chromium (%s): %v", chromePath, err)
		}
	case <-time.After(30 * time.Second):
		cancel()
		cancelAlloc()
		t.Fatalf("chromium (%s) did not start within 30 s", chromePath)
	}
	t.Cleanup(func() {
		if t.Failed() {
			b.saveArtifacts("failure")
		} else {
			b.assertClean("end of test")
		}
		cancel()
		cancelAlloc()
	})
	return b
}

// listen runs on chromedp's event goroutine: record, never block.
func (b *browser) listen(ev any) {
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
			var parts []string
			for _, a := range ev.Args {
				if len(a.Value) > 0 {
					parts = append(parts, string(a.Value))
				} else {
					parts = append(parts, a.Description)
				}
			}
			b.problem("console." + string(ev.Type) + ": " + strings.Join(parts, " "))
		}
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		msg := d.Text
		if d.Exception != nil && d.Exception.Description != "" {
			msg += " " + d.Exception.Description
		}
		b.problem(fmt.Sprintf("uncaught exception: %s (%s:%d)", msg, d.URL, d.LineNumber))
	case *cdplog.EventEntryAdded:
		e := ev.Entry
		if e.Level == cdplog.EntryLevelError || strings.Contains(e.Text, "Content Security Policy") {
			b.problem(fmt.Sprintf("log %s/%s: %s %s", e.Source, e.Level, e.Text, e.URL))
		}
	case *page.EventJavascriptDialogOpening:
		b.mu.Lock()
		b.dialogs = append(b.dialogs, ev.Message)
		answer := b.onDialog
		b.mu.Unlock()
		accept := answer != nil && answer(ev.Message)
		if answer == nil {
			b.problem("unexpected dialog: " + ev.Message)
		}
		go func() {
			_, _ = chromedp.Call(b.ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: accept})
		}()
	case *network.EventEventSourceMessageReceived:
		b.mu.Lock()
		if b.sse == nil {
			b.sse = map[string]sseMessage{}
		}
		m := b.sse[ev.EventName]
		b.sse[ev.EventName] = sseMessage{Data: ev.Data, N: m.N + 1, At: time.Now()}
		if r, ok := b.reqs[ev.RequestID]; ok && !r.Finished {
			// Chrome does not always report dataReceived for event streams:
			// count the messages' own bytes ("event:", "id:", "data:" lines).
			r.sseBytes += float64(len("event: \nid: \ndata: \n\n") + len(ev.EventName) + len(ev.EventID) + len(ev.Data))
			r.Bytes = r.head + max(r.body, r.sseBytes)
		}
		b.mu.Unlock()
	case *network.EventRequestWillBeSent:
		b.mu.Lock()
		defer b.mu.Unlock()
		if !loopback(ev.Request.URL) {
			b.offsite = append(b.offsite, ev.Request.URL)
		}
		if r, ok := b.reqs[ev.RequestID]; ok && ev.RedirectResponse != nil {
			// a redirect reuses the id: keep the hop as its own entry
			r.Status, r.Finished = ev.RedirectResponse.Status, true
			r.Bytes += ev.RedirectResponse.EncodedDataLength
			b.reqs[ev.RequestID+network.RequestID("#"+r.URL)] = r
			b.order = append(b.order, ev.RequestID+network.RequestID("#"+r.URL))
		}
		b.reqs[ev.RequestID] = &request{URL: ev.Request.URL, Type: ev.Type}
		b.order = append(b.order, ev.RequestID)
	case *network.EventResponseReceived:
		b.mu.Lock()
		if r, ok := b.reqs[ev.RequestID]; ok {
			r.Status, r.Headers = ev.Response.Status, ev.Response.Headers
			r.head = ev.Response.EncodedDataLength
			if !r.Finished {
				r.Bytes = r.head + max(r.body, r.sseBytes)
			}
		}
		b.mu.Unlock()
	case *network.EventDataReceived:
		b.mu.Lock()
		if r, ok := b.reqs[ev.RequestID]; ok && !r.Finished {
			n := ev.EncodedDataLength
			if n == 0 { // not reported for event streams: the plain length (streams are not compressed)
				n = ev.DataLength
			}
			r.body += float64(n)
			r.Bytes = r.head + max(r.body, r.sseBytes)
		}
		b.mu.Unlock()
	case *network.EventLoadingFinished:
		b.mu.Lock()
		if r, ok := b.reqs[ev.RequestID]; ok {
			r.Bytes, r.Finished = ev.EncodedDataLength, true
		}
		b.mu.Unlock()
	case *network.EventLoadingFailed:
		b.mu.Lock()
		if r, ok := b.reqs[ev.RequestID]; ok {
			r.Failed, r.Finished = ev.ErrorText, true
		}
		b.mu.Unlock()
	}
}

func loopback(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	switch u.Scheme {
	case "data", "blob", "about":
		return true
	}
	host := u.Hostname()
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (b *browser) problem(msg string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, re := range b.allowed {
		if re.MatchString(msg) {
			return
		}
	}
	b.problems = append(b.problems, msg)
}

// allow lets console errors matching re pass until the returned func runs
// (for errors a flow provokes on purpose, like a 422 from a form).
func (b *browser) allow(re string) (done func()) {
	rx := regexp.MustCompile(re)
	b.mu.Lock()
	b.allowed = append(b.allowed, rx)
	b.mu.Unlock()
	return func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		for i, r := range b.allowed {
			if r == rx {
				b.allowed = append(b.allowed[:i], b.allowed[i+1:]...)
				return
			}
		}
	}
}

// assertClean fails the test for any console error, exception, CSP
// violation or off-loopback request since the last call.
func (b *browser) assertClean(where string) {
	b.t.Helper()
	time.Sleep(50 * time.Millisecond) // let late events arrive
	b.mu.Lock()
	problems, offsite := b.problems, b.offsite
	b.problems, b.offsite = nil, nil
	b.mu.Unlock()
	for _, p := range problems {
		if strings.Contains(p, "status of 503") {
			p += " (the app answers 503 when memcached or Thing+ did not answer in time: see the app log in test-output/)"
		}
		b.t.Errorf("%s: %s", where, p)
	}
	for _, u := range offsite {
		b.t.Errorf("%s: a request left loopback: %s", where, u)
	}
}

// takeProblems returns and forgets the problems seen so far (for tests
// that provoke them on purpose).
func (b *browser) takeProblems() []string {
	time.Sleep(100 * time.Millisecond)
	b.mu.Lock()
	defer b.mu.Unlock()
	p := b.problems
	b.problems = nil
	return p
}

// run performs actions with a time limit and fails the test on error.
func (b *browser) run(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	b.runFor(step, what, actions...)
}

func (b *browser) runFor(d time.Duration, what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, d)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v (page %s)", what, err, b.location())
	}
}

// get runs one action that returns a value, with a time limit.
func get[T any](b *browser, what string, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, step)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.t.Fatalf("%s: %v (page %s)", what, err, b.location())
	}
	return v
}

// call sends one DevTools command to the tab.
func call[P, R any](b *browser, cmd cdp.Command[P, R], params P) R {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, step)
	defer cancel()
	r, err := chromedp.Call(ctx, cmd, params)
	if err != nil {
		b.t.Fatalf("%s: %v", cmd.Method, err)
	}
	return r
}

// evalJS evaluates a JS expression in the page and decodes its value.
func evalJS[T any](b *browser, js string) T {
	b.t.Helper()
	return get(b, "evaluate "+firstLine(js), chromedp.Evaluate[T](js))
}

// exec runs JS statements in the page.
func (b *browser) exec(js string) {
	b.t.Helper()
	evalJS[bool](b, "(() => { "+js+"; return true; })()")
}

// visit opens an app path, waits for the page, and checks the console.
func (b *browser) visit(path string) {
	b.t.Helper()
	b.open(b.st.URL + path)
	b.assertClean("GET " + path)
}

func (b *browser) open(u string) {
	b.t.Helper()
	b.run("open "+u, chromedp.Navigate(u), chromedp.WaitReady(chromedp.CSS("body")))
}

func (b *browser) location() string {
	ctx, cancel := context.WithTimeout(b.ctx, 3*time.Second)
	defer cancel()
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	return loc
}

// path is the tab's current path and query on the app.
func (b *browser) path() string {
	u, err := url.Parse(b.location())
	if err != nil {
		return ""
	}
	return u.RequestURI()
}

// text is the visible text of the first element matching sel.
func (b *browser) text(sel string) string {
	b.t.Helper()
	return strings.TrimSpace(get(b, "read "+sel, chromedp.Text(chromedp.CSS(sel), chromedp.NodeVisible)))
}

// count is how many elements match sel right now.
func (b *browser) count(sel string) int {
	b.t.Helper()
	return evalJS[int](b, fmt.Sprintf("document.querySelectorAll(%s).length", jsString(sel)))
}

// waitFor polls the JS condition (an expression) until it is true.
func (b *browser) waitFor(what, cond string, within time.Duration) {
	b.t.Helper()
	js := fmt.Sprintf("(() => { try { return !!(%s); } catch (e) { return false; } })()", cond)
	deadline := time.Now().Add(within)
	for {
		ctx, cancel := context.WithTimeout(b.ctx, 3*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js))
		cancel()
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("waited %s for %s (page %s)", within, what, b.location())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// back goes one entry back in the tab's history, as the back button does,
// and waits until that page has settled (a page restored from the
// back/forward cache fires no load event).
func (b *browser) back() {
	b.t.Helper()
	h := call(b, page.GetNavigationHistory, cdp.Empty{})
	if h.CurrentIndex < 1 {
		b.t.Fatalf("no history entry to go back to")
	}
	prev := h.Entries[h.CurrentIndex-1]
	call(b, page.NavigateToHistoryEntry, page.NavigateToHistoryEntryParams{EntryID: prev.ID})
	b.waitFor("the previous page ("+prev.URL+")",
		`location.href === `+jsString(prev.URL)+` && document.readyState === "complete"`, step)
	time.Sleep(300 * time.Millisecond) // a pageshow handler may reload
	b.waitFor("the previous page to load", `document.readyState === "complete"`, step)
}

// waitHtmxIdle waits until htmx has no request in flight and no swap or
// settle going on (twice in a row, 50 ms apart).
func (b *browser) waitHtmxIdle() {
	b.t.Helper()
	const idle = `!document.querySelector(".htmx-request, .htmx-swapping, .htmx-settling")`
	for i := 0; i < 2; i++ {
		time.Sleep(50 * time.Millisecond)
		b.waitFor("htmx to finish", idle, step)
	}
}

// waitVisible waits for sel to be visible.
func (b *browser) waitVisible(sel string) {
	b.t.Helper()
	b.run("wait for "+sel, chromedp.WaitVisible(chromedp.CSS(sel)))
}

func (b *browser) click(sel string) {
	b.t.Helper()
	b.run("click "+sel, chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
}

// typeInto replaces a field's text as a user does: focus, select all,
// delete, type (so the page gets real key and input events).
func (b *browser) typeInto(sel, value string) {
	b.t.Helper()
	b.run("focus "+sel, chromedp.Focus(chromedp.CSS(sel)))
	if evalJS[bool](b, fmt.Sprintf(`(() => { const e = document.querySelector(%s); e.select(); return e.value !== ""; })()`, jsString(sel))) {
		b.keys(kb.Backspace)
	}
	if value != "" {
		b.run("type into "+sel, chromedp.SendKeys(chromedp.CSS(sel), value))
	}
}

// keys sends key presses to the focused element (kb.Tab, kb.Enter, text).
func (b *browser) keys(s string) {
	b.t.Helper()
	b.run(fmt.Sprintf("press %q", s), chromedp.KeyEvent(s))
}

// tabTo presses Tab until the focused element matches sel (keyboard-only
// navigation), failing after max presses.
func (b *browser) tabTo(sel string, max int) {
	b.t.Helper()
	js := fmt.Sprintf("!!document.activeElement && document.activeElement.matches(%s)", jsString(sel))
	for i := 0; i < max; i++ {
		if evalJS[bool](b, js) {
			return
		}
		b.keys(kb.Tab)
	}
	active := evalJS[string](b, "document.activeElement ? document.activeElement.outerHTML.slice(0, 200) : ''")
	b.t.Fatalf("%d Tab presses did not reach %s; focus is on %s", max, sel, active)
}

// answerDialogs sets how confirm() dialogs are answered from now on.
func (b *browser) answerDialogs(f func(msg string) bool) {
	b.mu.Lock()
	b.onDialog = f
	b.mu.Unlock()
}

func (b *browser) dialogMessages() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.dialogs...)
}

// lastSSE is the last server-sent event of that name the tab received.
func (b *browser) lastSSE(name string) (sseMessage, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	m, ok := b.sse[name]
	return m, ok
}

// startRecording forgets the requests seen so far.
func (b *browser) startRecording() {
	b.mu.Lock()
	b.reqs, b.order = map[network.RequestID]*request{}, nil
	b.mu.Unlock()
}

// recorded lists the requests since startRecording, in order.
func (b *browser) recorded() []request {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]request, 0, len(b.order))
	for _, id := range b.order {
		out = append(out, *b.reqs[id])
	}
	return out
}

// document is the last recorded response for an app path (main frame or
// XHR), for header checks.
func (b *browser) response(path string) *request {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i := len(b.order) - 1; i >= 0; i-- {
		r := b.reqs[b.order[i]]
		if u, err := url.Parse(r.URL); err == nil && u.RequestURI() == path && r.Status != 0 {
			c := *r
			return &c
		}
	}
	return nil
}

// screenshot saves a full-page PNG under test-output/<test>/name.png.
func (b *browser) screenshot(name string) []byte {
	b.t.Helper()
	png := get(b, "screenshot", chromedp.FullScreenshot(100))
	if err := os.WriteFile(filepath.Join(artifactDir(b.t), name+".png"), png, 0o644); err != nil {
		b.t.Errorf("save screenshot: %v", err)
	}
	return png
}

// saveArtifacts writes the screenshot and HTML of the current page (on
// failure), best effort with short deadlines: the page may be stuck.
func (b *browser) saveArtifacts(name string) {
	b.mu.Lock()
	b.artifacts++
	n := b.artifacts
	b.mu.Unlock()
	dir := artifactDir(b.t)
	base := filepath.Join(dir, fmt.Sprintf("%s-%d", name, n))
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	if png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
		_ = os.WriteFile(base+".png", png, 0o644)
	}
	if html, err := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("html"))); err == nil {
		_ = os.WriteFile(base+".html", []byte("<!-- "+loc+" -->\n"+html), 0o644)
	}
	b.mu.Lock()
	problems := b.problems
	b.mu.Unlock()
	if len(problems) > 0 {
		b.t.Logf("console problems not yet reported: %s", strings.Join(problems, "\n  "))
	}
	b.t.Logf("saved the page (%s) to %s.png and .html", loc, base)
}

// nodeIDs resolves a selector to DOM node ids (for CDP calls on nodes).
func (b *browser) nodeIDs(sel string) []cdp.NodeID {
	b.t.Helper()
	return get(b, "find "+sel, chromedp.QueryNodeIDs(chromedp.CSSAll(sel)))
}

func jsString(s string) string {
	j, _ := json.Marshal(s)
	return string(j)
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 80 {
		s = s[:80] + "…"
	}
	return s
}
