package sqlstore_test

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"portalgraph/internal/dataset"
	"portalgraph/internal/portal"
	"portalgraph/internal/sqlstore"
	"portalgraph/internal/sqlstore/sqltest"
)

// explainFixture is the fixture with a record of every kind the
// fixture lacks (files, reports, requests and their comments, an export)
// under shared and internal parents, and partner keys of several grants.
func explainFixture(t *testing.T, s *sqlstore.Store) (*sqltest.Fixture, []string) {
	t.Helper()
	f := sqltest.LoadFixture(t, s)
	b := dataset.New(time.Date(2026, 2, 9, 9, 0, 0, 0, time.UTC), 11)
	req := b.Request(f.AActive, f.AShared, "Logo", "A new logo", portal.ClientRequestStatusOpen)
	b.Comment(req, f.Owner, nil, "On it", false)
	b.Comment(req, f.Owner, nil, "Budget is tight", true)
	b.File(f.A, f.AShared, nil, nil, "brief.txt", []byte("brief"), portal.VisibilityShared, f.Owner, nil)
	b.File(f.A, f.AInternal, nil, nil, "plan.txt", []byte("plan"), portal.VisibilityShared, f.Owner, nil)
	b.File(f.A, nil, f.DShared, nil, "draft.txt", []byte("draft"), portal.VisibilityInternal, f.Owner, nil)
	b.File(f.A, nil, nil, req, "sketch.txt", []byte("sketch"), portal.VisibilityShared, nil, f.AActive)
	b.Report(f.A, nil, f.Owner, "January", *dataset.Date(2026, 1, 1), *dataset.Date(2026, 1, 31), portal.ReportStatusPublished)
	b.Report(f.A, f.AInternal, f.Owner, "Internal", *dataset.Date(2026, 1, 1), *dataset.Date(2026, 1, 31), portal.ReportStatusPublished)
	b.Report(f.A, nil, f.Owner, "Draft", *dataset.Date(2026, 2, 1), *dataset.Date(2026, 2, 28), portal.ReportStatusDraft)
	b.Report(f.B, nil, f.Owner, "B's", *dataset.Date(2026, 1, 1), *dataset.Date(2026, 1, 31), portal.ReportStatusPublished)
	b.QueuedExport(f.A, f.AActive, portal.ExportKindDeliverables, *dataset.Date(2026, 1, 1), *dataset.Date(2026, 1, 31))
	noErr(t, s.Load(t.Context(), &b.Data))
	var keys []string
	for i, in := range []portal.CreatePartnerKeyInput{
		{Name: "everything", Scopes: portal.AllPartnerScope},
		{Name: "approvals of A", Scopes: []portal.PartnerScope{portal.PartnerScopeClients, portal.PartnerScopeProjects, portal.PartnerScopeDeliverables, portal.PartnerScopeApprovals}, ClientIds: []string{f.A.ID}},
		{Name: "internal too", Scopes: portal.AllPartnerScope, IncludeInternal: ptr(true)},
		{Name: "revoked", Scopes: portal.AllPartnerScope},
	} {
		k, err := s.CreatePartnerKey(t.Context(), sqltest.Staff(f.Owner), in, portal.PartnerSecret{Hash: fmt.Sprintf("hash%d", i), Prefix: "pgk_x"})
		noErr(t, err)
		keys = append(keys, k.ID)
	}
	_, err := s.RevokePartnerKey(t.Context(), sqltest.Staff(f.Owner), keys[3])
	noErr(t, err)
	return f, keys
}

