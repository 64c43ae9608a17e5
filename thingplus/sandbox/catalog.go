package sandbox

import (
	"net/http"
	"slices"
)

// The catalogs (§5.13) are fixed data served without login. They hold the
// types the seed and the simulator use, plus the common ones a client is
// likely to meet, with the fields the sheet lists.

// catalogTime is the ctime/mtime of every catalog entry.
const catalogTime = "1495609234518"

// sensorTypeDef is one sensorType.
type sensorTypeDef struct {
	ID, Category, ValueType, Unit string
	DecimalPlace                  int // -1: none
	Min, Max                      *float64
	Values                        []any
	DisplayValues                 []string
	ChartData                     string // series | event
	Drawable, Cumulative          bool
	StatFunc                      string
	Commands                      map[string]any // actuators
}

func fp(f float64) *float64 { return &f }

var sensorTypes = []sensorTypeDef{
	{ID: "number", Category: "sensor", ValueType: "number", DecimalPlace: 1, ChartData: "series", Drawable: true, StatFunc: "avg"},
	{ID: "string", Category: "sensor", ValueType: "string", DecimalPlace: -1, ChartData: "series", StatFunc: "last"},
	{ID: "complex", Category: "sensor", ValueType: "object", DecimalPlace: -1, ChartData: "series", StatFunc: "last"},
	{ID: "percent", Category: "sensor", ValueType: "number", Unit: "%", DecimalPlace: 1, Min: fp(0), Max: fp(100), ChartData: "series", Drawable: true, StatFunc: "avg"},
	{ID: "temperature", Category: "sensor", ValueType: "number", Unit: "°C", DecimalPlace: 1, Min: fp(-273), Max: fp(300), ChartData: "series", Drawable: true, StatFunc: "avg"},
	{ID: "humidity", Category: "sensor", ValueType: "number", Unit: "%", DecimalPlace: 0, Min: fp(0), Max: fp(100), ChartData: "series", Drawable: true, StatFunc: "avg"},
	{ID: "onoff", Category: "sensor", ValueType: "boolean", DecimalPlace: -1, Values: []any{0, 1}, DisplayValues: []string{"off", "on"}, ChartData: "event", Drawable: true, StatFunc: "count"},
	{ID: "motion", Category: "sensor", ValueType: "boolean", DecimalPlace: -1, Values: []any{0, 1}, DisplayValues: []string{"off", "on"}, ChartData: "event", Drawable: true, StatFunc: "count"},
	{ID: "door", Category: "sensor", ValueType: "boolean", DecimalPlace: -1, Values: []any{0, 1}, DisplayValues: []string{"closed", "opened"}, ChartData: "event", Drawable: true, StatFunc: "count"},
	{ID: "light", Category: "sensor", ValueType: "number", Unit: "lux", DecimalPlace: 0, Min: fp(0), ChartData: "series", Drawable: true, StatFunc: "avg"},
	{ID: "location", Category: "sensor", ValueType: "object", Unit: "°", DecimalPlace: -1, ChartData: "series", StatFunc: "last"},
	{ID: "batteryGauge", Category: "sensor", ValueType: "number", Unit: "%", DecimalPlace: 0, Min: fp(0), Max: fp(100), ChartData: "series", Drawable: true, StatFunc: "avg"},
	{ID: "co2", Category: "sensor", ValueType: "number", Unit: "ppm", DecimalPlace: 0, Min: fp(0), ChartData: "series", Drawable: true, StatFunc: "avg"},
	{ID: "dust", Category: "sensor", ValueType: "number", Unit: "µg/m³", DecimalPlace: 2, Min: fp(0), ChartData: "series", Drawable: true, StatFunc: "avg"},
	{ID: "power", Category: "sensor", ValueType: "number", Unit: "kWh", DecimalPlace: 2, Min: fp(0), ChartData: "series", Drawable: true, Cumulative: true, StatFunc: "diff"},
	{ID: "electricPower", Category: "sensor", ValueType: "number", Unit: "W", DecimalPlace: 3, Min: fp(0), ChartData: "series", Drawable: true, StatFunc: "max"},
	{ID: "current", Category: "sensor", ValueType: "number", Unit: "A", DecimalPlace: 3, Min: fp(0), ChartData: "series", Drawable: true, StatFunc: "avg"},
	{ID: "voltage", Category: "sensor", ValueType: "number", Unit: "V", DecimalPlace: 0, Min: fp(0), ChartData: "series", Drawable: true, StatFunc: "avg"},
	{ID: "count", Category: "sensor", ValueType: "number", Unit: "ea", DecimalPlace: 0, Min: fp(0), ChartData: "series", Drawable: true, StatFunc: "max"},
	// countEvent: one event per count; the subway door counters send "1"
	// (a person in) and "-1" (a person out).
	{ID: "countEvent", Category: "sensor", ValueType: "number", Unit: "ea", DecimalPlace: 0, ChartData: "event", Drawable: true, StatFunc: "sum"},
	{ID: "timeDuration", Category: "sensor", ValueType: "number", Unit: "sec", DecimalPlace: 0, Min: fp(0), ChartData: "event", Drawable: true, StatFunc: "max"},
	{ID: "noise", Category: "sensor", ValueType: "number", Unit: "dB", DecimalPlace: 0, Min: fp(-100), Max: fp(200), ChartData: "series", Drawable: true, StatFunc: "avg"},
	{ID: "pressure", Category: "sensor", ValueType: "number", Unit: "bar", DecimalPlace: 1, Min: fp(-1), Max: fp(50), ChartData: "series", Drawable: true, StatFunc: "avg"},
	{ID: "weight", Category: "sensor", ValueType: "number", Unit: "g", DecimalPlace: 0, Min: fp(0), ChartData: "series", Drawable: true, StatFunc: "avg"},
	{ID: "distance", Category: "sensor", ValueType: "number", Unit: "m", DecimalPlace: 2, Min: fp(0), ChartData: "series", Drawable: true, StatFunc: "avg"},
	{ID: "led", Category: "actuator", ValueType: "object", DecimalPlace: -1, ChartData: "event",
		Commands: map[string]any{"on": map[string]any{"duration": map[string]any{"type": "number", "unit": "ms"}},
			"blink": map[string]any{"duration": map[string]any{"type": "number", "unit": "ms"}, "interval": map[string]any{"type": "number", "unit": "ms"}},
			"off":   map[string]any{}}},
	{ID: "powerSwitch", Category: "actuator", ValueType: "object", DecimalPlace: -1, ChartData: "event",
		Commands: map[string]any{"on": map[string]any{"duration": map[string]any{"type": "number", "unit": "ms"}}, "off": map[string]any{}}},
	{ID: "buzzer", Category: "actuator", ValueType: "object", DecimalPlace: -1, ChartData: "event",
		Commands: map[string]any{"on": map[string]any{"duration": map[string]any{"type": "number", "unit": "ms"}}, "off": map[string]any{}}},
	{ID: "stringActuator", Category: "actuator", ValueType: "object", DecimalPlace: -1, ChartData: "event",
		Commands: map[string]any{"send": map[string]any{"text": map[string]any{"type": "string"}}}},
}

