package clientaddr_test

import (
	"net/http/httptest"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"portalgraph/internal/clientaddr"
)

func TestParseTrusted(t *testing.T) {
	for _, c := range []struct {
		list string
		want []string
	}{
		{"", nil},
		{" , ", nil},
		{"10.0.0.0/8", []string{"10.0.0.0/8"}},
		{"10.0.0.0/8, 192.168.1.7 ,fd00::/8,", []string{"10.0.0.0/8", "192.168.1.7/32", "fd00::/8"}},
		{"10.1.2.3/8", []string{"10.0.0.0/8"}}, // host bits are dropped
		{"2001:db8::1", []string{"2001:db8::1/128"}},
	} {
		got, err := clientaddr.ParseTrusted(c.list)
		if err != nil {
			t.Errorf("%q: %v", c.list, err)
			continue
		}
		var s []string
		for _, p := range got {
			s = append(s, p.String())
		}
		if !slices.Equal(s, c.want) {
			t.Errorf("%q = %v, want %v", c.list, s, c.want)
		}
	}
	for _, bad := range []string{"10.0.0.0/33", "10.0.0.0/8,nonsense", "10.0.0/8", "fe80::1%eth0", "::ffff:10.0.0.0/104", "*"} {
		_, err := clientaddr.ParseTrusted(bad)
		if err == nil {
			t.Errorf("%q accepted", bad)
		} else if !strings.Contains(err.Error(), "such as") {
			t.Errorf("%q: the error %q does not say what is expected", bad, err)
		}
	}
}

func TestOf(t *testing.T) {
	trusted, err := clientaddr.ParseTrusted("127.0.0.0/8, 10.0.0.0/8, fd00::/8")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name    string
		peer    string
		xff     []string // X-Forwarded-For header lines
		trusted []netip.Prefix
		want    string
	}{
		// Without trusted proxies the header means nothing.
		{"no header", "192.0.2.1:5123", nil, nil, "192.0.2.1"},
		{"untrusted: header ignored", "192.0.2.1:5123", []string{"198.51.100.7"}, nil, "192.0.2.1"},
		{"spoofed by an untrusted peer", "192.0.2.1:5123", []string{"10.0.0.1, 198.51.100.7"}, trusted, "192.0.2.1"},
		{"IPv6 peer", "[2001:db8::5]:443", []string{"198.51.100.7"}, trusted, "2001:db8::5"},
		{"IPv4-mapped peer", "[::ffff:192.0.2.1]:443", nil, nil, "192.0.2.1"},
		{"zoned peer", "[fe80::1%eth0]:443", nil, nil, "fe80::1"},
		{"peer without a port", "192.0.2.1", nil, nil, "192.0.2.1"},
		{"peer not an address", "@", nil, trusted, "@"},

		// Behind trusted proxies, the right-most entry that is not one.
		{"one proxy", "127.0.0.1:5123", []string{"198.51.100.7"}, trusted, "198.51.100.7"},
		{"trusted peer, no header", "127.0.0.1:5123", nil, trusted, "127.0.0.1"},
		{"trusted peer, empty header", "127.0.0.1:5123", []string{""}, trusted, "127.0.0.1"},
		{"client's own entries are not believed", "127.0.0.1:5123", []string{"203.0.113.9, 198.51.100.7"}, trusted, "198.51.100.7"},
		{"client claims to be a proxy", "127.0.0.1:5123", []string{"10.0.0.9, 198.51.100.7"}, trusted, "198.51.100.7"},
		{"chain of proxies", "127.0.0.1:5123", []string{"203.0.113.9, 198.51.100.7, 10.0.0.2, 10.0.0.3"}, trusted, "198.51.100.7"},
		{"chain over header lines", "127.0.0.1:5123", []string{"203.0.113.9, 198.51.100.7", "10.0.0.2", "10.0.0.3"}, trusted, "198.51.100.7"},
		{"only proxies", "127.0.0.1:5123", []string{"10.0.0.2, 10.0.0.3"}, trusted, "10.0.0.2"},
		{"IPv6 client", "127.0.0.1:5123", []string{"2001:DB8::7"}, trusted, "2001:db8::7"},
		{"IPv6 proxies", "[fd00::1]:5123", []string{"2001:db8::7, fd00::2"}, trusted, "2001:db8::7"},
		{"IPv4-mapped client", "127.0.0.1:5123", []string{"::ffff:198.51.100.7"}, trusted, "198.51.100.7"},
		{"client with a port", "127.0.0.1:5123", []string{"198.51.100.7:61000"}, trusted, "198.51.100.7"},
		{"IPv6 client with a port", "127.0.0.1:5123", []string{"[2001:db8::7]:61000"}, trusted, "2001:db8::7"},
		{"spaces", "127.0.0.1:5123", []string{"  198.51.100.7 ,10.0.0.2  "}, trusted, "198.51.100.7"},

		// Garbage: nothing left of it is believed, and it is never the
		// answer; the last hop vouched for is.
		{"garbage", "127.0.0.1:5123", []string{"not an address"}, trusted, "127.0.0.1"},
		{"garbage behind a proxy", "127.0.0.1:5123", []string{"198.51.100.7, unknown, 10.0.0.2"}, trusted, "10.0.0.2"},
		{"garbage left of the client", "127.0.0.1:5123", []string{"<script>, 198.51.100.7"}, trusted, "198.51.100.7"},
		{"empty entry", "127.0.0.1:5123", []string{"198.51.100.7,,10.0.0.2"}, trusted, "10.0.0.2"},
		{"a CIDR is not an address", "127.0.0.1:5123", []string{"198.51.100.0/24"}, trusted, "127.0.0.1"},
		{"zone in the header", "127.0.0.1:5123", []string{"fe80::7%eth0"}, trusted, "fe80::7"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/graphql", nil)
			r.RemoteAddr = c.peer
			for _, v := range c.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := clientaddr.Of(r, c.trusted); got != c.want {
				t.Errorf("peer %s, X-Forwarded-For %q: %q, want %q", c.peer, c.xff, got, c.want)
			}
		})
	}
}

func TestHolder(t *testing.T) {
	for addr, want := range map[string]string{
		"192.0.2.7":            "192.0.2.7",
		"::ffff:192.0.2.7":     "192.0.2.7",
		"2001:db8:1:2:3:4:5:6": "2001:db8:1:2::/64",
		"2001:db8:1:2:ffff::1": "2001:db8:1:2::/64",
		"fe80::1%eth0":         "fe80::/64",
		"not an address":       "not an address",
		"2001:db8:1:3:3:4:5:6": "2001:db8:1:3::/64",
	} {
		if got := clientaddr.Holder(addr); got != want {
			t.Errorf("Holder(%q) = %q, want %q", addr, got, want)
		}
	}
}
