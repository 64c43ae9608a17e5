package sandbox

import (
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// recorder collects what the simulator hands to the rule engine.
type simRecorder struct {
	mu  sync.Mutex
	evs []SeriesEvent
}

func (r *simRecorder) attach(sb *Sandbox) {
	f := func(ev SeriesEvent) {
		r.mu.Lock()
		r.evs = append(r.evs, ev)
		r.mu.Unlock()
	}
	sb.devices.observe.Store(&f)
}

func (r *simRecorder) events() []SeriesEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.evs)
}

// runSim drives the simulator by hand: n ticks at the default pace.
func runSim(sb *Sandbox, clock *devClock, n int) {
	for range n {
		sb.devices.sim.step(clock.Advance(defaultSimulatorPace))
	}
}

// snapshot is every sensor's stored values and status, for comparing runs.
func snapshot(sb *Sandbox) map[string]string {
	d := sb.devices
	d.mu.RLock()
	defer d.mu.RUnlock()
	out := map[string]string{}
	for id, sn := range d.sensors {
		var b []byte
		for i := range sn.Series.len() {
			p := sn.Series.at(i)
			b = strconv.AppendInt(b, p.t, 10)
			b = append(b, ':')
			b = append(b, p.v...)
			b = append(b, ',')
		}
		out[id] = string(b) + "|" + sn.Status.ID + sn.Series.ID
	}
	return out
}

func TestSimulatorIsDeterministic(t *testing.T) {
	run := func(seed int64) map[string]string {
		clock := newDevClock()
		opts := devOptions(clock)
		opts.Seed = seed
		sb, _ := newDevSandbox(t, opts)
		runSim(sb, clock, 400)
		return snapshot(sb)
	}
	a, b, c := run(42), run(42), run(43)
	// 16 sensors and the 6 seeded actuators (3 on each GrovePi gateway).
	if len(a) != 22 {
		t.Fatalf("%d sensors", len(a))
	}
	for id := range a {
		if a[id] != b[id] {
			t.Fatalf("sensor %s differs between two runs with the same seed", id)
		}
	}
	same := 0
	for id := range a {
		if a[id] == c[id] {
			same++
		}
	}
	if same == len(a) {
		t.Fatal("another seed gave the same world")
	}
}

func TestSimulatorPlausibleWorld(t *testing.T) {
	clock := newDevClock()
	sb, c := newDevSandbox(t, devOptions(clock))
	var rec simRecorder
	rec.attach(sb)
	c.ok(201, "POST", "/v2/registerGateway", `{"id":"emu01","params":{"siteId":"1","model":"6","name":"Emulated"}}`)
	c.ok(200, "PUT", climatePath+"/status", `{"value":"err","timeout":600}`)
	start := clock.Now().UnixMilli()

	const ticks = 1800 // an hour at the default pace
	runSim(sb, clock, ticks)
	evs := rec.events()

	riders := map[string]int{} // per car device
	in, out := 0, 0
	climate := map[string][]float64{}
	last := map[string]int64{}
	for _, ev := range evs {
		if ev.Time < last[ev.Sensor.ID] || ev.Time <= start {
			t.Fatalf("time of %s went back or into the past: %+v", ev.Sensor.ID, ev)
		}
		last[ev.Sensor.ID] = ev.Time
		if ev.Sensor.OwnerUserID == "" || ev.Sensor.GatewayID == "" {
			t.Fatalf("event without its sensor: %+v", ev)
		}
		switch ev.Sensor.Type {
		case "countEvent":
			switch ev.Value {
			case "1":
				in++
				riders[ev.Sensor.DeviceID]++
			case "-1":
				out++
				riders[ev.Sensor.DeviceID]--
			default:
				t.Fatalf("door value %q", ev.Value)
			}
			if n := riders[ev.Sensor.DeviceID]; n < 0 || n > crushLoad {
				t.Fatalf("car %s holds %d riders", ev.Sensor.DeviceID, n)
			}
		case "temperature", "humidity":
			v, err := strconv.ParseFloat(ev.Value, 64)
			if err != nil {
				t.Fatalf("climate value %q", ev.Value)
			}
			climate[ev.Sensor.ID] = append(climate[ev.Sensor.ID], v)
		default:
			t.Fatalf("unexpected sensor %+v", ev.Sensor)
		}
	}
	stops := ticks / (travelTicks + dwellTicks)
	if in < stops || out == 0 || in < out {
		t.Fatalf("%d people in, %d out over %d stops", in, out, stops)
	}
	// Climate: one value each climateEvery ticks for every climate sensor of
	// a simulated gateway (the climate, user 2's and the emulated gateway),
	// slowly varying; never for the offline gateway.
	for _, id := range []string{climateTemp, ClimateGatewayID + "-0-humidity", OtherGatewayID + "-0-temperature", "emu01-0-temperature", "emu01-0-humidity"} {
		vs := climate[id]
		if len(vs) != ticks/climateEvery {
			t.Fatalf("%s: %d values, want %d", id, len(vs), ticks/climateEvery)
		}
		for i := 1; i < len(vs); i++ {
			if d := vs[i] - vs[i-1]; d > 1.5 || d < -1.5 {
				t.Fatalf("%s jumped from %v to %v", id, vs[i-1], vs[i])
			}
		}
	}
	if len(climate[OfflineGatewayID+"-0-temperature"]) != 0 {
		t.Fatal("the offline gateway reported")
	}
	// Statuses stay fresh (the climate gateway's "err" was replaced by its
	// next report), except the offline gateway's.
	for _, tc := range []struct{ path, want string }{
		{subwayPath + "/status", "on"}, {climatePath + "/status", "on"}, {"/v2/gateways/emu01/status", "on"},
		{"/v2/gateways/" + OfflineGatewayID + "/status", "off"},
		{subwayPath + "/sensors/" + door11 + "/status", "on"},
	} {
		st := c.ok(200, "GET", tc.path, "").obj()["status"].(map[string]any)
		if st["value"] != tc.want {
			t.Errorf("%s: %v, want %s", tc.path, st["value"], tc.want)
		}
		if tc.want == "on" && clock.Now().UnixMilli()-mustMs(t, st["time"]) > seedReportInterval {
			t.Errorf("%s: last report at %v is older than the report interval", tc.path, st["time"])
		}
	}
	// The values are stored too: the door's latest value is the last event's.
	var lastDoor SeriesEvent
	for _, ev := range evs {
		if ev.Sensor.ID == door11 {
			lastDoor = ev
		}
	}
	leaf := c.ok(200, "GET", subwayPath+"/sensors/"+door11+"/series", "").obj()["series"].(map[string]any)
	if lastDoor.Time == 0 || leaf["value"] != lastDoor.Value || leaf["time"] != strconv.FormatInt(lastDoor.Time, 10) {
		t.Fatalf("stored latest %v, last event %+v", leaf, lastDoor)
	}
}

