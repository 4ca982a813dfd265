// Package scalar binds GraphQL's scalars to Go (gqlgen.yml names it for
// String, ID, Int, Time and Upload) with the checks every input of a scalar
// needs, whatever field it fills, so no field can forget them:
//
//   - String and ID refuse text no database stores alike (portal.CheckText);
//   - Int refuses what is not a 32-bit signed integer, as GraphQL's Int is,
//     rather than pass a larger number on;
//   - Time refuses instants outside the years both databases store
//     (portal.CheckInstant).
//
// Date checks itself (portal.Date). Every refusal is BAD_USER_INPUT; the
// error presenter names the argument or input field it was read from.
// Values are written out as gqlgen writes them, byte for byte; String,
// ID, Int and Time append into the writer's own buffer when it offers one
// (AvailableBuffer, as bytes.Buffer, bufio.Writer and the planner's do)
// rather than allocate a string for each value.
package scalar

import (
	"io"
	"math"
	"strconv"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"portalgraph/internal/portal"
)

// MarshalString writes a string quoted and escaped as gqlgen's
// MarshalString does, byte for byte, into the writer's buffer.
func MarshalString(s string) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		_, _ = w.Write(appendQuoted(availableBuffer(w), s))
	})
}

// appendQuoted appends s quoted as gqlgen quotes strings: a backslash, a
// double quote, and control characters escaped (tab, carriage return and
// newline by name, the others as \u00XX), every other byte as it is. The
// bytes escaped are all ASCII, which no byte of a multi-byte UTF-8
// sequence (nor of an invalid one) is, so bytes are read one by one
// where gqlgen decodes runes, to the same result. A response's strings
// are most of its bytes, and gqlgen's writer makes three calls through
// io.WriteString for each.
func appendQuoted(b []byte, s string) []byte {
	const hex = "0123456789ABCDEF"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '\\' && c != '"' {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '\t':
			b = append(b, `\t`...)
		case '\r':
			b = append(b, `\r`...)
		case '\n':
			b = append(b, `\n`...)
		case '\\':
			b = append(b, `\\`...)
		case '"':
			b = append(b, `\"`...)
		default:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

func UnmarshalString(v any) (string, error) {
	s, err := graphql.UnmarshalString(v)
	if err != nil {
		return "", portal.BadInput("must be a string")
	}
	return s, portal.CheckText(s)
}

// MarshalID writes an ID as a string, as gqlgen's MarshalID does.
func MarshalID(s string) graphql.Marshaler { return MarshalString(s) }

func UnmarshalID(v any) (string, error) {
	s, err := graphql.UnmarshalID(v)
	if err != nil {
		return "", portal.BadInput("must be an ID")
	}
	return s, portal.CheckText(s)
}

func MarshalInt(n int) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		_, _ = w.Write(strconv.AppendInt(availableBuffer(w), int64(n), 10))
	})
}

// UnmarshalInt reads a GraphQL Int: 32 bits, signed.
func UnmarshalInt(v any) (int, error) {
	n, err := graphql.UnmarshalInt32(v)
	if err != nil {
		return 0, portal.BadInput("must be a whole number from %d to %d", math.MinInt32, math.MaxInt32)
	}
	return int(n), nil
}

// MarshalTime writes an instant RFC 3339 with nanoseconds, quoted; a zero
// time is null. The format needs no escaping, so quotes around it are
// strconv.Quote's result, which gqlgen writes.
func MarshalTime(t time.Time) graphql.Marshaler {
	if t.IsZero() {
		return graphql.Null
	}
	return graphql.WriterFunc(func(w io.Writer) { WriteTime(w, t) })
}

// WriteTime writes what MarshalTime's marshaler writes and reports true,
// or writes nothing and reports false where MarshalTime answers null. The
// planner's generated leaves call it rather than MarshalTime, whose
// marshaler, one of two types, escapes to the heap for every value.
func WriteTime(w io.Writer, t time.Time) bool {
	if t.IsZero() {
		return false
	}
	b := append(availableBuffer(w), '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	_, _ = w.Write(append(b, '"'))
	return true
}

// WriteEnum writes an enum value as the enums gqlgen generates write
// themselves (strconv.Quote), into the writer's buffer.
func WriteEnum[E ~string](w io.Writer, e E) {
	_, _ = w.Write(strconv.AppendQuote(availableBuffer(w), string(e)))
}

// availableBuffer is the writer's free buffer to append to before Write,
// if it has one, else nil.
func availableBuffer(w io.Writer) []byte {
	if a, ok := w.(interface{ AvailableBuffer() []byte }); ok {
		return a.AvailableBuffer()
	}
	return nil
}

func UnmarshalTime(v any) (time.Time, error) {
	t, err := graphql.UnmarshalTime(v)
	if err != nil {
		return time.Time{}, portal.BadInput("must be a time written RFC 3339, e.g. 2026-01-31T09:00:00Z")
	}
	return t, portal.CheckInstant(t)
}

func MarshalUpload(u graphql.Upload) graphql.Marshaler { return graphql.MarshalUpload(u) }

func UnmarshalUpload(v any) (graphql.Upload, error) {
	u, err := graphql.UnmarshalUpload(v)
	if err != nil {
		return graphql.Upload{}, portal.BadInput("must be a file sent as a part of a multipart request")
	}
	return u, nil
}
