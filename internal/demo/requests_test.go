package demo

import (
	"testing"
	"time"

	"portalgraph/internal/portal"
)

// The demo's requests are ones the portal could have made: opened by a
// contact of their client, about one of its shared projects, with an
// internal comment for staff that left their last activity alone.
func TestDemoRequests(t *testing.T) {
	d := New(time.Date(2027, 1, 4, 9, 0, 0, 0, time.UTC))
	contacts, projects := map[string]*portal.Contact{}, map[string]*portal.Project{}
	for _, c := range d.Contacts {
		contacts[c.ID] = c
	}
	for _, p := range d.Projects {
		projects[p.ID] = p
	}
	requests := map[string]*portal.ClientRequest{}
	for _, r := range d.Requests {
		requests[r.ID] = r
		if c := contacts[*r.OpenedByID]; c == nil || c.ClientID != r.ClientID || c.PortalStatus != portal.PortalStatusActive {
			t.Errorf("request %q: opened by %+v", r.Title, c)
		}
		if r.ProjectID != nil {
			if p := projects[*r.ProjectID]; p.ClientID != r.ClientID || p.Visibility != portal.VisibilityShared {
				t.Errorf("request %q: about %+v", r.Title, p)
			}
		}
	}
	internal := 0
	for _, c := range d.Comments {
		r := requests[c.RequestID]
		if r == nil || c.ClientID != r.ClientID {
			t.Fatalf("comment %q: on %+v", c.Body, r)
		}
		if c.Internal {
			internal++
			if !c.CreatedAt.After(r.LastActivityAt) {
				t.Errorf("request %q: last activity %v, internal comment at %v", r.Title, r.LastActivityAt, c.CreatedAt)
			}
		} else if r.LastActivityAt.Before(c.CreatedAt) {
			t.Errorf("request %q: last activity %v before its comment at %v", r.Title, r.LastActivityAt, c.CreatedAt)
		}
	}
	if len(d.Requests) < 2 || internal == 0 {
		t.Errorf("%d requests, %d internal comments: want requests and an internal comment to show", len(d.Requests), internal)
	}
}
