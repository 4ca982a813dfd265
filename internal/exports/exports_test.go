package exports_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"portalgraph/internal/blobstore"
	"portalgraph/internal/exports"
	"portalgraph/internal/portal"
	"portalgraph/internal/sqlstore"
	"portalgraph/internal/sqlstore/sqltest"
)

func TestMain(m *testing.M) { sqltest.Main(m) }

func TestDefuse(t *testing.T) {
	in := []string{"=SUM(A1)", "+1", "-2", "@cmd", "\tx", "\rx", "plain", "", "a=b", " =x", "'quoted"}
	want := []string{"'=SUM(A1)", "'+1", "'-2", "'@cmd", "'\tx", "'\rx", "plain", "", "a=b", " =x", "'quoted"}
	if got := exports.Defuse(in); !slices.Equal(got, want) {
		t.Errorf("Defuse(%q) = %q, want %q", in, got, want)
	}
	if in[0] != "=SUM(A1)" {
		t.Error("Defuse changed its input")
	}
}

// world is one test's database, fixture, bucket and pool.
type world struct {
	store *sqlstore.Store
	f     *sqltest.Fixture
	blobs *blobstore.Store
	pool  *exports.Pool
	logs  *bytes.Buffer // what the pool logged; RunOnce logs as it runs
	// queue is what the pool works on.
	queue queue
}

// queue is the pool's queue: the store, unless a test wraps it.
type queue = exports.Queue

func run(t *testing.T, fn func(t *testing.T, w *world), wrap ...func(queue) queue) {
	t.Helper()
	t.Parallel()
	sqltest.Run(t, func(t *testing.T, s *sqlstore.Store) {
		blobs, err := blobstore.Open(t.Context(), "mem://")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = blobs.Close() })
		w := &world{store: s, f: sqltest.LoadFixture(t, s), blobs: blobs, logs: &bytes.Buffer{}}
		w.queue = s
		for _, fn := range wrap {
			w.queue = fn(w.queue)
		}
		w.pool = exports.NewPool(w.queue, blobs, sqltest.EveryField, slog.New(slog.NewTextHandler(w.logs, nil)), exports.Options{Lease: time.Hour})
		exec(t, s, "UPDATE clients SET portal_exports = TRUE WHERE id = ?", w.f.A.ID)
		fn(t, w)
	})
}

