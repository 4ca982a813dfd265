package sqlstore_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"portalgraph/internal/dataset"
	"portalgraph/internal/portal"
	"portalgraph/internal/sqlstore"
	"portalgraph/internal/sqlstore/sqltest"
)

// A workspace's feature keys are read with its token, and a change of
// plan or add-on shows at the next read; the other workspace keeps its own.
func TestPlanFeaturesReadWithTheToken(t *testing.T) {
	t.Parallel()
	sqltest.Run(t, func(t *testing.T, s *sqlstore.Store) {
		f := sqltest.LoadFixture(t, s)
		for _, who := range []string{"owner", "aActive"} {
			h, _ := holderOf(t, s, f.Tokens[who])
			if h.NotInPlan != 0 {
				t.Errorf("%s on business lacks %v", who, h.NotInPlan.Keys())
			}
		}
		noErr(t, s.SetPlan(t.Context(), f.W1.Slug, "free"))
		noErr(t, s.AddAddOn(t.Context(), f.W1.Slug, "reports"))
		noErr(t, s.AddAddOn(t.Context(), f.W1.Slug, "reports")) // twice is once
		want := []portal.FeatureKey{portal.FeatureKeyExports, portal.FeatureKeyRequests, portal.FeatureKeyPartnerAPI}
		for _, who := range []string{"owner", "aActive"} {
			h, _ := holderOf(t, s, f.Tokens[who])
			p, err := h.Principal()
			noErr(t, err)
			if got := p.NotInPlan.Keys(); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s on free with reports lacks %v, want %v", who, got, want)
			}
		}
		if h, _ := holderOf(t, s, f.Tokens["owner2"]); h.NotInPlan != 0 {
			t.Errorf("the other workspace lacks %v", h.NotInPlan.Keys())
		}
		if n, err := s.NotInPlan(t.Context(), f.W1.ID); err != nil || fmt.Sprint(n.Keys()) != fmt.Sprint(want) {
			t.Errorf("NotInPlan %v, %v", n.Keys(), err)
		}
	})
}

// Inviting past the plan's portal contacts is refused in the invitation's
// transaction, naming the limit and the usage; an add-on raises it.
func TestPortalContactsLimit(t *testing.T) {
	t.Parallel()
	sqltest.Run(t, func(t *testing.T, s *sqlstore.Store) {
		f := sqltest.LoadFixture(t, s)
		owner := sqltest.Staff(f.Owner)
		noErr(t, s.SetPlan(t.Context(), f.W1.Slug, "free"))
		usage, err := s.Usage(t.Context(), owner)
		noErr(t, err)
		used := usage[0].Count
		if usage[0].Kind != portal.LimitKindPortalContacts || *usage[0].Max != 5 || used >= 5 {
			t.Fatalf("usage %+v", usage[0])
		}
		var invited int64
		for i := 0; ; i++ {
			c, err := s.CreateContact(t.Context(), owner, portal.CreateContactInput{ClientID: f.A.ID, Name: fmt.Sprint("C", i), Email: fmt.Sprintf("c%d@acme.example", i)})
			noErr(t, err)
			_, err = s.InviteContact(t.Context(), owner, c.ID, newInvite(inAWeek()).inv)
			if err != nil {
				var pe *portal.Error
				if !errors.As(err, &pe) || pe.Code != portal.CodePlanLimitReached || pe.Details["limit"] != "PORTAL_CONTACTS" ||
					pe.Details["maximum"] != int64(5) || pe.Details["usage"] != int64(5) {
					t.Fatalf("over the limit: %#v", err)
				}
				break
			}
			invited++
			if invited > 10 {
				t.Fatal("no limit")
			}
		}
		if used+invited != 5 {
			t.Errorf("%d invited over %d used, want 5 in all", invited, used)
		}
		// Inviting again an invited contact takes no more room.
		_, err = s.InviteContact(t.Context(), owner, f.AInvited.ID, newInvite(inAWeek()).inv)
		noErr(t, err)
		noErr(t, s.AddAddOn(t.Context(), f.W1.Slug, "contacts-50"))
		c, err := s.CreateContact(t.Context(), owner, portal.CreateContactInput{ClientID: f.A.ID, Name: "More", Email: "more@acme.example"})
		noErr(t, err)
		_, err = s.InviteContact(t.Context(), owner, c.ID, newInvite(inAWeek()).inv)
		noErr(t, err)
		usage, err = s.Usage(t.Context(), owner)
		noErr(t, err)
		if *usage[0].Max != 55 || usage[0].Count != 6 {
			t.Errorf("usage %+v", usage[0])
		}
	})
}

// Exports count against the month they were asked for in; past the
// plan's number, asking is refused.
func TestExportsPerMonthLimit(t *testing.T) {
	t.Parallel()
	sqltest.Run(t, func(t *testing.T, s *sqlstore.Store) {
		f := sqltest.LoadFixture(t, s)
		owner := sqltest.Staff(f.Owner)
		noErr(t, s.SetPlan(t.Context(), f.W1.Slug, "free"))
		noErr(t, s.AddAddOn(t.Context(), f.W1.Slug, "exports"))
		in := portal.RequestExportInput{ClientID: &f.A.ID, Kind: portal.ExportKindDeliverables, From: *dataset.Date(2026, 1, 1), To: *dataset.Date(2026, 1, 31)}
		for range 5 {
			_, err := s.RequestExport(t.Context(), owner, in)
			noErr(t, err)
		}
		_, err := s.RequestExport(t.Context(), owner, in)
		if portal.ErrorCode(err) != portal.CodePlanLimitReached {
			t.Fatalf("the sixth export this month: %v", err)
		}
		usage, err := s.Usage(t.Context(), owner)
		noErr(t, err)
		if u := usage[3]; u.Kind != portal.LimitKindExportsPerMonth || *u.Max != 5 || u.Count != 5 {
			t.Errorf("usage %+v", u)
		}
		// Last month's do not count.
		exec(t, s, "UPDATE exports SET created_at = ? WHERE workspace_id = ?", time.Now().UTC().AddDate(0, -1, -1), f.W1.ID)
		_, err = s.RequestExport(t.Context(), owner, in)
		noErr(t, err)
	})
}
