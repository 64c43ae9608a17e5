package sandbox

import (
	"encoding/json"
	"fmt"
)

// Seeded rules (ids in this order):
//
//	"1"       user 1, template "true": "Temperature over 30 → e-mail"
//	"2"       user 1, deactivated: "Humidity over 80" (e-mail)
//	"3"       user 2: "Other user's temperature rule" (deactivated; for 403 tests)
//	"4".."27" user 1, only when Options.PushURL is set: for car 1..3, door 1..4,
//	          "Car <c> door <n> IN" (countEvent over 0) then "… OUT" (under 0),
//	          each with one dataPush action to PushURL(sensorID, "IN"/"OUT").
const (
	subwayGateway  = "b827ebd0a001"
	climateGateway = "b827ebd0a002"
	otherGateway   = "b827ebd0a0ff"
)

func (ra *ruleArea) seed() {
	ra.seedRule("1", fmt.Sprintf(`{
		"name": "Temperature over 30 → e-mail",
		"desc": "Template: e-mail the owner when the temperature goes over 30 °C.",
		"severity": "warning", "timezone": "+9.00", "status": "activated", "template": "true",
		"trigger": {"agent": "sensorValue", "type": "temperature",
			"method": {"id": "over", "name": "Over", "params": {"degree": 30,
				"target": {"type": "gateway", "id": %[1]q, "sensors": [%[2]q]}}},
			"filter": {"type": ["series"], "gateway": "*", "sensor": [%[2]q]}},
		"conditions": [[]],
		"actions": [[{"agent": "email", "type": "email", "method": {"id": "send", "name": "send",
			"params": {"to": "demo@example.com", "subject": "Temperature over 30",
				"body": "{{value}} {{triggerSensor}}@{{triggerGateway}} ({{triggerCondition}})"}}}]]
	}`, climateGateway, climateGateway+"-0-temperature"))
	ra.seedRule("1", fmt.Sprintf(`{
		"name": "Humidity over 80",
		"desc": "Switched off: e-mail when the humidity goes over 80 %%.",
		"severity": "information", "timezone": "+9.00", "status": "deactivated", "template": "false",
		"trigger": {"agent": "sensorValue", "type": "humidity",
			"method": {"id": "over", "name": "Over", "params": {"degree": 80,
				"target": {"type": "gateway", "id": %[1]q, "sensors": [%[2]q]}}},
			"filter": {"type": ["series"], "gateway": "*", "sensor": [%[2]q]}},
		"conditions": [[]],
		"actions": [[{"agent": "email", "type": "email", "method": {"id": "send", "name": "send",
			"params": {"to": "demo@example.com", "subject": "Humidity over 80", "body": "{{value}} %% at {{triggerSensor}}"}}}]]
	}`, climateGateway, climateGateway+"-0-humidity"))
	ra.seedRule("2", fmt.Sprintf(`{
		"name": "Other user's temperature rule",
		"severity": "information", "timezone": "+9.00", "status": "deactivated", "template": "false",
		"trigger": {"agent": "sensorValue", "type": "temperature",
			"method": {"id": "over", "name": "Over", "params": {"degree": 25}},
			"filter": {"type": ["series"], "gateway": [%q]}},
		"conditions": [[]],
		"actions": [[{"agent": "email", "type": "email", "method": {"id": "send", "name": "send",
			"params": {"to": "other@example.com", "subject": "Warm"}}}]]
	}`, otherGateway))
	if ra.s.opts.PushURL == nil {
		return
	}
	for car := 1; car <= 3; car++ {
		for door := 1; door <= 4; door++ {
			sensor := fmt.Sprintf("%s-%d-door%d", subwayGateway, car, door)
			for _, dir := range []struct{ name, method, label, verb string }{
				{"IN", "over", "Over", "enters"}, {"OUT", "under", "Under", "leaves"},
			} {
				url, _ := json.Marshal(ra.s.opts.PushURL(sensor, dir.name))
				ra.seedRule("1", fmt.Sprintf(`{
					"name": "Car %[1]d door %[2]d %[3]s",
					"desc": "Tell thingplus-webapp when a person %[4]s car %[1]d through door %[2]d.",
					"severity": "information", "timezone": "+9.00", "status": "activated", "template": "false",
					"trigger": {"agent": "sensorValue", "type": "countEvent",
						"method": {"id": %[5]q, "name": %[6]q, "params": {"degree": 0,
							"target": {"type": "gateway", "id": %[7]q, "sensors": [%[8]q]}}},
						"filter": {"type": ["series"], "gateway": "*", "sensor": [%[8]q]}},
					"conditions": [[]],
					"actions": [[{"agent": "dataPush", "type": "dataPush",
						"method": {"id": "push", "name": "push", "params": {"url": %[9]s}}}]]
				}`, car, door, dir.name, dir.verb, dir.method, dir.label, subwayGateway, sensor, url))
			}
		}
	}
}

// seedRule stores a rule from JSON. A seed that fails validation (e.g. a
// PushURL that is not an absolute http(s) URL) is logged and skipped.
func (ra *ruleArea) seedRule(user, body string) {
	m, err := parseRuleJSON([]byte(body))
	if err == nil {
		var cr *compiledRule
		if cr, err = validateRule(m); err == nil {
			_, err = ra.add(user, cr)
		}
	}
	if err != nil {
		ra.s.log.Error("sandbox: seeded rule skipped", "user", user, "error", err.Error())
	}
}
