package sandbox

import (
	"fmt"
	"testing"
)

// orderCase is a request that fails at exactly one step of Thing+'s check
// order (route, authentication, schema, permission, existence, conflict,
// billing) and the answer that step gives.
type orderCase struct {
	step, method, path, body string
	anonymous                bool
	status                   int
	code                     string // errors[0].code; "" for non-v2 bodies (401, jwt)
}

func runOrder(t *testing.T, c *devClient, cases []orderCase) {
	t.Helper()
	for _, tc := range cases {
		cl := c
		if tc.anonymous {
			cl = c.anonymous()
		}
		r := cl.call(tc.method, tc.path, tc.body)
		if r.status != tc.status || (tc.code != "" && r.code() != tc.code) {
			t.Errorf("%s: %s %s → %d %s, want %d %s", tc.step, tc.method, tc.path, r.status, r.code(), tc.status, tc.code)
		}
	}
}

func TestErrorOrderRegisterGateway(t *testing.T) {
	_, c := newDevSandbox(t, devOptions(nil))
	const p = "/v2/registerGateway"
	reg := func(id, site, model, extra string) string {
		return fmt.Sprintf(`{"reqId":%q,"params":{"siteId":%q,"model":%q,"name":"GW"%s}}`, id, site, model, extra)
	}
	runOrder(t, c, []orderCase{
		{"route", "GET", p, "", false, 404, "NOT_FOUND"},
		{"auth", "POST", p, reg("aa01", "1", "52", ""), true, 401, ""},
		// schema wins over a missing site and model and another user's id
		{"schema: unknown key", "POST", p, reg(OtherGatewayID, "9", "999", `,"bogus":1`), false, 400, "SCHEMA_VALIDATE"},
		{"schema: empty siteId", "POST", p, reg("aa01", "", "52", ""), false, 400, "SCHEMA_VALIDATE"},
		{"schema: deviceModels without model", "POST", p, reg("aa01", "9", "52", `,"deviceModels":[{"id":"x"}]`), false, 400, "SCHEMA_VALIDATE"},
		{"permission: another user's id", "POST", p, reg(OtherGatewayID, "9", "999", ""), false, 403, "ACCESSGROUP_DENY"},
		{"existence: site", "POST", p, reg("aa01", "9", "52", ""), false, 404, "NOT_FOUND"},
		{"existence: model", "POST", p, reg("aa01", "1", "999", ""), false, 404, "NOT_FOUND"},
		{"conflict: own id", "POST", p, reg(SubwayGatewayID, "1", "52", ""), false, 409, "CONFLICT"},
	})
	// A new sign-up is on the trial plan: 2 gateways, then 471.
	u, err := c.sb.CreateUser("trial1", "t@example.com", "T", "pw")
	if err != nil {
		t.Fatal(err)
	}
	tc := c.as(u.ID)
	tc.ok(201, "POST", p, reg("tr01", "1", "52", ""))
	tc.ok(201, "POST", p, reg("tr02", "1", "52", ""))
	tc.fails(471, "BILLING", "POST", p, reg("tr03", "1", "52", ""))
}

// A documented body with a co sensor registers; a conflicting device is
// listed in a 207 while the rest is created; a device named in both
// deviceModels and devices is stored once.
func TestRegisterGatewayPartialAndCatalogue(t *testing.T) {
	_, c := newDevSandbox(t, devOptions(nil))
	body := `{"reqId":"bb01","params":{"siteId":"1","model":"52","name":"Air",
	  "deviceModels":[{"id":"bb01-0","model":"open-api-device-v1.0"}],
	  "devices":[{"reqId":"bb01-0","name":"D","model":"open-api-device-v1.0"},{"reqId":"b827ebd0a001-1","name":"Taken","model":"open-api-device-v1.0"}],
	  "sensors":[{"reqId":"bb01-0-co","name":"CO","type":"co","deviceId":"bb01-0"},{"reqId":"b827ebd0a001-1-door1","name":"Taken","type":"countEvent","deviceId":"bb01-0"}]}}`
	r := c.ok(207, "POST", "/v2/registerGateway", body)
	if r.code() != "CONFLICT" || len(r.body["errors"].([]any)) != 2 {
		t.Fatalf("207 errors: %s", r.raw)
	}
	gw := c.ok(200, "GET", "/v2/gateways/bb01", "").obj()
	if dm := gw["deviceModels"].([]any); len(dm) != 1 {
		t.Errorf("deviceModels stored %d times: %v", len(dm), dm)
	}
	if s := gw["sensors"].([]any); len(s) != 1 || s[0] != "bb01-0-co" {
		t.Errorf("sensors %v", s)
	}
	if n := len(c.anonymous().ok(200, "GET", "/v2/sensorTypes", "").list()); n != len(sensorTypes) || n < 80 {
		t.Errorf("%d sensor types", n)
	}
	for _, id := range []string{"20", "26", "32", "34"} {
		c.anonymous().ok(200, "GET", "/v2/gatewayModels/"+id, "")
	}
	st := c.anonymous().ok(200, "GET", "/v2/sensorTypes/temperature", "").obj()
	if st["decimalPlace"] != "1" || st["minimum"] != "-273" || st["maximum"] != "300" {
		t.Errorf("temperature type %v", st)
	}
}

