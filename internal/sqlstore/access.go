package sqlstore

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"

	"portalgraph/internal/portal"
)

// TokenHolder returns who holds the token with this hash, if the token is
// valid (not expired or revoked); ok is false otherwise. One statement reads
// the token with the holder's current access state: a staff member's role
// and its permissions, and whether they are deactivated.
func (s *Store) TokenHolder(ctx context.Context, hash string) (h portal.TokenHolder, ok bool, err error) {
	return s.tokenHolder(ctx, s.auth.tokenByHash, hash)
}

// SessionHolder is TokenHolder for the token of a session, by its ID: what
// a download link made in that session checks when it is used.
func (s *Store) SessionHolder(ctx context.Context, workspaceID, tokenID string) (h portal.TokenHolder, ok bool, err error) {
	return s.tokenHolder(ctx, s.auth.tokenBySession, workspaceID, tokenID)
}

// authStatements are the texts authentication runs: tokenHolder's, one
// per way of finding the token, and the columns a partner key is read
// with. Every request authenticates, and building a token's statement
// anew each time was about a tenth of what a request that does little
// else allocated, so each is built once, with the store.
type authStatements struct{ tokenByHash, tokenBySession, partnerKeyColumns string }

func newAuthStatements(d dialect, t tables) authStatements {
	return authStatements{
		tokenByHash:       holderSQL(d, "t.token_hash = ?"),
		tokenBySession:    holderSQL(d, "t.workspace_id = ? AND t.id = ?"),
		partnerKeyColumns: t.partnerKeys.selectList("a") + ", " + planFeaturesOf(d, "a.workspace_id"),
	}
}

// holderSQL reads a token found by where, with its holder, if it is
// neither revoked nor expired (the last parameter is the time now).
func holderSQL(d dialect, where string) string {
	return `
		SELECT t.id, t.kind, t.workspace_id, u.id, u.role_id, r.built_in, r.permissions, u.deactivated_at IS NOT NULL,
		       c.id, c.client_id, c.portal_status, cl.portal_enabled,
		       cl.archived_at IS NOT NULL, pu.id, w.portal_persisted_only, ` + planFeaturesOf(d, "t.workspace_id") + `
		FROM tokens t
		JOIN workspaces w ON w.id = t.workspace_id
		LEFT JOIN users u ON u.workspace_id = t.workspace_id AND u.id = t.user_id
		LEFT JOIN roles r ON r.workspace_id = u.workspace_id AND r.id = u.role_id
		LEFT JOIN contacts c ON c.workspace_id = t.workspace_id AND c.id = t.contact_id
		LEFT JOIN clients cl ON cl.workspace_id = c.workspace_id AND cl.id = c.client_id
		LEFT JOIN users pu ON pu.workspace_id = t.workspace_id AND pu.id = t.preview_by AND pu.deactivated_at IS NULL
		WHERE ` + where + ` AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > ?)`
}

func (s *Store) tokenHolder(ctx context.Context, query string, args ...any) (h portal.TokenHolder, ok bool, err error) {
	row := s.reads.QueryRowxContext(ctx, s.reads.Rebind(query), append(args, s.now())...)
	var archived, deactivated *bool
	var planFeatures, addOnFeatures, perms *string
	err = row.Scan(&h.TokenID, &h.Kind, &h.WorkspaceID, &h.UserID, &h.RoleID, &h.BuiltIn, &perms, &deactivated,
		&h.ContactID, &h.ClientID, &h.PortalStatus, &h.PortalEnabled, &archived, &h.PreviewBy, &h.PortalPersistedOnly, &planFeatures, &addOnFeatures)
	if errNoRows(err) {
		return h, false, nil
	}
	if err != nil {
		return h, false, fmt.Errorf("read token: %w", err)
	}
	h.ClientArchived = archived != nil && *archived
	h.Deactivated = deactivated != nil && *deactivated
	if perms != nil {
		// The role's permissions, read in the token's statement: a change
		// of role counts from the next request of every process.
		if err := h.Perms.Scan(*perms); err != nil {
			return h, false, err
		}
	}
	h.NotInPlan = notInPlan(planFeatures, addOnFeatures)
	return h, true, nil
}

// CreateToken stores a new token.
func (s *Store) CreateToken(ctx context.Context, t *portal.AccessToken) error {
	return insert(ctx, s.db, s.t.tokens, t)
}

// AccountsByEmail finds the staff members and contacts with an email, in
// every workspace.
func (s *Store) AccountsByEmail(ctx context.Context, email string) ([]portal.Account, error) {
	var out []portal.Account
	err := s.db.SelectContext(ctx, &out, s.db.Rebind(`
		SELECT u.workspace_id, w.slug AS workspace_slug, u.id AS user_id, NULL AS contact_id, u.name
		FROM users u JOIN workspaces w ON w.id = u.workspace_id WHERE u.email = ?
		UNION ALL
		SELECT c.workspace_id, w.slug, NULL, c.id, c.name
		FROM contacts c JOIN workspaces w ON w.id = c.workspace_id WHERE c.email = ?
		ORDER BY 2`), normalizeEmail(email), normalizeEmail(email))
	if err != nil {
		return nil, fmt.Errorf("find accounts: %w", err)
	}
	return out, nil
}

