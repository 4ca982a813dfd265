package sqlstore

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jmoiron/sqlx"

	"portalgraph/internal/portal"
)

// Files: metadata of the bytes kept in blob storage. A file hangs under one
// parent — a client, a project, a deliverable or a request — and keeps its
// client (and, for a deliverable's, the project) on the row, so the lists
// and the portal's scope read one table.
//
// A deliverable's file has versions: a series whose first version's ID is
// the series ID. Lists show each series' newest version the principal may
// see — so when staff upload an internal draft over a shared version, the
// portal keeps showing the shared one.
//
// An export's CSV is a file too (export_id set); it is reached through its
// export and not listed with the uploads.

// FilesOf lists the files under each parent, newest first: under a client
// everything of the client, under a project its files and its
// deliverables', under a deliverable its own (every version, when asked).
func (s *Store) FilesOf(ctx context.Context, p portal.Principal, parent portal.RecordType, ids []string, allVersions bool, page portal.PageArgs) (map[string]*portal.FileConnection, error) {
	var column string
	var parentOf func(*portal.File) string
	switch parent {
	case portal.RecordTypeClient:
		column, parentOf = "client_id", func(f *portal.File) string { return f.ClientID }
	case portal.RecordTypeProject:
		column, parentOf = "project_id", func(f *portal.File) string { return deref(f.ProjectID) }
	case portal.RecordTypeDeliverable:
		column, parentOf = "deliverable_id", func(f *portal.File) string { return deref(f.DeliverableID) }
	default:
		return nil, fmt.Errorf("files of a %s are not listed", parent)
	}
	rules := scope{p}.files()
	return fetchPages(ctx, s, list[portal.File]{
		table: s.t.files, rules: rules, order: byCreation[portal.File](true), id: fileID, page: page,
		parentColumn: column, parentIDs: ids, parentOf: parentOf,
		filter: func(c *conds) {
			c.next().sql("a.export_id IS NULL")
			if !allVersions {
				latestVersion(c, rules)
			}
		},
	})
}

// latestVersion keeps a file when no newer version of it is visible under
// the same rules.
func latestVersion(c *conds, rules ruleSet) {
	q := c.next()
	q.sql("NOT EXISTS (SELECT 1 FROM files nv WHERE nv.workspace_id = a.workspace_id AND nv.series_id = a.series_id AND nv.version > a.version")
	rules.write(&conds{q: q, count: 1}, "nv")
	q.sql(")")
}

// VersionsOf returns every version of each series the principal may see,
// newest first.
func (s *Store) VersionsOf(ctx context.Context, p portal.Principal, seriesIDs []string) (map[string][]*portal.File, error) {
	t := s.t.files.narrow(ctx, "a.series_id")
	q := &sqlBuf{}
	q.sql("SELECT " + t.selectList("a") + " FROM files a")
	w := q.where()
	s.dialect.inList(w.next(), "a.series_id", seriesIDs)
	scope{p}.files().write(w, "a")
	q.sql(" ORDER BY a.series_id, a.version DESC")
	out := map[string][]*portal.File{}
	err := selectRecords(ctx, s.reads, t, q, nil, func(f *portal.File) {
		out[f.SeriesID] = append(out[f.SeriesID], f)
	})
	return out, err
}

