// Package apptest starts the real parts the integration and end-to-end
// tests need: a memcached process, the Thing+ sandbox over HTTP, and a
// browser-like HTTP client that shows every redirect.
package apptest

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Memcached is a real memcached process on a loopback port.
type Memcached struct {
	t    testing.TB
	Addr string
	cmd  *exec.Cmd
}

// StartMemcached starts memcached on a free port and stops it when the
// test ends. It fails the test when memcached is not installed.
func StartMemcached(t testing.TB) *Memcached {
	t.Helper()
	if _, err := exec.LookPath("memcached"); err != nil {
		t.Fatalf("memcached is not installed (Debian: apt-get install memcached; `go tool task deps` does it)")
	}
	m := &Memcached{t: t, Addr: "127.0.0.1:" + strconv.Itoa(freePort(t))}
	m.Start()
	t.Cleanup(m.Kill)
	return m
}

// Start (re)starts the process on the same port.
func (m *Memcached) Start() {
	m.t.Helper()
	_, port, _ := net.SplitHostPort(m.Addr)
	m.cmd = exec.Command("memcached", "-l", "127.0.0.1", "-p", port, "-U", "0", "-m", "16", "-u", "root")
	if err := m.cmd.Start(); err != nil {
		m.t.Fatalf("start memcached: %v", err)
	}
	waitListening(m.t, m.Addr)
}

// Kill ends the process at once (kill -9).
func (m *Memcached) Kill() {
	if m.cmd == nil || m.cmd.Process == nil {
		return
	}
	_ = m.cmd.Process.Kill()
	_ = m.cmd.Wait()
	m.cmd = nil
}

// Pause freezes the process (SIGSTOP): connections hang, as with a
// memcached that stopped answering.
func (m *Memcached) Pause() {
	_ = m.cmd.Process.Signal(syscall.SIGSTOP)
	// Signals are delivered asynchronously: wait until the kernel reports
	// the process stopped, so the next request surely meets a hung server.
	stat := fmt.Sprintf("/proc/%d/stat", m.cmd.Process.Pid)
	for i := 0; i < 200; i++ {
		b, err := os.ReadFile(stat)
		if err != nil || strings.Contains(string(b), ") T ") {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Resume continues a paused process.
func (m *Memcached) Resume() { _ = m.cmd.Process.Signal(syscall.SIGCONT) }

// freePort finds a port for a process the test starts later. It picks from
// below Linux's ephemeral range (32768–60999): a port the kernel handed out
// for ":0" is just as likely to be taken, between our check and the child's
// bind, as the local end of any outgoing connection of a parallel test.
func freePort(t testing.TB) int {
	t.Helper()
	for range 200 {
		port := 20000 + rand.IntN(12000)
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			continue
		}
		ln.Close()
		return port
	}
	t.Fatal("no free port between 20000 and 32000")
	return 0
}

func waitListening(t testing.TB, addr string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond)
		if err == nil {
			c.Close()
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s did not start listening", addr)
}

// FreeAddr is a free loopback host:port.
func FreeAddr(t testing.TB) string { return fmt.Sprintf("127.0.0.1:%d", freePort(t)) }
