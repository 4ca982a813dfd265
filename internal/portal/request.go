package portal

// Client requests as pure rules: who may open and comment on them, and what
// a comment does to a request's status. The API checks who may act before
// it reads the input (so a refusal does not disclose the input's rules);
// the store checks again, to be safe on its own.

// MayOpenRequest: requests are what a client's contacts ask of the agency,
// so only a contact opens one, in their own portal; a staff member's
// preview of the portal is read-only.
func MayOpenRequest(p Principal) error {
	if !p.IsPortal() {
		return Forbidden("requests are opened by a client's contacts, in their portal")
	}
	return p.Writable()
}

// MayCommentOnRequest: both sides of a request talk on it — the staff who
// triage requests, and the client's contacts in their own portal.
func MayCommentOnRequest(p Principal) error {
	switch {
	case p.IsStaff():
		if !p.Can(PermissionRequestsManage) {
			return Forbidden("the %s permission is required", PermissionRequestsManage)
		}
		return nil
	case p.IsPortal():
		return p.Writable()
	}
	return Forbidden("not available")
}

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
