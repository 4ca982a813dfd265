package sqlstore_test

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"portalgraph/internal/portal"
	"portalgraph/internal/sqlstore"
	"portalgraph/internal/sqlstore/sqltest"
)

// event is an activity event as the tests compare it.
type event struct {
	Action     portal.ActivityAction
	RecordType portal.RecordType
	RecordID   string
	ClientID   string
	Actor      string // the staff member's user ID
	Changed    string // comma-separated field names
}

// newEvents returns the events written since before (the IDs of
// activity_events then), read through the store: by ID, and each also in
// its client's activity list.
func newEvents(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture, before []string) []event {
	t.Helper()
	var ids []string
	for _, id := range allIDs(t, s, "activity_events") {
		if !slices.Contains(before, id) {
			ids = append(ids, id)
		}
	}
	owner := sqltest.Staff(f.Owner)
	evs, err := s.ActivityByID(t.Context(), owner, ids)
	noErr(t, err)
	if len(evs) != len(ids) {
		t.Fatalf("%d new events, %d readable by ID", len(ids), len(evs))
	}
	out := []event{}
	for _, e := range evs {
		if e.ActorContactID != nil || e.ActorUserID == nil || e.ClientID == nil || e.WorkspaceID != f.W1.ID {
			t.Fatalf("event %+v: want a W1 staff actor and a client", e)
		}
		out = append(out, event{e.Action, e.RecordType, e.RecordID, *e.ClientID, *e.ActorUserID, strings.Join(e.ChangedFields(), ",")})
		pages, err := s.ActivityOfClients(t.Context(), owner, []string{*e.ClientID}, portal.ActivityFilter{}, all)
		noErr(t, err)
		if !slices.Contains(edgeIDs(pages[*e.ClientID]), e.ID) {
			t.Errorf("event %s is not in its client's activity", e.ID)
		}
	}
	return out
}

func oneEvent(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture, before []string, want event) {
	t.Helper()
	if got := newEvents(t, s, f, before); !reflect.DeepEqual(got, []event{want}) {
		t.Errorf("events written\n %+v\nwant\n %+v", got, []event{want})
	}
}

// reread reads a record back by ID, as the workspace owner.
func reread[R record](t *testing.T, f *sqltest.Fixture, id string, byID func(ctx context.Context, p portal.Principal, ids []string) ([]R, error)) R {
	t.Helper()
	recs, err := byID(t.Context(), sqltest.Staff(f.Owner), []string{id})
	noErr(t, err)
	if len(recs) != 1 {
		t.Fatalf("record %s: read %d", id, len(recs))
	}
	return recs[0]
}

// stored checks the record a write returned is the one it stored.
func stored(t *testing.T, returned, read any) {
	t.Helper()
	if d := differingFields(returned, read); len(d) > 0 {
		t.Errorf("returned and stored records differ in %v:\n %+v\n %+v", d, returned, read)
	}
}

// withFixture runs fn on each dialect, on a fresh database holding the fixture.
func withFixture(t *testing.T, fn func(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture)) {
	t.Helper()
	t.Parallel()
	sqltest.Run(t, func(t *testing.T, s *sqlstore.Store) { fn(t, s, sqltest.LoadFixture(t, s)) })
}

