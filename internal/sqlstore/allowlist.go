package sqlstore

import (
	"context"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"

	"portalgraph/internal/portal"
)

// Allow lists: the workspace's persisted operations, registered by staff
// with OPERATIONS_MANAGE, and the locks that hold a partner key
// (PARTNER_KEYS_MANAGE) or the workspace's portal (PORTAL_MANAGE) to them.
// The API looks an operation up by its hash on every request of a locked
// principal (PersistedDocument): one read by the table's unique key,
// nothing cached, so a change holds from the next request of every server.

// persistedOperations: staff of the workspace see its operations (the
// permission is checked by each method); nobody else does.
func (sc scope) persistedOperations() ruleSet {
	if sc.p.IsStaff() {
		return ruleSet{rules: []rule{sc.inWorkspace()}}
	}
	return nobody(sc.p.Audience)
}

// readEvents: staff whose role grants AUDIT_READ see the workspace's read
// events; nobody else does, exports included.
func (sc scope) readEvents() ruleSet {
	if sc.p.Can(portal.PermissionAuditRead) {
		return ruleSet{rules: []rule{sc.inWorkspace()}}
	}
	return nobody(sc.p.Audience)
}

// PersistedDocument returns the document a workspace registered under a
// hash; false when it registered none. It is not scoped by a principal:
// the API asks it for the principal of a request, before the request runs.
func (s *Store) PersistedDocument(ctx context.Context, workspaceID, hash string) (string, bool, error) {
	var doc string
	err := s.reads.QueryRowxContext(ctx, s.reads.Rebind("SELECT document FROM persisted_operations WHERE workspace_id = ? AND hash = ?"), workspaceID, hash).Scan(&doc)
	if errNoRows(err) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("read persisted operation: %w", err)
	}
	return doc, true, nil
}

// PersistedOperations lists the workspace's operations, newest first.
func (s *Store) PersistedOperations(ctx context.Context, p portal.Principal, page portal.PageArgs) (*portal.PersistedOperationConnection, error) {
	if err := p.Require(portal.PermissionOperationsManage); err != nil {
		return nil, err
	}
	return fetchPage(ctx, s, list[portal.PersistedOperation]{
		table: s.t.operations, rules: scope{p}.persistedOperations(), order: byCreation[portal.PersistedOperation](true), page: page,
		id: func(o *portal.PersistedOperation) string { return o.ID },
	})
}

// RegisterPersistedOperation adds a document to the workspace's allow list
// under its hash (portal.OperationHash), and records it. A document
// registered already is returned as it is: its hash is its identity.
func (s *Store) RegisterPersistedOperation(ctx context.Context, p portal.Principal, name, document string) (*portal.PersistedOperation, error) {
	if err := p.Require(portal.PermissionOperationsManage); err != nil {
		return nil, err
	}
	now := s.now()
	op := &portal.PersistedOperation{
		WorkspaceID: p.WorkspaceID, ID: portal.NewID(portal.PrefixOperation, now), Hash: portal.OperationHash(document),
		Name: strings.TrimSpace(name), Document: document, CreatedByID: ptr(p.UserID), CreatedAt: now,
	}
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var existing []*portal.PersistedOperation
		q := &sqlBuf{}
		q.sql("SELECT " + s.t.operations.selectList("a") + " FROM persisted_operations a WHERE a.workspace_id = ").arg(p.WorkspaceID).
			sql(" AND a.hash = ").arg(op.Hash).sql(s.dialect.forUpdate())
		if err := selectRecords(ctx, tx, s.t.operations, q, nil, func(o *portal.PersistedOperation) { existing = append(existing, o) }); err != nil {
			return err
		}
		if len(existing) > 0 {
			op = existing[0]
			return nil
		}
		if err := insert(ctx, tx, s.t.operations, op); err != nil {
			return err
		}
		return s.record(ctx, tx, p, activity{
			action: portal.ActivityActionCreated, recordType: portal.RecordTypePersistedOperation, recordID: op.ID,
			summary: fmt.Sprintf("Registered the persisted operation %s (%s)", op.Name, op.Hash[:12]),
		})
	})
	if err != nil {
		return nil, err
	}
	return op, nil
}

// UnregisterPersistedOperation removes an operation from the allow list by
// its hash, and records it; false when there was none.
func (s *Store) UnregisterPersistedOperation(ctx context.Context, p portal.Principal, hash string) (bool, error) {
	if err := p.Require(portal.PermissionOperationsManage); err != nil {
		return false, err
	}
	removed := false
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		q := &sqlBuf{}
		q.sql("DELETE FROM persisted_operations WHERE workspace_id = ").arg(p.WorkspaceID).sql(" AND hash = ").arg(hash).
			sql(" RETURNING id, name")
		var gone []struct {
			ID   string `db:"id"`
			Name string `db:"name"`
		}
		if err := tx.SelectContext(ctx, &gone, tx.Rebind(q.String()), q.args...); err != nil {
			return fmt.Errorf("unregister persisted operation: %w", err)
		}
		if len(gone) == 0 {
			return nil
		}
		removed = true
		return s.record(ctx, tx, p, activity{
			action: portal.ActivityActionArchived, recordType: portal.RecordTypePersistedOperation, recordID: gone[0].ID,
			summary: fmt.Sprintf("Unregistered the persisted operation %s", gone[0].Name),
		})
	})
	return removed, err
}

