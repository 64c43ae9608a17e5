package sandbox

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

const (
	subwayPath  = "/v2/gateways/" + SubwayGatewayID
	climatePath = "/v2/gateways/" + ClimateGatewayID
	otherPath   = "/v2/gateways/" + OtherGatewayID
	door11      = SubwayGatewayID + "-1-door1"
	climateTemp = ClimateGatewayID + "-0-temperature"
)

func TestGatewaysListSeed(t *testing.T) {
	_, c := newDevSandbox(t, devOptions(nil))
	r := c.ok(200, "GET", "/v2/gateways", "")
	if r.body["statusCode"] != float64(200) || r.body["message"] != "OK" {
		t.Fatalf("envelope: %s", r.raw)
	}
	if _, has := r.body["_meta"]; has {
		t.Fatalf("_meta without a query: %s", r.raw)
	}
	gws := r.list()
	if got, want := devIDs(gws), []string{SubwayGatewayID, ClimateGatewayID, OfflineGatewayID}; !slices.Equal(got, want) {
		t.Fatalf("demo gateways %v, want %v", got, want)
	}
	sub := gws[0]
	for k, want := range map[string]any{"name": "Subway 신림-성수 line", "model": "52", "reportInterval": "60000",
		"tree": SubwayGatewayID, "_site": "1", "_service": "1", "virtual": "n", "autoCreateDiscoverable": "y"} {
		if sub[k] != want {
			t.Errorf("subway %s = %v, want %v", k, sub[k], want)
		}
	}
	if !devIsMsString(sub["ctime"]) || !devIsMsString(sub["mtime"]) {
		t.Errorf("GET times must be strings: ctime %#v mtime %#v", sub["ctime"], sub["mtime"])
	}
	if st, _ := sub["status"].(string); !strings.HasPrefix(st, "status.gateway.") || len(st) != len("status.gateway.")+6 {
		t.Errorf("status leaf id %q", sub["status"])
	}
	devs, _ := sub["devices"].([]any)
	sns, _ := sub["sensors"].([]any)
	if len(devs) != 3 || len(sns) != 12 || sns[0] != door11 || devs[2] != SubwayGatewayID+"-3" {
		t.Errorf("subway devices %v sensors %v", devs, sns)
	}
	if gws[1]["model"] != "18" {
		t.Errorf("climate model %v", gws[1]["model"])
	}
	// User 2 sees only its own gateway.
	if got := devIDs(c.as("2").ok(200, "GET", "/v2/gateways", "").list()); !slices.Equal(got, []string{OtherGatewayID}) {
		t.Fatalf("user 2 gateways %v", got)
	}
}

func TestGatewaysCollectionQueries(t *testing.T) {
	_, c := newDevSandbox(t, devOptions(nil))
	cases := []struct {
		query string
		ids   []string
		meta  map[string]float64 // nil: no _meta
	}{
		{"count=2", []string{SubwayGatewayID, ClimateGatewayID}, map[string]float64{"count": 2, "page": 0, "total": 3}},
		{"count=2&page=1", []string{OfflineGatewayID}, map[string]float64{"count": 1, "page": 1, "total": 3}},
		{"count=2&page=5", []string{}, map[string]float64{"count": 0, "page": 5, "total": 3}},
		{"count=4000&page=9223372036854775807", []string{}, map[string]float64{"count": 0, "total": 3}},
		{"count=9999", []string{SubwayGatewayID, ClimateGatewayID, OfflineGatewayID}, map[string]float64{"count": 3, "total": 3}},
		{"orderBy=name", []string{ClimateGatewayID, OfflineGatewayID, SubwayGatewayID}, map[string]float64{"total": 3}},
		{"orderBy=name&orderDir=desc", []string{SubwayGatewayID, OfflineGatewayID, ClimateGatewayID}, map[string]float64{"total": 3}},
		{"orderBy=ctime", []string{OfflineGatewayID, SubwayGatewayID, ClimateGatewayID}, map[string]float64{"total": 3}},
		{"orderBy=status&orderDir=desc", []string{SubwayGatewayID, ClimateGatewayID, OfflineGatewayID}, map[string]float64{"total": 3}},
		{"filter[model]=18", []string{ClimateGatewayID, OfflineGatewayID}, map[string]float64{"total": 2}},
		{"filter[id]=" + SubwayGatewayID + "&filter[id]=" + OfflineGatewayID, []string{SubwayGatewayID, OfflineGatewayID}, map[string]float64{"total": 2}},
		{"filter[model]=52&filter[id]=" + ClimateGatewayID, []string{}, map[string]float64{"total": 0}},
		{"filter[status]=off", []string{OfflineGatewayID}, map[string]float64{"total": 1}},
		{"filter[status]=on&filter[status]=err", []string{SubwayGatewayID, ClimateGatewayID}, map[string]float64{"total": 2}},
		{"filter[sensors]=" + climateTemp, []string{ClimateGatewayID}, map[string]float64{"total": 1}},
		{"filter[name]=" + "Subway%20%EC%8B%A0%EB%A6%BC-%EC%84%B1%EC%88%98%20line", []string{SubwayGatewayID}, map[string]float64{"total": 1}},
		{"embed=status", []string{SubwayGatewayID, ClimateGatewayID, OfflineGatewayID}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.query, func(t *testing.T) {
			r := c.ok(200, "GET", "/v2/gateways?"+tc.query, "")
			if got := devIDs(r.list()); !slices.Equal(got, tc.ids) {
				t.Fatalf("ids %v, want %v", got, tc.ids)
			}
			meta := r.meta()
			if tc.meta == nil {
				if meta != nil {
					t.Fatalf("unexpected _meta %v", meta)
				}
				return
			}
			if meta == nil {
				t.Fatalf("no _meta: %s", r.raw)
			}
			for k, want := range tc.meta {
				if meta[k] != want {
					t.Errorf("_meta.%s = %v, want %v", k, meta[k], want)
				}
			}
		})
	}
}

