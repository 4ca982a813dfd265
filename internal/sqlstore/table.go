package sqlstore

import (
	"database/sql"
	"fmt"
	"reflect"
	"strings"
	"time"
	"unsafe"
)

// table maps a record type to its SQL table through the struct's db tags:
// the one description used to select, scan and insert the record.
type table[T any] struct {
	name string
	// prefix is the kind of its rows' IDs (portal.PrefixProject, ...); ""
	// for a table whose rows have no ID of their own.
	prefix string
	// live, when set, is the column that is NULL while a row is not
	// deleted (deleted_at) or erased (erased_at): writes, which read what
	// they change within the workspace rather than under a principal's
	// rules, find only live rows, so nothing changes a deleted record.
	live    string
	columns []string
	fields  []int       // struct field index of each column
	scans   []scanField // each column's scan destination in a record
}

// scanField makes the scan destination of one column: a pointer to the
// record's field, at offset from the record's start. Reads scan thousands
// of rows a request; making each row's destinations with reflect, and
// letting database/sql assign named string types through reflect, cost a
// good part of a read's CPU, so the kind of pointer is chosen once here.
type scanField struct {
	offset uintptr
	dest   func(field unsafe.Pointer) any
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
		t.scans = append(t.scans, scanField{offset: typ.Field(i).Offset, dest: scanDest(typ.Field(i).Type)})
	}
	if len(t.columns) == 0 {
		panic(fmt.Sprintf("sqlstore: %s has no db columns", typ))
	}
	return t
}

// withLive is the table whose rows are live while column is NULL.
func (t table[T]) withLive(column string) table[T] {
	t.live = column
	return t
}

// liveColumns names, by table, the column of the tables that have one.
var liveColumns = map[string]string{
	"contacts": "erased_at", "projects": "deleted_at", "deliverables": "deleted_at", "approvals": "deleted_at",
	"approval_decisions": "deleted_at", "files": "deleted_at", "reports": "deleted_at",
	"client_requests": "deleted_at", "request_comments": "deleted_at",
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

// dest sets dest's first len(t.columns) elements to the scan destinations
// of v's columns, in selectList's order.
func (t table[T]) dest(dest []any, v *T) {
	base := unsafe.Pointer(v)
	for i, f := range t.scans {
		dest[i] = f.dest(unsafe.Add(base, f.offset))
	}
}

var scannerType = reflect.TypeFor[sql.Scanner]()

// scanDest returns how to make a scan destination for a field of type ft:
// a pointer to it, of the field's own type but for named strings (enums),
// scanned as the string they are, which database/sql assigns directly
// where it would convert the named type through reflect; the value read
// is the same. A type with its own Scan keeps it.
func scanDest(ft reflect.Type) func(unsafe.Pointer) any {
	anyPointer := func(p unsafe.Pointer) any { return reflect.NewAt(ft, p).Interface() }
	if reflect.PointerTo(ft).Implements(scannerType) {
		return anyPointer
	}
	if ft.Kind() == reflect.String {
		return func(p unsafe.Pointer) any { return (*string)(p) }
	}
	switch ft {
	case reflect.TypeFor[*string]():
		return func(p unsafe.Pointer) any { return (**string)(p) }
	case reflect.TypeFor[time.Time]():
		return func(p unsafe.Pointer) any { return (*time.Time)(p) }
	case reflect.TypeFor[*time.Time]():
		return func(p unsafe.Pointer) any { return (**time.Time)(p) }
	case reflect.TypeFor[bool]():
		return func(p unsafe.Pointer) any { return (*bool)(p) }
	case reflect.TypeFor[int]():
		return func(p unsafe.Pointer) any { return (*int)(p) }
	}
	return anyPointer
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
