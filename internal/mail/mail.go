// Package mail sends the mail the outbox holds: over SMTP when configured,
// otherwise to the log, so development needs nothing extra.
package mail

import (
	"context"
	"fmt"
	"log/slog"
	"mime"
	"net"
	"net/smtp"
	"net/url"
	"strings"
	"time"

	"portalgraph/internal/portal"
)

// Sender delivers one message.
type Sender interface {
	Send(ctx context.Context, m *portal.OutboxMessage) error
}

// Outbox is the store's side of sending: messages are leased while being
// sent, so several servers never send one twice.
type Outbox interface {
	ClaimOutbox(ctx context.Context, limit int, lease time.Duration) ([]*portal.OutboxMessage, error)
	MarkSent(ctx context.Context, m *portal.OutboxMessage) error
	MarkFailed(ctx context.Context, m *portal.OutboxMessage, cause error) error
}

// SMTP sends through an SMTP server, with STARTTLS when it offers it.
type SMTP struct {
	addr string
	from string
	auth smtp.Auth
}

// NewSMTP reads smtp://[user:password@]host:port?from=address.
func NewSMTP(raw string) (*SMTP, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "smtp" || u.Host == "" {
		return nil, fmt.Errorf("mail: %q is not smtp://[user:password@]host:port?from=address", raw)
	}
	from := u.Query().Get("from")
	if from == "" {
		return nil, fmt.Errorf("mail: the SMTP URL needs ?from=address")
	}
	host, port, err := net.SplitHostPort(u.Host)
	if err != nil {
		host, port = u.Host, "587"
	}
	s := &SMTP{addr: net.JoinHostPort(host, port), from: from}
	if u.User != nil {
		pass, _ := u.User.Password()
		s.auth = smtp.PlainAuth("", u.User.Username(), pass, host)
	}
	return s, nil
}

func (s *SMTP) Send(_ context.Context, m *portal.OutboxMessage) error {
	var msg strings.Builder
	fmt.Fprintf(&msg, "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: <%s@portalgraph>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n",
		oneLine(s.from), oneLine(m.Recipient), mime.QEncoding.Encode("utf-8", oneLine(m.Subject)), time.Now().Format(time.RFC1123Z), m.ID)
	msg.WriteString(strings.ReplaceAll(m.Body, "\n", "\r\n"))
	return smtp.SendMail(s.addr, s.auth, s.from, []string{m.Recipient}, []byte(msg.String()))
}

// oneLine keeps a header's value on its line: a line break in it (a
// client's name in a subject, say) would otherwise start a header of the
// sender's choosing.
func oneLine(v string) string {
	return strings.NewReplacer("\r\n", " ", "\r", " ", "\n", " ").Replace(v)
}

// Log writes messages to the log instead of sending them.
type Log struct{ Logger *slog.Logger }

func (l Log) Send(ctx context.Context, m *portal.OutboxMessage) error {
	l.Logger.InfoContext(ctx, "mail (not sent: no SMTP server configured)", "to", m.Recipient, "subject", m.Subject, "body", m.Body)
	return nil
}

// Worker sends what the outbox holds.
type Worker struct {
	outbox Outbox
	sender Sender
	log    *slog.Logger
}

func NewWorker(outbox Outbox, sender Sender, log *slog.Logger) *Worker {
	return &Worker{outbox: outbox, sender: sender, log: log}
}

// SendPending sends a batch of waiting messages and reports how many went.
func (w *Worker) SendPending(ctx context.Context) (int, error) {
	msgs, err := w.outbox.ClaimOutbox(ctx, 50, 2*time.Minute)
	if err != nil {
		return 0, err
	}
	sent := 0
	for _, m := range msgs {
		if err := w.sender.Send(ctx, m); err != nil {
			w.log.WarnContext(ctx, "sending mail failed", "message", m.ID, "attempt", m.Attempts, "error", err)
			if err := w.outbox.MarkFailed(ctx, m, err); err != nil {
				return sent, err
			}
			continue
		}
		if err := w.outbox.MarkSent(ctx, m); err != nil {
			return sent, err
		}
		sent++
	}
	return sent, nil
}

// Run sends waiting mail every interval until ctx ends.
func (w *Worker) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			if _, err := w.SendPending(ctx); err != nil && ctx.Err() == nil {
				w.log.ErrorContext(ctx, "mail worker", "error", err)
			}
		case <-ctx.Done():
			return
		}
	}
}
