package sandbox

import (
	"hash/fnv"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync/atomic"
	"time"
)

// The simulator plays the gateways of the seed: every tick it
//   - reports each simulated gateway and its sensors "on" once per report
//     interval (validity 1.5 intervals), never the offline gateway;
//   - moves a subway train along its line: between stations nothing
//     happens, at a station people leave (first) and board (then) through
//     the car doors, each person one countEvent value, "-1" out and "1" in,
//     with boarding following the hour of day in Seoul and the car's
//     crowding, and nobody leaving an empty car; at the end of the line
//     everybody leaves;
//   - every climateEvery ticks, gives each temperature and humidity sensor
//     of a simulated gateway a new slowly drifting value (daily cycle plus
//     a little noise).
//
// Every value goes through storeValues, the path of PUT series, so the rule
// engine sees it. The simulator counts in ticks (Options.SimulatorPace,
// 2 s by default), so a faster pace is a faster world. With a seed and a
// clock it is deterministic: step is the whole state transition.
//
// At start it also backfills a week of history (from Options.Seed): door
// events at the default pace and one climate value a minute, so the app can
// chart the last hour, day and week at once. Backfilled values are history:
// the rule engine never sees them.
type simulator struct {
	d       *deviceArea
	rng     *rand.Rand
	tick    int64
	trains  []*train
	climate map[string]*climateModel
	// rushFrom is when the rush-hour replay started, in Unix ms (0: not
	// replaying); set from other goroutines.
	rushFrom atomic.Int64
}

const (
	// The demo's pace: a station every 5 s, doors open 3 s of them, so
	// people move through the doors every second or two.
	defaultSimulatorPace = time.Second
	travelTicks          = 2  // between stations
	dwellTicks           = 3  // doors open
	climateEvery         = 30 // ticks between climate values (30 s at the default pace)
	stations             = 20 // per direction
	// carCapacity is a car's nominal capacity as Seoul Metro counts it
	// (seated and standing): 100 %. crushLoad is where nobody else fits.
	carCapacity = 160
	crushLoad   = 400
	alightShare = 0.1 // share of riders leaving at an ordinary station
	// peakRate is how many people board an empty car at a station at the
	// busiest hour; the hourly pattern scales it.
	peakRate = 54
	// demoRushTicks: the first minute and a half is a morning rush, whatever
	// the hour, so a new visitor sees cars fill up (one reaches caution).
	demoRushTicks = 90
	// rushSpeed: the rush-hour replay runs 07:00–09:00 at ten times speed.
	rushSpeed           = 10
	backfillSpan        = 7 * 24 * time.Hour
	backfillClimateStep = time.Minute
	backfillPeriod      = 76 * time.Second // one stop, in the backfilled history
	backfillDwell       = 16 * time.Second
	backfillScale       = 0.15 // the history's traffic, relative to the live demo
)

// carDraw is how much each car draws boarders (the middle car stops by the
// stairs).
var carDraw = []float64{1.0, 1.5, 0.8}

// kst is Seoul time, which drives the daily patterns.
var kst = time.FixedZone("KST", 9*3600)

type train struct {
	cars     [][]string // door sensor ids per car
	occ      []int      // riders per car
	station  int        // 0..stations-1
	dir      int        // +1 or -1
	dwelling bool
	phase    int          // ticks into the current phase
	plan     [][]doorMove // per dwell tick, while dwelling
}

type doorMove struct {
	car, door, delta int
	offset           int64 // backfill only: ms into the dwell
}

type climateModel struct {
	base, amp, noise float64
	peakHour         float64 // Seoul hour of the daily maximum
	lo, hi           float64
	ar               float64 // AR(1) deviation
}

