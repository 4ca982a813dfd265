package sqlstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"portalgraph/internal/portal"
)

// Client requests: what a client's contacts ask of the agency through the
// portal, instead of an email, and the comments both sides write on them.
//
// A request's last activity is what the client can see change: it moves
// when the request is opened, its status changes or a comment the client
// can read is posted. Internal comments and a change of assignee (which
// the portal does not show) leave it alone, so neither the value nor the
// order of the lists tells a contact that staff did anything.
//
// Mail goes through the outbox in the transaction of the change: the
// client's owner hears of a new request, the request's assignee (or else
// the owner) of a contact's comment, and the contact who opened it of
// staff replies and status changes, while their portal still shows it.

// requestOrder lists requests newest activity first: what changed last
// comes first, so the triage queue and the portal show what needs reading,
// and a request a contact just commented on rises to the top. Equal times
// fall back on the ID, newest first. A request that changes while someone
// pages moves, as in any list ordered by activity.
func requestOrder() order[portal.ClientRequest] {
	return order[portal.ClientRequest]{expr: "a.last_activity_at", kind: keyInstant, desc: true, key: func(r *portal.ClientRequest) any {
		return r.LastActivityAt.UTC().Format(time.RFC3339Nano)
	}}
}

// requestFilter is the filter of the request lists. Who works on a request
// is for staff only: filtering by it would tell a contact.
func requestFilter(p portal.Principal, f portal.ClientRequestFilter) (func(*conds), error) {
	if f.AssigneeID != nil && !p.IsStaff() {
		return nil, portal.Forbidden("filtering requests by assignee is for staff")
	}
	return func(c *conds) {
		if f.ClientID != nil {
			c.next().sql("a.client_id = ").arg(*f.ClientID)
		}
		if len(f.Status) > 0 {
			c.next().sql("a.status IN (").sql(placeholders(c.q, f.Status)).sql(")")
		}
		if f.AssigneeID != nil {
			c.next().sql("a.assignee_id = ").arg(*f.AssigneeID)
		}
	}, nil
}

// Requests lists the requests the principal may see: for staff, the
// workspace's triage queue; for a contact, their client's requests.
func (s *Store) Requests(ctx context.Context, p portal.Principal, f portal.ClientRequestFilter, page portal.PageArgs) (*portal.ClientRequestConnection, error) {
	filter, err := requestFilter(p, f)
	if err != nil {
		return nil, err
	}
	return fetchPage(ctx, s, list[portal.ClientRequest]{
		table: s.t.requests, rules: scope{p}.requests(), order: requestOrder(), id: requestID, page: page, filter: filter,
	})
}

// RequestsOfClients lists each client's requests, newest activity first.
func (s *Store) RequestsOfClients(ctx context.Context, p portal.Principal, clientIDs []string, f portal.ClientRequestFilter, page portal.PageArgs) (map[string]*portal.ClientRequestConnection, error) {
	filter, err := requestFilter(p, f)
	if err != nil {
		return nil, err
	}
	return fetchPages(ctx, s, list[portal.ClientRequest]{
		table: s.t.requests, rules: scope{p}.requests(), order: requestOrder(), id: requestID, page: page, filter: filter,
		parentColumn: "client_id", parentIDs: clientIDs, parentOf: func(r *portal.ClientRequest) string { return r.ClientID },
	})
}

// CommentsOfRequests lists each request's comments, oldest first, as a
// conversation reads; a contact's lists and counts leave internal ones out.
func (s *Store) CommentsOfRequests(ctx context.Context, p portal.Principal, requestIDs []string, page portal.PageArgs) (map[string]*portal.RequestCommentConnection, error) {
	return fetchPages(ctx, s, list[portal.RequestComment]{
		table: s.t.comments, rules: scope{p}.comments(), order: byCreation[portal.RequestComment](false), id: commentID, page: page,
		parentColumn: "request_id", parentIDs: requestIDs, parentOf: func(c *portal.RequestComment) string { return c.RequestID },
	})
}

// AttachmentsOfRequests returns each request's files that the principal
// may see, oldest first.
func (s *Store) AttachmentsOfRequests(ctx context.Context, p portal.Principal, requestIDs []string) (map[string][]*portal.File, error) {
	t := s.t.files.narrow(ctx, "a.request_id")
	q := &sqlBuf{}
	q.sql("SELECT " + t.selectList("a") + " FROM files a")
	w := q.where()
	s.dialect.inList(w.next(), "a.request_id", requestIDs)
	scope{p}.files().write(w, "a")
	q.sql(" ORDER BY a.request_id, a.id")
	out := map[string][]*portal.File{}
	err := selectRecords(ctx, s.reads, t, q, nil, func(f *portal.File) {
		out[*f.RequestID] = append(out[*f.RequestID], f)
	})
	return out, err
}

