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
