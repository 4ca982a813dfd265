package graph

import (
	"context"
	"errors"
	"fmt"
	"io"

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
