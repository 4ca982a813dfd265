package graph

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"

	"portalgraph/internal/blobstore"
	"portalgraph/internal/portal"
)

// fileStore stores and reads shared files; part of Store.
type fileStore interface {
	FilesOf(ctx context.Context, p portal.Principal, parent portal.RecordType, ids []string, allVersions bool, page portal.PageArgs) (map[string]*portal.FileConnection, error)
	VersionsOf(ctx context.Context, p portal.Principal, seriesIDs []string) (map[string][]*portal.File, error)

	MayUpload(ctx context.Context, p portal.Principal) error
	UploadFile(ctx context.Context, p portal.Principal, in portal.UploadFileInput, store func(*portal.File) (portal.FileContent, error)) (*portal.File, error)
	UpdateFile(ctx context.Context, p portal.Principal, in portal.UpdateFileInput) (*portal.File, error)
	DeleteFile(ctx context.Context, p portal.Principal, id string) (*portal.File, error)
	BlobRemoved(ctx context.Context, key string) error
	BlobRemovalFailed(ctx context.Context, key string, cause error) error
	RecordDownload(ctx context.Context, p portal.Principal, f *portal.File) error
}

// Blobs keeps the bytes of files (blobstore.Store).
type Blobs interface {
	Put(ctx context.Context, key string, r io.Reader, max int64) (blobstore.Stored, error)
	Open(ctx context.Context, key string) (io.ReadCloser, error)
	Delete(ctx context.Context, key string) error
}

func (r *Resolver) clientFiles(ctx context.Context, obj *portal.Client, first *int, after *string) (*portal.Connection[portal.File], error) {
	return r.filesOf(ctx, portal.RecordTypeClient, obj.ID, first, after, false)
}

func (r *Resolver) projectFiles(ctx context.Context, obj *portal.Project, first *int, after *string) (*portal.Connection[portal.File], error) {
	return r.filesOf(ctx, portal.RecordTypeProject, obj.ID, first, after, false)
}

func (r *Resolver) deliverableFiles(ctx context.Context, obj *portal.Deliverable, first *int, after *string, allVersions *bool) (*portal.Connection[portal.File], error) {
	return r.filesOf(ctx, portal.RecordTypeDeliverable, obj.ID, first, after, allVersions != nil && *allVersions)
}

func (r *Resolver) filesOf(ctx context.Context, parent portal.RecordType, id string, first *int, after *string, allVersions bool) (*portal.Connection[portal.File], error) {
	args, err := pageArgs(ctx, first, after)
	if err != nil {
		return nil, err
	}
	return connection(ctx, id, func(ctx context.Context, p portal.Principal, ids []string) (map[string]*portal.FileConnection, error) {
		return r.store.FilesOf(ctx, p, parent, ids, allVersions, args)
	})
}

func (r *Resolver) fileVersions(ctx context.Context, obj *portal.File) ([]*portal.File, error) {
	return list(ctx, obj.SeriesID, r.store.VersionsOf)
}

func (r *Resolver) fileClient(ctx context.Context, obj *portal.File) (*portal.Client, error) {
	return required(ctx, obj.ClientID, r.store.ClientsByID)
}

func (r *Resolver) fileProject(ctx context.Context, obj *portal.File) (*portal.Project, error) {
	return optional(ctx, obj.ProjectID, r.store.ProjectsByID)
}

func (r *Resolver) fileDeliverable(ctx context.Context, obj *portal.File) (*portal.Deliverable, error) {
	return optional(ctx, obj.DeliverableID, r.store.DeliverablesByID)
}

func (r *Resolver) fileRequest(ctx context.Context, obj *portal.File) (*portal.ClientRequest, error) {
	return optional(ctx, obj.RequestID, r.store.RequestsByID)
}

func (r *Resolver) fileUploadedBy(ctx context.Context, obj *portal.File) (*portal.User, error) {
	return optional(ctx, obj.UploadedByID, r.store.UsersByID)
}

func (r *Resolver) fileUploadedByContact(ctx context.Context, obj *portal.File) (*portal.Contact, error) {
	return optional(ctx, obj.UploadedByContactID, r.store.ContactsByID)
}

// fileDownloadURL makes a link for the viewer alone. The file was read
// under the viewer's scope, which is the check when the link is made; the
// download checks it again when the link is used.
func (r *Resolver) fileDownloadURL(ctx context.Context, obj *portal.File) (string, error) {
	token, _ := r.downloads.Sign(portal.PrincipalFrom(ctx), obj.ID)
	return r.publicURL + "/files/" + url.PathEscape(obj.ID) + "?token=" + token, nil
}

func (r *Resolver) uploadFile(ctx context.Context, input portal.UploadFileInput) (*portal.UploadFilePayload, error) {
	if input.File.Size > r.maxUploadBytes {
		return nil, tooLarge(r.maxUploadBytes)
	}
	var stored string
	f, err := r.store.UploadFile(ctx, portal.PrincipalFrom(ctx), input, func(f *portal.File) (portal.FileContent, error) {
		st, err := r.blobs.Put(ctx, f.BlobKey, input.File.File, r.maxUploadBytes)
		if errors.Is(err, blobstore.ErrTooLarge) {
			return portal.FileContent{}, tooLarge(r.maxUploadBytes)
		}
		if err != nil {
			return portal.FileContent{}, err
		}
		stored = f.BlobKey
		return portal.FileContent{Size: st.Size, SHA256: st.SHA256, ContentType: st.ContentType}, nil
	})
	if err != nil {
		if stored != "" {
			// The bytes of a file that was not recorded belong to no one.
			_ = r.blobs.Delete(context.WithoutCancel(ctx), stored)
		}
		return nil, err
	}
	return &portal.UploadFilePayload{File: f}, nil
}

func tooLarge(limit int64) error {
	return portal.InvalidField("input.file", fmt.Sprintf("is larger than the limit of %d bytes", limit))
}

func (r *Resolver) updateFile(ctx context.Context, input portal.UpdateFileInput) (*portal.UpdateFilePayload, error) {
	f, err := r.store.UpdateFile(ctx, portal.PrincipalFrom(ctx), input)
	if err != nil {
		return nil, err
	}
	return &portal.UpdateFilePayload{File: f}, nil
}

// deleteFile deletes the metadata and queues the bytes' removal together,
// then removes the bytes; when that fails, blob storage's sweep of the
// queue retries.
func (r *Resolver) deleteFile(ctx context.Context, input portal.DeleteFileInput) (*portal.DeleteFilePayload, error) {
	f, err := r.store.DeleteFile(ctx, portal.PrincipalFrom(ctx), input.ID)
	if err != nil {
		return nil, err
	}
	// The deletion stands either way: bytes left behind stay queued.
	_, _ = blobstore.Remove(context.WithoutCancel(ctx), r.blobs, r.store, f.BlobKey)
	return &portal.DeleteFilePayload{DeletedFileID: f.ID}, nil
}

func (r *Resolver) queryFile(ctx context.Context, id string) (*portal.File, error) {
	f, err := required(ctx, id, r.store.FilesByID)
	viewed(r, ctx, portal.RecordTypeFile, f)
	return f, err
}
