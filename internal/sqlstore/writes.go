package sqlstore

import (
	"context"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"

	"portalgraph/internal/portal"
)

// Every write asks the principal's permission (portal.Principal.Require; the
// API asks it too, the store must be safe on its own), reads what it changes in the same
// transaction, and records its activity event before committing.

func (s *Store) CreateClient(ctx context.Context, p portal.Principal, in portal.CreateClientInput) (*portal.Client, error) {
	if err := p.Require(portal.PermissionClientsCreate); err != nil {
		return nil, err
	}
	if err := checkClientStatus(in.Status); err != nil {
		return nil, err
	}
	now := s.now()
	c := &portal.Client{
		WorkspaceID: p.WorkspaceID, ID: portal.NewID(portal.PrefixClient, now),
		Name: strings.TrimSpace(in.Name), Status: portal.ClientStatusLead,
		CreatedAt: now, UpdatedAt: now,
	}
	c.SetPortalSettings(portal.DefaultPortalSettings())
	if in.Status != nil {
		c.Status = *in.Status
	}
	var ch changes
	setOpt(&ch, "organization", &c.Organization, in.Organization)
	setOpt(&ch, "email", &c.Email, lowerEmail(in.Email))
	setOpt(&ch, "phone", &c.Phone, in.Phone)
	setOpt(&ch, "website", &c.Website, in.Website)
	setOpt(&ch, "internalNotes", &c.InternalNotes, in.InternalNotes)
	setAddress(&ch, c, in.Address)
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if in.OwnerID != nil {
			if err := s.checkUser(ctx, tx, p, *in.OwnerID, "input.ownerId"); err != nil {
				return err
			}
			c.OwnerID = in.OwnerID
		}
		if err := insert(ctx, tx, s.t.clients, c); err != nil {
			return err
		}
		return s.record(ctx, tx, p, activity{
			action: portal.ActivityActionCreated, recordType: portal.RecordTypeClient, recordID: c.ID, clientID: &c.ID,
			summary: "Created client " + c.Name,
		})
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

func (s *Store) UpdateClient(ctx context.Context, p portal.Principal, in portal.UpdateClientInput) (*portal.Client, error) {
	if err := p.Require(portal.PermissionClientsUpdate); err != nil {
		return nil, err
	}
	if err := checkClientStatus(in.Status); err != nil {
		return nil, err
	}
	var c *portal.Client
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		if c, err = lockForUpdate(ctx, s, tx, s.t.clients, p, in.ID); err != nil {
			return err
		}
		var ch changes
		setTrimmed(&ch, "name", &c.Name, in.Name)
		setOpt(&ch, "organization", &c.Organization, in.Organization)
		setOpt(&ch, "email", &c.Email, lowerEmail(in.Email))
		setOpt(&ch, "phone", &c.Phone, in.Phone)
		setOpt(&ch, "website", &c.Website, in.Website)
		setOpt(&ch, "internalNotes", &c.InternalNotes, in.InternalNotes)
		setAddress(&ch, c, in.Address)
		if in.Status != nil && *in.Status != c.Status {
			ch.add("status")
			c.Status = *in.Status
			c.ArchivedAt = nil // a status other than ARCHIVED restores an archived client
		}
		if in.OwnerID != nil && (c.OwnerID == nil || *c.OwnerID != *in.OwnerID) {
			if err := s.checkUser(ctx, tx, p, *in.OwnerID, "input.ownerId"); err != nil {
				return err
			}
			ch.add("ownerId")
			c.OwnerID = in.OwnerID
		}
		if ch.none() {
			return nil
		}
		c.UpdatedAt = s.now()
		if err := update(ctx, tx, s.t.clients, p.WorkspaceID, c.ID, c); err != nil {
			return err
		}
		return s.record(ctx, tx, p, activity{
			action: portal.ActivityActionUpdated, recordType: portal.RecordTypeClient, recordID: c.ID, clientID: &c.ID,
			summary: "Updated client " + c.Name, changed: ch,
		})
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// checkClientStatus refuses ARCHIVED as a status to set: only
// ArchiveClient archives, because it also stamps archivedAt, which is what
// closes the portal. A status set any other way would leave it open.
func checkClientStatus(status *portal.ClientStatus) error {
	if status != nil && *status == portal.ClientStatusArchived {
		return portal.InvalidField("input.status", "archive a client with archiveClient")
	}
	return nil
}

// ArchiveClient archives a client, which also closes its portal. Archiving
// an archived client changes nothing.
func (s *Store) ArchiveClient(ctx context.Context, p portal.Principal, id string) (*portal.Client, error) {
	if err := p.Require(portal.PermissionClientsDelete); err != nil {
		return nil, err
	}
	var c *portal.Client
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		if c, err = lockForUpdate(ctx, s, tx, s.t.clients, p, id); err != nil {
			return err
		}
		if c.Status == portal.ClientStatusArchived {
			return nil
		}
		now := s.now()
		// An archived client has no portal; restoring the client does not
		// reopen it.
		c.Status, c.ArchivedAt, c.UpdatedAt, c.PortalEnabled = portal.ClientStatusArchived, &now, now, false
		if err := update(ctx, tx, s.t.clients, p.WorkspaceID, c.ID, c); err != nil {
			return err
		}
		return s.record(ctx, tx, p, activity{
			action: portal.ActivityActionArchived, recordType: portal.RecordTypeClient, recordID: c.ID, clientID: &c.ID,
			summary: "Archived client " + c.Name,
		})
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

func (s *Store) CreateContact(ctx context.Context, p portal.Principal, in portal.CreateContactInput) (*portal.Contact, error) {
	if err := p.Require(portal.PermissionContactsCreate); err != nil {
		return nil, err
	}
	now := s.now()
	c := &portal.Contact{
		WorkspaceID: p.WorkspaceID, ID: portal.NewID(portal.PrefixContact, now), ClientID: in.ClientID,
		Name: strings.TrimSpace(in.Name), Email: normalizeEmail(in.Email), PortalStatus: portal.PortalStatusNone,
		CreatedAt: now, UpdatedAt: now,
	}
	var ch changes
	setOpt(&ch, "phone", &c.Phone, in.Phone)
	setOpt(&ch, "title", &c.Title, in.Title)
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := s.checkExists(ctx, tx, "clients", p, in.ClientID, "input.clientId"); err != nil {
			return err
		}
		if err := s.uniqueField(insert(ctx, tx, s.t.contacts, c), "input.email", "another contact already uses this email"); err != nil {
			return err
		}
		return s.record(ctx, tx, p, activity{
			action: portal.ActivityActionCreated, recordType: portal.RecordTypeContact, recordID: c.ID, clientID: &c.ClientID,
			summary: "Added contact " + c.Name,
		})
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

func (s *Store) UpdateContact(ctx context.Context, p portal.Principal, in portal.UpdateContactInput) (*portal.Contact, error) {
	if err := p.Require(portal.PermissionContactsUpdate); err != nil {
		return nil, err
	}
	var c *portal.Contact
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		if c, err = lockForUpdate(ctx, s, tx, s.t.contacts, p, in.ID); err != nil {
			return err
		}
		var ch changes
		setTrimmed(&ch, "name", &c.Name, in.Name)
		if in.Email != nil {
			setTrimmed(&ch, "email", &c.Email, ptr(normalizeEmail(*in.Email)))
		}
		setOpt(&ch, "phone", &c.Phone, in.Phone)
		setOpt(&ch, "title", &c.Title, in.Title)
		if ch.none() {
			return nil
		}
		c.UpdatedAt = s.now()
		if err := s.uniqueField(update(ctx, tx, s.t.contacts, p.WorkspaceID, c.ID, c), "input.email", "another contact already uses this email"); err != nil {
			return err
		}
		return s.record(ctx, tx, p, activity{
			action: portal.ActivityActionUpdated, recordType: portal.RecordTypeContact, recordID: c.ID, clientID: &c.ClientID,
			summary: "Updated contact " + c.Name, changed: ch,
		})
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

func (s *Store) CreateProject(ctx context.Context, p portal.Principal, in portal.CreateProjectInput) (*portal.Project, error) {
	if err := p.Require(portal.PermissionProjectsCreate); err != nil {
		return nil, err
	}
	if in.BudgetCents != nil {
		if err := p.Require(portal.PermissionBudgetsRead); err != nil {
			return nil, err
		}
	}
	now := s.now()
	pr := &portal.Project{
		WorkspaceID: p.WorkspaceID, ID: portal.NewID(portal.PrefixProject, now), ClientID: in.ClientID,
		Name: strings.TrimSpace(in.Name), Status: portal.ProjectStatusPlanned, Visibility: portal.VisibilityInternal,
		StartsOn: in.StartsOn, DueOn: in.DueOn, BudgetCents: in.BudgetCents, CreatedAt: now, UpdatedAt: now,
	}
	if in.Status != nil {
		pr.Status = *in.Status
	}
	if in.Visibility != nil {
		pr.Visibility = *in.Visibility
	}
	var ch changes
	setOpt(&ch, "description", &pr.Description, in.Description)
	setOpt(&ch, "internalNotes", &pr.InternalNotes, in.InternalNotes)
	if err := pr.Check(); err != nil {
		return nil, err
	}
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := s.checkExists(ctx, tx, "clients", p, in.ClientID, "input.clientId"); err != nil {
			return err
		}
		if in.OwnerID != nil {
			if err := s.checkUser(ctx, tx, p, *in.OwnerID, "input.ownerId"); err != nil {
				return err
			}
			pr.OwnerID = in.OwnerID
		}
		if err := insert(ctx, tx, s.t.projects, pr); err != nil {
			return err
		}
		return s.record(ctx, tx, p, activity{
			action: portal.ActivityActionCreated, recordType: portal.RecordTypeProject, recordID: pr.ID, clientID: &pr.ClientID,
			summary: "Created project " + pr.Name,
		})
	})
	if err != nil {
		return nil, err
	}
	return pr, nil
}

func (s *Store) UpdateProject(ctx context.Context, p portal.Principal, in portal.UpdateProjectInput) (*portal.Project, error) {
	if err := p.Require(portal.PermissionProjectsUpdate); err != nil {
		return nil, err
	}
	if in.BudgetCents != nil {
		if err := p.Require(portal.PermissionBudgetsRead); err != nil {
			return nil, err
		}
	}
	var pr *portal.Project
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if in.Visibility != nil {
			// What the project's records are shown as changes with it.
			if err := s.lockRows(ctx, tx, "approvals", p.WorkspaceID, "project_id", in.ID); err != nil {
				return err
			}
			if err := s.lockRows(ctx, tx, "deliverables", p.WorkspaceID, "project_id", in.ID); err != nil {
				return err
			}
		}
		var err error
		if pr, err = lockForUpdate(ctx, s, tx, s.t.projects, p, in.ID); err != nil {
			return err
		}
		var ch changes
		setTrimmed(&ch, "name", &pr.Name, in.Name)
		setOpt(&ch, "description", &pr.Description, in.Description)
		setOpt(&ch, "internalNotes", &pr.InternalNotes, in.InternalNotes)
		set(&ch, "status", &pr.Status, in.Status)
		set(&ch, "visibility", &pr.Visibility, in.Visibility)
		setPtr(&ch, "startsOn", &pr.StartsOn, in.StartsOn)
		setPtr(&ch, "dueOn", &pr.DueOn, in.DueOn)
		setPtr(&ch, "budgetCents", &pr.BudgetCents, in.BudgetCents)
		if in.OwnerID != nil && (pr.OwnerID == nil || *pr.OwnerID != *in.OwnerID) {
			if err := s.checkUser(ctx, tx, p, *in.OwnerID, "input.ownerId"); err != nil {
				return err
			}
			ch.add("ownerId")
			pr.OwnerID = in.OwnerID
		}
		if err := pr.Check(); err != nil {
			return err
		}
		if ch.none() {
			return nil
		}
		pr.UpdatedAt = s.now()
		if err := update(ctx, tx, s.t.projects, p.WorkspaceID, pr.ID, pr); err != nil {
			return err
		}
		if in.Visibility != nil {
			if err := refreshShownUnder(ctx, tx, p.WorkspaceID, "project_id", "project_id", pr.ID); err != nil {
				return err
			}
		}
		return s.record(ctx, tx, p, activity{
			action: portal.ActivityActionUpdated, recordType: portal.RecordTypeProject, recordID: pr.ID, clientID: &pr.ClientID,
			summary: "Updated project " + pr.Name, changed: ch,
		})
	})
	if err != nil {
		return nil, err
	}
	return pr, nil
}

func (s *Store) CreateDeliverable(ctx context.Context, p portal.Principal, in portal.CreateDeliverableInput) (*portal.Deliverable, error) {
	if err := p.Require(portal.PermissionDeliverablesCreate); err != nil {
		return nil, err
	}
	now := s.now()
	d := &portal.Deliverable{
		WorkspaceID: p.WorkspaceID, ID: portal.NewID(portal.PrefixDeliverable, now), ProjectID: in.ProjectID,
		Title: strings.TrimSpace(in.Title), Status: portal.DeliverableStatusNotStarted, Visibility: portal.VisibilityInternal,
		DueOn: in.DueOn, CreatedAt: now, UpdatedAt: now,
	}
	if in.Status != nil {
		d.Status = *in.Status
	}
	if in.Visibility != nil {
		d.Visibility = *in.Visibility
	}
	var ch changes
	setOpt(&ch, "description", &d.Description, in.Description)
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		clientID, err := s.projectClient(ctx, tx, p, in.ProjectID, "input.projectId")
		if err != nil {
			return err
		}
		if err := insert(ctx, tx, s.t.deliverables, d); err != nil {
			return err
		}
		if err := refreshDeliverablesShown(ctx, tx, p.WorkspaceID, "id = ?", d.ID); err != nil {
			return err
		}
		return s.record(ctx, tx, p, activity{
			action: portal.ActivityActionCreated, recordType: portal.RecordTypeDeliverable, recordID: d.ID, clientID: &clientID,
			summary: "Created deliverable " + d.Title,
		})
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

func (s *Store) UpdateDeliverable(ctx context.Context, p portal.Principal, in portal.UpdateDeliverableInput) (*portal.Deliverable, error) {
	if err := p.Require(portal.PermissionDeliverablesUpdate); err != nil {
		return nil, err
	}
	var d *portal.Deliverable
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if in.Visibility != nil {
			// What the deliverable's approvals are shown as changes with it.
			if err := s.lockRows(ctx, tx, "approvals", p.WorkspaceID, "deliverable_id", in.ID); err != nil {
				return err
			}
		}
		var err error
		if d, err = lockForUpdate(ctx, s, tx, s.t.deliverables, p, in.ID); err != nil {
			return err
		}
		var ch changes
		setTrimmed(&ch, "title", &d.Title, in.Title)
		setOpt(&ch, "description", &d.Description, in.Description)
		set(&ch, "status", &d.Status, in.Status)
		set(&ch, "visibility", &d.Visibility, in.Visibility)
		setPtr(&ch, "dueOn", &d.DueOn, in.DueOn)
		if ch.none() {
			return nil
		}
		d.UpdatedAt = s.now()
		clientID, err := s.projectClient(ctx, tx, p, d.ProjectID, "input.id")
		if err != nil {
			return err
		}
		if err := update(ctx, tx, s.t.deliverables, p.WorkspaceID, d.ID, d); err != nil {
			return err
		}
		if in.Visibility != nil {
			if err := refreshShownUnder(ctx, tx, p.WorkspaceID, "id", "deliverable_id", d.ID); err != nil {
				return err
			}
		}
		return s.record(ctx, tx, p, activity{
			action: portal.ActivityActionUpdated, recordType: portal.RecordTypeDeliverable, recordID: d.ID, clientID: &clientID,
			summary: "Updated deliverable " + d.Title, changed: ch,
		})
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// AddNote adds an internal note to a client or a project.
func (s *Store) AddNote(ctx context.Context, p portal.Principal, in portal.AddNoteInput) (*portal.Note, error) {
	if err := p.Require(portal.PermissionNotesCreate); err != nil {
		return nil, err
	}
	now := s.now()
	n := &portal.Note{
		WorkspaceID: p.WorkspaceID, ID: portal.NewID(portal.PrefixNote, now), Body: strings.TrimSpace(in.Body),
		AuthorID: ptr(p.UserID), CreatedAt: now,
	}
	ev := activity{action: portal.ActivityActionNoteAdded, recordID: in.SubjectID}
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		switch portal.IDPrefix(in.SubjectID) {
		case portal.PrefixClient:
			if err := s.checkExists(ctx, tx, "clients", p, in.SubjectID, "input.subjectId"); err != nil {
				return err
			}
			n.ClientID = in.SubjectID
			ev.recordType, ev.summary = portal.RecordTypeClient, "Added a note to the client"
		case portal.PrefixProject:
			clientID, err := s.projectClient(ctx, tx, p, in.SubjectID, "input.subjectId")
			if err != nil {
				return err
			}
			n.ClientID, n.ProjectID = clientID, ptr(in.SubjectID)
			ev.recordType, ev.summary = portal.RecordTypeProject, "Added a note to the project"
		default:
			return portal.InvalidField("input.subjectId", "must be the ID of a client or a project")
		}
		if err := insert(ctx, tx, s.t.notes, n); err != nil {
			return err
		}
		ev.clientID = &n.ClientID
		return s.record(ctx, tx, p, ev)
	})
	if err != nil {
		return nil, err
	}
	return n, nil
}

// lockForUpdate reads one record of the principal's workspace for a change.
func lockForUpdate[T any](ctx context.Context, s *Store, tx *sqlx.Tx, t table[T], p portal.Principal, id string) (*T, error) {
	return oneRecord(ctx, tx, t, inWorkspace(p.WorkspaceID), id, s.dialect.forUpdate())
}

// lockVisible reads one record for a change, under the principal's
// visibility rules: what the principal may not see is NOT_FOUND.
func lockVisible[T any](ctx context.Context, s *Store, tx *sqlx.Tx, t table[T], rs ruleSet, p portal.Principal, id string) (*T, error) {
	return oneRecord(ctx, tx, t, rs, id, s.dialect.forUpdate())
}

// readRecord reads one record of a workspace by ID, without a lock: the
// recipients and names of mail, the project of a deliverable.
func readRecord[T any](ctx context.Context, tx *sqlx.Tx, t table[T], workspaceID, id string) (*T, error) {
	return oneRecord(ctx, tx, t, inWorkspace(workspaceID), id, "")
}

// oneRecord reads the record with id that the rules allow, with lock
// ("" or the dialect's FOR UPDATE); NOT_FOUND when there is none.
func oneRecord[T any](ctx context.Context, tx *sqlx.Tx, t table[T], rs ruleSet, id, lock string) (*T, error) {
	q := &sqlBuf{}
	q.sql("SELECT " + t.selectList("a") + " FROM " + t.name + " a")
	w := q.where()
	w.next().sql("a.id = ").arg(id)
	if t.live != "" {
		w.next().sql("a." + t.live + " IS NULL")
	}
	rs.write(w, "a")
	q.sql(lock)
	var rec *T
	if err := selectRecords(ctx, tx, t, q, nil, func(r *T) { rec = r }); err != nil {
		return nil, err
	}
	if rec == nil {
		return nil, portal.NotFound(id)
	}
	return rec, nil
}

// checkExists verifies an ID an input refers to names a record of the
// principal's workspace; field names the input field for the error.
func (s *Store) checkExists(ctx context.Context, tx *sqlx.Tx, tableName string, p portal.Principal, id, field string) error {
	var n int
	stmt := "SELECT COUNT(*) FROM " + tableName + " WHERE workspace_id = ? AND id = ?"
	if live := liveColumns[tableName]; live != "" {
		stmt += " AND " + live + " IS NULL"
	}
	err := tx.GetContext(ctx, &n, tx.Rebind(stmt), p.WorkspaceID, id)
	if err != nil {
		return fmt.Errorf("check %s: %w", tableName, err)
	}
	if n == 0 {
		return portal.InvalidField(field, fmt.Sprintf("no record with id %q", id))
	}
	return nil
}

func (s *Store) checkUser(ctx context.Context, tx *sqlx.Tx, p portal.Principal, id, field string) error {
	return s.checkExists(ctx, tx, "users", p, id, field)
}

// projectClient returns the client of a project of the workspace.
func (s *Store) projectClient(ctx context.Context, tx *sqlx.Tx, p portal.Principal, projectID, field string) (string, error) {
	var ids []string
	err := tx.SelectContext(ctx, &ids, tx.Rebind("SELECT client_id FROM projects WHERE workspace_id = ? AND id = ? AND deleted_at IS NULL"), p.WorkspaceID, projectID)
	if err != nil {
		return "", fmt.Errorf("read project: %w", err)
	}
	if len(ids) == 0 {
		return "", portal.InvalidField(field, fmt.Sprintf("no record with id %q", projectID))
	}
	return ids[0], nil
}

// uniqueField reports a write's unique violation as bad input on the field
// that must be unique.
func (s *Store) uniqueField(err error, field, message string) error {
	if err != nil && s.dialect.isUniqueViolation(err) {
		return portal.InvalidField(field, message)
	}
	return err
}

// changes collects the names of the fields a write changed.
type changes []string

func (c *changes) add(field string) { *c = append(*c, field) }
func (c changes) none() bool        { return len(c) == 0 }

// set applies an optional input value to a required field.
func set[T comparable](ch *changes, field string, dst *T, v *T) {
	if v != nil && *v != *dst {
		*dst = *v
		ch.add(field)
	}
}

// setTrimmed is set for required text, trimmed of surrounding space.
func setTrimmed(ch *changes, field string, dst *string, v *string) {
	if v != nil {
		set(ch, field, dst, ptr(strings.TrimSpace(*v)))
	}
}

// setOpt applies an optional input text to an optional field; an empty
// text clears it.
func setOpt(ch *changes, field string, dst **string, v *string) {
	if v == nil {
		return
	}
	var next *string
	if t := strings.TrimSpace(*v); t != "" {
		next = &t
	}
	if (next == nil) != (*dst == nil) || (next != nil && *next != **dst) {
		*dst = next
		ch.add(field)
	}
}

// setPtr applies an optional input value to an optional field.
func setPtr[T comparable](ch *changes, field string, dst **T, v *T) {
	if v != nil && (*dst == nil || **dst != *v) {
		*dst = ptr(*v)
		ch.add(field)
	}
}

func setAddress(ch *changes, c *portal.Client, a *portal.AddressInput) {
	if a == nil {
		return
	}
	before := len(*ch)
	var sub changes
	setOpt(&sub, "line1", &c.AddressLine1, a.Line1)
	setOpt(&sub, "line2", &c.AddressLine2, a.Line2)
	setOpt(&sub, "city", &c.City, a.City)
	setOpt(&sub, "region", &c.Region, a.Region)
	setOpt(&sub, "postalCode", &c.PostalCode, a.PostalCode)
	if a.Country != nil {
		setOpt(&sub, "country", &c.Country, ptr(strings.ToUpper(*a.Country)))
	}
	if len(sub) > 0 && len(*ch) == before {
		ch.add("address")
	}
}

func ptr[T any](v T) *T { return &v }

func normalizeEmail(e string) string { return strings.ToLower(strings.TrimSpace(e)) }

func lowerEmail(e *string) *string {
	if e == nil {
		return nil
	}
	return ptr(normalizeEmail(*e))
}