func TestGatewaysFieldsAndEmbed(t *testing.T) {
	_, c := newDevSandbox(t, devOptions(nil))
	r := c.ok(200, "GET", "/v2/gateways?fields=name&fields=model", "")
	for _, gw := range r.list() {
		if len(gw) != 3 || gw["id"] == nil || gw["name"] == nil || gw["model"] == nil {
			t.Fatalf("fields=name&fields=model gave %v", gw)
		}
	}
	// Embeds may repeat or be comma separated; embedded keys survive fields.
	for _, q := range []string{"embed=status,sensors,devices", "embed=status&embed=sensors&embed=devices"} {
		gw := c.ok(200, "GET", "/v2/gateways?fields=name&"+q, "").list()[0]
		st, _ := gw["status"].(map[string]any)
		if st["type"] != "status" || st["value"] != "on" || st["srcDbType"] != "gateway" || st["gateway"] != SubwayGatewayID {
			t.Fatalf("%s: status %v", q, gw["status"])
		}
		sns, _ := gw["sensors"].([]any)
		devs, _ := gw["devices"].([]any)
		if len(sns) != 12 || len(devs) != 3 {
			t.Fatalf("%s: %d sensors %d devices", q, len(sns), len(devs))
		}
		sn, _ := sns[0].(map[string]any)
		dv, _ := devs[0].(map[string]any)
		if sn["type"] != "countEvent" || sn["owner"] != SubwayGatewayID || sn["deviceId"] != SubwayGatewayID+"-1" || dv["name"] != "Car 1" {
			t.Fatalf("%s: sensor %v device %v", q, sn, dv)
		}
	}
	// Nested: sensors[embed]=status,series gives leaves inside each sensor.
	gw := c.ok(200, "GET", climatePath+"?embed=sensors&sensors[embed]=status,series", "").obj()
	sns, _ := gw["sensors"].([]any)
	sn, _ := sns[0].(map[string]any)
	series, _ := sn["series"].(map[string]any)
	status, _ := sn["status"].(map[string]any)
	if series["type"] != "series" || series["value"] == nil || status["value"] != "on" {
		t.Fatalf("nested embed: %v", sn)
	}
	for _, bad := range []string{"count=0", "count=x", "page=-1", "orderDir=up", "embed=rules", "filter[a][b]=1"} {
		c.fails(400, "SCHEMA_VALIDATE", "GET", "/v2/gateways?"+bad, "")
	}
	c.fails(400, "SCHEMA_VALIDATE", "GET", subwayPath+"?embed=sensors&sensors[embed]=devices", "")
}

func TestGatewaysTruncatedAt4000(t *testing.T) {
	sb, c := newDevSandbox(t, devOptions(nil))
	u, err := sb.CreateUser("bulk", "bulk@example.com", "Bulk", "bulk")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sb.SeedGateways(u.ID, 4001); err != nil {
		t.Fatal(err)
	}
	r := c.as(u.ID).ok(200, "GET", "/v2/gateways?fields=id", "")
	if n := len(r.list()); n != 4000 {
		t.Fatalf("%d gateways, want 4000", n)
	}
	if m := r.meta(); m == nil || m["total"] != float64(4001) || m["count"] != float64(4000) {
		t.Fatalf("_meta %v", r.meta())
	}
	r = c.as(u.ID).ok(200, "GET", "/v2/gateways?fields=id&count=4000&page=1", "")
	if n := len(r.list()); n != 1 {
		t.Fatalf("page 1: %d gateways", n)
	}
}