func TestCreateClient(t *testing.T) {
	withFixture(t, func(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture) {
		before := allIDs(t, s, "activity_events")
		c, err := s.CreateClient(t.Context(), sqltest.Staff(f.Manager), portal.CreateClientInput{
			Name: "  Delta  ", Organization: ptr("Delta GmbH"), OwnerID: &f.Member.ID, Email: ptr(" Info@Delta.Example "),
			Phone: ptr("+49 30 1"), Website: ptr("https://delta.example"), Status: ptr(portal.ClientStatusActive),
			Address:       &portal.AddressInput{Line1: ptr("Hauptstr. 1"), City: ptr("Berlin"), Country: ptr("de"), Region: ptr("  ")},
			InternalNotes: ptr("pays late"),
		})
		noErr(t, err)
		if !portal.HasPrefix(c.ID, portal.PrefixClient) || c.WorkspaceID != f.W1.ID {
			t.Errorf("client %s in workspace %s", c.ID, c.WorkspaceID)
		}
		got := []any{c.Name, *c.Organization, *c.OwnerID, *c.Email, *c.Phone, *c.Website, c.Status, *c.AddressLine1, *c.City, *c.Country, c.Region, *c.InternalNotes, c.ArchivedAt}
		want := []any{"Delta", "Delta GmbH", f.Member.ID, "info@delta.example", "+49 30 1", "https://delta.example", portal.ClientStatusActive, "Hauptstr. 1", "Berlin", "DE", (*string)(nil), "pays late", (*time.Time)(nil)}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("client fields\n %v\nwant\n %v", got, want)
		}
		if c.PortalEnabled || *c.PortalSettings() != portal.DefaultPortalSettings() {
			t.Errorf("portal %v with %+v, want off with the default sections", c.PortalEnabled, *c.PortalSettings())
		}
		stored(t, c, reread(t, f, c.ID, s.ClientsByID))
		oneEvent(t, s, f, before, event{portal.ActivityActionCreated, portal.RecordTypeClient, c.ID, c.ID, f.Manager.ID, ""})

		// Only a name: a LEAD without an owner.
		before = allIDs(t, s, "activity_events")
		lead, err := s.CreateClient(t.Context(), sqltest.Staff(f.Owner), portal.CreateClientInput{Name: "Echo"})
		noErr(t, err)
		if lead.Status != portal.ClientStatusLead || lead.OwnerID != nil || lead.Email != nil || lead.Address() != nil {
			t.Errorf("minimal client %+v", lead)
		}
		stored(t, lead, reread(t, f, lead.ID, s.ClientsByID))
		oneEvent(t, s, f, before, event{portal.ActivityActionCreated, portal.RecordTypeClient, lead.ID, lead.ID, f.Owner.ID, ""})
	})
}

func TestUpdateClient(t *testing.T) {
	withFixture(t, func(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture) {
		before := allIDs(t, s, "activity_events")
		c, err := s.UpdateClient(t.Context(), sqltest.Staff(f.Manager), portal.UpdateClientInput{
			ID: f.A.ID, Name: ptr(" Acme Corp "), Email: ptr("Hello@Acme.Example"), Phone: ptr(""),
			Address:       &portal.AddressInput{City: ptr("Berlin"), Country: ptr("de")},
			InternalNotes: ptr("   "), // blank clears
			Status:        ptr(portal.ClientStatusInactive), OwnerID: &f.Owner.ID,
		})
		noErr(t, err)
		got := []any{c.Name, *c.Email, c.Phone, *c.City, *c.Country, c.InternalNotes, c.Status, *c.OwnerID}
		want := []any{"Acme Corp", "hello@acme.example", (*string)(nil), "Berlin", "DE", (*string)(nil), portal.ClientStatusInactive, f.Owner.ID}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("client fields\n %v\nwant\n %v", got, want)
		}
		if !c.UpdatedAt.After(f.A.UpdatedAt) || !c.CreatedAt.Equal(f.A.CreatedAt) || !c.PortalEnabled {
			t.Errorf("updated %v created %v portal %v", c.UpdatedAt, c.CreatedAt, c.PortalEnabled)
		}
		stored(t, c, reread(t, f, f.A.ID, s.ClientsByID))
		// Phone was empty already: clearing it is no change.
		oneEvent(t, s, f, before, event{portal.ActivityActionUpdated, portal.RecordTypeClient, f.A.ID, f.A.ID, f.Manager.ID,
			"name,email,internalNotes,address,status,ownerId"})
	})
}

func TestArchiveClient(t *testing.T) {
	withFixture(t, func(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture) {
		manager := sqltest.Staff(f.Manager)
		before := allIDs(t, s, "activity_events")
		c, err := s.ArchiveClient(t.Context(), manager, f.A.ID)
		noErr(t, err)
		if c.Status != portal.ClientStatusArchived || c.ArchivedAt == nil || !c.ArchivedAt.Equal(c.UpdatedAt) {
			t.Fatalf("archived client has status %s, archivedAt %v, updatedAt %v", c.Status, c.ArchivedAt, c.UpdatedAt)
		}
		stored(t, c, reread(t, f, f.A.ID, s.ClientsByID))
		oneEvent(t, s, f, before, event{portal.ActivityActionArchived, portal.RecordTypeClient, f.A.ID, f.A.ID, f.Manager.ID, ""})

		// Archiving again changes nothing and records nothing.
		snapshot := dump(t, s)
		again, err := s.ArchiveClient(t.Context(), sqltest.Staff(f.Owner), f.A.ID)
		noErr(t, err)
		if !again.ArchivedAt.Equal(*c.ArchivedAt) {
			t.Errorf("archivedAt moved from %v to %v", c.ArchivedAt, again.ArchivedAt)
		}
		if dump(t, s) != snapshot {
			t.Error("archiving an archived client wrote something")
		}

		// Any other status restores it.
		before = allIDs(t, s, "activity_events")
		restored, err := s.UpdateClient(t.Context(), manager, portal.UpdateClientInput{ID: f.A.ID, Status: ptr(portal.ClientStatusActive)})
		noErr(t, err)
		if restored.Status != portal.ClientStatusActive || restored.ArchivedAt != nil {
			t.Errorf("restored client has status %s, archivedAt %v", restored.Status, restored.ArchivedAt)
		}
		stored(t, restored, reread(t, f, f.A.ID, s.ClientsByID))
		oneEvent(t, s, f, before, event{portal.ActivityActionUpdated, portal.RecordTypeClient, f.A.ID, f.A.ID, f.Manager.ID, "status"})
	})
}

