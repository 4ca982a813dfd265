package graph_test

import (
	"net/url"
	"testing"
	"time"

	"portalgraph/internal/auth"
	"portalgraph/internal/portal"
)

// A workspace made by an operator (portalgraph workspace create) has an
// owner without a password, invited by a link to the frontend. Accepting
// it over the API signs the owner in as staff of the new workspace, which
// sees none of the other workspaces' records; the link works once, and
// the password chosen signs the owner in from then on.
func TestOwnerAcceptsTheWorkspaceInvitation(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		access := auth.NewAccess(e.store, auth.Options{PublicURL: "https://app.example/"})
		created, err := access.CreateWorkspace(t.Context(), portal.NewWorkspace{Name: "Fresh Studio", OwnerEmail: "fay@fresh.example", OwnerName: "Fay Fresh"})
		if err != nil {
			t.Fatal(err)
		}
		link, err := url.Parse(created.InviteLink)
		if err != nil || link.Scheme+"://"+link.Host+link.Path != "https://app.example/accept-invite" {
			t.Fatalf("invitation link %q (%v)", created.InviteLink, err)
		}
		token := link.Query().Get("token")
		equal(t, "logIn before accepting", e.logIn(t, "fay@fresh.example", aPassword).onlyErrorAt(t, "logIn", "UNAUTHENTICATED").Message, badLogIn)

		s := e.accept(t, token, aPassword).session(t, "acceptInvite", 24*time.Hour)
		equal(t, "audience", s.Audience, "STAFF")
		equal(t, "signed in as", e.staffUser(t, s.Token), idName{created.Owner.ID, "Fay Fresh"})
		var clients struct {
			Clients struct {
				TotalCount int `json:"totalCount"`
			} `json:"clients"`
		}
		e.post(t, s.Token, `{ clients(first: 10) { totalCount } }`, nil).decode(t, &clients)
		equal(t, "clients of the new workspace", clients.Clients.TotalCount, 0)

		r := e.accept(t, token, aPassword+"!")
		equal(t, "the used link", r.onlyErrorAt(t, "acceptInvite", "UNAUTHENTICATED").Message, badInvite)
		equal(t, "logIn after accepting", e.logIn(t, "fay@fresh.example", aPassword).session(t, "logIn", 24*time.Hour).Audience, "STAFF")
	})
}
