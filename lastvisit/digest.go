package lastvisit

import (
	"context"
	"log/slog"
	"sort"
	"time"

	"github.com/thingplus/thingplus-webapp/rulehistory"
	"github.com/thingplus/thingplus-webapp/thingplus"
	"github.com/thingplus/thingplus-webapp/trains"
)

// Sources are where the digest reads from; any may be nil (that part is left out).
type Sources struct {
	Gateways  func(ctx context.Context, token string) (map[string][2]string, error)
	Timelines interface {
		Timelines(ctx context.Context, token string, q thingplus.TimelineQuery) (thingplus.TimelinePage, error)
	}
	History interface {
		Since(ctx context.Context, account string, t time.Time) ([]rulehistory.Version, error)
	}
	Trains interface {
		TrainsFor(ctx context.Context, p trains.Principal) ([]trains.Train, error)
		Events(ctx context.Context, f trains.EventFilter) ([]trains.Event, error)
	}
}

// Digest is what changed since the previous visit.
type Digest struct {
	First, Dismissed bool
	Since            time.Time
	Silent, Back     []Gateway
	Fired            []RuleCount // most fired first
	Changes          []rulehistory.Version
	Peaks            []Peak
	Rejected         int
}

// Empty reports whether nothing changed.
func (d Digest) Empty() bool {
	return len(d.Silent)+len(d.Back)+len(d.Fired)+len(d.Changes)+len(d.Peaks)+d.Rejected == 0
}

// Gateway is a gateway whose status changed.
type Gateway struct{ ID, Name, Status string }

// RuleCount is how often a rule fired, and failed, since.
type RuleCount struct {
	ID, Name      string
	Fired, Failed int
}

// Peak is a train's most crowded car since.
type Peak struct {
	TrainID         int64
	Train           string
	Count, Capacity int
	Percent         int
}

// Digester builds digests.
type Digester struct {
	Store   *Store
	Sources Sources
}

// maxScan bounds how many timeline entries and train events are read.
const maxScan = 1000

// Digest records this page view and summarises what changed since the
// previous visit of account.
func (g Digester) Digest(ctx context.Context, account, login, token string) (Digest, error) {
	var now map[string][2]string
	if g.Sources.Gateways != nil {
		var err error
		if now, err = g.Sources.Gateways(ctx, token); err != nil {
			slog.WarnContext(ctx, "last visit: gateway states", "err", err)
			now = nil
		}
	}
	v, err := g.Store.Touch(ctx, account, now)
	if err != nil {
		return Digest{}, err
	}
	d := Digest{First: v.First, Dismissed: v.Dismissed, Since: v.Previous}
	if v.First {
		return d, nil
	}
	d.Silent, d.Back = gatewayChanges(v.Gateways, now)
	g.firings(ctx, token, &d)
	if g.Sources.History != nil {
		d.Changes, _ = g.Sources.History.Since(ctx, account, v.Previous)
	}
	g.trains(ctx, trains.Principal{UserID: account, LoginID: login}, &d)
	return d, nil
}

func silent(status string) bool { return status == "off" || status == "error" || status == "stale" }

func gatewayChanges(before, now map[string][2]string) (gone, back []Gateway) {
	for id, cur := range now {
		old, ok := before[id]
		if !ok {
			continue
		}
		switch {
		case silent(cur[1]) && !silent(old[1]):
			gone = append(gone, Gateway{ID: id, Name: cur[0], Status: cur[1]})
		case !silent(cur[1]) && silent(old[1]):
			back = append(back, Gateway{ID: id, Name: cur[0], Status: cur[1]})
		}
	}
	byName := func(l []Gateway) { sort.Slice(l, func(i, j int) bool { return l[i].Name < l[j].Name }) }
	byName(gone)
	byName(back)
	return gone, back
}

func (g Digester) firings(ctx context.Context, token string, d *Digest) {
	if g.Sources.Timelines == nil {
		return
	}
	page, err := g.Sources.Timelines.Timelines(ctx, token, thingplus.TimelineQuery{Count: maxScan})
	if err != nil {
		slog.WarnContext(ctx, "last visit: timelines", "err", err)
		return
	}
	idx := map[string]int{}
	for _, e := range page.Entries {
		if !e.Time.Time().After(d.Since) {
			continue
		}
		i, ok := idx[e.Rule.ID]
		if !ok {
			i = len(d.Fired)
			idx[e.Rule.ID] = i
			d.Fired = append(d.Fired, RuleCount{ID: e.Rule.ID, Name: e.Rule.Name})
		}
		d.Fired[i].Fired++
		if !e.Success {
			d.Fired[i].Failed++
		}
	}
	sort.SliceStable(d.Fired, func(i, j int) bool { return d.Fired[i].Fired > d.Fired[j].Fired })
}

func (g Digester) trains(ctx context.Context, p trains.Principal, d *Digest) {
	if g.Sources.Trains == nil {
		return
	}
	ts, err := g.Sources.Trains.TrainsFor(ctx, p)
	if err != nil {
		slog.WarnContext(ctx, "last visit: trains", "err", err)
		return
	}
	ids := []int64{}
	capOf := map[int64]int{}
	name := map[int64]string{}
	for _, t := range ts {
		ids = append(ids, t.ID)
		name[t.ID] = t.Name
		for _, c := range t.Cars {
			capOf[c.ID] = c.Capacity
		}
	}
	evs, err := g.Sources.Trains.Events(ctx, trains.EventFilter{Trains: ids, Limit: maxScan})
	if err != nil {
		slog.WarnContext(ctx, "last visit: train events", "err", err)
		return
	}
	peak := map[int64]Peak{}
	for _, e := range evs {
		if !e.Time.After(d.Since) {
			continue
		}
		switch e.Outcome {
		case trains.OutcomeBadKey, trains.OutcomeInvalid, trains.OutcomeUnknownSensor:
			d.Rejected++
			continue
		}
		c := capOf[e.CarID]
		if c <= 0 || e.TrainID == 0 {
			continue
		}
		pct := e.CountAfter * 100 / c
		if cur, ok := peak[e.TrainID]; !ok || pct > cur.Percent {
			peak[e.TrainID] = Peak{TrainID: e.TrainID, Train: name[e.TrainID], Count: e.CountAfter, Capacity: c, Percent: pct}
		}
	}
	for _, id := range ids {
		if p, ok := peak[id]; ok {
			d.Peaks = append(d.Peaks, p)
		}
	}
}
