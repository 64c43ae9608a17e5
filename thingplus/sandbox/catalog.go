package sandbox

import (
	"net/http"
	"slices"
	"strconv"
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
	Commands                      commandSet // actuators
}

func fp(f float64) *float64 { return &f }

func sensorTypeByID(id string) (sensorTypeDef, bool) {
	for _, t := range sensorTypes {
		if t.ID == id {
			return t, true
		}
	}
	return sensorTypeDef{}, false
}

// view is the sensorType as Thing+ sends it: decimalPlace, minimum and
// maximum are strings on the wire ("1", "-273"); range keeps numbers.
func (t sensorTypeDef) view() map[string]any {
	m := map[string]any{"id": t.ID, "category": t.Category, "type": t.ValueType, "unit": t.Unit,
		"chart": map[string]any{"drawable": t.Drawable, "dataType": t.ChartData, "cumulative": t.Cumulative},
		"ctime": catalogTime, "mtime": catalogTime}
	if t.DecimalPlace >= 0 {
		m["decimalPlace"] = strconv.Itoa(t.DecimalPlace)
	}
	if t.Min != nil || t.Max != nil {
		rg := map[string]any{}
		if t.Min != nil {
			rg["min"] = *t.Min
			m["minimum"] = strconv.FormatFloat(*t.Min, 'f', -1, 64)
		}
		if t.Max != nil {
			rg["max"] = *t.Max
			m["maximum"] = strconv.FormatFloat(*t.Max, 'f', -1, 64)
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
					{"jsonrpc", "jsonrpcActuator", "jsonrpcRelay", "powerSwitch", "actuator"},
					{"jsonrpc", "jsonrpcActuator", "jsonrpcLcd", "lcd", "actuator"},
					{"jsonrpc", "jsonrpcActuator", "jsonrpcString", "stringActuator", "actuator"},
				}},
		},
		DM: map[string]string{"poweroff": "y", "reboot": "y", "restart": "y", "swUpdate": "y", "swInfo": "y", "getProperty": "y", "setProperty": "y"}},
	{ID: "20", Model: "trueyes-nfc-airq-v1.0", DisplayName: "Trueyes NFC Air-Q", Vendor: "Trueyes",
		IDFormat: "mac", ReportInterval: "60000",
		DeviceModels: []deviceModelDef{
			{ID: "trueyesAirQ", DisplayName: "Air-Q", IDTemplate: "{gatewayId}-{deviceAddress}", Discoverable: "y", Addressable: "n", Max: 1,
				Sensors: []modelSensor{
					{"daliworks", "trueyesAirQ", "airqTemp", "temperature", "sensor"},
					{"daliworks", "trueyesAirQ", "airqHumi", "humidity", "sensor"},
					{"daliworks", "trueyesAirQ", "airqCo2", "co2", "sensor"},
					{"daliworks", "trueyesAirQ", "airqCo", "co", "sensor"},
					{"daliworks", "trueyesAirQ", "airqVoc", "voc", "sensor"},
					{"daliworks", "trueyesAirQ", "airqDust", "dust", "sensor"},
					{"daliworks", "trueyesAirQ", "airqTag", "tag", "sensor"},
				}},
		},
		DM: dmSupport("reboot", "swInfo", "getProperty", "setProperty")},
	{ID: "26", Model: "dawon-power-manager-v1.0", DisplayName: "Dawon Power Manager", Vendor: "Dawon DNS",
		IDFormat: "mac", ReportInterval: "60000",
		DeviceModels: []deviceModelDef{
			{ID: "dawonPowerManager", DisplayName: "Power Manager", IDTemplate: "{gatewayId}-{deviceAddress}", Discoverable: "y", Addressable: "n", Max: 1,
				Sensors: []modelSensor{
					{"daliworks", "dawonPowerManager", "dawonPower", "electricPower", "sensor"},
					{"daliworks", "dawonPowerManager", "dawonEnergy", "electricEnergy", "sensor"},
					{"daliworks", "dawonPowerManager", "dawonState", "powerControllerState", "sensor"},
					{"daliworks", "dawonPowerManager", "dawonController", "powerController", "actuator"},
				}},
		},
		DM: dmSupport("reboot", "getProperty", "setProperty")},
	{ID: "32", Model: "sensor-simulator-v1.0", DisplayName: "Sensor Simulator", Vendor: "Daliworks",
		IDFormat: "custom", ReportInterval: "60000",
		DeviceModels: []deviceModelDef{
			{ID: "sensorSimulator", DisplayName: "Sensor Simulator", IDTemplate: "{gatewayId}-{deviceAddress}", Discoverable: "y", Addressable: "y", Max: 10,
				Sensors: simulatorSensors()},
		},
		DM: dmSupport("reboot", "restart", "swInfo", "getProperty", "setProperty")},
	{ID: "34", Model: "open-source-gateway-v1.0", DisplayName: "Open Source Gateway", Vendor: "Daliworks",
		IDFormat: "mac", ReportInterval: "60000",
		DeviceModels: []deviceModelDef{
			{ID: "jsonrpcFullV1.0", DisplayName: "Open Source Device", IDTemplate: "{gatewayId}-{deviceAddress}", Discoverable: "y", Addressable: "y", Max: 32,
				Sensors: []modelSensor{
					{"jsonrpc", "jsonrpcSensor", "jsonrpcNumber", "number", "sensor"},
					{"jsonrpc", "jsonrpcSensor", "jsonrpcString", "string", "sensor"},
					{"jsonrpc", "jsonrpcSensor", "jsonrpcTemp", "temperature", "sensor"},
					{"jsonrpc", "jsonrpcSensor", "jsonrpcHumi", "humidity", "sensor"},
					{"jsonrpc", "jsonrpcSensor", "jsonrpcOnoff", "onoff", "sensor"},
					{"jsonrpc", "jsonrpcActuator", "jsonrpcLed", "led", "actuator"},
					{"jsonrpc", "jsonrpcActuator", "jsonrpcStringActuator", "stringActuator", "actuator"},
				}},
		},
		DM: dmSupport("poweroff", "reboot", "restart", "swUpdate", "swInfo", "log", "getProperty", "setProperty")},
	{ID: "52", Model: "open-api-gateway-v1.0", DisplayName: "Open API Gateway", Vendor: "OPEN API",
		IDFormat: "uuid", ReportInterval: "300000",
		DeviceModels: []deviceModelDef{
			{ID: "open-api-device-v1.0", DisplayName: "Open API Device", IDTemplate: "{gatewayId}-{deviceAddress}",
				Discoverable: "y", Addressable: "y", Max: 99, Sensors: openAPISensors()},
		},
		DM: map[string]string{"poweroff": "n", "reboot": "n", "restart": "n", "swUpdate": "n", "swInfo": "n", "getProperty": "y", "setProperty": "y"}},
}

// dmActs are the deviceMgmt.DM acts a model may support (§5.13).
var dmActs = []string{"poweroff", "reboot", "restart", "swUpdate", "swInfo", "log", "getProperty", "setProperty"}

// dmSupport marks the given acts "y" and every other act "n".
func dmSupport(acts ...string) map[string]string {
	m := map[string]string{}
	for _, a := range dmActs {
		m[a] = "n"
	}
	for _, a := range acts {
		m[a] = "y"
	}
	return m
}

// simulatorSensors: the Sensor Simulator offers one simulated sensor per
// numeric sensor type of the catalogue.
func simulatorSensors() []modelSensor {
	var out []modelSensor
	for _, t := range sensorTypes {
		if t.Category == "sensor" && t.ValueType == "number" {
			out = append(out, modelSensor{Network: "daliworks", DriverName: "sensorSimulator",
				Model: "sim-" + t.ID, Type: t.ID, Category: "sensor"})
		}
	}
	return out
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
