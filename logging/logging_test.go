package logging

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
)

func TestRequestIDOnEveryContextLine(t *testing.T) {
	var buf bytes.Buffer
	log := New(&buf, JSON)
	ctx := WithRequestID(context.Background(), "req-42")
	log.InfoContext(ctx, "one")
	log.With("part", "x").WarnContext(ctx, "two", "n", 2)
	slog.New(log.Handler()).WithGroup("g").ErrorContext(ctx, "three", "k", "v")
	log.Info("no context")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 4 {
		t.Fatalf("%d lines", len(lines))
	}
	for i, l := range lines {
		var rec map[string]any
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatalf("line %d not JSON: %s", i, l)
		}
		id, _ := rec["request_id"].(string)
		if i < 3 && id != "req-42" && !strings.Contains(l, `"request_id":"req-42"`) {
			t.Errorf("line %d lacks the request id: %s", i, l)
		}
		if i == 3 && strings.Contains(l, "request_id") {
			t.Errorf("line without a request has an id: %s", l)
		}
	}
}

func TestTextFormat(t *testing.T) {
	var buf bytes.Buffer
	New(&buf, Text).InfoContext(WithRequestID(context.Background(), "abc"), "hello")
	if got := buf.String(); !strings.Contains(got, "msg=hello") || !strings.Contains(got, "request_id=abc") {
		t.Fatalf("text line %q", got)
	}
	if DefaultFormat(&buf) != JSON {
		t.Fatal("a buffer is not a terminal: JSON expected")
	}
}

func TestSaneRequestID(t *testing.T) {
	for id, want := range map[string]bool{
		"abc-123": true, "7f9c2ba4e88f827d": true, "a.b_c:d": true, "": false,
		strings.Repeat("a", 65): false, "a b": false, "a\nlevel=ERROR": false, `"quoted"`: false, "한글": false,
	} {
		if got := SaneRequestID(id); got != want {
			t.Errorf("SaneRequestID(%q) = %v", id, got)
		}
	}
	if a, b := NewRequestID(), NewRequestID(); a == b || !SaneRequestID(a) {
		t.Fatalf("ids %q %q", a, b)
	}
}
