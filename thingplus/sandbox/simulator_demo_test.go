package sandbox

import (
	"testing"
	"time"
)

// doorTimeline replays the recorded door events: per tick (1-based), the
// riders of each car after it, and the first tick with any door event.
func doorTimeline(t *testing.T, evs []SeriesEvent, start time.Time) (peakAt map[string]int, first int, gaps int) {
	t.Helper()
	riders := map[string]int{}
	peakAt = map[string]int{}
	first = -1
	lastTick := 0
	for _, ev := range evs {
		if ev.Sensor.Type != "countEvent" {
			continue
		}
		tick := int((time.UnixMilli(ev.Time).Sub(start) + defaultSimulatorPace - 1) / defaultSimulatorPace)
		if first < 0 {
			first = tick
		}
		gaps = max(gaps, tick-lastTick)
		lastTick = tick
		if ev.Value == "1" {
			riders[ev.Sensor.DeviceID]++
		} else {
			riders[ev.Sensor.DeviceID]--
		}
		// Caution starts above 130 % of the 160-passenger capacity.
		if riders[ev.Sensor.DeviceID]*100 > 130*carCapacity {
			if _, ok := peakAt[ev.Sensor.DeviceID]; !ok {
				peakAt[ev.Sensor.DeviceID] = tick
			}
		}
	}
	return peakAt, first, gaps
}

// The demo at 03:00 in Seoul (the quietest hour): people move within the
// first seconds and every few seconds after, and a car passes 130 % of
// capacity (caution) within the first minute.
func TestSimulatorDemoFillsUpWithinAMinute(t *testing.T) {
	clock := &devClock{t: time.Date(2025, 5, 14, 3, 0, 0, 0, kst)}
	sb, _ := newDevSandbox(t, devOptions(clock))
	var rec simRecorder
	rec.attach(sb)
	start := clock.Now()
	runSim(sb, clock, 60)
	caution, first, gaps := doorTimeline(t, rec.events(), start)
	if first < 0 || first > 3 {
		t.Fatalf("first door event at tick %d, want within 3 s", first)
	}
	if gaps > 3 {
		t.Errorf("%d s without anyone moving through a door, want at most 3", gaps)
	}
	if len(caution) == 0 {
		t.Fatal("no car passed 130 % of capacity within the first minute")
	}
	t.Logf("cars passing 130 %% (tick): %v", caution)
}

// The rush-hour replay: at 03:00, with StartRushHour, boarding follows the
// morning peak: far more people board than in the same minutes without.
func TestSimulatorRushHourReplay(t *testing.T) {
	count := func(rush bool) int {
		clock := &devClock{t: time.Date(2025, 5, 14, 3, 0, 0, 0, kst)}
		sb, _ := newDevSandbox(t, devOptions(clock))
		runSim(sb, clock, demoRushTicks+1) // past the demo's opening rush
		var rec simRecorder
		rec.attach(sb)
		if rush {
			sb.StartRushHour()
		}
		runSim(sb, clock, 120)
		in := 0
		for _, ev := range rec.events() {
			if ev.Sensor.Type == "countEvent" && ev.Value == "1" {
				in++
			}
		}
		return in
	}
	quiet, rush := count(false), count(true)
	if rush < 5*max(quiet, 1) {
		t.Fatalf("boarded in 2 minutes: %d with the rush-hour replay, %d without; want many times more", rush, quiet)
	}
	t.Logf("boarded in 2 minutes at 03:00: %d quiet, %d replaying the rush hour", quiet, rush)
}
