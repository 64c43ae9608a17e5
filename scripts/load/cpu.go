package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// clockTick is Linux's USER_HZ, the unit of the times in /proc/*/stat.
const clockTick = 10 * time.Millisecond

// cpuMeter reads the CPU time used so far by this process (server and
// senders alike) and by a PostgreSQL server's processes: on two shared
// cores, CPU per push says more than pushes/s on a busy machine.
type cpuMeter struct {
	pgPID    int   // 0: no PostgreSQL
	appPIDs  []int // the app's own processes (-binary); none: the app runs in this one
	proxyPID int   // HAProxy in front of them, 0: none
}

type cpuTimes struct{ self, app, proxy, pg time.Duration }

func (m cpuMeter) read() cpuTimes {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	t := cpuTimes{self: time.Duration(ru.Utime.Nano() + ru.Stime.Nano())}
	for _, pid := range m.appPIDs {
		t.app += procTime(pid)
	}
	if m.proxyPID != 0 {
		t.proxy = procTime(m.proxyPID)
	}
	if m.pgPID == 0 {
		return t
	}
	// The postmaster and its children (backends, WAL writer, …): the
	// app's connections stay open, so their times only grow.
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, f := range stats {
		pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(f)))
		if ppid, cpu, ok := procStat(f); ok && (pid == m.pgPID || ppid == m.pgPID) {
			t.pg += cpu
		}
	}
	return t
}

// procTime is a process's user and system time so far.
func procTime(pid int) time.Duration {
	_, cpu, _ := procStat("/proc/" + strconv.Itoa(pid) + "/stat")
	return cpu
}

// procStat reads a /proc/<pid>/stat file: the parent's pid and the user and
// system time so far ("pid (comm) state ppid … utime stime": fields 4, 14
// and 15; comm may hold spaces, hence the last ')').
func procStat(path string) (ppid int, cpu time.Duration, ok bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, 0, false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, 0, false
	}
	fs := strings.Fields(s[i+1:])
	if len(fs) < 13 {
		return 0, 0, false
	}
	ppid, _ = strconv.Atoi(fs[1])
	u, _ := strconv.ParseInt(fs[11], 10, 64)
	st, _ := strconv.ParseInt(fs[12], 10, 64)
	return ppid, time.Duration(u+st) * clockTick, true
}

// perPush formats the CPU used between a and b per push, in microseconds.
func perPush(a, b cpuTimes, pushes int64) string {
	if pushes == 0 {
		return ""
	}
	us := func(d time.Duration) float64 { return float64(d.Microseconds()) / float64(pushes) }
	s := "CPU per push: load process (server and senders) " + strconv.FormatFloat(us(b.self-a.self), 'f', 0, 64) + " µs"
	if b.app > 0 {
		s = "CPU per push: app process(es) " + strconv.FormatFloat(us(b.app-a.app), 'f', 0, 64) + " µs, load process (senders) " +
			strconv.FormatFloat(us(b.self-a.self), 'f', 0, 64) + " µs"
	}
	if b.proxy > 0 {
		s += ", HAProxy " + strconv.FormatFloat(us(b.proxy-a.proxy), 'f', 0, 64) + " µs"
	}
	if b.pg > 0 {
		s += ", PostgreSQL " + strconv.FormatFloat(us(b.pg-a.pg), 'f', 0, 64) + " µs"
	}
	return s
}
