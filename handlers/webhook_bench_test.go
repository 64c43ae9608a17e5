package handlers_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	trainsh "github.com/thingplus/thingplus-webapp/handlers/trains"
	"github.com/thingplus/thingplus-webapp/trains"
)

// BenchmarkWebhookPush sends pushes through the real route table (the
// engine's middleware, the machine route, the handler) to a SQLite store,
// 64 at a time as Thing+ rules would; allocations per push are what the
// garbage collector pays for at thousands a second.
func BenchmarkWebhookPush(b *testing.B) {
	st, err := trains.Open(context.Background(), b.TempDir(), trains.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	const key = "bench-webhook-key-0123456789abcdef"
	h := trainsh.New(trainsh.Deps{Store: st}, trainsh.Config{PublicURL: "http://127.0.0.1", WebhookKey: key,
		Log: slog.New(slog.DiscardHandler)})
	engine, _ := benchEngine(b, h)
	var n atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(32) // 64 senders on 2 cores
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			url := fmt.Sprintf("/api/trigger/%s/IN?key=%s", trains.SeedSensorID(int(i%3)+1, int(i%4)+1), key)
			req := httptest.NewRequest(http.MethodPost, url, strings.NewReader(fmt.Sprintf(`{"event":"b%d"}`, i)))
			req.Header.Set("Content-Type", "application/json")
			w := httptest.NewRecorder()
			engine.ServeHTTP(w, req)
			if w.Code != http.StatusNoContent {
				b.Fatalf("push: %d %s", w.Code, w.Body)
			}
		}
	})
}
