package sqlstore_test

import (
	"cmp"
	"encoding/base64"
	"fmt"
	"slices"
	"testing"
	"time"

	"portalgraph/internal/dataset"
	"portalgraph/internal/portal"
	"portalgraph/internal/sqlstore"
	"portalgraph/internal/sqlstore/sqltest"
)

// walk pages through a list, size records at a time, following EndCursor,
// and returns the IDs in the order met. Every page must be consistent: the
// first without HasPreviousPage, the others with it; HasNextPage on all but
// the last; the same TotalCount everywhere, even past the end; cursors at
// both ends.
func walk[T any, P interface {
	*T
	record
}](t *testing.T, size, wantTotal int, fetch func(page portal.PageArgs) (*portal.Connection[T], error)) []string {
	t.Helper()
	var out []string
	var after *string
	wantPages := max(1, (wantTotal+size-1)/size)
	for n := 1; ; n++ {
		if n > wantPages {
			t.Fatalf("more than the %d pages of %d records by %d", wantPages, wantTotal, size)
		}
		c, err := fetch(portal.PageArgs{First: size, After: after, Count: true})
		noErr(t, err)
		ids := edgeIDs[T, P](c)
		last := n == wantPages
		wantLen := size
		if last {
			wantLen = wantTotal - size*(wantPages-1)
		}
		if len(ids) != wantLen {
			t.Fatalf("page %d has %d records, want %d", n, len(ids), wantLen)
		}
		pi := c.PageInfo
		if c.TotalCount != wantTotal || pi.HasNextPage == last || pi.HasPreviousPage != (n > 1) {
			t.Fatalf("page %d: TotalCount %d HasNextPage %v HasPreviousPage %v; want %d %v %v",
				n, c.TotalCount, pi.HasNextPage, pi.HasPreviousPage, wantTotal, !last, n > 1)
		}
		if len(ids) > 0 && (pi.StartCursor == nil || *pi.StartCursor != c.Edges[0].Cursor ||
			pi.EndCursor == nil || *pi.EndCursor != c.Edges[len(ids)-1].Cursor) {
			t.Fatalf("page %d: start and end cursors are not those of its first and last edges", n)
		}
		out = append(out, ids...)
		if last {
			if after = pi.EndCursor; after != nil {
				// Past the end: nothing more, still counted.
				c, err := fetch(portal.PageArgs{First: size, After: after, Count: true})
				noErr(t, err)
				if len(c.Edges) != 0 || c.TotalCount != wantTotal || c.PageInfo.HasNextPage || !c.PageInfo.HasPreviousPage {
					t.Fatalf("after the last page: %d records, TotalCount %d, pageInfo %+v", len(c.Edges), c.TotalCount, c.PageInfo)
				}
			}
			return out
		}
		after = pi.EndCursor
	}
}

// sortedIDs returns the IDs of recs sorted by key, then ID: the keyset order.
func sortedIDs[R record, K cmp.Ordered](recs []R, key func(R) K, desc bool) []string {
	recs = slices.Clone(recs)
	slices.SortFunc(recs, func(a, b R) int {
		c := cmp.Or(cmp.Compare(key(a), key(b)), cmp.Compare(a.GetID(), b.GetID()))
		if desc {
			return -c
		}
		return c
	})
	return idsOf(recs)
}

func inWorkspace[R interface {
	*portal.Client | *portal.Project | *portal.User
}](recs []R, ws string) []R {
	var out []R
	for _, r := range recs {
		var w string
		switch v := any(r).(type) {
		case *portal.Client:
			w = v.WorkspaceID
		case *portal.Project:
			w = v.WorkspaceID
		case *portal.User:
			w = v.WorkspaceID
		}
		if w == ws {
			out = append(out, r)
		}
	}
	return out
}