func newSimulator(d *deviceArea) *simulator {
	seed := uint64(d.s.opts.Seed)
	sim := &simulator{d: d, rng: rand.New(rand.NewPCG(seed, 0x51a1a70e)), climate: map[string]*climateModel{}}
	// The seeded subway line.
	if sub := d.gateways[SubwayGatewayID]; sub != nil {
		t := &train{dir: 1, phase: travelTicks - 1} // first stop on the first tick
		for car := 1; car <= subwayCars; car++ {
			var doors []string
			for door := 1; door <= doorsPerCar; door++ {
				doors = append(doors, DoorSensorID(car, door))
			}
			t.cars = append(t.cars, doors)
		}
		t.occ = make([]int, len(t.cars))
		sim.trains = append(sim.trains, t)
	}
	sim.backfill(d.s.now())
	return sim
}

// climateFor returns the model of a temperature or humidity sensor, made
// on first use from its type with a per-sensor offset (so two sensors
// differ but the same id always behaves the same).
func (sim *simulator) climateFor(sn *sensor) *climateModel {
	if m := sim.climate[sn.ID]; m != nil {
		return m
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(sn.ID))
	jitter := float64(h.Sum32()%100)/100 - 0.5 // -0.5..0.5
	var m *climateModel
	switch {
	case sn.Type == "humidity":
		m = &climateModel{base: 52 + 6*jitter, amp: -7, noise: 0.25, peakHour: 15, lo: 15, hi: 95}
	case sn.Owner == OfflineGatewayID:
		m = &climateModel{base: 13, amp: 4, noise: 0.15, peakHour: 15, lo: -20, hi: 45}
	default:
		m = &climateModel{base: 22 + 2*jitter, amp: 2.2, noise: 0.12, peakHour: 15, lo: -20, hi: 45}
	}
	sim.climate[sn.ID] = m
	return m
}

// next advances the model to t and returns the value as a string.
func (m *climateModel) next(t time.Time, rng *rand.Rand) string {
	lt := t.In(kst)
	hour := float64(lt.Hour()) + float64(lt.Minute())/60
	m.ar = 0.97*m.ar + rng.NormFloat64()*m.noise
	v := m.base + m.amp*math.Cos(2*math.Pi*(hour-m.peakHour)/24) + m.ar
	v = math.Max(m.lo, math.Min(m.hi, v))
	return strconv.FormatFloat(v, 'f', 1, 64)
}

// boardingRate is the mean number of people boarding an empty car at a
// station at a Seoul hour (rush hours 7–9 and 17–19).
func boardingRate(t time.Time) float64 {
	rates := [24]float64{1, 0.3, 0.3, 0.3, 0.3, 1.5, 3, 7, 8, 5, 3, 3, 3.5, 3, 3, 3, 4, 6, 8, 5, 3, 3, 2.5, 1.5}
	return rates[t.In(kst).Hour()] * peakRate / 8
}

// rushHour is 08:00 in Seoul on t's day: the busiest boarding.
func rushHour(t time.Time) time.Time {
	k := t.In(kst)
	return time.Date(k.Year(), k.Month(), k.Day(), 8, 0, 0, 0, kst)
}

// StartRushHour replays a morning peak (07:00 to 09:00 in Seoul) at ten
// times speed: people board at the rates of those hours, through the real
// path (the rule engine and its dataPush actions).
func (s *Sandbox) StartRushHour() {
	s.devices.sim.rushFrom.Store(s.now().UnixMilli())
}

// clockFor is the time of day whose rates apply at now: a replayed rush
// hour, the demo's opening rush, or now.
func (sim *simulator) clockFor(now time.Time) time.Time {
	if ms := sim.rushFrom.Load(); ms != 0 {
		from := time.UnixMilli(ms)
		if replay := now.Sub(from) * rushSpeed; replay < 2*time.Hour {
			k := from.In(kst)
			return time.Date(k.Year(), k.Month(), k.Day(), 7, 0, 0, 0, kst).Add(replay)
		}
		sim.rushFrom.CompareAndSwap(ms, 0)
	}
	if sim.tick <= demoRushTicks {
		return rushHour(now)
	}
	return now
}

func poisson(rng *rand.Rand, mean float64) int {
	if mean <= 0 {
		return 0
	}
	limit, k, p := math.Exp(-mean), 0, 1.0
	for {
		p *= rng.Float64()
		if p <= limit {
			return k
		}
		k++
	}
}

