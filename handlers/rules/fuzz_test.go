package rules

import (
	"bytes"
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/thingplus/thingplus-webapp/thingplus"
	views "github.com/thingplus/thingplus-webapp/views/rules"
)

func fuzzEnv() formEnv {
	return formEnv{
		push: pushURLs{build: func(s, d string) string {
			return "http://localhost:3000/api/trigger/" + url.PathEscape(s) + "/" + d + "?key=k"
		}},
		zones: newZones(), now: time.Unix(1700000000, 0),
		picker: []GatewayChoice{{ID: "gw", Name: "Subway", Sensors: []SensorChoice{{ID: "gw-1-door1", Name: "Car 1 door 1", Type: "countEvent"}}}},
	}
}

// FuzzRuleForm posts arbitrary form bodies through every step the handler
// takes: parse, op, build, render, JSON tab, fill. None may panic.
func FuzzRuleForm(f *testing.F) {
	f.Add(validForm().Encode(), "save")
	f.Add(with(validForm(), "t.method", "range", "t.min", "1", "t.max", "-1").Encode(), "tab-advanced")
	f.Add("c0.group=9&c0.raw=%7B&a3.kind=other&a3.raw=null&a0.kind=email&a0.to=%40", "del-cond-0")
	f.Add("tab=advanced&raw=%7B%22name%22%3A1%7D", "tab-form")
	f.Add("a0.kind=app&a0.dir=IN&base=%7B%22actions%22%3A%5B%5B%7B%7D%5D%5D%7D", "add-action")
	env := fuzzEnv()
	h := &Handler{push: env.push, zones: env.zones}
	f.Fuzz(func(t *testing.T, body, op string) {
		v, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		form := parseForm(v)
		env.applyOp(&form, op)
		r, _, fm := env.build(form)
		_ = fm.field(op)
		raw := env.maskedJSON(r, true)
		back, _, _ := env.parseRaw(raw)
		filled := env.fill(back)
		_ = Summary(context.Background(), back, env.names())
		for _, fv := range []views.Form{form, filled} {
			h.decorate(&fv, env)
			var buf bytes.Buffer
			if err := views.RuleForm(fv).Render(context.Background(), &buf); err != nil {
				t.Fatalf("render: %v", err)
			}
		}
	})
}

// FuzzRawJSON feeds arbitrary text to the advanced tab's parser and, when it
// reads as a rule, through the form and back.
func FuzzRawJSON(f *testing.F) {
	f.Add(`{"name":"x","severity":"information","timezone":"+9.00","status":"activated","trigger":{"agent":"sensorValue","type":"countEvent","method":{"id":"over","params":{"degree":0}},"filter":{"sensor":["gw-1-door1"]}},"actions":[[{"agent":"dataPush","type":"dataPush","method":{"id":"push","params":{"url":"http://localhost:3000/api/trigger/gw-1-door1/IN?key=HIDDEN"}}}]]}`)
	f.Add(`{"trigger":{"filter":{"gateway":"*"}},"conditions":[[{"method":{"params":[]}}]]}`)
	f.Add(`{"template":true,"ctime":"x"}`)
	f.Add(`[`)
	f.Add(`{"actions":[[{"agent":"email","method":{"params":{"to":5}}}]]}`)
	env := fuzzEnv()
	f.Fuzz(func(t *testing.T, raw string) {
		r, _, usable := env.parseRaw(raw)
		if !usable {
			return
		}
		form := env.fill(r)
		rebuilt, _, _ := env.build(form)
		_ = rebuilt.Validate()
		_ = Summary(context.Background(), r, nil)
		var decoded thingplus.Rule
		_ = decoded.UnmarshalJSON([]byte(raw))
	})
}
