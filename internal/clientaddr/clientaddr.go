// Package clientaddr finds the address a request came from: the peer's,
// or, when the peer is a proxy the server was told to trust, the address
// that proxy says it forwarded the request for.
//
// X-Forwarded-For is written by whoever sends the request, so anything in
// it is believed only as far as trusted proxies vouch for it: each proxy
// appends the address of its own peer, so the header is read from the
// right, and the first entry that is not a trusted proxy is the client.
// Whatever lies further left was written by that client and could say
// anything.
package clientaddr

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// ParseTrusted reads a comma-separated list of CIDRs, such as
// "10.0.0.0/8, fd00::/8"; a bare address stands for itself alone. An empty
// list trusts nobody.
func ParseTrusted(list string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for entry := range strings.SplitSeq(list, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		p, err := netip.ParsePrefix(entry)
		if err != nil {
			a, aerr := netip.ParseAddr(entry)
			if aerr != nil || a.Zone() != "" {
				return nil, fmt.Errorf("%q is not a CIDR such as 10.0.0.0/8 or fd00::/8", entry)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		// An IPv4 range written in its IPv6-mapped form would never
		// match: addresses are compared unmapped.
		if p.Addr().Is4In6() {
			return nil, fmt.Errorf("%q: write an IPv4 range as IPv4, such as 10.0.0.0/8", entry)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// Of returns the address req came from, without port or zone: the right-most
// X-Forwarded-For entry that is not a trusted proxy when the peer is one,
// the peer's address otherwise. A peer that is not an IP address (a Unix
// socket, say) is returned as it is.
func Of(req *http.Request, trusted []netip.Prefix) string {
	peer, ok := parse(req.RemoteAddr)
	if !ok {
		if host, _, err := net.SplitHostPort(req.RemoteAddr); err == nil {
			return host
		}
		return req.RemoteAddr
	}
	client := peer
	if !isTrusted(client, trusted) {
		return client.String()
	}
	// Several header lines are one list, in order.
	entries := strings.Split(strings.Join(req.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(entries) - 1; i >= 0; i-- {
		a, ok := parse(entries[i])
		if !ok {
			// A trusted proxy always writes an address; anything else
			// came from further left, where nothing can be believed.
			// The last hop that was vouched for is the best we know.
			break
		}
		client = a
		if !isTrusted(a, trusted) {
			break
		}
	}
	return client.String()
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// parse reads an address, with or without a port (some proxies add the
// client's), in its plain form: IPv4-mapped IPv6 addresses as IPv4, no
// zone, so one client always has one spelling.
func parse(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	a, err := netip.ParseAddr(s)
	if err != nil {
		ap, perr := netip.ParseAddrPort(s)
		if perr != nil {
			return netip.Addr{}, false
		}
		a = ap.Addr()
	}
	return a.Unmap().WithZone(""), true
}

// Holder is what one client is counted by, for throttling and budgets: an
// IPv4 address itself, or an IPv6 address's /64, since one host may pick
// any address of its /64.
func Holder(addr string) string {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return addr
	}
	a = a.Unmap().WithZone("")
	if a.Is4() {
		return a.String()
	}
	p, _ := a.Prefix(64)
	return p.String()
}
