package portal

// MaxPageSize bounds `first` on every connection.
const MaxPageSize = 100

// PageArgs asks for the first records after a cursor.
type PageArgs struct {
	First int
	After *string
	// Count asks for TotalCount as well.
	Count bool
}

type PageInfo struct {
	HasNextPage     bool
	HasPreviousPage bool
	StartCursor     *string
	EndCursor       *string
}

type Edge[T any] struct {
	Cursor string
	Node   *T
}

// Connection is a page of records in Relay form. TotalCount is filled only
// when asked for, because counting costs a statement of its own.
type Connection[T any] struct {
	Edges      []Edge[T]
	PageInfo   PageInfo
	TotalCount int
}

// Len is the number of edges.
func (c *Connection[T]) Len() int { return len(c.Edges) }

// NodeAt is the node of edge i.
func (c *Connection[T]) NodeAt(i int) any { return c.Edges[i].Node }

type (
	ClientConnection             = Connection[Client]
	ClientEdge                   = Edge[Client]
	ContactConnection            = Connection[Contact]
	ContactEdge                  = Edge[Contact]
	ProjectConnection            = Connection[Project]
	ProjectEdge                  = Edge[Project]
	DeliverableConnection        = Connection[Deliverable]
	DeliverableEdge              = Edge[Deliverable]
	ApprovalConnection           = Connection[Approval]
	ApprovalEdge                 = Edge[Approval]
	NoteConnection               = Connection[Note]
	NoteEdge                     = Edge[Note]
	ActivityEventConnection      = Connection[ActivityEvent]
	ActivityEventEdge            = Edge[ActivityEvent]
	UserConnection               = Connection[User]
	UserEdge                     = Edge[User]
	PartnerKeyConnection         = Connection[PartnerKey]
	PartnerKeyEdge               = Edge[PartnerKey]
	PersistedOperationConnection = Connection[PersistedOperation]
	PersistedOperationEdge       = Edge[PersistedOperation]
	ReadEventConnection          = Connection[ReadEvent]
	ReadEventEdge                = Edge[ReadEvent]
	WebhookEndpointConnection    = Connection[WebhookEndpoint]
	WebhookEndpointEdge          = Edge[WebhookEndpoint]
	WebhookDeliveryConnection    = Connection[WebhookDelivery]
	WebhookDeliveryEdge          = Edge[WebhookDelivery]
	DeletedRecordConnection      = Connection[DeletedRecord]
	DeletedRecordEdge            = Edge[DeletedRecord]
)