func TestCreateContact(t *testing.T) {
	withFixture(t, func(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture) {
		before := allIDs(t, s, "activity_events")
		c, err := s.CreateContact(t.Context(), sqltest.Staff(f.Member), portal.CreateContactInput{
			ClientID: f.A.ID, Name: " Nina New ", Email: "  Nina@Acme.Example ", Title: ptr("CTO"), Phone: ptr(""),
		})
		noErr(t, err)
		got := []any{c.ClientID, c.Name, c.Email, *c.Title, c.Phone, c.PortalStatus}
		want := []any{f.A.ID, "Nina New", "nina@acme.example", "CTO", (*string)(nil), portal.PortalStatusNone}
		if !reflect.DeepEqual(got, want) || !portal.HasPrefix(c.ID, portal.PrefixContact) {
			t.Errorf("contact %s fields\n %v\nwant\n %v", c.ID, got, want)
		}
		stored(t, c, reread(t, f, c.ID, s.ContactsByID))
		oneEvent(t, s, f, before, event{portal.ActivityActionCreated, portal.RecordTypeContact, c.ID, f.A.ID, f.Member.ID, ""})

		// Emails are unique per workspace: W2's contact's email is free in W1.
		other, err := s.CreateContact(t.Context(), sqltest.Staff(f.Member), portal.CreateContactInput{ClientID: f.B.ID, Name: "Xia", Email: f.XActive.Email})
		noErr(t, err)
		stored(t, other, reread(t, f, other.ID, s.ContactsByID))
	})
}

func TestUpdateContact(t *testing.T) {
	withFixture(t, func(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture) {
		before := allIDs(t, s, "activity_events")
		c, err := s.UpdateContact(t.Context(), sqltest.Staff(f.Member), portal.UpdateContactInput{
			ID: f.AActive.ID, Name: ptr(" Ann A. "), Email: ptr("ANN@acme.example"), Phone: ptr("+1 555"), Title: ptr(""),
		})
		noErr(t, err)
		got := []any{c.Name, c.Email, *c.Phone, c.Title, c.PortalStatus}
		want := []any{"Ann A.", "ann@acme.example", "+1 555", (*string)(nil), portal.PortalStatusActive}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("contact fields\n %v\nwant\n %v", got, want)
		}
		stored(t, c, reread(t, f, f.AActive.ID, s.ContactsByID))
		// The email only changed case: no change.
		oneEvent(t, s, f, before, event{portal.ActivityActionUpdated, portal.RecordTypeContact, f.AActive.ID, f.A.ID, f.Member.ID, "name,phone,title"})
	})
}

func TestCreateProject(t *testing.T) {
	withFixture(t, func(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture) {
		before := allIDs(t, s, "activity_events")
		p, err := s.CreateProject(t.Context(), sqltest.Staff(f.Manager), portal.CreateProjectInput{
			ClientID: f.B.ID, Name: " Relaunch ", Description: ptr("new site"), StartsOn: date("2026-04-01"), DueOn: date("2026-04-01"),
			OwnerID: &f.Member.ID, BudgetCents: ptr(5000), Visibility: ptr(portal.VisibilityShared), InternalNotes: ptr(""),
		})
		noErr(t, err)
		got := []any{p.ClientID, p.Name, *p.Description, p.Status, p.Visibility, p.StartsOn.String(), p.DueOn.String(), *p.OwnerID, *p.BudgetCents, p.InternalNotes}
		want := []any{f.B.ID, "Relaunch", "new site", portal.ProjectStatusPlanned, portal.VisibilityShared, "2026-04-01", "2026-04-01", f.Member.ID, 5000, (*string)(nil)}
		if !reflect.DeepEqual(got, want) || !portal.HasPrefix(p.ID, portal.PrefixProject) {
			t.Errorf("project %s fields\n %v\nwant\n %v", p.ID, got, want)
		}
		stored(t, p, reread(t, f, p.ID, s.ProjectsByID))
		oneEvent(t, s, f, before, event{portal.ActivityActionCreated, portal.RecordTypeProject, p.ID, f.B.ID, f.Manager.ID, ""})

		// Defaults: PLANNED and INTERNAL, so nothing is shared by accident.
		minimal, err := s.CreateProject(t.Context(), sqltest.Staff(f.Owner), portal.CreateProjectInput{ClientID: f.A.ID, Name: "Quiet"})
		noErr(t, err)
		if minimal.Status != portal.ProjectStatusPlanned || minimal.Visibility != portal.VisibilityInternal || minimal.OwnerID != nil {
			t.Errorf("minimal project %+v", minimal)
		}
		stored(t, minimal, reread(t, f, minimal.ID, s.ProjectsByID))
	})
}

