package graph

import (
	"context"

	"portalgraph/internal/portal"
)

// reportStore writes and lists reports; part of Store.
type reportStore interface{}

func (r *Resolver) clientReports(ctx context.Context, obj *portal.Client, first *int, after *string, filter *portal.ReportFilter) (*portal.Connection[portal.Report], error) {
	return nil, errNotImplemented
}

func (r *Resolver) createReport(ctx context.Context, input portal.CreateReportInput) (*portal.CreateReportPayload, error) {
	return nil, errNotImplemented
}

func (r *Resolver) updateReport(ctx context.Context, input portal.UpdateReportInput) (*portal.UpdateReportPayload, error) {
	return nil, errNotImplemented
}

func (r *Resolver) publishReport(ctx context.Context, input portal.PublishReportInput) (*portal.PublishReportPayload, error) {
	return nil, errNotImplemented
}

func (r *Resolver) unpublishReport(ctx context.Context, input portal.UnpublishReportInput) (*portal.UnpublishReportPayload, error) {
	return nil, errNotImplemented
}

func (r *Resolver) projectReports(ctx context.Context, obj *portal.Project, first *int, after *string, filter *portal.ReportFilter) (*portal.Connection[portal.Report], error) {
	return nil, errNotImplemented
}

func (r *Resolver) queryReport(ctx context.Context, id string) (*portal.Report, error) {
	rep, err := required(ctx, id, r.store.ReportsByID)
	viewed(r, ctx, portal.RecordTypeReport, rep)
	return rep, err
}

func (r *Resolver) queryReports(ctx context.Context, first *int, after *string, filter *portal.ReportFilter) (*portal.Connection[portal.Report], error) {
	return nil, errNotImplemented
}

func (r *Resolver) reportClient(ctx context.Context, obj *portal.Report) (*portal.Client, error) {
	return required(ctx, obj.ClientID, r.store.ClientsByID)
}

func (r *Resolver) reportProject(ctx context.Context, obj *portal.Report) (*portal.Project, error) {
	return optional(ctx, obj.ProjectID, r.store.ProjectsByID)
}

func (r *Resolver) reportMetrics(ctx context.Context, obj *portal.Report) ([]*portal.ReportMetric, error) {
	return obj.Metrics, nil
}

func (r *Resolver) reportAuthor(ctx context.Context, obj *portal.Report) (*portal.User, error) {
	return optional(ctx, obj.AuthorID, r.store.UsersByID)
}
