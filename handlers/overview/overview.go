// Package overview gathers the signed-in home page's figures: gateways by
// status, active rules, recent rule firings, the most crowded cars and the
// pushes refused today. Each panel loads on its own with a short deadline;
// one that fails says so in its card and never fails the page.
package overview

import (
	"context"
	"log/slog"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/thingplus/thingplus-webapp/handlers/web"
	"github.com/thingplus/thingplus-webapp/thingplus"
	"github.com/thingplus/thingplus-webapp/trains"
	"github.com/thingplus/thingplus-webapp/views/home"
	"github.com/thingplus/thingplus-webapp/views/text"
)

// Gateways counts the user's gateways by status (handlers/gateways).
type Gateways interface {
	StatusCounts(ctx context.Context, token string) (map[string]int, error)
}

// Rules lists the user's rules.
type Rules interface {
	ListRules(ctx context.Context, token string) ([]thingplus.Rule, error)
}

// Timelines lists rule firings, newest first.
type Timelines interface {
	Timelines(ctx context.Context, token string, q thingplus.TimelineQuery) (thingplus.TimelinePage, error)
}

// Trains reads the trains an account may see and their event log.
type Trains interface {
	TrainsFor(ctx context.Context, p trains.Principal) ([]trains.Train, error)
	Events(ctx context.Context, f trains.EventFilter) ([]trains.Event, error)
}

// Loader builds the overview. Any source may be nil: its card is left out.
type Loader struct {
	Gateways  Gateways
	Rules     Rules
	Timelines Timelines
	Trains    Trains
	Timeout   time.Duration // per panel; default 3 s
	Now       func() time.Time
}

// refused are the outcomes of pushes that did not count.
var refused = []trains.Outcome{trains.OutcomeBadKey, trains.OutcomeInvalid, trains.OutcomeUnknownSensor}

// Overview loads every panel concurrently, for the signed-in user u: times
// in u's zone, trains and refused pushes of the trains u may see.
func (l *Loader) Overview(ctx context.Context, token string, u thingplus.User) home.Overview {
	loc := u.Location()
	now := time.Now()
	if l.Now != nil {
		now = l.Now()
	}
	timeout := l.Timeout
	if timeout <= 0 {
		timeout = 3 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var o home.Overview
	var wg sync.WaitGroup
	run := func(ok bool, f func()) {
		if ok {
			wg.Add(1)
			go func() { defer wg.Done(); f() }()
		}
	}
	run(l.Gateways != nil, func() { o.Gateways = l.gateways(ctx, token) })
	run(l.Rules != nil, func() { o.Rules = l.rules(ctx, token) })
	run(l.Timelines != nil, func() { o.Firings = l.firings(ctx, token, loc) })
	run(l.Trains != nil, func() {
		o.Crowded, o.Refused = l.trains(ctx, now, loc, trains.Principal{UserID: u.ID, LoginID: u.LoginID})
	})
	wg.Wait()
	return o
}

func unavailable(ctx context.Context, what string, err error) string {
	slog.WarnContext(ctx, "overview: panel unavailable", "panel", what, "err", err)
	return web.InPlace(ctx, err, "home.unavailable")
}

func (l *Loader) gateways(ctx context.Context, token string) *home.GatewayCard {
	c := &home.GatewayCard{}
	counts, err := l.Gateways.StatusCounts(ctx, token)
	if err != nil {
		c.Problem = unavailable(ctx, "gateways", err)
		return c
	}
	c.On, c.Stale, c.Off, c.Error = counts["on"], counts["stale"], counts["off"], counts["error"]
	return c
}

func (l *Loader) rules(ctx context.Context, token string) *home.RuleCard {
	c := &home.RuleCard{}
	rules, err := l.Rules.ListRules(ctx, token)
	if err != nil {
		c.Problem = unavailable(ctx, "rules", err)
		return c
	}
	for _, r := range rules {
		if r.Template == thingplus.TemplateTrue {
			continue
		}
		c.Total++
		if r.Status == thingplus.RuleActivated {
			c.Active++
		}
	}
	return c
}

func (l *Loader) firings(ctx context.Context, token string, loc *time.Location) *home.FiringCard {
	c := &home.FiringCard{}
	page, err := l.Timelines.Timelines(ctx, token, thingplus.TimelineQuery{Count: 5})
	if err != nil {
		c.Problem = unavailable(ctx, "firings", err)
		return c
	}
	for i, e := range page.Entries {
		if i == 5 {
			break
		}
		name := e.Rule.Name
		if name == "" {
			name = e.Rule.ID
		}
		c.Items = append(c.Items, home.Firing{Rule: name, When: e.Time.Time().In(loc).Format("2006-01-02 15:04:05"), OK: bool(e.Success)})
	}
	return c
}

// trains finds the three fullest cars and counts today's refused pushes,
// among the trains p may see (another account's trains never show here).
func (l *Loader) trains(ctx context.Context, now time.Time, loc *time.Location, p trains.Principal) (*home.CrowdCard, *home.RefusedCard) {
	crowd, ref := &home.CrowdCard{}, &home.RefusedCard{}
	ts, err := l.Trains.TrainsFor(ctx, p)
	if err != nil {
		crowd.Problem = unavailable(ctx, "trains", err)
		ref.Problem = crowd.Problem
		return crowd, ref
	}
	ids := make([]int64, 0, len(ts))
	for _, t := range ts {
		ids = append(ids, t.ID)
	}
	type car struct {
		train string
		c     trains.Car
		pct   int
	}
	var cars []car
	for _, t := range ts {
		for _, c := range t.Cars {
			pct := 0
			if c.Capacity > 0 {
				pct = c.Count * 100 / c.Capacity
			}
			cars = append(cars, car{t.Name, c, pct})
		}
	}
	sort.SliceStable(cars, func(i, j int) bool { return cars[i].pct > cars[j].pct })
	for i, c := range cars {
		if i == 3 {
			break
		}
		lvl := trains.DefaultThresholds.Level(c.c.Count, c.c.Capacity)
		crowd.Cars = append(crowd.Cars, home.CrowdedCar{
			Train: c.train, Car: strconv.Itoa(c.c.Position), Count: c.c.Count, Pct: c.pct,
			Level: text.T(ctx, "trains.level."+string(lvl)), Kind: levelKind(lvl)})
	}
	y, m, d := now.In(loc).Date()
	midnight := time.Date(y, m, d, 0, 0, 0, 0, loc)
	for _, o := range refused {
		evs, err := l.Trains.Events(ctx, trains.EventFilter{Outcome: o, Trains: ids, Limit: 1000})
		if err != nil {
			ref.Problem = unavailable(ctx, "refused pushes", err)
			return crowd, ref
		}
		for _, e := range evs {
			if !e.Time.Before(midnight) {
				ref.Today++
			}
		}
	}
	return crowd, ref
}

func levelKind(l trains.Level) string {
	switch l {
	case trains.Crowded:
		return "bad"
	case trains.Caution:
		return "warn"
	}
	return "ok"
}
