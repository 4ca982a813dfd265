package sqlstore

import (
	"fmt"
	"reflect"
	"strings"
)

// table maps a record type to its SQL table through the struct's db tags:
// the one description used to select, scan and insert the record.
type table[T any] struct {
	name string
	// prefix is the kind of its rows' IDs (portal.PrefixProject, ...); ""
	// for a table whose rows have no ID of their own.
	prefix  string
	columns []string
	fields  []int // struct field index of each column
}

func newTable[T any](name, prefix string) table[T] {
	t := table[T]{name: name, prefix: prefix}
	typ := reflect.TypeFor[T]()
	for i := range typ.NumField() {
		col := typ.Field(i).Tag.Get("db")
		if col == "" || col == "-" {
			continue
		}
		t.columns = append(t.columns, col)
		t.fields = append(t.fields, i)
	}
	if len(t.columns) == 0 {
		panic(fmt.Sprintf("sqlstore: %s has no db columns", typ))
	}
	return t
}

// selectList is the column list qualified by a table alias.
func (t table[T]) selectList(alias string) string {
	var b strings.Builder
	for i, c := range t.columns {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(alias)
		b.WriteByte('.')
		b.WriteString(c)
	}
	return b.String()
}

// dest returns scan destinations for the columns of selectList, in order.
func (t table[T]) dest(v *T) []any {
	rv := reflect.ValueOf(v).Elem()
	out := make([]any, len(t.fields))
	for i, f := range t.fields {
		out[i] = rv.Field(f).Addr().Interface()
	}
	return out
}

// values returns the column values of v, in column order.
func (t table[T]) values(v *T) []any {
	rv := reflect.ValueOf(v).Elem()
	out := make([]any, len(t.fields))
	for i, f := range t.fields {
		out[i] = rv.Field(f).Interface()
	}
	return out
}