// reads are each kind's own read by ID, as the API reads records.
func reads(s *sqlstore.Store) map[string]func(ctx context.Context, p portal.Principal, id string) (bool, error) {
	one := func(n int, err error) (bool, error) { return n == 1, err }
	return map[string]func(ctx context.Context, p portal.Principal, id string) (bool, error){
		portal.PrefixWorkspace: func(ctx context.Context, p portal.Principal, id string) (bool, error) {
			w, err := s.Workspace(ctx, p)
			return w != nil && w.ID == id, err
		},
		portal.PrefixUser: func(ctx context.Context, p portal.Principal, id string) (bool, error) {
			r, err := s.UsersByID(ctx, p, []string{id})
			return one(len(r), err)
		},
		portal.PrefixClient: func(ctx context.Context, p portal.Principal, id string) (bool, error) {
			r, err := s.ClientsByID(ctx, p, []string{id})
			return one(len(r), err)
		},
		portal.PrefixContact: func(ctx context.Context, p portal.Principal, id string) (bool, error) {
			r, err := s.ContactsByID(ctx, p, []string{id})
			return one(len(r), err)
		},
		portal.PrefixProject: func(ctx context.Context, p portal.Principal, id string) (bool, error) {
			r, err := s.ProjectsByID(ctx, p, []string{id})
			return one(len(r), err)
		},
		portal.PrefixDeliverable: func(ctx context.Context, p portal.Principal, id string) (bool, error) {
			r, err := s.DeliverablesByID(ctx, p, []string{id})
			return one(len(r), err)
		},
		portal.PrefixApproval: func(ctx context.Context, p portal.Principal, id string) (bool, error) {
			r, err := s.ApprovalsByID(ctx, p, []string{id})
			return one(len(r), err)
		},
		portal.PrefixDecision: func(ctx context.Context, p portal.Principal, id string) (bool, error) {
			r, err := s.DecisionsByID(ctx, p, []string{id})
			return one(len(r), err)
		},
		portal.PrefixNote: func(ctx context.Context, p portal.Principal, id string) (bool, error) {
			r, err := s.NotesByID(ctx, p, []string{id})
			return one(len(r), err)
		},
		portal.PrefixActivity: func(ctx context.Context, p portal.Principal, id string) (bool, error) {
			r, err := s.ActivityByID(ctx, p, []string{id})
			return one(len(r), err)
		},
		portal.PrefixFile: func(ctx context.Context, p portal.Principal, id string) (bool, error) {
			r, err := s.FilesByID(ctx, p, []string{id})
			return one(len(r), err)
		},
		portal.PrefixReport: func(ctx context.Context, p portal.Principal, id string) (bool, error) {
			r, err := s.ReportsByID(ctx, p, []string{id})
			return one(len(r), err)
		},
		portal.PrefixExport: func(ctx context.Context, p portal.Principal, id string) (bool, error) {
			r, err := s.ExportsByID(ctx, p, []string{id})
			return one(len(r), err)
		},
		portal.PrefixRequest: func(ctx context.Context, p portal.Principal, id string) (bool, error) {
			r, err := s.RequestsByID(ctx, p, []string{id})
			return one(len(r), err)
		},
		portal.PrefixComment: func(ctx context.Context, p portal.Principal, id string) (bool, error) {
			r, err := s.CommentsByID(ctx, p, []string{id})
			return one(len(r), err)
		},
		portal.PrefixPartnerKey: func(ctx context.Context, p portal.Principal, id string) (bool, error) {
			if !p.Can(portal.PermissionPartnerKeysManage) {
				return false, nil // the API refuses the list to anyone else
			}
			keys, err := s.PartnerKeys(ctx, p, true, portal.PageArgs{First: 100})
			if err != nil {
				return false, err
			}
			return slices.ContainsFunc(keys.Edges, func(e portal.Edge[portal.PartnerKey]) bool { return e.Node.ID == id }), nil
		},
	}
}

// everyRecord lists the IDs of every record of the fixture's data set and
// the keys, in every workspace.
func everyRecord(t *testing.T, s *sqlstore.Store) []string {
	t.Helper()
	var ids []string
	for _, table := range []string{"workspaces", "users", "clients", "contacts", "projects", "deliverables", "approvals", "approval_decisions",
		"notes", "activity_events", "files", "reports", "exports", "client_requests", "request_comments", "partner_keys"} {
		var some []string
		noErr(t, s.DB().Select(&some, "SELECT id FROM "+table+" ORDER BY id"))
		ids = append(ids, some...)
	}
	return ids
}