func TestGatewayGetPutDelete(t *testing.T) {
	sb, c := newDevSandbox(t, devOptions(nil))
	gw := c.ok(200, "GET", subwayPath, "").obj()
	if gw["id"] != SubwayGatewayID || gw["model"] != "52" {
		t.Fatalf("GET gateway %v", gw)
	}
	// PUT accepts the GET object echoed back with a change.
	gw["name"] = "Line 2 <script>alert(1)</script>"
	gw["desc"] = "renamed"
	body, _ := json.Marshal(gw)
	put := c.ok(200, "PUT", subwayPath, string(body)).obj()
	if put["name"] != gw["name"] || put["desc"] != "renamed" || !devIsMsString(put["mtime"]) {
		t.Fatalf("PUT answer %v", put)
	}
	if got := c.ok(200, "GET", subwayPath, "").obj()["name"]; got != gw["name"] {
		t.Fatalf("name after PUT %v", got)
	}
	c.ok(200, "PUT", subwayPath, `{"reportInterval":"300000","location":{"address":"서울"},"model":52}`)
	if got := c.ok(200, "GET", subwayPath, "").obj(); got["reportInterval"] != "300000" || got["model"] != "52" {
		t.Fatalf("after PUT reportInterval %v model %v", got["reportInterval"], got["model"])
	}
	for _, bad := range []string{
		`{"name":"x","bogus":1}`, `{"name":5}`, `{"name":""}`, `{"virtual":"yes"}`,
		`{"reportInterval":1000}`, `{"location":"here"}`, `not json`, `{"name":"a"} {"name":"b"}`,
		`{"deviceModels":[{"model":"m","extra":1}]}`,
	} {
		c.fails(400, "SCHEMA_VALIDATE", "PUT", subwayPath, bad)
	}
	c.fails(400, "SCHEMA_VALIDATE", "PUT", subwayPath, `{"id":"other"}`)
	c.fails(400, "INVALID_INPUT", "PUT", subwayPath, `{"model":"999"}`)

	r := c.ok(204, "DELETE", climatePath, "")
	if len(r.raw) != 0 {
		t.Fatalf("DELETE body %q", r.raw)
	}
	c.fails(404, "NOT_FOUND", "GET", climatePath, "")
	c.fails(404, "NOT_FOUND", "GET", climatePath+"/sensors/"+climateTemp, "")
	if _, ok := sb.devices.lookupSensor(climateTemp); ok {
		t.Fatal("sensor of a deleted gateway still known")
	}
}

func TestOwnershipDeniedBeforeNotFound(t *testing.T) {
	_, c := newDevSandbox(t, devOptions(nil))
	otherSensor := OtherGatewayID + "-0-temperature"
	denied := []struct{ method, path, body string }{
		{"GET", otherPath, ""},
		{"PUT", otherPath, `{"name":"mine"}`},
		{"DELETE", otherPath, ""},
		{"GET", otherPath + "/status", ""},
		{"PUT", otherPath + "/status", `{"value":"on","timeout":90}`},
		{"GET", otherPath + "/devices", ""},
		{"GET", otherPath + "/devices/nope", ""},
		{"GET", otherPath + "/sensors", ""},
		{"GET", otherPath + "/sensors/" + otherSensor, ""},
		{"GET", otherPath + "/sensors/does-not-exist", ""},
		{"GET", otherPath + "/sensors/does-not-exist/series", ""},
		{"PUT", otherPath + "/sensors/" + otherSensor + "/series", `{"value":"1","time":1}`},
		{"GET", otherPath + "/sensors/" + otherSensor + "/status", ""},
		{"DELETE", otherPath + "/sensors/" + otherSensor, ""},
		// another user's sensor reached through one's own gateway id
		{"GET", subwayPath + "/sensors/" + otherSensor, ""},
		{"POST", "/v2/manageGateway", `{"id":"` + OtherGatewayID + `","act":"getProperty"}`},
	}
	for _, tc := range denied {
		r := c.fails(403, "ACCESSGROUP_DENY", tc.method, tc.path, tc.body)
		if errs, _ := r.body["errors"].([]any); len(errs) != 1 || r.body["statusCode"] != float64(403) {
			t.Fatalf("%s %s: body %s", tc.method, tc.path, r.raw)
		}
	}
	notFound := []struct{ method, path string }{
		{"GET", "/v2/gateways/000000000000"},
		{"GET", "/v2/gateways/000000000000/sensors/x"},
		{"GET", subwayPath + "/sensors/nope"},
		{"GET", subwayPath + "/sensors/" + climateTemp + "/series"}, // own sensor, wrong gateway
		{"GET", subwayPath + "/devices/nope"},
		{"GET", "/v2/sensorTypes/nope"},
		{"GET", "/v2/gatewayModels/999"},
	}
	for _, tc := range notFound {
		c.fails(404, "NOT_FOUND", tc.method, tc.path, "")
	}
	// The other user really owns it.
	c.as("2").ok(200, "GET", otherPath+"/sensors/"+otherSensor, "")
	// No credentials: 401 "Access denied".
	r := c.anonymous().ok(401, "GET", "/v2/gateways", "")
	if strings.TrimSpace(string(r.raw)) != `"Access denied"` {
		t.Fatalf("401 body %s", r.raw)
	}
}

