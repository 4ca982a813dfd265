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

// reportsOf is the reports connection under a client or a project, batched
// with every other parent at the same place.
func (r *Resolver) reportsOf(ctx context.Context, parent portal.RecordType, id string, first *int, after *string, filter *portal.ReportFilter) (*portal.ReportConnection, error) {
	args, err := pageArgs(ctx, first, after)
	if err != nil {
		return nil, err
	}
	return connection(ctx, id, func(ctx context.Context, p portal.Principal, ids []string) (map[string]*portal.ReportConnection, error) {
		return r.store.ReportsOf(ctx, p, parent, ids, orEmpty(filter), args)
	})
}

func (r *Resolver) clientReports(ctx context.Context, obj *portal.Client, first *int, after *string, filter *portal.ReportFilter) (*portal.Connection[portal.Report], error) {
	return r.reportsOf(ctx, portal.RecordTypeClient, obj.ID, first, after, filter)
}

func (r *Resolver) projectReports(ctx context.Context, obj *portal.Project, first *int, after *string, filter *portal.ReportFilter) (*portal.Connection[portal.Report], error) {
	return r.reportsOf(ctx, portal.RecordTypeProject, obj.ID, first, after, filter)
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

func (r *Resolver) queryReport(ctx context.Context, id string) (*portal.Report, error) {
	rep, err := required(ctx, id, r.store.ReportsByID)
	viewed(r, ctx, portal.RecordTypeReport, rep)
	return rep, err
}

func (r *Resolver) queryReports(ctx context.Context, first *int, after *string, filter *portal.ReportFilter) (*portal.Connection[portal.Report], error) {
	args, err := pageArgs(ctx, first, after)
	if err != nil {
		return nil, err
	}
	conn, err := r.store.Reports(ctx, portal.PrincipalFrom(ctx), orEmpty(filter), args)
	return listedRoot(ctx, conn, err)
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
