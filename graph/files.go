package graph

import (
	"context"

	"portalgraph/internal/portal"
)

// fileStore stores and reads shared files; part of Store.
type fileStore interface{}

func (r *Resolver) clientFiles(ctx context.Context, obj *portal.Client, first *int, after *string) (*portal.Connection[portal.File], error) {
	return nil, errNotImplemented
}

func (r *Resolver) deliverableFiles(ctx context.Context, obj *portal.Deliverable, first *int, after *string, allVersions *bool) (*portal.Connection[portal.File], error) {
	return nil, errNotImplemented
}

func (r *Resolver) fileVersions(ctx context.Context, obj *portal.File) ([]*portal.File, error) {
	return nil, errNotImplemented
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

func (r *Resolver) fileDownloadURL(ctx context.Context, obj *portal.File) (string, error) {
	return "", errNotImplemented
}

func (r *Resolver) uploadFile(ctx context.Context, input portal.UploadFileInput) (*portal.UploadFilePayload, error) {
	return nil, errNotImplemented
}

func (r *Resolver) updateFile(ctx context.Context, input portal.UpdateFileInput) (*portal.UpdateFilePayload, error) {
	return nil, errNotImplemented
}

func (r *Resolver) deleteFile(ctx context.Context, input portal.DeleteFileInput) (*portal.DeleteFilePayload, error) {
	return nil, errNotImplemented
}

func (r *Resolver) projectFiles(ctx context.Context, obj *portal.Project, first *int, after *string) (*portal.Connection[portal.File], error) {
	return nil, errNotImplemented
}

func (r *Resolver) queryFile(ctx context.Context, id string) (*portal.File, error) {
	f, err := required(ctx, id, r.store.FilesByID)
	viewed(r, ctx, portal.RecordTypeFile, f)
	return f, err
}
