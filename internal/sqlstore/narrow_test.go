package sqlstore_test

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"portalgraph/internal/portal"
	"portalgraph/internal/sqlstore"
	"portalgraph/internal/sqlstore/sqltest"
)

// TestReadsFillTheFieldsAskedFor checks narrowed reads (portal.Fields):
// a read fills the fields asked for, its ID and client's and what it
// groups by (a decision's approval), leaves the rest zero
// and does not send their columns, pages alike with an ordering whose key
// was not asked for, and reads whole what it is not told about or what
// names a field without a column.
func TestReadsFillTheFieldsAskedFor(t *testing.T) {
	for _, dialect := range sqltest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			rec := &recorder{}
			store := sqltest.Open(t, dialect, sqlstore.WithStatementObserver(rec))
			readsFillTheFieldsAskedFor(t, store, rec)
		})
	}
}

func readsFillTheFieldsAskedFor(t *testing.T, store *sqlstore.Store, rec *recorder) {
	f := sqltest.LoadFixture(t, store)
	owner := sqltest.Staff(f.Owner)
	projects := reflect.TypeFor[portal.Project]()
	byDue := &portal.ProjectOrder{Field: portal.ProjectOrderFieldDueOn, Direction: portal.SortDirectionAsc}
	read := func(ctx context.Context, after *string) *portal.ProjectConnection {
		t.Helper()
		conns, err := store.ProjectsOfClients(ctx, owner, []string{f.A.ID}, portal.ClientProjectFilter{}, byDue, portal.PageArgs{First: 1, After: after, Count: true})
		noErr(t, err)
		return conns[f.A.ID]
	}

	whole := read(context.Background(), nil)
	narrow := read(portal.WithFields(context.Background(), portal.Fields{projects: {"Name"}}), nil)
	if len(whole.Edges) != 1 || len(narrow.Edges) != 1 {
		t.Fatalf("pages of %d and %d projects, want 1", len(whole.Edges), len(narrow.Edges))
	}
	w, n := whole.Edges[0].Node, narrow.Edges[0].Node
	want := portal.Project{ID: w.ID, ClientID: w.ClientID, Name: w.Name, DueOn: w.DueOn}
	if !reflect.DeepEqual(*n, want) {
		t.Errorf("narrowed to its name (ordered by due date), the project read is %+v, want %+v", *n, want)
	}
	if w.CreatedAt.IsZero() || w.Status == "" {
		t.Errorf("the whole read left fields zero: %+v", *w)
	}
	if whole.Edges[0].Cursor != narrow.Edges[0].Cursor || whole.TotalCount != narrow.TotalCount || whole.PageInfo.HasNextPage != narrow.PageInfo.HasNextPage {
		t.Errorf("the narrowed page differs: cursor %s vs %s, total %d vs %d", narrow.Edges[0].Cursor, whole.Edges[0].Cursor, narrow.TotalCount, whole.TotalCount)
	}
	next := read(portal.WithFields(context.Background(), portal.Fields{projects: {"Name"}}), whole.PageInfo.EndCursor)
	wholeNext := read(context.Background(), whole.PageInfo.EndCursor)
	if len(next.Edges) != len(wholeNext.Edges) || len(next.Edges) > 0 && next.Edges[0].Node.ID != wholeNext.Edges[0].Node.ID {
		t.Errorf("the narrowed second page differs from the whole one")
	}

	for name, fields := range map[string][]string{
		"a field without a column": {"Name", "NoSuchField"},
		"every field":              {"WorkspaceID", "Name", "Description", "Status", "Visibility", "StartsOn", "DueOn", "OwnerID", "BudgetCents", "InternalNotes", "CreatedAt", "UpdatedAt"},
	} {
		got := read(portal.WithFields(context.Background(), portal.Fields{projects: fields}), nil)
		if !reflect.DeepEqual(got.Edges[0].Node, w) {
			t.Errorf("with %s, the project read is %+v, want it whole: %+v", name, *got.Edges[0].Node, *w)
		}
	}
	other := read(portal.WithFields(context.Background(), portal.Fields{reflect.TypeFor[portal.Client](): {"Name"}}), nil)
	if !reflect.DeepEqual(other.Edges[0].Node, w) {
		t.Errorf("narrowed for clients only, the project read is %+v, want it whole", *other.Edges[0].Node)
	}

	// By ID and in batches under parents too; the columns left out
	// are not sent for.
	all, err := store.DecisionsOf(context.Background(), owner, []string{f.ApprovalShared.ID})
	noErr(t, err)
	rec.take()
	decisions := reflect.TypeFor[portal.ApprovalDecision]()
	ctx := portal.WithFields(context.Background(), portal.Fields{decisions: {"Outcome"}, projects: {"Name"}})
	byID, err := store.ProjectsByID(ctx, owner, []string{f.AShared.ID})
	noErr(t, err)
	if len(byID) != 1 || byID[0].Name != f.AShared.Name || byID[0].InternalNotes != nil || byID[0].BudgetCents != nil {
		t.Errorf("by ID, narrowed to its name, the project read is %+v", byID)
	}
	got, err := store.DecisionsOf(ctx, owner, []string{f.ApprovalShared.ID})
	noErr(t, err)
	if len(all[f.ApprovalShared.ID]) == 0 || len(got[f.ApprovalShared.ID]) != len(all[f.ApprovalShared.ID]) {
		t.Fatalf("decisions: %d narrowed, %d whole", len(got[f.ApprovalShared.ID]), len(all[f.ApprovalShared.ID]))
	}
	for i, d := range got[f.ApprovalShared.ID] {
		a := all[f.ApprovalShared.ID][i]
		want := portal.ApprovalDecision{ID: a.ID, ApprovalID: a.ApprovalID, Outcome: a.Outcome}
		if !reflect.DeepEqual(*d, want) {
			t.Errorf("narrowed to its outcome, the decision read is %+v, want %+v", *d, want)
		}
	}
	for _, st := range rec.take() {
		for _, col := range []string{"a.internal_notes", "a.budget_cents", "a.comment", "a.decided_at"} {
			if strings.Contains(st.query, col) {
				t.Errorf("a narrowed read sends for %s: %s", col, st.query)
			}
		}
	}
}
