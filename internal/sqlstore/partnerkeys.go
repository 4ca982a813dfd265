package sqlstore

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"portalgraph/internal/portal"
)

// Partners' API keys: staff with PARTNER_KEYS_MANAGE create, list, rotate
// and revoke them; authentication finds a key by the hash of a secret.

// partnerKeys: staff of the workspace see its keys (the permission is
// checked by each method); nobody else does.
func (sc scope) partnerKeys() ruleSet {
	if sc.p.IsStaff() {
		return ruleSet{rules: slices.Concat([]rule{sc.inWorkspace()}, sc.feature(portal.FeatureKeyPartnerAPI),
			[]rule{constant("role grants "+strings.ToLower(string(portal.PermissionPartnerKeysManage)), sc.p.Can(portal.PermissionPartnerKeysManage))})}
	}
	return nobody(sc.p.Audience)
}

// PartnerKeyBySecret returns the key one of whose secrets hashes to hash,
// and whether it is the key's current secret rather than the one its last
// rotation replaced; nil when no key has it. Whether the key still works
// is the caller's to decide (portal.PartnerKey.Principal).
func (s *Store) PartnerKeyBySecret(ctx context.Context, hash string) (*portal.PartnerKey, bool, error) {
	// The workspace's plan is read in the same statement, as a token's is
	// (planFeaturesOf): one statement authenticates a key.
	cols := s.auth.partnerKeyColumns
	q := &sqlBuf{}
	q.sql("SELECT " + cols + " FROM partner_keys a WHERE a.secret_hash = ").arg(hash).
		sql(" UNION ALL SELECT " + cols + " FROM partner_keys a WHERE a.previous_secret_hash = ").arg(hash)
	var k *portal.PartnerKey
	var plan, addOns *string
	if err := selectRecords(ctx, s.reads, s.t.partnerKeys, q, []any{&plan, &addOns}, func(r *portal.PartnerKey) {
		if k == nil {
			k = r
			k.NotInPlan = notInPlan(plan, addOns)
		}
	}); err != nil {
		return nil, false, err
	}
	if k == nil {
		return nil, false, nil
	}
	return k, k.SecretHash == hash, nil
}

// PartnerKeyByID returns a workspace's key by its ID; nil when there is
// none. Download links made with a key are checked against it.
func (s *Store) PartnerKeyByID(ctx context.Context, workspaceID, id string) (*portal.PartnerKey, error) {
	keys, err := byIDs(ctx, s, s.t.partnerKeys, inWorkspace(workspaceID), []string{id})
	if err != nil || len(keys) == 0 {
		return nil, err
	}
	if keys[0].NotInPlan, err = s.NotInPlan(ctx, workspaceID); err != nil {
		return nil, err
	}
	return keys[0], nil
}

// TouchPartnerKey records that a request used a key at at, unless a
// request did less than portal.PartnerKeyTouchEvery before: a busy key is
// written once a minute, and servers racing to write it write it once.
func (s *Store) TouchPartnerKey(ctx context.Context, workspaceID, id string, at time.Time) error {
	at = at.UTC().Truncate(time.Microsecond)
	_, err := s.db.ExecContext(ctx, s.db.Rebind(`UPDATE partner_keys SET last_used_at = ?
		WHERE workspace_id = ? AND id = ? AND (last_used_at IS NULL OR last_used_at <= ?)`),
		at, workspaceID, id, at.Add(-portal.PartnerKeyTouchEvery))
	if err != nil {
		return fmt.Errorf("record the use of a partner key: %w", err)
	}
	return nil
}

// PartnerKeys lists the workspace's keys, newest first; revoked ones only
// when asked for.
func (s *Store) PartnerKeys(ctx context.Context, p portal.Principal, includeRevoked bool, page portal.PageArgs) (*portal.PartnerKeyConnection, error) {
	if err := p.Require(portal.PermissionPartnerKeysManage); err != nil {
		return nil, err
	}
	return fetchPage(ctx, s, list[portal.PartnerKey]{
		table: s.t.partnerKeys, rules: scope{p}.partnerKeys(), order: byCreation[portal.PartnerKey](true), page: page,
		id: func(k *portal.PartnerKey) string { return k.ID },
		filter: func(c *conds) {
			if !includeRevoked {
				c.next().sql("a.revoked_at IS NULL")
			}
		},
	})
}

