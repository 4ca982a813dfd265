package auth

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/url"
	"strings"
	"time"

	"portalgraph/internal/portal"
)

// AccessStore is the storage signing in, invitations and previews need.
type AccessStore interface {
	LoginAccounts(ctx context.Context, email string) ([]portal.LoginAccount, error)
	StartSession(ctx context.Context, a portal.Account, session *portal.AccessToken) error
	EndSession(ctx context.Context, p portal.Principal) (bool, error)
	LoginFailures(ctx context.Context, keys []string, since time.Time) (map[string]int, error)
	RecordLoginFailure(ctx context.Context, keys []string) error
	ClearLoginFailures(ctx context.Context, key string) error
	InviteContact(ctx context.Context, p portal.Principal, contactID string, inv portal.Invitation) (*portal.Contact, error)
	InviteOpen(ctx context.Context, tokenHash string) (bool, error)
	AcceptInvite(ctx context.Context, tokenHash, passwordHash string, session *portal.AccessToken) (*portal.Contact, error)
	StartPreview(ctx context.Context, p portal.Principal, contactID string, token *portal.AccessToken) (*portal.Contact, error)
}

// Options set the lifetimes of what Access hands out and where its links
// point.
type Options struct {
	// PublicURL is where the portal's frontend is served; invitation
	// links point there.
	PublicURL  string
	SessionTTL time.Duration
	InviteTTL  time.Duration
	PreviewTTL time.Duration
	// Hold keeps a throttled sign-in attempt waiting; nil sleeps, which is
	// what a server wants and a test may not.
	Hold func(ctx context.Context, d time.Duration) error
}

func (o *Options) defaults() {
	if o.Hold == nil {
		o.Hold = sleepCtx
	}
	if o.PublicURL == "" {
		o.PublicURL = "http://localhost:8080"
	}
	if o.SessionTTL == 0 {
		o.SessionTTL = 24 * time.Hour
	}
	if o.InviteTTL == 0 {
		o.InviteTTL = 7 * 24 * time.Hour
	}
	if o.PreviewTTL == 0 {
		o.PreviewTTL = 30 * time.Minute
	}
}

// Sign-in throttling: within the window, failures for an email or from an
// address first slow further attempts, then refuse them.
const (
	throttleWindow = 15 * time.Minute
	slowAfter      = 3
	refuseAfter    = 10
)

// throttle says how long to hold an attempt after n recent failures, or
// that it is refused.
func throttle(n int) (delay time.Duration, refused bool) {
	switch {
	case n >= refuseAfter:
		return 0, true
	case n >= slowAfter:
		return min(250*time.Millisecond<<(n-slowAfter), 4*time.Second), false
	}
	return 0, false
}

// Access signs people in and out, redeems invitations, and makes the
// tokens of invitations and previews.
type Access struct {
	store AccessStore
	opts  Options
}

