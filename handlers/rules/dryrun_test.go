package rules

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/thingplus/thingplus-webapp/thingplus"
)

const climateTemp = "b827ebd0a002-0-temperature"

// hotForm is an e-mail rule on the climate gateway's temperature: over 1000
// (the seeded history never gets there).
func hotForm() map[string][]string {
	return with(validForm(), "name", "Too hot", "t.gateway", "b827ebd0a002", "t.sensor", climateTemp,
		"t.method", "over", "t.degree", "1000", "a0.kind", "email", "a0.to", "ops@example.com",
		"a0.subject", "{{value}}", "a0.dir", "\x00", "op", "dryrun", "dry.window", "hour")
}

// fireN pushes n hot values (and cooler ones between) into the sandbox and
// waits until its engine has written n timeline entries for rule id.
func (hs *harness) fireN(id string, n int) {
	hs.t.Helper()
	at := time.Now()
	for i := range n {
		for _, v := range []string{strconv.Itoa(1001 + i), "20"} {
			at = at.Add(time.Millisecond)
			if err := hs.sb.PushValue(climateTemp, v, at); err != nil {
				hs.t.Fatal(err)
			}
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		page, err := hs.c.Timelines(context.Background(), hs.token, thingplus.TimelineQuery{Count: 100})
		if err != nil {
			hs.t.Fatal(err)
		}
		got := 0
		for _, e := range page.Entries {
			if e.Rule.ID == id {
				got++
			}
		}
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			hs.t.Fatalf("the sandbox fired rule %s %d times, want %d", id, got, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestDryRunShowsWhatTheSandboxFired(t *testing.T) {
	hs := newHarness(t)
	hs.h.WithDryRun(hs.c)
	// save the rule through the form, make the sandbox fire it 3 times
	r := hs.do("POST", "/rules", with(hotForm(), "op", "save"), "-")
	if r.Code != http.StatusNoContent {
		t.Fatalf("save: %d %s", r.Code, r.Body)
	}
	var id string
	rules, _ := hs.c.ListRules(context.Background(), hs.token)
	for _, x := range rules {
		if x.Name == "Too hot" {
			id = x.ID
		}
	}
	hs.fireN(id, 3)
	// the values were stamped a few ms ahead of the clock: end the period after them
	hs.h.now = func() time.Time { return time.Now().Add(time.Minute) }

	// the edit form's dry-run, as htmx sends it: only the result comes back
	r = hs.do("POST", "/rules/"+id, hotForm(), targetDryRun)
	if r.Code != http.StatusOK || r.page() {
		t.Fatalf("dry-run: %d page=%v %s", r.Code, r.page(), r.Body)
	}
	if got := r.find("dry-count").Text(); got != "3" {
		t.Fatalf("dry-run counted %q firings, the sandbox fired 3: %s", got, r.Body)
	}
	if n := r.find("dry-mark").Length(); n != 3 {
		t.Fatalf("%d marks on the timeline, want 3", n)
	}
	if got := r.find("dry-action").Text(); !strings.Contains(got, "E-mails: 3") {
		t.Fatalf("actions %q, want E-mails: 3", got)
	}
	// 3 e-mails in an hour is ~2160 a month: over the trial quota
	if r.find("dry-quota").Length() != 1 {
		t.Fatalf("no quota warning: %s", r.Body)
	}
	// the same on the create form, without JavaScript: the whole page, input kept
	r = hs.do("POST", "/rules", hotForm(), "")
	if r.Code != http.StatusOK || !r.page() || r.find("dry-count").Text() != "3" {
		t.Fatalf("no-JS dry-run: %d %s", r.Code, r.find("dry-count").Text())
	}
	if v, _ := r.doc.Find(`input[name="name"]`).Attr("value"); v != "Too hot" {
		t.Fatalf("the typed name was lost: %q", v)
	}
	// a lower threshold over the day also counts the seeded history's values
	r = hs.do("POST", "/rules/"+id, with(hotForm(), "t.degree", "1001", "dry.window", "day"), targetDryRun)
	if got := r.find("dry-count").Text(); got != "2" {
		t.Fatalf("over 1001: %q firings, want 2", got)
	}
}

func TestDryRunBadInputAndUnknownAgents(t *testing.T) {
	hs := newHarness(t)
	hs.h.WithDryRun(hs.c)
	// a form error: the whole form comes back with the message and the input
	r := hs.do("POST", "/rules", with(hotForm(), "t.degree", "hot"), targetDryRun)
	if r.Code != http.StatusUnprocessableEntity || r.Header().Get("HX-Retarget") != "#rule-form" {
		t.Fatalf("bad degree: %d retarget %q", r.Code, r.Header().Get("HX-Retarget"))
	}
	if r.find("err-t.degree").Length() != 1 || r.find("dry-invalid").Length() != 1 {
		t.Fatalf("no field error: %s", r.Body)
	}
	// a trigger agent the evaluator does not know: said, not guessed
	raw := `{"name":"odd","severity":"information","timezone":"+9.00","status":"activated",
	 "trigger":{"agent":"schedule","type":"schedule","method":{"id":"cron","params":{}},"filter":{"type":["schedule"]}},
	 "conditions":[[]],"actions":[[{"agent":"email","type":"email","method":{"id":"send","params":{"to":"a@b.c","subject":"x"}}}]]}`
	r = hs.do("POST", "/rules", map[string][]string{"tab": {"advanced"}, "raw": {raw}, "op": {"dryrun"}}, targetDryRun)
	if r.Code != http.StatusOK || !strings.Contains(r.find("dry-unjudgeable").Text(), `"schedule"`) {
		t.Fatalf("unknown agent: %d %s", r.Code, r.Body)
	}
	if r.find("dry-count").Length() != 0 {
		t.Fatal("an unjudgeable rule got a count")
	}
}
