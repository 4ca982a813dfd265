package sqltest

import (
	"context"
	"slices"
	"testing"
	"time"

	"portalgraph/internal/auth"
	"portalgraph/internal/dataset"
	"portalgraph/internal/portal"
	"portalgraph/internal/sqlstore"
)

// Fixture is a small world for authorization tests: two workspaces; in the
// first, client A (portal on) with shared and internal work, client B
// (portal on) whose records A's contacts must never see, and client C
// (portal off). Tokens hold a bearer token for each principal.
type Fixture struct {
	Data *portal.Dataset

	W1, W2                           *portal.Workspace
	Owner, Manager, Member, Viewer   *portal.User
	Admin                            *portal.User
	A, B, C                          *portal.Client
	AActive, ASuspended, AInvited    *portal.Contact
	BActive, CActive                 *portal.Contact
	AShared, AInternal               *portal.Project // A's projects
	DShared, DInternal, DOfInternal  *portal.Deliverable
	ApprovalShared, ApprovalInternal *portal.Approval // on DShared (approved by AActive), DInternal (pending)
	DecisionShared                   *portal.ApprovalDecision
	NoteA, NoteAShared               *portal.Note
	EventA                           *portal.ActivityEvent
	BShared                          *portal.Project
	BDeliverable                     *portal.Deliverable
	BApproval                        *portal.Approval

	Owner2   *portal.User
	X        *portal.Client
	XActive  *portal.Contact
	XShared  *portal.Project
	XDeliv   *portal.Deliverable
	XApprove *portal.Approval

	// Deleted and erased records, which every read of every audience
	// must leave out as if they did not exist (LoadFixture marks them):
	// a shared project of A deleted with its shared deliverable and its
	// pending approval (asked of AActive), a shared deliverable of
	// AShared deleted on its own, and an erased contact of A.
	ADeleted          *portal.Project
	DOfDeleted        *portal.Deliverable
	ApprovalOfDeleted *portal.Approval
	DDeleted          *portal.Deliverable
	AErased           *portal.Contact

	// Tokens by principal: "owner", "admin", "manager", "member", "viewer",
	// "aActive", "aSuspended", "bActive", "cActive", "owner2", "xActive".
	Tokens map[string]string
}

