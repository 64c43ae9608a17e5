package thingplus

import (
	"errors"
	"io"
	"sync"

	"golang.org/x/sync/semaphore"
)

// DefaultBodyBudget is the total of upstream bodies buffered at once, over
// all requests: with it beside the per-call cap (MaxBody), eight 50 MiB
// answers at once cannot take more than this much memory. It is below
// 64 MiB so that the process as a whole (decoded values, connection
// buffers) grows by at most 64 MiB.
const DefaultBodyBudget = 48 << 20

// errTooLarge is returned for a body over the per-call cap or the budget.
var errTooLarge = errors.New("Thing+ answer too large")

// chunkSize is the unit bodies are read and accounted in. Chunks come from
// a pool, so a stream of large answers reuses the same memory instead of
// leaving garbage for the collector to catch up with.
const chunkSize = 256 << 10

var chunkPool = sync.Pool{New: func() any { b := make([]byte, chunkSize); return &b }}

// bodyBudget bounds the bytes of upstream bodies held at once. Reservations
// never wait: a body that does not fit now is refused at once ("answer too
// large"), which is better than a page that hangs behind another's download.
type bodyBudget struct{ sem *semaphore.Weighted }

func newBodyBudget(n int64) *bodyBudget { return &bodyBudget{sem: semaphore.NewWeighted(n)} }

// readBody reads r (at most max bytes) into one slice. The returned release
// gives the slice's reservation back; call it once the bytes are decoded.
func (b *bodyBudget) readBody(r io.Reader, max int64) ([]byte, func(), error) {
	var chunks []*[]byte
	var n, reserved int64
	free := func() {
		for _, c := range chunks {
			chunkPool.Put(c)
		}
		chunks = nil
		b.sem.Release(reserved)
		reserved = 0
	}
	for {
		if n%chunkSize == 0 {
			if n > max {
				free()
				return nil, nil, errTooLarge
			}
			if !b.sem.TryAcquire(chunkSize) {
				free()
				return nil, nil, errTooLarge
			}
			reserved += chunkSize
			chunks = append(chunks, chunkPool.Get().(*[]byte))
		}
		c := *chunks[len(chunks)-1]
		m, err := r.Read(c[n%chunkSize:])
		n += int64(m)
		if err == io.EOF {
			break
		}
		if err != nil {
			free()
			return nil, nil, err
		}
	}
	if n > max {
		free()
		return nil, nil, errTooLarge
	}
	if n <= chunkSize && len(chunks) == 1 {
		// Small answers (the common case) are decoded straight from the
		// pooled chunk; release returns it.
		c := chunks[0]
		return (*c)[:n], func() { chunkPool.Put(c); b.sem.Release(chunkSize) }, nil
	}
	if !b.sem.TryAcquire(n) {
		free()
		return nil, nil, errTooLarge
	}
	out := make([]byte, 0, n)
	for i, c := range chunks {
		end := int64(chunkSize)
		if i == len(chunks)-1 {
			end = n - int64(i)*chunkSize
		}
		out = append(out, (*c)[:end]...)
	}
	free()
	return out, func() { b.sem.Release(n) }, nil
}
