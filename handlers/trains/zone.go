package trains

import (
	"context"
	"time"

	"github.com/thingplus/thingplus-webapp/handlers/web"
	"github.com/thingplus/thingplus-webapp/thingplus"
	"github.com/thingplus/thingplus-webapp/trains"
)

// One zone per train: a train's times (car cards, health flags, the token's
// grace, the event log and its CSV, the history) are in its owner's Thing+
// time zone, recorded at the owner's sign-in, and named wherever they show.
// A viewer sharing the train reads the owner's clock, not their own: the
// train runs on one clock. Unknown: Asia/Seoul (thingplus.Zone).

// trainLoc is the zone of t's times.
func trainLoc(t trains.Train) *time.Location { return thingplus.Zone(t.OwnerZone) }

// trainLocOf is the zone of the times of the train with id.
func (h *Handler) trainLocOf(ctx context.Context, id int64) *time.Location {
	z, err := h.store.OwnerZone(ctx, id)
	if err != nil {
		h.cfg.Log.WarnContext(ctx, "trains: read owner zone", "train", id, "err", err)
	}
	return thingplus.Zone(z)
}

// zoned formats at in loc to layout's precision, the zone named:
// "2026-12-03 18:02 KST".
func zoned(at time.Time, loc *time.Location, layout string) string {
	return at.In(loc).Format(layout) + " " + web.ZoneLabel(loc, at)
}

// carLocs is the zone of each changed car's train, for all the languages
// it is rendered in, from the broadcaster's zones (read on first need).
func (b *broadcaster) carLocs(cars map[int64]trains.Car) map[int64]*time.Location {
	for _, c := range cars {
		if b.zones[c.TrainID] == nil {
			b.zones[c.TrainID] = b.h.trainLocOf(context.Background(), c.TrainID)
		}
	}
	return b.zones
}

// trainZones are the zones of a set of trains, by id.
type trainZones map[int64]*time.Location

func zonesOf(ts []trains.Train) trainZones {
	z := trainZones{}
	for _, t := range ts {
		z[t.ID] = trainLoc(t)
	}
	return z
}

// of is the zone of train id's times (Asia/Seoul for a train not in the set).
func (z trainZones) of(id int64) *time.Location {
	if loc, ok := z[id]; ok {
		return loc
	}
	return thingplus.DefaultZone
}

// oneZone names the zone of all of evs's times, or "" when they are in
// more than one (trains of owners in different zones).
func oneZone(evs []trains.Event, z trainZones, now time.Time) string {
	name := web.ZoneLabel(thingplus.DefaultZone, now)
	for i, ev := range evs {
		n := web.ZoneLabel(z.of(ev.TrainID), ev.Time)
		if i > 0 && n != name {
			return ""
		}
		name = n
	}
	return name
}
