package gateways

import (
	"context"
	"testing"
	"time"

	"github.com/thingplus/thingplus-webapp/thingplus"
	"github.com/thingplus/thingplus-webapp/views/text"
)

// Door counters read as people and late gateways name their interval, in
// both languages; no "ea", no "-1", no "stale".
func TestPlainWordsBothLanguages(t *testing.T) {
	en, ko := context.Background(), text.WithLang(context.Background(), text.Korean)
	door := thingplus.SensorType{ID: counterType, Unit: "ea"}
	types := map[string]thingplus.SensorType{counterType: door, "temperature": {ID: "temperature", Unit: "°C"}}
	for _, c := range []struct{ got, want string }{
		{valueText(en, "-1", door, true), "1 person left"},
		{valueText(en, "3", door, true), "3 people entered"},
		{valueText(en, "-2", door, true), "2 people left"},
		{valueText(ko, "-1", door, true), "하차 1명"},
		{valueText(ko, "3", door, true), "승차 3명"},
		{typeLabel(en, counterType, types), "People through a door (people)"},
		{typeLabel(ko, counterType, types), "승하차 인원 (명)"},
		{typeLabel(en, "temperature", types), "Temperature (°C)"},
		{typeLabel(ko, "temperature", types), "온도 (°C)"},
		{badgeOf(en, stStale, time.Minute).Text, "no recent report (every 1 min)"},
		{badgeOf(ko, stStale, time.Minute).Text, "보고 지연 (1분 주기)"},
		{badgeOf(ko, stStale, 0).Text, "보고 지연"},
		{text.T(en, "gw.status.stale"), "no recent report"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}
