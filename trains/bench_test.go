package trains

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkApply64 measures durable pushes with 64 concurrent senders.
func BenchmarkApply64(b *testing.B) {
	s := openTest(b, "")
	ctx := context.Background()
	var n atomic.Int64
	procs := max(1, 64/runtime.GOMAXPROCS(0))
	b.SetParallelism(procs)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			_, err := s.Apply(ctx, Push{SensorID: SeedSensorID(int(i%3)+1, int(i%4)+1), Type: TypeIn, EventKey: fmt.Sprintf("b-%d", i)})
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(n.Load())/time.Since(start).Seconds(), "pushes/s")
}

// BenchmarkApply64Token is BenchmarkApply64 as a push with a per-train
// token reaches the store: the token looked up (SHA-256 and a map), then
// the push checked against the token's train.
func BenchmarkApply64Token(b *testing.B) {
	s := openTest(b, "")
	ctx := context.Background()
	tok, err := s.Token(ctx, 1000)
	if err != nil {
		b.Fatal(err)
	}
	var n atomic.Int64
	procs := max(1, 64/runtime.GOMAXPROCS(0))
	b.SetParallelism(procs)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			train, ok := s.TokenTrain(tok.Token)
			if !ok {
				b.Error("token refused")
				return
			}
			_, err := s.Apply(ctx, Push{TrainID: train, SensorID: SeedSensorID(int(i%3)+1, int(i%4)+1), Type: TypeIn, EventKey: fmt.Sprintf("b-%d", i)})
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(n.Load())/time.Since(start).Seconds(), "pushes/s")
}

// BenchmarkTokenLookupMiss is what one wrong token costs the webhook.
func BenchmarkTokenLookupMiss(b *testing.B) {
	s := openTest(b, "")
	s.TokenTrain("warm-up")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, ok := s.TokenTrain("not-a-token"); ok {
			b.Fatal("accepted")
		}
	}
}

// BenchmarkTokenLookupHit is what checking a valid token adds to a push.
func BenchmarkTokenLookupHit(b *testing.B) {
	s := openTest(b, "")
	tok, err := s.Token(context.Background(), 1000)
	if err != nil {
		b.Fatal(err)
	}
	s.TokenTrain(tok.Token)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, ok := s.TokenTrain(tok.Token); !ok {
			b.Fatal("refused")
		}
	}
}