// manyClients adds 23 clients to W1, three of them with the same name (so
// the ID breaks the tie), and two to W2, which W1 must never page into.
func manyClients(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture) []*portal.Client {
	t.Helper()
	b := dataset.New(time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), 21)
	for i := range 20 {
		// Names out of creation order, so NAME and CREATED_AT orders differ.
		b.Client(f.W1, fmt.Sprintf("Client%02d", (i*7)%20), f.Owner, portal.ClientStatusActive)
	}
	for range 3 {
		b.Client(f.W1, "Dupe", nil, portal.ClientStatusLead)
	}
	b.Client(f.W2, "Client99", f.Owner2, portal.ClientStatusActive)
	b.Client(f.W2, "Aaa", f.Owner2, portal.ClientStatusActive)
	noErr(t, s.Load(t.Context(), &b.Data))
	return inWorkspace(append(slices.Clone(f.Data.Clients), b.Data.Clients...), f.W1.ID)
}

func TestClientsPageThroughEveryOrder(t *testing.T) {
	t.Parallel()
	sqltest.Run(t, func(t *testing.T, s *sqlstore.Store) {
		f := sqltest.LoadFixture(t, s)
		w1 := manyClients(t, s, f)
		if len(w1) != 26 {
			t.Fatalf("W1 has %d clients, want 26", len(w1))
		}
		name := func(c *portal.Client) string { return c.Name }
		id := func(c *portal.Client) string { return c.ID }
		cases := []struct {
			order *portal.ClientOrder
			want  []string
		}{
			{nil, sortedIDs(w1, name, false)}, // by name unless asked otherwise
			{&portal.ClientOrder{Field: portal.ClientOrderFieldName, Direction: portal.SortDirectionAsc}, sortedIDs(w1, name, false)},
			{&portal.ClientOrder{Field: portal.ClientOrderFieldName, Direction: portal.SortDirectionDesc}, sortedIDs(w1, name, true)},
			{&portal.ClientOrder{Field: portal.ClientOrderFieldCreatedAt, Direction: portal.SortDirectionAsc}, sortedIDs(w1, id, false)},
			{&portal.ClientOrder{Field: portal.ClientOrderFieldCreatedAt, Direction: portal.SortDirectionDesc}, sortedIDs(w1, id, true)},
		}
		for _, c := range cases {
			for _, size := range []int{1, 5, 13, 26, 100} { // 13 and 26 end on a full page
				t.Run(fmt.Sprintf("%v by %d", c.order, size), func(t *testing.T) {
					got := walk(t, size, len(c.want), func(page portal.PageArgs) (*portal.ClientConnection, error) {
						return s.Clients(t.Context(), sqltest.Staff(f.Viewer), portal.ClientFilter{}, c.order, page)
					})
					if !slices.Equal(got, c.want) {
						t.Errorf("paged\n %v\nwant\n %v", got, c.want)
					}
				})
			}
		}
		t.Run("portal contact", func(t *testing.T) {
			got := walk(t, 1, 1, func(page portal.PageArgs) (*portal.ClientConnection, error) {
				return s.Clients(t.Context(), sqltest.Portal(f.AActive), portal.ClientFilter{}, nil, page)
			})
			if !slices.Equal(got, []string{f.A.ID}) {
				t.Errorf("portal contact pages clients %v, want only A", got)
			}
		})
		t.Run("filtered", func(t *testing.T) {
			var dupes []*portal.Client
			for _, c := range w1 {
				if c.Name == "Dupe" {
					dupes = append(dupes, c)
				}
			}
			got := walk(t, 2, 3, func(page portal.PageArgs) (*portal.ClientConnection, error) {
				return s.Clients(t.Context(), sqltest.Staff(f.Owner), portal.ClientFilter{Status: []portal.ClientStatus{portal.ClientStatusLead}}, nil, page)
			})
			if want := sortedIDs(dupes, id, false); !slices.Equal(got, want) {
				t.Errorf("LEAD clients %v, want %v", got, want)
			}
		})
	})
}

