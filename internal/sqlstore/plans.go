package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"portalgraph/internal/portal"
)

// Plans and add-ons (migration 0012). A workspace's feature keys are read
// with its principal at every request (planFeaturesOf, in the statement
// that authenticates a token), so a change of plan or add-on counts from
// the next request of every server process, with nothing cached.

// planFeaturesOf is two columns of a select list: the features of the
// plan of the workspace whose ID is the expression ws, and those of its
// add-ons, comma-separated (NULL without add-ons).
func planFeaturesOf(d dialect, ws string) string {
	return `(SELECT pl.features FROM workspaces pw JOIN plans pl ON pl.key = pw.plan WHERE pw.id = ` + ws + `),
		(SELECT ` + d.stringAgg("ad.features") + ` FROM workspace_addons wa JOIN addons ad ON ad.key = wa.addon WHERE wa.workspace_id = ` + ws + `)`
}

// notInPlan is what the two columns of planFeaturesOf leave out. A
// workspace without a plan (none is) would have every feature.
func notInPlan(plan, addOns *string) portal.FeatureSet {
	if plan == nil {
		return 0
	}
	texts := []string{*plan}
	if addOns != nil {
		texts = append(texts, *addOns)
	}
	return portal.AllFeatures() &^ portal.FeaturesOf(texts...)
}

// NotInPlan returns the feature keys a workspace's plan and add-ons lack.
func (s *Store) NotInPlan(ctx context.Context, workspaceID string) (portal.FeatureSet, error) {
	var plan, addOns *string
	err := s.reads.QueryRowxContext(ctx, s.reads.Rebind(`SELECT `+planFeaturesOf(s.dialect, "?")), workspaceID, workspaceID).Scan(&plan, &addOns)
	if err != nil {
		return 0, fmt.Errorf("read the workspace's plan: %w", err)
	}
	return notInPlan(plan, addOns), nil
}

// Plans lists the plans, cheapest first.
func (s *Store) Plans(ctx context.Context) ([]*portal.Plan, error) {
	var out []*portal.Plan
	if err := sqlx.SelectContext(ctx, s.db, &out, `SELECT * FROM plans ORDER BY position`); err != nil {
		return nil, fmt.Errorf("read plans: %w", err)
	}
	return out, nil
}

// AddOns lists the add-ons there are.
func (s *Store) AddOns(ctx context.Context) ([]*portal.AddOn, error) {
	var out []*portal.AddOn
	if err := sqlx.SelectContext(ctx, s.db, &out, `SELECT * FROM addons ORDER BY key`); err != nil {
		return nil, fmt.Errorf("read add-ons: %w", err)
	}
	return out, nil
}

// WorkspacePlan returns a workspace's plan and add-ons; staff only.
func (s *Store) WorkspacePlan(ctx context.Context, p portal.Principal) (portal.WorkspacePlan, error) {
	if !p.IsStaff() {
		return portal.WorkspacePlan{}, portal.Forbidden("not available")
	}
	return workspacePlan(ctx, s.db, p.WorkspaceID)
}

// rebindQueryer is the pool or a transaction.
type rebindQueryer interface {
	sqlx.QueryerContext
	Rebind(string) string
}

func workspacePlan(ctx context.Context, db rebindQueryer, workspaceID string) (portal.WorkspacePlan, error) {
	var w portal.WorkspacePlan
	var plans []*portal.Plan
	if err := sqlx.SelectContext(ctx, db, &plans, db.Rebind(`SELECT pl.* FROM plans pl JOIN workspaces w ON w.plan = pl.key WHERE w.id = ?`), workspaceID); err != nil {
		return w, fmt.Errorf("read the workspace's plan: %w", err)
	}
	if len(plans) == 0 {
		return w, portal.NotFound(workspaceID)
	}
	w.Plan = plans[0]
	if err := sqlx.SelectContext(ctx, db, &w.AddOns, db.Rebind(`SELECT ad.* FROM addons ad JOIN workspace_addons wa ON wa.addon = ad.key
		WHERE wa.workspace_id = ? ORDER BY ad.key`), workspaceID); err != nil {
		return w, fmt.Errorf("read the workspace's add-ons: %w", err)
	}
	if w.AddOns == nil {
		w.AddOns = []*portal.AddOn{}
	}
	return w, nil
}

// usageSQL counts what a workspace uses of each limit.
var usageSQL = map[portal.LimitKind]string{
	portal.LimitKindPortalContacts:  `SELECT COUNT(*) FROM contacts WHERE workspace_id = ? AND portal_status IN ('INVITED', 'ACTIVE')`,
	portal.LimitKindStorageBytes:    `SELECT COALESCE(SUM(size), 0) FROM files WHERE workspace_id = ?`,
	portal.LimitKindPartnerKeys:     `SELECT COUNT(*) FROM partner_keys WHERE workspace_id = ? AND revoked_at IS NULL`,
	portal.LimitKindExportsPerMonth: `SELECT COUNT(*) FROM exports WHERE workspace_id = ? AND created_at >= ?`,
}

func monthStart(now time.Time) time.Time {
	now = now.UTC()
	return time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
}

