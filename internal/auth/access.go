package auth

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"portalgraph/internal/clientaddr"
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
	CreateWorkspace(ctx context.Context, in portal.NewWorkspace, inv portal.Invitation) (*portal.Workspace, *portal.User, error)
	StartPreview(ctx context.Context, p portal.Principal, contactID string, token *portal.AccessToken) (*portal.Contact, error)
	InviteStaff(ctx context.Context, p portal.Principal, in portal.InviteStaffInput, inv portal.Invitation, mail func(u *portal.User) (subject, body string)) (*portal.User, error)
	ReinviteStaff(ctx context.Context, p portal.Principal, userID string, inv portal.Invitation, mail func(u *portal.User) (subject, body string)) (*portal.User, error)
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

// Sign-in throttling. Failures within the window are counted under three
// keys, each with its own limit, so that nobody can spend someone else's
// budget:
//
//   - an account from one address: slowed from 3 failures, refused from
//     10. This is what stops guessing one account's password, and it
//     refuses the guesser's address only, never the owner's elsewhere.
//   - an account from anywhere: slowed from 5 failures, never refused, and
//     held at most 2 s. Guesses spread over many addresses are slowed, but
//     cannot lock the owner out.
//   - an address, whatever the accounts: slowed from 20 failures, refused
//     from 50. That is password spraying; the bar is high because many
//     people (an office, a campus) may share one address.
//
// IPv6 addresses are counted by their /64: one host has a whole /64 to
// pick addresses from.
const throttleWindow = 15 * time.Minute

var (
	pairLimit    = limit{slowFrom: 3, maxHold: 4 * time.Second, refuseFrom: 10}
	accountLimit = limit{slowFrom: 5, maxHold: 2 * time.Second}
	addrLimit    = limit{slowFrom: 20, maxHold: 4 * time.Second, refuseFrom: 50}
	// Guessing invitation tokens is counted by address alone: a token
	// names no account until it is right.
	inviteLimit = limit{slowFrom: 3, maxHold: 4 * time.Second, refuseFrom: 10}
)

// limit is how failures under one key throttle an attempt: held from
// slowFrom failures, a quarter second doubling with each failure up to
// maxHold, and refused from refuseFrom (0: never).
type limit struct {
	slowFrom   int
	maxHold    time.Duration
	refuseFrom int
}

func (l limit) apply(n int) (hold time.Duration, refused bool) {
	switch {
	case l.refuseFrom > 0 && n >= l.refuseFrom:
		return 0, true
	case n >= l.slowFrom:
		// Bounded before shifting: a long run of failures must not
		// shift the delay past 64 bits, back to nothing.
		return min(250*time.Millisecond<<min(n-l.slowFrom, 16), l.maxHold), false
	}
	return 0, false
}

// signInKeys are the keys a sign-in attempt's failures are counted under.
type signInKeys struct {
	account string // the account from anywhere
	pair    string // the account from this address
	addr    string // this address, whatever the account; "" when unknown
}

// keysFor names what an attempt guesses at. An account is a workspace's
// staff member or contact, but the keys are made from what the caller
// sent (the email, the workspace's slug if any, the address), never from
// which accounts exist, so throttling answers alike for known and unknown
// emails and tells nobody which workspaces an email belongs to.
//
// With a workspace named, the attempt checks the password of that
// workspace's accounts only, and counts against them alone: failures for
// one workspace's account never throttle another workspace's account of
// the same email. Without one, the password is checked against the
// email's accounts in every workspace at once, so the attempt is a guess
// at each of them, and its failures count against them together, under
// a key of their own. A guesser thus has two budgets per account and
// address (named and unnamed), still bounded, where counting unnamed
// attempts against each matching account would need the accounts, and
// so answer differently for emails that have none. A slug that names no
// workspace checks no password, so inventing slugs buys no guesses.
func keysFor(email, workspace, addr string) signInKeys {
	account := "account:" + strconv.Quote(workspace) + ":" + email
	if workspace == "" {
		account = "account:*:" + email
	}
	addr = clientaddr.Holder(addr)
	k := signInKeys{account: account, pair: "from:" + addr + " " + account}
	if addr != "" {
		k.addr = "addr:" + addr
	}
	return k
}

// limits are the keys an attempt is throttled by, with their limits.
func (k signInKeys) limits() map[string]limit {
	out := map[string]limit{k.account: accountLimit, k.pair: pairLimit}
	if k.addr != "" {
		out[k.addr] = addrLimit
	}
	return out
}