func TestGatewayStatusExpiry(t *testing.T) {
	clock := newDevClock()
	_, c := newDevSandbox(t, devOptions(clock))
	now := clock.Now().UnixMilli()
	gw := c.ok(200, "GET", subwayPath+"/status", "").obj()
	st, _ := gw["status"].(map[string]any)
	if st["value"] != "on" || st["time"] != strconv.FormatInt(now, 10) || st["expireAt"] != strconv.FormatInt(now+90000, 10) {
		t.Fatalf("seeded status %v", st)
	}
	// The offline gateway's status expired days ago: it reads off.
	off := c.ok(200, "GET", "/v2/gateways/"+OfflineGatewayID+"/status", "").obj()["status"].(map[string]any)
	if off["value"] != "off" || off["time"] != strconv.FormatInt(now-offlineSince.Milliseconds(), 10) {
		t.Fatalf("offline status %v", off)
	}

	leaf := c.ok(200, "PUT", subwayPath+"/status", `{"value":"err","timeout":30}`).obj()
	if leaf["value"] != "err" || leaf["type"] != "status" || leaf["id"] != st["id"] ||
		leaf["expireAt"] != strconv.FormatInt(now+30000, 10) || leaf["vtime"] != strconv.FormatInt(now, 10) {
		t.Fatalf("PUT status leaf %v", leaf)
	}
	for k, v := range leaf {
		if k != "value" && k != "type" && k != "id" && k != "srcDbType" && k != "status" && k != "owner" && k != "gateway" && !devIsMsString(v) {
			t.Errorf("leaf %s = %#v, want a ms string", k, v)
		}
	}
	clock.Advance(29 * time.Second)
	if v := c.ok(200, "GET", subwayPath+"/status", "").obj()["status"].(map[string]any)["value"]; v != "err" {
		t.Fatalf("before expiry %v", v)
	}
	clock.Advance(2 * time.Second)
	exp := c.ok(200, "GET", subwayPath+"?embed=status", "").obj()["status"].(map[string]any)
	if exp["value"] != "off" || exp["vtime"] != strconv.FormatInt(now+30000, 10) {
		t.Fatalf("after expiry %v", exp)
	}
	if got := devIDs(c.ok(200, "GET", "/v2/gateways?filter[status]=off", "").list()); !slices.Contains(got, SubwayGatewayID) {
		t.Fatalf("filter[status]=off %v", got)
	}
	// validDuration is the same thing; -1 never expires.
	leaf = c.ok(200, "PUT", subwayPath+"/status", `{"value":"on","validDuration":450}`).obj()
	if d := mustMs(t, leaf["expireAt"]) - mustMs(t, leaf["time"]); d != 450000 {
		t.Fatalf("validDuration 450 → %d ms", d)
	}
	leaf = c.ok(200, "PUT", subwayPath+"/status", `{"value":"on","timeout":-1}`).obj()
	clock.Advance(365 * 24 * time.Hour)
	if leaf["expireAt"] != "-1" || c.ok(200, "GET", subwayPath+"/status", "").obj()["status"].(map[string]any)["value"] != "on" {
		t.Fatalf("never-expiring status %v", leaf)
	}
	for _, bad := range []string{`{"value":"on"}`, `{"timeout":90}`, `{"value":"maybe","timeout":90}`,
		`{"value":"on","timeout":"90"}`, `{"value":"on","timeout":1.5}`, `{"value":"on","timeout":90,"extra":1}`,
		`{"value":"on","timeout":-2}`} {
		c.fails(400, "SCHEMA_VALIDATE", "PUT", subwayPath+"/status", bad)
	}
}

func mustMs(t *testing.T, v any) int64 {
	t.Helper()
	s, _ := v.(string)
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatalf("not a ms string: %#v", v)
	}
	return n
}

