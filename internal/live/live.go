// Package live carries the events of committed changes to the subscribers
// of this process: what a write recorded in its activity, announced when
// its transaction committed. Which process the change was written through
// does not matter; the store brings every process the events of all (on
// PostgreSQL through LISTEN/NOTIFY, on SQLite within the process).
//
// An event names records; it holds none of their data. Whoever delivers
// it reads the records through the subscriber's own scope first.
package live

import (
	"sync"

	"portalgraph/internal/portal"
)

// Event is one committed change: the activity event it recorded.
type Event struct {
	WorkspaceID string                `json:"w"`
	ActivityID  string                `json:"id,omitempty"`
	Action      portal.ActivityAction `json:"a,omitempty"`
	RecordType  portal.RecordType     `json:"t,omitempty"`
	RecordID    string                `json:"r,omitempty"`
	ClientID    string                `json:"c,omitempty"`
	// DetailID names the record the change made under RecordID, when
	// there is one: the comment of a COMMENTED request.
	DetailID string `json:"d,omitempty"`
	// Access marks a change of who may see what (a session ended, a
	// contact suspended, a portal or a key changed): subscribers of the
	// workspace check their credentials and sections again.
	Access bool `json:"x,omitempty"`
}

// AccessChange reports whether the event may change what its workspace's
// subscribers may see, beyond the record it names.
func (e Event) AccessChange() bool {
	if e.Access {
		return true
	}
	switch e.RecordType {
	case portal.RecordTypeClient, portal.RecordTypeContact, portal.RecordTypePartnerKey, portal.RecordTypeUser, portal.RecordTypeRole:
		return true
	}
	return false
}

// Hub fans events out to this process's subscribers. Its zero value is
// not usable; use NewHub.
type Hub struct {
	mu   sync.Mutex
	subs map[*Subscription]struct{}
}

func NewHub() *Hub { return &Hub{subs: map[*Subscription]struct{}{}} }

// Subscription receives the events of one workspace on C. A subscriber
// too slow to take its events loses them: Dropped counts how many.
type Subscription struct {
	C           <-chan Event
	c           chan Event
	workspaceID string
	hub         *Hub
	mu          sync.Mutex
	dropped     int
	closed      bool
}

// Subscribe returns a subscription to the events of a workspace, with
// room for buffer of them waiting.
func (h *Hub) Subscribe(workspaceID string, buffer int) *Subscription {
	c := make(chan Event, buffer)
	s := &Subscription{C: c, c: c, workspaceID: workspaceID, hub: h}
	h.mu.Lock()
	h.subs[s] = struct{}{}
	h.mu.Unlock()
	return s
}

// Close ends the subscription; C is closed.
func (s *Subscription) Close() {
	s.hub.mu.Lock()
	delete(s.hub.subs, s)
	s.hub.mu.Unlock()
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		close(s.c)
	}
	s.mu.Unlock()
}

// Dropped is how many events the subscription lost to a full buffer.
func (s *Subscription) Dropped() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dropped
}

// Publish hands an event to every subscription of its workspace, never
// waiting for one.
func (h *Hub) Publish(ev Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs {
		if s.workspaceID != ev.WorkspaceID {
			continue
		}
		s.mu.Lock()
		if !s.closed {
			select {
			case s.c <- ev:
			default:
				s.dropped++
			}
		}
		s.mu.Unlock()
	}
}

// Subscribers counts the subscriptions open.
func (h *Hub) Subscribers() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs)
}