// SetPartnerKeyPersistedOnly locks a key to the allow list, or unlocks it,
// and records the change; setting what is set changes and records nothing.
func (s *Store) SetPartnerKeyPersistedOnly(ctx context.Context, p portal.Principal, id string, on bool) (*portal.PartnerKey, error) {
	if err := p.Require(portal.PermissionPartnerKeysManage); err != nil {
		return nil, err
	}
	var k *portal.PartnerKey
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		if k, err = lockVisible(ctx, s, tx, s.t.partnerKeys, scope{p}.partnerKeys(), p, id); err != nil {
			if portal.ErrorCode(err) == portal.CodeNotFound {
				return portal.InvalidField("input.id", fmt.Sprintf("no partner key with id %q", id))
			}
			return err
		}
		if k.PersistedOnly == on {
			return nil
		}
		k.PersistedOnly = on
		if err := update(ctx, tx, s.t.partnerKeys, p.WorkspaceID, k.ID, k); err != nil {
			return err
		}
		return s.record(ctx, tx, p, activity{
			action: portal.ActivityActionUpdated, recordType: portal.RecordTypePartnerKey, recordID: k.ID, changed: changes{"persistedOnly"},
			summary: fmt.Sprintf("Partner key %s (%s) %s", k.Name, k.Prefix, lockSummary(on)),
		})
	})
	if err != nil {
		return nil, err
	}
	return k, nil
}

// SetPortalPersistedOnly locks the workspace's portal to the allow list, or
// unlocks it, and records the change; setting what is set changes and
// records nothing.
func (s *Store) SetPortalPersistedOnly(ctx context.Context, p portal.Principal, on bool) (*portal.Workspace, error) {
	if err := p.Require(portal.PermissionPortalManage); err != nil {
		return nil, err
	}
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, tx.Rebind("UPDATE workspaces SET portal_persisted_only = ? WHERE id = ? AND portal_persisted_only <> ?"), on, p.WorkspaceID, on)
		if err != nil {
			return fmt.Errorf("lock the portal: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		return s.record(ctx, tx, p, activity{
			action: portal.ActivityActionPortalUpdated, recordType: portal.RecordTypeWorkspace, recordID: p.WorkspaceID, changed: changes{"portalPersistedOnly"},
			summary: "The portal " + lockSummary(on),
		})
	})
	if err != nil {
		return nil, err
	}
	return s.Workspace(ctx, p)
}

func lockSummary(on bool) string {
	if on {
		return "runs only persisted operations"
	}
	return "runs any operation again"
}

// RecordReads writes read events, in one statement (two past the
// databases' parameter limits).
func (s *Store) RecordReads(ctx context.Context, events []*portal.ReadEvent) error {
	if !s.dialect.isPostgres() {
		return insertMany(ctx, s.db, s.t.readEvents, events)
	}
	return s.inTx(ctx, func(tx *sqlx.Tx) error { return copyInto(ctx, tx, s.t.readEvents, events) })
}

// ReadEvents lists the workspace's read events, newest first, for staff
// whose role grants AUDIT_READ.
func (s *Store) ReadEvents(ctx context.Context, p portal.Principal, f portal.ReadEventFilter, page portal.PageArgs) (*portal.ReadEventConnection, error) {
	if err := p.Require(portal.PermissionAuditRead); err != nil {
		return nil, err
	}
	return fetchPage(ctx, s, list[portal.ReadEvent]{
		table: s.t.readEvents, rules: scope{p}.readEvents(), order: byCreation[portal.ReadEvent](true), page: page,
		id: func(e *portal.ReadEvent) string { return e.ID },
		filter: func(c *conds) {
			for _, by := range []struct {
				column string
				value  *string
			}{{"client_id", f.ClientID}, {"contact_id", f.ContactID}, {"partner_key_id", f.PartnerKeyID}} {
				if by.value != nil {
					c.next().sql("a." + by.column + " = ").arg(*by.value)
				}
			}
			if f.RecordType != nil {
				c.next().sql("a.record_type = ").arg(string(*f.RecordType))
			}
			if f.Since != nil {
				c.next().sql("a.created_at >= ").arg(f.Since.UTC())
			}
			if f.Until != nil {
				c.next().sql("a.created_at < ").arg(f.Until.UTC())
			}
		},
	})
}
