// Package exports builds the CSV exports clients and staff ask for, in the
// background: a pool of workers takes jobs from the store's queue, writes
// each CSV to blob storage and records it as a file of the client.
//
// A job's bytes are written before its file row, which is written in the
// transaction that marks the job DONE: a worker that dies in between
// leaves bytes no row points to and a job that another worker builds
// again once the lease runs out, never a DONE job without its file.
package exports

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"portalgraph/internal/blobstore"
	"portalgraph/internal/portal"
)

// Queue is the store's side of exports.
type Queue interface {
	ClaimExport(ctx context.Context, lease time.Duration) (*portal.Export, error)
	WriteExport(ctx context.Context, job *portal.Export, has portal.SchemaHas, write func(record []string) error) error
	FinishExport(ctx context.Context, job *portal.Export, f *portal.File) error
	FailExport(ctx context.Context, job *portal.Export, cause error) error
}

// Blobs is where the CSVs are kept (blobstore.Store).
type Blobs interface {
	Put(ctx context.Context, key string, r io.Reader, max int64) (blobstore.Stored, error)
	Delete(ctx context.Context, key string) error
}

// Options tune a pool; zero values take the defaults.
type Options struct {
	// Workers is how many exports are built at once (default 2).
	Workers int
	// Every is how often an idle worker looks for a job (default 1s).
	Every time.Duration
	// Lease is how long a job is held before another worker may take it
	// over (default 5 minutes); a job must be built within it.
	Lease time.Duration
	// MaxBytes bounds one CSV (default 256 MiB).
	MaxBytes int64
	// Grace is how long a job in hand may go on once the pool is told to
	// stop (default 20s); then it is given up and released for another
	// attempt.
	Grace time.Duration
}

// Pool is the export workers.
type Pool struct {
	queue  Queue
	blobs  Blobs
	schema portal.SchemaHas
	log    *slog.Logger
	opt    Options
}

// NewPool makes the workers of a queue. schema tells which fields each
// audience's schema has: a CSV's columns are those its requester's schema
// has.
func NewPool(queue Queue, blobs Blobs, schema portal.SchemaHas, log *slog.Logger, opt Options) *Pool {
	if opt.Workers <= 0 {
		opt.Workers = 2
	}
	if opt.Every <= 0 {
		opt.Every = time.Second
	}
	if opt.Lease <= 0 {
		opt.Lease = 5 * time.Minute
	}
	if opt.MaxBytes <= 0 {
		opt.MaxBytes = 256 << 20
	}
	if opt.Grace <= 0 {
		opt.Grace = 20 * time.Second
	}
	return &Pool{queue: queue, blobs: blobs, schema: schema, log: log, opt: opt}
}

// Run runs the workers until ctx ends, then waits for the jobs in hand:
// each may finish within the grace period, or is released for another
// attempt, rather than left to wait out its lease.
func (p *Pool) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for range p.opt.Workers {
		wg.Go(func() { p.work(ctx) })
	}
	wg.Wait()
}

// work builds jobs while there are any, and looks again every interval.
func (p *Pool) work(ctx context.Context) {
	t := time.NewTicker(p.opt.Every)
	defer t.Stop()
	for {
		for ctx.Err() == nil {
			did, err := p.RunOnce(ctx)
			if err != nil && ctx.Err() == nil {
				p.log.ErrorContext(ctx, "export worker", "error", err)
			}
			if !did || err != nil {
				break
			}
		}
		select {
		case <-t.C:
		case <-ctx.Done():
			return
		}
	}
}

// RunOnce claims one job and builds it; false when no job waits. An error
// is the queue's: a job that fails is recorded as failed, not returned.
func (p *Pool) RunOnce(ctx context.Context) (bool, error) {
	job, err := p.queue.ClaimExport(ctx, p.opt.Lease)
	if err != nil || job == nil {
		return false, err
	}
	// The job runs within its lease, after which it is no longer this
	// worker's, and for the grace period once ctx ends.
	jctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), p.opt.Lease)
	defer cancel()
	stop := context.AfterFunc(ctx, func() { time.AfterFunc(p.opt.Grace, cancel) })
	defer stop()
	return true, p.build(jctx, job)
}

