package graph_test

import (
	"fmt"
	"testing"
	"time"

	"portalgraph/graph"
	"portalgraph/internal/clientaddr"
)

// Behind a load balancer every request comes from the balancer's address.
// X-Forwarded-For names the client only when the peer is a proxy the
// server trusts; the test server's peer is 127.0.0.1.

// trusting configures the server to trust the proxies of a CIDR list.
func trusting(t *testing.T, list string) func(*graph.Config) {
	t.Helper()
	prefixes, err := clientaddr.ParseTrusted(list)
	if err != nil {
		t.Fatal(err)
	}
	return func(c *graph.Config) { c.TrustedProxies = prefixes }
}

// postForwarded sends a request without credentials, as a proxy would
// forward it, with an X-Forwarded-For header.
func (e *env) postForwarded(t *testing.T, forwardedFor, query string, variables vars) *response {
	t.Helper()
	req := newPost(t, e.srv.URL, "", query, variables)
	req.Header.Set("X-Forwarded-For", forwardedFor)
	return e.send(t, req)
}

// Behind trusted proxies, failures from one client count against that
// client's address, not the proxy's: another client behind the same proxy
// signs in, and a client cannot escape its own count by writing its own
// X-Forwarded-For entries.
func TestSignInBehindTrustedProxies(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		f := e.f
		e.setPassword(t, "users", f.Owner.ID, aPassword)
		e.setPassword(t, "contacts", f.AActive.ID, aPassword)
		e.holds.take()
		c := signInChecks{t, e}
		logIn := func(forwardedFor, email, password string) *response {
			t.Helper()
			return e.postForwarded(t, forwardedFor, logInDoc, vars{"email": email, "password": password})
		}

		for i := range 10 {
			r := logIn("203.0.113.7", "owner@w1.example", "wrong password")
			equal(t, fmt.Sprintf("attempt %d", i+1), r.onlyErrorAt(t, "logIn", "UNAUTHENTICATED").Message, badLogIn)
		}
		equal(t, "holds for one client", e.holds.take(), throttled)
		c.refused(logIn("203.0.113.7", "owner@w1.example", aPassword), "the guessing client")
		// Entries left of the proxy's are the client's own writing.
		c.refused(logIn("198.51.100.1, 203.0.113.7", "owner@w1.example", aPassword), "the guessing client, naming another address")
		// Through a chain of trusted proxies, the same client.
		c.refused(logIn("203.0.113.7, 10.0.0.5", "owner@w1.example", aPassword), "the guessing client, through two proxies")

		// Other clients behind the same proxies: the owner is held for
		// the account's failures, Ann not at all.
		c.signedIn(logIn("203.0.113.8", "owner@w1.example", aPassword), "the owner behind the proxy", 2*time.Second)
		c.signedIn(logIn("203.0.113.9, 10.0.0.5", "ann@acme.example", aPassword), "Ann behind the proxies", 0)
		c.signedIn(logIn("2001:db8::9", "ann@acme.example", aPassword), "Ann over IPv6", 0)

		// Guessing invitation tokens counts by the client too.
		accept := func(forwardedFor, token string) *response {
			t.Helper()
			return e.postForwarded(t, forwardedFor, acceptDoc, vars{"token": token, "password": aPassword})
		}
		for i := range 10 {
			r := accept("203.0.113.20", fmt.Sprintf("guess-%d", i))
			equal(t, "invitation guess", r.onlyErrorAt(t, "acceptInvite", "UNAUTHENTICATED").Message, badInvite)
		}
		accept("203.0.113.20", "one more guess").onlyErrorAt(t, "acceptInvite", "RATE_LIMITED")
		inv := e.invite(t, f.AInvited.ID)
		accept("203.0.113.21", inv.token(t)).session(t, "acceptInvite", 24*time.Hour)

		// Nothing was counted against the proxy's address.
		var n int
		if err := e.store.DB().Get(&n, `SELECT COUNT(*) FROM login_failures WHERE key LIKE '%127.0.0.1%'`); err != nil || n != 0 {
			t.Errorf("%d failures counted against the proxy's address (%v)", n, err)
		}
	}, trusting(t, "127.0.0.0/8, 10.0.0.0/8"))
}

// A peer the server does not trust may write any X-Forwarded-For it
// likes: failures count against the peer's own address whatever it
// claims, with no proxies configured or with others than the peer.
func TestSignInIgnoresUntrustedForwardedFor(t *testing.T) {
	t.Parallel()
	for name, list := range map[string]string{"no trusted proxies": "", "other proxies trusted": "10.0.0.0/8, fd00::/8"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			run(t, func(t *testing.T, e *env) {
				e.setPassword(t, "users", e.f.Owner.ID, aPassword)
				c := signInChecks{t, e}
				for i := range 10 {
					r := e.postForwarded(t, fmt.Sprintf("198.51.100.%d", i+1), logInDoc, vars{"email": "owner@w1.example", "password": "wrong password"})
					equal(t, fmt.Sprintf("attempt %d", i+1), r.onlyErrorAt(t, "logIn", "UNAUTHENTICATED").Message, badLogIn)
				}
				equal(t, "holds for one peer claiming ten addresses", e.holds.take(), throttled)
				c.refused(e.postForwarded(t, "198.51.100.99, 10.0.0.1", logInDoc, vars{"email": "owner@w1.example", "password": aPassword}), "the peer claiming another address")
				c.refused(e.logIn(t, "owner@w1.example", aPassword), "the peer")
			}, trusting(t, list))
		})
	}
}