func sensorTypeByID(id string) (sensorTypeDef, bool) {
	for _, t := range sensorTypes {
		if t.ID == id {
			return t, true
		}
	}
	return sensorTypeDef{}, false
}

func (t sensorTypeDef) view() map[string]any {
	m := map[string]any{"id": t.ID, "category": t.Category, "type": t.ValueType, "unit": t.Unit,
		"chart": map[string]any{"drawable": t.Drawable, "dataType": t.ChartData, "cumulative": t.Cumulative},
		"ctime": catalogTime, "mtime": catalogTime}
	if t.DecimalPlace >= 0 {
		m["decimalPlace"] = t.DecimalPlace
	}
	if t.Min != nil || t.Max != nil {
		rg := map[string]any{}
		if t.Min != nil {
			rg["min"] = *t.Min
			m["minimum"] = *t.Min
		}
		if t.Max != nil {
			rg["max"] = *t.Max
			m["maximum"] = *t.Max
		}
		m["range"] = rg
	}
	if t.Values != nil {
		m["values"] = t.Values
		m["displayValues"] = t.DisplayValues
	}
	if t.StatFunc != "" {
		m["stats"] = map[string]any{"funcs": []string{t.StatFunc}, "cumulative": map[bool]string{true: "y", false: "n"}[t.Cumulative]}
	}
	if t.Commands != nil {
		m["commands"] = t.Commands
	}
	return m
}

// gatewayModelDef is one gatewayModel.
type gatewayModelDef struct {
	ID, Model, DisplayName, Vendor, IDFormat string
	ReportInterval                           string
	DeviceModels                             []deviceModelDef
	DM                                       map[string]string // act → support y|n
}

type deviceModelDef struct {
	ID, DisplayName, IDTemplate string
	Discoverable, Addressable   string
	Max                         int
	Sensors                     []modelSensor
}

// modelSensor is a sensor a device model can carry.
type modelSensor struct {
	Network, DriverName, Model, Type, Category string
}

