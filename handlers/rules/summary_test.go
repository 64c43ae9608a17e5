package rules

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/thingplus/thingplus-webapp/thingplus"
	"github.com/thingplus/thingplus-webapp/views/text"
)

// A door counter's trigger reads as people entering or leaving, in both
// languages, never "is under 0"; other sensors keep the comparison.
func TestSummaryDoorWords(t *testing.T) {
	rule := func(typ, method, degree string) thingplus.Rule {
		var r thingplus.Rule
		js := `{"trigger":{"agent":"sensorValue","type":"` + typ + `","method":{"id":"` + method +
			`","params":{"degree":"` + degree + `"}},"filter":{"sensor":["s1"]}}}`
		if err := json.Unmarshal([]byte(js), &r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	en, ko := context.Background(), text.WithLang(context.Background(), text.Korean)
	n := names{"s1": "Car 1 door 1"}
	for _, c := range []struct {
		ctx  context.Context
		r    thingplus.Rule
		want string
	}{
		{en, rule("countEvent", "under", "0"), "When someone leaves through Car 1 door 1 → nothing"},
		{en, rule("countEvent", "over", "0"), "When someone enters through Car 1 door 1 → nothing"},
		{ko, rule("countEvent", "under", "0"), "Car 1 door 1에서 하차할 때 → 아무것도 하지 않음"},
		{ko, rule("countEvent", "over", "0"), "Car 1 door 1에서 승차할 때 → 아무것도 하지 않음"},
		{en, rule("countEvent", "over", "5"), "When Car 1 door 1 is over 5 → nothing"},
		{en, rule("temperature", "under", "0"), "When Car 1 door 1 is under 0 → nothing"},
	} {
		if got := Summary(c.ctx, c.r, n); got != c.want {
			t.Errorf("Summary = %q, want %q", got, c.want)
		}
	}
}

// Sensor choices name the kind in words, once: "Temperature", not
// "Temperature (temperature)"; a door counter is people, not countEvent.
func TestSensorLabelPlain(t *testing.T) {
	en, ko := context.Background(), text.WithLang(context.Background(), text.Korean)
	for _, c := range []struct{ got, want string }{
		{sensorLabel(en, "Temperature", "temperature"), "Temperature"},
		{sensorLabel(ko, "온도", "temperature"), "온도"},
		{sensorLabel(en, "Car 1 door 1", "countEvent"), "Car 1 door 1 (People through a door)"},
		{sensorLabel(ko, "Car 1 door 1", "countEvent"), "Car 1 door 1 (승하차 인원)"},
		{sensorLabel(en, "Hall", "temperature"), "Hall (Temperature)"},
		{sensorLabel(en, "x", ""), "x"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}