func TestDevicesCRUD(t *testing.T) {
	sb, c := newDevSandbox(t, devOptions(nil))
	list := c.ok(200, "GET", subwayPath+"/devices", "")
	if got := devIDs(list.list()); !slices.Equal(got, []string{SubwayGatewayID + "-1", SubwayGatewayID + "-2", SubwayGatewayID + "-3"}) {
		t.Fatalf("devices %v", got)
	}
	if list.meta() != nil {
		t.Fatalf("_meta without query: %s", list.raw)
	}
	if got := devIDs(c.ok(200, "GET", subwayPath+"/devices?orderBy=name&orderDir=desc&count=1", "").list()); !slices.Equal(got, []string{SubwayGatewayID + "-3"}) {
		t.Fatalf("devices query %v", got)
	}
	created := c.ok(201, "POST", subwayPath+"/devices", `{"reqId":"b827ebd0a001-4","name":"Car 4","model":"open-api-device-v1.0","address":"4"}`)
	dv := created.obj()
	if created.body["message"] != "Created" || dv["id"] != "b827ebd0a001-4" || dv["owner"] != SubwayGatewayID ||
		!devIsNumber(dv["ctime"]) || !devIsNumber(dv["mtime"]) || dv["address"] != "4" {
		t.Fatalf("POST device %s", created.raw)
	}
	c.fails(409, "CONFLICT", "POST", subwayPath+"/devices", `{"reqId":"b827ebd0a001-4","name":"again","model":"open-api-device-v1.0"}`)
	c.fails(400, "INVALID_INPUT", "POST", subwayPath+"/devices", `{"reqId":"x1","name":"x","model":"GrovePiPlusStarterKitForRaspberryPi"}`)
	c.fails(400, "SCHEMA_VALIDATE", "POST", subwayPath+"/devices", `{"reqId":"x1","name":"x"}`)
	c.fails(400, "SCHEMA_VALIDATE", "POST", subwayPath+"/devices", `{"reqId":"x1","name":"x","model":"open-api-device-v1.0","color":"red"}`)
	c.fails(400, "SCHEMA_VALIDATE", "POST", subwayPath+"/devices", `{"reqId":"has space","name":"x","model":"open-api-device-v1.0"}`)

	got := c.ok(200, "GET", subwayPath+"/devices/b827ebd0a001-4", "").obj()
	if !devIsMsString(got["ctime"]) || got["name"] != "Car 4" {
		t.Fatalf("GET device %v", got)
	}
	got["name"] = "Car four"
	body, _ := json.Marshal(got)
	if put := c.ok(200, "PUT", subwayPath+"/devices/b827ebd0a001-4", string(body)).obj(); put["name"] != "Car four" {
		t.Fatalf("PUT device %v", put)
	}
	c.fails(400, "SCHEMA_VALIDATE", "PUT", subwayPath+"/devices/b827ebd0a001-4", `{"name":"x","size":1}`)

	// Deleting a car's device takes its door sensors with it.
	c.ok(204, "DELETE", subwayPath+"/devices/b827ebd0a001-1", "")
	c.fails(404, "NOT_FOUND", "GET", subwayPath+"/devices/b827ebd0a001-1", "")
	if _, ok := sb.devices.lookupSensor(door11); ok {
		t.Fatal("door sensor of a deleted device still known")
	}
	sns := c.ok(200, "GET", subwayPath, "").obj()["sensors"].([]any)
	if len(sns) != 8 {
		t.Fatalf("%d sensors left, want 8", len(sns))
	}
}