// UploadFile records an uploaded file. The upload's parent and the
// caller's right to it are checked before store is called to write the
// bytes — nothing is stored for an upload that would be refused — and
// again, under lock, in the transaction that records the file, since the
// bytes may take a while to arrive. When UploadFile fails after store
// succeeded, the caller removes the bytes it stored.
func (s *Store) UploadFile(ctx context.Context, p portal.Principal, in portal.UploadFileInput, store func(f *portal.File) (portal.FileContent, error)) (*portal.File, error) {
	if err := p.Require(portal.PermissionFilesCreate); err != nil {
		return nil, err
	}
	name := strings.TrimSpace(in.File.Filename)
	if in.Name != nil {
		name = strings.TrimSpace(*in.Name)
	}
	if err := checkFileName(name); err != nil {
		return nil, err
	}
	var target *portal.File
	if err := s.inTx(ctx, func(tx *sqlx.Tx) (err error) {
		if target, err = s.uploadTarget(ctx, tx, p, in); err != nil {
			return err
		}
		// Refused before the bytes are stored, by the size announced;
		// checked again by the size stored.
		return s.checkLimit(ctx, tx, p.WorkspaceID, portal.LimitKindStorageBytes, max(in.File.Size, 0))
	}); err != nil {
		return nil, err
	}
	target.Name = name
	// Keys are never reused: each upload is a new file ID.
	target.BlobKey = target.WorkspaceID + "/files/" + target.ID
	content, err := store(target)
	if err != nil {
		return nil, err
	}
	var f *portal.File
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		if f, err = s.uploadTarget(ctx, tx, p, in); err != nil {
			return err
		}
		f.ID, f.Name, f.BlobKey = target.ID, name, target.BlobKey
		if f.SeriesID == "" {
			f.SeriesID = f.ID
		}
		f.Size, f.Sha256, f.ContentType = int(content.Size), content.SHA256, content.ContentType
		if err := s.checkLimit(ctx, tx, p.WorkspaceID, portal.LimitKindStorageBytes, content.Size); err != nil {
			return err
		}
		if err := insert(ctx, tx, s.t.files, f); err != nil {
			return err
		}
		return s.record(ctx, tx, p, fileActivity(portal.ActivityActionFileUploaded, "Uploaded", f))
	})
	if err != nil {
		return nil, err
	}
	return f, nil
}

// MayUpload says whether the principal may upload at all, as the upload
// itself would check before looking at where the file goes: the server
// asks before it reads an upload's bytes.
func (s *Store) MayUpload(ctx context.Context, p portal.Principal) error {
	if err := p.Require(portal.PermissionFilesCreate); err != nil {
		return err
	}
	if !p.IsPortal() {
		return nil
	}
	return s.inTx(ctx, func(tx *sqlx.Tx) error { return s.portalTakesFiles(ctx, tx, p) })
}

// uploadTarget works out where an upload goes: its one parent, read and
// locked under the principal's scope (a parent the caller cannot see is
// answered like one that does not exist), and, for a new version, the
// version it gets. The file it returns has everything but its content.
func (s *Store) uploadTarget(ctx context.Context, tx *sqlx.Tx, p portal.Principal, in portal.UploadFileInput) (*portal.File, error) {
	var field, id string
	for _, c := range []struct {
		field string
		id    *string
	}{{"input.clientId", in.ClientID}, {"input.projectId", in.ProjectID}, {"input.deliverableId", in.DeliverableID}, {"input.requestId", in.RequestID}, {"input.replacesId", in.ReplacesID}} {
		if c.id == nil {
			continue
		}
		if field != "" {
			return nil, portal.Invalid(
				portal.FieldError{Field: field, Message: "give exactly one of clientId, projectId, deliverableId, requestId and replacesId"},
				portal.FieldError{Field: c.field, Message: "give exactly one of clientId, projectId, deliverableId, requestId and replacesId"})
		}
		field, id = c.field, *c.id
	}
	if field == "" {
		return nil, portal.InvalidField("input.clientId", "give exactly one of clientId, projectId, deliverableId, requestId and replacesId")
	}
	if p.IsPortal() {
		// What a contact sends is for both sides to see, and only where
		// their portal takes files.
		if err := s.portalTakesFiles(ctx, tx, p); err != nil {
			return nil, err
		}
	}
	now := s.now()
	f := &portal.File{WorkspaceID: p.WorkspaceID, ID: portal.NewID(portal.PrefixFile, now), Version: 1, Visibility: portal.VisibilityInternal, CreatedAt: now}
	sc := scope{p}
	var err error
	switch field {
	case "input.clientId":
		var c *portal.Client
		if c, err = lockVisible(ctx, s, tx, s.t.clients, sc.clients(), p, id); err == nil {
			f.ClientID = c.ID
		}
	case "input.projectId":
		var pr *portal.Project
		if pr, err = lockVisible(ctx, s, tx, s.t.projects, sc.projects(), p, id); err == nil {
			f.ClientID, f.ProjectID = pr.ClientID, &pr.ID
		}
	case "input.deliverableId":
		var d *portal.Deliverable
		if d, err = lockVisible(ctx, s, tx, s.t.deliverables, sc.deliverables(), p, id); err == nil {
			var pr *portal.Project
			if pr, err = readRecord(ctx, tx, s.t.projects, p.WorkspaceID, d.ProjectID); err == nil {
				f.ClientID, f.ProjectID, f.DeliverableID = pr.ClientID, &pr.ID, &d.ID
			}
		}
	case "input.requestId":
		var r *portal.ClientRequest
		if r, err = lockVisible(ctx, s, tx, s.t.requests, sc.requests(), p, id); err == nil {
			f.ClientID, f.RequestID = r.ClientID, &r.ID
		}
	case "input.replacesId":
		if !p.IsStaff() {
			return nil, portal.Forbidden("new versions of a deliverable's file are uploaded by staff")
		}
		err = s.nextVersion(ctx, tx, p, id, f)
	}
	if portal.ErrorCode(err) == portal.CodeNotFound {
		return nil, portal.InvalidField(field, fmt.Sprintf("no record with id %q", id))
	}
	if err != nil {
		return nil, err
	}
	if p.IsPortal() {
		f.Visibility, f.UploadedByContactID = portal.VisibilityShared, ptr(p.ContactID)
		return f, nil
	}
	if in.Visibility != nil {
		f.Visibility = *in.Visibility
	}
	f.UploadedByID = ptr(p.UserID)
	return f, nil
}

