package sqlstore_test

import (
	"context"
	"reflect"
	"slices"
	"testing"
	"time"

	"portalgraph/internal/dataset"
	"portalgraph/internal/portal"
	"portalgraph/internal/sqlstore"
	"portalgraph/internal/sqlstore/sqltest"
)

// view is everything one principal sees of the fixture, by label.
type view struct {
	Workspace    []string
	Clients      []string
	Contacts     []string
	Projects     []string
	Deliverables []string
	Approvals    []string
	Decisions    []string
	Approvers    []string // "approval:contact"
	Users        []string
	Notes        []string
	Activity     []string
}

// scopeFixture is the fixture plus a decision on every approval, so that
// decisions too have something to hide.
func scopeFixture(t *testing.T, s *sqlstore.Store) (*sqltest.Fixture, labels) {
	t.Helper()
	f := sqltest.LoadFixture(t, s)
	lab := labelsOf(f)
	b := dataset.New(time.Date(2026, 2, 1, 9, 0, 0, 0, time.UTC), 11)
	lab[b.Decision(f.ApprovalInternal, f.AActive, portal.DecisionOutcomeChangesRequested, "").ID] = "DecisionInternal"
	lab[b.Decision(f.BApproval, f.BActive, portal.DecisionOutcomeApproved, "").ID] = "DecisionB"
	lab[b.Decision(f.XApprove, f.XActive, portal.DecisionOutcomeRejected, "").ID] = "DecisionX"
	noErr(t, s.Load(t.Context(), &b.Data))
	return f, lab
}

// viewOf reads what p sees of every record in the database, twice: by ID
// (node lookups, loader batches) and through every list and per-parent
// connection, with counts. Both paths must agree; it returns the view.
func viewOf(t *testing.T, s *sqlstore.Store, p portal.Principal, lab labels) view {
	t.Helper()
	byID := viewByID(t, s, p, lab)
	if lists := viewByLists(t, s, p, lab); !reflect.DeepEqual(byID, lists) {
		t.Errorf("lookups by ID and lists disagree for %s %s:\n by ID: %+v\n lists: %+v", p.Audience, p.UserID+p.ContactID, byID, lists)
	}
	return byID
}

// allIDs lists every ID of a table, whoever may see it.
func allIDs(t *testing.T, s *sqlstore.Store, table string) []string {
	t.Helper()
	var ids []string
	if err := s.DB().SelectContext(t.Context(), &ids, "SELECT id FROM "+table+" ORDER BY id"); err != nil {
		t.Fatal(err)
	}
	return ids
}

// lookup reads every record of a table by ID, as p.
func lookup[R record](t *testing.T, s *sqlstore.Store, p portal.Principal, lab labels, table string,
	byID func(context.Context, portal.Principal, []string) ([]R, error)) []string {
	t.Helper()
	recs, err := byID(t.Context(), p, allIDs(t, s, table))
	noErr(t, err)
	return lab.of(idsOf(recs))
}

func workspaceOf(t *testing.T, s *sqlstore.Store, p portal.Principal, lab labels) []string {
	t.Helper()
	w, err := s.Workspace(t.Context(), p)
	noErr(t, err)
	if w == nil {
		return lab.of(nil)
	}
	return lab.of([]string{w.ID})
}

func viewByID(t *testing.T, s *sqlstore.Store, p portal.Principal, lab labels) view {
	t.Helper()
	return view{
		Workspace:    workspaceOf(t, s, p, lab),
		Clients:      lookup(t, s, p, lab, "clients", s.ClientsByID),
		Contacts:     lookup(t, s, p, lab, "contacts", s.ContactsByID),
		Projects:     lookup(t, s, p, lab, "projects", s.ProjectsByID),
		Deliverables: lookup(t, s, p, lab, "deliverables", s.DeliverablesByID),
		Approvals:    lookup(t, s, p, lab, "approvals", s.ApprovalsByID),
		Decisions:    lookup(t, s, p, lab, "approval_decisions", s.DecisionsByID),
		Users:        lookup(t, s, p, lab, "users", s.UsersByID),
		Notes:        lookup(t, s, p, lab, "notes", s.NotesByID),
		Activity:     lookup(t, s, p, lab, "activity_events", s.ActivityByID),
		// Approvers have no IDs of their own: the list under each
		// approval is the only way to them.
		Approvers: approvers(t, s, p, lab),
	}
}

