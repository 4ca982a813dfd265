package portal

// ApprovalChangedEvent is what a subscriber to approvals is sent: the
// approval as the subscriber sees it now.
type ApprovalChangedEvent struct {
	Change   ApprovalChange
	Approval *Approval
}

// RequestChangedEvent is what a subscriber to requests is sent: the
// request, and the comment added, as the subscriber sees them now.
type RequestChangedEvent struct {
	Change  RequestChange
	Request *ClientRequest
	Comment *RequestComment
}