// planStop decides who leaves and boards each car at a station: leavers in
// the first half of the dwell, boarders in the second, each through a
// random door. It does not change occupancy; emitting does. The plan
// reuses the train's previous one.
func (t *train) planStop(rng *rand.Rand, rate float64, endOfLine bool, dwell int) [][]doorMove {
	plan := t.plan[:cap(t.plan)]
	if len(plan) < dwell {
		plan = append(plan, make([][]doorMove, dwell-len(plan))...)
	}
	plan = plan[:dwell]
	for k := range plan {
		plan[k] = plan[k][:0]
	}
	half := max(dwell/2, 1)
	for c := range t.cars {
		occ := t.occ[c]
		out := 0
		if endOfLine {
			out = occ
		} else {
			for range occ {
				if rng.Float64() < alightShare {
					out++
				}
			}
		}
		room := crushLoad - (occ - out)
		draw := 1.0
		if c < len(carDraw) {
			draw = carDraw[c]
		}
		in := min(poisson(rng, rate*draw*float64(room)/crushLoad), room)
		for range out {
			k := rng.IntN(half)
			plan[k] = append(plan[k], doorMove{car: c, door: rng.IntN(len(t.cars[c])), delta: -1})
		}
		for range in {
			k := half + rng.IntN(max(dwell-half, 1))
			k = min(k, dwell-1)
			plan[k] = append(plan[k], doorMove{car: c, door: rng.IntN(len(t.cars[c])), delta: 1})
		}
	}
	return plan
}

// advance moves the train to its next station.
func (t *train) advance() { t.station = max(0, min(stations-1, t.station+t.dir)) }

func (t *train) atEnd() bool {
	return (t.dir > 0 && t.station == stations-1) || (t.dir < 0 && t.station == 0)
}

func (t *train) turnIfEnd() {
	if t.atEnd() {
		t.dir = -t.dir
	}
}

// run ticks until stop is closed.
func (sim *simulator) run(pace time.Duration, stop <-chan struct{}) {
	tk := time.NewTicker(pace)
	defer tk.Stop()
	for {
		select {
		case <-stop:
			return
		case <-tk.C:
			sim.step(sim.d.s.now())
		}
	}
}

// step is one tick at now.
func (sim *simulator) step(now time.Time) {
	sim.tick++
	ms := now.UnixMilli()
	d := sim.d

	// Statuses, and the climate sensors to feed this tick.
	type climateSensor struct {
		sn *sensor
		m  *climateModel
	}
	var feed []climateSensor
	d.mu.Lock()
	for _, id := range d.gwOrder {
		gw := d.gateways[id]
		if gw == nil || !gw.simulated {
			continue
		}
		if v, _ := gw.Status.effective(ms); v != "on" || ms-gw.Status.Time >= gw.ReportInterval {
			d.freshenLocked(gw, ms)
		}
		if sim.tick%climateEvery != 0 {
			continue
		}
		for _, sid := range gw.SensorIDs {
			if sn := d.sensors[sid]; sn != nil && (sn.Type == "temperature" || sn.Type == "humidity") {
				feed = append(feed, climateSensor{sn, sim.climateFor(sn)})
			}
		}
	}
	d.mu.Unlock()
	for _, c := range feed {
		_ = d.storeValues(c.sn.ID, []point{{t: ms, v: c.m.next(now, sim.rng)}}, true)
	}

	for _, t := range sim.trains {
		sim.stepTrain(t, now)
	}
}

