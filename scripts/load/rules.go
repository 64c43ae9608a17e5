package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/thingplus/thingplus-webapp/handlers/rules"
	"github.com/thingplus/thingplus-webapp/handlers/web"
	"github.com/thingplus/thingplus-webapp/thingplus"
	"github.com/thingplus/thingplus-webapp/thingplus/sandbox"
)

// The rules comparison. The original app (Node) served its rules page by
// proxying GET /v2/rules with the session's token and handing the JSON to
// the browser, which built the table. Its stand-in here, proxyRules, does
// exactly that against the same sandbox: one upstream GET per request, the
// body copied as is. Against it runs the real rules handler serving the
// htmx fragment of the rules tables (HX-Request, HX-Target: rules-tables).
// Both take the signed-in user's token directly (no session lookup in
// either), both run in this process over loopback, alternately, in the
// same run.

type rulesRig struct {
	sb                      *sandbox.Sandbox
	api, app, cold, proxy   *http.Server
	apiURL, appURL, coldURL string
	proxyURL                string
	token                   string
	rulesN                  int
}

func serveOn(h http.Handler) (*http.Server, string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	return srv, "http://" + ln.Addr().String(), nil
}

func startRules() (*rulesRig, error) {
	r := &rulesRig{}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	push := func(sensorID, dir string) string {
		return "http://127.0.0.1:1/api/trigger/" + url.PathEscape(sensorID) + "/" + dir
	}
	r.sb = sandbox.New(sandbox.Options{SimulatorPace: -1, PushURL: push, Logger: quiet})
	var err error
	if r.api, r.apiURL, err = serveOn(r.sb.Handler()); err != nil {
		return nil, err
	}
	if r.token, err = r.sb.TokenFor("1"); err != nil {
		return nil, err
	}
	tp, err := thingplus.New(r.apiURL + "/v2")
	if err != nil {
		return nil, err
	}
	rs, err := tp.ListRules(context.Background(), r.token)
	if err != nil {
		return nil, err
	}
	r.rulesN = len(rs)

	gin.SetMode(gin.ReleaseMode)
	user := thingplus.User{ID: "1", LoginID: "demo", Nickname: "Demo", Timezone: "+9.00"}
	engine := func(store rules.RuleStore) *gin.Engine {
		e := gin.New()
		e.Use(func(c *gin.Context) { web.SetSignedIn(c, user, r.token); c.Next() })
		rules.New(store, tp, rules.GatewayPicker(tp), push).Register(e)
		return e
	}
	// As main wires it: the rules list through the per-user cache.
	if r.app, r.appURL, err = serveOn(engine(thingplus.NewCached(tp, thingplus.CacheOptions{}))); err != nil {
		return nil, err
	}
	// For reference: every request fetches and decodes the rules again.
	if r.cold, r.coldURL, err = serveOn(engine(tp)); err != nil {
		return nil, err
	}
	if r.proxy, r.proxyURL, err = serveOn(proxyRules(r.apiURL+"/v2/rules", r.token)); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *rulesRig) stop() {
	for _, s := range []*http.Server{r.app, r.cold, r.proxy, r.api} {
		s.Close()
	}
	r.sb.Close()
}

// proxyRules is the original app's JSON proxy: GET Thing+ /rules with the
// user's token, copy status, content type and body.
func proxyRules(upstream, token string) http.Handler {
	client := thingplus.NewHTTPClient()
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		up, _ := http.NewRequestWithContext(req.Context(), http.MethodGet, upstream, nil)
		up.Header.Set("Authorization", "Bearer "+token)
		resp, err := client.Do(up)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		w.Header().Set("Content-Type", resp.Header.Get("Content-Type"))
		w.WriteHeader(resp.StatusCode)
		io.Copy(w, resp.Body)
	})
}

// hammer sends GET u from conns keep-alive connections for d and returns
// requests per second (2xx only) and the non-2xx count.
func hammer(ctx context.Context, u string, headers map[string]string, conns int, d time.Duration) (float64, int64) {
	tr := &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns}
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	defer tr.CloseIdleConnections()
	var ok, bad atomic.Int64
	end := time.Now().Add(d)
	var wg sync.WaitGroup
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(end) && ctx.Err() == nil {
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
				for k, v := range headers {
					req.Header.Set(k, v)
				}
				resp, err := client.Do(req)
				if err != nil {
					bad.Add(1)
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode/100 == 2 {
					ok.Add(1)
				} else {
					bad.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	return float64(ok.Load()) / d.Seconds(), bad.Load()
}

// runRules compares the rules fragment with the JSON proxy, alternately,
// o.runs rounds of o.duration each.
func runRules(ctx context.Context, o opts) error {
	r, err := startRules()
	if err != nil {
		return err
	}
	defer r.stop()
	frag := map[string]string{"HX-Request": "true", "HX-Target": "rules-tables"}
	// Check both answer before timing them.
	if rps, bad := hammer(ctx, r.appURL+"/rules", frag, 1, 200*time.Millisecond); rps == 0 || bad > 0 {
		return fmt.Errorf("rules fragment fails (%d errors)", bad)
	}
	if rps, bad := hammer(ctx, r.proxyURL, nil, 1, 200*time.Millisecond); rps == 0 || bad > 0 {
		return fmt.Errorf("proxy fails (%d errors)", bad)
	}
	fmt.Printf("rules: %d rules of user 1; %d connections, %v per measurement\n", r.rulesN, o.conns, o.duration)
	var ratios []float64
	for i := 1; i <= o.runs; i++ {
		app, badA := hammer(ctx, r.appURL+"/rules", frag, o.conns, o.duration)
		proxy, badP := hammer(ctx, r.proxyURL, nil, o.conns, o.duration)
		cold, badC := hammer(ctx, r.coldURL+"/rules", frag, o.conns, o.duration)
		ratios = append(ratios, app/proxy)
		fmt.Printf("round %d: rules fragment %.0f req/s (%d errors), JSON proxy %.0f req/s (%d errors), ratio %.2f; uncached fragment %.0f req/s (%d errors)\n",
			i, app, badA, proxy, badP, app/proxy, cold, badC)
	}
	fmt.Printf("median ratio fragment/proxy: %.2f\n", median(ratios))
	return nil
}