func approvers(t *testing.T, s *sqlstore.Store, p portal.Principal, lab labels) []string {
	t.Helper()
	byApproval, err := s.ApproversOf(t.Context(), p, allIDs(t, s, "approvals"))
	noErr(t, err)
	out := []string{}
	for approval, contacts := range byApproval {
		for _, c := range contacts {
			out = append(out, lab.of([]string{approval})[0]+":"+lab.of([]string{c.ID})[0])
		}
	}
	slices.Sort(out)
	return out
}

// perParent reads a connection under every parent and returns the labels
// of all its records; each parent's page must be complete and counted.
func perParent[T any, P interface {
	*T
	record
}](t *testing.T, lab labels, what string, parents []string, read func(ids []string) (map[string]*portal.Connection[T], error)) []string {
	t.Helper()
	pages, err := read(parents)
	noErr(t, err)
	return lab.of(unionOfPages[T, P](t, what, pages, parents))
}

// rootList reads a root list as one complete, counted page.
func rootList[T any, P interface {
	*T
	record
}](t *testing.T, lab labels, what string, c *portal.Connection[T], err error) []string {
	t.Helper()
	noErr(t, err)
	ids := edgeIDs[T, P](c)
	if c.TotalCount != len(ids) {
		t.Errorf("%s: TotalCount %d, want %d", what, c.TotalCount, len(ids))
	}
	if c.PageInfo.HasNextPage || c.PageInfo.HasPreviousPage {
		t.Errorf("%s: pageInfo %+v on a complete first page", what, c.PageInfo)
	}
	return lab.of(ids)
}

func viewByLists(t *testing.T, s *sqlstore.Store, p portal.Principal, lab labels) view {
	t.Helper()
	ctx := t.Context()
	clientIDs, projectIDs := allIDs(t, s, "clients"), allIDs(t, s, "projects")
	deliverableIDs := allIDs(t, s, "deliverables")
	var v view
	v.Workspace = workspaceOf(t, s, p, lab)

	c, err := s.Clients(ctx, p, portal.ClientFilter{}, nil, all)
	v.Clients = rootList(t, lab, "clients", c, err)
	v.Contacts = perParent(t, lab, "contacts", clientIDs, func(ids []string) (map[string]*portal.ContactConnection, error) {
		return s.ContactsOfClients(ctx, p, ids, nil, all)
	})

	pr, err := s.Projects(ctx, p, portal.ProjectFilter{}, nil, all)
	v.Projects = rootList(t, lab, "projects", pr, err)
	perClient := perParent(t, lab, "projects", clientIDs, func(ids []string) (map[string]*portal.ProjectConnection, error) {
		return s.ProjectsOfClients(ctx, p, ids, portal.ClientProjectFilter{}, nil, all)
	})
	if !slices.Equal(perClient, v.Projects) {
		t.Errorf("projects: root list %v, per client %v", v.Projects, perClient)
	}

	v.Deliverables = perParent(t, lab, "deliverables", projectIDs, func(ids []string) (map[string]*portal.DeliverableConnection, error) {
		return s.DeliverablesOfProjects(ctx, p, ids, portal.ProjectDeliverableFilter{}, nil, all)
	})

	approvalsOf := func(parent portal.RecordType, parents []string) []string {
		return perParent(t, lab, "approvals of "+string(parent), parents, func(ids []string) (map[string]*portal.ApprovalConnection, error) {
			return s.ApprovalsOf(ctx, p, parent, ids, nil, all)
		})
	}
	v.Approvals = approvalsOf(portal.RecordTypeDeliverable, deliverableIDs)
	if got := approvalsOf(portal.RecordTypeProject, projectIDs); !slices.Equal(got, v.Approvals) {
		t.Errorf("approvals: per deliverable %v, per project %v", v.Approvals, got)
	}
	if got := approvalsOf(portal.RecordTypeClient, clientIDs); !slices.Equal(got, v.Approvals) {
		t.Errorf("approvals: per deliverable %v, per client %v", v.Approvals, got)
	}

	// The history, like lookups by ID, includes decisions since changed.
	decisions, err := s.DecisionHistoryOf(ctx, p, allIDs(t, s, "approvals"))
	noErr(t, err)
	var decisionIDs []string
	for approval, ds := range decisions {
		for _, d := range ds {
			if d.ApprovalID != approval {
				t.Errorf("decision %s listed under approval %s", d.ID, approval)
			}
			decisionIDs = append(decisionIDs, d.ID)
		}
	}
	v.Decisions = lab.of(decisionIDs)

	u, err := s.Users(ctx, p, all)
	v.Users = rootList(t, lab, "users", u, err)

	v.Notes = perParent(t, lab, "notes", clientIDs, func(ids []string) (map[string]*portal.NoteConnection, error) {
		return s.NotesOf(ctx, p, portal.RecordTypeClient, ids, all)
	})
	v.Activity = perParent(t, lab, "activity", clientIDs, func(ids []string) (map[string]*portal.ActivityEventConnection, error) {
		return s.ActivityOfClients(ctx, p, ids, portal.ActivityFilter{}, all)
	})
	v.Approvers = approvers(t, s, p, lab)
	return v
}

