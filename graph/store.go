package graph

import (
	"context"
	"time"

	"portalgraph/internal/auth"

	"portalgraph/internal/portal"
)

// Store is the storage the API reads and writes through. Every method is
// scoped by the principal it is given.
type Store interface {
	roleStore
	fileStore
	reportStore
	exportStore
	requestStore
	partnerKeyStore
	dashboardStore
	allowListStore
	webhookStore
	deletionStore

	Workspace(ctx context.Context, p portal.Principal) (*portal.Workspace, error)
	WorkspacePlan(ctx context.Context, p portal.Principal) (portal.WorkspacePlan, error)
	Usage(ctx context.Context, p portal.Principal) ([]*portal.PlanUsage, error)
	ExplainAccess(ctx context.Context, asker portal.Principal, principalID, recordID string) (*portal.AccessExplanation, error)
	UsersByID(ctx context.Context, p portal.Principal, ids []string) ([]*portal.User, error)
	ClientsByID(ctx context.Context, p portal.Principal, ids []string) ([]*portal.Client, error)
	ContactsByID(ctx context.Context, p portal.Principal, ids []string) ([]*portal.Contact, error)
	ProjectsByID(ctx context.Context, p portal.Principal, ids []string) ([]*portal.Project, error)
	DeliverablesByID(ctx context.Context, p portal.Principal, ids []string) ([]*portal.Deliverable, error)
	ApprovalsByID(ctx context.Context, p portal.Principal, ids []string) ([]*portal.Approval, error)
	DecisionsByID(ctx context.Context, p portal.Principal, ids []string) ([]*portal.ApprovalDecision, error)
	NotesByID(ctx context.Context, p portal.Principal, ids []string) ([]*portal.Note, error)
	ActivityByID(ctx context.Context, p portal.Principal, ids []string) ([]*portal.ActivityEvent, error)
	FilesByID(ctx context.Context, p portal.Principal, ids []string) ([]*portal.File, error)
	ReportsByID(ctx context.Context, p portal.Principal, ids []string) ([]*portal.Report, error)
	ExportsByID(ctx context.Context, p portal.Principal, ids []string) ([]*portal.Export, error)
	RequestsByID(ctx context.Context, p portal.Principal, ids []string) ([]*portal.ClientRequest, error)
	CommentsByID(ctx context.Context, p portal.Principal, ids []string) ([]*portal.RequestComment, error)

	Clients(ctx context.Context, p portal.Principal, f portal.ClientFilter, o *portal.ClientOrder, page portal.PageArgs) (*portal.ClientConnection, error)
	Projects(ctx context.Context, p portal.Principal, f portal.ProjectFilter, o *portal.ProjectOrder, page portal.PageArgs) (*portal.ProjectConnection, error)
	Deliverables(ctx context.Context, p portal.Principal, f portal.DeliverableFilter, o *portal.DeliverableOrder, page portal.PageArgs) (*portal.DeliverableConnection, error)
	Users(ctx context.Context, p portal.Principal, page portal.PageArgs) (*portal.UserConnection, error)

	ContactsOfClients(ctx context.Context, p portal.Principal, clientIDs []string, portalStatus []portal.PortalStatus, page portal.PageArgs) (map[string]*portal.ContactConnection, error)
	ProjectsOfClients(ctx context.Context, p portal.Principal, clientIDs []string, f portal.ClientProjectFilter, o *portal.ProjectOrder, page portal.PageArgs) (map[string]*portal.ProjectConnection, error)
	DeliverablesOfProjects(ctx context.Context, p portal.Principal, projectIDs []string, f portal.ProjectDeliverableFilter, o *portal.DeliverableOrder, page portal.PageArgs) (map[string]*portal.DeliverableConnection, error)
	ApprovalsOf(ctx context.Context, p portal.Principal, parent portal.RecordType, ids []string, status []portal.ApprovalStatus, page portal.PageArgs) (map[string]*portal.ApprovalConnection, error)
	Approvals(ctx context.Context, p portal.Principal, f portal.ApprovalFilter, o *portal.ApprovalOrder, page portal.PageArgs) (*portal.ApprovalConnection, error)
	NextRoundsOf(ctx context.Context, p portal.Principal, approvalIDs []string) (map[string]*portal.Approval, error)
	DecisionHistoryOf(ctx context.Context, p portal.Principal, approvalIDs []string) (map[string][]*portal.ApprovalDecision, error)
	NotesOf(ctx context.Context, p portal.Principal, parent portal.RecordType, ids []string, page portal.PageArgs) (map[string]*portal.NoteConnection, error)
	ActivityOfClients(ctx context.Context, p portal.Principal, clientIDs []string, f portal.ActivityFilter, page portal.PageArgs) (map[string]*portal.ActivityEventConnection, error)
	PortalOverviewsOf(ctx context.Context, p portal.Principal, clientIDs []string) (map[string]*portal.ClientPortalOverview, error)
	PendingInviteExpiries(ctx context.Context, p portal.Principal, contactIDs []string) (map[string]*time.Time, error)
	ApproversOf(ctx context.Context, p portal.Principal, approvalIDs []string) (map[string][]*portal.Contact, error)
	DecisionsOf(ctx context.Context, p portal.Principal, approvalIDs []string) (map[string][]*portal.ApprovalDecision, error)

	CreateClient(ctx context.Context, p portal.Principal, in portal.CreateClientInput) (*portal.Client, error)
	UpdateClient(ctx context.Context, p portal.Principal, in portal.UpdateClientInput) (*portal.Client, error)
	ArchiveClient(ctx context.Context, p portal.Principal, id string) (*portal.Client, error)
	CreateContact(ctx context.Context, p portal.Principal, in portal.CreateContactInput) (*portal.Contact, error)
	UpdateContact(ctx context.Context, p portal.Principal, in portal.UpdateContactInput) (*portal.Contact, error)
	CreateProject(ctx context.Context, p portal.Principal, in portal.CreateProjectInput) (*portal.Project, error)
	UpdateProject(ctx context.Context, p portal.Principal, in portal.UpdateProjectInput) (*portal.Project, error)
	CreateDeliverable(ctx context.Context, p portal.Principal, in portal.CreateDeliverableInput) (*portal.Deliverable, error)
	UpdateDeliverable(ctx context.Context, p portal.Principal, in portal.UpdateDeliverableInput) (*portal.Deliverable, error)
	AddNote(ctx context.Context, p portal.Principal, in portal.AddNoteInput) (*portal.Note, error)

	RequestApproval(ctx context.Context, p portal.Principal, in portal.RequestApprovalInput) (*portal.Approval, error)
	ResubmitApproval(ctx context.Context, p portal.Principal, in portal.ResubmitApprovalInput) (*portal.Approval, error)
	CancelApproval(ctx context.Context, p portal.Principal, id string) (*portal.Approval, error)
	RemindApprovers(ctx context.Context, p portal.Principal, id string) (*portal.Approval, []*portal.Contact, error)
	DecideApproval(ctx context.Context, p portal.Principal, in portal.DecideApprovalInput) (*portal.ApprovalDecision, *portal.Approval, error)
	RecordApprovalDecision(ctx context.Context, p portal.Principal, in portal.RecordApprovalDecisionInput) (*portal.ApprovalDecision, *portal.Approval, error)

	SetClientPortal(ctx context.Context, p portal.Principal, in portal.SetClientPortalInput) (*portal.Client, error)
	SuspendContact(ctx context.Context, p portal.Principal, contactID string) (*portal.Contact, error)
	RestoreContact(ctx context.Context, p portal.Principal, contactID string) (*portal.Contact, error)
}

