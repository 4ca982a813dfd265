package mail

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"portalgraph/internal/portal"
	"portalgraph/internal/sqlstore"
	"portalgraph/internal/sqlstore/sqltest"
)

func TestMain(m *testing.M) { sqltest.Main(m) }

// fakeSender records what it is asked to send and fails for recipients
// it is told to, a number of times each.
type fakeSender struct {
	mu    sync.Mutex
	sent  map[string]int // message ID → times sent
	fails map[string]int // recipient → failures left
	calls int
}

func newFakeSender() *fakeSender {
	return &fakeSender{sent: map[string]int{}, fails: map[string]int{}}
}

func (f *fakeSender) Send(_ context.Context, m *portal.OutboxMessage) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.fails[m.Recipient] > 0 {
		f.fails[m.Recipient]--
		return errors.New("550 mailbox unavailable")
	}
	f.sent[m.ID]++
	return nil
}

// queue puts messages for the recipients in W1's outbox, oldest first.
func queue(t *testing.T, s *sqlstore.Store, f *sqltest.Fixture, recipients ...string) []string {
	t.Helper()
	start := time.Now().UTC().Add(-time.Hour)
	ids := make([]string, len(recipients))
	db := s.DB()
	for i, to := range recipients {
		at := start.Add(time.Duration(i) * time.Millisecond)
		ids[i] = portal.NewID(portal.PrefixMessage, at)
		if _, err := db.ExecContext(t.Context(), db.Rebind(`INSERT INTO outbox (workspace_id, id, kind, recipient, subject, body, created_at)
			VALUES (?, ?, 'TEST', ?, 'subject', 'body', ?)`), f.W1.ID, ids[i], to, at); err != nil {
			t.Fatal(err)
		}
	}
	return ids
}

type state struct {
	Attempts  int        `db:"attempts"`
	SentAt    *time.Time `db:"sent_at"`
	LastError *string    `db:"last_error"`
}

func stateOf(t *testing.T, s *sqlstore.Store, id string) state {
	t.Helper()
	var st state
	if err := s.DB().GetContext(t.Context(), &st, s.DB().Rebind("SELECT attempts, sent_at, last_error FROM outbox WHERE id = ?"), id); err != nil {
		t.Fatal(err)
	}
	return st
}

