package portal

import (
	"context"
	"reflect"
)

// Fields are, by record type (the struct, not its pointer), the Go fields
// of the records a read returns that its caller will use: a read may leave
// the others zero. A record type without an entry is read whole, and so
// is one whose entry names a field the store does not keep in a column of
// its own. IDs (every field whose name ends in ID or IDs, but the
// workspace's, which is the reader's own) are always read, for the
// relations and audits that follow records.
//
// Only the caller that knows what a response selects narrows a read: the
// GraphQL planner, from the query's selections (graph/plan.go). Reading a
// dashboard's approvals without their messages and notes is about a
// quarter of its CPU, in the server and in PostgreSQL.
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
