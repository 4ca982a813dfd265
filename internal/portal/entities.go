package portal

import (
	"database/sql/driver"
	"fmt"
	"strings"
	"time"
)

// The records of a workspace. Relations are kept as IDs; the API resolves
// them through per-request loaders, so a record never drags its neighbours
// along.

type Workspace struct {
	ID        string    `db:"id"`
	Name      string    `db:"name"`
	Slug      string    `db:"slug"`
	CreatedAt time.Time `db:"created_at"`
	// PortalPersistedOnly locks the portal to the workspace's persisted
	// operations.
	PortalPersistedOnly bool `db:"portal_persisted_only"`
}

// User is a staff member of a workspace.
type User struct {
	WorkspaceID string `db:"workspace_id"`
	ID          string `db:"id"`
	Name        string `db:"name"`
	Email       string `db:"email"`
	RoleID      string `db:"role_id"`
	// PasswordHash is the argon2id hash of the password, if one is set.
	PasswordHash *string `db:"password_hash"`
	// DeactivatedAt is when the member was deactivated: they may not
	// sign in, and no token of theirs is accepted.
	DeactivatedAt *time.Time `db:"deactivated_at"`
	CreatedAt     time.Time  `db:"created_at"`
	UpdatedAt     time.Time  `db:"updated_at"`
}

type Client struct {
	WorkspaceID   string       `db:"workspace_id"`
	ID            string       `db:"id"`
	Name          string       `db:"name"`
	Organization  *string      `db:"organization"`
	OwnerID       *string      `db:"owner_id"`
	Email         *string      `db:"email"`
	Phone         *string      `db:"phone"`
	Website       *string      `db:"website"`
	AddressLine1  *string      `db:"address_line1"`
	AddressLine2  *string      `db:"address_line2"`
	City          *string      `db:"city"`
	Region        *string      `db:"region"`
	PostalCode    *string      `db:"postal_code"`
	Country       *string      `db:"country"`
	Status        ClientStatus `db:"status"`
	PortalEnabled bool         `db:"portal_enabled"`
	// Portal sections, see PortalSettings.
	PortalProjects     bool       `db:"portal_projects"`
	PortalDeliverables bool       `db:"portal_deliverables"`
	PortalApprovals    bool       `db:"portal_approvals"`
	PortalReports      bool       `db:"portal_reports"`
	PortalFiles        bool       `db:"portal_files"`
	PortalExports      bool       `db:"portal_exports"`
	PortalRequests     bool       `db:"portal_requests"`
	InternalNotes      *string    `db:"internal_notes"`
	CreatedAt          time.Time  `db:"created_at"`
	UpdatedAt          time.Time  `db:"updated_at"`
	ArchivedAt         *time.Time `db:"archived_at"`
}

// Address is the client's postal address; nil when no part is known.
func (c *Client) Address() *Address {
	a := Address{Line1: c.AddressLine1, Line2: c.AddressLine2, City: c.City, Region: c.Region, PostalCode: c.PostalCode, Country: c.Country}
	if a == (Address{}) {
		return nil
	}
	return &a
}

// PortalSettings are the sections of the portal the client's contacts see.
func (c *Client) PortalSettings() *PortalSettings {
	return &PortalSettings{
		Projects: c.PortalProjects, Deliverables: c.PortalDeliverables, Approvals: c.PortalApprovals,
		Reports: c.PortalReports, Files: c.PortalFiles, Exports: c.PortalExports, Requests: c.PortalRequests,
	}
}

// SetPortalSettings replaces the portal sections.
func (c *Client) SetPortalSettings(s PortalSettings) {
	c.PortalProjects, c.PortalDeliverables, c.PortalApprovals = s.Projects, s.Deliverables, s.Approvals
	c.PortalReports, c.PortalFiles, c.PortalExports, c.PortalRequests = s.Reports, s.Files, s.Exports, s.Requests
}

// Address is a postal address.
type Address struct {
	Line1      *string
	Line2      *string
	City       *string
	Region     *string
	PostalCode *string
	Country    *string
}