func TestControlActuator(t *testing.T) {
	_, c := newDevSandbox(t, devOptions(nil))
	const p = "/v2/controlActuator"
	ctl := func(gw, id, cmd, opts string) string {
		return fmt.Sprintf(`{"id":%q,"act":"controlActuator","params":{"id":%q,"cmd":%q,"options":%s}}`, gw, id, cmd, opts)
	}
	led := ClimateGatewayID + "-0-led"
	runOrder(t, c, []orderCase{
		{"auth", "POST", p, ctl(ClimateGatewayID, led, "on", "{}"), true, 401, ""},
		{"schema", "POST", p, `{"id":"x","act":"reboot","params":{"id":"y","cmd":"on"}}`, false, 400, "SCHEMA_VALIDATE"},
		{"permission", "POST", p, ctl(OtherGatewayID, "nope", "on", "{}"), false, 403, "ACCESSGROUP_DENY"},
		{"existence", "POST", p, ctl(ClimateGatewayID, "nope", "on", "{}"), false, 404, "NOT_FOUND"},
		{"command", "POST", p, ctl(ClimateGatewayID, led, "dance", "{}"), false, 400, "INVALID_INPUT"},
		{"option range", "POST", p, ctl(ClimateGatewayID, led, "on", `{"duration":1}`), false, 400, "INVALID_INPUT"},
		{"offline gateway", "POST", p, ctl(OfflineGatewayID, OfflineGatewayID+"-0-led", "on", "{}"), false, 504, "PROCESS_COMMAND_RESULT"},
	})
	res := c.ok(200, "POST", p, ctl(ClimateGatewayID, led, "blink", `{"duration":3000,"interval":500}`)).obj()
	if res["cmd"] != "blink" || res["result"] != "success" {
		t.Fatalf("result %v", res)
	}
	c.ok(200, "POST", p, ctl(ClimateGatewayID, ClimateGatewayID+"-0-display", "send", `{"text":"다음 열차"}`))
	series := c.ok(200, "GET", "/v2/gateways/"+ClimateGatewayID+"/sensors/"+ClimateGatewayID+"-0-display/series", "").obj()["series"].(map[string]any)
	if v, _ := series["value"].(map[string]any); v["cmd"] != "send" || v["options"].(map[string]any)["text"] != "다음 열차" {
		t.Errorf("actuator value %v", series["value"])
	}
}

func TestGatewayKeys(t *testing.T) {
	_, c := newDevSandbox(t, devOptions(nil))
	runOrder(t, c, []orderCase{
		{"schema", "POST", "/v2/registerGatewayKey", `{"id":"cc01","modelId":"18","authType":"x"}`, false, 400, "SCHEMA_VALIDATE"},
		{"permission", "POST", "/v2/registerGatewayKey", `{"id":"` + OtherGatewayID + `","modelId":"999","authType":"apikey"}`, false, 403, "ACCESSGROUP_DENY"},
		{"existence", "POST", "/v2/registerGatewayKey", `{"id":"cc01","modelId":"999","authType":"apikey"}`, false, 404, "NOT_FOUND"},
		{"unknown gateway", "POST", "/v2/activateGatewayKey", `{"gatewayId":"cc09","vendorKey":"k"}`, true, 500, "QUERY_RESULT_EMPTY"},
	})
	if k := c.ok(200, "POST", "/v2/registerGatewayKey", `{"id":"cc01","modelId":"18","authType":"apikey"}`).obj(); len(k["cc01"].(string)) < 20 {
		t.Errorf("apikey %v", k)
	}
	c.ok(200, "POST", "/v2/registerGatewayKey", `{"id":"cc02","modelId":"18","authType":"apikeyReady"}`)
	c.anonymous().fails(400, "MISMATCH_ERROR", "POST", "/v2/activateGatewayKey", `{"gatewayId":"cc02","vendorKey":"wrong"}`)
	if k := c.anonymous().ok(200, "POST", "/v2/activateGatewayKey", `{"gatewayId":"cc02","vendorKey":"`+VendorKey("18")+`"}`).obj(); k["cc02"] == "" {
		t.Errorf("activate %v", k)
	}
}

