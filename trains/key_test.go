package trains

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
)

func TestLoadOrCreateKey(t *testing.T) {
	dir := t.TempDir()
	k, err := LoadOrCreateKey(dir, "")
	if err != nil || len(k) != 64 {
		t.Fatalf("key %d chars, %v", len(k), err)
	}
	fi, err := os.Stat(filepath.Join(dir, KeyFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, %v", fi.Mode(), err)
	}
	k2, _ := LoadOrCreateKey(dir, "")
	if k2 != k {
		t.Fatal("key changed on reload")
	}
	if k3, _ := LoadOrCreateKey(dir, "  from-the-environment-123  "); k3 != "from-the-environment-123" {
		t.Fatalf("env key not preferred: %q", k3)
	}
	if _, err := LoadOrCreateKey(dir, "short"); err == nil {
		t.Fatal("short env key accepted")
	}
	// A world-readable key file is tightened.
	os.Chmod(filepath.Join(dir, KeyFile), 0o644)
	LoadOrCreateKey(dir, "")
	if fi, _ := os.Stat(filepath.Join(dir, KeyFile)); fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode not fixed: %v", fi.Mode())
	}
	// Concurrent first starts agree on one key.
	dir2 := t.TempDir()
	var wg sync.WaitGroup
	keys := make([]string, 8)
	for i := range keys {
		wg.Go(func() { keys[i], _ = LoadOrCreateKey(dir2, "") })
	}
	wg.Wait()
	for _, k := range keys {
		if k != keys[0] || k == "" {
			t.Fatalf("keys differ: %v", keys)
		}
	}
	// A corrupt (empty) file is an error, not a silent new key.
	dir3 := t.TempDir()
	os.WriteFile(filepath.Join(dir3, KeyFile), nil, 0o600)
	if _, err := LoadOrCreateKey(dir3, ""); err == nil {
		t.Fatal("empty key file accepted")
	}
	entries, _ := os.ReadDir(dir2)
	if len(entries) != 1 {
		t.Fatalf("temp files left: %v", entries)
	}
}