func openAPISensors() []modelSensor {
	var out []modelSensor
	for _, t := range []struct{ model, typ string }{
		{"openApiTemp", "temperature"}, {"openApiHumi", "humidity"}, {"openApiCountEvent", "countEvent"},
		{"openApiCount", "count"}, {"openApiOnoff", "onoff"}, {"openApiDoor", "door"}, {"openApiMotion", "motion"},
		{"openApiLight", "light"}, {"openApiNumber", "number"}, {"openApiString", "string"},
		{"openApiPercent", "percent"}, {"openApiCo2", "co2"}, {"openApiDust", "dust"},
		{"openApiLocation", "location"}, {"openApiPower", "power"}, {"openApiBattery", "batteryGauge"},
	} {
		out = append(out, modelSensor{Network: "daliworks", DriverName: "openApiSensor", Model: t.model, Type: t.typ, Category: "sensor"})
	}
	return out
}

var gatewayModels = []gatewayModelDef{
	{ID: "6", Model: "virtual-gateway-basic-v1.0", DisplayName: "Virtual Gateway-Basic", Vendor: "Daliworks",
		IDFormat: "custom", ReportInterval: "60000",
		DeviceModels: []deviceModelDef{
			{ID: "emulator", DisplayName: "Emulator", IDTemplate: "{gatewayId}-{deviceAddress}", Discoverable: "y", Addressable: "n", Max: 1,
				Sensors: []modelSensor{
					{"daliworks", "daliworksEmulator", "temperatureEmulator", "temperature", "sensor"},
					{"daliworks", "daliworksEmulator", "humidityEmulator", "humidity", "sensor"},
					{"daliworks", "daliworksEmulator", "doorEmulator", "door", "sensor"},
					{"daliworks", "daliworksEmulator", "powerEmulator", "power", "sensor"},
				}},
			{ID: "statistics", DisplayName: "Statistics", IDTemplate: "{gatewayId}-{deviceAddress}", Discoverable: "n", Addressable: "n", Max: 1,
				Sensors: []modelSensor{{"daliworks", "daliworksStatistics", "statisticsNumber", "number", "sensor"}}},
		},
		DM: map[string]string{"poweroff": "n", "reboot": "n", "restart": "n", "swUpdate": "n", "swInfo": "n", "getProperty": "y", "setProperty": "y"}},
	{ID: "18", Model: "raspberry-pi-developer-v1.0", DisplayName: "Raspberry Pi-Developer", Vendor: "Raspberry Pi",
		IDFormat: "mac", ReportInterval: "60000",
		DeviceModels: []deviceModelDef{
			{ID: "GrovePiPlusStarterKitForRaspberryPi", DisplayName: "GrovePi+ Starter Kit", IDTemplate: "{gatewayId}-{deviceAddress}",
				Discoverable: "y", Addressable: "y", Max: 8,
				Sensors: []modelSensor{
					{"jsonrpc", "jsonrpcSensor", "jsonrpcTemp", "temperature", "sensor"},
					{"jsonrpc", "jsonrpcSensor", "jsonrpcHumi", "humidity", "sensor"},
					{"jsonrpc", "jsonrpcSensor", "jsonrpcLight", "light", "sensor"},
					{"jsonrpc", "jsonrpcSensor", "jsonrpcSound", "noise", "sensor"},
					{"jsonrpc", "jsonrpcSensor", "jsonrpcButton", "onoff", "sensor"},
					{"jsonrpc", "jsonrpcActuator", "jsonrpcLed", "led", "actuator"},
					{"jsonrpc", "jsonrpcActuator", "jsonrpcBuzzer", "buzzer", "actuator"},
				}},
		},
		DM: map[string]string{"poweroff": "y", "reboot": "y", "restart": "y", "swUpdate": "y", "swInfo": "y", "getProperty": "y", "setProperty": "y"}},
	{ID: "52", Model: "open-api-gateway-v1.0", DisplayName: "Open API Gateway", Vendor: "OPEN API",
		IDFormat: "uuid", ReportInterval: "300000",
		DeviceModels: []deviceModelDef{
			{ID: "open-api-device-v1.0", DisplayName: "Open API Device", IDTemplate: "{gatewayId}-{deviceAddress}",
				Discoverable: "y", Addressable: "y", Max: 99, Sensors: openAPISensors()},
		},
		DM: map[string]string{"poweroff": "n", "reboot": "n", "restart": "n", "swUpdate": "n", "swInfo": "n", "getProperty": "y", "setProperty": "y"}},
}