func TestSensorsCRUD(t *testing.T) {
	_, c := newDevSandbox(t, devOptions(nil))
	list := c.ok(200, "GET", subwayPath+"/sensors", "").list()
	if len(list) != 12 || list[0]["id"] != door11 || list[0]["name"] != "Car 1 door 1" || list[0]["type"] != "countEvent" {
		t.Fatalf("sensors %v", list[:1])
	}
	sn := list[0]
	if st, _ := sn["status"].(string); !strings.HasPrefix(st, "status.sensor.") {
		t.Fatalf("status leaf id %v", sn["status"])
	}
	if se, _ := sn["series"].(string); !strings.HasPrefix(se, "series.sensor.") {
		t.Fatalf("series leaf id %v", sn["series"])
	}
	if got := devIDs(c.ok(200, "GET", subwayPath+"/sensors?filter[deviceId]=b827ebd0a001-2&fields=name", "").list()); len(got) != 4 || got[0] != SubwayGatewayID+"-2-door1" {
		t.Fatalf("filter[deviceId] %v", got)
	}

	body := `{"reqId":"b827ebd0a001-1-temp","name":"Car 1 temperature","type":"temperature","driverName":"openApiSensor","model":"openApiTemp","category":"sensor","deviceId":"b827ebd0a001-1"}`
	created := c.ok(201, "POST", subwayPath+"/sensors", body)
	d := created.obj()
	if created.body["message"] != "Created" || d["id"] != "b827ebd0a001-1-temp" || d["owner"] != SubwayGatewayID ||
		!devIsNumber(d["ctime"]) || d["status"] != nil || d["series"] != nil {
		t.Fatalf("POST sensor %s", created.raw)
	}
	c.fails(409, "CONFLICT", "POST", subwayPath+"/sensors", body)
	c.fails(400, "INVALID_INPUT", "POST", subwayPath+"/sensors", `{"reqId":"s1","name":"x","type":"nope"}`)
	c.fails(400, "INVALID_INPUT", "POST", subwayPath+"/sensors", `{"reqId":"s1","name":"x","type":"led","category":"actuator"}`)
	c.fails(400, "INVALID_INPUT", "POST", subwayPath+"/sensors", `{"reqId":"s1","name":"x","type":"onoff","deviceId":"`+ClimateGatewayID+`-0"}`)
	c.fails(400, "SCHEMA_VALIDATE", "POST", subwayPath+"/sensors", `{"reqId":"s1","name":"x","type":"onoff","unit":"C"}`)
	c.fails(400, "SCHEMA_VALIDATE", "POST", subwayPath+"/sensors", `{"name":"x","type":"onoff"}`)

	// GET, embed, status.
	got := c.ok(200, "GET", subwayPath+"/sensors/b827ebd0a001-1-temp?embed=status,series", "").obj()
	st, _ := got["status"].(map[string]any)
	se, _ := got["series"].(map[string]any)
	if st["value"] != "off" || st["srcType"] != "temperature" || se["type"] != "series" || se["value"] != nil {
		t.Fatalf("new sensor status %v series %v", st, se)
	}
	leaf := c.ok(200, "PUT", subwayPath+"/sensors/b827ebd0a001-1-temp/status", `{"value":"on","validDuration":90}`).obj()
	if leaf["value"] != "on" || leaf["srcDbType"] != "sensor" || leaf["sensor"] != "b827ebd0a001-1-temp" || leaf["owner"] != SubwayGatewayID {
		t.Fatalf("PUT sensor status %v", leaf)
	}
	if v := c.ok(200, "GET", subwayPath+"/sensors/b827ebd0a001-1-temp/status", "").obj()["status"].(map[string]any)["value"]; v != "on" {
		t.Fatalf("GET sensor status %v", v)
	}
	c.fails(400, "SCHEMA_VALIDATE", "PUT", subwayPath+"/sensors/b827ebd0a001-1-temp/status", `{"value":"on"}`)

	// PUT with the GET object echoed back.
	got = c.ok(200, "GET", subwayPath+"/sensors/b827ebd0a001-1-temp", "").obj()
	got["name"] = "Car 1 air"
	b, _ := json.Marshal(got)
	if put := c.ok(200, "PUT", subwayPath+"/sensors/b827ebd0a001-1-temp", string(b)).obj(); put["name"] != "Car 1 air" || !devIsMsString(put["mtime"]) {
		t.Fatalf("PUT sensor %v", put)
	}
	c.fails(400, "SCHEMA_VALIDATE", "PUT", subwayPath+"/sensors/b827ebd0a001-1-temp", `{"name":"x","colour":"red"}`)
	c.fails(400, "INVALID_INPUT", "PUT", subwayPath+"/sensors/b827ebd0a001-1-temp", `{"type":"nope"}`)

	c.ok(204, "DELETE", subwayPath+"/sensors/b827ebd0a001-1-temp", "")
	c.fails(404, "NOT_FOUND", "GET", subwayPath+"/sensors/b827ebd0a001-1-temp", "")
}

