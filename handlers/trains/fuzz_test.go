package trains

import (
	"errors"
	"testing"
	"unicode/utf8"

	"github.com/thingplus/thingplus-webapp/trains"
)

func FuzzParsePush(f *testing.F) {
	f.Add("b827ebd0a001-1-door1", "IN", "", []byte(""))
	f.Add("", "", "application/json", []byte(`{"sensorId":"s-1","type":"out","event":"tl-9"}`))
	f.Add("", "", "application/x-www-form-urlencoded", []byte("sensorId=s&type=IN&event=1"))
	f.Add("s", "in", "application/json", []byte(`{"event":12345678901234567890}`))
	f.Add("", "", "text/plain", []byte(`{"sensorId":1,"type":"IN"}`))
	f.Add("", "", "", []byte("%zz"))
	f.Fuzz(func(t *testing.T, sensor, typ, ctype string, body []byte) {
		p, err := ParsePush(sensor, typ, ctype, body)
		if err != nil {
			if !errors.Is(err, trains.ErrInvalid) {
				t.Fatalf("error not ErrInvalid: %v", err)
			}
			return
		}
		if p.Type != trains.TypeIn && p.Type != trains.TypeOut {
			t.Fatalf("type %q accepted", p.Type)
		}
		if trains.ValidSensorID(p.SensorID) != nil {
			t.Fatalf("sensor %q accepted", p.SensorID)
		}
		if len(p.EventKey) > trains.MaxEventKeyLen {
			t.Fatalf("event key of %d bytes accepted", len(p.EventKey))
		}
		if !utf8.ValidString(p.SensorID) {
			t.Fatal("invalid UTF-8 sensor id")
		}
		if sensor != "" && p.SensorID != sensor {
			t.Fatalf("path sensor %q became %q", sensor, p.SensorID)
		}
	})
}