// What each principal of the fixture sees.
var (
	staffW1View = view{
		Workspace:    []string{"W1"},
		Clients:      []string{"A", "B", "C"},
		Contacts:     []string{"AActive", "AInvited", "ASuspended", "BActive", "CActive"},
		Projects:     []string{"AInternal", "AShared", "BShared"},
		Deliverables: []string{"BDeliverable", "DInternal", "DOfInternal", "DShared"},
		Approvals:    []string{"ApprovalInternal", "ApprovalShared", "BApproval"},
		Decisions:    []string{"DecisionB", "DecisionInternal", "DecisionShared"},
		Approvers:    []string{"ApprovalInternal:AActive", "ApprovalShared:AActive", "BApproval:BActive"},
		Users:        []string{"Admin", "Manager", "Member", "Owner", "Viewer"},
		Notes:        []string{"NoteA", "NoteAShared"},
		Activity:     []string{"EventA"},
	}
	staffW2View = view{
		Workspace: []string{"W2"}, Clients: []string{"X"}, Contacts: []string{"XActive"}, Projects: []string{"XShared"},
		Deliverables: []string{"XDeliv"}, Approvals: []string{"XApprove"}, Decisions: []string{"DecisionX"},
		Approvers: []string{"XApprove:XActive"}, Users: []string{"Owner2"}, Notes: []string{}, Activity: []string{},
	}
	// Ann sees her client, its contacts, the shared project, its shared
	// deliverable and that deliverable's approval; never DInternal,
	// DOfInternal (shared, but of an internal project), ApprovalInternal,
	// notes or activity; of the staff only Manager, who owns Acme and the
	// shared project (Owner owns only the internal one).
	portalAView = view{
		Workspace: []string{"W1"}, Clients: []string{"A"}, Contacts: []string{"AActive", "AInvited", "ASuspended"},
		Projects: []string{"AShared"}, Deliverables: []string{"DShared"}, Approvals: []string{"ApprovalShared"},
		Decisions: []string{"DecisionShared"}, Approvers: []string{"ApprovalShared:AActive"}, Users: []string{"Manager"},
		Notes: []string{}, Activity: []string{},
	}
	portalBView = view{
		Workspace: []string{"W1"}, Clients: []string{"B"}, Contacts: []string{"BActive"}, Projects: []string{"BShared"},
		Deliverables: []string{"BDeliverable"}, Approvals: []string{"BApproval"}, Decisions: []string{"DecisionB"},
		Approvers: []string{"BApproval:BActive"}, Users: []string{"Owner"}, Notes: []string{}, Activity: []string{},
	}
	portalXView = view{
		Workspace: []string{"W2"}, Clients: []string{"X"}, Contacts: []string{"XActive"}, Projects: []string{"XShared"},
		Deliverables: []string{"XDeliv"}, Approvals: []string{"XApprove"}, Decisions: []string{"DecisionX"},
		Approvers: []string{"XApprove:XActive"}, Users: []string{"Owner2"}, Notes: []string{}, Activity: []string{},
	}
	// A contact whose portal is closed sees nothing at all, not even the
	// workspace.
	nothingView = view{
		Workspace: []string{}, Clients: []string{}, Contacts: []string{}, Projects: []string{}, Deliverables: []string{},
		Approvals: []string{}, Decisions: []string{}, Approvers: []string{}, Users: []string{}, Notes: []string{}, Activity: []string{},
	}
)

