package sqltest

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"portalgraph/internal/sqlstore"
)

func TestMain(m *testing.M) { Main(m) }

// Many holders at once never hold more than the slots.
func TestSlotsAreExclusive(t *testing.T) {
	t.Parallel()
	l := newLedger(&slotSet{dir: t.TempDir(), n: 3}, time.Minute)
	var holding, most atomic.Int32
	var wg sync.WaitGroup
	for i := range 12 {
		wg.Go(func() {
			for j := range 10 {
				release, err := l.take(fmt.Sprintf("T%d-%d", i, j))
				if err != nil {
					t.Error(err)
					return
				}
				n := holding.Add(1)
				for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
				}
				time.Sleep(time.Millisecond)
				holding.Add(-1)
				release()
			}
		})
	}
	wg.Wait()
	if got := most.Load(); got != 3 {
		t.Errorf("at most %d held at once, want 3", got)
	}
}

const slotChildEnv = "SQLTEST_SLOT_CHILD"

// TestSlotChild is another process for TestSlotsAcrossProcesses: it tries
// for a slot of two and says whether it got one; told to hold it, it
// holds it until it is killed.
func TestSlotChild(t *testing.T) {
	mode, dir, ok := strings.Cut(os.Getenv(slotChildEnv), ":")
	if !ok {
		t.Skip("run by TestSlotsAcrossProcesses")
	}
	f, err := (&slotSet{dir: dir, n: 2}).try()
	switch {
	case err != nil:
		t.Fatal(err)
	case f == nil:
		fmt.Println("none")
	case mode == "hold":
		fmt.Println("held")
		select {}
	default:
		fmt.Println("got")
	}
}

// Slots are shared with other processes, and a killed process's slot is
// free again.
func TestSlotsAcrossProcesses(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := &slotSet{dir: dir, n: 2}
	child := func(mode string) (*exec.Cmd, *bufio.Scanner) {
		cmd := exec.Command(os.Args[0], "-test.run=^TestSlotChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), slotChildEnv+"="+mode+":"+dir)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := bufio.NewScanner(out)
		lines.Scan()
		return cmd, lines
	}
	try := func() string {
		cmd, lines := child("try")
		_ = cmd.Wait()
		return lines.Text()
	}
	take := func() *os.File {
		f, err := s.try()
		if err != nil || f == nil {
			t.Fatalf("no slot here: %v", err)
		}
		return f
	}

	a, b := take(), take()
	if got := try(); got != "none" {
		t.Errorf("with both slots held here, another process %q", got)
	}
	_ = a.Close()
	if got := try(); got != "got" {
		t.Errorf("with a slot free, another process %q", got)
	}
	_ = b.Close()

	holder, lines := child("hold")
	if lines.Text() != "held" {
		t.Fatalf("the holding process said %q", lines.Text())
	}
	first := take()
	defer first.Close()
	if f, _ := s.try(); f != nil {
		_ = f.Close()
		t.Fatal("took the slot another process holds")
	}
	_ = holder.Process.Kill()
	_ = holder.Wait()
	take().Close() // the kernel dropped the killed process's lock
}

// A test, or one under it, that asks for a second database while it holds
// one fails at once: waiting, it could wait for itself.
func TestLedgerRefusesASecondDatabase(t *testing.T) {
	t.Parallel()
	l := newLedger(&slotSet{dir: t.TempDir(), n: 4}, time.Minute)
	release, err := l.take("TestA/postgres")
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	for _, name := range []string{"TestA/postgres", "TestA/postgres/sub"} {
		if _, err := l.take(name); err == nil || !strings.Contains(err.Error(), "while TestA/postgres holds one") {
			t.Errorf("%s: %v", name, err)
		}
	}
	for _, name := range []string{"TestA/postgres#01", "TestA/sqlite", "TestAB/postgres"} {
		r, err := l.take(name)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		r()
	}
}

// A wait that lasts too long fails, naming who holds the slots.
func TestLedgerWaitEnds(t *testing.T) {
	t.Parallel()
	l := newLedger(&slotSet{dir: t.TempDir(), n: 1}, 100*time.Millisecond)
	release, err := l.take("TestHolder")
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	if _, err := l.take("TestWaiter"); err == nil || !strings.Contains(err.Error(), "this process holds TestHolder (for") {
		t.Errorf("waiting for a held slot: %v", err)
	}
}

// The ledger notices a pool with more connections than its slots allow.
func TestLedgerNoticesExcess(t *testing.T) {
	t.Parallel()
	l := newLedger(&slotSet{dir: t.TempDir(), n: 2}, time.Minute)
	release, err := l.take("TestPool")
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "pool.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	defer l.watch(db)()
	for i := range PoolConns + 1 {
		c, err := db.Conn(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		l.check()
		if excess := l.excessSeen(); (excess != "") != (i == PoolConns) {
			t.Fatalf("with %d connections open under one slot, excess %q", i+1, excess)
		}
	}
}

const manyEnv = "SQLTEST_MANY_DATABASES"

// TestManyDatabasesAtOnce is the other process of
// TestConnectionsStayWithinTheBound: twice as many tests as there
// are slots, all at once, each busying every connection its pool would
// open if Open allowed the 16 it asks for.
func TestManyDatabasesAtOnce(t *testing.T) {
	if os.Getenv(manyEnv) == "" {
		t.Skip("run by TestConnectionsStayWithinTheBound")
	}
	for i := range 2 * Slots {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			t.Parallel()
			s := Open(t, "postgres", sqlstore.WithMaxConns(16))
			var wg sync.WaitGroup
			for range 16 {
				wg.Go(func() {
					if _, err := s.DB().ExecContext(t.Context(), "SELECT pg_sleep(0.05)"); err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
		})
	}
}

// The bound holds: a test process with many tests wanting a database at
// once, far more than there are slots, keeps to the slots this one leaves
// it, counted by the server.
func TestConnectionsStayWithinTheBound(t *testing.T) {
	t.Parallel()
	s := Open(t, "postgres") // one slot, and the connection that counts
	cmd := exec.Command(os.Args[0], "-test.run=^TestManyDatabasesAtOnce$", "-test.parallel=16", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), manyEnv+"=1")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	name := fmt.Sprintf("%s%d", testPrefix, cmd.Process.Pid)
	peak := 0
	for running := true; running; {
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("the other process: %v\n%s", err, out.String())
			}
			running = false
		case <-time.After(5 * time.Millisecond):
			var n int
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
			err := s.DB().GetContext(ctx, &n, `SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = $1`, name)
			cancel()
			if err != nil {
				t.Fatal(err)
			}
			peak = max(peak, n)
		}
	}
	if limit := PoolConns * (Slots - 1); peak > limit {
		t.Errorf("the other process held %d connections at once; its share of the bound is %d", peak, limit)
	}
	t.Logf("the other process held at most %d connections", peak)
}
