package sandbox

// The sensor type catalogue (§5.13): every id of the public sensor type list
// (daliworks/thingplus-guide SensorTypes), with the unit, decimal places,
// range, values and actuator commands that Daliworks' own test data gives.
// Where no public source gives a field (durationPower, dissolvedOxygen,
// strain, volume), the sandbox picks a plausible one; the README lists them.

// cmdOption is one option of an actuator command, as the catalogue lists it:
// {"name":"duration","type":"number","required":false,"min":100,…}.
type cmdOption struct {
	Name     string   `json:"name"`
	Type     string   `json:"type"`
	Required bool     `json:"required"`
	Default  *float64 `json:"default,omitempty"`
	Min      *float64 `json:"min,omitempty"`
	Max      *float64 `json:"max,omitempty"`
	Unit     string   `json:"unit,omitempty"`
}

// commandSet maps a command to its options (an empty list: no options).
type commandSet map[string][]cmdOption

func numOpt(name string, required bool, min, max *float64, unit string) cmdOption {
	return cmdOption{Name: name, Type: "number", Required: required, Min: min, Max: max, Unit: unit}
}

func withDefault(o cmdOption, v float64) cmdOption { o.Default = fp(v); return o }

// noOptions builds a command set whose commands take no options.
func noOptions(cmds ...string) commandSet {
	cs := commandSet{}
	for _, c := range cmds {
		cs[c] = []cmdOption{}
	}
	return cs
}

var (
	durationOpt = numOpt("duration", false, fp(100), fp(10000000), "msec")
	rgbOpts     = []cmdOption{
		withDefault(numOpt("red", false, fp(0), fp(255), ""), 255),
		withDefault(numOpt("green", false, fp(0), fp(255), ""), 255),
		withDefault(numOpt("blue", false, fp(0), fp(255), ""), 255),
	}
)

// num is a numeric sensor type: unit, decimal places, optional range, stat.
func num(id, unit string, dp int, min, max *float64, stat string) sensorTypeDef {
	return sensorTypeDef{ID: id, Category: "sensor", ValueType: "number", Unit: unit, DecimalPlace: dp,
		Min: min, Max: max, ChartData: "series", Drawable: true, StatFunc: stat}
}

// enum is a sensor type whose values have display names.
func enum(id, valueType, unit, chart, stat string, values []any, display []string) sensorTypeDef {
	return sensorTypeDef{ID: id, Category: "sensor", ValueType: valueType, Unit: unit, DecimalPlace: -1,
		Values: values, DisplayValues: display, ChartData: chart, Drawable: true, StatFunc: stat}
}

// obj is an object-valued sensor type (location, accelerometer, color, tag…).
func obj(id, unit, chart, stat string, drawable bool) sensorTypeDef {
	return sensorTypeDef{ID: id, Category: "sensor", ValueType: "object", Unit: unit, DecimalPlace: -1,
		ChartData: chart, Drawable: drawable, StatFunc: stat}
}

// act is an actuator type with its commands.
func act(id string, cmds commandSet) sensorTypeDef {
	return sensorTypeDef{ID: id, Category: "actuator", ValueType: "object", DecimalPlace: -1,
		ChartData: "event", StatFunc: "count", Commands: cmds}
}

func cumulative(t sensorTypeDef) sensorTypeDef { t.Cumulative = true; return t }

func event(t sensorTypeDef) sensorTypeDef { t.ChartData = "event"; return t }

var (
	offOn   = []string{"off", "on"}
	zeroOne = []any{0, 1}
	states  = []any{"in", "out", "tagged"}
)

