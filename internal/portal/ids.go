package portal

import (
	"io"
	"strings"
	"time"

	"github.com/oklog/ulid/v2"
)

// ID prefixes name the kind of record an ID belongs to, so node(id:) can
// resolve any ID and a wrong kind is caught before a query runs.
const (
	PrefixWorkspace   = "wsp"
	PrefixUser        = "usr"
	PrefixClient      = "cli"
	PrefixContact     = "con"
	PrefixProject     = "prj"
	PrefixDeliverable = "dlv"
	PrefixApproval    = "apr"
	PrefixDecision    = "dec"
	PrefixNote        = "not"
	PrefixActivity    = "act"
	PrefixToken       = "tok"
	PrefixMessage     = "msg"
	PrefixInvite      = "inv"
	PrefixFile        = "fil"
	PrefixReport      = "rep"
	PrefixExport      = "exp"
	PrefixRequest     = "req"
	PrefixComment     = "cmt"
	PrefixPartnerKey  = "key"
	PrefixOperation   = "pop"
	PrefixReadEvent   = "rde"
	PrefixWebhook     = "whk"
	PrefixDelivery    = "whd"
	PrefixRole        = "rol"
)

// NewID returns a new opaque, time-sortable ID of the given kind.
func NewID(prefix string, at time.Time) string {
	return NewIDFrom(prefix, at, ulid.DefaultEntropy())
}

// NewIDFrom is NewID with a chosen source of randomness, for reproducible
// data sets.
func NewIDFrom(prefix string, at time.Time, entropy io.Reader) string {
	return prefix + "_" + ulid.MustNew(ulid.Timestamp(at), entropy).String()
}

// IDPrefix returns the kind prefix of an ID, or "" when id is not one: a
// prefix, "_" and a ULID, so nothing but its known characters ever reaches
// a query as an ID of a kind.
func IDPrefix(id string) string {
	prefix, rest, ok := strings.Cut(id, "_")
	if !ok || prefix == "" {
		return ""
	}
	if _, err := ulid.ParseStrict(rest); err != nil {
		return ""
	}
	return prefix
}

// HasPrefix reports whether id is a well-formed ID of the given kind.
func HasPrefix(id, prefix string) bool { return IDPrefix(id) == prefix }
