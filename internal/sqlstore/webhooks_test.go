package sqlstore_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"portalgraph/internal/portal"
	"portalgraph/internal/sqlstore"
	"portalgraph/internal/sqlstore/sqltest"
)

// A change is queued for the enabled endpoints subscribed to its action
// alone; a claimed delivery is leased, not claimed again until its lease
// ends; a failure schedules the next attempt and counts towards
// disabling the endpoint.
func TestWebhookOutbox(t *testing.T) {
	t.Parallel()
	sqltest.Run(t, func(t *testing.T, s *sqlstore.Store) {
		f := sqltest.LoadFixture(t, s)
		staff := sqltest.Staff(f.Owner)
		updates, err := s.CreateWebhookEndpoint(t.Context(), staff, portal.CreateWebhookEndpointInput{URL: "https://a.example/hook", Events: []portal.ActivityAction{portal.ActivityActionUpdated}}, "whsec_a")
		noErr(t, err)
		_, err = s.CreateWebhookEndpoint(t.Context(), staff, portal.CreateWebhookEndpointInput{URL: "https://b.example/hook", Events: []portal.ActivityAction{portal.ActivityActionArchived}}, "whsec_b")
		noErr(t, err)
		_, err = s.CreateWebhookEndpoint(t.Context(), sqltest.Staff(f.Manager), portal.CreateWebhookEndpointInput{URL: "https://c.example/hook", Events: []portal.ActivityAction{portal.ActivityActionUpdated}}, "whsec_c")
		wantCode(t, err, portal.CodeForbidden)

		name := "Acme renamed"
		_, err = s.UpdateClient(t.Context(), staff, portal.UpdateClientInput{ID: f.A.ID, Name: &name})
		noErr(t, err)

		now := time.Now().Add(time.Second)
		due, err := s.ClaimWebhookDeliveries(t.Context(), now, 10, time.Minute)
		noErr(t, err)
		if len(due) != 1 || due[0].URL != updates.URL || due[0].Secret != "whsec_a" || due[0].Delivery.Event != portal.ActivityActionUpdated || due[0].Delivery.Attempts != 1 {
			t.Fatalf("claimed %+v", due)
		}
		again, err := s.ClaimWebhookDeliveries(t.Context(), now.Add(30*time.Second), 10, time.Minute)
		noErr(t, err)
		if len(again) != 0 {
			t.Fatalf("a leased delivery was claimed again: %+v", again)
		}

		next := now.Add(time.Hour)
		status := 502
		noErr(t, s.MarkWebhookFailed(t.Context(), due[0].Delivery, now, &status, "bad gateway", &next, 1))
		if later, err := s.ClaimWebhookDeliveries(t.Context(), now.Add(2*time.Minute), 10, time.Minute); err != nil || len(later) != 0 {
			t.Fatalf("claimed before its next attempt: %+v, %v", later, err)
		}
		// One failure was enough (disableAfter 1): the endpoint is
		// disabled, and its deliveries wait.
		eps, err := s.WebhookEndpoints(t.Context(), staff, portal.PageArgs{First: 10})
		noErr(t, err)
		for _, edge := range eps.Edges {
			if e := edge.Node; e.ID == updates.ID && (e.DisabledAt == nil || e.DisabledReason == nil || e.Failures != 1) {
				t.Fatalf("endpoint after failing %+v", e)
			}
		}
		if later, err := s.ClaimWebhookDeliveries(t.Context(), next.Add(time.Second), 10, time.Minute); err != nil || len(later) != 0 {
			t.Fatalf("claimed for a disabled endpoint: %+v, %v", later, err)
		}
		_, err = s.EnableWebhookEndpoint(t.Context(), staff, updates.ID)
		noErr(t, err)
		later, err := s.ClaimWebhookDeliveries(t.Context(), next.Add(time.Second), 10, time.Minute)
		noErr(t, err)
		// The waiting delivery, and enabling's own UPDATED event.
		if len(later) != 2 {
			t.Fatalf("claimed after enabling %+v", later)
		}
		if later[0].Delivery.ID != due[0].Delivery.ID {
			later[0], later[1] = later[1], later[0]
		}
		if later[0].Delivery.ID != due[0].Delivery.ID || later[0].Delivery.Attempts != 2 || later[1].Delivery.Event != portal.ActivityActionUpdated {
			t.Fatalf("claimed after enabling %+v, %+v", later[0].Delivery, later[1].Delivery)
		}
		for _, d := range later {
			noErr(t, s.MarkWebhookDelivered(t.Context(), d.Delivery, next, 204))
		}
		if rest, err := s.ClaimWebhookDeliveries(t.Context(), next.Add(24*time.Hour), 10, time.Minute); err != nil || len(rest) != 0 {
			t.Fatalf("claimed a delivered delivery: %+v, %v", rest, err)
		}
	})
}

// Workers on several servers claim at once: no delivery is claimed twice,
// no claim takes more than its limit, none fails, and together they take
// every due delivery.
func TestWebhookClaimsNeverOverlap(t *testing.T) {
	t.Parallel()
	sqltest.Run(t, func(t *testing.T, s *sqlstore.Store) {
		f := sqltest.LoadFixture(t, s)
		staff := sqltest.Staff(f.Owner)
		_, err := s.CreateWebhookEndpoint(t.Context(), staff, portal.CreateWebhookEndpointInput{URL: "https://a.example/hook", Events: []portal.ActivityAction{portal.ActivityActionUpdated}}, "whsec_a")
		noErr(t, err)
		const changes = 120
		for i := range changes {
			name := fmt.Sprintf("Acme %d", i)
			_, err := s.UpdateClient(t.Context(), staff, portal.UpdateClientInput{ID: f.A.ID, Name: &name})
			noErr(t, err)
		}

		now := time.Now().Add(time.Second)
		const limit = 7
		var mu sync.Mutex
		claimed := map[string]int{}
		var wg sync.WaitGroup
		for range 6 {
			wg.Go(func() {
				for range 10 {
					due, err := s.ClaimWebhookDeliveries(t.Context(), now, limit, time.Hour)
					if err != nil {
						t.Error(err)
						return
					}
					if len(due) > limit {
						t.Errorf("a claim of at most %d took %d", limit, len(due))
					}
					mu.Lock()
					for _, d := range due {
						claimed[d.Delivery.ID]++
					}
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		for id, n := range claimed {
			if n != 1 {
				t.Errorf("delivery %s claimed %d times", id, n)
			}
		}
		// The claims could take 6 × 10 × 7 = 420: every delivery is taken.
		if len(claimed) < changes {
			t.Errorf("%d deliveries claimed, want all %d", len(claimed), changes)
		}
	})
}
