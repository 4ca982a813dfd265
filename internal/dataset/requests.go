package dataset

import "portalgraph/internal/portal"

// Request adds a request a contact opened for their client, about project
// p when not nil.
func (b *Builder) Request(opener *portal.Contact, p *portal.Project, title, body string, status portal.ClientRequestStatus) *portal.ClientRequest {
	id, at := b.next(portal.PrefixRequest)
	r := &portal.ClientRequest{
		WorkspaceID: opener.WorkspaceID, ID: id, ClientID: opener.ClientID, Title: title, Body: body,
		Status: status, OpenedByID: &opener.ID, CreatedAt: at, LastActivityAt: at,
	}
	if p != nil {
		r.ProjectID = &p.ID
	}
	b.Data.Requests = append(b.Data.Requests, r)
	return r
}

// Assign gives a request to a staff member.
func (b *Builder) Assign(r *portal.ClientRequest, u *portal.User) {
	r.AssigneeID = &u.ID
}

// Comment adds a comment by a staff member or, when user is nil, by a
// contact. Like the store, only a comment the client sees moves the
// request's last activity.
func (b *Builder) Comment(r *portal.ClientRequest, user *portal.User, contact *portal.Contact, body string, internal bool) *portal.RequestComment {
	id, at := b.next(portal.PrefixComment)
	c := &portal.RequestComment{
		WorkspaceID: r.WorkspaceID, ID: id, RequestID: r.ID, ClientID: r.ClientID, Body: body, Internal: internal, CreatedAt: at,
	}
	if user != nil {
		c.AuthorUserID = &user.ID
	} else {
		c.AuthorContactID = &contact.ID
	}
	if !internal {
		r.LastActivityAt = at
	}
	b.Data.Comments = append(b.Data.Comments, c)
	return c
}