// manyProjects adds projects with due dates (some equal, some missing) and
// budgets (some equal, some missing) to A and B; A's even ones are shared.
func manyProjects(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture) []*portal.Project {
	t.Helper()
	b := dataset.New(time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), 22)
	dues := []string{"2026-05-01", "", "2026-03-15", "2026-05-01", "", "2026-01-31", "2027-01-01", "", "2026-03-15", "2026-12-31", "2026-05-01", ""}
	budgets := []int{500, -1, 100, 500, 0, -1, 2500, 100, -1, 99999, 500, 7}
	for i, due := range dues {
		client, vis := f.A, portal.VisibilityInternal
		if i%3 == 2 {
			client = f.B
		} else if i%2 == 0 {
			vis = portal.VisibilityShared
		}
		p := b.Project(client, fmt.Sprintf("Project %02d", (i*5)%12), portal.ProjectStatusActive, vis)
		if due != "" {
			p.DueOn = date(due)
		}
		if budgets[i] >= 0 {
			p.BudgetCents = ptr(budgets[i])
		}
	}
	b.Project(f.X, "Xeno later", portal.ProjectStatusActive, portal.VisibilityShared).DueOn = date("2026-01-01")
	noErr(t, s.Load(t.Context(), &b.Data))
	live := slices.DeleteFunc(slices.Clone(f.Data.Projects), func(p *portal.Project) bool { return f.Gone(p.ID) })
	return inWorkspace(append(live, b.Data.Projects...), f.W1.ID)
}

func TestProjectsPageThroughEveryOrder(t *testing.T) {
	t.Parallel()
	sqltest.Run(t, func(t *testing.T, s *sqlstore.Store) {
		f := sqltest.LoadFixture(t, s)
		w1 := manyProjects(t, s, f)
		var annSees []*portal.Project
		for _, p := range w1 {
			if p.ClientID == f.A.ID && p.Visibility == portal.VisibilityShared {
				annSees = append(annSees, p)
			}
		}
		if len(w1) != 15 || len(annSees) != 5 {
			t.Fatalf("%d projects in W1, %d shared with A; want 15 and 5", len(w1), len(annSees))
		}
		due := func(p *portal.Project) string { // no due date sorts last
			if p.DueOn == nil {
				return "9999-12-31"
			}
			return p.DueOn.String()
		}
		budget := func(p *portal.Project) int { // no budget sorts first
			if p.BudgetCents == nil {
				return -1
			}
			return *p.BudgetCents
		}
		name := func(p *portal.Project) string { return p.Name }
		id := func(p *portal.Project) string { return p.ID }
		order := func(field portal.ProjectOrderField, dir portal.SortDirection) *portal.ProjectOrder {
			return &portal.ProjectOrder{Field: field, Direction: dir}
		}
		manager, ann := sqltest.Staff(f.Manager), sqltest.Portal(f.AActive)
		cases := []struct {
			name  string
			p     portal.Principal
			order *portal.ProjectOrder
			want  []string
		}{
			{"creation", manager, nil, sortedIDs(w1, id, false)},
			{"created desc", manager, order(portal.ProjectOrderFieldCreatedAt, portal.SortDirectionDesc), sortedIDs(w1, id, true)},
			{"due asc", manager, order(portal.ProjectOrderFieldDueOn, portal.SortDirectionAsc), sortedIDs(w1, due, false)},
			{"due desc", manager, order(portal.ProjectOrderFieldDueOn, portal.SortDirectionDesc), sortedIDs(w1, due, true)},
			{"name asc", manager, order(portal.ProjectOrderFieldName, portal.SortDirectionAsc), sortedIDs(w1, name, false)},
			{"budget asc", manager, order(portal.ProjectOrderFieldBudgetCents, portal.SortDirectionAsc), sortedIDs(w1, budget, false)},
			{"budget desc", manager, order(portal.ProjectOrderFieldBudgetCents, portal.SortDirectionDesc), sortedIDs(w1, budget, true)},
			{"portal due asc", ann, order(portal.ProjectOrderFieldDueOn, portal.SortDirectionAsc), sortedIDs(annSees, due, false)},
			{"portal name desc", ann, order(portal.ProjectOrderFieldName, portal.SortDirectionDesc), sortedIDs(annSees, name, true)},
		}
		for _, c := range cases {
			for _, size := range []int{2, 4, 5} {
				t.Run(fmt.Sprintf("%s by %d", c.name, size), func(t *testing.T) {
					got := walk(t, size, len(c.want), func(page portal.PageArgs) (*portal.ProjectConnection, error) {
						return s.Projects(t.Context(), c.p, portal.ProjectFilter{}, c.order, page)
					})
					if !slices.Equal(got, c.want) {
						t.Errorf("paged\n %v\nwant\n %v", got, c.want)
					}
				})
			}
		}

		t.Run("no due date last", func(t *testing.T) {
			c, err := s.Projects(t.Context(), manager, portal.ProjectFilter{}, order(portal.ProjectOrderFieldDueOn, portal.SortDirectionAsc), all)
			noErr(t, err)
			var dues []string
			for _, e := range c.Edges {
				if e.Node.DueOn == nil {
					dues = append(dues, "none")
				} else {
					dues = append(dues, e.Node.DueOn.String())
				}
			}
			want := []string{"2026-01-31", "2026-03-15", "2026-03-15", "2026-05-01", "2026-05-01", "2026-05-01", "2026-06-30",
				"2026-12-31", "2027-01-01", "none", "none", "none", "none", "none", "none"}
			if !slices.Equal(dues, want) {
				t.Errorf("due dates in order %v, want %v", dues, want)
			}
		})
	})
}

