package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"portalgraph/internal/live"
)

// liveChannel is the PostgreSQL channel committed changes are announced
// on, to every server of the database.
const liveChannel = "portalgraph_live"

// events is the store's side of live events: announced in the
// transaction of the change they describe, and delivered to this process's
// hub once that transaction commits. On PostgreSQL, pg_notify in the
// transaction does both for every process (PostgreSQL sends a
// notification only when, and if, its transaction commits); on SQLite the
// events of a transaction wait here for its commit.
type events struct {
	hub *live.Hub
	dsn string // PostgreSQL's, for the listening connection

	mu      sync.Mutex
	pending map[*sqlx.Tx][]live.Event

	listenOnce sync.Once
	listenErr  error
	listener   *pq.Listener
	stop       chan struct{}
	closeOnce  sync.Once
}

func newEvents(dsn string) *events {
	return &events{hub: live.NewHub(), dsn: dsn, pending: map[*sqlx.Tx][]live.Event{}, stop: make(chan struct{})}
}

// announce makes ev known to every server once db's transaction commits
// (at once when db is not a transaction).
func (s *Store) announce(ctx context.Context, db execer, ev live.Event) error {
	if s.dialect.isPostgres() {
		b, err := json.Marshal(ev)
		if err != nil {
			return err
		}
		if _, err := db.ExecContext(ctx, `SELECT pg_notify($1, $2)`, liveChannel, string(b)); err != nil {
			return fmt.Errorf("announce: %w", err)
		}
		return nil
	}
	if tx, ok := db.(*sqlx.Tx); ok {
		s.events.mu.Lock()
		if list, open := s.events.pending[tx]; open {
			s.events.pending[tx] = append(list, ev)
			s.events.mu.Unlock()
			return nil
		}
		s.events.mu.Unlock()
	}
	s.events.hub.Publish(ev)
	return nil
}

// began and ended bracket a transaction of inTx: on SQLite, its events are
// published if it committed and forgotten if not.
func (s *Store) began(tx *sqlx.Tx) {
	if s.dialect.isPostgres() {
		return
	}
	s.events.mu.Lock()
	s.events.pending[tx] = nil
	s.events.mu.Unlock()
}

func (s *Store) ended(tx *sqlx.Tx, committed bool) {
	if s.dialect.isPostgres() {
		return
	}
	s.events.mu.Lock()
	list := s.events.pending[tx]
	delete(s.events.pending, tx)
	s.events.mu.Unlock()
	if committed {
		for _, ev := range list {
			s.events.hub.Publish(ev)
		}
	}
}

// AnnounceAccess tells every server's subscribers of a workspace that who
// may see what changed there, so they check their credentials again now.
func (s *Store) AnnounceAccess(ctx context.Context, workspaceID string) error {
	return s.announce(ctx, s.db, live.Event{WorkspaceID: workspaceID, Access: true})
}

// Subscribe returns a subscription to the committed changes of a
// workspace, made through this server or any other of the database. The
// first subscription on PostgreSQL starts listening (one connection of
// its own, beside the pool) and returns once it listens.
func (s *Store) Subscribe(ctx context.Context, workspaceID string, buffer int) (*live.Subscription, error) {
	if s.dialect.isPostgres() {
		if err := s.listen(ctx); err != nil {
			return nil, err
		}
	}
	return s.events.hub.Subscribe(workspaceID, buffer), nil
}

// listen starts the connection that receives every server's announcements.
func (s *Store) listen(ctx context.Context) error {
	e := s.events
	e.listenOnce.Do(func() {
		connected := make(chan struct{}, 1)
		l := pq.NewListener(e.dsn, 100*time.Millisecond, 5*time.Second, func(ev pq.ListenerEventType, err error) {
			if ev == pq.ListenerEventConnected {
				select {
				case connected <- struct{}{}:
				default:
				}
			}
		})
		select {
		case <-connected:
		case <-ctx.Done():
			_ = l.Close()
			e.listenErr = fmt.Errorf("listen for live events: %w", ctx.Err())
			return
		case <-time.After(10 * time.Second):
			_ = l.Close()
			e.listenErr = fmt.Errorf("listen for live events: no connection")
			return
		}
		if err := l.Listen(liveChannel); err != nil {
			_ = l.Close()
			e.listenErr = fmt.Errorf("listen for live events: %w", err)
			return
		}
		e.listener = l
		go e.receive(l)
	})
	return e.listenErr
}

// receive publishes the announcements of every server to this process's
// subscribers. A reconnection may have lost some: every subscriber is told
// to check its access then, the nearest thing to knowing what it missed.
func (e *events) receive(l *pq.Listener) {
	for {
		select {
		case <-e.stop:
			return
		case n, ok := <-l.Notify:
			if !ok {
				return
			}
			if n == nil { // reconnected
				continue
			}
			var ev live.Event
			if err := json.Unmarshal([]byte(n.Extra), &ev); err != nil || ev.WorkspaceID == "" {
				continue
			}
			e.hub.Publish(ev)
		}
	}
}

func (e *events) close() {
	e.closeOnce.Do(func() {
		close(e.stop)
		// Once closed, no listener starts.
		e.listenOnce.Do(func() { e.listenErr = fmt.Errorf("listen for live events: the store is closed") })
		if e.listener != nil {
			_ = e.listener.Close()
		}
	})
}