// OpenRequest opens a request for the contact's own client, optionally
// about one of the projects their portal shows them.
func (s *Store) OpenRequest(ctx context.Context, p portal.Principal, in portal.OpenRequestInput) (*portal.ClientRequest, error) {
	if err := p.Require(portal.PermissionRequestsCreate); err != nil {
		return nil, err
	}
	title, body := strings.TrimSpace(in.Title), strings.TrimSpace(in.Body)
	if err := notBlank("input.title", title); err != nil {
		return nil, err
	}
	if err := notBlank("input.body", body); err != nil {
		return nil, err
	}
	var r *portal.ClientRequest
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		client, err := s.clientTakingRequests(ctx, tx, p)
		if err != nil {
			return err
		}
		now := s.now()
		r = &portal.ClientRequest{
			WorkspaceID: p.WorkspaceID, ID: portal.NewID(portal.PrefixRequest, now), ClientID: client.ID,
			Title: title, Body: body, Status: portal.ClientRequestStatusOpen, OpenedByID: ptr(p.ContactID),
			CreatedAt: now, LastActivityAt: now,
		}
		var project *portal.Project
		if in.ProjectID != nil {
			// A project the contact cannot see is answered like one that
			// does not exist.
			if project, err = lockVisible(ctx, s, tx, s.t.projects, scope{p}.projects(), p, *in.ProjectID); err != nil {
				if portal.ErrorCode(err) == portal.CodeNotFound {
					return portal.InvalidField("input.projectId", fmt.Sprintf("no record with id %q", *in.ProjectID))
				}
				return err
			}
			r.ProjectID = &project.ID
		}
		if err := insert(ctx, tx, s.t.requests, r); err != nil {
			return err
		}
		if err := s.record(ctx, tx, p, activity{
			action: portal.ActivityActionRequestOpened, recordType: portal.RecordTypeRequest, recordID: r.ID, clientID: &r.ClientID,
			summary: "Opened request " + r.Title,
		}); err != nil {
			return err
		}
		return s.tellOwnerOfNewRequest(ctx, tx, p, client, project, r)
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// UpdateRequest triages a request: its status and who works on it. An
// empty assigneeId unassigns it.
func (s *Store) UpdateRequest(ctx context.Context, p portal.Principal, in portal.UpdateRequestInput) (*portal.ClientRequest, error) {
	if err := p.Require(portal.PermissionRequestsUpdate); err != nil {
		return nil, err
	}
	var r *portal.ClientRequest
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		if r, err = lockForUpdate(ctx, s, tx, s.t.requests, p, in.ID); err != nil {
			return err
		}
		was := r.Status
		var ch changes
		set(&ch, "status", &r.Status, in.Status)
		if in.AssigneeID != nil {
			switch next := strings.TrimSpace(*in.AssigneeID); {
			case next == "":
				if r.AssigneeID != nil {
					r.AssigneeID = nil
					ch.add("assigneeId")
				}
			case r.AssigneeID == nil || *r.AssigneeID != next:
				if err := s.checkUser(ctx, tx, p, next, "input.assigneeId"); err != nil {
					return err
				}
				r.AssigneeID = &next
				ch.add("assigneeId")
			}
		}
		if ch.none() {
			return nil
		}
		// Who works on a request is not shown to the client: only a new
		// status is activity the portal sees.
		statusChanged := r.Status != was
		if statusChanged {
			r.LastActivityAt = s.now()
		}
		if err := update(ctx, tx, s.t.requests, p.WorkspaceID, r.ID, r); err != nil {
			return err
		}
		if err := s.record(ctx, tx, p, activity{
			action: portal.ActivityActionUpdated, recordType: portal.RecordTypeRequest, recordID: r.ID, clientID: &r.ClientID,
			summary: "Updated request " + r.Title, changed: ch,
		}); err != nil {
			return err
		}
		if !statusChanged {
			return nil
		}
		opener, err := s.openerToTell(ctx, tx, r)
		if err != nil || opener == nil {
			return err
		}
		phrase := statusPhrase(r.Status)
		return s.enqueue(ctx, tx, p, "REQUEST_STATUS_CHANGED", opener.Email, "Your request "+phrase+": "+r.Title,
			fmt.Sprintf("Hello %s,\n\nYour request %q %s.\nOpen your client portal to see it and comment.\n", opener.Name, r.Title, phrase))
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// CommentOnRequest posts a comment on a request: by staff, internal (for
// staff only) or not, or by one of the client's contacts. See
// portal.ClientRequestStatus.AfterComment for what a comment on a closed
// request does.
func (s *Store) CommentOnRequest(ctx context.Context, p portal.Principal, in portal.CommentOnRequestInput) (*portal.RequestComment, error) {
	if err := p.Require(portal.PermissionCommentsCreate); err != nil {
		return nil, err
	}
	internal := in.Internal != nil && *in.Internal
	if internal && !p.IsStaff() {
		return nil, portal.Forbidden("only staff write internal comments")
	}
	body := strings.TrimSpace(in.Body)
	if err := notBlank("input.body", body); err != nil {
		return nil, err
	}
	var c *portal.RequestComment
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		// Under the principal's scope: a contact comments only on what
		// their portal shows them.
		r, err := lockVisible(ctx, s, tx, s.t.requests, scope{p}.requests(), p, in.RequestID)
		if err != nil {
			return err
		}
		now := s.now()
		c = &portal.RequestComment{
			WorkspaceID: p.WorkspaceID, ID: portal.NewID(portal.PrefixComment, now), RequestID: r.ID, ClientID: r.ClientID,
			Body: body, Internal: internal, CreatedAt: now,
		}
		summary := "Commented on request " + r.Title
		if p.IsStaff() {
			c.AuthorUserID = ptr(p.UserID)
			if internal {
				summary = "Added an internal comment to request " + r.Title
			}
		} else {
			c.AuthorContactID = ptr(p.ContactID)
		}
		if err := insert(ctx, tx, s.t.comments, c); err != nil {
			return err
		}
		if err := s.record(ctx, tx, p, activity{
			action: portal.ActivityActionCommented, recordType: portal.RecordTypeRequest, recordID: r.ID, clientID: &r.ClientID, summary: summary,
			detailID: c.ID,
		}); err != nil {
			return err
		}
		if internal {
			// Staff talking among themselves: the request, and so what the
			// portal shows of it, does not change, and no contact is told.
			return nil
		}
		was := r.Status
		r.Status, r.LastActivityAt = r.Status.AfterComment(p.IsPortal()), now
		if err := update(ctx, tx, s.t.requests, p.WorkspaceID, r.ID, r); err != nil {
			return err
		}
		if r.Status != was {
			if err := s.record(ctx, tx, p, activity{
				action: portal.ActivityActionUpdated, recordType: portal.RecordTypeRequest, recordID: r.ID, clientID: &r.ClientID,
				summary: "Reopened request " + r.Title + " by commenting", changed: changes{"status"},
			}); err != nil {
				return err
			}
		}
		if p.IsPortal() {
			return s.tellStaffOfComment(ctx, tx, p, r, was, body)
		}
		opener, err := s.openerToTell(ctx, tx, r)
		if err != nil || opener == nil {
			return err
		}
		// The mail names no one and quotes nothing: the conversation stays
		// in the portal, where the contact reads it as it is shown to them.
		return s.enqueue(ctx, tx, p, "REQUEST_REPLIED", opener.Email, "New reply to your request: "+r.Title,
			fmt.Sprintf("Hello %s,\n\nThere is a new reply to your request %q.\nOpen your client portal to read it and answer.\n", opener.Name, r.Title))
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// clientTakingRequests reads the contact's client as their portal shows
// it, for a new request: the portal must be open to them and show
// requests. The row is locked, so the section cannot be hidden meanwhile.
func (s *Store) clientTakingRequests(ctx context.Context, tx *sqlx.Tx, p portal.Principal) (*portal.Client, error) {
	c, err := lockVisible(ctx, s, tx, s.t.clients, scope{p}.clients(), p, p.ClientID)
	if portal.ErrorCode(err) == portal.CodeNotFound {
		return nil, portal.Forbidden("portal access for this account is not active")
	}
	if err != nil {
		return nil, err
	}
	if !c.PortalRequests {
		return nil, portal.Forbidden("this portal does not take requests")
	}
	return c, nil
}

// tellOwnerOfNewRequest mails the client's owner, the staff member who
// looks after the client, about a new request.
func (s *Store) tellOwnerOfNewRequest(ctx context.Context, tx *sqlx.Tx, p portal.Principal, client *portal.Client, project *portal.Project, r *portal.ClientRequest) error {
	if client.OwnerID == nil {
		return nil
	}
	owner, err := readRecord(ctx, tx, s.t.users, p.WorkspaceID, *client.OwnerID)
	if err != nil {
		return err
	}
	opener, err := readRecord(ctx, tx, s.t.contacts, p.WorkspaceID, p.ContactID)
	if err != nil {
		return err
	}
	about := ""
	if project != nil {
		about = fmt.Sprintf(" It is about the project %s.", project.Name)
	}
	return s.enqueue(ctx, tx, p, "REQUEST_OPENED", owner.Email, "New request from "+client.Name+": "+r.Title,
		fmt.Sprintf("Hello %s,\n\n%s of %s opened a request: %q.%s\n\n%s\n\nAssign it and set its status as you triage it.\n",
			owner.Name, opener.Name, client.Name, r.Title, about, r.Body))
}

// tellStaffOfComment mails a contact's comment to whoever works on the
// request: its assignee, or else the client's owner.
func (s *Store) tellStaffOfComment(ctx context.Context, tx *sqlx.Tx, p portal.Principal, r *portal.ClientRequest, was portal.ClientRequestStatus, body string) error {
	client, err := readRecord(ctx, tx, s.t.clients, p.WorkspaceID, r.ClientID)
	if err != nil {
		return err
	}
	to := r.AssigneeID
	if to == nil {
		to = client.OwnerID
	}
	if to == nil {
		return nil
	}
	staff, err := readRecord(ctx, tx, s.t.users, p.WorkspaceID, *to)
	if err != nil {
		return err
	}
	author, err := readRecord(ctx, tx, s.t.contacts, p.WorkspaceID, p.ContactID)
	if err != nil {
		return err
	}
	reopened := ""
	if r.Status != was {
		reopened = fmt.Sprintf(" The request was %s; the comment reopened it.", strings.ToLower(string(was)))
	}
	return s.enqueue(ctx, tx, p, "REQUEST_COMMENTED", staff.Email, "New comment from "+client.Name+": "+r.Title,
		fmt.Sprintf("Hello %s,\n\n%s of %s commented on the request %q.%s\n\n%s\n", staff.Name, author.Name, client.Name, r.Title, reopened, body))
}

// openerToTell returns the contact who opened a request if their portal
// still shows it to them — access active, portal on, requests shown — by
// the same rules that scope their reads; nil otherwise. Mail would
// otherwise tell them about what they can no longer see.
func (s *Store) openerToTell(ctx context.Context, tx *sqlx.Tx, r *portal.ClientRequest) (*portal.Contact, error) {
	if r.OpenedByID == nil {
		return nil, nil
	}
	c, err := readRecord(ctx, tx, s.t.contacts, r.WorkspaceID, *r.OpenedByID)
	if err != nil {
		return nil, err
	}
	sc := scope{portal.Principal{Audience: portal.AudiencePortal, WorkspaceID: c.WorkspaceID, ContactID: c.ID, ClientID: c.ClientID}}
	q := &sqlBuf{}
	q.sql("SELECT COUNT(*) FROM client_requests a")
	w := q.where()
	w.next().sql("a.id = ").arg(r.ID)
	sc.requests().write(w, "a")
	var n int
	if err := tx.GetContext(ctx, &n, tx.Rebind(q.String()), q.args...); err != nil {
		return nil, fmt.Errorf("check the opener's portal: %w", err)
	}
	if n == 0 {
		return nil, nil
	}
	return c, nil
}

// statusPhrase says what became of a request, for its opener.
func statusPhrase(s portal.ClientRequestStatus) string {
	switch s {
	case portal.ClientRequestStatusInProgress:
		return "is in progress"
	case portal.ClientRequestStatusDone:
		return "is done"
	case portal.ClientRequestStatusDeclined:
		return "was declined"
	}
	return "is open again"
}

// notBlank checks required text the schema also checks, so the store is
// safe for callers other than the API.
func notBlank(field, text string) error {
	if text == "" {
		return portal.InvalidField(field, "must not be blank")
	}
	return nil
}

func requestID(r *portal.ClientRequest) string  { return r.ID }
func commentID(r *portal.RequestComment) string { return r.ID }