func exec(t *testing.T, s *sqlstore.Store, query string, args ...any) {
	t.Helper()
	if _, err := s.DB().ExecContext(t.Context(), s.DB().Rebind(query), args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

func (w *world) request(t *testing.T, p portal.Principal, clientID *string, kind portal.ExportKind) *portal.Export {
	t.Helper()
	from, _ := portal.ParseDate("2026-01-01")
	to, _ := portal.ParseDate("2026-12-31")
	e, err := w.store.RequestExport(t.Context(), p, portal.RequestExportInput{ClientID: clientID, Kind: kind, From: from, To: to})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func (w *world) runOnce(t *testing.T) bool {
	t.Helper()
	did, err := w.pool.RunOnce(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return did
}

// export reads a job as staff see it.
func (w *world) export(t *testing.T, id string) *portal.Export {
	t.Helper()
	got, err := w.store.ExportsByID(t.Context(), sqltest.Staff(w.f.Owner), []string{id})
	if err != nil || len(got) != 1 {
		t.Fatalf("export %s: %v %v", id, got, err)
	}
	return got[0]
}

// filesOf lists the file rows of an export.
func (w *world) filesOf(t *testing.T, exportID string) []*portal.File {
	t.Helper()
	var ids []string
	db := w.store.DB()
	if err := db.SelectContext(t.Context(), &ids, db.Rebind("SELECT id FROM files WHERE export_id = ?"), exportID); err != nil {
		t.Fatal(err)
	}
	files, err := w.store.FilesByID(t.Context(), sqltest.Staff(w.f.Owner), ids)
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// csvOf reads the CSV of a finished export from the bucket.
func (w *world) csvOf(t *testing.T, f *portal.File) [][]string {
	t.Helper()
	r, err := w.blobs.Open(t.Context(), f.BlobKey)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	raw, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	if len(raw) != f.Size {
		t.Errorf("file size %d, bytes %d", f.Size, len(raw))
	}
	rows, err := csv.NewReader(bytes.NewReader(raw)).ReadAll()
	if err != nil {
		t.Fatalf("not a CSV: %v\n%s", err, raw)
	}
	return rows
}

func TestPoolBuildsExports(t *testing.T) {
	run(t, func(t *testing.T, w *world) {
		f := w.f
		// A title crafted as a formula reaches the CSV as text.
		exec(t, w.store, "UPDATE deliverables SET title = ? WHERE id = ?", "=HYPERLINK(\"http://evil\")", f.DShared.ID)
		byAnn := w.request(t, sqltest.Portal(f.AActive), nil, portal.ExportKindDeliverables)
		byOwner := w.request(t, sqltest.Staff(f.Owner), &f.A.ID, portal.ExportKindDeliverables)
		if !w.runOnce(t) || !w.runOnce(t) {
			t.Fatal("a waiting job was not run")
		}
		if w.runOnce(t) {
			t.Fatal("ran a job from an empty queue")
		}
		for _, c := range []struct {
			e          *portal.Export
			visibility portal.Visibility
			rows       int
		}{
			// The contact's CSV leaves out the internal deliverable and
			// the one of an internal project.
			{byAnn, portal.VisibilityShared, 1},
			{byOwner, portal.VisibilityInternal, 3},
		} {
			e := w.export(t, c.e.ID)
			files := w.filesOf(t, e.ID)
			if e.Status != portal.ExportStatusDone || e.FinishedAt == nil || len(files) != 1 || *e.FileID != files[0].ID {
				t.Fatalf("export %+v with files %v", e, files)
			}
			file := files[0]
			if file.Visibility != c.visibility || file.Name != "deliverables-2026-01-01-to-2026-12-31.csv" || file.ContentType != "text/csv; charset=utf-8" || len(file.Sha256) != 64 {
				t.Errorf("file %+v", file)
			}
			rows := w.csvOf(t, file)
			if len(rows) != 1+c.rows || rows[0][0] != "deliverable_id" {
				t.Errorf("CSV of %d rows, want a header and %d: %v", len(rows), c.rows, rows)
			}
			var titles []string
			for _, r := range rows[1:] {
				titles = append(titles, r[2])
			}
			if !slices.Contains(titles, "'=HYPERLINK(\"http://evil\")") {
				t.Errorf("titles %q: the formula is not defused", titles)
			}
		}
	})
}

// TestPoolRebuildsAfterCrash: a worker wrote the CSV's bytes and died
// before finishing the job. Once its lease runs out the job is built
// again and ends done, with one file.
func TestPoolRebuildsAfterCrash(t *testing.T) {
	run(t, func(t *testing.T, w *world) {
		ctx := t.Context()
		e := w.request(t, sqltest.Staff(w.f.Owner), &w.f.A.ID, portal.ExportKindApprovals)
		job, err := w.store.ClaimExport(ctx, time.Hour)
		if err != nil || job == nil {
			t.Fatalf("claim: %v %v", job, err)
		}
		if _, err := w.blobs.Put(ctx, job.WorkspaceID+"/exports/"+job.ID+"/crashed.csv", bytes.NewReader([]byte("half,")), 1<<20); err != nil {
			t.Fatal(err)
		}
		// Held: no other worker takes it.
		if w.runOnce(t) {
			t.Fatal("a job under lease was run again")
		}
		exec(t, w.store, "UPDATE exports SET lease_until = ? WHERE id = ?", time.Now().UTC().Add(-time.Second), e.ID)
		if !w.runOnce(t) {
			t.Fatal("the abandoned job was not taken over")
		}
		got := w.export(t, e.ID)
		files := w.filesOf(t, e.ID)
		if got.Status != portal.ExportStatusDone || got.Attempts != 2 || len(files) != 1 || *got.FileID != files[0].ID {
			t.Fatalf("after the crash: %+v, files %v", got, files)
		}
		if rows := w.csvOf(t, files[0]); len(rows) != 3 || rows[0][0] != "approval_id" {
			t.Errorf("rebuilt CSV %v", rows)
		}
	})
}

// failingFinish fails FinishExport after recording the file it was given.
type failingFinish struct {
	exports.Queue
	err   error
	given []*portal.File
	// before runs before FinishExport fails, e.g. to take the job over.
	before func()
}

func (q *failingFinish) FinishExport(ctx context.Context, job *portal.Export, f *portal.File) error {
	q.given = append(q.given, f)
	if q.before != nil {
		q.before()
		return q.Queue.FinishExport(ctx, job, f)
	}
	return q.err
}

func TestPoolDropsBytesOfUnfinishedExports(t *testing.T) {
	run(t, func(t *testing.T, w *world) {
		q := w.queue.(*failingFinish)
		e := w.request(t, sqltest.Staff(w.f.Owner), &w.f.A.ID, portal.ExportKindApprovals)
		if !w.runOnce(t) {
			t.Fatal("no job ran")
		}
		if len(q.given) != 1 {
			t.Fatalf("FinishExport called %d times", len(q.given))
		}
		if ok, err := w.blobs.Exists(t.Context(), q.given[0].BlobKey); err != nil || ok {
			t.Errorf("the bytes of an unfinished export stay: %v %v", ok, err)
		}
		// The database failed: the job waits for another attempt. Staff
		// read that it failed on the server; the log has why.
		got := w.export(t, e.ID)
		if got.Status != portal.ExportStatusQueued || got.Error == nil || strings.Contains(*got.Error, "database went away") || len(w.filesOf(t, e.ID)) != 0 {
			t.Errorf("job after a failed finish: %+v", got)
		}
		if logs := w.logs.String(); !strings.Contains(logs, "database went away") || !strings.Contains(logs, e.ID) {
			t.Errorf("the log lacks the cause or the export:\n%s", logs)
		}
	}, func(inner queue) queue {
		return &failingFinish{Queue: inner, err: errors.New("database went away")}
	})
}

// TestPoolLosingItsLease: the worker's lease ran out while it built the
// CSV and another worker took the job over. The late worker drops its
// bytes and leaves the job to the other.
func TestPoolLosingItsLease(t *testing.T) {
	run(t, func(t *testing.T, w *world) {
		q := w.queue.(*failingFinish)
		e := w.request(t, sqltest.Staff(w.f.Owner), &w.f.A.ID, portal.ExportKindApprovals)
		var other *portal.Export
		q.before = func() {
			exec(t, w.store, "UPDATE exports SET lease_until = ? WHERE id = ?", time.Now().UTC().Add(-time.Second), e.ID)
			var err error
			if other, err = w.store.ClaimExport(t.Context(), time.Hour); err != nil || other == nil {
				t.Fatalf("take over: %v %v", other, err)
			}
		}
		if !w.runOnce(t) {
			t.Fatal("no job ran")
		}
		if ok, err := w.blobs.Exists(t.Context(), q.given[0].BlobKey); err != nil || ok {
			t.Errorf("the late worker's bytes stay: %v %v", ok, err)
		}
		got := w.export(t, e.ID)
		if got.Status != portal.ExportStatusRunning || got.Attempts != 2 || len(w.filesOf(t, e.ID)) != 0 {
			t.Errorf("the late worker changed the job: %+v", got)
		}
	}, func(inner queue) queue {
		return &failingFinish{Queue: inner}
	})
}

// TestPoolFailsExportsTheRequesterCannotSee: the contact's access was
// suspended after they asked; the export fails at once, with no file.
func TestPoolFailsExportsTheRequesterCannotSee(t *testing.T) {
	run(t, func(t *testing.T, w *world) {
		e := w.request(t, sqltest.Portal(w.f.AActive), nil, portal.ExportKindApprovals)
		exec(t, w.store, "UPDATE contacts SET portal_status = 'SUSPENDED' WHERE id = ?", w.f.AActive.ID)
		if !w.runOnce(t) {
			t.Fatal("no job ran")
		}
		got := w.export(t, e.ID)
		if got.Status != portal.ExportStatusFailed || got.Attempts != 1 || got.FileID != nil || got.Error == nil || len(w.filesOf(t, e.ID)) != 0 {
			t.Errorf("export of a suspended contact: %+v", got)
		}
	})
}

// TestPoolRunStops: Run works the queue until its context ends.
func TestPoolRunStops(t *testing.T) {
	run(t, func(t *testing.T, w *world) {
		e := w.request(t, sqltest.Staff(w.f.Owner), &w.f.A.ID, portal.ExportKindActivity)
		pool := exports.NewPool(w.store, w.blobs, sqltest.EveryField, slog.New(slog.NewTextHandler(io.Discard, nil)), exports.Options{Workers: 3, Every: 10 * time.Millisecond})
		ctx, cancel := context.WithCancel(t.Context())
		stopped := make(chan struct{})
		go func() {
			pool.Run(ctx)
			close(stopped)
		}()
		deadline := time.Now().Add(10 * time.Second)
		for w.export(t, e.ID).Status != portal.ExportStatusDone {
			if time.Now().After(deadline) {
				t.Fatal("the running pool did not build the export")
			}
			time.Sleep(10 * time.Millisecond)
		}
		cancel()
		select {
		case <-stopped:
		case <-time.After(10 * time.Second):
			t.Fatal("Run did not return after its context ended")
		}
	})
}

// TestPoolFailsOversizeExports: a CSV over the limit fails at once, with
// no file.
func TestPoolFailsOversizeExports(t *testing.T) {
	run(t, func(t *testing.T, w *world) {
		e := w.request(t, sqltest.Staff(w.f.Owner), &w.f.A.ID, portal.ExportKindDeliverables)
		pool := exports.NewPool(w.store, w.blobs, sqltest.EveryField, slog.New(slog.NewTextHandler(io.Discard, nil)), exports.Options{MaxBytes: 64})
		if did, err := pool.RunOnce(t.Context()); !did || err != nil {
			t.Fatalf("RunOnce: %v %v", did, err)
		}
		got := w.export(t, e.ID)
		want := "the export is over the size limit of 64 bytes: ask for a shorter range"
		if got.Status != portal.ExportStatusFailed || got.Attempts != 1 || got.Error == nil || *got.Error != want || len(w.filesOf(t, e.ID)) != 0 {
			t.Errorf("oversize export: %+v", got)
		}
	})
}

// stuckWrite never finishes writing a CSV until its context ends.
type stuckWrite struct {
	exports.Queue
	started chan struct{}
}

func (q *stuckWrite) WriteExport(ctx context.Context, _ *portal.Export, _ portal.SchemaHas, _ func([]string) error) error {
	close(q.started)
	<-ctx.Done()
	return ctx.Err()
}

// TestPoolStopReleasesJobsInHand: a pool told to stop gives the job in
// hand its grace period, then releases it for another attempt rather than
// leave it to wait out its lease.
func TestPoolStopReleasesJobsInHand(t *testing.T) {
	run(t, func(t *testing.T, w *world) {
		e := w.request(t, sqltest.Staff(w.f.Owner), &w.f.A.ID, portal.ExportKindApprovals)
		q := &stuckWrite{Queue: w.store, started: make(chan struct{})}
		pool := exports.NewPool(q, w.blobs, sqltest.EveryField, slog.New(slog.NewTextHandler(io.Discard, nil)), exports.Options{Workers: 1, Every: 10 * time.Millisecond, Grace: 50 * time.Millisecond})
		ctx, cancel := context.WithCancel(t.Context())
		stopped := make(chan struct{})
		go func() {
			pool.Run(ctx)
			close(stopped)
		}()
		select {
		case <-q.started:
		case <-time.After(10 * time.Second):
			t.Fatal("the job did not start")
		}
		cancel()
		select {
		case <-stopped:
		case <-time.After(10 * time.Second):
			t.Fatal("Run did not return after the grace period")
		}
		got := w.export(t, e.ID)
		if got.Status != portal.ExportStatusQueued || got.Attempts != 1 || got.Error == nil {
			t.Errorf("job in hand when the pool stopped: %+v", got)
		}
	})
}

// lostAnswer finishes the job but reports an error, as when the commit's
// answer is lost on the way back.
type lostAnswer struct{ exports.Queue }

func (q lostAnswer) FinishExport(ctx context.Context, job *portal.Export, f *portal.File) error {
	if err := q.Queue.FinishExport(ctx, job, f); err != nil {
		return err
	}
	return errors.New("connection reset")
}

// TestPoolKeepsBytesOfAFinishThatMayHaveCommitted: the worker cannot tell
// whether the finish committed, so it keeps the bytes; the job is done and
// its file is readable.
func TestPoolKeepsBytesOfAFinishThatMayHaveCommitted(t *testing.T) {
	run(t, func(t *testing.T, w *world) {
		e := w.request(t, sqltest.Staff(w.f.Owner), &w.f.A.ID, portal.ExportKindApprovals)
		if !w.runOnce(t) {
			t.Fatal("no job ran")
		}
		got := w.export(t, e.ID)
		files := w.filesOf(t, e.ID)
		if got.Status != portal.ExportStatusDone || len(files) != 1 {
			t.Fatalf("export %+v, files %v", got, files)
		}
		if rows := w.csvOf(t, files[0]); len(rows) != 3 {
			t.Errorf("CSV %v", rows)
		}
	}, func(inner queue) queue { return lostAnswer{inner} })
}