func TestWorkerSendsPending(t *testing.T) {
	t.Parallel()
	sqltest.Run(t, func(t *testing.T, s *sqlstore.Store) {
		f := sqltest.LoadFixture(t, s)
		ctx := t.Context()
		ids := queue(t, s, f, "a@example.com", "flaky@example.com", "c@example.com")
		sender := newFakeSender()
		sender.fails["flaky@example.com"] = 1
		var logged bytes.Buffer
		w := NewWorker(s, sender, slog.New(slog.NewTextHandler(&logged, nil)))

		sent, err := w.SendPending(ctx)
		if err != nil || sent != 2 {
			t.Fatalf("first round sent %d, %v; want 2", sent, err)
		}
		for _, id := range []string{ids[0], ids[2]} {
			if st := stateOf(t, s, id); st.SentAt == nil || st.Attempts != 1 || st.LastError != nil {
				t.Errorf("sent message %+v", st)
			}
		}
		if st := stateOf(t, s, ids[1]); st.SentAt != nil || st.Attempts != 1 || !strings.Contains(*st.LastError, "mailbox unavailable") {
			t.Errorf("failed message %+v", st)
		}
		if !strings.Contains(logged.String(), "sending mail failed") || !strings.Contains(logged.String(), ids[1]) {
			t.Errorf("the failure is not logged: %q", logged.String())
		}

		// The next round retries the failed message, and only it.
		sent, err = w.SendPending(ctx)
		if err != nil || sent != 1 {
			t.Fatalf("second round sent %d, %v; want 1", sent, err)
		}
		if st := stateOf(t, s, ids[1]); st.SentAt == nil || st.Attempts != 2 || st.LastError != nil {
			t.Errorf("retried message %+v", st)
		}
		calls := sender.calls
		if sent, err := w.SendPending(ctx); err != nil || sent != 0 || sender.calls != calls {
			t.Errorf("a round with nothing waiting sent %d (%d calls), %v", sent, sender.calls-calls, err)
		}
		for _, id := range ids {
			if sender.sent[id] != 1 {
				t.Errorf("message %s sent %d times", id, sender.sent[id])
			}
		}

		// A message that keeps failing is given up on after five attempts.
		stuck := queue(t, s, f, "dead@example.com")[0]
		sender.fails["dead@example.com"] = 100
		for range 7 {
			if _, err := w.SendPending(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if st := stateOf(t, s, stuck); st.Attempts != 5 || st.SentAt != nil || sender.fails["dead@example.com"] != 95 {
			t.Errorf("stuck message %+v, tried %d times", st, 100-sender.fails["dead@example.com"])
		}
	})
}

// Several mailers at once send every message exactly once.
func TestWorkersNeverSendTwice(t *testing.T) {
	t.Parallel()
	sqltest.Run(t, func(t *testing.T, s *sqlstore.Store) {
		f := sqltest.LoadFixture(t, s)
		recipients := make([]string, 200)
		for i := range recipients {
			recipients[i] = fmt.Sprintf("to%03d@example.com", i)
		}
		ids := queue(t, s, f, recipients...)
		sender := newFakeSender()
		var wg sync.WaitGroup
		for range 6 {
			w := NewWorker(s, sender, slog.New(slog.DiscardHandler))
			wg.Go(func() {
				for range 20 {
					if _, err := w.SendPending(t.Context()); err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		for _, id := range ids {
			if sender.sent[id] != 1 {
				t.Errorf("message %s sent %d times", id, sender.sent[id])
			}
		}
	})
}

func TestNewSMTP(t *testing.T) {
	for _, bad := range []string{
		"", "mail.example:25", "http://mail.example:25?from=a@example.com", "smtp://?from=a@example.com",
		"smtp://mail.example:25", "smtp://mail.example:25?from=", "smtp://%zz", "smtps://mail.example?from=a@example.com",
	} {
		if s, err := NewSMTP(bad); err == nil {
			t.Errorf("NewSMTP(%q) = %+v, want an error", bad, s)
		}
	}
	cases := []struct {
		url, addr, from string
		auth            bool
	}{
		{"smtp://mail.example:2525?from=portal@agency.example", "mail.example:2525", "portal@agency.example", false},
		{"smtp://mail.example?from=portal@agency.example", "mail.example:587", "portal@agency.example", false},
		{"smtp://user:p%40ss@mail.example:465?from=Portal+%3Cportal@agency.example%3E", "mail.example:465", "Portal <portal@agency.example>", true},
		{"smtp://[::1]:25?from=a@example.com", "[::1]:25", "a@example.com", false},
	}
	for _, c := range cases {
		s, err := NewSMTP(c.url)
		if err != nil {
			t.Errorf("NewSMTP(%q): %v", c.url, err)
			continue
		}
		if s.addr != c.addr || s.from != c.from || (s.auth != nil) != c.auth {
			t.Errorf("NewSMTP(%q) = addr %q from %q auth %v; want %q %q %v", c.url, s.addr, s.from, s.auth != nil, c.addr, c.from, c.auth)
		}
	}
}

// fakeSMTPServer accepts one SMTP session and hands over what it received.
func fakeSMTPServer(t *testing.T) (addr string, received <-chan string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	out := make(chan string, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
		r := bufio.NewReader(conn)
		reply := func(s string) { fmt.Fprintf(conn, "%s\r\n", s) }
		var got strings.Builder
		reply("220 fake ESMTP")
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			cmd := strings.ToUpper(strings.TrimSpace(line))
			switch {
			case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
				reply("250 fake")
			case strings.HasPrefix(cmd, "MAIL FROM:"), strings.HasPrefix(cmd, "RCPT TO:"):
				got.WriteString(strings.TrimSpace(line) + "\n")
				reply("250 OK")
			case cmd == "DATA":
				reply("354 go ahead")
				for {
					l, err := r.ReadString('\n')
					if err != nil {
						return
					}
					if l == ".\r\n" {
						break
					}
					got.WriteString(l)
				}
				reply("250 queued")
			case cmd == "QUIT":
				reply("221 bye")
				out <- got.String()
				return
			default:
				reply("250 OK")
			}
		}
	}()
	return ln.Addr().String(), out
}

func TestSMTPSend(t *testing.T) {
	addr, received := fakeSMTPServer(t)
	s, err := NewSMTP("smtp://" + addr + "?from=portal@agency.example")
	if err != nil {
		t.Fatal(err)
	}
	err = s.Send(t.Context(), &portal.OutboxMessage{
		ID: "msg_1", Recipient: "ann@acme.example",
		// A client's name can hold a line break, and letters beyond ASCII.
		Subject: "You are invited to the Müller\r\nBcc: victim@example.com portal",
		Body:    "Hello Ann,\n\nChoose your password:\nhttps://portal.example/x\n",
	})
	if err != nil {
		t.Fatal(err)
	}
	var got string
	select {
	case got = <-received:
	case <-time.After(10 * time.Second):
		t.Fatal("the server received nothing")
	}
	header, body, ok := strings.Cut(got, "\r\n\r\n")
	if !ok {
		t.Fatalf("no header and body in %q", got)
	}
	header += "\r\n"
	for _, want := range []string{"MAIL FROM:<portal@agency.example>", "RCPT TO:<ann@acme.example>", "From: portal@agency.example\r\n",
		"To: ann@acme.example\r\n", "Message-ID: <msg_1@portalgraph>\r\n", "Content-Type: text/plain; charset=utf-8\r\n", "\r\nDate: "} {
		if !strings.Contains(header, want) {
			t.Errorf("header lacks %q:\n%s", want, header)
		}
	}
	if strings.Contains(header, "\nBcc:") || strings.Count(header, "Subject: ") != 1 || !strings.Contains(header, "Subject: =?utf-8?q?") {
		t.Errorf("the subject is not one encoded header line:\n%s", header)
	}
	if body != "Hello Ann,\r\n\r\nChoose your password:\r\nhttps://portal.example/x\r\n" {
		t.Errorf("body %q", body)
	}
}

func TestLogSender(t *testing.T) {
	var logged bytes.Buffer
	l := Log{Logger: slog.New(slog.NewJSONHandler(&logged, nil))}
	err := l.Send(t.Context(), &portal.OutboxMessage{ID: "msg_1", Recipient: "ann@acme.example", Subject: "Invitation", Body: "link: https://portal.example/x"})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"to":"ann@acme.example"`, `"subject":"Invitation"`, `"body":"link: https://portal.example/x"`, "not sent"} {
		if !strings.Contains(logged.String(), want) {
			t.Errorf("log %s lacks %s", logged.String(), want)
		}
	}
}
