package text

import "context"

// plainWords replaces Thing+ jargon (sensor type ids, "ea", "under 0") with
// what a person reads: sensor kinds by name, door counts as people.
var plainWords = map[string]string{
	"type.temperature":     "Temperature",
	"type.humidity":        "Humidity",
	"type.countEvent":      "People through a door",
	"type.count":           "Count",
	"type.onoff":           "On/off",
	"type.light":           "Light",
	"type.co2":             "CO₂",
	"type.dust":            "Dust",
	"type.noise":           "Noise",
	"type.power":           "Power",
	"type.voltage":         "Voltage",
	"type.current":         "Current",
	"type.pressure":        "Pressure",
	"door.unit":            "people",
	"door.entered":         "%d person entered|%d people entered",
	"door.left":            "%d person left|%d people left",
	"door.zero":            "no one",
	"door.enters":          "When someone enters through %s",
	"door.leaves":          "When someone leaves through %s",
	"time.head":            "Time (%s)",
	"rules.col.modifiedin": "Last modified (%s)",
}

// TypeName is a sensor type as a person names it ("Temperature" for
// "temperature"); a type the catalogue does not know is shown as is.
func TypeName(ctx context.Context, id string) string {
	if Has("type." + id) {
		return T(ctx, "type."+id)
	}
	return id
}
