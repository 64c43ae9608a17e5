package main

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/thingplus/thingplus-webapp/apptest"
	"github.com/thingplus/thingplus-webapp/lastvisit"
	"github.com/thingplus/thingplus-webapp/rulehistory"
	"github.com/thingplus/thingplus-webapp/trains"
)

// `trains export | trains import` moves what lives in the trains database
// besides the trains: the rule history and the last-visit marks.
func TestTrainsExportImportCarriesRuleHistoryAndVisits(t *testing.T) {
	if apptest.PostgresBin() == "" {
		t.Skip("PostgreSQL is not installed")
	}
	ctx := context.Background()
	dir := t.TempDir()
	t0 := time.UnixMilli(1_700_000_000_000)
	clock := t0
	now := func() time.Time { return clock }
	gw := map[string][2]string{"gw1": {"Gateway 1", "on"}}

	src, err := trains.Open(ctx, dir, trains.Options{})
	if err != nil {
		t.Fatal(err)
	}
	hist, err := rulehistory.Open(ctx, src.DB(), now)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := hist.Record(ctx, rulehistory.Version{Account: "7", RuleID: "r1", RuleName: "crowding", Action: rulehistory.Update,
		Actor: "demo", Body: json.RawMessage(`{"name":"crowding"}`)})
	if err != nil {
		t.Fatal(err)
	}
	visits, err := lastvisit.Open(ctx, src.DB(), now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := visits.Touch(ctx, "7", gw); err != nil {
		t.Fatal(err)
	}
	src.Close()

	env := map[string]string{"DATA_DIR": dir}
	getenv := func(k string) string { return env[k] }
	var out, errOut bytes.Buffer
	if rc := runTrains(ctx, []string{"export"}, getenv, nil, &out, &errOut); rc != 0 {
		t.Fatalf("export: %d %s", rc, errOut.String())
	}
	pg, err := apptest.StartPostgres()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pg.Stop)
	if env["DATABASE_URL"], err = pg.NewDatabase(ctx); err != nil {
		t.Fatal(err)
	}
	errOut.Reset()
	if rc := runTrains(ctx, []string{"import"}, getenv, &out, nil, &errOut); rc != 0 {
		t.Fatalf("import: %d %s", rc, errOut.String())
	}

	dst, err := trains.Open(ctx, t.TempDir(), trains.Options{DatabaseURL: env["DATABASE_URL"]})
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	hist2, err := rulehistory.Open(ctx, dst.DB(), now)
	if err != nil {
		t.Fatal(err)
	}
	vs, err := hist2.Versions(ctx, "7", "r1")
	if err != nil || len(vs) != 1 || vs[0].ID != rec.ID || vs[0].RuleName != "crowding" || string(vs[0].Body) != `{"name":"crowding"}` {
		t.Fatalf("rule history after import: %+v %v", vs, err)
	}
	visits2, err := lastvisit.Open(ctx, dst.DB(), now)
	if err != nil {
		t.Fatal(err)
	}
	clock = t0.Add(time.Hour) // a new visit: its summary starts at the imported mark
	v, err := visits2.Touch(ctx, "7", nil)
	if err != nil || v.First || !v.Previous.Equal(t0) || v.Gateways["gw1"] != gw["gw1"] {
		t.Fatalf("last visit after import: %+v %v", v, err)
	}
}
