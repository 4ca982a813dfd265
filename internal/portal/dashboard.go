package portal

// Dashboard is the figures of one DashboardFilter. It holds only the
// filter: each of its fields is read by one statement of its own.
type Dashboard struct {
	Filter DashboardFilter
}

// DashboardGroup is what a dashboard's row is grouped by: a client's,
// project's or owner's ID, or a month (YYYY-MM); nil for records without
// one.
type DashboardGroup struct {
	By  DashboardGrouping `json:"by"`
	Key *string           `json:"key"`
}

// Of is the group's key when it is grouped by by.
func (g *DashboardGroup) Of(by DashboardGrouping) *string {
	if g == nil || g.By != by {
		return nil
	}
	return g.Key
}

type ApprovalStatusCount struct {
	Group  *DashboardGroup `json:"group"`
	Status ApprovalStatus  `json:"status"`
	Count  int             `json:"count"`
}

type DeliverableStatusCount struct {
	Group  *DashboardGroup   `json:"group"`
	Status DeliverableStatus `json:"status"`
	Count  int               `json:"count"`
}

type GroupCount struct {
	Group *DashboardGroup `json:"group"`
	Count int             `json:"count"`
}

// ApprovalTurnaround is how long a group's approvals took to resolve.
type ApprovalTurnaround struct {
	Group       *DashboardGroup `json:"group"`
	Resolved    int             `json:"resolved"`
	MedianHours float64         `json:"medianHours"`
	P90Hours    float64         `json:"p90Hours"`
}

type RequestCounts struct {
	Group  *DashboardGroup `json:"group"`
	Opened int             `json:"opened"`
	Closed int             `json:"closed"`
}

// EngagementWeek is what a group's portal contacts did in a week.
type EngagementWeek struct {
	Group          *DashboardGroup `json:"group"`
	Week           Date            `json:"week"`
	ActiveContacts int             `json:"activeContacts"`
	Views          int             `json:"views"`
	Downloads      int             `json:"downloads"`
	Decisions      int             `json:"decisions"`
}