// PortalSettings says which portal sections a client's contacts see.
type PortalSettings struct {
	Projects     bool
	Deliverables bool
	Approvals    bool
	Reports      bool
	Files        bool
	Exports      bool
	Requests     bool
}

// DefaultPortalSettings shows the sections a new portal usually starts with.
func DefaultPortalSettings() PortalSettings {
	return PortalSettings{Projects: true, Deliverables: true, Approvals: true, Reports: true, Files: true, Requests: true}
}

// Contact is a client's stakeholder.
type Contact struct {
	WorkspaceID  string       `db:"workspace_id"`
	ID           string       `db:"id"`
	ClientID     string       `db:"client_id"`
	Name         string       `db:"name"`
	Email        string       `db:"email"`
	Phone        *string      `db:"phone"`
	Title        *string      `db:"title"`
	PortalStatus PortalStatus `db:"portal_status"`
	// PasswordHash is the argon2id hash of the password chosen on
	// accepting an invitation.
	PasswordHash *string    `db:"password_hash"`
	LastSeenAt   *time.Time `db:"last_seen_at"`
	CreatedAt    time.Time  `db:"created_at"`
	UpdatedAt    time.Time  `db:"updated_at"`
}

type Project struct {
	WorkspaceID   string        `db:"workspace_id"`
	ID            string        `db:"id"`
	ClientID      string        `db:"client_id"`
	Name          string        `db:"name"`
	Description   *string       `db:"description"`
	Status        ProjectStatus `db:"status"`
	Visibility    Visibility    `db:"visibility"`
	StartsOn      *Date         `db:"starts_on"`
	DueOn         *Date         `db:"due_on"`
	OwnerID       *string       `db:"owner_id"`
	BudgetCents   *int          `db:"budget_cents"`
	InternalNotes *string       `db:"internal_notes"`
	CreatedAt     time.Time     `db:"created_at"`
	UpdatedAt     time.Time     `db:"updated_at"`
}

// Check enforces the rules a project must satisfy after every change.
func (p *Project) Check() error {
	if p.StartsOn != nil && p.DueOn != nil && p.DueOn.Before(*p.StartsOn) {
		return InvalidField("input.dueOn", "must not be before startsOn")
	}
	return nil
}

type Deliverable struct {
	WorkspaceID string            `db:"workspace_id"`
	ID          string            `db:"id"`
	ProjectID   string            `db:"project_id"`
	Title       string            `db:"title"`
	Description *string           `db:"description"`
	Status      DeliverableStatus `db:"status"`
	Visibility  Visibility        `db:"visibility"`
	DueOn       *Date             `db:"due_on"`
	CreatedAt   time.Time         `db:"created_at"`
	UpdatedAt   time.Time         `db:"updated_at"`
}

type Approval struct {
	WorkspaceID     string         `db:"workspace_id"`
	ID              string         `db:"id"`
	DeliverableID   string         `db:"deliverable_id"`
	ProjectID       string         `db:"project_id"`
	ClientID        string         `db:"client_id"`
	Title           string         `db:"title"`
	Message         *string        `db:"message"`
	Status          ApprovalStatus `db:"status"`
	Policy          ApprovalPolicy `db:"policy"`
	DueOn           *Date          `db:"due_on"`
	Round           int            `db:"round"`
	PreviousRoundID *string        `db:"previous_round_id"`
	RequestedByID   *string        `db:"requested_by"`
	InternalNotes   *string        `db:"internal_notes"`
	RemindedAt      *time.Time     `db:"reminded_at"`
	CreatedAt       time.Time      `db:"created_at"`
	ResolvedAt      *time.Time     `db:"resolved_at"`
}

// ApprovalDecision is an approver's decision on an approval.
type ApprovalDecision struct {
	WorkspaceID  string          `db:"workspace_id"`
	ID           string          `db:"id"`
	ApprovalID   string          `db:"approval_id"`
	ContactID    string          `db:"contact_id"`
	Outcome      DecisionOutcome `db:"outcome"`
	Comment      *string         `db:"comment"`
	RecordedByID *string         `db:"recorded_by"`
	InternalNote *string         `db:"internal_note"`
	// IdempotencyKey is the key of the request that made the decision.
	IdempotencyKey *string    `db:"idempotency_key"`
	DecidedAt      time.Time  `db:"decided_at"`
	SupersededAt   *time.Time `db:"superseded_at"`
}