func TestUpdateProject(t *testing.T) {
	withFixture(t, func(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture) {
		before := allIDs(t, s, "activity_events")
		p, err := s.UpdateProject(t.Context(), sqltest.Staff(f.Manager), portal.UpdateProjectInput{
			ID: f.AShared.ID, Description: ptr("scope"), InternalNotes: ptr(""), Status: ptr(portal.ProjectStatusCompleted),
			StartsOn: date("2026-02-01"), DueOn: date("2026-07-15"), BudgetCents: ptr(0), Visibility: ptr(portal.VisibilityShared),
		})
		noErr(t, err)
		got := []any{p.Name, *p.Description, p.InternalNotes, p.Status, p.Visibility, p.StartsOn.String(), p.DueOn.String(), *p.BudgetCents}
		want := []any{"Acme shared", "scope", (*string)(nil), portal.ProjectStatusCompleted, portal.VisibilityShared, "2026-02-01", "2026-07-15", 0}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("project fields\n %v\nwant\n %v", got, want)
		}
		stored(t, p, reread(t, f, f.AShared.ID, s.ProjectsByID))
		oneEvent(t, s, f, before, event{portal.ActivityActionUpdated, portal.RecordTypeProject, f.AShared.ID, f.A.ID, f.Manager.ID,
			"description,internalNotes,status,startsOn,dueOn,budgetCents"})
	})
}

func TestCreateDeliverable(t *testing.T) {
	withFixture(t, func(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture) {
		before := allIDs(t, s, "activity_events")
		d, err := s.CreateDeliverable(t.Context(), sqltest.Staff(f.Member), portal.CreateDeliverableInput{
			ProjectID: f.AInternal.ID, Title: " Logo ", Description: ptr("three drafts"), DueOn: date("2026-05-05"),
		})
		noErr(t, err)
		got := []any{d.ProjectID, d.Title, *d.Description, d.Status, d.Visibility, d.DueOn.String()}
		want := []any{f.AInternal.ID, "Logo", "three drafts", portal.DeliverableStatusNotStarted, portal.VisibilityInternal, "2026-05-05"}
		if !reflect.DeepEqual(got, want) || !portal.HasPrefix(d.ID, portal.PrefixDeliverable) {
			t.Errorf("deliverable %s fields\n %v\nwant\n %v", d.ID, got, want)
		}
		stored(t, d, reread(t, f, d.ID, s.DeliverablesByID))
		// The event belongs to the project's client.
		oneEvent(t, s, f, before, event{portal.ActivityActionCreated, portal.RecordTypeDeliverable, d.ID, f.A.ID, f.Member.ID, ""})
	})
}

func TestUpdateDeliverable(t *testing.T) {
	withFixture(t, func(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture) {
		before := allIDs(t, s, "activity_events")
		d, err := s.UpdateDeliverable(t.Context(), sqltest.Staff(f.Member), portal.UpdateDeliverableInput{
			ID: f.BDeliverable.ID, Title: ptr("Final cut"), Description: ptr(""), Status: ptr(portal.DeliverableStatusApproved),
			Visibility: ptr(portal.VisibilityInternal), DueOn: date("2026-03-02"),
		})
		noErr(t, err)
		got := []any{d.Title, d.Description, d.Status, d.Visibility, d.DueOn.String()}
		want := []any{"Final cut", (*string)(nil), portal.DeliverableStatusApproved, portal.VisibilityInternal, "2026-03-02"}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("deliverable fields\n %v\nwant\n %v", got, want)
		}
		stored(t, d, reread(t, f, f.BDeliverable.ID, s.DeliverablesByID))
		// The description was empty already: clearing it is no change.
		oneEvent(t, s, f, before, event{portal.ActivityActionUpdated, portal.RecordTypeDeliverable, f.BDeliverable.ID, f.B.ID, f.Member.ID, "title,status,visibility,dueOn"})
	})
}