func TestRegisterGatewayAndPlans(t *testing.T) {
	sb, c := newDevSandbox(t, devOptions(nil))
	sites := c.ok(200, "GET", "/v2/sites", "").list()
	if len(sites) != 1 || sites[0]["id"] != "1" || sites[0]["name"] != "default" {
		t.Fatalf("sites %v", sites)
	}
	c.ok(200, "GET", "/v2/sites/1", "")
	c.fails(404, "NOT_FOUND", "GET", "/v2/sites/2", "")

	created := c.ok(201, "POST", "/v2/registerGateway", `{"reqId":"87cd2a6e407511e7922eb724f8803770","params":{"siteId":"1","model":"52","name":"Open Gateway 1"}}`)
	gw := created.obj()
	if created.body["message"] != "Created" || gw["id"] != "87cd2a6e407511e7922eb724f8803770" || gw["tree"] != gw["id"] ||
		gw["reportInterval"] != "300000" || !devIsNumber(gw["ctime"]) || gw["model"] != "52" {
		t.Fatalf("registerGateway %s", created.raw)
	}
	c.fails(409, "CONFLICT", "POST", "/v2/registerGateway", `{"id":"87cd2a6e407511e7922eb724f8803770","params":{"siteId":"1","model":"52","name":"again"}}`)
	c.fails(404, "NOT_FOUND", "POST", "/v2/registerGateway", `{"id":"aa01","params":{"siteId":"9","model":"52","name":"x"}}`)
	c.fails(404, "NOT_FOUND", "POST", "/v2/registerGateway", `{"id":"aa01","params":{"siteId":"1","model":"999","name":"x"}}`)
	c.fails(400, "SCHEMA_VALIDATE", "POST", "/v2/registerGateway", `{"id":"aa01","params":{"siteId":"1","model":"52"}}`)
	c.fails(400, "SCHEMA_VALIDATE", "POST", "/v2/registerGateway", `{"id":"aa01","params":{"siteId":"1","model":"52","name":"x","colour":1}}`)
	c.fails(400, "SCHEMA_VALIDATE", "POST", "/v2/registerGateway", `{"id":"aa01","params":{"siteId":"1","model":"52","name":"x","reportInterval":10}}`)

	// A virtual gateway with its own devices and sensors.
	withKids := `{"id":"virt01","params":{"siteId":"1","model":52,"name":"Virtual 1","reportInterval":120000,
		"devices":[{"reqId":"virt01-0","name":"Dev","model":"open-api-device-v1.0"}],
		"sensors":[{"reqId":"virt01-0-onoff","name":"Switch","type":"onoff","deviceId":"virt01-0"}]}}`
	gw = c.ok(201, "POST", "/v2/registerGateway", withKids).obj()
	devs, _ := gw["devices"].([]any)
	sns, _ := gw["sensors"].([]any)
	if len(devs) != 1 || len(sns) != 1 || gw["reportInterval"] != "120000" {
		t.Fatalf("registerGateway with devices: %v", gw)
	}
	if s0, _ := sns[0].(map[string]any); s0["owner"] != "virt01" || !devIsNumber(s0["ctime"]) {
		t.Fatalf("created sensor %v", sns[0])
	}
	// Model 6 gets an emulator the simulator feeds; it reports on at once.
	gw = c.ok(201, "POST", "/v2/registerGateway", `{"id":"emu01","params":{"siteId":"1","model":"6","name":"Emulated"}}`).obj()
	if sns, _ := gw["sensors"].([]any); len(sns) != 2 || gw["virtual"] != "y" {
		t.Fatalf("model 6 gateway %v", gw)
	}
	if st := c.ok(200, "GET", "/v2/gateways/emu01/status", "").obj()["status"].(map[string]any); st["value"] != "on" {
		t.Fatalf("emulated gateway status %v", st)
	}

	// manageGateway: properties, and acts the model does not support.
	c.ok(200, "POST", "/v2/manageGateway", `{"id":"virt01","act":"setProperty","params":{"reportInterval":"600000"}}`)
	if got := c.ok(200, "POST", "/v2/manageGateway", `{"id":"virt01","act":"getProperty"}`).obj(); got["reportInterval"] != "600000" {
		t.Fatalf("getProperty %v", got)
	}
	c.fails(400, "SCHEMA_VALIDATE", "POST", "/v2/manageGateway", `{"id":"virt01","act":"setProperty","params":{"reportInterval":5}}`)
	c.fails(400, "SCHEMA_VALIDATE", "POST", "/v2/manageGateway", `{"id":"virt01","act":"setProperty","params":{"speed":5}}`)
	c.fails(400, "INVALID_INPUT", "POST", "/v2/manageGateway", `{"id":"virt01","act":"reboot"}`)
	c.ok(200, "POST", "/v2/manageGateway", `{"id":"`+ClimateGatewayID+`","act":"reboot"}`)

	// The demo plan: 10 gateways; it now has 6.
	for i := range 4 {
		c.ok(201, "POST", "/v2/registerGateway", fmt.Sprintf(`{"id":"fill%d","params":{"siteId":"1","model":"52","name":"Fill %d"}}`, i, i))
	}
	r := c.fails(StatusBilling, "BILLING", "POST", "/v2/registerGateway", `{"id":"fill9","params":{"siteId":"1","model":"52","name":"One too many"}}`)
	if errs := r.body["errors"].([]any); errs[0].(map[string]any)["category"] != "BILLING_ERROR" {
		t.Fatalf("billing body %s", r.raw)
	}

	// A signed-up account has the trial plan: 2 gateways, 20 sensors.
	u, err := sb.CreateUser("newbie", "n@example.com", "Newbie", "pw")
	if err != nil {
		t.Fatal(err)
	}
	nc := c.as(u.ID)
	nc.ok(201, "POST", "/v2/registerGateway", `{"id":"trial1","params":{"siteId":"1","model":"52","name":"T1"}}`)
	nc.ok(201, "POST", "/v2/registerGateway", `{"id":"trial2","params":{"siteId":"1","model":"52","name":"T2"}}`)
	nc.fails(StatusBilling, "BILLING", "POST", "/v2/registerGateway", `{"id":"trial3","params":{"siteId":"1","model":"52","name":"T3"}}`)
	for i := range 20 {
		nc.ok(201, "POST", "/v2/gateways/trial1/sensors", fmt.Sprintf(`{"reqId":"trial1-s%d","name":"S%d","type":"number"}`, i, i))
	}
	nc.fails(StatusBilling, "BILLING", "POST", "/v2/gateways/trial2/sensors", `{"reqId":"trial2-s0","name":"S","type":"number"}`)
	if p := sb.planOf(u.ID); p != trialPlan {
		t.Fatalf("plan of a new account %v", p)
	}
}