func TestUsersPageByName(t *testing.T) {
	t.Parallel()
	sqltest.Run(t, func(t *testing.T, s *sqlstore.Store) {
		f := sqltest.LoadFixture(t, s)
		b := dataset.New(time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), 23)
		for i := range 10 {
			b.User(f.W1, fmt.Sprintf("Member %02d", (i*3)%10), fmt.Sprintf("m%d@w1.example", i), portal.BuiltInRoleMember)
		}
		b.User(f.W1, "Mark Manager", "mark2@w1.example", portal.BuiltInRoleMember) // a namesake
		b.User(f.W2, "Aaron Other", "aaron@w2.example", portal.BuiltInRoleMember)
		noErr(t, s.Load(t.Context(), &b.Data))
		w1 := inWorkspace(append(slices.Clone(f.Data.Users), b.Data.Users...), f.W1.ID)
		want := sortedIDs(w1, func(u *portal.User) string { return u.Name }, false)
		if len(want) != 16 {
			t.Fatalf("W1 has %d users, want 16", len(want))
		}
		for _, size := range []int{1, 3, 4, 16} {
			t.Run(fmt.Sprint("by ", size), func(t *testing.T) {
				got := walk(t, size, 16, func(page portal.PageArgs) (*portal.UserConnection, error) {
					return s.Users(t.Context(), sqltest.Staff(f.Member), page)
				})
				if !slices.Equal(got, want) {
					t.Errorf("paged\n %v\nwant\n %v", got, want)
				}
			})
		}
	})
}