func TestAddNote(t *testing.T) {
	withFixture(t, func(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture) {
		member := sqltest.Staff(f.Member)
		before := allIDs(t, s, "activity_events")
		n, err := s.AddNote(t.Context(), member, portal.AddNoteInput{SubjectID: f.A.ID, Body: "  call back  "})
		noErr(t, err)
		if n.ClientID != f.A.ID || n.ProjectID != nil || n.Body != "call back" || *n.AuthorID != f.Member.ID || !portal.HasPrefix(n.ID, portal.PrefixNote) {
			t.Errorf("note on a client %+v", n)
		}
		stored(t, n, reread(t, f, n.ID, s.NotesByID))
		oneEvent(t, s, f, before, event{portal.ActivityActionNoteAdded, portal.RecordTypeClient, f.A.ID, f.A.ID, f.Member.ID, ""})

		before = allIDs(t, s, "activity_events")
		pn, err := s.AddNote(t.Context(), member, portal.AddNoteInput{SubjectID: f.BShared.ID, Body: "kickoff done"})
		noErr(t, err)
		if pn.ClientID != f.B.ID || pn.ProjectID == nil || *pn.ProjectID != f.BShared.ID {
			t.Errorf("note on a project %+v", pn)
		}
		stored(t, pn, reread(t, f, pn.ID, s.NotesByID))
		oneEvent(t, s, f, before, event{portal.ActivityActionNoteAdded, portal.RecordTypeProject, f.BShared.ID, f.B.ID, f.Member.ID, ""})
		pages, err := s.NotesOf(t.Context(), member, portal.RecordTypeProject, []string{f.BShared.ID}, all)
		noErr(t, err)
		if got := edgeIDs(pages[f.BShared.ID]); !slices.Equal(got, []string{pn.ID}) {
			t.Errorf("notes of BShared %v, want only the new one", got)
		}
	})
}

// memberMay are the writes a MEMBER may make: contacts, deliverables, notes.
var memberMay = []string{"CreateContact", "UpdateContact", "CreateDeliverable", "UpdateDeliverable", "AddNote"}

// writeOp is one call of a write of the store, built on the fixture.
type writeOp struct {
	name string
	run  func(ctx context.Context, s *sqlstore.Store, p portal.Principal, f *sqltest.Fixture) error
}

// everyWrite calls each write with valid input on the records of W1.
var everyWrite = []writeOp{
	{"CreateClient", func(ctx context.Context, s *sqlstore.Store, p portal.Principal, f *sqltest.Fixture) error {
		_, err := s.CreateClient(ctx, p, portal.CreateClientInput{Name: "Delta"})
		return err
	}},
	{"UpdateClient", func(ctx context.Context, s *sqlstore.Store, p portal.Principal, f *sqltest.Fixture) error {
		_, err := s.UpdateClient(ctx, p, portal.UpdateClientInput{ID: f.A.ID, Name: ptr("Acme Corp")})
		return err
	}},
	{"ArchiveClient", func(ctx context.Context, s *sqlstore.Store, p portal.Principal, f *sqltest.Fixture) error {
		_, err := s.ArchiveClient(ctx, p, f.A.ID)
		return err
	}},
	{"CreateContact", func(ctx context.Context, s *sqlstore.Store, p portal.Principal, f *sqltest.Fixture) error {
		_, err := s.CreateContact(ctx, p, portal.CreateContactInput{ClientID: f.A.ID, Name: "Nina", Email: "nina@acme.example"})
		return err
	}},
	{"UpdateContact", func(ctx context.Context, s *sqlstore.Store, p portal.Principal, f *sqltest.Fixture) error {
		_, err := s.UpdateContact(ctx, p, portal.UpdateContactInput{ID: f.AActive.ID, Name: ptr("Ann A.")})
		return err
	}},
	{"CreateProject", func(ctx context.Context, s *sqlstore.Store, p portal.Principal, f *sqltest.Fixture) error {
		_, err := s.CreateProject(ctx, p, portal.CreateProjectInput{ClientID: f.A.ID, Name: "Relaunch"})
		return err
	}},
	{"UpdateProject", func(ctx context.Context, s *sqlstore.Store, p portal.Principal, f *sqltest.Fixture) error {
		_, err := s.UpdateProject(ctx, p, portal.UpdateProjectInput{ID: f.AShared.ID, Name: ptr("Renamed")})
		return err
	}},
	{"CreateDeliverable", func(ctx context.Context, s *sqlstore.Store, p portal.Principal, f *sqltest.Fixture) error {
		_, err := s.CreateDeliverable(ctx, p, portal.CreateDeliverableInput{ProjectID: f.AShared.ID, Title: "Logo"})
		return err
	}},
	{"UpdateDeliverable", func(ctx context.Context, s *sqlstore.Store, p portal.Principal, f *sqltest.Fixture) error {
		_, err := s.UpdateDeliverable(ctx, p, portal.UpdateDeliverableInput{ID: f.DShared.ID, Title: ptr("Renamed")})
		return err
	}},
	{"AddNote", func(ctx context.Context, s *sqlstore.Store, p portal.Principal, f *sqltest.Fixture) error {
		_, err := s.AddNote(ctx, p, portal.AddNoteInput{SubjectID: f.A.ID, Body: "hello"})
		return err
	}},
}