// OnBehalf reports whether staff recorded the decision for the contact.
func (d *ApprovalDecision) OnBehalf() bool { return d.RecordedByID != nil }

// Superseded reports whether the approver has since decided again.
func (d *ApprovalDecision) Superseded() bool { return d.SupersededAt != nil }

// OutboxMessage is mail waiting to be sent, written in the transaction of
// the change it tells about.
type OutboxMessage struct {
	WorkspaceID string     `db:"workspace_id"`
	ID          string     `db:"id"`
	Kind        string     `db:"kind"`
	Recipient   string     `db:"recipient"`
	Subject     string     `db:"subject"`
	Body        string     `db:"body"`
	CreatedAt   time.Time  `db:"created_at"`
	SentAt      *time.Time `db:"sent_at"`
	Attempts    int        `db:"attempts"`
	LastError   *string    `db:"last_error"`
	// ClaimedUntil is when a server's lease on the message to send it ends.
	ClaimedUntil *time.Time `db:"claimed_until"`
}

// Note is an internal note on a client, optionally about one of its projects.
type Note struct {
	WorkspaceID string    `db:"workspace_id"`
	ID          string    `db:"id"`
	ClientID    string    `db:"client_id"`
	ProjectID   *string   `db:"project_id"`
	AuthorID    *string   `db:"author_id"`
	Body        string    `db:"body"`
	CreatedAt   time.Time `db:"created_at"`
}

// ActivityEvent records who did what to which record, and when.
type ActivityEvent struct {
	WorkspaceID    string         `db:"workspace_id"`
	ID             string         `db:"id"`
	Action         ActivityAction `db:"action"`
	RecordType     RecordType     `db:"record_type"`
	RecordID       string         `db:"record_id"`
	ActorUserID    *string        `db:"actor_user_id"`
	ActorContactID *string        `db:"actor_contact_id"`
	ClientID       *string        `db:"client_id"`
	Summary        string         `db:"summary"`
	Changed        FieldList      `db:"changed_fields"`
	// Preview marks what happened in a staff member's preview of the
	// portal as the contact.
	Preview   bool      `db:"preview"`
	CreatedAt time.Time `db:"created_at"`
}

// ChangedFields names the fields an update changed.
func (e *ActivityEvent) ChangedFields() []string { return e.Changed }

// FieldList is a list of field names, stored as one comma-separated text.
type FieldList []string

func (l FieldList) Value() (driver.Value, error) { return strings.Join(l, ","), nil }

func (l *FieldList) Scan(src any) error {
	var s string
	switch v := src.(type) {
	case string:
		s = v
	case []byte:
		s = string(v)
	case nil:
	default:
		return fmt.Errorf("cannot scan %T into a FieldList", src)
	}
	*l = FieldList{}
	if s != "" {
		*l = strings.Split(s, ",")
	}
	return nil
}

// Node is implemented by every record that has a global ID.
func (*Workspace) IsNode()        {}
func (*User) IsNode()             {}
func (*Client) IsNode()           {}
func (*Contact) IsNode()          {}
func (*Project) IsNode()          {}
func (*Deliverable) IsNode()      {}
func (*Approval) IsNode()         {}
func (*ApprovalDecision) IsNode() {}
func (*Note) IsNode()             {}
func (*ActivityEvent) IsNode()    {}
func (*Role) IsNode()             {}

func (r *Workspace) GetID() string        { return r.ID }
func (r *User) GetID() string             { return r.ID }
func (r *Client) GetID() string           { return r.ID }
func (r *Contact) GetID() string          { return r.ID }
func (r *Project) GetID() string          { return r.ID }
func (r *Deliverable) GetID() string      { return r.ID }
func (r *Approval) GetID() string         { return r.ID }
func (r *ApprovalDecision) GetID() string { return r.ID }
func (r *Note) GetID() string             { return r.ID }
func (r *ActivityEvent) GetID() string    { return r.ID }
func (r *Role) GetID() string             { return r.ID }
