package sqltest

import (
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// The bound on PostgreSQL connections. `go test ./...` runs a test binary
// per package, several at once, each running tests in parallel; unbounded,
// they held 60 to 90 connections, most of them idle in the pools of tests
// waiting for their turn, and a server shared with other clients ran out.
// So every connection the tests make is covered by a slot: one test
// database with at most PoolConns connections at a time (its store's
// pool; the admin connection that creates and drops it, closed after each
// use; once per process, the template's migration). The test processes of
// one user on one machine that use one server share Slots slots, through
// files in os.TempDir, so together they hold at most MaxConns connections.
const (
	PoolConns = 4
	Slots     = 7
	MaxConns  = PoolConns * Slots
)

// slotWait is how long a test waits for a slot before it fails. Slots
// turn over in seconds; a wait this long means a test holds one while it
// cannot run (see DEVELOPERS.md).
const slotWait = 3 * time.Minute

// slotSet is a counting semaphore across processes: slot i is an
// exclusive flock(2) on file i of a folder. Each lock is on its own open
// file, so holders in one process exclude each other as holders in
// different processes do, and the kernel releases a killed process's
// locks: a run that dies leaves nothing held.
type slotSet struct {
	dir string
	n   int
}

// slotsFor returns the slots of the tests on this machine that use the
// server a URL names.
func slotsFor(serverURL string, n int) *slotSet {
	server := "default"
	if u, err := url.Parse(serverURL); err == nil && u.Host != "" {
		server = u.Host
	}
	server = regexp.MustCompile(`[^A-Za-z0-9.]+`).ReplaceAllString(server, "-")
	return &slotSet{dir: filepath.Join(os.TempDir(), fmt.Sprintf("portalgraph-test-slots-%d-%s", os.Getuid(), server)), n: n}
}

// try takes a free slot, or returns nil when all are taken.
func (s *slotSet) try() (*os.File, error) {
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return nil, err
	}
	// Start anywhere, so waiters do not all contend for slot 0.
	for _, i := range rand.Perm(s.n) {
		f, err := os.OpenFile(filepath.Join(s.dir, strconv.Itoa(i)), os.O_RDONLY|os.O_CREATE, 0o644)
		if err != nil {
			return nil, err
		}
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return f, nil
		}
		_ = f.Close()
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, err
		}
	}
	return nil, nil
}

// ledger is this process's part of the bound: the slots it holds, the
// tests holding them, and the connection pools the slots cover, which it
// checks against the slots every few milliseconds.
type ledger struct {
	slots *slotSet
	wait  time.Duration

	mu    sync.Mutex
	held  map[string]time.Time // holder (a test's name) → since when
	pools map[*sql.DB]bool
	// excess describes the first time the pools held more than
	// PoolConns connections per slot held.
	excess string
}

func newLedger(slots *slotSet, wait time.Duration) *ledger {
	return &ledger{slots: slots, wait: wait, held: map[string]time.Time{}, pools: map[*sql.DB]bool{}}
}

// take waits for a slot for the named holder and returns its release. A
// test holds one database at a time: one that asks while it, or a test
// it runs under, holds a slot fails at once rather than wait for a slot
// it may be keeping from itself.
func (l *ledger) take(name string) (release func(), err error) {
	deadline := time.Now().Add(l.wait)
	for {
		l.mu.Lock()
		if h := l.holderAbove(name); h != "" {
			l.mu.Unlock()
			return nil, fmt.Errorf("%s asks for a second PostgreSQL test database while %s holds one; "+
				"a test holds one at a time (open another in a subtest, after the first one's subtest ends)", name, h)
		}
		f, err := l.slots.try()
		if f != nil {
			l.held[name] = time.Now()
		}
		l.mu.Unlock()
		if err != nil {
			return nil, fmt.Errorf("take a PostgreSQL test slot in %s: %w", l.slots.dir, err)
		}
		if f != nil {
			return func() {
				l.mu.Lock()
				delete(l.held, name)
				l.mu.Unlock()
				_ = f.Close() // closing the file drops its lock
			}, nil
		}
		if time.Now().After(deadline) {
			l.mu.Lock()
			defer l.mu.Unlock()
			return nil, fmt.Errorf("%s waited %v for one of the %d PostgreSQL test slots (%s); this process holds %s. "+
				"A test that holds a database while it waits to run (it opened it before t.Parallel, or it runs "+
				"parallel subtests) keeps its slot from the tests that hold the turns it waits for",
				name, l.wait, l.slots.n, l.slots.dir, l.holders())
		}
		time.Sleep(time.Duration(10+rand.IntN(20)) * time.Millisecond)
	}
}

// holderAbove returns the holder that is the named test or a test it
// runs under, if any.
func (l *ledger) holderAbove(name string) string {
	for h := range l.held {
		if name == h || strings.HasPrefix(name, h+"/") {
			return h
		}
	}
	return ""
}

func (l *ledger) holders() string {
	if len(l.held) == 0 {
		return "none"
	}
	var out []string
	for h, since := range l.held {
		out = append(out, fmt.Sprintf("%s (for %v)", h, time.Since(since).Round(time.Second)))
	}
	slices.Sort(out)
	return strings.Join(out, ", ")
}

// watch adds a pool to those the slots cover, until the returned func.
func (l *ledger) watch(db *sql.DB) (unwatch func()) {
	l.mu.Lock()
	l.pools[db] = true
	l.mu.Unlock()
	return func() {
		l.mu.Lock()
		delete(l.pools, db)
		l.mu.Unlock()
	}
}

// check records an excess if the watched pools hold more connections
// than the slots held allow. A slot is taken before any of its
// connections opens and released after the last one closed, and both
// happen under l.mu, so a count taken under it is exact enough to trust.
func (l *ledger) check() {
	l.mu.Lock()
	defer l.mu.Unlock()
	open := 0
	for db := range l.pools {
		open += db.Stats().OpenConnections
	}
	if open > PoolConns*len(l.held) && l.excess == "" {
		l.excess = fmt.Sprintf("%d PostgreSQL connections open with %d test slots held (at most %d each); holders: %s",
			open, len(l.held), PoolConns, l.holders())
	}
}

// watchdog checks the bound every 10 ms for as long as the process runs.
func (l *ledger) watchdog() {
	for range time.Tick(10 * time.Millisecond) {
		l.check()
	}
}

// excessSeen is the first excess check found, or "".
func (l *ledger) excessSeen() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.excess
}

// conns is this process's ledger, made on first use.
var conns = sync.OnceValue(func() *ledger {
	l := newLedger(slotsFor(postgresURL(), Slots), slotWait)
	go l.watchdog()
	return l
})
