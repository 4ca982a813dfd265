package graph_test

import (
	"net/http"
	"testing"
	"time"

	"portalgraph/internal/auth"
)

const viewerQuery = `{ viewer { audience } }`

// assertRefused requires a request refused before GraphQL runs: the HTTP
// status, one error with the code and message, and no data at all.
func assertRefused(t *testing.T, r *response, status int, code, message string) {
	t.Helper()
	if r.Status != status {
		t.Errorf("HTTP %d, want %d: %s", r.Status, status, r.Raw)
	}
	got := r.only(t)
	if got.Extensions.Code != code || got.Message != message {
		t.Errorf("error = %s, want code %s and message %q", got, code, message)
	}
	if r.Data != nil {
		t.Errorf("data = %s, want none", r.Data)
	}
	if r.Header.Get("X-Request-Id") == "" {
		t.Error("no X-Request-Id header")
	}
}

func assertAudience(t *testing.T, e *env, who, want string) {
	t.Helper()
	var got struct {
		Viewer struct {
			Audience string `json:"audience"`
		} `json:"viewer"`
	}
	e.as(t, who, viewerQuery, nil).decode(t, &got)
	equal(t, who+"'s audience", got.Viewer.Audience, want)
}

const notActive = "portal access for this account is not active"

func TestRefusedPrincipals(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		unknown, _ := auth.NewToken()
		unknownKey, _ := auth.NewPartnerSecret()
		cases := []struct {
			name, authorization string
			message             string
		}{
			{"suspended contact", "Bearer " + e.f.Tokens["aSuspended"], notActive},
			{"contact whose client has no portal", "Bearer " + e.f.Tokens["cActive"], notActive},
			{"unknown token", "Bearer " + unknown, "invalid or expired token"},
			{"unknown partner key", "Bearer " + unknownKey, "invalid, expired or revoked API key"},
			{"not a portalgraph token", "Bearer abc", "the Authorization header must be: Bearer <token>"},
			{"other scheme", "Basic " + e.f.Tokens["owner"], "the Authorization header must be: Bearer <token>"},
			{"scheme only", "Bearer", "the Authorization header must be: Bearer <token>"},
			{"token without scheme", e.f.Tokens["owner"], "the Authorization header must be: Bearer <token>"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				req, err := http.NewRequest(http.MethodPost, e.srv.URL+"/graphql", jsonBody(t, viewerQuery))
				if err != nil {
					t.Fatal(err)
				}
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", c.authorization)
				assertRefused(t, e.send(t, req), http.StatusUnauthorized, "UNAUTHENTICATED", c.message)
			})
		}
		t.Run("no credentials is anonymous", func(t *testing.T) {
			assertAudience(t, e, "", "ANONYMOUS")
		})
		t.Run("staff and active contacts", func(t *testing.T) {
			for who, want := range map[string]string{
				"owner": "STAFF", "viewer": "STAFF", "owner2": "STAFF", "aActive": "PORTAL", "bActive": "PORTAL", "xActive": "PORTAL",
			} {
				assertAudience(t, e, who, want)
			}
		})
	})
}

// Access is checked at every request: a change to it refuses the very next
// one, and nobody else's.
func TestPortalAccessEndsOnTheNextRequest(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		revoke  func(t *testing.T, e *env)
		message string
	}{
		{"client archived by staff through the API", func(t *testing.T, e *env) {
			var got struct {
				ArchiveClient struct {
					Client struct {
						Status     string  `json:"status"`
						ArchivedAt *string `json:"archivedAt"`
					} `json:"client"`
				} `json:"archiveClient"`
			}
			e.as(t, "owner", `mutation($id: ID!) { archiveClient(input: {id: $id}) { client { status archivedAt } } }`,
				vars{"id": e.f.A.ID}).decode(t, &got)
			if c := got.ArchiveClient.Client; c.Status != "ARCHIVED" || c.ArchivedAt == nil {
				t.Fatalf("archived client = %+v", c)
			}
		}, notActive},
		{"contact suspended", func(t *testing.T, e *env) {
			e.exec(t, `UPDATE contacts SET portal_status = 'SUSPENDED' WHERE id = ?`, e.f.AActive.ID)
		}, notActive},
		{"contact access back to invited", func(t *testing.T, e *env) {
			e.exec(t, `UPDATE contacts SET portal_status = 'INVITED' WHERE id = ?`, e.f.AActive.ID)
		}, notActive},
		{"client portal disabled", func(t *testing.T, e *env) {
			e.exec(t, `UPDATE clients SET portal_enabled = FALSE WHERE id = ?`, e.f.A.ID)
		}, notActive},
		{"token revoked", func(t *testing.T, e *env) {
			e.exec(t, `UPDATE tokens SET revoked_at = ? WHERE contact_id = ?`, time.Now().UTC(), e.f.AActive.ID)
		}, "invalid or expired token"},
		{"token expired", func(t *testing.T, e *env) {
			e.exec(t, `UPDATE tokens SET expires_at = ? WHERE contact_id = ?`, time.Now().UTC().Add(-time.Second), e.f.AActive.ID)
		}, "invalid or expired token"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			run(t, func(t *testing.T, e *env) {
				const q = `{ viewer { audience client { name } } projects { totalCount } }`
				var got struct {
					Viewer struct {
						Audience string `json:"audience"`
						Client   idName `json:"client"`
					} `json:"viewer"`
				}
				e.as(t, "aActive", q, nil).decode(t, &got)
				equal(t, "before", []string{got.Viewer.Audience, got.Viewer.Client.Name}, []string{"PORTAL", "Acme"})

				c.revoke(t, e)

				assertRefused(t, e.as(t, "aActive", q, nil), http.StatusUnauthorized, "UNAUTHENTICATED", c.message)
				assertAudience(t, e, "bActive", "PORTAL") // another client's contact
				assertAudience(t, e, "owner", "STAFF")
			})
		})
	}
}