// Who may not do what: a viewer nothing, a member no client or project
// writes, a portal contact and anonymous caller nothing through these
// staff writes. A refused write leaves the database as it was.
func TestWritesNeedPermissions(t *testing.T) {
	withFixture(t, func(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture) {
		who := []struct {
			name string
			p    portal.Principal
			may  []string
		}{
			{"viewer", sqltest.Staff(f.Viewer), nil},
			{"member", sqltest.Staff(f.Member), memberMay},
			{"portal contact", sqltest.Portal(f.AActive), nil},
			{"anonymous", portal.Anonymous(), nil},
		}
		snapshot := dump(t, s)
		for _, w := range who {
			for _, op := range everyWrite {
				if slices.Contains(w.may, op.name) {
					continue
				}
				t.Run(w.name+" "+op.name, func(t *testing.T) {
					wantCode(t, op.run(t.Context(), s, w.p, f), portal.CodeForbidden)
					if dump(t, s) != snapshot {
						t.Fatal("a refused write changed the database")
					}
				})
			}
		}
	})
}

// The same calls succeed for the roles that hold the permission, each with
// one event: the matrix above is not refusing everything. (They run one
// after another on one database; none depends on another's absence.)
func TestWritesAllowedByRole(t *testing.T) {
	withFixture(t, func(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture) {
		for _, op := range everyWrite {
			t.Run(op.name, func(t *testing.T) {
				p := sqltest.Staff(f.Manager)
				if slices.Contains(memberMay, op.name) {
					p = sqltest.Staff(f.Member)
				}
				before := allIDs(t, s, "activity_events")
				noErr(t, op.run(t.Context(), s, p, f))
				if evs := newEvents(t, s, f, before); len(evs) != 1 || evs[0].Actor != p.UserID {
					t.Errorf("events %+v, want one by %s", evs, p.UserID)
				}
			})
		}
	})
}

