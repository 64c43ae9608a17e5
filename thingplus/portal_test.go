package thingplus_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/thingplus/thingplus-webapp/thingplus"
	"github.com/thingplus/thingplus-webapp/thingplus/sandbox"
)

func portalSandbox(t *testing.T) string {
	t.Helper()
	sb := sandbox.New(sandbox.Options{SimulatorPace: -1, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	srv := httptest.NewServer(sb.Handler())
	t.Cleanup(func() { srv.Close(); sb.Close() })
	return srv.URL + "/v2"
}

func TestPortalAuthClients(t *testing.T) {
	base := portalSandbox(t)
	ctx := context.Background()
	p, err := thingplus.NewPortal(base)
	if err != nil {
		t.Fatal(err)
	}

	// Before login: 401 KindUnauthorized.
	if _, err := p.AuthClients(ctx); !thingplus.IsKind(err, thingplus.KindUnauthorized) {
		t.Fatalf("before login: %v", err)
	}
	err = p.Login(ctx, "demo", "wrong")
	if !errors.Is(err, thingplus.ErrWrongCredentials) || !thingplus.NeedsSignIn(err) {
		t.Fatalf("wrong password: %v", err)
	}
	if err := p.Login(ctx, "demo", "demo"); err != nil {
		t.Fatal(err)
	}

	nc := thingplus.NewAuthClient{ReqID: "p-app", ClientSecret: "sec", Name: "P app 잠실", Scopes: thingplus.AppScopes(),
		RedirectURIs: []string{"http://localhost:3000/auth/callback"}}
	c, err := p.CreateAuthClient(ctx, nc)
	if err != nil {
		t.Fatal(err)
	}
	if c.ID != "p-app" || c.ClientSecret != "sec" || c.Owner != "1" || c.Ctime.Time().IsZero() || len(c.Scopes) != len(thingplus.AppScopes()) || len(c.RedirectURIs) != 1 {
		t.Fatalf("created %+v", c)
	}
	if _, err := p.CreateAuthClient(ctx, nc); !thingplus.IsKind(err, thingplus.KindConflict) {
		t.Fatalf("duplicate: %v", err)
	}
	bad := nc
	bad.ReqID, bad.Name, bad.Scopes = "p2", "P2", []string{"root"}
	var te *thingplus.Error
	if _, err := p.CreateAuthClient(ctx, bad); !errors.As(err, &te) || te.Kind != thingplus.KindInvalid || te.Code != "SCHEMA_VALIDATE" {
		t.Fatalf("unknown scope: %v", err)
	}
	// Nil scopes are sent as [] (the API requires the key).
	none := thingplus.NewAuthClient{ReqID: "p3", ClientSecret: "s", Name: "P3"}
	if c, err := p.CreateAuthClient(ctx, none); err != nil || len(c.Scopes) != 0 {
		t.Fatalf("no scopes: %+v %v", c, err)
	}

	list, err := p.AuthClients(ctx)
	if err != nil || len(list) != 2 {
		t.Fatalf("list: %v %v", list, err)
	}
	got, err := p.AuthClient(ctx, "p-app")
	if err != nil || got.Name != "P app 잠실" || got.Ctime != c.Ctime {
		t.Fatalf("get: %+v %v", got, err)
	}
	if _, err := p.AuthClient(ctx, "../users/me"); !thingplus.IsKind(err, thingplus.KindInvalid) {
		t.Fatalf("path-changing id: %v", err)
	}
	if err := p.DeleteAuthClient(ctx, "p-app"); err != nil {
		t.Fatal(err)
	}
	if err := p.DeleteAuthClient(ctx, "p-app"); !thingplus.IsKind(err, thingplus.KindNotFound) {
		t.Fatalf("delete twice: %v", err)
	}

	// Another account's client: 403.
	q, _ := thingplus.NewPortal(base)
	if err := q.Login(ctx, "other", "other"); err != nil {
		t.Fatal(err)
	}
	if err := q.DeleteAuthClient(ctx, "p3"); !thingplus.IsKind(err, thingplus.KindForbidden) {
		t.Fatalf("another's client: %v", err)
	}
	scopes, err := q.AuthScopes(ctx)
	if err != nil || len(scopes) != 15 || scopes[1].ID != "user-profile-read" || scopes[1].Desc == "" {
		t.Fatalf("scopes: %v %v", scopes, err)
	}

	if err := p.Logout(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := p.AuthClients(ctx); !thingplus.IsKind(err, thingplus.KindUnauthorized) {
		t.Fatalf("after logout: %v", err)
	}
}

func TestPortalUnreachable(t *testing.T) {
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close()
	p, _ := thingplus.NewPortal("http://"+addr+"/v2", thingplus.WithTimeout(2*time.Second))
	var e *thingplus.Error
	err := p.Login(context.Background(), "demo", "demo")
	if !errors.As(err, &e) || e.Kind != thingplus.KindUnavailable || e.Status != 0 {
		t.Fatalf("unreachable: %v", err)
	}
}

func TestPasswordMD5(t *testing.T) {
	if got := thingplus.PasswordMD5("demo"); got != "fe01ce2a7fbac8fafaed7c982a04e229" {
		t.Fatalf("md5(demo) = %s", got)
	}
}
