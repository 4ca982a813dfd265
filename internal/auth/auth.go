// Package auth authenticates requests: it turns the bearer token of a
// request into the principal the request acts as.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strings"
	"time"

	"portalgraph/internal/portal"
)

// TokenStore is the storage authentication needs.
type TokenStore interface {
	TokenHolder(ctx context.Context, hash string) (portal.TokenHolder, bool, error)
	SessionHolder(ctx context.Context, workspaceID, tokenID string) (portal.TokenHolder, bool, error)
	CreateToken(ctx context.Context, t *portal.AccessToken) error
	PartnerKeyBySecret(ctx context.Context, hash string) (*portal.PartnerKey, bool, error)
	PartnerKeyByID(ctx context.Context, workspaceID, id string) (*portal.PartnerKey, error)
	TouchPartnerKey(ctx context.Context, workspaceID, id string, at time.Time) error
}

// tokenPrefix marks portalgraph tokens, so secret scanners and people can
// recognise one.
const tokenPrefix = "pgt_"

// partnerKeyPrefix marks partners' API keys, told apart from tokens by it.
const partnerKeyPrefix = "pgk_"

// partnerKeyShown is how much of a key's secret is kept to recognise it
// by: the prefix and 8 characters, 48 of its 256 random bits.
const partnerKeyShown = len(partnerKeyPrefix) + 8

// NewPartnerSecret returns a new secret for a partner's key, and what is
// stored of it: its hash, as a token's, and its first characters.
func NewPartnerSecret() (string, portal.PartnerSecret) {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	secret := partnerKeyPrefix + base64.RawURLEncoding.EncodeToString(b)
	return secret, portal.PartnerSecret{Hash: HashToken(secret), Prefix: secret[:partnerKeyShown]}
}

// NewToken returns a new random token and the hash under which it is stored.
func NewToken() (token, hash string) {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	token = tokenPrefix + base64.RawURLEncoding.EncodeToString(b)
	return token, HashToken(token)
}

// HashToken is the stored form of a token. Tokens are 256 random bits, so a
// fast hash is enough: there is nothing to guess.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// Authenticator resolves request credentials to principals.
type Authenticator struct {
	store TokenStore
	now   func() time.Time
}

// Option configures an Authenticator.
type Option func(*Authenticator)

// WithClock sets the time partners' keys are checked and marked used at
// (default: time.Now).
func WithClock(now func() time.Time) Option { return func(a *Authenticator) { a.now = now } }

func New(store TokenStore, opts ...Option) *Authenticator {
	a := &Authenticator{store: store, now: time.Now}
	for _, o := range opts {
		o(a)
	}
	return a
}

// Authenticate returns the principal of a request: anonymous without an
// Authorization header, UNAUTHENTICATED for a malformed, unknown, expired or
// revoked token or one whose holder may no longer sign in.
func (a *Authenticator) Authenticate(r *http.Request) (portal.Principal, error) {
	header := r.Header.Get("Authorization")
	if header == "" {
		return portal.Anonymous(), nil
	}
	scheme, token, ok := strings.Cut(header, " ")
	if ok && strings.EqualFold(scheme, "Bearer") && strings.HasPrefix(token, partnerKeyPrefix) {
		return a.partnerKey(r.Context(), token)
	}
	if !ok || !strings.EqualFold(scheme, "Bearer") || !strings.HasPrefix(token, tokenPrefix) {
		return portal.Principal{}, portal.Unauthenticated("the Authorization header must be: Bearer <token>")
	}
	holder, found, err := a.store.TokenHolder(r.Context(), HashToken(token))
	if err != nil {
		return portal.Principal{}, err
	}
	if !found {
		return portal.Principal{}, portal.Unauthenticated("invalid or expired token")
	}
	return holder.Principal()
}

// partnerKey is the principal of a partner's key, by one of its secrets:
// UNAUTHENTICATED when no key has it, or the key is revoked or expired, or
// the secret was replaced by a rotation whose grace period is over. The
// key's lastUsedAt is written when it is a minute old or more.
func (a *Authenticator) partnerKey(ctx context.Context, secret string) (portal.Principal, error) {
	k, current, err := a.store.PartnerKeyBySecret(ctx, HashToken(secret))
	if err != nil {
		return portal.Principal{}, err
	}
	if k == nil {
		return portal.Principal{}, portal.Unauthenticated("invalid, expired or revoked API key")
	}
	now := a.now()
	p, err := k.Principal(now, current)
	if err != nil {
		return portal.Principal{}, err
	}
	if k.LastUsedAt == nil || now.Sub(*k.LastUsedAt) >= portal.PartnerKeyTouchEvery {
		if err := a.store.TouchPartnerKey(ctx, k.WorkspaceID, k.ID, now); err != nil {
			return portal.Principal{}, err
		}
	}
	return p, nil
}

// Session returns the principal of a session, by its token's ID, as a
// request made with that token now would have it: UNAUTHENTICATED once the
// session ended (signed out, revoked, expired) or its holder may no longer
// sign in. A partner's key is its own session: its download links work
// while the key does.
func (a *Authenticator) Session(ctx context.Context, workspaceID, sessionID string) (portal.Principal, error) {
	if portal.HasPrefix(sessionID, portal.PrefixPartnerKey) {
		k, err := a.store.PartnerKeyByID(ctx, workspaceID, sessionID)
		if err != nil {
			return portal.Principal{}, err
		}
		if k == nil {
			return portal.Principal{}, portal.Unauthenticated("the session has ended")
		}
		return k.Principal(a.now(), true)
	}
	holder, found, err := a.store.SessionHolder(ctx, workspaceID, sessionID)
	if err != nil {
		return portal.Principal{}, err
	}
	if !found {
		return portal.Principal{}, portal.Unauthenticated("the session has ended")
	}
	return holder.Principal()
}

// Issue creates and stores a token for a staff member (userID) or a portal
// contact (contactID); ttl 0 means it does not expire.
func (a *Authenticator) Issue(ctx context.Context, workspaceID string, userID, contactID *string, ttl time.Duration) (string, error) {
	token, hash := NewToken()
	now := time.Now().UTC().Truncate(time.Microsecond)
	t := &portal.AccessToken{
		Hash: hash, Kind: portal.TokenAPI, WorkspaceID: workspaceID, ID: portal.NewID(portal.PrefixToken, now),
		UserID: userID, ContactID: contactID, CreatedAt: now,
	}
	if ttl > 0 {
		exp := now.Add(ttl)
		t.ExpiresAt = &exp
	}
	if err := a.store.CreateToken(ctx, t); err != nil {
		return "", err
	}
	return token, nil
}