func NewAccess(store AccessStore, opts Options) *Access {
	opts.defaults()
	return &Access{store: store, opts: opts}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Session is a signed-in session's token.
type Session struct {
	Token     string
	ExpiresAt time.Time
	Audience  portal.Audience
}

var errBadCredentials = portal.Unauthenticated("the email or password is incorrect")

// LogIn signs a staff member or a portal contact in. Whatever goes wrong
// before the password is proven says the same thing, so a caller cannot
// learn which emails have accounts; repeated failures for an email or from
// an address are slowed, then refused.
func (a *Access) LogIn(ctx context.Context, email, password, workspace, addr string) (Session, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	keys := []string{"email:" + email}
	if addr != "" {
		keys = append(keys, "addr:"+addr)
	}
	if err := a.throttle(ctx, keys); err != nil {
		return Session{}, err
	}
	accounts, err := a.store.LoginAccounts(ctx, email)
	if err != nil {
		return Session{}, err
	}
	var matches []portal.LoginAccount
	checked := false
	for _, acc := range accounts {
		if workspace != "" && acc.WorkspaceSlug != workspace || acc.PasswordHash == nil {
			continue
		}
		checked = true
		if CheckPassword(*acc.PasswordHash, password) {
			matches = append(matches, acc)
		}
	}
	if !checked {
		CheckPassword("", password) // the same cost as a real check
	}
	switch len(matches) {
	case 0:
		if err := a.store.RecordLoginFailure(ctx, keys); err != nil {
			return Session{}, err
		}
		return Session{}, errBadCredentials
	case 1:
	default:
		return Session{}, portal.InvalidField("input.workspace", "this email signs in to several workspaces: name one by its slug")
	}
	if err := a.store.ClearLoginFailures(ctx, keys[0]); err != nil {
		return Session{}, err
	}
	acc := matches[0].Account
	token, session := a.newToken(portal.TokenSession, a.opts.SessionTTL)
	if err := a.store.StartSession(ctx, acc, session); err != nil {
		return Session{}, err
	}
	aud := portal.AudienceStaff
	if acc.ContactID != nil {
		aud = portal.AudiencePortal
	}
	return Session{Token: token, ExpiresAt: *session.ExpiresAt, Audience: aud}, nil
}

// throttle holds or refuses an attempt after recent failures under any
// of its keys.
func (a *Access) throttle(ctx context.Context, keys []string) error {
	failures, err := a.store.LoginFailures(ctx, keys, time.Now().Add(-throttleWindow))
	if err != nil {
		return err
	}
	worst := 0
	for _, n := range failures {
		worst = max(worst, n)
	}
	delay, refused := throttle(worst)
	if refused {
		return &portal.Error{Code: portal.CodeRateLimited, Message: fmt.Sprintf("too many failed attempts: try again in %d minutes", int(throttleWindow.Minutes()))}
	}
	return a.opts.Hold(ctx, delay)
}

var errBadInvite = portal.Unauthenticated("this invitation is invalid or has expired")

// AcceptInvite redeems an invitation token: the contact's password is set
// and they are signed in. Guessing tokens is throttled by address like
// signing in, and the costly password hash is made only for an open
// invitation.
func (a *Access) AcceptInvite(ctx context.Context, inviteToken, password, addr string) (Session, error) {
	if len([]rune(password)) < MinPasswordLength {
		return Session{}, portal.InvalidField("input.password", fmt.Sprintf("must be at least %d characters long", MinPasswordLength))
	}
	keys := []string{"invite-addr:" + addr}
	if err := a.throttle(ctx, keys); err != nil {
		return Session{}, err
	}
	hash := HashToken(strings.TrimSpace(inviteToken))
	open, err := a.store.InviteOpen(ctx, hash)
	if err != nil {
		return Session{}, err
	}
	if !open {
		if err := a.store.RecordLoginFailure(ctx, keys); err != nil {
			return Session{}, err
		}
		return Session{}, errBadInvite
	}
	token, session := a.newToken(portal.TokenSession, a.opts.SessionTTL)
	if _, err := a.store.AcceptInvite(ctx, hash, HashPassword(password), session); err != nil {
		return Session{}, err
	}
	return Session{Token: token, ExpiresAt: *session.ExpiresAt, Audience: portal.AudiencePortal}, nil
}

// LogOut ends the session the principal's request was made with.
func (a *Access) LogOut(ctx context.Context, p portal.Principal) (bool, error) {
	if p.SessionID == "" {
		return false, nil
	}
	return a.store.EndSession(ctx, p)
}

// Invite invites a contact to the portal and returns the invitation link,
// which is sent by mail and shown to the staff member once.
func (a *Access) Invite(ctx context.Context, p portal.Principal, contactID string) (*portal.Contact, string, time.Time, error) {
	token, hash := newSecret()
	link := strings.TrimRight(a.opts.PublicURL, "/") + "/portal/accept-invite?token=" + url.QueryEscape(token)
	expires := time.Now().UTC().Truncate(time.Microsecond).Add(a.opts.InviteTTL)
	c, err := a.store.InviteContact(ctx, p, contactID, portal.Invitation{
		TokenHash: hash, ExpiresAt: expires,
		Mail: func(c *portal.Contact, client *portal.Client) (string, string) {
			return "You are invited to the " + client.Name + " portal",
				fmt.Sprintf("Hello %s,\n\nYou are invited to the client portal of %s, where you can follow projects, review and approve work, and download files.\n\nChoose your password here (the link works once, until %s):\n%s\n",
					c.Name, client.Name, expires.Format("2 January 2006 15:04 MST"), link)
		},
	})
	if err != nil {
		return nil, "", time.Time{}, err
	}
	return c, link, expires, nil
}

// Preview makes a short, read-only token that sees the portal as the
// contact would.
func (a *Access) Preview(ctx context.Context, p portal.Principal, contactID string) (string, time.Time, *portal.Contact, error) {
	token, t := a.newToken(portal.TokenPreview, a.opts.PreviewTTL)
	c, err := a.store.StartPreview(ctx, p, contactID, t)
	if err != nil {
		return "", time.Time{}, nil, err
	}
	return token, *t.ExpiresAt, c, nil
}

func (a *Access) newToken(kind portal.TokenKind, ttl time.Duration) (string, *portal.AccessToken) {
	token, hash := NewToken()
	now := time.Now().UTC().Truncate(time.Microsecond)
	exp := now.Add(ttl)
	return token, &portal.AccessToken{Hash: hash, Kind: kind, ID: portal.NewID(portal.PrefixToken, now), CreatedAt: now, ExpiresAt: &exp}
}

// newSecret is a random secret for a link, and its stored hash.
func newSecret() (secret, hash string) {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	secret = base64.RawURLEncoding.EncodeToString(b)
	return secret, HashToken(secret)
}