// without returns v with the named kinds of records emptied.
func (v view) without(kinds ...string) view {
	rv := reflect.ValueOf(&v).Elem()
	for _, k := range kinds {
		rv.FieldByName(k).Set(reflect.ValueOf([]string{}))
	}
	return v
}

func TestEachPrincipalSeesExactlyItsRecords(t *testing.T) {
	t.Parallel()
	sqltest.Run(t, func(t *testing.T, s *sqlstore.Store) {
		f, lab := scopeFixture(t, s)
		cases := []struct {
			name string
			p    portal.Principal
			want view
		}{
			{"owner of W1", sqltest.Staff(f.Owner), staffW1View},
			{"manager of W1", sqltest.Staff(f.Manager), staffW1View},
			{"member of W1", sqltest.Staff(f.Member), staffW1View},
			{"viewer of W1", sqltest.Staff(f.Viewer), staffW1View},
			{"owner of W2", sqltest.Staff(f.Owner2), staffW2View},
			{"portal contact of A", sqltest.Portal(f.AActive), portalAView},
			{"portal contact of B", sqltest.Portal(f.BActive), portalBView},
			{"portal contact of C, portal off", sqltest.Portal(f.CActive), nothingView},
			{"suspended contact of A", sqltest.Portal(f.ASuspended), nothingView},
			{"portal contact of X in W2", sqltest.Portal(f.XActive), portalXView},
			{"anonymous", portal.Anonymous(), nothingView},
			{"partner of W1", portal.Principal{Audience: portal.AudiencePartner, WorkspaceID: f.W1.ID}, nothingView},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				if got := viewOf(t, s, c.p, lab); !reflect.DeepEqual(got, c.want) {
					t.Errorf("sees\n %+v\nwant\n %+v", got, c.want)
				}
			})
		}
	})
}

// page is a connection reduced to what the tests compare.
type page struct {
	IDs   []string // labels, in page order
	Total int
	Next  bool
}

func pageOf[T any, P interface {
	*T
	record
}](lab labels, c *portal.Connection[T]) page {
	return page{IDs: lab.inOrder(edgeIDs[T, P](c)), Total: c.TotalCount, Next: c.PageInfo.HasNextPage}
}

func pagesOf[T any, P interface {
	*T
	record
}](t *testing.T, lab labels, pages map[string]*portal.Connection[T], err error) map[string]page {
	t.Helper()
	noErr(t, err)
	out := map[string]page{}
	for id, c := range pages {
		out[lab.of([]string{id})[0]] = pageOf[T, P](lab, c)
	}
	return out
}

