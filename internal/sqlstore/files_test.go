package sqlstore_test

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/99designs/gqlgen/graphql"

	"portalgraph/internal/portal"
	"portalgraph/internal/sqlstore"
	"portalgraph/internal/sqlstore/sqltest"
)

// Files in the store: where an upload goes and who may make it, that a
// refused or failed upload records nothing, versions, and deletion with
// its queued blob removal.

// blobWrites answers an upload's store callback as blob storage would, and
// remembers the keys it was asked to write.
type blobWrites struct {
	mu   sync.Mutex
	keys []string
	err  error
}

func (st *blobWrites) store(f *portal.File) (portal.FileContent, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.err != nil {
		return portal.FileContent{}, st.err
	}
	st.keys = append(st.keys, f.BlobKey)
	return portal.FileContent{Size: 4, SHA256: "abcd", ContentType: "application/pdf"}, nil
}

func uploadInput(name string) portal.UploadFileInput {
	return portal.UploadFileInput{File: graphql.Upload{Filename: name}}
}

func TestUploadFile(t *testing.T) {
	t.Parallel()
	sqltest.Run(t, func(t *testing.T, s *sqlstore.Store) {
		f := sqltest.LoadFixture(t, s)
		ctx := t.Context()
		staff, ann := sqltest.Staff(f.Member), sqltest.Portal(f.AActive)

		in := uploadInput("plan.pdf")
		in.DeliverableID = &f.DShared.ID
		st := &blobWrites{}
		file, err := s.UploadFile(ctx, staff, in, st.store)
		noErr(t, err)
		if file.ClientID != f.A.ID || *file.ProjectID != f.AShared.ID || *file.DeliverableID != f.DShared.ID ||
			file.SeriesID != file.ID || file.Version != 1 || file.Visibility != portal.VisibilityInternal ||
			*file.UploadedByID != f.Member.ID || file.BlobKey != st.keys[0] || file.Size != 4 {
			t.Errorf("uploaded %+v", file)
		}

		// Refusals are decided before any byte is stored, and write nothing.
		before := dump(t, s)
		for name, c := range map[string]struct {
			p     portal.Principal
			in    func(*portal.UploadFileInput)
			code  portal.Code
			field string
		}{
			"viewer":                    {sqltest.Staff(f.Viewer), func(in *portal.UploadFileInput) { in.ClientID = &f.A.ID }, portal.CodeForbidden, ""},
			"contact, internal project": {ann, func(in *portal.UploadFileInput) { in.ProjectID = &f.AInternal.ID }, portal.CodeBadUserInput, "input.projectId"},
			"contact, other client":     {ann, func(in *portal.UploadFileInput) { in.ClientID = &f.B.ID }, portal.CodeBadUserInput, "input.clientId"},
			"contact, new version":      {ann, func(in *portal.UploadFileInput) { in.ReplacesID = &file.ID }, portal.CodeForbidden, ""},
			"suspended contact":         {sqltest.Portal(f.ASuspended), func(in *portal.UploadFileInput) { in.ClientID = &f.A.ID }, portal.CodeForbidden, ""},
			"other workspace":           {sqltest.Staff(f.Owner2), func(in *portal.UploadFileInput) { in.ClientID = &f.A.ID }, portal.CodeBadUserInput, "input.clientId"},
			"name with a slash":         {staff, func(in *portal.UploadFileInput) { in.ClientID = &f.A.ID; in.Name = ptr("a/b.pdf") }, portal.CodeBadUserInput, "input.name"},
		} {
			refused := &blobWrites{}
			in := uploadInput("x.pdf")
			c.in(&in)
			_, err := s.UploadFile(ctx, c.p, in, refused.store)
			if c.field != "" {
				wantCode(t, err, c.code, c.field)
			} else {
				wantCode(t, err, c.code)
			}
			if len(refused.keys) != 0 {
				t.Errorf("%s: bytes stored for a refused upload", name)
			}
		}
		// Storage failing records nothing either.
		failing := &blobWrites{err: errors.New("bucket unreachable")}
		in = uploadInput("y.pdf")
		in.ClientID = &f.A.ID
		if _, err := s.UploadFile(ctx, staff, in, failing.store); err == nil || err.Error() != "bucket unreachable" {
			t.Errorf("err %v", err)
		}
		if after := dump(t, s); after != before {
			t.Errorf("refused uploads changed the database:\n%s", after)
		}

		// A contact's upload is shared, and theirs.
		in = uploadInput("brief.pdf")
		in.ProjectID = &f.AShared.ID
		mine, err := s.UploadFile(ctx, ann, in, st.store)
		noErr(t, err)
		if mine.Visibility != portal.VisibilityShared || mine.UploadedByContactID == nil || *mine.UploadedByContactID != f.AActive.ID || mine.UploadedByID != nil {
			t.Errorf("contact's upload %+v", mine)
		}
	})
}