// Input naming records of another workspace, or none at all, is bad input
// on the field that names them; nothing is written.
func TestWritesRejectForeignAndMissingReferences(t *testing.T) {
	withFixture(t, func(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture) {
		ctx, m := t.Context(), sqltest.Staff(f.Manager)
		missingUser := portal.NewID(portal.PrefixUser, f.Owner.CreatedAt)
		missingClient := portal.NewID(portal.PrefixClient, f.A.CreatedAt)
		missingProject := portal.NewID(portal.PrefixProject, f.AShared.CreatedAt)
		cases := []struct {
			name  string
			run   func() error
			field string
		}{
			{"client owner of W2", func() error {
				_, err := s.CreateClient(ctx, m, portal.CreateClientInput{Name: "Delta", OwnerID: &f.Owner2.ID})
				return err
			}, "input.ownerId"},
			{"client owner missing", func() error {
				_, err := s.CreateClient(ctx, m, portal.CreateClientInput{Name: "Delta", OwnerID: &missingUser})
				return err
			}, "input.ownerId"},
			{"new client owner of W2", func() error {
				_, err := s.UpdateClient(ctx, m, portal.UpdateClientInput{ID: f.A.ID, Name: ptr("Acme Corp"), OwnerID: &f.Owner2.ID})
				return err
			}, "input.ownerId"},
			{"contact's client of W2", func() error {
				_, err := s.CreateContact(ctx, m, portal.CreateContactInput{ClientID: f.X.ID, Name: "Nina", Email: "nina@x.example"})
				return err
			}, "input.clientId"},
			{"contact's client missing", func() error {
				_, err := s.CreateContact(ctx, m, portal.CreateContactInput{ClientID: missingClient, Name: "Nina", Email: "nina@x.example"})
				return err
			}, "input.clientId"},
			{"project's client of W2", func() error {
				_, err := s.CreateProject(ctx, m, portal.CreateProjectInput{ClientID: f.X.ID, Name: "Relaunch"})
				return err
			}, "input.clientId"},
			{"project's client missing", func() error {
				_, err := s.CreateProject(ctx, m, portal.CreateProjectInput{ClientID: missingClient, Name: "Relaunch"})
				return err
			}, "input.clientId"},
			{"project owner of W2", func() error {
				_, err := s.CreateProject(ctx, m, portal.CreateProjectInput{ClientID: f.A.ID, Name: "Relaunch", OwnerID: &f.Owner2.ID})
				return err
			}, "input.ownerId"},
			{"new project owner of W2", func() error {
				_, err := s.UpdateProject(ctx, m, portal.UpdateProjectInput{ID: f.AShared.ID, Name: ptr("Renamed"), OwnerID: &f.Owner2.ID})
				return err
			}, "input.ownerId"},
			{"deliverable's project of W2", func() error {
				_, err := s.CreateDeliverable(ctx, m, portal.CreateDeliverableInput{ProjectID: f.XShared.ID, Title: "Logo"})
				return err
			}, "input.projectId"},
			{"deliverable's project missing", func() error {
				_, err := s.CreateDeliverable(ctx, m, portal.CreateDeliverableInput{ProjectID: missingProject, Title: "Logo"})
				return err
			}, "input.projectId"},
			{"note on a client of W2", func() error {
				_, err := s.AddNote(ctx, m, portal.AddNoteInput{SubjectID: f.X.ID, Body: "hello"})
				return err
			}, "input.subjectId"},
			{"note on a project of W2", func() error {
				_, err := s.AddNote(ctx, m, portal.AddNoteInput{SubjectID: f.XShared.ID, Body: "hello"})
				return err
			}, "input.subjectId"},
			{"note on a missing project", func() error {
				_, err := s.AddNote(ctx, m, portal.AddNoteInput{SubjectID: missingProject, Body: "hello"})
				return err
			}, "input.subjectId"},
			{"note on a deliverable", func() error {
				_, err := s.AddNote(ctx, m, portal.AddNoteInput{SubjectID: f.DShared.ID, Body: "hello"})
				return err
			}, "input.subjectId"},
			{"note on no ID", func() error {
				_, err := s.AddNote(ctx, m, portal.AddNoteInput{SubjectID: "acme", Body: "hello"})
				return err
			}, "input.subjectId"},
			{"contact email taken", func() error {
				_, err := s.CreateContact(ctx, m, portal.CreateContactInput{ClientID: f.B.ID, Name: "Ann Again", Email: " ANN@acme.example"})
				return err
			}, "input.email"},
			{"contact email changed to a taken one", func() error {
				_, err := s.UpdateContact(ctx, m, portal.UpdateContactInput{ID: f.ASuspended.ID, Name: ptr("Sid S."), Email: ptr("Ann@Acme.example")})
				return err
			}, "input.email"},
			{"project due before it starts", func() error {
				_, err := s.CreateProject(ctx, m, portal.CreateProjectInput{ClientID: f.A.ID, Name: "Relaunch", StartsOn: date("2026-05-01"), DueOn: date("2026-04-30")})
				return err
			}, "input.dueOn"},
			{"project starts after its due date", func() error {
				// AShared is due 2026-06-30.
				_, err := s.UpdateProject(ctx, m, portal.UpdateProjectInput{ID: f.AShared.ID, Name: ptr("Renamed"), StartsOn: date("2026-07-01")})
				return err
			}, "input.dueOn"},
			{"new client archived", func() error {
				_, err := s.CreateClient(ctx, m, portal.CreateClientInput{Name: "Delta", Status: ptr(portal.ClientStatusArchived)})
				return err
			}, "input.status"},
			{"client archived by update", func() error {
				_, err := s.UpdateClient(ctx, m, portal.UpdateClientInput{ID: f.A.ID, Status: ptr(portal.ClientStatusArchived)})
				return err
			}, "input.status"},
		}
		snapshot := dump(t, s)
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				wantCode(t, c.run(), portal.CodeBadUserInput, c.field)
				if dump(t, s) != snapshot {
					t.Fatal("a rejected write changed the database")
				}
			})
		}
	})
}