// Deliverables under many projects are one windowed statement: each
// project gets its own first page and its own total.
func TestDeliverablesPagePerProject(t *testing.T) {
	t.Parallel()
	sqltest.Run(t, func(t *testing.T, s *sqlstore.Store) {
		f := sqltest.LoadFixture(t, s)
		b := dataset.New(time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), 24)
		p1 := b.Project(f.A, "P1", portal.ProjectStatusActive, portal.VisibilityShared)
		p2 := b.Project(f.A, "P2", portal.ProjectStatusActive, portal.VisibilityShared)
		p3 := b.Project(f.B, "P3", portal.ProjectStatusActive, portal.VisibilityShared)
		p4 := b.Project(f.A, "P4", portal.ProjectStatusActive, portal.VisibilityShared)
		lab := labels{p1.ID: "P1", p2.ID: "P2", p3.ID: "P3", p4.ID: "P4"}
		add := func(p *portal.Project, n int, name string) {
			for i := range n {
				// Titles run against creation order.
				d := b.Deliverable(p, fmt.Sprintf("%s title %d", name, n-i), portal.DeliverableStatusInProgress, portal.VisibilityShared)
				lab[d.ID] = fmt.Sprintf("%s.%d", name, i+1)
			}
		}
		add(p1, 5, "P1")
		add(p2, 2, "P2")
		add(p3, 1, "P3")
		noErr(t, s.Load(t.Context(), &b.Data))
		projects := []string{p1.ID, p2.ID, p3.ID, p4.ID}
		ids := func(labs ...string) []string {
			if labs == nil {
				return []string{}
			}
			return labs
		}
		type want struct {
			ids         []string
			total       int
			next, prev  bool
			endCursorOf string
		}
		read := func(t *testing.T, p portal.Principal, page portal.PageArgs, o *portal.DeliverableOrder) map[string]*portal.DeliverableConnection {
			t.Helper()
			got, err := s.DeliverablesOfProjects(t.Context(), p, projects, portal.ProjectDeliverableFilter{}, o, page)
			noErr(t, err)
			if len(got) != len(projects) {
				t.Fatalf("%d connections for %d projects", len(got), len(projects))
			}
			return got
		}
		check := func(t *testing.T, got map[string]*portal.DeliverableConnection, wants map[string]want) {
			t.Helper()
			for _, pid := range projects {
				c, w := got[pid], wants[lab[pid]]
				g := pageOf(lab, c)
				if !slices.Equal(g.IDs, w.ids) || c.TotalCount != w.total || c.PageInfo.HasNextPage != w.next || c.PageInfo.HasPreviousPage != w.prev {
					t.Errorf("%s: %v total %d next %v prev %v; want %v total %d next %v prev %v", lab[pid],
						g.IDs, c.TotalCount, c.PageInfo.HasNextPage, c.PageInfo.HasPreviousPage, w.ids, w.total, w.next, w.prev)
				}
			}
		}
		cursorOf := func(t *testing.T, label string) *string {
			t.Helper()
			// The cursor of a deliverable is found by paging its project.
			for _, pid := range projects {
				for _, e := range read(t, sqltest.Staff(f.Owner), portal.PageArgs{First: 100}, nil)[pid].Edges {
					if lab[e.Node.ID] == label {
						return &e.Cursor
					}
				}
			}
			t.Fatalf("no deliverable %s", label)
			return nil
		}
		staff := sqltest.Staff(f.Owner)

		t.Run("first page of each", func(t *testing.T) {
			check(t, read(t, staff, portal.PageArgs{First: 2, Count: true}, nil), map[string]want{
				"P1": {ids: ids("P1.1", "P1.2"), total: 5, next: true},
				"P2": {ids: ids("P2.1", "P2.2"), total: 2},
				"P3": {ids: ids("P3.1"), total: 1},
				"P4": {ids: ids(), total: 0},
			})
		})
		t.Run("without count", func(t *testing.T) {
			check(t, read(t, staff, portal.PageArgs{First: 2}, nil), map[string]want{
				"P1": {ids: ids("P1.1", "P1.2"), next: true},
				"P2": {ids: ids("P2.1", "P2.2")},
				"P3": {ids: ids("P3.1")},
				"P4": {ids: ids()},
			})
		})
		t.Run("after a cursor", func(t *testing.T) {
			check(t, read(t, staff, portal.PageArgs{First: 2, After: cursorOf(t, "P1.2"), Count: true}, nil), map[string]want{
				"P1": {ids: ids("P1.3", "P1.4"), total: 5, next: true, prev: true},
				"P2": {ids: ids("P2.1", "P2.2"), total: 2, prev: true},
				"P3": {ids: ids("P3.1"), total: 1, prev: true},
				"P4": {ids: ids(), total: 0, prev: true},
			})
		})
		t.Run("after the last of one project", func(t *testing.T) {
			check(t, read(t, staff, portal.PageArgs{First: 2, After: cursorOf(t, "P1.5"), Count: true}, nil), map[string]want{
				"P1": {ids: ids(), total: 5, prev: true},
				"P2": {ids: ids("P2.1", "P2.2"), total: 2, prev: true},
				"P3": {ids: ids("P3.1"), total: 1, prev: true},
				"P4": {ids: ids(), total: 0, prev: true},
			})
		})
		t.Run("past the end of all", func(t *testing.T) {
			check(t, read(t, staff, portal.PageArgs{First: 2, After: cursorOf(t, "P3.1"), Count: true}, nil), map[string]want{
				"P1": {ids: ids(), total: 5, prev: true},
				"P2": {ids: ids(), total: 2, prev: true},
				"P3": {ids: ids(), total: 1, prev: true},
				"P4": {ids: ids(), total: 0, prev: true},
			})
		})
		t.Run("first 0", func(t *testing.T) {
			check(t, read(t, staff, portal.PageArgs{First: 0, Count: true}, nil), map[string]want{
				"P1": {ids: ids(), total: 5, next: true},
				"P2": {ids: ids(), total: 2, next: true},
				"P3": {ids: ids(), total: 1, next: true},
				"P4": {ids: ids(), total: 0},
			})
		})
		t.Run("by title", func(t *testing.T) {
			byTitle := &portal.DeliverableOrder{Field: portal.DeliverableOrderFieldTitle, Direction: portal.SortDirectionAsc}
			check(t, read(t, staff, portal.PageArgs{First: 2, Count: true}, byTitle), map[string]want{
				"P1": {ids: ids("P1.5", "P1.4"), total: 5, next: true},
				"P2": {ids: ids("P2.2", "P2.1"), total: 2},
				"P3": {ids: ids("P3.1"), total: 1},
				"P4": {ids: ids(), total: 0},
			})
		})
		t.Run("walk one project", func(t *testing.T) {
			got := walk(t, 2, 5, func(page portal.PageArgs) (*portal.DeliverableConnection, error) {
				pages, err := s.DeliverablesOfProjects(t.Context(), staff, []string{p1.ID}, portal.ProjectDeliverableFilter{}, nil, page)
				return pages[p1.ID], err
			})
			if want := []string{"P1.1", "P1.2", "P1.3", "P1.4", "P1.5"}; !slices.Equal(lab.inOrder(got), want) {
				t.Errorf("walked %v, want %v", lab.inOrder(got), want)
			}
		})
		t.Run("no parents", func(t *testing.T) {
			got, err := s.DeliverablesOfProjects(t.Context(), staff, nil, portal.ProjectDeliverableFilter{}, nil, portal.PageArgs{First: 2, Count: true})
			noErr(t, err)
			approvers, err := s.ApproversOf(t.Context(), staff, nil)
			noErr(t, err)
			decisions, err := s.DecisionsOf(t.Context(), staff, []string{})
			noErr(t, err)
			if len(got) != 0 || len(approvers) != 0 || len(decisions) != 0 {
				t.Errorf("for no parents: %v %v %v", got, approvers, decisions)
			}
		})
		t.Run("portal contact of A", func(t *testing.T) {
			// P3 is B's: Ann's connection under it is empty and counted 0.
			check(t, read(t, sqltest.Portal(f.AActive), portal.PageArgs{First: 2, Count: true}, nil), map[string]want{
				"P1": {ids: ids("P1.1", "P1.2"), total: 5, next: true},
				"P2": {ids: ids("P2.1", "P2.2"), total: 2},
				"P3": {ids: ids(), total: 0},
				"P4": {ids: ids(), total: 0},
			})
			check(t, read(t, sqltest.Portal(f.AActive), portal.PageArgs{First: 2, After: cursorOf(t, "P3.1"), Count: true}, nil), map[string]want{
				"P1": {ids: ids(), total: 5, prev: true},
				"P2": {ids: ids(), total: 2, prev: true},
				"P3": {ids: ids(), total: 0, prev: true},
				"P4": {ids: ids(), total: 0, prev: true},
			})
		})
	})
}

