package dataset

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"

	"portalgraph/internal/portal"
)

// File adds a file with its bytes under a client, or below it under a
// project, a deliverable of that project or a request. A staff member
// or a contact uploaded it.
func (b *Builder) File(c *portal.Client, p *portal.Project, d *portal.Deliverable, r *portal.ClientRequest, name string, content []byte, v portal.Visibility, by *portal.User, byContact *portal.Contact) *portal.File {
	id, at := b.next(portal.PrefixFile)
	sum := sha256.Sum256(content)
	f := &portal.File{
		WorkspaceID: c.WorkspaceID, ID: id, ClientID: c.ID, SeriesID: id, Version: 1, Name: name,
		ContentType: http.DetectContentType(content), Size: len(content), Sha256: hex.EncodeToString(sum[:]),
		BlobKey: c.WorkspaceID + "/files/" + id, Visibility: v, CreatedAt: at,
	}
	if p != nil {
		f.ProjectID = &p.ID
	}
	if d != nil {
		f.DeliverableID = &d.ID
	}
	if r != nil {
		f.RequestID = &r.ID
	}
	if by != nil {
		f.UploadedByID = &by.ID
	}
	if byContact != nil {
		f.UploadedByContactID = &byContact.ID
	}
	b.Data.Files = append(b.Data.Files, f)
	if b.Data.Blobs == nil {
		b.Data.Blobs = map[string][]byte{}
	}
	b.Data.Blobs[f.BlobKey] = content
	return f
}

// NewVersion adds the next version of a deliverable's file.
func (b *Builder) NewVersion(prev *portal.File, name string, content []byte, v portal.Visibility, by *portal.User) *portal.File {
	id, at := b.next(portal.PrefixFile)
	sum := sha256.Sum256(content)
	f := *prev
	f.ID, f.Version, f.Name, f.CreatedAt, f.Visibility = id, prev.Version+1, name, at, v
	f.ContentType, f.Size, f.Sha256, f.BlobKey = http.DetectContentType(content), len(content), hex.EncodeToString(sum[:]), prev.WorkspaceID+"/files/"+id
	f.UploadedByID, f.UploadedByContactID = &by.ID, nil
	b.Data.Files = append(b.Data.Files, &f)
	b.Data.Blobs[f.BlobKey] = content
	return &f
}

// QueuedExport adds an export of client c's records that a contact asked
// for, waiting for a worker.
func (b *Builder) QueuedExport(c *portal.Client, by *portal.Contact, kind portal.ExportKind, from, to portal.Date) *portal.Export {
	id, at := b.next(portal.PrefixExport)
	e := &portal.Export{
		WorkspaceID: c.WorkspaceID, ID: id, ClientID: c.ID, Kind: kind, From: from, To: to,
		Status: portal.ExportStatusQueued, RequestedByContactID: &by.ID, CreatedAt: at,
	}
	b.Data.Exports = append(b.Data.Exports, e)
	return e
}
