package gateways

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/thingplus/thingplus-webapp/thingplus"
	"github.com/thingplus/thingplus-webapp/thingplus/sandbox"
	vt "github.com/thingplus/thingplus-webapp/views/gateways"
	"github.com/thingplus/thingplus-webapp/views/layout"
)

// Run: go test -run '^$' -bench . -benchmem ./handlers/gateways/

var benchModels = map[string]string{"52": "Open API Gateway", "18": "Raspberry Pi-Developer", "6": "Virtual Gateway-Basic"}

func decodedGateways(tb testing.TB, n int) []thingplus.Gateway {
	raw, _ := json.Marshal(genGateways(n, testNow))
	var gws []thingplus.Gateway
	if err := json.Unmarshal(raw, &gws); err != nil {
		tb.Fatal(err)
	}
	return gws
}

func benchPage(h *Handler, rows []gwRow) vt.Page {
	v := viewer{now: testNow, loc: thingplus.Zone("+9.00")}
	st := listState{Sort: "name", Dir: "asc", Page: 1}
	return vt.Page{Filter: vt.Filter{Sort: st.Sort, Dir: st.Dir, Options: statusOptions(context.Background(), "")}, Table: h.tableOf(listData{rows: rows}, &st, v, testNow)}
}

var benchShell = layout.Shell{Title: "Gateways", Active: "gateways", User: &layout.User{Name: "Demo", LoginID: "demo"},
	Assets: layout.Assets{CSS: "/assets/app.0123456789.css", JS: "/assets/app.0123456789.js", HTMX: "/assets/vendor/htmx-2.0.11.0123456789.min.js"}}

// The gateways page for 1,000 gateways: render alone (view model ready).
func BenchmarkRenderGatewaysPage1000(b *testing.B) {
	h := New(nil, Options{})
	page := layout.Page(benchShell, vt.GatewaysPage(benchPage(h, rowsOf(context.Background(), decodedGateways(b, 1000), benchModels))))
	var buf bytes.Buffer
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := page.Render(ctx, &buf); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(buf.Len()), "bytes/page")
}

// View model (filter, sort, times) plus render, from decoded gateways.
func BenchmarkBuildAndRenderGatewaysPage1000(b *testing.B) {
	h := New(nil, Options{})
	gws := decodedGateways(b, 1000)
	var buf bytes.Buffer
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		rows := rowsOf(context.Background(), gws, benchModels)
		if err := layout.Page(benchShell, vt.GatewaysPage(benchPage(h, rows))).Render(ctx, &buf); err != nil {
			b.Fatal(err)
		}
	}
}

// Decoding Thing+'s JSON for 1,000 gateways (the v2 envelope, then data):
// every field, and the projection the handler asks for.
func BenchmarkDecodeGateways1000(b *testing.B) {
	up := newUpstream(b, 1000, testNow)
	for _, bc := range []struct {
		name string
		body []byte
	}{{"all-fields", envelope(up.list)}, {"projected", envelope(up.proj)}} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(bc.body)))
			b.ReportAllocs()
			for b.Loop() {
				var env thingplus.Envelope
				if err := json.Unmarshal(bc.body, &env); err != nil {
					b.Fatal(err)
				}
				var gws []thingplus.Gateway
				if err := json.Unmarshal(env.Data, &gws); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// The full request: app over loopback HTTP → Thing+ stand-in over loopback
// (uncached client: every request fetches and decodes 1,000 gateways) →
// view model → render. Serial and with parallel clients.
func BenchmarkFullRequestGatewaysPage1000(b *testing.B) {
	up := newUpstream(b, 1000, time.Now())
	h := New(up.client(), Options{})
	srv := httptest.NewServer(app(h, demoUser(), goodToken))
	b.Cleanup(srv.Close)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
	get := func() {
		resp, err := client.Get(srv.URL + "/gateways")
		if err != nil {
			b.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || n < 100_000 {
			b.Fatalf("status %d, %d bytes", resp.StatusCode, n)
		}
	}
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			get()
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.SetParallelism(8)
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				get()
			}
		})
	})
}

// The table fragment for 50 gateways (the 15 s poll), full request.
func BenchmarkFullRequestFragment50(b *testing.B) {
	up := newUpstream(b, 50, time.Now())
	h := New(up.client(), Options{})
	srv := httptest.NewServer(app(h, demoUser(), goodToken))
	b.Cleanup(srv.Close)
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/gateways", nil)
	req.Header.Set("HX-Request", "true")
	b.ReportAllocs()
	for b.Loop() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}

// TestServeForLoad serves the gateways screens for a load tool (wrk) when
// GW_LOAD_ADDR is set, e.g.
//
//	GW_LOAD_ADDR=127.0.0.1:3999 GW_LOAD_N=1000 GW_LOAD_SECONDS=60 go test -run TestServeForLoad ./handlers/gateways/
//	wrk -t2 -c4 -d10s --latency http://127.0.0.1:3999/gateways
//
// GW_LOAD_N gateways come from the stand-in (0 = the real sandbox's demo
// account); GW_LOAD_CACHED=1 puts the per-user cache in front.
func TestServeForLoad(t *testing.T) {
	addr := os.Getenv("GW_LOAD_ADDR")
	if addr == "" {
		t.Skip("GW_LOAD_ADDR not set")
	}
	n, _ := strconv.Atoi(os.Getenv("GW_LOAD_N"))
	secs, _ := strconv.Atoi(os.Getenv("GW_LOAD_SECONDS"))
	if secs <= 0 {
		secs = 60
	}
	gin.SetMode(gin.ReleaseMode)
	var c *thingplus.Client
	token := goodToken
	if n > 0 {
		c = newUpstream(t, n, time.Now()).client()
	} else {
		sb := sandbox.New(sandbox.Options{SimulatorPace: -1, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		t.Cleanup(sb.Close)
		srv := httptest.NewServer(sb.Handler())
		t.Cleanup(srv.Close)
		c, _ = thingplus.New(srv.URL + "/v2")
		token, _ = sb.TokenFor("1")
	}
	var src Source = c
	if os.Getenv("GW_LOAD_CACHED") == "1" {
		src = thingplus.NewCached(c, thingplus.CacheOptions{})
	}
	h := New(src, Options{})
	server := &http.Server{Addr: addr, Handler: app(h, demoUser(), token)}
	go func() { time.Sleep(time.Duration(secs) * time.Second); server.Close() }()
	if err := server.ListenAndServe(); err != http.ErrServerClosed {
		t.Fatal(err)
	}
}

// The full request against the real sandbox on loopback (the demo account:
// 3 gateways), uncached: two Thing+ calls, decode, view model, render.
func BenchmarkFullRequestSandboxDemo(b *testing.B) {
	sb := sandbox.New(sandbox.Options{SimulatorPace: -1, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	b.Cleanup(sb.Close)
	api := httptest.NewServer(sb.Handler())
	b.Cleanup(api.Close)
	c, _ := thingplus.New(api.URL + "/v2")
	token, _ := sb.TokenFor("1")
	srv := httptest.NewServer(app(New(c, Options{}), demoUser(), token))
	b.Cleanup(srv.Close)
	for _, htmx := range []bool{false, true} {
		name := "page"
		if htmx {
			name = "fragment"
		}
		b.Run(name, func(b *testing.B) {
			req, _ := http.NewRequest(http.MethodGet, srv.URL+"/gateways?open=b827ebd0a001", nil)
			if htmx {
				req.Header.Set("HX-Request", "true")
			}
			b.ReportAllocs()
			for b.Loop() {
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					b.Fatalf("status %d", resp.StatusCode)
				}
			}
		})
	}
}
