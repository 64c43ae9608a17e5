package sandbox

import (
	"encoding/json"
	"errors"
	"testing"
)

// FuzzRuleValidator: the rule parser and validator never panic, every
// rejection is a SCHEMA_VALIDATE validation error, and an accepted rule, as
// the API returns it, is accepted again with the same meaning (GET → PUT
// round trip).
func FuzzRuleValidator(f *testing.F) {
	valid, _ := json.Marshal(rtMutate(func(map[string]any) {}))
	f.Add(valid)
	f.Add([]byte(`{"name":"n","severity":"fatal","timezone":"-3.5","status":"deactivated","template":"true",
		"trigger":{"agent":"sensorValue","type":"onoff","method":{"id":"changed","params":{"from":0,"to":"1",
		"target":{"type":"tag","id":"7","sensors":["a","a"]}}},"filter":{"type":["series","status"],"gateway":["g"],"op":"x"}},
		"conditions":[[],[{"agent":"sensorValue","type":"t","method":{"id":"range","params":{"min":"1","max":2}}}]],
		"actions":[[{"agent":"actuator","type":"led","method":{"id":"led","params":{"command":{"cmd":"on","options":{"d":1,"b":true}},
		"target":{"type":"gateway","id":"g"}}}}],[{"agent":"sms","type":"sms","method":{"id":"send","params":{"to":"1"}}}]],
		"id":"9","_user":"1","ctime":"1","mtime":2}`))
	f.Add([]byte(`{"name":"x","severity":"warning","timezone":9,"status":"activated","trigger":{},"actions":{}}`))
	f.Add([]byte(`{"actions":[[{"agent":"dataPush","type":"dataPush","method":{"id":"push","params":{"url":"http://[::1]:80/%zz"}}}]]}`))
	f.Add([]byte(`[[[[[[[[[[[[[[[[[[[[{}]]]]]]]]]]]]]]]]]]]`))
	f.Add([]byte(`{"name":"\u0000","timezone":"+99","trigger":{"method":{"params":{"degree":"NaN"}}}}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{"conditions":[[{"agent":"sensorValue","type":"x","method":{"id":"over","params":{"degree":1e999}}}]]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := parseRuleJSON(data)
		if err == nil {
			var cr *compiledRule
			cr, err = validateRule(m)
			if err == nil {
				roundTrip(t, cr)
				return
			}
		}
		var ve *validationError
		if !errors.As(err, &ve) || ve.code() != "SCHEMA_VALIDATE" || ve.msg == "" {
			t.Fatalf("rejection %v is not a SCHEMA_VALIDATE validation error", err)
		}
	})
}

func roundTrip(t *testing.T, cr *compiledRule) {
	t.Helper()
	rl := &rule{id: "1", idNum: 1, user: "1", ctime: 1, mtime: 2, compiledRule: cr}
	for _, numbers := range []bool{true, false} {
		out, err := json.Marshal(rl.view(numbers))
		if err != nil {
			t.Fatalf("marshal accepted rule: %v", err)
		}
		m, err := parseRuleJSON(out)
		if err != nil {
			t.Fatalf("reparse %s: %v", out, err)
		}
		again, err := validateRule(m)
		if err != nil {
			t.Fatalf("accepted rule rejected after a round trip: %v\n%s", err, out)
		}
		a, _ := json.Marshal(again.body)
		b, _ := json.Marshal(cr.body)
		if string(a) != string(b) {
			t.Fatalf("round trip changed the rule:\n%s\n%s", a, b)
		}
		if len(again.actions) != len(cr.actions) || again.trigger.Method != cr.trigger.Method ||
			len(again.conds) != len(cr.conds) {
			t.Fatalf("round trip changed the compiled rule")
		}
	}
}
