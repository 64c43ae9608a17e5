package thingplus_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/thingplus/thingplus-webapp/thingplus"
	"github.com/thingplus/thingplus-webapp/thingplus/sandbox"
)

// manageSandbox is the real sandbox whose seeded app client holds scopes.
func manageSandbox(t *testing.T, scopes ...string) (*sandbox.Sandbox, *thingplus.Client) {
	t.Helper()
	opts := sandbox.Options{SimulatorPace: -1, Seed: 11, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if scopes != nil {
		opts.App = sandbox.AppClient{ID: "webapp-test", Secret: "s3cret", Name: "webapp test", Scopes: scopes}
	}
	sb := sandbox.New(opts)
	t.Cleanup(sb.Close)
	srv := httptest.NewServer(sb.Handler())
	t.Cleanup(srv.Close)
	c, err := thingplus.New(srv.URL + "/v2")
	if err != nil {
		t.Fatal(err)
	}
	return sb, c
}

func tokenFor(t *testing.T, sb *sandbox.Sandbox, uid string) string {
	t.Helper()
	tok, err := sb.TokenFor(uid)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func wantStatus(t *testing.T, what string, err error, status int, code string) *thingplus.Error {
	t.Helper()
	te, ok := err.(*thingplus.Error)
	if !ok || te.Status != status || te.Code != code {
		t.Fatalf("%s: err = %v, want %d %s", what, err, status, code)
	}
	return te
}

func TestSandboxGatewayLifecycle(t *testing.T) {
	sb, c := manageSandbox(t, thingplus.AppScopes()...)
	tok := tokenFor(t, sb, "1")
	ctx := context.Background()

	sites, err := c.Sites(ctx, tok)
	if err != nil || len(sites) != 1 || sites[0].ID != "1" || sites[0].Name != "default" || sites[0].Ctime.Time().IsZero() {
		t.Fatalf("sites = %+v, %v", sites, err)
	}
	gw, err := c.RegisterGateway(ctx, tok, thingplus.Registration{ID: "0123456789abcdef0123456789abcdef",
		SiteID: "1", Model: "6", Name: "가상 <b>gw</b>", ReportInterval: 2 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	// 201 with times as numbers and the emulator device and sensors embedded
	if gw.ID != "0123456789abcdef0123456789abcdef" || gw.Name != "가상 <b>gw</b>" || gw.Model != "6" || !bool(gw.Virtual) ||
		gw.Interval() != 2*time.Minute || gw.Ctime <= 0 || len(gw.Sensors.Items) != 2 || len(gw.Devices.Items) != 1 {
		t.Fatalf("registered = %+v", gw)
	}
	got, err := c.Gateway(ctx, tok, gw.ID, thingplus.Query{})
	if err != nil || got.Name != gw.Name || got.Site != "1" {
		t.Fatalf("read back = %+v, %v", got, err)
	}

	name := "Renamed 잠실"
	up, err := c.UpdateGateway(ctx, tok, gw.ID, thingplus.GatewayUpdate{Name: &name})
	if err != nil || up.Name != name || up.ID != gw.ID {
		t.Fatalf("update = %+v, %v", up, err)
	}
	if err := c.SetReportInterval(ctx, tok, gw.ID, 15*time.Minute); err != nil {
		t.Fatal(err)
	}
	got, _ = c.Gateway(ctx, tok, gw.ID, thingplus.Query{})
	if got.Name != name || got.Interval() != 15*time.Minute {
		t.Errorf("after changes = %q %v", got.Name, got.Interval())
	}
	// the client refuses out-of-range intervals before calling
	if err := c.SetReportInterval(ctx, tok, gw.ID, 30*time.Second); !thingplus.IsKind(err, thingplus.KindInvalid) {
		t.Errorf("30 s interval: %v", err)
	}

	// duplicate id → 409, unknown model → 404
	_, err = c.RegisterGateway(ctx, tok, thingplus.Registration{ID: gw.ID, SiteID: "1", Model: "6", Name: "again"})
	wantStatus(t, "duplicate", err, http.StatusConflict, "CONFLICT")
	_, err = c.RegisterGateway(ctx, tok, thingplus.Registration{ID: "feed01", SiteID: "1", Model: "999", Name: "x"})
	wantStatus(t, "unknown model", err, http.StatusNotFound, "NOT_FOUND")
	// someone else's gateway
	err = c.DeleteGateway(ctx, tok, "b827ebd0a0ff")
	wantStatus(t, "other's gateway", err, http.StatusForbidden, "ACCESSGROUP_DENY")
	if thingplus.IsScopeDenied(err) {
		t.Error("ACCESSGROUP_DENY taken for a scope refusal")
	}

	if err := c.DeleteGateway(ctx, tok, gw.ID); err != nil {
		t.Fatal(err)
	}
	_, err = c.Gateway(ctx, tok, gw.ID, thingplus.Query{})
	if !thingplus.IsKind(err, thingplus.KindNotFound) {
		t.Errorf("after delete: %v", err)
	}
	if err := c.DeleteGateway(ctx, tok, "../users/me"); !thingplus.IsKind(err, thingplus.KindNotFound) {
		t.Errorf("path id: %v", err)
	}
}

func TestSandboxRegisterOverPlan(t *testing.T) {
	sb, c := manageSandbox(t, thingplus.AppScopes()...)
	u, err := sb.CreateUser("trial-gw", "trial@example.com", "Trial", "pw")
	if err != nil {
		t.Fatal(err)
	}
	tok := tokenFor(t, sb, u.ID)
	ctx := context.Background()
	for _, id := range []string{"aa01", "aa02"} {
		if _, err := c.RegisterGateway(ctx, tok, thingplus.Registration{ID: id, SiteID: "1", Model: "6", Name: id}); err != nil {
			t.Fatalf("%s: %v", id, err)
		}
	}
	_, err = c.RegisterGateway(ctx, tok, thingplus.Registration{ID: "aa03", SiteID: "1", Model: "6", Name: "third"})
	te := wantStatus(t, "third gateway", err, thingplus.StatusBilling, "BILLING")
	if !thingplus.IsBilling(err) || thingplus.IsBilling(nil) || te.Kind == thingplus.KindUnavailable {
		t.Errorf("471 = %+v", te)
	}
}

func TestSandboxManageScopes(t *testing.T) {
	sb, c := manageSandbox(t, "gateway-read", "user-profile-read")
	tok := tokenFor(t, sb, "1")
	ctx := context.Background()
	_, err := c.Sites(ctx, tok)
	wantStatus(t, "sites", err, http.StatusForbidden, "ACL_DENY")
	_, err = c.RegisterGateway(ctx, tok, thingplus.Registration{ID: "bb01", SiteID: "1", Model: "6", Name: "x"})
	wantStatus(t, "register", err, http.StatusForbidden, "ACL_DENY")
	name := "x"
	_, err = c.UpdateGateway(ctx, tok, "b827ebd0a002", thingplus.GatewayUpdate{Name: &name})
	wantStatus(t, "rename", err, http.StatusForbidden, "ACL_DENY")
	err = c.SetReportInterval(ctx, tok, "b827ebd0a002", 5*time.Minute)
	wantStatus(t, "interval", err, http.StatusForbidden, "ACL_DENY")
	err = c.DeleteGateway(ctx, tok, "b827ebd0a002")
	if !thingplus.IsScopeDenied(err) || !thingplus.IsKind(err, thingplus.KindForbidden) {
		t.Errorf("delete: %v", err)
	}
	// reads still work with gateway-read
	if _, err := c.Gateway(ctx, tok, "b827ebd0a002", thingplus.Query{}); err != nil {
		t.Errorf("read: %v", err)
	}
}

func TestCachedInvalidateAfterWrites(t *testing.T) {
	sb, c := manageSandbox(t, thingplus.AppScopes()...)
	tok := tokenFor(t, sb, "1")
	other := tokenFor(t, sb, "2")
	cc := thingplus.NewCached(c, thingplus.CacheOptions{TTL: time.Hour})
	ctx := context.Background()
	q := thingplus.Query{Embed: []string{"status"}}
	before, err := cc.AllGateways(ctx, tok, q)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cc.AllGateways(ctx, other, q); err != nil {
		t.Fatal(err)
	}
	if cc.Len() != 2 {
		t.Fatalf("entries = %d", cc.Len())
	}
	gw, err := cc.RegisterGateway(ctx, tok, thingplus.Registration{ID: "cc01", SiteID: "1", Model: "6", Name: "fresh"})
	if err != nil {
		t.Fatal(err)
	}
	if cc.Len() != 1 {
		t.Errorf("after register: %d entries (the other user's must stay)", cc.Len())
	}
	after, _ := cc.AllGateways(ctx, tok, q)
	if len(after) != len(before)+1 {
		t.Errorf("list after register: %d, before %d", len(after), len(before))
	}
	name := "renamed"
	if _, err := cc.UpdateGateway(ctx, tok, gw.ID, thingplus.GatewayUpdate{Name: &name}); err != nil {
		t.Fatal(err)
	}
	if g, _ := cc.Gateway(ctx, tok, gw.ID, thingplus.Query{}); g.Name != name {
		t.Errorf("name after update = %q", g.Name)
	}
	if err := cc.SetReportInterval(ctx, tok, gw.ID, 3*time.Minute); err != nil {
		t.Fatal(err)
	}
	if g, _ := cc.Gateway(ctx, tok, gw.ID, thingplus.Query{}); g.Interval() != 3*time.Minute {
		t.Errorf("interval after set = %v", g.Interval())
	}
	if err := cc.DeleteGateway(ctx, tok, gw.ID); err != nil {
		t.Fatal(err)
	}
	if final, _ := cc.AllGateways(ctx, tok, q); len(final) != len(before) {
		t.Errorf("list after delete: %d", len(final))
	}
	if sites, err := cc.Sites(ctx, tok); err != nil || len(sites) != 1 {
		t.Errorf("cached sites = %v, %v", sites, err)
	}
	if n := cc.Invalidate("no such token"); n != 0 {
		t.Errorf("invalidated %d entries of nobody", n)
	}
}