func TestScopesLimitTheToken(t *testing.T) {
	opts := devOptions(nil)
	opts.App.Scopes = []string{"gateway-read"}
	_, c := newDevSandbox(t, opts)
	c.ok(200, "GET", "/v2/gateways", "")
	c.ok(200, "GET", subwayPath+"/sensors/"+door11+"/series", "")
	c.fails(403, "ACL_DENY", "PUT", subwayPath, `{"name":"x"}`)
	c.fails(403, "ACL_DENY", "PUT", subwayPath+"/sensors/"+door11+"/series", `{"value":"1"}`)
	c.fails(403, "ACL_DENY", "POST", "/v2/registerGateway", `{"id":"x1","params":{"siteId":"1","model":"52","name":"x"}}`)
	c.fails(403, "ACL_DENY", "GET", "/v2/sites", "")
}

func TestCatalogsWithoutLogin(t *testing.T) {
	_, c := newDevSandbox(t, devOptions(nil))
	anon := c.anonymous()
	types := anon.ok(200, "GET", "/v2/sensorTypes", "").list()
	units := map[string]string{}
	for _, st := range types {
		units[st["id"].(string)], _ = st["unit"].(string)
	}
	for id, unit := range map[string]string{"countEvent": "ea", "temperature": "°C", "humidity": "%", "onoff": "", "door": ""} {
		if u, ok := units[id]; !ok || u != unit {
			t.Errorf("sensorType %s unit %q (known %v), want %q", id, u, ok, unit)
		}
	}
	door := anon.ok(200, "GET", "/v2/sensorTypes/door", "").obj()
	if dv, _ := door["displayValues"].([]any); len(dv) != 2 || dv[1] != "opened" {
		t.Errorf("door displayValues %v", door["displayValues"])
	}
	models := anon.ok(200, "GET", "/v2/gatewayModels", "").list()
	names := map[string]string{}
	for _, m := range models {
		names[m["id"].(string)], _ = m["displayName"].(string)
	}
	if names["52"] != "Open API Gateway" || names["18"] != "Raspberry Pi-Developer" || names["6"] != "Virtual Gateway-Basic" {
		t.Fatalf("gateway models %v", names)
	}
	m52 := anon.ok(200, "GET", "/v2/gatewayModels/52", "").obj()
	dms, _ := m52["deviceModels"].([]any)
	if m52["model"] != "open-api-gateway-v1.0" || len(dms) != 1 || dms[0].(map[string]any)["id"] != "open-api-device-v1.0" {
		t.Fatalf("model 52 %v", m52)
	}
	drivers := devIDs(anon.ok(200, "GET", "/v2/sensorDrivers", "").list())
	if !slices.Contains(drivers, "openApiSensor") || !slices.Contains(drivers, "daliworksEmulator") {
		t.Fatalf("drivers %v", drivers)
	}
	if d := anon.ok(200, "GET", "/v2/sensorDrivers/openApiSensor", "").obj(); d["category"] != "sensor" {
		t.Fatalf("driver %v", d)
	}
	anon.fails(404, "NOT_FOUND", "GET", "/v2/sensorDrivers/nope", "")
	// Every seeded sensor's type is in the catalog.
	for _, gw := range c.ok(200, "GET", "/v2/gateways?embed=sensors", "").list() {
		for _, s := range gw["sensors"].([]any) {
			if typ := s.(map[string]any)["type"].(string); units[typ] == "" && typ != "onoff" {
				if _, ok := units[typ]; !ok {
					t.Errorf("sensor type %s not in the catalog", typ)
				}
			}
		}
	}
}

// Thing+ answers an unknown method or path with the v2 envelope and 404
// NOT_FOUND, never Go's plain-text 404/405 (route is the first check).
func TestUnknownRouteOrMethod(t *testing.T) {
	_, c := newDevSandbox(t, devOptions(nil))
	for _, tc := range []struct{ method, path string }{
		{"POST", "/v2/gateways"}, {"PATCH", "/v2/rules/1"}, {"GET", "/v2/nope"}, {"DELETE", "/v2/sensorTypes"},
	} {
		r := c.call(tc.method, tc.path, `{}`)
		if r.status != http.StatusNotFound || r.code() != "NOT_FOUND" {
			t.Errorf("%s %s: %d %s", tc.method, tc.path, r.status, r.body)
		}
	}
}
