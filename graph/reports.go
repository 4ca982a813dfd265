package graph

import (
	"context"

	"portalgraph/internal/portal"
)

// reportStore writes and lists reports; part of Store.
type reportStore interface {
	Reports(ctx context.Context, p portal.Principal, f portal.ReportFilter, page portal.PageArgs) (*portal.ReportConnection, error)
	ReportsOf(ctx context.Context, p portal.Principal, parent portal.RecordType, ids []string, f portal.ReportFilter, page portal.PageArgs) (map[string]*portal.ReportConnection, error)
	CreateReport(ctx context.Context, p portal.Principal, in portal.CreateReportInput) (*portal.Report, error)
	UpdateReport(ctx context.Context, p portal.Principal, in portal.UpdateReportInput) (*portal.Report, error)
	PublishReport(ctx context.Context, p portal.Principal, id string) (*portal.Report, error)
	UnpublishReport(ctx context.Context, p portal.Principal, id string) (*portal.Report, error)
}

func (r *Resolver) createReport(ctx context.Context, input portal.CreateReportInput) (*portal.CreateReportPayload, error) {
	rep, err := r.store.CreateReport(ctx, portal.PrincipalFrom(ctx), input)
	if err != nil {
		return nil, err
	}
	return &portal.CreateReportPayload{Report: rep}, nil
}

func (r *Resolver) updateReport(ctx context.Context, input portal.UpdateReportInput) (*portal.UpdateReportPayload, error) {
	rep, err := r.store.UpdateReport(ctx, portal.PrincipalFrom(ctx), input)
	if err != nil {
		return nil, err
	}
	return &portal.UpdateReportPayload{Report: rep}, nil
}

func (r *Resolver) publishReport(ctx context.Context, input portal.PublishReportInput) (*portal.PublishReportPayload, error) {
	rep, err := r.store.PublishReport(ctx, portal.PrincipalFrom(ctx), input.ID)
	if err != nil {
		return nil, err
	}
	return &portal.PublishReportPayload{Report: rep}, nil
}

func (r *Resolver) unpublishReport(ctx context.Context, input portal.UnpublishReportInput) (*portal.UnpublishReportPayload, error) {
	rep, err := r.store.UnpublishReport(ctx, portal.PrincipalFrom(ctx), input.ID)
	if err != nil {
		return nil, err
	}
	return &portal.UnpublishReportPayload{Report: rep}, nil
}