// Per-parent connections asked for parents the contact may not see (other
// clients, internal projects, another workspace) give those parents an
// empty connection counted 0, and the visible parent exactly its records.
func TestPortalConnectionsPerParent(t *testing.T) {
	t.Parallel()
	sqltest.Run(t, func(t *testing.T, s *sqlstore.Store) {
		f, lab := scopeFixture(t, s)
		ctx, p := t.Context(), sqltest.Portal(f.AActive)
		clients := []string{f.A.ID, f.B.ID, f.C.ID, f.X.ID}
		projects := []string{f.AShared.ID, f.AInternal.ID, f.BShared.ID, f.XShared.ID}
		deliverables := []string{f.DShared.ID, f.DInternal.ID, f.DOfInternal.ID, f.BDeliverable.ID, f.XDeliv.ID}
		empty := page{IDs: []string{}}
		one := func(label string) page { return page{IDs: []string{label}, Total: 1} }

		cases := []struct {
			name string
			read func() map[string]page
			want map[string]page
		}{
			{"ProjectsOfClients", func() map[string]page {
				r, err := s.ProjectsOfClients(ctx, p, clients, portal.ClientProjectFilter{}, nil, all)
				return pagesOf(t, lab, r, err)
			}, map[string]page{"A": one("AShared"), "B": empty, "C": empty, "X": empty}},
			{"ContactsOfClients", func() map[string]page {
				r, err := s.ContactsOfClients(ctx, p, clients, nil, all)
				return pagesOf(t, lab, r, err)
			}, map[string]page{"A": {IDs: []string{"AActive", "ASuspended", "AInvited"}, Total: 3}, "B": empty, "C": empty, "X": empty}},
			{"ContactsOfClients ACTIVE", func() map[string]page {
				r, err := s.ContactsOfClients(ctx, p, clients, []portal.PortalStatus{portal.PortalStatusActive}, all)
				return pagesOf(t, lab, r, err)
			}, map[string]page{"A": one("AActive"), "B": empty, "C": empty, "X": empty}},
			{"DeliverablesOfProjects", func() map[string]page {
				r, err := s.DeliverablesOfProjects(ctx, p, projects, portal.ProjectDeliverableFilter{}, nil, all)
				return pagesOf(t, lab, r, err)
			}, map[string]page{"AShared": one("DShared"), "AInternal": empty, "BShared": empty, "XShared": empty}},
			{"ApprovalsOf deliverables", func() map[string]page {
				r, err := s.ApprovalsOf(ctx, p, portal.RecordTypeDeliverable, deliverables, nil, all)
				return pagesOf(t, lab, r, err)
			}, map[string]page{"DShared": one("ApprovalShared"), "DInternal": empty, "DOfInternal": empty, "BDeliverable": empty, "XDeliv": empty}},
			{"ApprovalsOf projects", func() map[string]page {
				r, err := s.ApprovalsOf(ctx, p, portal.RecordTypeProject, projects, nil, all)
				return pagesOf(t, lab, r, err)
			}, map[string]page{"AShared": one("ApprovalShared"), "AInternal": empty, "BShared": empty, "XShared": empty}},
			{"ApprovalsOf clients", func() map[string]page {
				r, err := s.ApprovalsOf(ctx, p, portal.RecordTypeClient, clients, nil, all)
				return pagesOf(t, lab, r, err)
			}, map[string]page{"A": one("ApprovalShared"), "B": empty, "C": empty, "X": empty}},
			{"NotesOf clients", func() map[string]page {
				r, err := s.NotesOf(ctx, p, portal.RecordTypeClient, clients, all)
				return pagesOf(t, lab, r, err)
			}, map[string]page{"A": empty, "B": empty, "C": empty, "X": empty}},
			{"ActivityOfClients", func() map[string]page {
				r, err := s.ActivityOfClients(ctx, p, clients, portal.ActivityFilter{}, all)
				return pagesOf(t, lab, r, err)
			}, map[string]page{"A": empty, "B": empty, "C": empty, "X": empty}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				if got := c.read(); !reflect.DeepEqual(got, c.want) {
					t.Errorf("got  %+v\nwant %+v", got, c.want)
				}
			})
		}

		t.Run("DecisionsOf and ApproversOf", func(t *testing.T) {
			approvals := []string{f.ApprovalShared.ID, f.ApprovalInternal.ID, f.BApproval.ID, f.XApprove.ID}
			decisions, err := s.DecisionsOf(ctx, p, approvals)
			noErr(t, err)
			if len(decisions) != 1 || !slices.Equal(lab.of(idsOf(decisions[f.ApprovalShared.ID])), []string{"DecisionShared"}) {
				t.Errorf("decisions %v, want only DecisionShared under ApprovalShared", decisions)
			}
			approvers, err := s.ApproversOf(ctx, p, approvals)
			noErr(t, err)
			if len(approvers) != 1 || !slices.Equal(lab.of(idsOf(approvers[f.ApprovalShared.ID])), []string{"AActive"}) {
				t.Errorf("approvers %v, want only AActive under ApprovalShared", approvers)
			}
		})
	})
}