func (s *Store) usageOf(ctx context.Context, db sqlx.QueryerContext, workspaceID string, kind portal.LimitKind) (int64, error) {
	args := []any{workspaceID}
	if kind == portal.LimitKindExportsPerMonth {
		args = append(args, monthStart(s.now()))
	}
	var n int64
	if err := sqlx.GetContext(ctx, db, &n, s.db.Rebind(usageSQL[kind]), args...); err != nil {
		return 0, fmt.Errorf("count the workspace's %s: %w", kind, err)
	}
	return n, nil
}

// Usage returns what the principal's workspace uses of each of its plan's
// limits, add-ons included; staff only.
func (s *Store) Usage(ctx context.Context, p portal.Principal) ([]*portal.PlanUsage, error) {
	w, err := s.WorkspacePlan(ctx, p)
	if err != nil {
		return nil, err
	}
	out := make([]*portal.PlanUsage, 0, len(portal.AllLimitKind))
	for _, kind := range portal.AllLimitKind {
		n, err := s.usageOf(ctx, s.db, p.WorkspaceID, kind)
		if err != nil {
			return nil, err
		}
		out = append(out, &portal.PlanUsage{Kind: kind, Max: portal.LimitOf(kind, w.Plan, w.AddOns), Count: n})
	}
	return out, nil
}

// checkLimit refuses, in a write's transaction, a change that would take
// the workspace over a limit of its plan and add-ons by adding to its
// usage: PLAN_LIMIT_REACHED with the limit and the usage. It locks the
// workspace's row first, so writes of one workspace that count against a
// limit take turns and two cannot both take the last place.
func (s *Store) checkLimit(ctx context.Context, tx *sqlx.Tx, workspaceID string, kind portal.LimitKind, adding int64) error {
	var id string
	if err := tx.GetContext(ctx, &id, tx.Rebind(`SELECT id FROM workspaces WHERE id = ?`+s.dialect.forUpdate()), workspaceID); err != nil {
		return fmt.Errorf("lock the workspace: %w", err)
	}
	w, err := workspacePlan(ctx, tx, workspaceID)
	if err != nil {
		return err
	}
	limit := portal.LimitOf(kind, w.Plan, w.AddOns)
	if limit == nil {
		return nil
	}
	used, err := s.usageOf(ctx, tx, workspaceID, kind)
	if err != nil {
		return err
	}
	if used+adding > *limit {
		return portal.PlanLimitReached(kind, *limit, used)
	}
	return nil
}

// SetPlan puts a workspace (by slug) on a plan; operators only.
func (s *Store) SetPlan(ctx context.Context, workspaceSlug, plan string) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		ws, err := workspaceIDBySlug(ctx, tx, workspaceSlug)
		if err != nil {
			return err
		}
		var n int
		if err := tx.GetContext(ctx, &n, tx.Rebind(`SELECT COUNT(*) FROM plans WHERE key = ?`), plan); err != nil {
			return fmt.Errorf("read plans: %w", err)
		}
		if n == 0 {
			return portal.InvalidField("plan", fmt.Sprintf("there is no plan %q", plan))
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE workspaces SET plan = ? WHERE id = ?`), plan, ws); err != nil {
			return fmt.Errorf("set the plan: %w", err)
		}
		return nil
	})
}

// AddAddOn gives a workspace (by slug) an add-on; having it already is
// no error.
func (s *Store) AddAddOn(ctx context.Context, workspaceSlug, addOn string) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		ws, err := workspaceIDBySlug(ctx, tx, workspaceSlug)
		if err != nil {
			return err
		}
		var n int
		if err := tx.GetContext(ctx, &n, tx.Rebind(`SELECT COUNT(*) FROM addons WHERE key = ?`), addOn); err != nil {
			return fmt.Errorf("read add-ons: %w", err)
		}
		if n == 0 {
			return portal.InvalidField("addon", fmt.Sprintf("there is no add-on %q", addOn))
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO workspace_addons (workspace_id, addon, added_at)
			SELECT ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM workspace_addons WHERE workspace_id = ? AND addon = ?)`),
			ws, addOn, s.now().UTC().Truncate(time.Microsecond), ws, addOn); err != nil {
			return fmt.Errorf("add the add-on: %w", err)
		}
		return nil
	})
}

// RemoveAddOn takes an add-on from a workspace (by slug); not having it
// is an error, so a typo is not taken for done.
func (s *Store) RemoveAddOn(ctx context.Context, workspaceSlug, addOn string) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		ws, err := workspaceIDBySlug(ctx, tx, workspaceSlug)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM workspace_addons WHERE workspace_id = ? AND addon = ?`), ws, addOn)
		if err != nil {
			return fmt.Errorf("remove the add-on: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return portal.InvalidField("addon", fmt.Sprintf("the workspace has no add-on %q", addOn))
		}
		return nil
	})
}

func workspaceIDBySlug(ctx context.Context, tx *sqlx.Tx, slug string) (string, error) {
	var ids []string
	if err := tx.SelectContext(ctx, &ids, tx.Rebind(`SELECT id FROM workspaces WHERE slug = ?`), slug); err != nil {
		return "", fmt.Errorf("read workspaces: %w", err)
	}
	if len(ids) == 0 {
		return "", portal.InvalidField("workspace", fmt.Sprintf("there is no workspace with slug %q", slug))
	}
	return ids[0], nil
}
