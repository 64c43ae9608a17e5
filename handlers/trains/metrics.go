package trains

import (
	"context"
	"errors"

	"github.com/thingplus/thingplus-webapp/metrics"
	"github.com/thingplus/thingplus-webapp/trains"
)

// countingStore counts every webhook push by its outcome on its way into
// the store: Apply and LogRejected are called by the webhook only, so the
// counts are the webhook's answers.
type countingStore struct {
	Store
	m *metrics.Metrics
}

func (s countingStore) Apply(ctx context.Context, p trains.Push) (trains.Result, error) {
	r, err := s.Store.Apply(ctx, p)
	switch {
	case err == nil:
		s.m.Push(string(r.Outcome))
	case errors.Is(err, trains.ErrWrongTrain):
		// Counted as wrong_train when the webhook logs the refusal.
	case errors.Is(err, trains.ErrUnknownSensor):
		s.m.Push(string(trains.OutcomeUnknownSensor))
	case errors.Is(err, trains.ErrInvalid):
		s.m.Push(string(trains.OutcomeInvalid))
	default:
		s.m.Push("error")
	}
	return r, err
}

func (s countingStore) LogRejected(ctx context.Context, r trains.Rejected) error {
	outcome := r.Outcome
	if outcome == "" {
		outcome = trains.OutcomeInvalid
	}
	s.m.Push(string(outcome))
	return s.Store.LogRejected(ctx, r)
}
