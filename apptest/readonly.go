package apptest

import (
	"os"
	"os/exec"
	"testing"
)

// MakeReadOnly makes an SQLite database file and its -wal and -shm
// companions unwritable under a running process and returns the undo (also
// run at the end of the test). Mode bits do not stop a file descriptor that
// is already open, nor root, so the files are made immutable (chattr +i);
// that needs root and a file system with the attribute, else the test is
// skipped.
func MakeReadOnly(t testing.TB, db string) (undo func()) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root (chattr +i) to make an open file read-only")
	}
	if _, err := exec.LookPath("chattr"); err != nil {
		t.Skip("chattr not installed (e2fsprogs)")
	}
	var done []string
	undo = func() {
		for _, f := range done {
			_ = exec.Command("chattr", "-i", f).Run()
		}
		done = nil
	}
	t.Cleanup(undo)
	for _, f := range []string{db, db + "-wal", db + "-shm"} {
		if _, err := os.Stat(f); err != nil {
			continue
		}
		if out, err := exec.Command("chattr", "+i", f).CombinedOutput(); err != nil {
			undo()
			t.Skipf("chattr +i unsupported here: %v %s", err, out)
		}
		done = append(done, f)
	}
	return undo
}