// build writes a job's CSV to blob storage and finishes the job. Bytes no
// row points to are removed, once it is certain that no row does: a
// finish whose answer was lost may have committed, so after any error but
// CONFLICT the bytes go only when the job could still be failed.
func (p *Pool) build(ctx context.Context, job *portal.Export) error {
	fileID := portal.NewID(portal.PrefixFile, time.Now())
	key := fmt.Sprintf("%s/exports/%s/%s.csv", job.WorkspaceID, job.ID, fileID)
	stored, err := p.write(ctx, job, key)
	written := err == nil
	if written {
		err = p.queue.FinishExport(ctx, job, &portal.File{
			ID: fileID, Name: FileName(job), ContentType: "text/csv; charset=utf-8",
			Size: int(stored.Size), Sha256: stored.SHA256, BlobKey: key,
		})
	}
	if err == nil {
		p.log.InfoContext(ctx, "export done", "export", job.ID, "kind", job.Kind, "bytes", stored.Size)
		return nil
	}
	after, cancel := afterwards(ctx)
	defer cancel()
	var ferr error
	if portal.ErrorCode(err) == portal.CodeConflict {
		// The lease ran out and another worker took the job over: it is
		// theirs to finish or fail.
		p.log.WarnContext(ctx, "export taken over by another worker", "export", job.ID, "attempt", job.Attempts)
	} else {
		p.log.WarnContext(ctx, "export failed", "export", job.ID, "attempt", job.Attempts, "error", err)
		ferr = p.queue.FailExport(after, job, err)
	}
	if written && ferr == nil {
		if derr := p.blobs.Delete(after, key); derr != nil {
			p.log.WarnContext(ctx, "removing an unfinished export's bytes", "export", job.ID, "key", key, "error", derr)
		}
	}
	if ferr != nil && portal.ErrorCode(ferr) != portal.CodeConflict {
		return ferr
	}
	return nil
}

// afterwards is the context of what follows a job's end — recording its
// failure, removing its bytes — which must happen even when the job ended
// because its context did.
func afterwards(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
}

// write streams the job's CSV into blob storage as the store reads it.
func (p *Pool) write(ctx context.Context, job *portal.Export, key string) (blobstore.Stored, error) {
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		w := csv.NewWriter(pw)
		err := p.queue.WriteExport(ctx, job, p.schema, func(record []string) error { return w.Write(Defuse(record)) })
		w.Flush()
		if err == nil {
			err = w.Error()
		}
		_ = pw.CloseWithError(err) // nil: the reader sees the end
		done <- err
	}()
	stored, err := p.blobs.Put(ctx, key, pr, p.opt.MaxBytes)
	_ = pr.CloseWithError(errReaderGone) // unblocks the writer if Put gave up early
	werr := <-done
	switch {
	case errors.Is(err, blobstore.ErrTooLarge):
		return stored, &portal.Error{Code: portal.CodeBadUserInput,
			Message: fmt.Sprintf("the export is over the size limit of %d bytes: ask for a shorter range", p.opt.MaxBytes)}
	case werr != nil && !errors.Is(werr, errReaderGone):
		// The store's error says why; Put's is only that its reader failed.
		return stored, werr
	}
	return stored, err
}

// errReaderGone is what the CSV writer meets when blob storage stopped
// reading; the storage's own error says why.
var errReaderGone = errors.New("blob storage stopped reading")

// FileName names a job's CSV after what it holds.
func FileName(job *portal.Export) string {
	return fmt.Sprintf("%s-%s-to-%s.csv", strings.ToLower(string(job.Kind)), job.From, job.To)
}

// Defuse keeps spreadsheet programs from running a cell as a formula: a
// cell starting with = + - @, a tab or a carriage return is prefixed with a
// single quote, which they show as text. Names and summaries come from
// users, clients included, so any of them may be crafted.
func Defuse(record []string) []string {
	out := make([]string, len(record))
	for i, cell := range record {
		if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
			cell = "'" + cell
		}
		out[i] = cell
	}
	return out
}
