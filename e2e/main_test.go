package e2e

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// Set once by TestMain, read-only afterwards.
var (
	binPath    string // the app binary under test
	chromePath string // the browser
	repoRoot   string // where go.mod is
	outDir     string // test-output/ at the repository root
)

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(setup(m))
}

func setup(m *testing.M) int {
	if testing.Short() {
		fmt.Println("e2e: skipped in -short mode")
		return 0
	}
	var err error
	if repoRoot, err = findRoot(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	outDir = filepath.Join(repoRoot, "test-output")
	if chromePath, err = findChromium(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	tmp, err := os.MkdirTemp("", "thingplus-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(tmp)
	if binPath = os.Getenv("E2E_BIN"); binPath == "" {
		binPath = filepath.Join(tmp, "thingplus-webapp")
		if err := buildApp(binPath); err != nil {
			fmt.Fprintln(os.Stderr, "e2e:", err)
			return 1
		}
	}
	return m.Run()
}

// buildApp builds the real binary from the repository root, as users get
// it (without -race: the suite's own code runs with it).
func buildApp(out string) error {
	start := time.Now()
	cmd := exec.Command("go", "build", "-o", out, ".")
	cmd.Dir = repoRoot
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build of the app failed: %v\n%s", err, b)
	}
	fmt.Printf("e2e: built the app in %s\n", time.Since(start).Round(time.Millisecond))
	return nil
}

func findRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.mod not found above the test directory")
		}
		dir = parent
	}
}

// findChromium returns the browser to drive, or an error that names the
// package to install.
func findChromium() (string, error) {
	if p := os.Getenv("E2E_CHROMIUM"); p != "" {
		return p, nil
	}
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("chromium is not installed: the end-to-end tests need Debian's `chromium` " +
		"and `fonts-noto-cjk` packages (apt-get install chromium fonts-noto-cjk, or `go tool task deps` as root)")
}