// nextVersion places f as the next version of a deliverable's file. Every
// version of the series is locked before the newest is read, so two new
// versions at once get different numbers.
func (s *Store) nextVersion(ctx context.Context, tx *sqlx.Tx, p portal.Principal, replacesID string, f *portal.File) error {
	old, err := lockVisible(ctx, s, tx, s.t.files, scope{p}.files(), p, replacesID)
	if err != nil {
		return err
	}
	if old.DeliverableID == nil {
		return portal.InvalidField("input.replacesId", "only a deliverable's files have versions")
	}
	var versions []int
	if err := tx.SelectContext(ctx, &versions, tx.Rebind(`SELECT version FROM files WHERE workspace_id = ? AND series_id = ?`+s.dialect.forUpdate()), p.WorkspaceID, old.SeriesID); err != nil {
		return fmt.Errorf("read versions: %w", err)
	}
	newest := slices.Max(versions)
	f.ClientID, f.ProjectID, f.DeliverableID = old.ClientID, old.ProjectID, old.DeliverableID
	f.SeriesID, f.Version = old.SeriesID, newest+1
	return nil
}

// portalTakesFiles checks the contact's client shows files in its portal,
// with its row locked so the section cannot be hidden meanwhile.
func (s *Store) portalTakesFiles(ctx context.Context, tx *sqlx.Tx, p portal.Principal) error {
	c, err := lockVisible(ctx, s, tx, s.t.clients, scope{p}.clients(), p, p.ClientID)
	if portal.ErrorCode(err) == portal.CodeNotFound {
		return portal.Forbidden("portal access for this account is not active")
	}
	if err != nil {
		return err
	}
	if !c.PortalFiles {
		return portal.Forbidden("this portal does not take files")
	}
	return nil
}

// UpdateFile renames a file or changes who sees it.
func (s *Store) UpdateFile(ctx context.Context, p portal.Principal, in portal.UpdateFileInput) (*portal.File, error) {
	if err := p.Require(portal.PermissionFilesUpdate); err != nil {
		return nil, err
	}
	var f *portal.File
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		if f, err = lockForUpdate(ctx, s, tx, s.t.files, p, in.ID); err != nil {
			return err
		}
		if f.ExportID != nil {
			return portal.InvalidField("input.id", "an export's CSV changes with its export")
		}
		var ch changes
		if in.Name != nil {
			name := strings.TrimSpace(*in.Name)
			if err := checkFileName(name); err != nil {
				return err
			}
			set(&ch, "name", &f.Name, &name)
		}
		set(&ch, "visibility", &f.Visibility, in.Visibility)
		if ch.none() {
			return nil
		}
		if err := update(ctx, tx, s.t.files, p.WorkspaceID, f.ID, f); err != nil {
			return err
		}
		return s.record(ctx, tx, p, activity{
			action: portal.ActivityActionUpdated, recordType: portal.RecordTypeFile, recordID: f.ID, clientID: &f.ClientID,
			summary: "Updated file " + f.Name, changed: ch,
		})
	})
	if err != nil {
		return nil, err
	}
	return f, nil
}