// WorkspaceBySlug returns a workspace by its slug, for operators' commands;
// it is not scoped by a principal.
func (s *Store) WorkspaceBySlug(ctx context.Context, slug string) (*portal.Workspace, error) {
	q := &sqlBuf{}
	q.sql("SELECT " + s.t.workspaces.selectList("a") + " FROM workspaces a WHERE a.slug = ").arg(slug)
	var w *portal.Workspace
	err := selectRecords(ctx, s.reads, s.t.workspaces, q, nil, func(r *portal.Workspace) { w = r })
	return w, err
}

// Load inserts a data set in one transaction, parents before children.
func (s *Store) Load(ctx context.Context, d *portal.Dataset) error {
	_, err := s.load(ctx, d, false)
	return err
}

// Seed loads a data set unless the database has a workspace with the slug
// of the set's first workspace, and reports whether it loaded it. Looking
// and loading are one transaction: SQLite runs one write transaction at a
// time, so of processes seeding one database at once, one loads it; on
// PostgreSQL they take turns under the start-up lock (MigrateAndSeed).
func (s *Store) Seed(ctx context.Context, d *portal.Dataset) (bool, error) {
	return s.load(ctx, d, true)
}

func (s *Store) load(ctx context.Context, d *portal.Dataset, unlessPresent bool) (bool, error) {
	present := false
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if unlessPresent && len(d.Workspaces) > 0 {
			var n int
			if err := tx.GetContext(ctx, &n, tx.Rebind(`SELECT COUNT(*) FROM workspaces WHERE slug = ?`), d.Workspaces[0].Slug); err != nil {
				return fmt.Errorf("read workspaces: %w", err)
			}
			if present = n > 0; present {
				return nil
			}
		}
		steps := []func() error{
			func() error { return insertMany(ctx, tx, s.t.workspaces, d.Workspaces) },
			func() error {
				var roles []*portal.Role
				for _, w := range d.Workspaces {
					roles = append(roles, portal.BuiltInRoles(w.ID, w.CreatedAt)...)
				}
				return insertMany(ctx, tx, s.t.roles, roles)
			},
			func() error { return insertMany(ctx, tx, s.t.users, d.Users) },
			func() error { return insertMany(ctx, tx, s.t.clients, d.Clients) },
			func() error { return insertMany(ctx, tx, s.t.contacts, d.Contacts) },
			func() error { return insertMany(ctx, tx, s.t.projects, d.Projects) },
			func() error { return insertMany(ctx, tx, s.t.deliverables, d.Deliverables) },
			func() error { return insertMany(ctx, tx, s.t.approvals, d.Approvals) },
			func() error { return insertMany(ctx, tx, s.t.approvers, d.Approvers) },
			func() error { return insertMany(ctx, tx, s.t.decisions, d.Decisions) },
			func() error { return insertMany(ctx, tx, s.t.notes, d.Notes) },
			func() error { return insertMany(ctx, tx, s.t.reports, d.Reports) },
			func() error { return insertMany(ctx, tx, s.t.activity, d.Activity) },
			func() error { return insertMany(ctx, tx, s.t.tokens, d.Tokens) },
			func() error { return insertMany(ctx, tx, s.t.requests, d.Requests) },
			func() error { return insertMany(ctx, tx, s.t.comments, d.Comments) },
			func() error { return insertMany(ctx, tx, s.t.files, d.Files) },
			func() error { return insertMany(ctx, tx, s.t.exports, d.Exports) },
		}
		for _, step := range steps {
			if err := step(); err != nil {
				return err
			}
		}
		// The records may join a workspace loaded before.
		workspaces := map[string]bool{}
		for _, p := range d.Projects {
			workspaces[p.WorkspaceID] = true
		}
		for _, dl := range d.Deliverables {
			workspaces[dl.WorkspaceID] = true
		}
		for _, a := range d.Approvals {
			workspaces[a.WorkspaceID] = true
		}
		for _, dc := range d.Decisions {
			workspaces[dc.WorkspaceID] = true
		}
		for ws := range workspaces {
			if err := refreshAllShown(ctx, tx, ws); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil || present {
		return false, err
	}
	if s.dialect.isPostgres() {
		// Fresh statistics, so the planner does not take a bulk-loaded
		// table for the empty one it was.
		if _, err := s.db.ExecContext(ctx, "ANALYZE"); err != nil {
			return true, fmt.Errorf("analyze: %w", err)
		}
	}
	return true, nil
}

// Empty reports whether the database holds no workspace yet.
func (s *Store) Empty(ctx context.Context) (bool, error) {
	var n int
	if err := s.db.GetContext(ctx, &n, "SELECT COUNT(*) FROM workspaces"); err != nil {
		return false, fmt.Errorf("count workspaces: %w", err)
	}
	return n == 0, nil
}
