// Package blobstore keeps the bytes of files in a bucket of gocloud.dev/blob:
// a local directory by default, or any bucket URL it supports (s3://,
// gs://, azblob://). The database keeps the metadata; a file's bytes are
// found by the key recorded with it.
package blobstore

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"
)

// Store is a bucket of file bytes.
type Store struct {
	bucket *blob.Bucket
}

// Open opens a bucket by URL. A plain path, or a URL without a scheme,
// names a local directory, created when missing.
func Open(ctx context.Context, location string) (*Store, error) {
	if !strings.Contains(location, "://") {
		dir, err := filepath.Abs(location)
		if err != nil {
			return nil, err
		}
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("blob directory: %w", err)
		}
		location = (&url.URL{Scheme: "file", Path: filepath.ToSlash(dir)}).String()
	}
	b, err := blob.OpenBucket(ctx, location)
	if err != nil {
		return nil, fmt.Errorf("open blob storage %q: %w", location, err)
	}
	return &Store{bucket: b}, nil
}

// Close releases the bucket.
func (s *Store) Close() error { return s.bucket.Close() }

// ErrTooLarge is returned by Put for content over its limit.
var ErrTooLarge = errors.New("blobstore: content over the size limit")

// Stored describes bytes written by Put.
type Stored struct {
	Size int64
	// SHA256 is the hex SHA-256 of the bytes.
	SHA256 string
	// ContentType is sniffed from the first bytes, never taken from the
	// sender: a browser trusts it when it opens the file.
	ContentType string
}

// Put writes r under key, at most max bytes. Content over the limit is
// refused with ErrTooLarge and nothing stays in the bucket.
func (s *Store) Put(ctx context.Context, key string, r io.Reader, max int64) (Stored, error) {
	br := bufio.NewReaderSize(r, 512)
	head, err := br.Peek(512)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return Stored{}, fmt.Errorf("read upload: %w", err)
	}
	st := Stored{ContentType: http.DetectContentType(head)}
	// The context ends the write without committing it when anything
	// fails: a half-written blob never becomes visible.
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w, err := s.bucket.NewWriter(wctx, key, &blob.WriterOptions{ContentType: st.ContentType})
	if err != nil {
		return Stored{}, fmt.Errorf("write blob: %w", err)
	}
	sum := sha256.New()
	n, err := io.Copy(io.MultiWriter(w, sum), io.LimitReader(br, max+1))
	if err == nil && n > max {
		err = ErrTooLarge
	}
	if err != nil {
		cancel()
		_ = w.Close()
		return Stored{}, err
	}
	if err := w.Close(); err != nil {
		return Stored{}, fmt.Errorf("write blob: %w", err)
	}
	st.Size, st.SHA256 = n, hex.EncodeToString(sum.Sum(nil))
	return st, nil
}

// Open reads the bytes under key.
func (s *Store) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	r, err := s.bucket.NewReader(ctx, key, nil)
	if err != nil {
		return nil, fmt.Errorf("read blob: %w", err)
	}
	return r, nil
}

// Delete removes the bytes under key; removing absent bytes succeeds, so
// a retried removal does too.
func (s *Store) Delete(ctx context.Context, key string) error {
	err := s.bucket.Delete(ctx, key)
	if err != nil && gcerrors.Code(err) != gcerrors.NotFound {
		return fmt.Errorf("delete blob: %w", err)
	}
	return nil
}

// Exists reports whether bytes are stored under key.
func (s *Store) Exists(ctx context.Context, key string) (bool, error) {
	return s.bucket.Exists(ctx, key)
}

// RemovalQueue is where the bytes of deleted files wait for removal
// (sqlstore.Store).
type RemovalQueue interface {
	BlobRemovals(ctx context.Context, limit int) ([]string, error)
	BlobRemoved(ctx context.Context, key string) error
	BlobRemovalFailed(ctx context.Context, key string, cause error) error
}

// RemoveQueued removes the bytes waiting in the queue, up to limit of
// them, and reports how many went.
func (s *Store) RemoveQueued(ctx context.Context, q RemovalQueue, limit int) (int, error) {
	keys, err := q.BlobRemovals(ctx, limit)
	if err != nil {
		return 0, err
	}
	removed := 0
	for _, key := range keys {
		done, err := Remove(ctx, s, q, key)
		if err != nil {
			return removed, err
		}
		if done {
			removed++
		}
	}
	return removed, nil
}

// Remove removes the bytes under key from d and ends their queued
// removal, or notes in the queue why they could not be removed, for a
// later attempt; done says whether they went. The error is the queue's.
func Remove(ctx context.Context, d interface {
	Delete(ctx context.Context, key string) error
}, q interface {
	BlobRemoved(ctx context.Context, key string) error
	BlobRemovalFailed(ctx context.Context, key string, cause error) error
}, key string) (done bool, err error) {
	if err := d.Delete(ctx, key); err != nil {
		return false, q.BlobRemovalFailed(ctx, key, err)
	}
	return true, q.BlobRemoved(ctx, key)
}

// RunRemovals empties the queue every interval until ctx ends.
func (s *Store) RunRemovals(ctx context.Context, q RemovalQueue, every time.Duration, log *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if _, err := s.RemoveQueued(ctx, q, 100); err != nil && ctx.Err() == nil {
			log.Error("removing the bytes of deleted files", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
