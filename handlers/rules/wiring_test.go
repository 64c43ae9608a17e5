package rules

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/thingplus/thingplus-webapp/thingplus"
	"github.com/thingplus/thingplus-webapp/trains"
	"github.com/thingplus/thingplus-webapp/wiring"
)

// TestWiringCheckListsAndFixesEachKind breaks the sandbox's seeded door
// rules in every way the check knows, against the real seeded trains
// database, then fixes one problem and the rest with "fix all".
func TestWiringCheckListsAndFixesEachKind(t *testing.T) {
	hs := newHarness(t)
	store, err := trains.Open(context.Background(), t.TempDir(), trains.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	hs.h.WithWiring(wiring.TrainDoors{Trains: store, URL: func(_ context.Context, _, s, d string) string { return hs.push(s, d) }})
	st, _ := hs.withHistory()
	ctx := context.Background()

	if r := hs.do("GET", "/rules/wiring", nil, ""); r.Code != http.StatusOK || r.find("wiring-clean").Length() != 1 {
		t.Fatalf("the seeded wiring is not clean: %d %s", r.Code, r.find("wiring-panel").Text())
	}
	seeded := func(name string) thingplus.Rule { return hs.ruleNamed(name) }
	update := func(r thingplus.Rule) {
		if _, err := hs.c.UpdateRule(ctx, hs.token, r); err != nil {
			t.Fatal(err)
		}
	}
	// missing: car 1 door 1 has no OUT rule
	if err := hs.c.DeleteRule(ctx, hs.token, seeded("Car 1 door 1 OUT").ID); err != nil {
		t.Fatal(err)
	}
	// duplicate: a second IN rule for car 1 door 2
	d2 := trains.SeedSensorID(1, 2)
	if _, err := hs.c.CreateRule(ctx, hs.token, wiring.DoorRule("+9.00", d2, "IN", hs.push(d2, "IN"))); err != nil {
		t.Fatal(err)
	}
	// old key on car 1 door 3 OUT, another host on car 1 door 4 IN
	d3, d4 := trains.SeedSensorID(1, 3), trains.SeedSensorID(1, 4)
	update(wiring.Repointed(seeded("Car 1 door 3 OUT"), d3, "OUT", strings.Replace(hs.push(d3, "OUT"), webhookKey, "rotated-away", 1)))
	update(wiring.Repointed(seeded("Car 1 door 4 IN"), d4, "IN", "http://old-host:3000/api/trigger/"+d4+"/IN?key=x"))
	// switched off: car 2 door 1 IN
	off := seeded("Car 2 door 1 IN")
	off.Status = thingplus.RuleDeactivated
	update(off)
	// a sensor on no car pushes here
	if _, err := hs.c.CreateRule(ctx, hs.token, wiring.DoorRule("+9.00", "b827ebd0a001-9-door9", "IN", hs.push("b827ebd0a001-9-door9", "IN"))); err != nil {
		t.Fatal(err)
	}

	r := hs.do("GET", "/rules/wiring", nil, "")
	var kinds []string
	r.find("wiring-problem").Each(func(_ int, s *goquery.Selection) {
		k, _ := s.Attr("data-kind")
		sensor, _ := s.Attr("data-sensor")
		dir, _ := s.Attr("data-dir")
		kinds = append(kinds, k+" "+sensor+" "+dir)
	})
	want := []string{
		"missing " + trains.SeedSensorID(1, 1) + " OUT",
		"duplicate " + d2 + " IN",
		"stale " + d3 + " OUT",
		"stale " + d4 + " IN",
		"inactive " + trains.SeedSensorID(2, 1) + " IN",
		"orphan b827ebd0a001-9-door9 IN",
	}
	if strings.Join(kinds, "\n") != strings.Join(want, "\n") {
		t.Fatalf("problems:\n%s\nwant:\n%s", strings.Join(kinds, "\n"), strings.Join(want, "\n"))
	}
	if !strings.Contains(r.Body.String(), "old-host:3000") {
		t.Fatal("the other host is not named")
	}
	// the rules list says there is something to fix
	if got := hs.do("GET", "/rules", nil, "").find("wiring-count").Text(); got != "6 problems" {
		t.Fatalf("rules list badge %q", got)
	}

	// fix the missing rule alone (htmx, the panel comes back)
	key, _ := r.doc.Find(`[data-kind="missing"] input[name="key"]`).Attr("value")
	r = hs.do("POST", "/rules/wiring/fix", url.Values{"key": {key}}, targetWiring)
	if r.Code != http.StatusOK || r.page() || r.find("wiring-problem").Length() != 5 ||
		!strings.Contains(r.find("wiring-report").Text(), "Created the OUT rule of "+trains.SeedSensorID(1, 1)) {
		t.Fatalf("fix one: %d %d problems, report %q", r.Code, r.find("wiring-problem").Length(), r.find("wiring-report").Text())
	}
	// the same click again (a stale page): nothing is done twice
	r = hs.do("POST", "/rules/wiring/fix", url.Values{"key": {key}}, targetWiring)
	if !strings.Contains(r.find("wiring-report").Text(), "no longer there") || r.find("wiring-problem").Length() != 5 {
		t.Fatalf("second click: %q", r.find("wiring-report").Text())
	}
	// fix all: five lines, then clean
	r = hs.do("POST", "/rules/wiring/fix-all", url.Values{}, targetWiring)
	if n := r.find("wiring-report-line").Length(); n != 5 || r.find("wiring-clean").Length() != 1 {
		t.Fatalf("fix all: %d report lines, clean=%d: %s", n, r.find("wiring-clean").Length(), r.find("wiring-panel").Text())
	}
	for _, line := range []string{"Deleted rule", "Pointed rule", "Switched rule", "off."} {
		if !strings.Contains(r.find("wiring-report").Text(), line) {
			t.Errorf("the report does not say %q: %s", line, r.find("wiring-report").Text())
		}
	}
	// every fix left a snapshot behind
	latest, _ := st.Latest(ctx, "1")
	if len(latest) < 6 {
		t.Fatalf("%d rules with history after six fixes", len(latest))
	}
}