func TestSimulatorRunsAndStopsOnClose(t *testing.T) {
	opts := devOptions(nil)
	opts.SimulatorPace = 2 * time.Millisecond
	sb := New(opts)
	var n atomic.Int64
	f := func(SeriesEvent) { n.Add(1) }
	sb.devices.observe.Store(&f)
	deadline := time.Now().Add(10 * time.Second)
	for n.Load() < 20 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if n.Load() < 20 {
		t.Fatalf("only %d values in 10 s", n.Load())
	}
	sb.Close()
	after := n.Load()
	time.Sleep(50 * time.Millisecond)
	if n.Load() != after {
		t.Fatalf("values after Close: %d → %d", after, n.Load())
	}
	sb.Close() // twice is fine
}

func TestSimulatorDisabled(t *testing.T) {
	clock := newDevClock()
	sb, c := newDevSandbox(t, devOptions(clock)) // SimulatorPace -1
	before := snapshot(sb)
	time.Sleep(20 * time.Millisecond)
	if after := snapshot(sb); len(after) != len(before) || after[door11] != before[door11] {
		t.Fatal("values changed with the simulator off")
	}
	// Without reports the seeded statuses lapse after 1.5 report intervals.
	clock.Advance(91 * time.Second)
	if v := c.ok(200, "GET", subwayPath+"/status", "").obj()["status"].(map[string]any)["value"]; v != "off" {
		t.Fatalf("status %v", v)
	}
}

// The simulator, the API and the status refresh share the store; run them
// together (go test -race finds any unguarded access).
func TestSimulatorConcurrentWithAPI(t *testing.T) {
	opts := devOptions(nil)
	opts.SimulatorPace = time.Millisecond
	_, c := newDevSandbox(t, opts)
	stop := time.Now().Add(300 * time.Millisecond)
	var wg sync.WaitGroup
	paths := []string{
		"/v2/gateways?embed=status,sensors,devices&sensors[embed]=status,series",
		"/v2/gateways?orderBy=status&filter[model]=52&fields=name",
		subwayPath + "/sensors?embed=series&series[count]=50",
		subwayPath + "/sensors/" + door11 + "/series?dataStart=" + iso(time.Now().Add(-time.Hour)) + "&interval=1m&intervalFunc=sum",
	}
	for i, p := range paths {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(stop) {
				if r := c.call("GET", p, ""); r.status != 200 {
					t.Errorf("GET %s: %d %s", p, r.status, r.raw)
					return
				}
				if i == 0 {
					c.call("PUT", climatePath+"/status", `{"value":"on","timeout":90}`)
					c.call("PUT", subwayPath, `{"name":"Subway 신림-성수 line"}`)
				}
			}
		}()
	}
	wg.Wait()
}