// NewFixture builds the fixture without loading it.
func NewFixture() *Fixture {
	b := dataset.New(time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC), 7)
	f := &Fixture{Tokens: map[string]string{}}

	f.W1 = b.Workspace("Northwind", "w1")
	f.Owner = b.User(f.W1, "Olivia Owner", "owner@w1.example", portal.BuiltInRoleOwner)
	f.Manager = b.User(f.W1, "Mark Manager", "manager@w1.example", portal.BuiltInRoleManager)
	f.Member = b.User(f.W1, "Mia Member", "member@w1.example", portal.BuiltInRoleMember)
	f.Viewer = b.User(f.W1, "Victor Viewer", "viewer@w1.example", portal.BuiltInRoleViewer)

	f.A = b.Client(f.W1, "Acme", f.Manager, portal.ClientStatusActive)
	f.A.PortalEnabled = true
	f.A.InternalNotes = dataset.Text("acme internal")
	f.AActive = b.Contact(f.A, "Ann Active", "ann@acme.example", "CMO", portal.PortalStatusActive)
	f.ASuspended = b.Contact(f.A, "Sid Suspended", "sid@acme.example", "", portal.PortalStatusSuspended)
	f.AInvited = b.Contact(f.A, "Ivy Invited", "ivy@acme.example", "", portal.PortalStatusInvited)
	f.AShared = b.Project(f.A, "Acme shared", portal.ProjectStatusActive, portal.VisibilityShared)
	f.AShared.BudgetCents = intPtr(100_000)
	f.AShared.InternalNotes = dataset.Text("acme project internal")
	f.AShared.DueOn = dataset.Date(2026, 6, 30)
	f.AInternal = b.Project(f.A, "Acme internal", portal.ProjectStatusPlanned, portal.VisibilityInternal)
	f.AInternal.OwnerID = &f.Owner.ID
	f.DShared = b.Deliverable(f.AShared, "Shared deliverable", portal.DeliverableStatusInReview, portal.VisibilityShared)
	f.DShared.DueOn = dataset.Date(2026, 3, 1)
	f.DInternal = b.Deliverable(f.AShared, "Internal deliverable", portal.DeliverableStatusInProgress, portal.VisibilityInternal)
	f.DOfInternal = b.Deliverable(f.AInternal, "Shared deliverable of an internal project", portal.DeliverableStatusNotStarted, portal.VisibilityShared)
	f.ApprovalShared = b.Approval(f.AShared, f.DShared, "Approve the shared deliverable", portal.ApprovalPolicyAny, f.Manager, f.AActive)
	f.DecisionShared = b.Decision(f.ApprovalShared, f.AActive, portal.DecisionOutcomeApproved, "fine")
	b.Resolve(f.ApprovalShared, portal.ApprovalStatusApproved)
	f.DShared.Status = portal.DeliverableStatusApproved
	f.ApprovalInternal = b.Approval(f.AShared, f.DInternal, "Approve the internal deliverable", portal.ApprovalPolicyAny, f.Manager, f.AActive)
	f.NoteA = b.Note(f.A, nil, f.Manager, "note on acme")
	f.NoteAShared = b.Note(f.A, f.AShared, f.Owner, "note on acme shared")
	f.EventA = b.Activity(f.A, f.Manager, portal.ActivityActionCreated, portal.RecordTypeClient, f.A.ID, "Created client Acme")

	f.B = b.Client(f.W1, "Bolt", f.Owner, portal.ClientStatusActive)
	f.B.PortalEnabled = true
	f.BActive = b.Contact(f.B, "Ben Bolt", "ben@bolt.example", "", portal.PortalStatusActive)
	f.BShared = b.Project(f.B, "Bolt shared", portal.ProjectStatusActive, portal.VisibilityShared)
	f.BDeliverable = b.Deliverable(f.BShared, "Bolt deliverable", portal.DeliverableStatusInReview, portal.VisibilityShared)
	f.BApproval = b.Approval(f.BShared, f.BDeliverable, "Approve bolt", portal.ApprovalPolicyAny, f.Owner, f.BActive)

	f.C = b.Client(f.W1, "Cobalt", f.Owner, portal.ClientStatusActive)
	f.CActive = b.Contact(f.C, "Cal Cobalt", "cal@cobalt.example", "", portal.PortalStatusActive)

	f.W2 = b.Workspace("Other agency", "w2")
	f.Owner2 = b.User(f.W2, "Oscar Other", "oscar@w2.example", portal.BuiltInRoleOwner)
	f.X = b.Client(f.W2, "Xeno", f.Owner2, portal.ClientStatusActive)
	f.X.PortalEnabled = true
	f.XActive = b.Contact(f.X, "Xia Xeno", "xia@xeno.example", "", portal.PortalStatusActive)
	f.XShared = b.Project(f.X, "Xeno shared", portal.ProjectStatusActive, portal.VisibilityShared)
	f.XDeliv = b.Deliverable(f.XShared, "Xeno deliverable", portal.DeliverableStatusInReview, portal.VisibilityShared)
	f.XApprove = b.Approval(f.XShared, f.XDeliv, "Approve xeno", portal.ApprovalPolicyAny, f.Owner2, f.XActive)

	f.ADeleted = b.Project(f.A, "Acme deleted", portal.ProjectStatusActive, portal.VisibilityShared)
	f.DOfDeleted = b.Deliverable(f.ADeleted, "Deliverable of the deleted project", portal.DeliverableStatusInReview, portal.VisibilityShared)
	f.ApprovalOfDeleted = b.Approval(f.ADeleted, f.DOfDeleted, "Approve the deleted", portal.ApprovalPolicyAny, f.Manager, f.AActive)
	f.DDeleted = b.Deliverable(f.AShared, "Deleted deliverable", portal.DeliverableStatusInProgress, portal.VisibilityShared)
	// What erasure leaves of a contact.
	f.AErased = b.Contact(f.A, portal.FormerContact, "erased-fixture@erased.invalid", "", portal.PortalStatusNone)

	// Made last, so the records above keep the IDs they had before it.
	f.Admin = b.User(f.W1, "Adam Admin", "admin@w1.example", portal.BuiltInRoleAdmin)

	for name, holder := range map[string]struct {
		ws      *portal.Workspace
		user    *portal.User
		contact *portal.Contact
	}{
		"owner": {f.W1, f.Owner, nil}, "manager": {f.W1, f.Manager, nil}, "member": {f.W1, f.Member, nil},
		"viewer": {f.W1, f.Viewer, nil}, "aActive": {f.W1, nil, f.AActive}, "aSuspended": {f.W1, nil, f.ASuspended},
		"bActive": {f.W1, nil, f.BActive}, "cActive": {f.W1, nil, f.CActive},
		"owner2": {f.W2, f.Owner2, nil}, "xActive": {f.W2, nil, f.XActive}, "admin": {f.W1, f.Admin, nil},
	} {
		token, hash := auth.NewToken()
		t := &portal.AccessToken{Hash: hash, Kind: portal.TokenAPI, WorkspaceID: holder.ws.ID, ID: portal.NewID(portal.PrefixToken, time.Now()), CreatedAt: time.Now().UTC()}
		if holder.user != nil {
			t.UserID = &holder.user.ID
		} else {
			t.ContactID = &holder.contact.ID
		}
		b.Data.Tokens = append(b.Data.Tokens, t)
		f.Tokens[name] = token
	}
	f.Data = &b.Data
	return f
}