// Every rule is evaluated at read time: a change to the client's portal,
// to its sections or to a record's visibility shows on the very next read.
func TestPortalChangesTakeEffectOnNextRead(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		change func(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture)
		want   view
	}{
		{"deliverables section off", func(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture) {
			exec(t, s, "UPDATE clients SET portal_deliverables = FALSE WHERE id = ?", f.A.ID)
		}, portalAView.without("Deliverables", "Approvals", "Decisions", "Approvers")},
		{"approvals section off", func(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture) {
			exec(t, s, "UPDATE clients SET portal_approvals = FALSE WHERE id = ?", f.A.ID)
		}, portalAView.without("Approvals", "Decisions", "Approvers")},
		{"projects section off", func(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture) {
			exec(t, s, "UPDATE clients SET portal_projects = FALSE WHERE id = ?", f.A.ID)
		}, portalAView.without("Projects", "Deliverables", "Approvals", "Decisions", "Approvers")},
		{"portal disabled", func(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture) {
			exec(t, s, "UPDATE clients SET portal_enabled = FALSE WHERE id = ?", f.A.ID)
		}, nothingView},
		{"contact suspended", func(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture) {
			exec(t, s, "UPDATE contacts SET portal_status = 'SUSPENDED' WHERE id = ?", f.AActive.ID)
		}, nothingView},
		{"client archived", func(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture) {
			_, err := s.ArchiveClient(t.Context(), sqltest.Staff(f.Manager), f.A.ID)
			noErr(t, err)
		}, nothingView},
		{"project made internal", func(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture) {
			_, err := s.UpdateProject(t.Context(), sqltest.Staff(f.Manager), portal.UpdateProjectInput{ID: f.AShared.ID, Visibility: ptr(portal.VisibilityInternal)})
			noErr(t, err)
		}, portalAView.without("Projects", "Deliverables", "Approvals", "Decisions", "Approvers")}, // Manager still owns Acme
		{"deliverable made internal", func(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture) {
			_, err := s.UpdateDeliverable(t.Context(), sqltest.Staff(f.Manager), portal.UpdateDeliverableInput{ID: f.DShared.ID, Visibility: ptr(portal.VisibilityInternal)})
			noErr(t, err)
		}, portalAView.without("Deliverables", "Approvals", "Decisions", "Approvers")},
		{"internal project shared", func(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture) {
			_, err := s.UpdateProject(t.Context(), sqltest.Staff(f.Manager), portal.UpdateProjectInput{ID: f.AInternal.ID, Visibility: ptr(portal.VisibilityShared)})
			noErr(t, err)
		}, func() view {
			v := portalAView
			v.Projects = []string{"AInternal", "AShared"}
			v.Deliverables = []string{"DOfInternal", "DShared"} // DOfInternal was shared all along
			v.Users = []string{"Manager", "Owner"}              // Owner owns AInternal
			return v
		}()},
		{"internal deliverable shared", func(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture) {
			_, err := s.UpdateDeliverable(t.Context(), sqltest.Staff(f.Manager), portal.UpdateDeliverableInput{ID: f.DInternal.ID, Visibility: ptr(portal.VisibilityShared)})
			noErr(t, err)
		}, func() view {
			v := portalAView
			v.Deliverables = []string{"DInternal", "DShared"}
			v.Approvals = []string{"ApprovalInternal", "ApprovalShared"} // its approval comes with it, decisions too
			v.Decisions = []string{"DecisionInternal", "DecisionShared"}
			v.Approvers = []string{"ApprovalInternal:AActive", "ApprovalShared:AActive"}
			return v
		}()},
		{"owner of a shared project", func(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture) {
			_, err := s.UpdateProject(t.Context(), sqltest.Staff(f.Manager), portal.UpdateProjectInput{ID: f.AShared.ID, OwnerID: &f.Member.ID})
			noErr(t, err)
		}, func() view {
			v := portalAView
			v.Users = []string{"Manager", "Member"}
			return v
		}()},
		{"another client's portal disabled", func(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture) {
			exec(t, s, "UPDATE clients SET portal_enabled = FALSE, portal_projects = FALSE WHERE id = ?", f.B.ID)
		}, portalAView},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			sqltest.Run(t, func(t *testing.T, s *sqlstore.Store) {
				f, lab := scopeFixture(t, s)
				p := sqltest.Portal(f.AActive)
				if got := viewOf(t, s, p, lab); !reflect.DeepEqual(got, portalAView) {
					t.Fatalf("before the change sees\n %+v", got)
				}
				c.change(t, s, f)
				if got := viewOf(t, s, p, lab); !reflect.DeepEqual(got, c.want) {
					t.Errorf("after the change sees\n %+v\nwant\n %+v", got, c.want)
				}
			})
		})
	}
}