func TestManageGatewayFollowsDeviceMgmt(t *testing.T) {
	_, c := newDevSandbox(t, devOptions(nil))
	const p = "/v2/manageGateway"
	c.ok(200, "POST", p, `{"id":"`+ClimateGatewayID+`","act":"reboot"}`)                    // model 18 supports reboot
	c.fails(400, "INVALID_INPUT", "POST", p, `{"id":"`+SubwayGatewayID+`","act":"reboot"}`) // model 52 does not
	c.fails(403, "ACCESSGROUP_DENY", "POST", p, `{"id":"`+OtherGatewayID+`","act":"reboot"}`)
	c.fails(400, "SCHEMA_VALIDATE", "POST", p, `{"id":"`+OtherGatewayID+`"}`)
}

func TestTagsAndPushDevices(t *testing.T) {
	opts := devOptions(nil)
	opts.App.Scopes = append(opts.App.Scopes, "tag")
	_, c := newDevSandbox(t, opts)
	door := DoorSensorID(1, 1)
	runOrder(t, c, []orderCase{
		{"auth", "GET", "/v2/tags", "", true, 401, ""},
		{"schema", "POST", "/v2/tags", `{"name":"x"}`, false, 400, "SCHEMA_VALIDATE"},
		{"permission", "POST", "/v2/tags", `{"name":"x","sensors":["` + OtherGatewayID + `-0-temperature","nope"]}`, false, 403, "ACCESSGROUP_DENY"},
		{"existence", "POST", "/v2/tags", `{"name":"x","sensors":["nope"]}`, false, 404, "NOT_FOUND"},
		{"schema push", "POST", "/v2/pushDevices", `{"reqId":"p1","provider":"z"}`, false, 400, "SCHEMA_VALIDATE"},
	})
	tag := c.ok(201, "POST", "/v2/tags", `{"name":"Car 1 doors","sensors":["`+door+`"]}`).obj()
	id := tag["id"].(string)
	c.fails(400, "SCHEMA_VALIDATE", "PUT", "/v2/tags/"+id, `{"id":"999","name":"y","sensors":[]}`)
	c.ok(200, "PUT", "/v2/tags/"+id, `{"name":"Car 1","sensors":["`+door+`"]}`)
	emb := c.ok(200, "GET", "/v2/tags/"+id+"?embed=sensors", "").obj()
	if s := emb["sensors"].([]any); len(s) != 1 || s[0].(map[string]any)["id"] != door {
		t.Errorf("embedded %v", emb)
	}
	c.as("2").fails(403, "ACCESSGROUP_DENY", "GET", "/v2/tags/"+id, "")
	c.ok(204, "DELETE", "/v2/tags/"+id, "")
	c.fails(404, "NOT_FOUND", "GET", "/v2/tags/"+id, "")

	c.ok(201, "POST", "/v2/pushDevices", `{"reqId":"gcm-1","provider":"g","activated":"y"}`)
	// a taken reqId is 409 before the rest of the body is looked at
	c.fails(409, "CONFLICT", "POST", "/v2/pushDevices", `{"reqId":"gcm-1","provider":"a","authClientId":"nope"}`)
	c.ok(200, "PUT", "/v2/pushDevices/gcm-1", `{"activated":"n"}`)
	if l := c.ok(200, "GET", "/v2/pushDevices", "").list(); len(l) != 1 || l[0]["activated"] != "n" {
		t.Errorf("list %v", l)
	}
	c.ok(204, "DELETE", "/v2/pushDevices/gcm-1", "")
}