func gatewayModelByID(id string) (gatewayModelDef, bool) {
	for _, m := range gatewayModels {
		if m.ID == id {
			return m, true
		}
	}
	return gatewayModelDef{}, false
}

func (g gatewayModelDef) view() map[string]any {
	dms := make([]map[string]any, len(g.DeviceModels))
	for i, dm := range g.DeviceModels {
		sensors := make([]map[string]any, len(dm.Sensors))
		for j, s := range dm.Sensors {
			sensors[j] = map[string]any{"network": s.Network, "driverName": s.DriverName, "model": s.Model,
				"type": s.Type, "category": s.Category}
		}
		dms[i] = map[string]any{"id": dm.ID, "displayName": dm.DisplayName, "idTemplate": dm.IDTemplate,
			"discoverable": dm.Discoverable, "addressable": dm.Addressable, "max": dm.Max, "sensors": sensors}
	}
	dm := map[string]any{}
	for act, support := range g.DM {
		dm[act] = map[string]any{"support": support}
	}
	return map[string]any{"id": g.ID, "model": g.Model, "displayName": g.DisplayName, "vendor": g.Vendor,
		"idFormat": g.IDFormat, "gatewayIdConfig": "n", "reportInterval": g.ReportInterval, "deviceModels": dms,
		"deviceMgmt": map[string]any{"reportInterval": map[string]any{"show": "y", "change": "y"}, "DM": dm},
		"ctime":      catalogTime,
		"mtime":      catalogTime,
	}
}

// sensorDrivers lists the drivers the gateway models name, built from them.
func sensorDriverViews() []map[string]any {
	type drv struct {
		category, network string
		models            []string
		dataTypes         map[string][]string
	}
	drivers := map[string]*drv{}
	var order []string
	for _, gm := range gatewayModels {
		for _, dm := range gm.DeviceModels {
			for _, s := range dm.Sensors {
				dv := drivers[s.DriverName]
				if dv == nil {
					dv = &drv{category: s.Category, network: s.Network, dataTypes: map[string][]string{}}
					drivers[s.DriverName] = dv
					order = append(order, s.DriverName)
				}
				if !slices.Contains(dv.models, s.Model) {
					dv.models = append(dv.models, s.Model)
					dv.dataTypes[s.Model] = []string{s.Type}
				}
			}
		}
	}
	out := make([]map[string]any, 0, len(order))
	for _, name := range order {
		dv := drivers[name]
		out = append(out, map[string]any{"id": name, "driverName": name, "displayName": name,
			"category": dv.category, "models": dv.models, "supportedNetworks": []string{dv.network},
			"discoverable": "y", "addressable": "y", "sequenceable": "n",
			"idTemplate": "{gatewayId}-{deviceAddress}-{type}", "dataTypes": dv.dataTypes,
			"ctime": catalogTime, "mtime": catalogTime})
	}
	return out
}

func (d *deviceArea) listSensorTypes(w http.ResponseWriter, r *http.Request) {
	out := make([]map[string]any, len(sensorTypes))
	for i, t := range sensorTypes {
		out[i] = t.view()
	}
	writeData(w, http.StatusOK, out, nil)
}

func (d *deviceArea) getSensorType(w http.ResponseWriter, r *http.Request) {
	t, ok := sensorTypeByID(r.PathValue("id"))
	if !ok {
		writeAreaErr(w, notFound("sensorType", r.PathValue("id")))
		return
	}
	writeData(w, http.StatusOK, t.view(), nil)
}

func (d *deviceArea) listGatewayModels(w http.ResponseWriter, r *http.Request) {
	out := make([]map[string]any, len(gatewayModels))
	for i, g := range gatewayModels {
		out[i] = g.view()
	}
	writeData(w, http.StatusOK, out, nil)
}

func (d *deviceArea) getGatewayModel(w http.ResponseWriter, r *http.Request) {
	g, ok := gatewayModelByID(r.PathValue("id"))
	if !ok {
		writeAreaErr(w, notFound("gatewayModel", r.PathValue("id")))
		return
	}
	writeData(w, http.StatusOK, g.view(), nil)
}

func (d *deviceArea) listSensorDrivers(w http.ResponseWriter, r *http.Request) {
	writeData(w, http.StatusOK, sensorDriverViews(), nil)
}

func (d *deviceArea) getSensorDriver(w http.ResponseWriter, r *http.Request) {
	for _, v := range sensorDriverViews() {
		if v["id"] == r.PathValue("id") {
			writeData(w, http.StatusOK, v, nil)
			return
		}
	}
	writeAreaErr(w, notFound("sensorDriver", r.PathValue("id")))
}