// Ordering by budget would tell budgets apart, so it needs BUDGETS_READ,
// which only managers and above hold; reading projects does not.
func TestBudgetOrderingNeedsBudgetsRead(t *testing.T) {
	t.Parallel()
	sqltest.Run(t, func(t *testing.T, s *sqlstore.Store) {
		f, lab := scopeFixture(t, s)
		ctx := t.Context()
		byBudget := func(dir portal.SortDirection) *portal.ProjectOrder {
			return &portal.ProjectOrder{Field: portal.ProjectOrderFieldBudgetCents, Direction: dir}
		}
		for _, who := range []struct {
			name string
			p    portal.Principal
		}{{"viewer", sqltest.Staff(f.Viewer)}, {"member", sqltest.Staff(f.Member)}, {"portal contact", sqltest.Portal(f.AActive)}} {
			t.Run(who.name, func(t *testing.T) {
				_, err := s.Projects(ctx, who.p, portal.ProjectFilter{}, byBudget(portal.SortDirectionAsc), all)
				wantCode(t, err, portal.CodeForbidden)
				_, err = s.ProjectsOfClients(ctx, who.p, []string{f.A.ID}, portal.ClientProjectFilter{}, byBudget(portal.SortDirectionDesc), all)
				wantCode(t, err, portal.CodeForbidden)
				// Any other order is fine.
				_, err = s.Projects(ctx, who.p, portal.ProjectFilter{}, &portal.ProjectOrder{Field: portal.ProjectOrderFieldName}, all)
				noErr(t, err)
			})
		}
		t.Run("manager", func(t *testing.T) {
			p := sqltest.Staff(f.Manager)
			asc, err := s.Projects(ctx, p, portal.ProjectFilter{}, byBudget(portal.SortDirectionAsc), all)
			noErr(t, err)
			// No budget sorts as less than any: AInternal and BShared (by ID), then AShared.
			if got, want := pageOf(lab, asc), (page{IDs: []string{"AInternal", "BShared", "AShared"}, Total: 3}); !reflect.DeepEqual(got, want) {
				t.Errorf("ascending %+v, want %+v", got, want)
			}
			desc, err := s.ProjectsOfClients(ctx, p, []string{f.A.ID}, portal.ClientProjectFilter{}, byBudget(portal.SortDirectionDesc), all)
			noErr(t, err)
			if got, want := pageOf(lab, desc[f.A.ID]), (page{IDs: []string{"AShared", "AInternal"}, Total: 2}); !reflect.DeepEqual(got, want) {
				t.Errorf("descending %+v, want %+v", got, want)
			}
		})
	})
}

