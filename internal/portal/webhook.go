package portal

import (
	"encoding/json"
	"time"
)

// MaxWebhookEndpoints bounds a workspace's endpoints.
const MaxWebhookEndpoints = 20

// WebhookEndpoint is a URL staff registered to receive the workspace's
// activity events of the actions it subscribes to, signed with its secret.
type WebhookEndpoint struct {
	WorkspaceID string    `db:"workspace_id"`
	ID          string    `db:"id"`
	URL         string    `db:"url"`
	EventList   FieldList `db:"events"`
	// Secret signs deliveries; it is shown once, when the endpoint is
	// created.
	Secret      string    `db:"secret"`
	CreatedByID *string   `db:"created_by"`
	CreatedAt   time.Time `db:"created_at"`
	// DisabledAt is set when deliveries failed DisableAfter times in a
	// row; nothing is sent to the endpoint until staff enable it again.
	DisabledAt     *time.Time `db:"disabled_at"`
	DisabledReason *string    `db:"disabled_reason"`
	// Failures counts the failed attempts since the last success.
	Failures int `db:"failures"`
}

// Events are the actions the endpoint receives.
func (e *WebhookEndpoint) Events() []ActivityAction {
	out := make([]ActivityAction, len(e.EventList))
	for i, a := range e.EventList {
		out[i] = ActivityAction(a)
	}
	return out
}

// WebhookDelivery is one activity event on its way to one endpoint.
type WebhookDelivery struct {
	WorkspaceID string         `db:"workspace_id"`
	ID          string         `db:"id"`
	EndpointID  string         `db:"endpoint_id"`
	Event       ActivityAction `db:"event"`
	ActivityID  string         `db:"activity_id"`
	// Payload is the body sent, as sent.
	Payload  string `db:"payload"`
	Attempts int    `db:"attempts"`
	// NextAttemptAt is when the delivery is due; nil once it was
	// delivered or given up.
	NextAttemptAt *time.Time `db:"next_attempt_at"`
	DeliveredAt   *time.Time `db:"delivered_at"`
	LastStatus    *int       `db:"last_status"`
	LastError     *string    `db:"last_error"`
	CreatedAt     time.Time  `db:"created_at"`
}

// WebhookPayload is the body of a delivery: the IDs of what happened, and
// the summary staff read in the activity feed.
type WebhookPayload struct {
	ID          string     `json:"id"` // the activity event's
	Event       string     `json:"event"`
	WorkspaceID string     `json:"workspaceId"`
	RecordType  RecordType `json:"recordType"`
	RecordID    string     `json:"recordId"`
	ClientID    *string    `json:"clientId"`
	ActorUserID *string    `json:"actorUserId"`
	ActorContID *string    `json:"actorContactId"`
	Summary     string     `json:"summary"`
	OccurredAt  time.Time  `json:"occurredAt"`
}

// NewWebhookPayload is the body delivered for an activity event.
func NewWebhookPayload(ev *ActivityEvent) ([]byte, error) {
	return json.Marshal(WebhookPayload{
		ID: ev.ID, Event: string(ev.Action), WorkspaceID: ev.WorkspaceID, RecordType: ev.RecordType, RecordID: ev.RecordID,
		ClientID: ev.ClientID, ActorUserID: ev.ActorUserID, ActorContID: ev.ActorContactID, Summary: ev.Summary, OccurredAt: ev.CreatedAt,
	})
}