// A record of another workspace is, to a write, a record that does not exist.
func TestUpdatesOfOtherWorkspacesAreNotFound(t *testing.T) {
	withFixture(t, func(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture) {
		ctx := t.Context()
		missing := portal.NewID(portal.PrefixClient, f.A.CreatedAt)
		cases := []struct {
			name string
			p    portal.Principal
			run  func(p portal.Principal) error
		}{
			{"client of W2", sqltest.Staff(f.Owner), func(p portal.Principal) error {
				_, err := s.UpdateClient(ctx, p, portal.UpdateClientInput{ID: f.X.ID, Name: ptr("Mine")})
				return err
			}},
			{"client of W1 by W2", sqltest.Staff(f.Owner2), func(p portal.Principal) error {
				_, err := s.UpdateClient(ctx, p, portal.UpdateClientInput{ID: f.A.ID, Name: ptr("Mine")})
				return err
			}},
			{"missing client", sqltest.Staff(f.Owner), func(p portal.Principal) error {
				_, err := s.UpdateClient(ctx, p, portal.UpdateClientInput{ID: missing, Name: ptr("Mine")})
				return err
			}},
			{"archive client of W2", sqltest.Staff(f.Owner), func(p portal.Principal) error {
				_, err := s.ArchiveClient(ctx, p, f.X.ID)
				return err
			}},
			{"contact of W2", sqltest.Staff(f.Owner), func(p portal.Principal) error {
				_, err := s.UpdateContact(ctx, p, portal.UpdateContactInput{ID: f.XActive.ID, Name: ptr("Mine")})
				return err
			}},
			{"project of W2", sqltest.Staff(f.Owner), func(p portal.Principal) error {
				_, err := s.UpdateProject(ctx, p, portal.UpdateProjectInput{ID: f.XShared.ID, Name: ptr("Mine")})
				return err
			}},
			{"deliverable of W2", sqltest.Staff(f.Owner), func(p portal.Principal) error {
				_, err := s.UpdateDeliverable(ctx, p, portal.UpdateDeliverableInput{ID: f.XDeliv.ID, Title: ptr("Mine")})
				return err
			}},
		}
		snapshot := dump(t, s)
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				wantCode(t, c.run(c.p), portal.CodeNotFound)
				if dump(t, s) != snapshot {
					t.Fatal("the write changed the database")
				}
			})
		}
	})
}

// An update that changes nothing writes nothing: no event, no new
// updatedAt. Values equal after normalization count as equal.
func TestUpdatesThatChangeNothing(t *testing.T) {
	withFixture(t, func(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture) {
		ctx, m := t.Context(), sqltest.Staff(f.Manager)
		cases := []struct {
			name string
			run  func() error
		}{
			{"client, no fields", func() error { _, err := s.UpdateClient(ctx, m, portal.UpdateClientInput{ID: f.A.ID}); return err }},
			{"client, same values", func() error {
				_, err := s.UpdateClient(ctx, m, portal.UpdateClientInput{ID: f.A.ID, Name: ptr(" Acme "), Status: ptr(portal.ClientStatusActive),
					OwnerID: &f.Manager.ID, InternalNotes: ptr("acme internal"), Email: ptr(""), Address: &portal.AddressInput{City: ptr("")}})
				return err
			}},
			{"contact, same values", func() error {
				_, err := s.UpdateContact(ctx, m, portal.UpdateContactInput{ID: f.AActive.ID, Name: ptr("Ann Active"), Email: ptr(" ANN@Acme.Example "), Title: ptr("CMO")})
				return err
			}},
			{"project, same values", func() error {
				_, err := s.UpdateProject(ctx, m, portal.UpdateProjectInput{ID: f.AShared.ID, Name: ptr("Acme shared"), Status: ptr(portal.ProjectStatusActive),
					Visibility: ptr(portal.VisibilityShared), DueOn: date("2026-06-30"), BudgetCents: ptr(100_000), OwnerID: &f.Manager.ID, Description: ptr("")})
				return err
			}},
			{"deliverable, same values", func() error {
				_, err := s.UpdateDeliverable(ctx, m, portal.UpdateDeliverableInput{ID: f.DShared.ID, Title: ptr("Shared deliverable"),
					Status: ptr(portal.DeliverableStatusApproved), Visibility: ptr(portal.VisibilityShared), DueOn: date("2026-03-01"), Description: ptr(" ")})
				return err
			}},
		}
		snapshot := dump(t, s)
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				noErr(t, c.run())
				if dump(t, s) != snapshot {
					t.Fatal("an update without changes wrote something")
				}
			})
		}
	})
}
