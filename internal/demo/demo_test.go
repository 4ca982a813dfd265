package demo_test

import (
	"slices"
	"testing"
	"time"

	"portalgraph/internal/demo"
	"portalgraph/internal/portal"
	"portalgraph/internal/sqlstore"
	"portalgraph/internal/sqlstore/sqltest"
)

func TestMain(m *testing.M) { sqltest.Main(m) }

// The demo shows reports from the start: staff see the published one and
// the draft, the demo's portal contact the published one only.
func TestDemoReports(t *testing.T) {
	sqltest.Run(t, func(t *testing.T, s *sqlstore.Store) {
		data := demo.New(time.Now())
		if err := s.Load(t.Context(), data); err != nil {
			t.Fatal(err)
		}
		var owner portal.Principal
		for _, u := range data.Users {
			if u.Email == demo.OwnerEmail {
				owner = portal.BuiltInStaffMember(u)
			}
		}
		var dana portal.Principal
		for _, c := range data.Contacts {
			if c.Email == demo.PortalEmail {
				dana = portal.Principal{Audience: portal.AudiencePortal, WorkspaceID: c.WorkspaceID, ContactID: c.ID, ClientID: c.ClientID}
			}
		}
		titles := func(p portal.Principal) []string {
			conn, err := s.Reports(t.Context(), p, portal.ReportFilter{}, portal.PageArgs{First: 100})
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, e := range conn.Edges {
				out = append(out, e.Node.Title+" ("+string(e.Node.Status)+")")
			}
			return out
		}
		if got, want := titles(owner), []string{"Spring campaign: January progress (DRAFT)", "December 2026 performance (PUBLISHED)"}; !slices.Equal(got, want) {
			t.Errorf("the owner's reports = %q, want %q", got, want)
		}
		if got, want := titles(dana), []string{"December 2026 performance (PUBLISHED)"}; !slices.Equal(got, want) {
			t.Errorf("the portal contact's reports = %q, want %q", got, want)
		}
	})
}
