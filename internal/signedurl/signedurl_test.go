package signedurl

import (
	"errors"
	"strings"
	"testing"
	"time"

	"portalgraph/internal/portal"
)

func TestSignVerify(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	s, err := New([]byte(strings.Repeat("k", 32)), 5*time.Minute, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	p := portal.Principal{Audience: portal.AudiencePortal, WorkspaceID: "wsp_1", ContactID: "con_1", ClientID: "cli_1", SessionID: "tok_1"}
	token, expires := s.Sign(p, "fil_1")
	if !expires.Equal(now.Add(5 * time.Minute)) {
		t.Errorf("expires %v", expires)
	}
	c, err := s.Verify(token)
	if err != nil {
		t.Fatal(err)
	}
	if c != (Claims{FileID: "fil_1", WorkspaceID: "wsp_1", SessionID: "tok_1", Expires: expires.Unix()}) {
		t.Errorf("claims %+v", c)
	}

	t.Run("altered", func(t *testing.T) {
		body, sig, _ := strings.Cut(token, ".")
		other, _ := s.Sign(p, "fil_2")
		otherBody, _, _ := strings.Cut(other, ".")
		for name, forged := range map[string]string{
			"other file, same signature": otherBody + "." + sig,
			"signature dropped":          body,
			"empty signature":            body + ".",
			"garbage":                    "x.y",
			"flipped last byte":          token[:len(token)-1] + string(token[len(token)-1]^1),
		} {
			if _, err := s.Verify(forged); !errors.Is(err, ErrInvalid) {
				t.Errorf("%s: err %v, want ErrInvalid", name, err)
			}
		}
	})
	t.Run("other key", func(t *testing.T) {
		other, _ := New([]byte(strings.Repeat("j", 32)), 5*time.Minute, func() time.Time { return now })
		if _, err := other.Verify(token); !errors.Is(err, ErrInvalid) {
			t.Errorf("err %v, want ErrInvalid", err)
		}
	})
	t.Run("expired", func(t *testing.T) {
		now = now.Add(5 * time.Minute)
		if _, err := s.Verify(token); !errors.Is(err, ErrExpired) {
			t.Errorf("err %v, want ErrExpired", err)
		}
	})
	t.Run("short key", func(t *testing.T) {
		if _, err := New([]byte("short"), time.Minute, nil); err == nil {
			t.Error("a 5-byte key was accepted")
		}
	})
}