// Access signs people in and out and hands out invitations and previews
// (auth.Access).
type Access interface {
	LogIn(ctx context.Context, email, password, workspace, addr string) (auth.Session, error)
	AcceptInvite(ctx context.Context, inviteToken, password, addr string) (auth.Session, error)
	LogOut(ctx context.Context, p portal.Principal) (bool, error)
	Invite(ctx context.Context, p portal.Principal, contactID string) (*portal.Contact, string, time.Time, error)
	Preview(ctx context.Context, p portal.Principal, contactID string) (string, time.Time, *portal.Contact, error)
	staffInviter
}

// noAccess is the Access of a server run without sign-in: every use of it
// is refused, where a nil Access would panic.
type noAccess struct{}

var errNoAccess = portal.Forbidden("signing in is not available on this server")

func (noAccess) LogIn(context.Context, string, string, string, string) (auth.Session, error) {
	return auth.Session{}, errNoAccess
}

func (noAccess) AcceptInvite(context.Context, string, string, string) (auth.Session, error) {
	return auth.Session{}, errNoAccess
}

func (noAccess) LogOut(context.Context, portal.Principal) (bool, error) { return false, errNoAccess }

func (noAccess) Invite(context.Context, portal.Principal, string) (*portal.Contact, string, time.Time, error) {
	return nil, "", time.Time{}, errNoAccess
}

func (noAccess) Preview(context.Context, portal.Principal, string) (string, time.Time, *portal.Contact, error) {
	return "", time.Time{}, nil, errNoAccess
}

// Audit notes what portal contacts open, what they and partners' keys
// read, and that contacts were seen (audit.Recorder). Read must not keep
// ids once it returns: the caller reuses the slice.
type Audit interface {
	Viewed(p portal.Principal, rt portal.RecordType, recordID string)
	Read(p portal.Principal, operation string, rt portal.RecordType, clientID string, ids []string)
	Seen(p portal.Principal)
}

// noAudit records nothing, for servers run without an audit.
type noAudit struct{}

func (noAudit) Viewed(portal.Principal, portal.RecordType, string) {}
func (noAudit) Seen(portal.Principal)                              {}
func (noAudit) Read(portal.Principal, string, portal.RecordType, string, []string) {
}