var sensorTypes = []sensorTypeDef{
	// Generic types.
	num("number", "", 1, nil, nil, "avg"),
	{ID: "string", Category: "sensor", ValueType: "string", DecimalPlace: -1, ChartData: "series", StatFunc: "last"},
	obj("complex", "", "series", "last", false),
	num("percent", "%", 1, fp(0), fp(100), "avg"),
	num("state", "", 0, nil, nil, "sum"),

	// Climate and environment.
	num("temperature", "°C", 1, fp(-273), fp(300), "avg"),
	num("soilTemperature", "°C", 2, fp(-273), fp(300), "avg"),
	num("humidity", "%", 0, fp(0), fp(100), "avg"),
	num("soilMoisture", "cbar", 2, fp(0), nil, "avg"),
	num("light", "lux", 0, fp(0), nil, "avg"),
	num("ph", "pH", 2, fp(0), fp(14), "avg"),
	num("co2", "ppm", 0, fp(0), nil, "avg"),
	num("co", "ppm", 1, fp(0), nil, "avg"),
	num("voc", "ppm", 1, fp(0), nil, "avg"),
	num("no2", "ppm", 3, fp(0), nil, "avg"),
	num("o3", "ppm", 3, fp(0), nil, "avg"),
	num("dust", "µg/m³", 2, fp(0), nil, "avg"),
	num("density", "g/m³", 0, fp(0), nil, "avg"),
	num("dissolvedOxygen", "mg/L", 2, fp(0), nil, "avg"),
	num("conductivity", "dS/m", 3, fp(0), nil, "avg"),
	num("solarRadiation", "µmol/m²/s", 2, fp(0), nil, "avg"),
	num("ultraviolet-b", "W/m²", 1, fp(0), fp(10), "avg"),
	num("rain", "mm/min", 2, fp(0), nil, "avg"),
	num("precipitationProbability", "%", 0, fp(0), fp(100), "avg"),
	num("windSpeed", "m/s", 2, nil, nil, "avg"),
	enum("windVane", "number", "", "series", "last",
		[]any{0, 22.5, 45, 67.5, 90, 112.5, 135, 157.5, 180, 202.5, 225, 247.5, 270, 292.5, 315, 337.5},
		[]string{"N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE", "S", "SSW", "SW", "WSW", "W", "WNW", "NW", "NNW"}),
	num("pressure", "bar", 1, fp(-1), fp(50), "avg"),
	num("noise", "dB", 0, fp(-100), fp(200), "avg"),
	obj("location", "°", "series", "last", false),

	// Events and presence.
	enum("onoff", "boolean", "", "event", "count", zeroOne, offOn),
	enum("motion", "boolean", "", "event", "count", zeroOne, offOn),
	enum("door", "boolean", "", "event", "count", zeroOne, []string{"closed", "opened"}),
	enum("parkingStatus", "boolean", "lvl", "event", "count", zeroOne, []string{"empty", "occupied"}),
	enum("crackDetection", "boolean", "", "event", "count", zeroOne, []string{"false", "true"}),
	enum("sleepStage", "boolean", "", "series", "last", []any{0, 1, 2, 3}, []string{"AWAKE", "REM", "LIGHT", "DEEP"}),
	enum("powerControllerState", "boolean", "", "event", "last", []any{0, 1, 2, 3},
		[]string{"overload off", "standby off", "off", "on"}),
	num("count", "ea", 0, fp(0), nil, "max"),
	// countEvent: one event per count; the subway door counters send "1"
	// (a person in) and "-1" (a person out), so it has no minimum here.
	event(num("countEvent", "ea", 0, nil, nil, "sum")),
	event(num("timeDuration", "sec", 0, fp(0), nil, "max")),
	num("stepCount", "walks", 0, fp(0), nil, "diff"),
	withValues(obj("tag", "", "event", "last", false), states),
	withValues(obj("reader", "", "event", "last", false), states),
	num("rssi", "", 0, fp(0), nil, "avg"),

	// Power.
	cumulative(num("power", "kWh", 2, fp(0), nil, "diff")),
	cumulative(num("electricEnergy", "kWh", 3, fp(0), nil, "diff")),
	cumulative(num("durationPower", "kWh", 3, fp(0), nil, "sum")),
	num("electricPower", "W", 3, fp(0), nil, "max"),
	cumulative(num("wattage", "kW", 2, fp(0), nil, "avg")),
	num("current", "A", 3, fp(0), nil, "avg"),
	num("voltage", "V", 0, fp(0), nil, "avg"),
	num("frequency", "Hz", 1, fp(0), nil, "avg"),
	num("powerFactor", "pf", 2, fp(0), fp(1), "avg"),
	num("batteryGauge", "%", 0, fp(0), fp(100), "avg"),

	// Motion and mechanics.
	obj("accelerometer", "m/s²", "series", "last", true),
	num("speed", "m/s", 3, fp(0), nil, "avg"),
	num("sSpeed", "mm/s", 3, fp(0), nil, "avg"),
	num("weight", "g", 0, fp(0), nil, "avg"),
	num("distance", "m", 2, fp(0), nil, "avg"),
	num("length", "mm", 0, fp(0), nil, "avg"),
	num("linearDisplacement", "mm", 3, nil, nil, "range"),
	num("strain", "µε", 2, nil, nil, "avg"),
	num("vibration", "V", 2, fp(0), nil, "avg"),
	num("rotaryAngle", "°", 0, fp(0), fp(300), "last"),
	num("volume", "L", 2, fp(0), nil, "avg"),
	obj("color", "", "series", "avg", true),

	// Actuators.
	act("led", commandSet{"on": {durationOpt}, "blink": {durationOpt,
		withDefault(numOpt("interval", true, fp(100), fp(10000000), "msec"), 5000)}, "off": {}}),
	act("rgbLed", commandSet{"on": rgbOpts, "off": {}}),
	act("7colorRGBLed", noOptions("red", "green", "blue", "magenta", "yellow", "cyan", "white", "off")),
	act("lcd", commandSet{
		"print": {{Name: "text", Type: "text", Required: true},
			withDefault(numOpt("row", false, fp(0), fp(11), ""), 0),
			withDefault(numOpt("column", false, fp(0), fp(15), ""), 0)},
		"clear": {withDefault(numOpt("row", false, fp(-1), fp(11), ""), -1)}}),
	act("buzzer", noOptions("on", "off")),
	act("powerSwitch", commandSet{"on": {durationOpt}, "off": {}}),
	act("powerController", commandSet{"on": {}, "off": {}, "get": {},
		"set":   {numOpt("standBy", true, fp(0), fp(3000), "W")},
		"reset": {{Name: "standBy", Type: "checkbox"}, {Name: "power", Type: "checkbox"}}}),
	act("camera", noOptions("snapPicture")),
	act("temperatureController", commandSet{"get": {}, "set": {
		numOpt("targetTemperature", false, fp(-273), fp(300), "°C"),
		numOpt("coolingDeviation", false, fp(-273), fp(300), "°C"),
		numOpt("heatingDeviation", false, fp(-273), fp(300), "°C")}}),
	act("waterController", commandSet{"set": {numOpt("wateringActivate", true, fp(0), fp(10), "")}}),
	act("electricFan", noOptions("on", "off", "speedUp", "speedDown", "verticalSwing", "horizontalSwing", "sleepTimer", "powerSaving")),
	act("airConditioner", noOptions("on", "off", "tempUp", "tempDown", "verticalAirFlow", "horizontalAirFlow",
		"fanSpeedUp", "fanSpeedDown", "powerCooling", "mode", "sleepTimer", "airPurifier")),
	act("television", noOptions("on", "off", "channelUp", "channelDown", "volumeUp", "volumeDown", "mute", "menu",
		"changeInput", "naviUp", "naviDown", "naviLeft", "naviRight")),
	act("airPurifier", noOptions("on", "off", "fanSpeedUp", "fanSpeedDown", "fanAuto")),
	act("stringActuator", commandSet{"send": {{Name: "text", Type: "text", Required: true}}}),
	act("lockUnlock", noOptions("lock", "unlock")),
	act("timer", commandSet{"set": {numOpt("duration", true, fp(0), nil, "sec")}}),
}

func withValues(t sensorTypeDef, values []any) sensorTypeDef {
	t.Values = values
	t.DisplayValues = make([]string, len(values))
	for i, v := range values {
		t.DisplayValues[i] = v.(string)
	}
	return t
}
