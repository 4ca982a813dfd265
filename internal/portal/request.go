package portal

// Client requests as pure rules: what a comment does to a request's
// status. Who may open and comment on them is their permissions'
// (REQUESTS_CREATE, COMMENTS_CREATE).

// Closed reports whether the agency is finished with a request: done or
// declined.
func (s ClientRequestStatus) Closed() bool {
	return s == ClientRequestStatusDone || s == ClientRequestStatusDeclined
}

// AfterComment is the status a request takes when a comment is posted on
// it. A contact who writes on a done or declined request is following up
// — the work came back wrong, or they answer the reason it was declined —
// and expects the agency to pick it up again, as a reply to a closed
// support ticket reopens it; refusing the comment would push them back to
// email. So their comment reopens the request. Staff close and reopen
// requests explicitly (updateRequest), so their comments leave the status
// alone, which lets them add a last word to a closed request.
func (s ClientRequestStatus) AfterComment(byContact bool) ClientRequestStatus {
	if byContact && s.Closed() {
		return ClientRequestStatusOpen
	}
	return s
}