// CreatePartnerKey stores a new key with its secret's hash, and records
// it. Its sections must each have the one they need, its clients must be
// the workspace's and its expiry in the future.
func (s *Store) CreatePartnerKey(ctx context.Context, p portal.Principal, in portal.CreatePartnerKeyInput, secret portal.PartnerSecret) (*portal.PartnerKey, error) {
	if err := p.Require(portal.PermissionPartnerKeysManage); err != nil {
		return nil, err
	}
	if err := portal.CheckPartnerScopes("input.scopes", in.Scopes); err != nil {
		return nil, err
	}
	now := s.now()
	if in.ExpiresAt != nil && !in.ExpiresAt.After(now) {
		return nil, portal.InvalidField("input.expiresAt", "must be in the future")
	}
	if len(in.ClientIds) > portal.MaxPartnerKeyClients {
		return nil, portal.InvalidField("input.clientIds", fmt.Sprintf("at most %d clients", portal.MaxPartnerKeyClients))
	}
	k := &portal.PartnerKey{
		WorkspaceID: p.WorkspaceID, ID: portal.NewID(portal.PrefixPartnerKey, now), Name: strings.TrimSpace(in.Name),
		Prefix: secret.Prefix, SecretHash: secret.Hash, Sections: portal.FieldList{}, ClientIDs: portal.FieldList{},
		IncludeInternal: in.IncludeInternal != nil && *in.IncludeInternal, CreatedByID: ptr(p.UserID), CreatedAt: now,
	}
	for _, sc := range portal.AllPartnerScope {
		if slices.Contains(in.Scopes, sc) {
			k.Sections = append(k.Sections, string(sc))
		}
	}
	if in.ExpiresAt != nil {
		k.ExpiresAt = ptr(in.ExpiresAt.UTC().Truncate(time.Microsecond))
	}
	k.ClientIDs = append(k.ClientIDs, in.ClientIds...)
	slices.Sort(k.ClientIDs)
	k.ClientIDs = slices.Compact(k.ClientIDs)
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := s.checkClients(ctx, tx, p, k.ClientIDs, "input.clientIds"); err != nil {
			return err
		}
		if err := s.checkLimit(ctx, tx, p.WorkspaceID, portal.LimitKindPartnerKeys, 1); err != nil {
			return err
		}
		if err := insert(ctx, tx, s.t.partnerKeys, k); err != nil {
			return err
		}
		summary := fmt.Sprintf("Created partner key %s (%s) reading %s", k.Name, k.Prefix, strings.ToLower(strings.Join(k.Sections, ", ")))
		if len(k.ClientIDs) > 0 {
			summary += fmt.Sprintf(" of %d clients", len(k.ClientIDs))
		}
		if k.IncludeInternal {
			summary += ", internal records included"
		}
		return s.record(ctx, tx, p, activity{action: portal.ActivityActionCreated, recordType: portal.RecordTypePartnerKey, recordID: k.ID, summary: summary})
	})
	if err != nil {
		return nil, err
	}
	return k, nil
}

// checkClients requires every ID to name a client of the workspace.
func (s *Store) checkClients(ctx context.Context, tx *sqlx.Tx, p portal.Principal, ids []string, field string) error {
	if len(ids) == 0 {
		return nil
	}
	q := &sqlBuf{}
	q.sql("SELECT id FROM clients a")
	w := q.where()
	w.next().sql("a.workspace_id = ").arg(p.WorkspaceID)
	s.dialect.inList(w.next(), "a.id", ids)
	var found []string
	if err := tx.SelectContext(ctx, &found, tx.Rebind(q.String()), q.args...); err != nil {
		return fmt.Errorf("check clients: %w", err)
	}
	for _, id := range ids {
		if !slices.Contains(found, id) {
			return portal.InvalidField(field, fmt.Sprintf("no client with id %q", id))
		}
	}
	return nil
}

// RotatePartnerKey gives a key a new secret. The secret it replaces keeps
// working for portal.PartnerKeyGrace; one replaced before (in an earlier
// rotation's grace period) stops at once. A revoked or expired key is a
// CONFLICT: there is nothing to rotate.
func (s *Store) RotatePartnerKey(ctx context.Context, p portal.Principal, id string, secret portal.PartnerSecret) (*portal.PartnerKey, error) {
	if err := p.Require(portal.PermissionPartnerKeysManage); err != nil {
		return nil, err
	}
	var k *portal.PartnerKey
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		if k, err = lockVisible(ctx, s, tx, s.t.partnerKeys, scope{p}.partnerKeys(), p, id); err != nil {
			return err
		}
		now := s.now()
		switch {
		case k.RevokedAt != nil:
			return portal.Conflict("the key is revoked: create a new one")
		case k.ExpiresAt != nil && !now.Before(*k.ExpiresAt):
			return portal.Conflict("the key has expired: create a new one")
		}
		old := k.Prefix
		grace := now.Add(portal.PartnerKeyGrace)
		k.PreviousSecretHash, k.PreviousSecretExpiresAt = ptr(k.SecretHash), &grace
		k.SecretHash, k.Prefix, k.RotatedAt = secret.Hash, secret.Prefix, &now
		if err := update(ctx, tx, s.t.partnerKeys, p.WorkspaceID, k.ID, k); err != nil {
			return err
		}
		return s.record(ctx, tx, p, activity{
			action: portal.ActivityActionKeyRotated, recordType: portal.RecordTypePartnerKey, recordID: k.ID,
			summary: fmt.Sprintf("Rotated partner key %s: %s replaces %s, which works until %s", k.Name, k.Prefix, old, grace.Format(time.RFC3339)),
		})
	})
	if err != nil {
		return nil, err
	}
	return k, nil
}

// RevokePartnerKey revokes a key: both its secrets fail from the next
// request. Revoking a revoked key changes nothing and records nothing.
func (s *Store) RevokePartnerKey(ctx context.Context, p portal.Principal, id string) (*portal.PartnerKey, error) {
	if err := p.Require(portal.PermissionPartnerKeysManage); err != nil {
		return nil, err
	}
	var k *portal.PartnerKey
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		if k, err = lockVisible(ctx, s, tx, s.t.partnerKeys, scope{p}.partnerKeys(), p, id); err != nil {
			return err
		}
		if k.RevokedAt != nil {
			return nil
		}
		now := s.now()
		k.RevokedAt = &now
		if err := update(ctx, tx, s.t.partnerKeys, p.WorkspaceID, k.ID, k); err != nil {
			return err
		}
		return s.record(ctx, tx, p, activity{
			action: portal.ActivityActionKeyRevoked, recordType: portal.RecordTypePartnerKey, recordID: k.ID,
			summary: fmt.Sprintf("Revoked partner key %s (%s)", k.Name, k.Prefix),
		})
	})
	if err != nil {
		return nil, err
	}
	return k, nil
}
