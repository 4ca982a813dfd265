// Package signedurl makes and checks the short-lived links files are
// downloaded through. A link names the file and the session it was made
// in, and carries an HMAC of both with its expiry: it cannot be forged,
// altered or used late. The server checks, when it is used, that the
// session is still alive and still sees the file, so a link dies with a
// sign-out, a suspension or a file unshared meanwhile.
package signedurl

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"portalgraph/internal/portal"
)

// Claims is what a link says: a file, for a session, until a time.
type Claims struct {
	FileID      string `json:"f"`
	WorkspaceID string `json:"w"`
	SessionID   string `json:"s"`
	Expires     int64  `json:"e"`
}

// Signer signs and verifies links with one key.
type Signer struct {
	key []byte
	ttl time.Duration
	now func() time.Time
}

// MinKeyBytes is the shortest key accepted.
const MinKeyBytes = 32

// New returns a signer whose links last ttl. A nil key draws a random
// one: links then stop working when the process restarts and are not
// accepted by other processes.
func New(key []byte, ttl time.Duration, now func() time.Time) (*Signer, error) {
	if key == nil {
		key = make([]byte, MinKeyBytes)
		_, _ = rand.Read(key)
	}
	if len(key) < MinKeyBytes {
		return nil, errors.New("signedurl: the key must be at least 32 bytes")
	}
	if now == nil {
		now = time.Now
	}
	return &Signer{key: key, ttl: ttl, now: now}, nil
}

// ErrInvalid is returned for a link that was not made by this server or
// was altered; ErrExpired for one used too late.
var (
	ErrInvalid = errors.New("the download link is not valid")
	ErrExpired = errors.New("the download link has expired")
)

// Sign makes the token of a link to a file for a principal's session.
func (s *Signer) Sign(p portal.Principal, fileID string) (token string, expires time.Time) {
	expires = s.now().Add(s.ttl).Truncate(time.Second)
	c := Claims{FileID: fileID, WorkspaceID: p.WorkspaceID, SessionID: p.SessionID, Expires: expires.Unix()}
	payload, _ := json.Marshal(c)
	body := base64.RawURLEncoding.EncodeToString(payload)
	return body + "." + base64.RawURLEncoding.EncodeToString(s.mac(body)), expires
}

// Verify checks a token and returns its claims.
func (s *Signer) Verify(token string) (Claims, error) {
	body, sig, ok := strings.Cut(token, ".")
	if !ok {
		return Claims{}, ErrInvalid
	}
	got, err := base64.RawURLEncoding.Strict().DecodeString(sig)
	if err != nil || !hmac.Equal(got, s.mac(body)) {
		return Claims{}, ErrInvalid
	}
	payload, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil {
		return Claims{}, ErrInvalid
	}
	var c Claims
	if err := json.Unmarshal(payload, &c); err != nil || c.FileID == "" || c.SessionID == "" {
		return Claims{}, ErrInvalid
	}
	if s.now().Unix() >= c.Expires {
		return Claims{}, ErrExpired
	}
	return c, nil
}

func (s *Signer) mac(body string) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(body))
	return m.Sum(nil)
}