// Filters narrow the principal's view; they never widen it.
func TestFiltersComposeWithScope(t *testing.T) {
	t.Parallel()
	sqltest.Run(t, func(t *testing.T, s *sqlstore.Store) {
		f, lab := scopeFixture(t, s)
		ctx := t.Context()
		internal, shared := ptr(portal.VisibilityInternal), ptr(portal.VisibilityShared)
		projects := func(p portal.Principal, fl portal.ProjectFilter) page {
			c, err := s.Projects(ctx, p, fl, nil, all)
			noErr(t, err)
			return pageOf(lab, c)
		}
		clients := func(p portal.Principal, fl portal.ClientFilter) page {
			c, err := s.Clients(ctx, p, fl, nil, all)
			noErr(t, err)
			return pageOf(lab, c)
		}
		deliverables := func(p portal.Principal, fl portal.ProjectDeliverableFilter) page {
			c, err := s.DeliverablesOfProjects(ctx, p, []string{f.AShared.ID}, fl, nil, all)
			noErr(t, err)
			return pageOf(lab, c[f.AShared.ID])
		}
		staff, ann := sqltest.Staff(f.Owner), sqltest.Portal(f.AActive)
		cases := []struct {
			name string
			got  page
			want page
		}{
			{"staff, internal projects", projects(staff, portal.ProjectFilter{Visibility: internal}), page{IDs: []string{"AInternal"}, Total: 1}},
			{"portal, internal projects", projects(ann, portal.ProjectFilter{Visibility: internal}), page{IDs: []string{}}},
			{"portal, projects of B", projects(ann, portal.ProjectFilter{ClientID: &f.B.ID}), page{IDs: []string{}}},
			{"portal, shared ACTIVE projects", projects(ann, portal.ProjectFilter{Visibility: shared, Status: []portal.ProjectStatus{portal.ProjectStatusActive}}), page{IDs: []string{"AShared"}, Total: 1}},
			{"staff, projects of A", projects(staff, portal.ProjectFilter{ClientID: &f.A.ID}), page{IDs: []string{"AShared", "AInternal"}, Total: 2}},
			{"staff, PLANNED projects", projects(staff, portal.ProjectFilter{Status: []portal.ProjectStatus{portal.ProjectStatusPlanned}}), page{IDs: []string{"AInternal"}, Total: 1}},
			{"staff, clients owned by Owner", clients(staff, portal.ClientFilter{OwnerID: &f.Owner.ID}), page{IDs: []string{"B", "C"}, Total: 2}},
			{"staff, clients with portal", clients(staff, portal.ClientFilter{PortalEnabled: ptr(true)}), page{IDs: []string{"A", "B"}, Total: 2}},
			{"staff, clients matching 'OLT'", clients(staff, portal.ClientFilter{Text: ptr("OLT")}), page{IDs: []string{"B"}, Total: 1}},
			{"staff, clients matching '%'", clients(staff, portal.ClientFilter{Text: ptr("%")}), page{IDs: []string{}}},
			{"staff, clients matching '_'", clients(staff, portal.ClientFilter{Text: ptr("_")}), page{IDs: []string{}}},
			{"portal, clients matching 'bolt'", clients(ann, portal.ClientFilter{Text: ptr("bolt")}), page{IDs: []string{}}},
			{"staff, deliverables IN_PROGRESS", deliverables(staff, portal.ProjectDeliverableFilter{Status: []portal.DeliverableStatus{portal.DeliverableStatusInProgress}}), page{IDs: []string{"DInternal"}, Total: 1}},
			{"portal, deliverables IN_PROGRESS", deliverables(ann, portal.ProjectDeliverableFilter{Status: []portal.DeliverableStatus{portal.DeliverableStatusInProgress}}), page{IDs: []string{}}},
			{"staff, deliverables due by March", deliverables(staff, portal.ProjectDeliverableFilter{DueAfter: date("2026-03-01"), DueBefore: date("2026-03-01")}), page{IDs: []string{"DShared"}, Total: 1}},
			{"staff, deliverables due after March", deliverables(staff, portal.ProjectDeliverableFilter{DueAfter: date("2026-03-02")}), page{IDs: []string{}}},
			{"staff, internal deliverables", deliverables(staff, portal.ProjectDeliverableFilter{Visibility: internal}), page{IDs: []string{"DInternal"}, Total: 1}},
		}
		for _, c := range cases {
			if !reflect.DeepEqual(c.got, c.want) {
				t.Errorf("%s: got %+v, want %+v", c.name, c.got, c.want)
			}
		}
	})
}

// An approver's changed decision replaces the earlier one among the
// current decisions; the earlier one stays in the history and by its ID.
func TestOnlyCurrentDecisionsAreShown(t *testing.T) {
	t.Parallel()
	sqltest.Run(t, func(t *testing.T, s *sqlstore.Store) {
		f, lab := scopeFixture(t, s)
		b := dataset.New(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC), 12)
		exec(t, s, "UPDATE approval_decisions SET superseded_at = ? WHERE id = ?", time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC), f.DecisionShared.ID)
		lab[b.Decision(f.ApprovalShared, f.AActive, portal.DecisionOutcomeChangesRequested, "on second thought").ID] = "DecisionSharedNow"
		noErr(t, s.Load(t.Context(), &b.Data))
		for _, p := range []portal.Principal{sqltest.Staff(f.Owner), sqltest.Portal(f.AActive)} {
			current, err := s.DecisionsOf(t.Context(), p, []string{f.ApprovalShared.ID})
			noErr(t, err)
			var got []string
			for _, d := range current[f.ApprovalShared.ID] {
				got = append(got, lab[d.ID])
			}
			if !slices.Equal(got, []string{"DecisionSharedNow"}) {
				t.Errorf("%s sees current decisions %v, want [DecisionSharedNow]", p.Audience, got)
			}
			all := viewOf(t, s, p, lab).Decisions
			want := []string{"DecisionShared", "DecisionSharedNow"}
			if p.IsStaff() {
				want = []string{"DecisionB", "DecisionInternal", "DecisionShared", "DecisionSharedNow"}
			}
			if !slices.Equal(all, want) {
				t.Errorf("%s sees decisions %v in the history and by ID, want %v", p.Audience, all, want)
			}
		}
	})
}
