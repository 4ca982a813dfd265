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
}

// tokenPrefix marks portalgraph tokens, so secret scanners and people can
// recognise one.
const tokenPrefix = "pgt_"

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
}

func New(store TokenStore) *Authenticator { return &Authenticator{store: store} }

// Authenticate returns the principal of a request: anonymous without an
// Authorization header, UNAUTHENTICATED for a malformed, unknown, expired or
// revoked token or one whose holder may no longer sign in.
func (a *Authenticator) Authenticate(r *http.Request) (portal.Principal, error) {
	header := r.Header.Get("Authorization")
	if header == "" {
		return portal.Anonymous(), nil
	}
	scheme, token, ok := strings.Cut(header, " ")
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

// Session returns the principal of a session, by its token's ID, as a
// request made with that token now would have it: UNAUTHENTICATED once the
// session ended (signed out, revoked, expired) or its holder may no longer
// sign in.
func (a *Authenticator) Session(ctx context.Context, workspaceID, sessionID string) (portal.Principal, error) {
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