func (sim *simulator) stepTrain(t *train, now time.Time) {
	if !t.dwelling {
		t.phase++
		if t.phase < travelTicks {
			return
		}
		t.advance()
		t.dwelling, t.phase = true, 0
		t.plan = t.planStop(sim.rng, boardingRate(sim.clockFor(now)), t.atEnd(), dwellTicks)
	}
	moves := t.plan[t.phase]
	// One store call per door, values in order, times a few ms apart.
	ms := now.UnixMilli()
	perDoor := map[string][]point{}
	var order []string
	for _, mv := range moves {
		if mv.delta < 0 && t.occ[mv.car] == 0 {
			continue
		}
		t.occ[mv.car] += mv.delta
		id := t.cars[mv.car][mv.door]
		if _, ok := perDoor[id]; !ok {
			order = append(order, id)
		}
		perDoor[id] = append(perDoor[id], point{v: countValue(mv.delta)})
	}
	for _, id := range order {
		pts := perDoor[id]
		for i := range pts {
			pts[i].t = ms - int64(len(pts)-1-i)*20
		}
		_ = sim.d.storeValues(id, pts, true)
	}
	t.phase++
	if t.phase >= dwellTicks {
		t.turnIfEnd()
		t.dwelling, t.phase = false, 0
	}
}

// backfill writes a week of history before now straight into the rings
// (no rule engine), from its own random stream so the live values do not
// depend on it.
func (sim *simulator) backfill(now time.Time) {
	d := sim.d
	rng := rand.New(rand.NewPCG(uint64(d.s.opts.Seed), 0xbacf111))
	from := now.Add(-backfillSpan)

	// Climate: one value a minute, until the gateway went quiet.
	for _, id := range d.gwOrder {
		gw := d.gateways[id]
		end := now
		if !gw.simulated {
			end = time.UnixMilli(gw.Status.Time)
		}
		for _, sid := range gw.SensorIDs {
			sn := d.sensors[sid]
			if sn.Type != "temperature" && sn.Type != "humidity" || !end.After(from) {
				continue
			}
			m := sim.climateFor(sn)
			pts := make([]point, 0, end.Sub(from)/backfillClimateStep+1)
			for t := from; t.Before(end); t = t.Add(backfillClimateStep) {
				pts = append(pts, point{t: t.UnixMilli(), v: m.next(t, rng)})
			}
			setHistory(sn, pts)
		}
	}

	// Doors: the same line, one stop every (travel+dwell) ticks at the
	// default pace, from empty cars a week ago.
	for _, live := range sim.trains {
		t := &train{cars: live.cars, occ: make([]int, len(live.cars)), dir: 1}
		hist := map[string][]point{}
		pace := backfillDwell / dwellTicks
		period, dwell := backfillPeriod, backfillDwell
		var moves []doorMove
		for at := from; at.Add(dwell).Before(now); at = at.Add(period) {
			t.advance()
			t.plan = t.planStop(rng, boardingRate(at)*backfillScale, t.atEnd(), dwellTicks)
			moves = moves[:0]
			for k, step := range t.plan {
				for _, mv := range step {
					mv.offset = int64(k)*pace.Milliseconds() + rng.Int64N(pace.Milliseconds())
					moves = append(moves, mv)
				}
			}
			slices.SortStableFunc(moves, func(a, b doorMove) int { return int(a.offset - b.offset) })
			for _, mv := range moves {
				if mv.delta < 0 && t.occ[mv.car] == 0 {
					continue
				}
				t.occ[mv.car] += mv.delta
				id := t.cars[mv.car][mv.door]
				if hist[id] == nil {
					hist[id] = make([]point, 0, 1<<14)
				}
				hist[id] = append(hist[id], point{t: at.UnixMilli() + mv.offset, v: countValue(mv.delta)})
			}
			t.turnIfEnd()
		}
		for id, pts := range hist {
			if sn := d.sensors[id]; sn != nil {
				setHistory(sn, pts)
			}
		}
	}
}

// countValue is a door event's value: "1" in, "-1" out.
func countValue(delta int) string {
	if delta < 0 {
		return "-1"
	}
	return "1"
}

// setHistory puts backfilled values (ascending) into an empty series leaf.
func setHistory(sn *sensor, pts []point) {
	if len(pts) == 0 {
		return
	}
	if len(pts) > seriesCap {
		pts = pts[len(pts)-seriesCap:]
	}
	sn.Series.buf, sn.Series.head = pts, 0
	sn.Series.Ctime = sn.Ctime
	sn.Series.Mtime = max(pts[len(pts)-1].t, sn.Ctime)
}
