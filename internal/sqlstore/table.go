package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"
	"unsafe"

	"portalgraph/internal/portal"
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

	// What narrow needs: the record's Go type, each Go field's column
	// (an index into the whole table's columns), the columns always read,
	// and the narrowed tables made so far.
	goType   reflect.Type
	byField  map[string]int
	always   columnSet
	narrowed *narrowedTables[T]
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
	typ := reflect.TypeFor[T]()
	t := table[T]{name: name, prefix: prefix, goType: typ, byField: map[string]int{}, narrowed: &narrowedTables[T]{}}
	for i := range typ.NumField() {
		col := typ.Field(i).Tag.Get("db")
		if col == "" || col == "-" {
			continue
		}
		// A narrowed read fills the record's ID and its client's, which
		// the audit of reads follows.
		if name := typ.Field(i).Name; name == "ID" || name == "ClientID" {
			t.always |= 1 << len(t.columns)
		}
		t.byField[typ.Field(i).Name] = len(t.columns)
		t.columns = append(t.columns, col)
		t.fields = append(t.fields, i)
		t.scans = append(t.scans, scanField{offset: typ.Field(i).Offset, dest: scanDest(typ.Field(i).Type)})
	}
	switch {
	case len(t.columns) == 0:
		panic(fmt.Sprintf("sqlstore: %s has no db columns", typ))
	case len(t.columns) > 64:
		panic(fmt.Sprintf("sqlstore: %s has more columns than a columnSet holds", typ))
	}
	return t
}

// columnSet is a set of a table's columns, by their index in the whole
// table.
type columnSet uint64

func (t table[T]) all() columnSet { return columnSet(1)<<len(t.columns) - 1 }

// narrow is the table reading only the columns of the fields ctx's
// portal.Fields name for T, the record's ID and its client's, and the
// columns the SQL expressions in keys read: what the read itself goes by
// (an ordering's key, which makes the cursors; the parent a row is
// grouped under). Without fields for T, or with one that has no column,
// it is t.
func (t table[T]) narrow(ctx context.Context, keys ...string) table[T] {
	fields, ok := portal.FieldsFrom(ctx)[t.goType]
	if !ok {
		return t
	}
	set := t.always
	for _, f := range fields {
		i, ok := t.byField[f]
		if !ok {
			return t
		}
		set |= 1 << i
	}
	for _, k := range keys {
		set |= t.columnsIn(k)
	}
	if set == t.all() {
		return t
	}
	return t.narrowed.of(t, set)
}

// only is the table reading the columns in set alone.
func (t table[T]) only(set columnSet) table[T] {
	n := t
	n.columns, n.fields, n.scans = nil, nil, nil
	for i := range t.columns {
		if set&(1<<i) != 0 {
			n.columns = append(n.columns, t.columns[i])
			n.fields = append(n.fields, t.fields[i])
			n.scans = append(n.scans, t.scans[i])
		}
	}
	return n
}

// columnsIn are the columns of the alias "a" an SQL expression names.
func (t table[T]) columnsIn(expr string) columnSet {
	var set columnSet
	for rest := expr; ; {
		i := strings.Index(rest, "a.")
		if i < 0 {
			return set
		}
		if i > 0 && isIdentByte(rest[i-1]) { // "xa.id" is another alias's
			rest = rest[i+2:]
			continue
		}
		rest = rest[i+2:]
		n := 0
		for n < len(rest) && isIdentByte(rest[n]) {
			n++
		}
		if c := slices.Index(t.columns, rest[:n]); c >= 0 {
			set |= 1 << c
		}
		rest = rest[n:]
	}
}

func isIdentByte(c byte) bool {
	return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_'
}

// narrowedTables keeps the narrowed tables made of one table, for reuse:
// the same selections come again and again. A selection is the client's
// to choose, so the number kept is bounded; beyond it a narrowed table is
// made afresh each time.
type narrowedTables[T any] struct {
	mu     sync.RWMutex
	tables map[columnSet]table[T]
}

const maxNarrowedTables = 256

// of is t narrowed to set: kept, or made.
func (n *narrowedTables[T]) of(t table[T], set columnSet) table[T] {
	n.mu.RLock()
	kept, ok := n.tables[set]
	n.mu.RUnlock()
	if ok {
		return kept
	}
	narrowed := t.only(set)
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.tables == nil {
		n.tables = map[columnSet]table[T]{}
	}
	if len(n.tables) < maxNarrowedTables {
		n.tables[set] = narrowed
	}
	return narrowed
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
