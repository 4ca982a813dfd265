package scalar

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
)

// plainWriter offers no buffer of its own to append to.
type plainWriter struct{ b []byte }

func (w *plainWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}

// sameAsGQLGen fails unless s is written as gqlgen writes it, into a
// writer with a buffer of its own and into one without, after text
// already written.
func sameAsGQLGen(t *testing.T, s string) {
	t.Helper()
	var want bytes.Buffer
	graphql.MarshalString(s).MarshalGQL(&want)
	for _, m := range []graphql.Marshaler{MarshalString(s), MarshalID(s)} {
		buf := bytes.NewBufferString("x")
		m.MarshalGQL(buf)
		plain := &plainWriter{b: []byte("x")}
		m.MarshalGQL(plain)
		if got := buf.String()[1:]; got != want.String() {
			t.Fatalf("%q is written %q, gqlgen writes %q", s, got, want.String())
		}
		if got := string(plain.b[1:]); got != want.String() {
			t.Fatalf("%q is written %q to a plain writer, gqlgen writes %q", s, got, want.String())
		}
	}
}

func TestStringsAreWrittenAsGQLGenWritesThem(t *testing.T) {
	for _, s := range []string{
		"", "plain", `"quoted"`, `back\slash`, "tab\tcr\rnl\n", "\x00\x01\x1f\x7f",
		"héllo, 世界 🎉", "\xff\xfe invalid \xc3", "\xe2\x80", `end\`, "\"",
	} {
		sameAsGQLGen(t, s)
	}
	// Every byte, alone and between others.
	for c := range 256 {
		sameAsGQLGen(t, string([]byte{byte(c)}))
		sameAsGQLGen(t, "a"+string([]byte{byte(c)})+"é")
	}
	sameAsGQLGen(t, strings.Repeat("long text with \"quotes\"\n", 500))
}

func FuzzStringsAreWrittenAsGQLGenWritesThem(f *testing.F) {
	for _, s := range []string{"", "a\"b\\c\n", "\x00\xff", "世界\t"} {
		f.Add(s)
	}
	f.Fuzz(sameAsGQLGen)
}

// WriteTime is what the planner's leaves call instead of MarshalTime: it
// must write the same bytes, or nothing and false where MarshalTime is
// null, without an allocation of its own.
func TestWriteTimeWritesWhatMarshalTimeWrites(t *testing.T) {
	instants := []time.Time{
		time.Date(2026, 12, 5, 9, 30, 0, 0, time.UTC),
		time.Date(2026, 1, 31, 23, 59, 59, 123456000, time.UTC),
		time.Date(1999, 6, 1, 8, 0, 0, 1, time.FixedZone("CET", 3600)),
	}
	for _, at := range instants {
		var want bytes.Buffer
		MarshalTime(at).MarshalGQL(&want)
		buf := bytes.NewBufferString("x")
		plain := &plainWriter{b: []byte("x")}
		if !WriteTime(buf, at) || !WriteTime(plain, at) {
			t.Fatalf("%v: WriteTime reports a null", at)
		}
		if got := buf.String()[1:]; got != want.String() {
			t.Fatalf("%v is written %q, MarshalTime writes %q", at, got, want.String())
		}
		if got := string(plain.b[1:]); got != want.String() {
			t.Fatalf("%v is written %q to a plain writer, MarshalTime writes %q", at, got, want.String())
		}
	}
	if MarshalTime(time.Time{}) != graphql.Null {
		t.Fatal("MarshalTime of the zero time is not null")
	}
	var buf bytes.Buffer
	if WriteTime(&buf, time.Time{}) || buf.Len() > 0 {
		t.Fatalf("WriteTime of the zero time reports a value or writes %q", buf.String())
	}
	buf.Grow(64)
	if n := testing.AllocsPerRun(100, func() { buf.Reset(); WriteTime(&buf, instants[1]) }); n != 0 {
		t.Fatalf("WriteTime allocates %v times a value into a buffer with room", n)
	}
}
