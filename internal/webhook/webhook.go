// Package webhook holds what webhook deliveries need apart from storage:
// the signature of a delivery, the schedule of its retries, and an HTTP
// client that refuses to connect to loopback and private addresses.
//
// A delivery is signed like Stripe's: the header
//
//	Portalgraph-Signature: t=1767225600,v1=5257a869e7…
//
// holds the time of signing (Unix seconds) and the hex HMAC-SHA256, keyed
// by the endpoint's secret, of the time, a dot and the body as sent. A
// receiver recomputes it over the raw body, compares in constant time, and
// refuses a time too far from its own (Verify does all three).
package webhook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// SignatureHeader is the header a delivery's signature is sent in.
const SignatureHeader = "Portalgraph-Signature"

// Sign returns the signature header's value for a body sent at a time.
func Sign(secret []byte, at time.Time, body []byte) string {
	t := strconv.FormatInt(at.Unix(), 10)
	return "t=" + t + ",v1=" + mac(secret, t, body)
}

func mac(secret []byte, t string, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(t))
	m.Write([]byte{'.'})
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// Errors of Verify.
var (
	ErrNoSignature  = errors.New("webhook: no valid signature")
	ErrOutOfWindow  = errors.New("webhook: signed too long ago or in the future")
	ErrBadSignature = errors.New("webhook: signature does not match")
)

// Verify checks a signature header against the body received, at now,
// accepting a signing time at most tolerance away. Any v1 entry may match
// (several are sent while a secret is being replaced).
func Verify(secret []byte, header string, body []byte, now time.Time, tolerance time.Duration) error {
	var t string
	var sigs []string
	for _, part := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			continue
		}
		switch k {
		case "t":
			t = v
		case "v1":
			sigs = append(sigs, v)
		}
	}
	sec, err := strconv.ParseInt(t, 10, 64)
	if err != nil || len(sigs) == 0 {
		return ErrNoSignature
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return ErrOutOfWindow
	}
	want := mac(secret, t, body)
	for _, s := range sigs {
		if hmac.Equal([]byte(s), []byte(want)) {
			return nil
		}
	}
	return ErrBadSignature
}

// MaxAttempts is how many times a delivery is tried before it is given up;
// an endpoint whose deliveries keep failing is disabled after
// DisableAfter failures in a row.
const (
	MaxAttempts  = 8
	DisableAfter = 20
)

// Backoff is the wait before attempt n+1 of a delivery whose attempt n
// (from 1) failed: 30 s doubled each time, at most 6 hours (30 s, 1 min,
// 2 min, … 6 h: about 2 hours over the 8 attempts before the last waits).
func Backoff(n int) time.Duration {
	d := 30 * time.Second
	for i := 1; i < n && d < 6*time.Hour; i++ {
		d *= 2
	}
	return min(d, 6*time.Hour)
}

// ErrForbiddenAddress refuses a connection to an address webhooks may not
// reach.
var ErrForbiddenAddress = errors.New("webhook: the address is loopback, private or otherwise not public")

// Public reports whether an address is one webhooks may reach: not
// loopback, private (RFC 1918, unique local), link-local, unspecified,
// multicast, or shared (carrier-grade NAT).
func Public(a netip.Addr) bool {
	a = a.Unmap()
	if a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsUnspecified() || a.IsMulticast() || a.IsInterfaceLocalMulticast() {
		return false
	}
	return !netip.MustParsePrefix("100.64.0.0/10").Contains(a) && !netip.MustParsePrefix("0.0.0.0/8").Contains(a)
}

// Client returns the HTTP client deliveries are sent with. Unless
// allowPrivate, it refuses to connect to any address that is not public,
// checked at connect time on the address actually dialled (so a name that
// resolves to a private address, at once or later, is refused too) and
// through redirects, which it does not follow anyway.
func Client(timeout time.Duration, allowPrivate bool) *http.Client {
	dialer := &net.Dialer{Timeout: timeout}
	if !allowPrivate {
		dialer.Control = func(_, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil || !Public(ap.Addr()) {
				return fmt.Errorf("%w: %s", ErrForbiddenAddress, address)
			}
			return nil
		}
	}
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			Proxy:                 nil, // a proxy would connect on the client's behalf, unchecked
			DialContext:           dialer.DialContext,
			MaxIdleConnsPerHost:   2,
			IdleConnTimeout:       30 * time.Second,
			TLSHandshakeTimeout:   timeout,
			ResponseHeaderTimeout: timeout,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// CheckURL refuses an endpoint's URL that is not https (or http, when
// allowPrivate, for tests and local receivers), or whose host resolves to
// an address that is not public. The client checks again at every
// connection; this tells staff at once.
func CheckURL(ctx context.Context, raw string, allowPrivate bool) error {
	u, err := parseURL(raw)
	if err != nil {
		return err
	}
	if allowPrivate {
		return nil
	}
	if u.scheme != "https" {
		return errors.New("the URL must be https")
	}
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", u.host)
	if err != nil {
		return fmt.Errorf("the URL's host does not resolve: %w", err)
	}
	for _, a := range addrs {
		if !Public(a) {
			return fmt.Errorf("%w: %s resolves to %s", ErrForbiddenAddress, u.host, a)
		}
	}
	return nil
}

type endpointURL struct{ scheme, host string }

func parseURL(raw string) (endpointURL, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return endpointURL{}, errors.New("the URL must be an absolute http(s) URL")
	}
	if u.User != nil {
		return endpointURL{}, errors.New("the URL may not hold credentials")
	}
	return endpointURL{scheme: u.Scheme, host: u.Hostname()}, nil
}
