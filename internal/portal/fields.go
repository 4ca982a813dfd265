package portal

import (
	"context"
	"reflect"
)

// Fields are, by record type (the struct, not its pointer), the Go fields
// of the records a read returns that its caller will use: a read may leave
// the others zero. A record type without an entry is read whole, and so
// is one whose entry names a field the store does not keep in a column of
// its own. A record's ID and its client's (which the audit of reads
// follows) are always read, and whatever the read itself goes by (the
// parent it is listed under, its ordering's key).
//
// Only a caller that knows what it will use narrows a read: the GraphQL
// planner, from the query's selections (graph/plan.go). Text and time
// columns are the costliest for the driver to decode and for PostgreSQL
// to write, and a dashboard selects a few of each record's.
type Fields map[reflect.Type][]string

type fieldsKey struct{}

// WithFields is ctx whose reads fill only fields, for the record types it
// names.
func WithFields(ctx context.Context, fields Fields) context.Context {
	return context.WithValue(ctx, fieldsKey{}, fields)
}

// FieldsFrom is what reads under ctx must fill; nil when every field.
func FieldsFrom(ctx context.Context) Fields {
	f, _ := ctx.Value(fieldsKey{}).(Fields)
	return f
}
