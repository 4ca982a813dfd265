package demo_test

import (
	"bytes"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"portalgraph/internal/blobstore"
	"portalgraph/internal/demo"
	"portalgraph/internal/exports"
	"portalgraph/internal/portal"
	"portalgraph/internal/sqlstore"
	"portalgraph/internal/sqlstore/sqltest"
)

// The demo's files come with their bytes, and what Dana sees of them is
// what her portal should show; her queued export is built by the first
// worker that runs, with her view.
func TestDemoFilesAndExport(t *testing.T) {
	sqltest.Run(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := t.Context()
		data := demo.New(time.Now().AddDate(0, 0, -30))
		blobs, err := blobstore.Open(ctx, "mem://")
		if err != nil {
			t.Fatal(err)
		}
		defer blobs.Close()
		for key, content := range data.Blobs {
			if _, err := blobs.Put(ctx, key, bytes.NewReader(content), int64(len(content))); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Load(ctx, data); err != nil {
			t.Fatal(err)
		}
		var dana portal.Principal
		for _, c := range data.Contacts {
			if c.Email == demo.PortalEmail {
				dana = portal.Principal{Audience: portal.AudiencePortal, WorkspaceID: c.WorkspaceID, ContactID: c.ID, ClientID: c.ClientID}
			}
		}

		files, err := s.FilesOf(ctx, dana, portal.RecordTypeClient, []string{dana.ClientID}, false, portal.PageArgs{First: 50})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, e := range files[dana.ClientID].Edges {
			names = append(names, e.Node.Name)
			r, err := blobs.Open(ctx, e.Node.BlobKey)
			if err != nil {
				t.Fatalf("%s has no bytes: %v", e.Node.Name, err)
			}
			b, _ := io.ReadAll(r)
			r.Close()
			if len(b) != e.Node.Size {
				t.Errorf("%s: %d bytes stored, %d recorded", e.Node.Name, len(b), e.Node.Size)
			}
		}
		slices.Sort(names)
		// Not the internal estimate, and the storyboard's shared first
		// version rather than the draft over it.
		if want := []string{"Campaign brief.pdf", "Storyboard v1.pdf", "team-photo.png"}; !slices.Equal(names, want) {
			t.Errorf("Dana's files %q, want %q", names, want)
		}

		pool := exports.NewPool(s, blobs, sqltest.EveryField, slog.New(slog.NewTextHandler(io.Discard, nil)), exports.Options{})
		if did, err := pool.RunOnce(ctx); err != nil || !did {
			t.Fatalf("RunOnce: %v, %v", did, err)
		}
		conns, err := s.ExportsOfClients(ctx, dana, []string{dana.ClientID}, portal.PageArgs{First: 10})
		if err != nil {
			t.Fatal(err)
		}
		edges := conns[dana.ClientID].Edges
		if len(edges) != 1 || edges[0].Node.Status != portal.ExportStatusDone || edges[0].Node.FileID == nil {
			t.Fatalf("Dana's exports %+v", edges)
		}
		csv, err := s.FilesByID(ctx, dana, []string{*edges[0].Node.FileID})
		if err != nil || len(csv) != 1 {
			t.Fatalf("the export's file: %v, %v", csv, err)
		}
		r, err := blobs.Open(ctx, csv[0].BlobKey)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(r)
		r.Close()
		if !strings.Contains(string(b), "Hero video storyboard") {
			t.Errorf("the CSV lacks the storyboard's approval:\n%s", b)
		}
	})
}