// DeletedAt is when the fixture's deleted records were deleted, and its
// erased contact erased.
var DeletedAt = time.Date(2026, 1, 6, 9, 0, 0, 0, time.UTC)

// Gone reports whether id is one of the fixture's deleted or erased
// records, which no read finds: for tests that compute what a read should
// return from the fixture's data.
func (f *Fixture) Gone(id string) bool {
	return slices.Contains([]string{f.ADeleted.ID, f.DOfDeleted.ID, f.ApprovalOfDeleted.ID, f.DDeleted.ID, f.AErased.ID}, id)
}

// LoadFixture builds the fixture and loads it into the store.
func LoadFixture(t testing.TB, store *sqlstore.Store) *Fixture {
	t.Helper()
	f := NewFixture()
	ctx := context.Background()
	if err := store.Load(ctx, f.Data); err != nil {
		t.Fatalf("sqltest: load fixture: %v", err)
	}
	// A day after the fixture's records were made: long past the 30
	// days in which they could be restored, whatever a test's clock says.
	at := DeletedAt
	db := store.DB()
	for _, mark := range []struct {
		table string
		ids   []string
		root  string
	}{
		{"projects", []string{f.ADeleted.ID}, f.ADeleted.ID},
		{"deliverables", []string{f.DOfDeleted.ID}, f.ADeleted.ID},
		{"approvals", []string{f.ApprovalOfDeleted.ID}, f.ADeleted.ID},
		{"deliverables", []string{f.DDeleted.ID}, f.DDeleted.ID},
	} {
		for _, id := range mark.ids {
			if _, err := db.ExecContext(ctx, db.Rebind(`UPDATE `+mark.table+` SET deleted_at = ?, deleted_by = ?, deleted_with = ? WHERE id = ?`),
				at, f.Owner.ID, mark.root, id); err != nil {
				t.Fatalf("sqltest: delete %s: %v", id, err)
			}
		}
	}
	if _, err := db.ExecContext(ctx, db.Rebind(`UPDATE contacts SET erased_at = ? WHERE id = ?`), at, f.AErased.ID); err != nil {
		t.Fatalf("sqltest: erase contact: %v", err)
	}
	return f
}

// Staff is the principal of a staff member.
func Staff(u *portal.User) portal.Principal {
	return portal.BuiltInStaffMember(u)
}

// Portal is the principal of a portal contact.
func Portal(c *portal.Contact) portal.Principal {
	return portal.Principal{Audience: portal.AudiencePortal, WorkspaceID: c.WorkspaceID, ContactID: c.ID, ClientID: c.ClientID}
}

func intPtr(n int) *int { return &n }

// EveryField is a portal.SchemaHas under which every audience's schema
// has every field: an export then has all its columns, whoever asked. It
// is for tests of the rest of exports (their rows, the queue, the
// workers); which columns each audience gets is tested in graph, against
// the schemas the API serves.
func EveryField(portal.Audience, string) bool { return true }
