package rules

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/gin-gonic/gin"

	"github.com/thingplus/thingplus-webapp/handlers/web"
	"github.com/thingplus/thingplus-webapp/thingplus"
	"github.com/thingplus/thingplus-webapp/thingplus/sandbox"
	"github.com/thingplus/thingplus-webapp/views/text"
)

// webhookKey must never appear in a page.
const webhookKey = "secret-webhook-key-0123456789"

// harness is the rules handler on a gin engine, signed in as the demo user
// against the real sandbox over HTTP, behind the same cross-origin
// protection the app uses.
type harness struct {
	t       *testing.T
	sb      *sandbox.Sandbox
	c       *thingplus.Client
	token   string
	h       *Handler
	engine  *gin.Engine
	store   *flaky
	hook    *httptest.Server
	pushes  atomic.Int64
	failing atomic.Bool                              // the webhook answers 500
	busy    atomic.Pointer[func(*http.Request) bool] // Thing+ answers these 429
	push    func(sensorID, dir string) string
}

// flaky lets a test take Thing+ down after a good read.
type flaky struct {
	*thingplus.Client
	down atomic.Bool
}

func unavailable(op string) error {
	return &thingplus.Error{Kind: thingplus.KindUnavailable, Op: op, Message: "Thing+ unreachable"}
}

func (f *flaky) ListRules(ctx context.Context, token string) ([]thingplus.Rule, error) {
	if f.down.Load() {
		return nil, unavailable("GET /rules")
	}
	return f.Client.ListRules(ctx, token)
}

func (f *flaky) CreateRule(ctx context.Context, token string, r thingplus.Rule) (thingplus.Rule, error) {
	if f.down.Load() {
		return thingplus.Rule{}, unavailable("POST /rules")
	}
	return f.Client.CreateRule(ctx, token, r)
}

func (f *flaky) Timelines(ctx context.Context, token string, q thingplus.TimelineQuery) (thingplus.TimelinePage, error) {
	if f.down.Load() {
		return thingplus.TimelinePage{}, unavailable("GET /timelines")
	}
	return f.Client.Timelines(ctx, token, q)
}

var ginOnce sync.Once

func newHarness(t *testing.T) *harness {
	t.Helper()
	ginOnce.Do(func() { gin.SetMode(gin.TestMode) })
	hs := &harness{t: t}
	hs.hook = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hs.pushes.Add(1)
		if hs.failing.Load() {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(hs.hook.Close)
	hs.push = func(sensorID, dir string) string {
		return hs.hook.URL + "/api/trigger/" + url.PathEscape(sensorID) + "/" + dir + "?key=" + webhookKey
	}
	hs.sb = sandbox.New(sandbox.Options{SimulatorPace: -1, PushURL: hs.push,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	t.Cleanup(hs.sb.Close)
	api := httptest.NewServer(hs.gate(hs.sb.Handler()))
	t.Cleanup(api.Close)
	var err error
	if hs.c, err = thingplus.New(api.URL + "/v2"); err != nil {
		t.Fatal(err)
	}
	if hs.token, err = hs.sb.TokenFor("1"); err != nil {
		t.Fatal(err)
	}
	hs.store = &flaky{Client: hs.c}
	hs.h = New(hs.store, hs.store, GatewayPicker(hs.c), hs.push)
	hs.engine = gin.New()
	hs.engine.ContextWithFallback = true // as the app's routes: the language rides on the request's context
	cop := http.NewCrossOriginProtection()
	user := thingplus.User{ID: "1", LoginID: "demo", Nickname: "Demo", Timezone: "+9.00"}
	hs.engine.Use(func(c *gin.Context) {
		if err := cop.Check(c.Request); err != nil {
			c.AbortWithStatus(http.StatusForbidden)
			return
		}
		if l, ok := text.ParseLang(c.GetHeader("X-Test-Lang")); ok { // as the language middleware would
			c.Request = c.Request.WithContext(text.WithLang(c.Request.Context(), l))
		}
		web.SetSignedIn(c, user, hs.token)
		c.Next()
	})
	hs.h.Register(hs.engine)
	return hs
}

// reply is one response, parsed.
type reply struct {
	*httptest.ResponseRecorder
	doc *goquery.Document
}

// page reports whether the reply is a whole page (not an htmx fragment).
func (r reply) page() bool { return strings.Contains(r.Body.String(), "<html") }

func (r reply) find(testid string) *goquery.Selection {
	return r.doc.Find(`[data-testid="` + testid + `"]`)
}

// hx marks a request as htmx aimed at the element id target ("" = plain).
type hx string

func (hs *harness) do(method, path string, form url.Values, target hx, headers ...string) reply {
	hs.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest(method, path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if target != "" {
		req.Header.Set("HX-Request", "true")
		if target != "-" {
			req.Header.Set("HX-Target", string(target))
		}
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	w := httptest.NewRecorder()
	hs.engine.ServeHTTP(w, req)
	src := w.Body.String()
	if strings.HasPrefix(src, "<tr") { // a row fragment: the HTML parser drops a bare <tr>
		src = "<table><tbody>" + src + "</tbody></table>"
	}
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(src))
	if err != nil {
		hs.t.Fatal(err)
	}
	if strings.Contains(w.Body.String(), webhookKey) {
		hs.t.Fatalf("%s %s: the webhook key is in the page", method, path)
	}
	return reply{w, doc}
}

func (hs *harness) rule(id string) thingplus.Rule {
	hs.t.Helper()
	r, err := hs.c.GetRule(context.Background(), hs.token, id)
	if err != nil {
		hs.t.Fatal(err)
	}
	return r
}

// validForm is a complete new rule: car 2 door 3, a person leaving → OUT.
func validForm() url.Values {
	return url.Values{
		"tab": {"form"}, "op": {"save"}, "name": {"Car 2 door 3 leaving"}, "desc": {"성수 방향"},
		"severity": {"warning"}, "zone": {"Asia/Seoul"}, "status": {"activated"},
		"t.gateway": {"b827ebd0a001"}, "t.sensor": {"b827ebd0a001-2-door3"}, "t.method": {"under"}, "t.degree": {"0"},
		"a0.group": {"0"}, "a0.kind": {"app"}, "a0.dir": {"OUT"},
	}
}

func with(v url.Values, kv ...string) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "\x00" {
			out.Del(kv[i])
			continue
		}
		out.Set(kv[i], kv[i+1])
	}
	return out
}