func TestBadPageArgs(t *testing.T) {
	t.Parallel()
	sqltest.Run(t, func(t *testing.T, s *sqlstore.Store) {
		f := sqltest.LoadFixture(t, s)
		ctx, manager := t.Context(), sqltest.Staff(f.Manager)
		cursor := func(raw string) *string { return ptr(base64.RawURLEncoding.EncodeToString([]byte(raw))) }
		byName := &portal.ClientOrder{Field: portal.ClientOrderFieldName}
		byCreation := &portal.ClientOrder{Field: portal.ClientOrderFieldCreatedAt}
		byBudget := &portal.ProjectOrder{Field: portal.ProjectOrderFieldBudgetCents}

		// Real cursors of one ordering, to hand to another.
		names, err := s.Clients(ctx, manager, portal.ClientFilter{}, byName, portal.PageArgs{First: 1})
		noErr(t, err)
		created, err := s.Clients(ctx, manager, portal.ClientFilter{}, byCreation, portal.PageArgs{First: 1})
		noErr(t, err)

		clients := func(o *portal.ClientOrder, page portal.PageArgs) error {
			_, err := s.Clients(ctx, manager, portal.ClientFilter{}, o, page)
			return err
		}
		projects := func(o *portal.ProjectOrder, page portal.PageArgs) error {
			_, err := s.Projects(ctx, manager, portal.ProjectFilter{}, o, page)
			return err
		}
		deliverables := func(page portal.PageArgs) error {
			_, err := s.DeliverablesOfProjects(ctx, manager, []string{f.AShared.ID}, portal.ProjectDeliverableFilter{}, nil, page)
			return err
		}
		byDue := &portal.DeliverableOrder{Field: portal.DeliverableOrderFieldDueOn}
		allDeliverables := func(page portal.PageArgs) error {
			_, err := s.Deliverables(ctx, manager, portal.DeliverableFilter{}, byDue, page)
			return err
		}
		reports := func(page portal.PageArgs) error {
			_, err := s.Reports(ctx, manager, portal.ReportFilter{}, page)
			return err
		}
		requests := func(page portal.PageArgs) error {
			_, err := s.Requests(ctx, manager, portal.ClientRequestFilter{}, page)
			return err
		}
		projectsCreated, err := s.Projects(ctx, manager, portal.ProjectFilter{}, nil, portal.PageArgs{First: 1})
		noErr(t, err)
		// A key of the wrong kind or range next to a real ID of the list.
		keyed := func(key string, id string) portal.PageArgs {
			return portal.PageArgs{First: 1, After: cursor(`[` + key + `,"` + id + `"]`)}
		}
		truncated := (*names.PageInfo.EndCursor)[:len(*names.PageInfo.EndCursor)-3]
		cases := []struct {
			name  string
			err   error
			field string
		}{
			{"first -1", clients(nil, portal.PageArgs{First: -1}), "first"},
			{"first 101", clients(nil, portal.PageArgs{First: 101}), "first"},
			{"first -1 per parent", deliverables(portal.PageArgs{First: -1}), "first"},
			{"first 101 per parent", deliverables(portal.PageArgs{First: 101, Count: true}), "first"},
			{"not base64", clients(nil, portal.PageArgs{First: 1, After: ptr("not a cursor!")}), "after"},
			{"empty", clients(nil, portal.PageArgs{First: 1, After: ptr("")}), "after"},
			{"not JSON", clients(nil, portal.PageArgs{First: 1, After: cursor("hello")}), "after"},
			{"an object", clients(nil, portal.PageArgs{First: 1, After: cursor(`{"key":"a","id":"b"}`)}), "after"},
			{"three parts", clients(nil, portal.PageArgs{First: 1, After: cursor(`["a","cli_x","z"]`)}), "after"},
			{"no ID", clients(nil, portal.PageArgs{First: 1, After: cursor(`["Acme",""]`)}), "after"},
			{"numeric ID", clients(nil, portal.PageArgs{First: 1, After: cursor(`["Acme",5]`)}), "after"},
			{"number for a name", clients(byName, portal.PageArgs{First: 1, After: cursor(`[5,"cli_x"]`)}), "after"},
			{"text for a budget", projects(byBudget, portal.PageArgs{First: 1, After: cursor(`["lots","prj_x"]`)}), "after"},
			{"fraction for a budget", projects(byBudget, portal.PageArgs{First: 1, After: cursor(`[1.5,"prj_x"]`)}), "after"},
			{"per parent, not a cursor", deliverables(portal.PageArgs{First: 1, After: ptr("%%%")}), "after"},
			{"creation cursor for a name order", clients(byName, portal.PageArgs{First: 1, After: created.PageInfo.EndCursor}), "after"},
			{"name cursor for a creation order", clients(byCreation, portal.PageArgs{First: 1, After: names.PageInfo.EndCursor}), "after"},
			{"a cursor of another list", clients(byCreation, portal.PageArgs{First: 1, After: projectsCreated.PageInfo.EndCursor}), "after"},
			{"a truncated cursor", clients(byName, portal.PageArgs{First: 1, After: &truncated}), "after"},
			{"not an ID of the list", clients(byCreation, portal.PageArgs{First: 1, After: cursor(`[null,"cli_x"]`)}), "after"},
			{"NUL in the ID", clients(byCreation, keyed("null", "cli_01JH000000000000000000000\u0000")), "after"},
			{"NUL in a name", clients(byName, keyed(`"Acme\u0000"`, f.A.ID)), "after"},
			{"invalid UTF-8 in a name", clients(byName, portal.PageArgs{First: 1, After: cursor("[\"Acme\xff\",\"" + f.A.ID + "\"]")}), "after"},
			{"not a date for a due date", allDeliverables(keyed(`"not-a-date"`, f.DShared.ID)), "after"},
			{"year 0 for a due date", allDeliverables(keyed(`"0000-01-01"`, f.DShared.ID)), "after"},
			{"a number for a due date", allDeliverables(keyed(`20260301`, f.DShared.ID)), "after"},
			{"not a date for a period", reports(keyed(`"not-a-date"`, "rep_01JH0000000000000000000000")), "after"},
			{"not a time", requests(keyed(`"not-a-time"`, "req_01JH0000000000000000000000")), "after"},
			{"a time in year 0", requests(keyed(`"0000-06-01T00:00:00Z"`, "req_01JH0000000000000000000000")), "after"},
			{"a time past 9999 in UTC", requests(keyed(`"9999-12-31T23:00:00-05:00"`, "req_01JH0000000000000000000000")), "after"},
			{"a budget past 64 bits", projects(byBudget, keyed(`99999999999999999999`, f.AShared.ID)), "after"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) { wantCode(t, c.err, portal.CodeBadUserInput, c.field) })
		}
		// The edges of what is accepted.
		noErr(t, clients(nil, portal.PageArgs{First: 0}))
		noErr(t, clients(nil, portal.PageArgs{First: 100}))
		noErr(t, clients(byName, portal.PageArgs{First: 1, After: names.PageInfo.EndCursor}))
		noErr(t, clients(byCreation, portal.PageArgs{First: 1, After: created.PageInfo.EndCursor}))
		noErr(t, allDeliverables(keyed(`"9999-12-31"`, f.DShared.ID))) // what no due date sorts as
		noErr(t, requests(keyed(`"2026-01-05T09:00:00+01:00"`, "req_01JH0000000000000000000000")))
		noErr(t, projects(byBudget, keyed(`-1`, f.AShared.ID)))
	})
}
