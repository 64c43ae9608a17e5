package main

import (
	"encoding/csv"
	"io"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/thingplus/thingplus-webapp/apptest"
	"github.com/thingplus/thingplus-webapp/handlers/web"
	"github.com/thingplus/thingplus-webapp/thingplus"
	"github.com/thingplus/thingplus-webapp/thingplus/sandbox"
)

// zoneStack is the real wiring against a sandbox the test holds, whose demo
// account has tz as its Thing+ time zone, signed in as demo.
func zoneStack(t *testing.T, tz string) (*stack, *sandbox.Sandbox, *apptest.Browser) {
	t.Helper()
	sbAddr := apptest.FreeAddr(t)
	sb := sandbox.New(sandbox.Options{BaseURL: "http://" + sbAddr, SimulatorPace: -1,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		App:    sandbox.AppClient{ID: "ops-test-app", Secret: opsClientSecret, Name: "Thing+ webapp", Scopes: thingplus.AppScopes()}})
	t.Cleanup(sb.Close)
	if err := sb.SetTimezone("demo", tz); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", sbAddr)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: sb.Handler()}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	mc := apptest.StartMemcached(t)
	// THINGPLUS_URL at SANDBOX_ADDR: the app treats it as its sandbox (the
	// seeded trains) but runs none of its own.
	s := startStack(t, map[string]string{"MEMCACHED_SERVERS": mc.Addr, "SANDBOX_ADDR": sbAddr, "THINGPLUS_URL": "http://" + sbAddr + "/v2"})
	b := apptest.NewBrowser(t)
	s.signIn(b)
	return s, sb, b
}

// A user without a time zone in Thing+ reads every page in Asia/Seoul, not
// UTC: every <time> carries +09:00 and the zone is named KST. And the sensor
// CSV and the trains CSV print the very same string for the same instant.
func TestTimesWithoutThingplusZone(t *testing.T) {
	s, sb, b := zoneStack(t, "")
	const door = "b827ebd0a001-1-door1"
	if code := s.push("/api/trigger/"+door+"/IN", opsWebhookKey, `{"event":"tz-1"}`); code != 204 {
		t.Fatalf("push: %d", code)
	}
	// The trains CSV's row for that push, then a Thing+ value at its instant.
	r := b.Get(s.app + "/trains/events.csv?train=1000")
	rows, err := csv.NewReader(strings.NewReader(r.Body)).ReadAll()
	if r.StatusCode != 200 || err != nil || len(rows) < 2 {
		t.Fatalf("trains csv: %d %v %q", r.StatusCode, err, r.Body)
	}
	var trainsTime string
	for _, row := range rows[1:] {
		if row[4] == door && row[5] == "IN" {
			trainsTime = row[1]
		}
	}
	at, err := time.Parse(web.CSVTimeLayout, trainsTime)
	if err != nil || !strings.HasSuffix(trainsTime, "+09:00") {
		t.Fatalf("trains csv time %q (%v), want Asia/Seoul's offset", trainsTime, err)
	}
	if err := sb.PushValue(door, "1", at); err != nil {
		t.Fatalf("sandbox value at %v: %v", at, err)
	}
	r = b.Get(s.app + "/gateways/b827ebd0a001/sensors/" + door + "/series.csv?range=hour")
	rows, err = csv.NewReader(strings.NewReader(r.Body)).ReadAll()
	if r.StatusCode != 200 || err != nil {
		t.Fatalf("sensor csv: %d %v %q", r.StatusCode, err, r.Body)
	}
	sensorTime := ""
	for _, row := range rows[1:] {
		if row[1] == strconv.FormatInt(at.UnixMilli(), 10) {
			sensorTime = row[0]
		}
	}
	if sensorTime != trainsTime {
		t.Fatalf("same instant: sensor csv %q, trains csv %q", sensorTime, trainsTime)
	}

	// Every page kind: times carry +09:00, the zone is named KST, never UTC.
	for _, path := range []string{"/", "/gateways", "/gateways/b827ebd0a001", "/gateways/b827ebd0a001/sensors/" + door,
		"/rules", "/events", "/rules/history", "/trains", "/trains/events", "/trains/1000/history"} {
		r := b.Get(s.app + path)
		if r.StatusCode != 200 {
			t.Errorf("%s: %d", path, r.StatusCode)
			continue
		}
		d, err := goquery.NewDocumentFromReader(strings.NewReader(r.Body))
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		d.Find("time[datetime]").Each(func(_ int, tm *goquery.Selection) {
			dt := tm.AttrOr("datetime", "")
			if _, err := time.Parse(time.RFC3339, dt); err == nil && !strings.HasSuffix(dt, "+09:00") {
				t.Errorf("%s: <time datetime=%q> is not in Asia/Seoul", path, dt)
			}
			n++
		})
		text := d.Find("main").Text()
		if loc := utcNamed.FindStringIndex(text); loc != nil {
			t.Errorf("%s names UTC: %q", path, around(text, loc[0]))
		}
		if n > 0 && !strings.Contains(text, "KST") && !strings.Contains(r.Body, "KST") {
			t.Errorf("%s: %d times, the zone never named", path, n)
		}
	}
}

// utcNamed finds UTC named as the zone of times: "Time (UTC)", the
// chart's "UTC+0", a time followed by "UTC" ("UTC+9" beside KST is fine).
var utcNamed = regexp.MustCompile(`\(UTC\)|UTC\+0\b|UTC\+00:00|\d UTC\b`)

// around is s near i, for a failure message.
func around(s string, i int) string {
	return s[max(0, i-60):min(len(s), i+60)]
}
