package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jmoiron/sqlx"
)

// CPU time is steadier than throughput on a shared machine: a run slowed
// by a neighbour serves fewer requests, but each costs about the same. The
// bench reads two clocks around each measured window.

// processCPU is the CPU time, user and system, of this process: the
// servers alone, since the load generator runs in its own process.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// pgBackends reads the CPU time of the PostgreSQL backends serving this
// process's pool, found by the application_name the pool connects with
// (other processes may use the same database). It reads /proc, so it needs
// PostgreSQL on this machine; otherwise its figures are absent.
type pgBackends struct {
	db  *sqlx.DB
	app string
}

// pgSnapshot is the CPU time of each backend, by pid.
type pgSnapshot map[int]time.Duration

func (b pgBackends) snapshot(ctx context.Context) (pgSnapshot, error) {
	var pids []int
	if err := b.db.SelectContext(ctx, &pids, `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1`, b.app); err != nil {
		return nil, err
	}
	snap := pgSnapshot{}
	for _, pid := range pids {
		if cpu, err := backendCPU(pid); err == nil {
			snap[pid] = cpu
		} // else it has just exited, or PostgreSQL runs elsewhere
	}
	if len(snap) == 0 {
		return nil, fmt.Errorf("no PostgreSQL backend readable in /proc (%d listed)", len(pids))
	}
	return snap, nil
}

// since is the CPU time the backends spent after before. A backend that
// started since counts whole (its start-up served the run); one that exited
// since is missing from after and its time is lost: gone counts those.
func (after pgSnapshot) since(before pgSnapshot) (cpu time.Duration, gone int) {
	for pid, t := range after {
		cpu += t - before[pid]
	}
	for pid := range before {
		if _, ok := after[pid]; !ok {
			gone++
		}
	}
	return cpu, gone
}

// backendCPU is a process's time on the CPU: from /proc/PID/schedstat in
// nanoseconds, or else utime+stime from /proc/PID/stat in clock ticks
// (1/100 s on Linux), too coarse to read per backend over a short run.
func backendCPU(pid int) (time.Duration, error) {
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/schedstat", pid)); err == nil {
		if f := strings.Fields(string(b)); len(f) > 0 {
			if ns, err := strconv.ParseInt(f[0], 10, 64); err == nil {
				return time.Duration(ns), nil
			}
		}
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command, field 2, is in parentheses and may hold spaces; utime
	// and stime are fields 14 and 15.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: too few fields", pid)
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%d/stat: bad times", pid)
	}
	const tick = 10 * time.Millisecond // USER_HZ
	return time.Duration(utime+stime) * tick, nil
}

// meter reads, around a measured window, what the serving side spent:
// statements, this process's CPU time and its backends' CPU time.
type meter struct {
	statements func() int64
	pg         pgBackends
	reads      *measuredAudit
	pgErr      error // why backends are not measured, once it is known
	gone       int   // backends that exited during a window, over all runs

	statements0 int64
	cpu0        time.Duration
	pg0         pgSnapshot
	// the deltas of the last window
	dStatements int64
	dCPU, dPG   time.Duration
}

func (m *meter) start(ctx context.Context) {
	m.reads.record()
	m.statements0 = m.statements()
	m.cpu0 = processCPU()
	if m.pgErr == nil {
		m.pg0, m.pgErr = m.pg.snapshot(ctx)
	}
}

func (m *meter) stop(ctx context.Context) {
	m.reads.write(ctx)
	m.dCPU = processCPU() - m.cpu0
	m.dStatements = m.statements() - m.statements0
	m.dPG = -1
	if m.pgErr == nil {
		after, err := m.pg.snapshot(ctx)
		if err != nil {
			m.pgErr = err
			return
		}
		var gone int
		m.dPG, gone = after.since(m.pg0)
		m.gone += gone
	}
}

// fill sets the per-request figures of a run from the last window.
// Requests in flight at either edge of the window are not counted in
// res.Requests; the error in each ratio is at most clients/requests.
func (m *meter) fill(res *result) {
	if res.Requests == 0 {
		return
	}
	n := float64(res.Requests)
	res.statements = float64(m.dStatements) / n
	res.serverCPU = time.Duration(float64(m.dCPU) / n)
	res.pgCPU = -1
	if m.dPG >= 0 {
		res.pgCPU = time.Duration(float64(m.dPG) / n)
	}
}