// Versions: each new version takes the next number, even when many are
// uploaded at once; lists show the newest version each principal may see.
func TestFileVersionsInStore(t *testing.T) {
	t.Parallel()
	sqltest.Run(t, func(t *testing.T, s *sqlstore.Store) {
		f := sqltest.LoadFixture(t, s)
		ctx := t.Context()
		staff, ann := sqltest.Staff(f.Owner), sqltest.Portal(f.AActive)
		st := &blobWrites{}
		in := uploadInput("logo.png")
		in.DeliverableID = &f.DShared.ID
		in.Visibility = ptr(portal.VisibilityShared)
		v1, err := s.UploadFile(ctx, staff, in, st.store)
		noErr(t, err)

		// Eight new versions at once, some replacing v1 and some the
		// newest: numbers 2 to 9, each once.
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for i := range 8 {
			wg.Go(func() {
				in := uploadInput(fmt.Sprintf("logo-%d.png", i))
				in.ReplacesID = &v1.ID
				_, err := s.UploadFile(ctx, staff, in, st.store)
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			noErr(t, err)
		}
		versions, err := s.VersionsOf(ctx, staff, []string{v1.SeriesID})
		noErr(t, err)
		var numbers []int
		for _, v := range versions[v1.SeriesID] {
			numbers = append(numbers, v.Version)
		}
		if want := []int{9, 8, 7, 6, 5, 4, 3, 2, 1}; !slices.Equal(numbers, want) {
			t.Errorf("versions %v, want %v", numbers, want)
		}

		// The new versions are internal: the contact's lists show v1 alone.
		page := portal.PageArgs{First: 10, Count: true}
		for _, c := range []struct {
			p          portal.Principal
			latest     string
			latestOnly int
		}{{staff, versions[v1.SeriesID][0].ID, 1}, {ann, v1.ID, 1}} {
			conns, err := s.FilesOf(ctx, c.p, portal.RecordTypeDeliverable, []string{f.DShared.ID}, false, page)
			noErr(t, err)
			got := conns[f.DShared.ID]
			if got.TotalCount != c.latestOnly || len(got.Edges) != 1 || got.Edges[0].Node.ID != c.latest {
				t.Errorf("%s: latest %+v", c.p.Audience, got)
			}
		}
		all, err := s.FilesOf(ctx, ann, portal.RecordTypeDeliverable, []string{f.DShared.ID}, true, page)
		noErr(t, err)
		if n := all[f.DShared.ID].TotalCount; n != 1 {
			t.Errorf("the contact sees %d versions, want 1", n)
		}
	})
}

// Deleting a file removes its row and queues its bytes in one
// transaction; the queue is read and emptied by blob storage.
func TestDeleteFileQueuesBlob(t *testing.T) {
	t.Parallel()
	sqltest.Run(t, func(t *testing.T, s *sqlstore.Store) {
		f := sqltest.LoadFixture(t, s)
		ctx := t.Context()
		staff := sqltest.Staff(f.Member)
		st := &blobWrites{}
		in := uploadInput("a.pdf")
		in.ClientID = &f.A.ID
		file, err := s.UploadFile(ctx, staff, in, st.store)
		noErr(t, err)

		before := dump(t, s)
		_, err = s.DeleteFile(ctx, sqltest.Staff(f.Viewer), file.ID)
		wantCode(t, err, portal.CodeForbidden)
		_, err = s.DeleteFile(ctx, sqltest.Portal(f.AActive), file.ID)
		wantCode(t, err, portal.CodeForbidden)
		_, err = s.DeleteFile(ctx, sqltest.Staff(f.Owner2), file.ID)
		wantCode(t, err, portal.CodeNotFound)
		if after := dump(t, s); after != before {
			t.Errorf("refused deletions changed the database")
		}

		deleted, err := s.DeleteFile(ctx, staff, file.ID)
		noErr(t, err)
		keys, err := s.BlobRemovals(ctx, 10)
		noErr(t, err)
		if !slices.Equal(keys, []string{deleted.BlobKey}) {
			t.Errorf("queued %v, want %s", keys, deleted.BlobKey)
		}
		found, err := s.FilesByID(ctx, staff, []string{file.ID})
		noErr(t, err)
		if len(found) != 0 {
			t.Errorf("the deleted file is still found")
		}
		noErr(t, s.BlobRemovalFailed(ctx, deleted.BlobKey, errors.New("timeout")))
		if keys, _ := s.BlobRemovals(ctx, 10); len(keys) != 1 {
			t.Errorf("a failed removal left the queue: %v", keys)
		}
		noErr(t, s.BlobRemoved(ctx, deleted.BlobKey))
		if keys, _ := s.BlobRemovals(ctx, 10); len(keys) != 0 {
			t.Errorf("queue after removal: %v", keys)
		}
	})
}
