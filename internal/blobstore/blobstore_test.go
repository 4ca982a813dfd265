package blobstore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestPutInLocalDirectory(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "blobs", "nested")
	s, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	content := []byte("%PDF-1.4\n" + strings.Repeat("x", 2000))
	st, err := s.Put(ctx, "w1/files/f1", bytes.NewReader(content), int64(len(content)))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(content)
	if st.Size != int64(len(content)) || st.SHA256 != hex.EncodeToString(sum[:]) || st.ContentType != "application/pdf" {
		t.Errorf("stored %+v", st)
	}
	if _, err := os.Stat(filepath.Join(dir, "w1", "files", "f1")); err != nil {
		t.Errorf("not in the directory: %v", err)
	}
	r, err := s.Open(ctx, "w1/files/f1")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(r)
	r.Close()
	if !bytes.Equal(got, content) {
		t.Error("read back different bytes")
	}

	// Over the limit: refused, and nothing is left under the key.
	_, err = s.Put(ctx, "w1/files/f2", bytes.NewReader(content), int64(len(content))-1)
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err %v, want ErrTooLarge", err)
	}
	if ok, _ := s.Exists(ctx, "w1/files/f2"); ok {
		t.Error("an oversize upload left bytes behind")
	}

	// Tiny and empty contents are sniffed too.
	for content, want := range map[string]string{"": "text/plain; charset=utf-8", "hi": "text/plain; charset=utf-8", "\x89PNG\r\n\x1a\n": "image/png"} {
		st, err := s.Put(ctx, "w1/files/small", strings.NewReader(content), 100)
		if err != nil || st.ContentType != want || st.Size != int64(len(content)) {
			t.Errorf("%q: %+v, %v", content, st, err)
		}
	}

	noErr(t, s.Delete(ctx, "w1/files/f1"))
	noErr(t, s.Delete(ctx, "w1/files/f1")) // a retried removal succeeds
	if ok, _ := s.Exists(ctx, "w1/files/f1"); ok {
		t.Error("deleted bytes still exist")
	}
}

// queue is a removal queue in memory.
type queue struct {
	keys   []string
	failed map[string]string
}

func (q *queue) BlobRemovals(_ context.Context, limit int) ([]string, error) {
	return slices.Clone(q.keys[:min(limit, len(q.keys))]), nil
}

func (q *queue) BlobRemoved(_ context.Context, key string) error {
	q.keys = slices.DeleteFunc(q.keys, func(k string) bool { return k == key })
	return nil
}

func (q *queue) BlobRemovalFailed(_ context.Context, key string, cause error) error {
	q.failed[key] = cause.Error()
	return nil
}

func TestRemoveQueued(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, "mem://")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, k := range []string{"a", "b"} {
		if _, err := s.Put(ctx, k, strings.NewReader(k), 10); err != nil {
			t.Fatal(err)
		}
	}
	// "gone" was removed already, before a crash ended its removal.
	q := &queue{keys: []string{"a", "gone", "b"}, failed: map[string]string{}}
	n, err := s.RemoveQueued(ctx, q, 10)
	noErr(t, err)
	if n != 3 || len(q.keys) != 0 || len(q.failed) != 0 {
		t.Errorf("removed %d, queue %v, failed %v", n, q.keys, q.failed)
	}
	for _, k := range []string{"a", "b"} {
		if ok, _ := s.Exists(ctx, k); ok {
			t.Errorf("%s still exists", k)
		}
	}
}

func noErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
