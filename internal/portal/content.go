package portal

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"time"
)

// What clients receive and send through the portal besides projects and
// approvals: files, reports, exports and requests.

// File is a stored file's metadata; its bytes live in blob storage under
// BlobKey. A deliverable's file has versions: a series, counted from 1.
type File struct {
	WorkspaceID   string  `db:"workspace_id"`
	ID            string  `db:"id"`
	ClientID      string  `db:"client_id"`
	ProjectID     *string `db:"project_id"`
	DeliverableID *string `db:"deliverable_id"`
	RequestID     *string `db:"request_id"`
	// ExportID marks the CSV of an export.
	ExportID *string `db:"export_id"`
	// SeriesID is the ID of the first version.
	SeriesID    string     `db:"series_id"`
	Version     int        `db:"version"`
	Name        string     `db:"name"`
	ContentType string     `db:"content_type"`
	Size        int        `db:"size"`
	Sha256      string     `db:"sha256"`
	BlobKey     string     `db:"blob_key"`
	Visibility  Visibility `db:"visibility"`
	// UploadedByID is the staff member who uploaded it, or
	// UploadedByContactID the portal contact.
	UploadedByID        *string   `db:"uploaded_by"`
	UploadedByContactID *string   `db:"uploaded_by_contact"`
	CreatedAt           time.Time `db:"created_at"`
}

// ReportMetric is one named number of a report.
type ReportMetric struct {
	Name  string  `json:"name"`
	Value float64 `json:"value"`
	Unit  *string `json:"unit,omitempty"`
}

// ReportMetrics are stored as one JSON text.
type ReportMetrics []*ReportMetric

func (m ReportMetrics) Value() (driver.Value, error) {
	if m == nil {
		m = ReportMetrics{}
	}
	b, err := json.Marshal(m)
	return string(b), err
}

func (m *ReportMetrics) Scan(src any) error {
	var b []byte
	switch v := src.(type) {
	case string:
		b = []byte(v)
	case []byte:
		b = v
	case nil:
		*m = ReportMetrics{}
		return nil
	default:
		return fmt.Errorf("cannot scan %T into report metrics", src)
	}
	return json.Unmarshal(b, m)
}

// Report is a report to a client on a period, optionally about one of its
// projects. Contacts see it once published.
type Report struct {
	WorkspaceID string        `db:"workspace_id"`
	ID          string        `db:"id"`
	ClientID    string        `db:"client_id"`
	ProjectID   *string       `db:"project_id"`
	Title       string        `db:"title"`
	PeriodStart Date          `db:"period_start"`
	PeriodEnd   Date          `db:"period_end"`
	Summary     *string       `db:"summary"`
	Body        *string       `db:"body"`
	Metrics     ReportMetrics `db:"metrics"`
	Status      ReportStatus  `db:"status"`
	PublishedAt *time.Time    `db:"published_at"`
	AuthorID    *string       `db:"author_id"`
	CreatedAt   time.Time     `db:"created_at"`
	UpdatedAt   time.Time     `db:"updated_at"`
}

// Export is a CSV export job and, once done, its file.
type Export struct {
	WorkspaceID string       `db:"workspace_id"`
	ID          string       `db:"id"`
	ClientID    string       `db:"client_id"`
	Kind        ExportKind   `db:"kind"`
	From        Date         `db:"range_from"`
	To          Date         `db:"range_to"`
	Status      ExportStatus `db:"status"`
	FileID      *string      `db:"file_id"`
	Error       *string      `db:"error"`
	// The export is built with the view of whoever asked for it.
	RequestedByID        *string    `db:"requested_by"`
	RequestedByContactID *string    `db:"requested_by_contact"`
	Attempts             int        `db:"attempts"`
	LeaseUntil           *time.Time `db:"lease_until"`
	CreatedAt            time.Time  `db:"created_at"`
	FinishedAt           *time.Time `db:"finished_at"`
}

// ClientRequest is what a contact asks of the agency through the portal.
type ClientRequest struct {
	WorkspaceID string              `db:"workspace_id"`
	ID          string              `db:"id"`
	ClientID    string              `db:"client_id"`
	ProjectID   *string             `db:"project_id"`
	Title       string              `db:"title"`
	Body        string              `db:"body"`
	Status      ClientRequestStatus `db:"status"`
	AssigneeID  *string             `db:"assignee_id"`
	OpenedByID  *string             `db:"opened_by_contact"`
	CreatedAt   time.Time           `db:"created_at"`
	// LastActivityAt moves when the request is opened, changed or commented
	// on where its client can see; internal comments leave it alone so the
	// portal learns nothing from it.
	LastActivityAt time.Time `db:"last_activity_at"`
}

// RequestComment is a comment on a request; an internal one is for staff.
type RequestComment struct {
	WorkspaceID     string    `db:"workspace_id"`
	ID              string    `db:"id"`
	RequestID       string    `db:"request_id"`
	ClientID        string    `db:"client_id"`
	Body            string    `db:"body"`
	Internal        bool      `db:"internal"`
	AuthorUserID    *string   `db:"author_user"`
	AuthorContactID *string   `db:"author_contact"`
	CreatedAt       time.Time `db:"created_at"`
}

func (*File) IsNode()           {}
func (*Report) IsNode()         {}
func (*Export) IsNode()         {}
func (*ClientRequest) IsNode()  {}
func (*RequestComment) IsNode() {}

func (r *File) GetID() string           { return r.ID }
func (r *Report) GetID() string         { return r.ID }
func (r *Export) GetID() string         { return r.ID }
func (r *ClientRequest) GetID() string  { return r.ID }
func (r *RequestComment) GetID() string { return r.ID }

type (
	FileConnection           = Connection[File]
	FileEdge                 = Edge[File]
	ReportConnection         = Connection[Report]
	ReportEdge               = Edge[Report]
	ExportConnection         = Connection[Export]
	ExportEdge               = Edge[Export]
	ClientRequestConnection  = Connection[ClientRequest]
	ClientRequestEdge        = Edge[ClientRequest]
	RequestCommentConnection = Connection[RequestComment]
	RequestCommentEdge       = Edge[RequestComment]
)