// all are the keys a failed attempt is recorded under.
func (k signInKeys) all() []string {
	return slices.Sorted(maps.Keys(k.limits()))
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
// learn which emails have accounts; repeated failures are slowed, then
// refused, as keysFor and the limits above say.
func (a *Access) LogIn(ctx context.Context, email, password, workspace, addr string) (Session, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	keys := keysFor(email, workspace, addr)
	if err := a.throttle(ctx, keys.limits()); err != nil {
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
		if err := a.store.RecordLoginFailure(ctx, keys.all()); err != nil {
			return Session{}, err
		}
		return Session{}, errBadCredentials
	case 1:
	default:
		return Session{}, portal.InvalidField("input.workspace", "this email signs in to several workspaces: name one by its slug")
	}
	// The owner proved the password from this address: their own slips
	// from here are forgotten. The failures of others (the account's
	// from elsewhere, the address's at other accounts) still count.
	if err := a.store.ClearLoginFailures(ctx, keys.pair); err != nil {
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

// throttle refuses an attempt when the recent failures under any of its
// keys reach that key's refusal, and otherwise holds it for the longest
// delay any key asks.
func (a *Access) throttle(ctx context.Context, limits map[string]limit) error {
	failures, err := a.store.LoginFailures(ctx, slices.Sorted(maps.Keys(limits)), time.Now().Add(-throttleWindow))
	if err != nil {
		return err
	}
	var hold time.Duration
	for key, l := range limits {
		d, refused := l.apply(failures[key])
		if refused {
			return &portal.Error{Code: portal.CodeRateLimited, Message: fmt.Sprintf("too many failed attempts: try again in %d minutes", int(throttleWindow.Minutes()))}
		}
		hold = max(hold, d)
	}
	return a.opts.Hold(ctx, hold)
}

var errBadInvite = portal.Unauthenticated("this invitation is invalid or has expired")

// AcceptInvite redeems an invitation token, a contact's to the portal or
// a staff member's: their password is set and they are signed in.
// Guessing tokens is throttled by address like signing in, and the costly
// password hash is made only for an open invitation.
func (a *Access) AcceptInvite(ctx context.Context, inviteToken, password, addr string) (Session, error) {
	if len([]rune(password)) < MinPasswordLength {
		return Session{}, portal.InvalidField("input.password", fmt.Sprintf("must be at least %d characters long", MinPasswordLength))
	}
	key := "invite-addr:" + clientaddr.Holder(addr)
	if err := a.throttle(ctx, map[string]limit{key: inviteLimit}); err != nil {
		return Session{}, err
	}
	hash := HashToken(strings.TrimSpace(inviteToken))
	open, err := a.store.InviteOpen(ctx, hash)
	if err != nil {
		return Session{}, err
	}
	if !open {
		if err := a.store.RecordLoginFailure(ctx, []string{key}); err != nil {
			return Session{}, err
		}
		return Session{}, errBadInvite
	}
	token, session := a.newToken(portal.TokenSession, a.opts.SessionTTL)
	if _, err := a.store.AcceptInvite(ctx, hash, HashPassword(password), session); err != nil {
		return Session{}, err
	}
	aud := portal.AudiencePortal
	if session.UserID != nil {
		aud = portal.AudienceStaff
	}
	return Session{Token: token, ExpiresAt: *session.ExpiresAt, Audience: aud}, nil
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
	hash, link, expires := a.newInvitation("/portal/accept-invite")
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

// InviteStaff adds a staff member and invites them to choose a password,
// as a new workspace's owner is: the link is mailed to them and shown to
// the staff member who invited them, once.
func (a *Access) InviteStaff(ctx context.Context, p portal.Principal, in portal.InviteStaffInput) (*portal.User, string, time.Time, error) {
	hash, link, expires := a.newInvitation("/accept-invite")
	u, err := a.store.InviteStaff(ctx, p, in, portal.Invitation{TokenHash: hash, ExpiresAt: expires}, func(u *portal.User) (string, string) {
		return staffInvitationMail(u, link, expires)
	})
	if err != nil {
		return nil, "", time.Time{}, err
	}
	return u, link, expires, nil
}

// ReinviteStaff sends a staff member who has not chosen a password yet a
// new invitation, as InviteStaff does, ending the ones before.
func (a *Access) ReinviteStaff(ctx context.Context, p portal.Principal, userID string) (*portal.User, string, time.Time, error) {
	hash, link, expires := a.newInvitation("/accept-invite")
	u, err := a.store.ReinviteStaff(ctx, p, userID, portal.Invitation{TokenHash: hash, ExpiresAt: expires}, func(u *portal.User) (string, string) {
		return staffInvitationMail(u, link, expires)
	})
	if err != nil {
		return nil, "", time.Time{}, err
	}
	return u, link, expires, nil
}

// staffInvitationMail is the mail of a staff member's invitation.
func staffInvitationMail(u *portal.User, link string, expires time.Time) (subject, body string) {
	return "You are invited to join your team",
		fmt.Sprintf("Hello %s,\n\nYou are invited to join your team's workspace.\n\nChoose your password here (the link works once, until %s):\n%s\n",
			u.Name, expires.Format("2 January 2006 15:04 MST"), link)
}

// CreatedWorkspace is a new workspace, its owner, and the link by which the
// owner chooses a password (the acceptInvite mutation takes its token).
type CreatedWorkspace struct {
	Workspace  *portal.Workspace
	Owner      *portal.User
	InviteLink string
	ExpiresAt  time.Time
}

// CreateWorkspace creates a workspace with its owner, invited to choose a
// password as a contact is: the link lasts as long and works once. It is
// shown once, to the operator who hands it to the owner; no mail is sent.
func (a *Access) CreateWorkspace(ctx context.Context, in portal.NewWorkspace) (CreatedWorkspace, error) {
	hash, link, expires := a.newInvitation("/accept-invite")
	ws, owner, err := a.store.CreateWorkspace(ctx, in, portal.Invitation{TokenHash: hash, ExpiresAt: expires})
	if err != nil {
		return CreatedWorkspace{}, err
	}
	return CreatedWorkspace{Workspace: ws, Owner: owner, InviteLink: link, ExpiresAt: expires}, nil
}

// newInvitation makes an invitation's token: the hash stored, the link to
// the frontend's page at path that carries the token, and when it expires.
func (a *Access) newInvitation(path string) (hash, link string, expires time.Time) {
	token, hash := newSecret()
	link = strings.TrimRight(a.opts.PublicURL, "/") + path + "?token=" + url.QueryEscape(token)
	return hash, link, time.Now().UTC().Truncate(time.Microsecond).Add(a.opts.InviteTTL)
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
