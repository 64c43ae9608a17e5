package gateways

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/thingplus/thingplus-webapp/thingplus"
	vt "github.com/thingplus/thingplus-webapp/views/gateways"
)

// FuzzAddForm feeds the add form anything: validation never panics, what
// it lets through is what Thing+ accepts, and the form re-rendered with the
// input never lets markup through.
func FuzzAddForm(f *testing.F) {
	f.Add("Virtual 1", "6", "", "1", "5")
	f.Add("<script>alert(1)</script>", "18", "b827:eb.01", "1", "10080")
	f.Add("  ", "52", "new", "9", "0")
	f.Add(strings.Repeat("가", 101), "999", "a/b", "", "1.5")
	f.Add("x", "6", "\"><img src=x onerror=alert(1)>", "1\x00", "-3")
	ch := addChoices{
		models: []thingplus.GatewayModel{virtualBasic, {ID: "18", DisplayName: "Raspberry Pi-Developer"}, {ID: "52", DisplayName: "Open API Gateway"}},
		sites:  []thingplus.Site{{ID: "1", Name: "default"}},
	}
	f.Fuzz(func(t *testing.T, name, model, id, site, minutes string) {
		in := vt.AddForm{Open: true, Name: clip(strings.TrimSpace(name), maxField), Model: model, ID: clip(id, maxField), Site: site, Minutes: minutes}
		reg, errs := ch.validate(context.Background(), &in)
		if len(errs) == 0 {
			if reg.Name == "" || utf8.RuneCountInString(reg.Name) > maxName || !gatewayIDRe.MatchString(reg.ID) || reg.ID == "new" ||
				reg.SiteID != "1" || (reg.Model != "6" && reg.Model != "18" && reg.Model != "52") {
				t.Fatalf("let through %+v", reg)
			}
			if reg.ReportInterval != 0 && (reg.ReportInterval < time.Minute || reg.ReportInterval > 7*24*time.Hour) {
				t.Fatalf("interval %v", reg.ReportInterval)
			}
		}
		in.Errors = errs
		ch.decorate(context.Background(), &in)
		var buf bytes.Buffer
		if err := vt.AddSection(in).Render(context.Background(), &buf); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(buf.String(), "<script") || strings.Contains(buf.String(), "<img") {
			t.Fatalf("markup leaked: %s", buf.String())
		}
	})
}