// DeleteFile deletes a file's metadata and queues its bytes for removal in
// one transaction: either both go, or neither. The caller removes the
// bytes right away (RemoveBlobs); the queue keeps them from being
// forgotten when that fails.
func (s *Store) DeleteFile(ctx context.Context, p portal.Principal, id string) (*portal.File, error) {
	if err := p.Require(portal.PermissionFilesDelete); err != nil {
		return nil, err
	}
	var f *portal.File
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		if f, err = lockForUpdate(ctx, s, tx, s.t.files, p, id); err != nil {
			return err
		}
		if f.ExportID != nil {
			return portal.InvalidField("input.id", "an export's CSV is kept with its export")
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM files WHERE workspace_id = ? AND id = ?`), p.WorkspaceID, f.ID); err != nil {
			return fmt.Errorf("delete file: %w", err)
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO blob_removals (blob_key, queued_at) VALUES (?, ?)`), f.BlobKey, s.now()); err != nil {
			return fmt.Errorf("queue blob removal: %w", err)
		}
		return s.record(ctx, tx, p, fileActivity(portal.ActivityActionFileDeleted, "Deleted", f))
	})
	if err != nil {
		return nil, err
	}
	return f, nil
}

// BlobRemovals returns up to limit blob keys waiting for removal, oldest
// first.
func (s *Store) BlobRemovals(ctx context.Context, limit int) ([]string, error) {
	var keys []string
	err := s.db.SelectContext(ctx, &keys, s.db.Rebind(`SELECT blob_key FROM blob_removals ORDER BY queued_at LIMIT ?`), limit)
	if err != nil {
		return nil, fmt.Errorf("read blob removals: %w", err)
	}
	return keys, nil
}

// BlobRemoved ends a removal, once the bytes are gone.
func (s *Store) BlobRemoved(ctx context.Context, key string) error {
	if _, err := s.db.ExecContext(ctx, s.db.Rebind(`DELETE FROM blob_removals WHERE blob_key = ?`), key); err != nil {
		return fmt.Errorf("end blob removal: %w", err)
	}
	return nil
}

// BlobRemovalFailed notes why bytes could not be removed; the removal
// stays queued.
func (s *Store) BlobRemovalFailed(ctx context.Context, key string, cause error) error {
	_, err := s.db.ExecContext(ctx, s.db.Rebind(`UPDATE blob_removals SET attempts = attempts + 1, last_error = ? WHERE blob_key = ?`), cause.Error(), key)
	if err != nil {
		return fmt.Errorf("note blob removal failure: %w", err)
	}
	return nil
}

// RecordDownload audits a download when it happens: the signed link was
// used, by whom, for which file.
func (s *Store) RecordDownload(ctx context.Context, p portal.Principal, f *portal.File) error {
	return s.record(ctx, s.db, p, activity{
		action: portal.ActivityActionFileDownloaded, recordType: portal.RecordTypeFile, recordID: f.ID, clientID: &f.ClientID,
		summary: "Downloaded " + f.Name,
	})
}

// fileActivity is the event of an upload or a deletion, which names the
// version of a deliverable's file past the first.
func fileActivity(action portal.ActivityAction, verb string, f *portal.File) activity {
	summary := verb + " " + f.Name
	if f.Version > 1 {
		summary = fmt.Sprintf("%s version %d of %s", verb, f.Version, f.Name)
	}
	return activity{action: action, recordType: portal.RecordTypeFile, recordID: f.ID, clientID: &f.ClientID, summary: summary}
}

// checkFileName checks a file's name, given or the uploaded file's own: the
// latter comes from the multipart request's headers, which no scalar has
// read, so it is checked for text no database stores alike here.
func checkFileName(name string) error {
	switch {
	case name == "":
		return portal.InvalidField("input.name", "the file needs a name")
	case len(name) > 255:
		return portal.InvalidField("input.name", "must be at most 255 bytes")
	case strings.ContainsAny(name, "/\\\x00"):
		return portal.InvalidField("input.name", "must not contain slashes or NUL")
	}
	if err := portal.CheckText(name); err != nil {
		return portal.InvalidField("input.name", err.Error())
	}
	return nil
}

func fileID(f *portal.File) string { return f.ID }
