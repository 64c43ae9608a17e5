package main

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/thingplus/thingplus-webapp/apptest"
)

func TestBadConfigExitsWithStatus2AndOneLine(t *testing.T) {
	var out, errOut bytes.Buffer
	env := map[string]string{"PORT": "nope"}
	code := run(context.Background(), nil, func(k string) string { return env[k] }, nil, &out, &errOut)
	if code != 2 {
		t.Fatalf("exit %d, want 2", code)
	}
	lines := strings.Split(strings.TrimSpace(errOut.String()), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], "PORT") {
		t.Fatalf("stderr %q", errOut.String())
	}
}

func TestUnknownCommandIsUsage(t *testing.T) {
	var errOut bytes.Buffer
	if code := run(context.Background(), []string{"frobnicate"}, func(string) string { return "" }, nil, &bytes.Buffer{}, &errOut); code != 2 {
		t.Fatalf("exit %d", code)
	}
}

// TestServeStartsAppAndSandbox runs the real wiring with no configuration
// but ports, and stops it gracefully.
func TestServeStartsAppAndSandbox(t *testing.T) {
	appAddr, sbAddr := apptest.FreeAddr(t), apptest.FreeAddr(t)
	port := appAddr[strings.LastIndex(appAddr, ":")+1:]
	env := map[string]string{"PORT": port, "SANDBOX_ADDR": sbAddr, "DATA_DIR": t.TempDir(), "PUBLIC_URL": "http://" + appAddr}
	ctx, cancel := context.WithCancel(context.Background())
	var logs syncBuffer
	done := make(chan int)
	start := time.Now()
	go func() { done <- run(ctx, nil, func(k string) string { return env[k] }, nil, &logs, &logs) }()
	waitOK(t, "http://"+appAddr+"/healthz")
	t.Logf("start-up to healthy: %v", time.Since(start))
	waitOK(t, "http://"+sbAddr+"/healthz")
	resp, err := http.Get("http://" + appAddr + "/readyz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("readyz: %v %v", err, resp)
	}
	resp.Body.Close()
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit %d: %s", code, logs.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("no graceful shutdown")
	}
	for _, want := range []string{"http://" + appAddr, "demo"} {
		if !strings.Contains(logs.String(), want) {
			t.Fatalf("log lacks %q:\n%s", want, logs.String())
		}
	}
}

func waitOK(t *testing.T, u string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(u); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s never answered 200", u)
}
