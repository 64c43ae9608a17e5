package thingplus

import (
	"encoding/json"
	"errors"
	"testing"
)

// An e-mail action whose to or subject carries a line break would inject
// mail headers (Bcc: …) at the sender; a number JSON can write but no
// float64 can hold (1e309) is not a threshold. Both are refused locally,
// with the field named, before Thing+ sees them.
func TestValidateRefusesHeaderInjectionAndOverflow(t *testing.T) {
	cases := []struct {
		field string
		edit  func(r *Rule)
	}{
		{"actions[0][0].method.params.subject", func(r *Rule) {
			r.Actions = [][]RuleItem{{EmailAction("ops@example.com", "hi\r\nBcc: evil@example.com", "")}}
		}},
		{"actions[0][0].method.params.subject", func(r *Rule) {
			r.Actions = [][]RuleItem{{EmailAction("ops@example.com", "hi\nX-Injected: 1", "")}}
		}},
		{"actions[0][0].method.params.to", func(r *Rule) {
			r.Actions = [][]RuleItem{{EmailAction("ops@example.com,\r\n evil@example.com", "hi", "")}}
		}},
		{"trigger.method.params.degree", func(r *Rule) {
			r.Trigger.Method.Params = json.RawMessage(`{"degree":1e309}`)
		}},
		{"trigger.method.params.max", func(r *Rule) {
			r.Trigger.Method = Method{ID: MethodRange, Params: json.RawMessage(`{"min":0,"max":-1e400}`)}
		}},
	}
	for _, tc := range cases {
		r := validRule()
		tc.edit(&r)
		var re *RuleError
		if err := r.Validate(); !errors.As(err, &re) {
			t.Errorf("%s: accepted", tc.field)
			continue
		}
		found := false
		for _, f := range re.Fields {
			found = found || f.Field == tc.field
		}
		if !found {
			t.Errorf("%s: not reported; got %v", tc.field, re.Fields)
		}
	}
	// A body may have as many lines as it likes.
	r := validRule()
	r.Actions = [][]RuleItem{{EmailAction("a@example.com, b@example.com", "Door 3", "line 1\r\nline 2")}}
	if err := r.Validate(); err != nil {
		t.Errorf("multi-line body, two addresses: %v", err)
	}
}