// For every principal of the fixture and every record, the access query
// says visible exactly when the principal's own read returns the record,
// and gives a reason whenever it does not; on every plan, and with a
// module not installed.
func TestAccessExplainedByTheReadsOwnRules(t *testing.T) {
	t.Parallel()
	sqltest.Run(t, func(t *testing.T, s *sqlstore.Store) {
		f, keys := explainFixture(t, s)
		records := everyRecord(t, s)
		read := reads(s)
		var principals []string
		for _, u := range []*portal.User{f.Owner, f.Manager, f.Member, f.Viewer} {
			principals = append(principals, u.ID)
		}
		for _, c := range []*portal.Contact{f.AActive, f.ASuspended, f.AInvited, f.BActive, f.CActive} {
			principals = append(principals, c.ID)
		}
		principals = append(principals, keys...)
		reasonsSeen := map[string]bool{}
		check := func(t *testing.T, asker portal.Principal) {
			for _, pid := range principals {
				p, refused, err := s.PrincipalOf(t.Context(), asker, pid)
				noErr(t, err)
				for _, id := range records {
					got, err := s.ExplainAccess(t.Context(), asker, pid, id)
					if portal.ErrorCode(err) == portal.CodeNotFound {
						// Another workspace's record: not there for the asker,
						// nor for anyone the asker asks about.
						if seen, _ := read[portal.IDPrefix(id)](t.Context(), p, id); seen {
							t.Errorf("%s reads %s, which the access query does not find", pid, id)
						}
						continue
					}
					noErr(t, err)
					seen, err := read[portal.IDPrefix(id)](t.Context(), p, id)
					noErr(t, err)
					seen = seen && len(refused) == 0
					if got.Visible != seen || (!got.Visible && len(got.Reasons) == 0) || (got.Visible && len(got.Reasons) > 0) {
						t.Errorf("%s reading %s: explained %+v, the read returns it: %v", pid, id, got, seen)
					}
					for _, r := range got.Reasons {
						reasonsSeen[r] = true
					}
				}
			}
		}
		owner := sqltest.Staff(f.Owner)
		t.Run("business", func(t *testing.T) { check(t, owner) })
		noErr(t, s.SetPlan(t.Context(), f.W1.Slug, "free"))
		t.Run("free", func(t *testing.T) { check(t, owner) })
		noErr(t, s.AddAddOn(t.Context(), f.W1.Slug, "reports"))
		t.Run("free with reports", func(t *testing.T) { check(t, owner) })
		noErr(t, s.SetPlan(t.Context(), f.W1.Slug, "business"))
		withoutFiles := owner
		withoutFiles.NotInstalled = withoutFiles.NotInstalled.With(portal.FeatureKeyFiles)
		t.Run("files not installed", func(t *testing.T) { check(t, withoutFiles) })
		exec(t, s, "UPDATE clients SET portal_projects = FALSE, portal_reports = FALSE WHERE id = '"+f.A.ID+"'")
		t.Run("sections hidden", func(t *testing.T) { check(t, owner) })

		// Every kind of reason the issue names comes up.
		for _, want := range []string{
			"client portal enabled", "contact's portal access active", "projects section shown in the portal",
			"project shared with the client", "report published", "belongs to the contact's client",
			"role grants partner_keys_manage", "reports included in the workspace's plan or add-ons",
			"files module installed", "partner key reads clients, reports", "partner key not revoked",
			"partner api included in the workspace's plan or add-ons", "belongs to a client of the partner key",
			"the project it belongs to is visible", "not shown to PORTAL",
			"project not deleted", "deliverable not deleted", "approval not deleted",
		} {
			if !reasonsSeen[want] {
				t.Errorf("no record was invisible for %q; reasons given: %v", want, reflect.ValueOf(reasonsSeen).MapKeys())
			}
		}
	})
}

// The access query names each unmet rule for one contact and one record.
func TestAccessExplainedForOneContact(t *testing.T) {
	t.Parallel()
	sqltest.Run(t, func(t *testing.T, s *sqlstore.Store) {
		f := sqltest.LoadFixture(t, s)
		owner := sqltest.Staff(f.Owner)
		got, err := s.ExplainAccess(t.Context(), owner, f.AActive.ID, f.AShared.ID)
		noErr(t, err)
		if !got.Visible || len(got.Reasons) != 0 {
			t.Errorf("a shared project of the contact's client: %+v", got)
		}
		got, err = s.ExplainAccess(t.Context(), owner, f.ASuspended.ID, f.AInternal.ID)
		noErr(t, err)
		if want := []string{"contact's portal access active", "project shared with the client"}; got.Visible || !slices.Equal(got.Reasons, want) {
			t.Errorf("an internal project for a suspended contact: %+v, want the reasons %q", got, want)
		}
		got, err = s.ExplainAccess(t.Context(), owner, f.BActive.ID, f.DShared.ID)
		noErr(t, err)
		if want := []string{"shared with the contact's client, with everything above it"}; got.Visible || !slices.Equal(got.Reasons, want) {
			t.Errorf("another client's deliverable: %+v, want the reasons %q", got, want)
		}
		if _, err := s.ExplainAccess(t.Context(), owner, f.AActive.ID, f.XShared.ID); portal.ErrorCode(err) != portal.CodeNotFound {
			t.Errorf("another workspace's record: %v, want NOT_FOUND", err)
		}
		if _, err := s.ExplainAccess(t.Context(), owner, f.XActive.ID, f.AShared.ID); portal.ErrorCode(err) != portal.CodeNotFound {
			t.Errorf("another workspace's contact: %v, want NOT_FOUND", err)
		}
		// A deleted record is explained as such, to staff too; an erased
		// contact is no principal.
		got, err = s.ExplainAccess(t.Context(), owner, f.Owner.ID, f.ADeleted.ID)
		noErr(t, err)
		if want := []string{"project not deleted"}; got.Visible || !slices.Equal(got.Reasons, want) {
			t.Errorf("a deleted project for its owner: %+v, want the reasons %q", got, want)
		}
		if _, err := s.ExplainAccess(t.Context(), owner, f.AErased.ID, f.AShared.ID); portal.ErrorCode(err) != portal.CodeNotFound {
			t.Errorf("an erased contact: %v, want NOT_FOUND", err)
		}
		if _, err := s.ExplainAccess(t.Context(), sqltest.Portal(f.AActive), f.AActive.ID, f.AShared.ID); portal.ErrorCode(err) != portal.CodeForbidden {
			t.Errorf("asked by a contact: %v, want FORBIDDEN", err)
		}
	})
}
