package graph

import (
	"context"

	"portalgraph/internal/portal"
)

// dashboardStore reads dashboards' figures, each in one statement, scoped
// like the lists they summarise.
type dashboardStore interface {
	DashboardApprovalsByStatus(ctx context.Context, p portal.Principal, f portal.DashboardFilter) ([]*portal.ApprovalStatusCount, error)
	DashboardApprovalTurnaround(ctx context.Context, p portal.Principal, f portal.DashboardFilter) ([]*portal.ApprovalTurnaround, error)
	DashboardOverdueApprovals(ctx context.Context, p portal.Principal, f portal.DashboardFilter) ([]*portal.GroupCount, error)
	DashboardOverdueDeliverables(ctx context.Context, p portal.Principal, f portal.DashboardFilter) ([]*portal.GroupCount, error)
	DashboardDeliverablesByStatus(ctx context.Context, p portal.Principal, f portal.DashboardFilter) ([]*portal.DeliverableStatusCount, error)
	DashboardRequests(ctx context.Context, p portal.Principal, f portal.DashboardFilter) ([]*portal.RequestCounts, error)
	DashboardEngagement(ctx context.Context, p portal.Principal, f portal.DashboardFilter) ([]*portal.EngagementWeek, error)
}

// figure is a field of a dashboard: one store call, one statement, for
// each dashboard (a query asks for one, or one per alias).
// Each row holds one DashboardGroup, whose fields' loaders count on it as
// a connection's count its edges' nodes.
func figure[V any](fetch func(ctx context.Context, p portal.Principal, f portal.DashboardFilter) ([]*V, error)) readField {
	f := each(func(in fieldInput, d *portal.Dashboard) ([]*V, error) {
		return fetch(in.ctx, in.principal(), d.Filter)
	})
	rows := f.count
	f.count = func(v any, byType map[string]int) {
		rows(v, byType)
		if list, _ := v.([]*V); len(list) > 0 {
			byType[typeName[portal.DashboardGroup]()] += len(list)
		}
	}
	return f
}

// dashboardFields are the definitions of the dashboard's fields (see
// readFields).
func dashboardFields(s Store) map[string]readField {
	return map[string]readField{
		"Query.dashboard": root(func(in fieldInput) (*portal.Dashboard, error) {
			return &portal.Dashboard{Filter: arg[portal.DashboardFilter](in, "filter")}, nil
		}),
		"Dashboard.approvalsByStatus":    figure(s.DashboardApprovalsByStatus),
		"Dashboard.approvalTurnaround":   figure(s.DashboardApprovalTurnaround),
		"Dashboard.overdueApprovals":     figure(s.DashboardOverdueApprovals),
		"Dashboard.overdueDeliverables":  figure(s.DashboardOverdueDeliverables),
		"Dashboard.deliverablesByStatus": figure(s.DashboardDeliverablesByStatus),
		"Dashboard.requests":             figure(s.DashboardRequests),
		"Dashboard.engagement":           figure(s.DashboardEngagement),

		// A group's record, when grouped by its kind; null when the
		// principal does not see it.
		"DashboardGroup.client": optional(func(g *portal.DashboardGroup) *string { return g.Of(portal.DashboardGroupingClient) }, s.ClientsByID),
		"DashboardGroup.project": optional(func(g *portal.DashboardGroup) *string {
			return g.Of(portal.DashboardGroupingProject)
		}, s.ProjectsByID),
		"DashboardGroup.owner": optional(func(g *portal.DashboardGroup) *string { return g.Of(portal.DashboardGroupingOwner) }, s.UsersByID),
	}
}
