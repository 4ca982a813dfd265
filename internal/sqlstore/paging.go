package sqlstore

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strconv"
	"time"
	"unicode/utf8"

	"portalgraph/internal/portal"
)

// order is a keyset ordering: a sort expression, then the ID as tie-break.
// A nil key orders by ID alone (IDs are time-sortable, so that is creation
// order).
type order[T any] struct {
	expr string // SQL over the alias "a"
	kind keyKind
	desc bool
	key  func(*T) any
}

// keyKind is what an ordering's key is. A cursor's key is bound into the
// keyset comparison as a value of that kind, so it must be one: PostgreSQL
// would fail on "not-a-date" compared with a date, where SQLite compares
// any two values, and the answer would differ by database.
type keyKind int

const (
	keyNone keyKind = iota // no key: the ID alone
	keyText                // text
	keyInt                 // an integer (SQLite compares by type)
	keyDate                // a date, written YYYY-MM-DD
	// keyInstant is a time, written RFC 3339 in the cursor. It is bound as
	// a time again, which each driver writes as it stores times: SQLite
	// compares the stored text, which RFC 3339 text is not.
	keyInstant
)

func byCreation[T any](desc bool) order[T] { return order[T]{desc: desc} }

func (o order[T]) orderBy(alias string) string {
	dir := " ASC"
	if o.desc {
		dir = " DESC"
	}
	if o.key == nil {
		return alias + ".id" + dir
	}
	return o.expr + dir + ", " + alias + ".id" + dir
}

// after writes the keyset condition "comes after the cursor".
func (o order[T]) after(q *sqlBuf, c cursor) {
	op := " > "
	if o.desc {
		op = " < "
	}
	if o.key == nil {
		q.sql("a.id" + op).arg(c.id)
		return
	}
	q.sql("(" + o.expr + ", a.id)" + op + "(").arg(c.key).sql(", ").arg(c.id).sql(")")
}

func (o order[T]) cursorOf(rec *T, id string) string {
	var key any
	if o.key != nil {
		key = o.key(rec)
	}
	// What json.Marshal([]any{key, id}) writes, without its reflection and
	// garbage, for the keys and IDs every ordering makes: a cursor is made
	// for every edge of every page.
	var buf [128]byte
	if b, ok := appendCursor(buf[:0], key, id); ok {
		var enc [192]byte
		return string(base64.RawURLEncoding.AppendEncode(enc[:0], b))
	}
	b, _ := json.Marshal([]any{key, id}) // strings and integers always encode
	return base64.RawURLEncoding.EncodeToString(b)
}

// appendCursor appends a cursor's JSON when its key is absent, an integer
// or a plain string, and its ID plain; ok is false for anything else,
// which json.Marshal writes.
func appendCursor(b []byte, key any, id string) (_ []byte, ok bool) {
	if !plainID(id) {
		return b, false
	}
	b = append(b, '[')
	switch k := key.(type) {
	case nil:
		b = append(b, "null"...)
	case int:
		b = strconv.AppendInt(b, int64(k), 10)
	case int64:
		b = strconv.AppendInt(b, k, 10)
	case string:
		if !plainText(k) {
			return b, false
		}
		b = append(append(append(b, '"'), k...), '"')
	default:
		return b, false
	}
	return append(append(append(b, `,"`...), id...), `"]`...), true
}

// plainID reports whether id is made only of letters, digits, '_' and '-',
// which JSON writes as they are; every ID the store makes is.
func plainID(id string) bool {
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// plainText reports whether json.Marshal writes s as it is between quotes:
// printable ASCII without the characters it escapes (quote, backslash, and
// the HTML-sensitive <, > and &). Dates, instants and most names are.
func plainText(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return true
}

type cursor struct {
	key any
	id  string
}

// ofList reports whether id is an ID of the list's records: of its
// table's kind, or of any kind for a list of several (deletedRecords),
// whose table has none of its own.
func (l *list[T]) ofList(id string) bool {
	if l.table.prefix == "" {
		return portal.IDPrefix(id) != ""
	}
	return portal.HasPrefix(id, l.table.prefix)
}

// parseCursor reads a cursor made by cursorOf for the same list and
// ordering: its ID must be one of the list's records, and its key of the
// ordering's kind. Anything else, a cursor of another list or ordering
// included, is bad input, refused before a statement is sent.
func (l *list[T]) parseCursor(s string) (cursor, error) {
	bad := portal.InvalidField("after", "not a cursor of this list")
	raw, err := base64.RawURLEncoding.DecodeString(s)
	// Decoding JSON replaces invalid UTF-8 rather than fail: no cursor
	// made here has any.
	if err != nil || !utf8.Valid(raw) {
		return cursor{}, bad
	}
	var parts []json.RawMessage
	if json.Unmarshal(raw, &parts) != nil || len(parts) != 2 {
		return cursor{}, bad
	}
	var c cursor
	if json.Unmarshal(parts[1], &c.id) != nil || !l.ofList(c.id) {
		return cursor{}, bad
	}
	o := l.order
	// A key where the ordering has none, or none where it needs one, is a
	// cursor of another ordering: JSON null would otherwise read as "" and
	// restart the list silently.
	if hasKey := string(parts[0]) != "null"; hasKey != (o.key != nil) {
		return cursor{}, bad
	}
	if o.key == nil {
		return c, nil
	}
	key, ok := o.kind.parse(parts[0])
	if !ok {
		return cursor{}, bad
	}
	c.key = key
	return c, nil
}

// parse reads a cursor's key as a value of the kind, to bind; false when
// it is not one, or not one both databases compare alike.
func (k keyKind) parse(raw json.RawMessage) (any, bool) {
	if k == keyInt {
		var n json.Number
		if json.Unmarshal(raw, &n) != nil {
			return nil, false
		}
		v, err := strconv.ParseInt(n.String(), 10, 64)
		return v, err == nil
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return nil, false
	}
	switch k {
	case keyText:
		return s, portal.CheckText(s) == nil
	case keyDate:
		d, err := portal.ParseDate(s)
		return d.String(), err == nil
	case keyInstant:
		at, err := time.Parse(time.RFC3339Nano, s)
		return at.UTC(), err == nil && portal.CheckInstant(at) == nil
	}
	return nil, false // a keyed ordering must say what its key is
}

// list describes one paginated read: which records, seen by whom, in which
// order. Under parents, it is one windowed statement for all of them.
type list[T any] struct {
	table  table[T]
	rules  ruleSet
	filter func(c *conds) // extra conditions on the alias "a"
	order  order[T]
	id     func(*T) string
	page   portal.PageArgs

	// For connections under many parents: the parent column and IDs.
	parentColumn string
	parentIDs    []string
	parentOf     func(*T) string
}

func checkPage(p portal.PageArgs) error {
	if p.First < 0 || p.First > portal.MaxPageSize {
		return portal.InvalidField("first", "must be between 0 and "+strconv.Itoa(portal.MaxPageSize))
	}
	return nil
}

// where writes the scope, filter and cursor conditions; with parentIDs,
// only the records under those parents.
func (l *list[T]) where(q *sqlBuf, d dialect, c *cursor, parentIDs []string) {
	w := q.where()
	if parentIDs != nil {
		l.rules.writeUnder(w, d, "a", l.parentColumn, parentIDs)
	} else {
		l.rules.write(w, "a")
	}
	if l.filter != nil {
		l.filter(w)
	}
	if c != nil {
		l.order.after(w.next(), *c)
	}
}

// fetchPage runs a root list: keyset, LIMIT first+1 to learn whether there
// is a next page, and the total in a subquery of the same statement when
// asked for.
func fetchPage[T any](ctx context.Context, s *Store, l list[T]) (*portal.Connection[T], error) {
	if err := checkPage(l.page); err != nil {
		return nil, err
	}
	l.table = l.table.narrow(ctx, l.order.expr)
	var after *cursor
	if l.page.After != nil {
		c, err := l.parseCursor(*l.page.After)
		if err != nil {
			return nil, err
		}
		after = &c
	}
	q := &sqlBuf{}
	total := -1
	var extra []any
	q.sql("SELECT " + l.table.selectList("a"))
	if l.page.Count {
		// The total is of the whole list, counted before the cursor
		// applies, in a subquery run once. A window over the page's own
		// rows would carry every matched row in full through a sort; the
		// subquery reads only what the conditions need, which an index can
		// answer alone, and the page stops at its LIMIT.
		q.sql(", (SELECT COUNT(*) FROM " + l.table.name + " a")
		l.where(q, s.dialect, nil, nil)
		q.sql(") AS pg_total")
		extra = []any{&total}
	}
	q.sql(" FROM " + l.table.name + " a")
	l.where(q, s.dialect, after, nil)
	q.sql(" ORDER BY " + l.order.orderBy("a") + " LIMIT ").arg(l.page.First + 1)

	var recs []*T
	if err := selectRecords(ctx, s.reads, l.table, q, extra, func(r *T) { recs = append(recs, r) }); err != nil {
		return nil, err
	}
	conn := l.connection(recs, after != nil)
	if l.page.Count {
		if total < 0 { // no row after the cursor carried the total
			n, err := countAll(ctx, s, l)
			if err != nil {
				return nil, err
			}
			total = n
		}
		conn.TotalCount = total
	}
	return conn, nil
}

func countAll[T any](ctx context.Context, s *Store, l list[T]) (int, error) {
	q := &sqlBuf{}
	q.sql("SELECT COUNT(*) FROM " + l.table.name + " a")
	l.where(q, s.dialect, nil, nil)
	var n int
	err := s.reads.QueryRowxContext(ctx, s.reads.Rebind(q.String()), q.args...).Scan(&n)
	return n, err
}

// fetchPages runs the same page of a connection under many parents as one
// statement: ROW_NUMBER per parent keeps the first+1 rows of each, and a
// COUNT window per parent gives every total.
func fetchPages[T any](ctx context.Context, s *Store, l list[T]) (map[string]*portal.Connection[T], error) {
	if err := checkPage(l.page); err != nil {
		return nil, err
	}
	l.table = l.table.narrow(ctx, l.order.expr, "a."+l.parentColumn)
	var after *cursor
	if l.page.After != nil {
		c, err := l.parseCursor(*l.page.After)
		if err != nil {
			return nil, err
		}
		after = &c
	}
	window := "ROW_NUMBER() OVER (PARTITION BY a." + l.parentColumn + " ORDER BY " + l.order.orderBy("a") + ") AS pg_rn"

	q := &sqlBuf{}
	totals := map[string]int{}
	var extra []any
	var total int
	count := "COUNT(*) OVER (PARTITION BY a." + l.parentColumn + ") AS pg_total"
	switch {
	case l.page.Count && after != nil:
		// The total is of the whole list, counted before the cursor
		// applies; the rows are numbered after it.
		q.sql("SELECT " + l.table.selectList("a") + ", a.pg_total FROM (SELECT a.*, " + window +
			" FROM (SELECT a.*, " + count + " FROM " + l.table.name + " a")
		l.where(q, s.dialect, nil, l.parentIDs)
		q.sql(") a")
		l.order.after(q.where().next(), *after)
		q.sql(") a")
		extra = []any{&total}
	case l.page.Count:
		// Without a cursor both windows are over the same rows, and
		// PostgreSQL computes them from one sort.
		q.sql("SELECT " + l.table.selectList("a") + ", a.pg_total FROM (SELECT a.*, " + count + ", " + window + " FROM " + l.table.name + " a")
		l.where(q, s.dialect, nil, l.parentIDs)
		q.sql(") a")
		extra = []any{&total}
	default:
		q.sql("SELECT " + l.table.selectList("a") + " FROM (SELECT a.*, " + window + " FROM " + l.table.name + " a")
		l.where(q, s.dialect, after, l.parentIDs)
		q.sql(") a")
	}
	// In the order the rows were numbered in, which PostgreSQL knows the
	// window's sort gives, rather than by the number, which it would sort
	// the rows again for.
	q.sql(" WHERE a.pg_rn <= ").arg(l.page.First + 1).sql(" ORDER BY a." + l.parentColumn + ", " + l.order.orderBy("a"))

	grouped := map[string][]*T{}
	err := selectRecords(ctx, s.reads, l.table, q, extra, func(r *T) {
		p := l.parentOf(r)
		grouped[p] = append(grouped[p], r)
		totals[p] = total
	})
	if err != nil {
		return nil, err
	}
	out := make(map[string]*portal.Connection[T], len(l.parentIDs))
	var uncounted []string
	for _, id := range l.parentIDs {
		conn := l.connection(grouped[id], after != nil)
		if l.page.Count {
			n, ok := totals[id]
			if !ok && after != nil {
				uncounted = append(uncounted, id) // every row came before the cursor
			}
			conn.TotalCount = n
		}
		out[id] = conn
	}
	if len(uncounted) > 0 {
		if err := countPerParent(ctx, s, l, uncounted, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func countPerParent[T any](ctx context.Context, s *Store, l list[T], parentIDs []string, out map[string]*portal.Connection[T]) error {
	q := &sqlBuf{}
	q.sql("SELECT a." + l.parentColumn + ", COUNT(*) FROM " + l.table.name + " a")
	l.where(q, s.dialect, nil, parentIDs)
	q.sql(" GROUP BY a." + l.parentColumn)
	rows, err := s.reads.QueryxContext(ctx, s.reads.Rebind(q.String()), q.args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return err
		}
		out[id].TotalCount = n
	}
	return rows.Err()
}

// connection turns the first+1 rows of a page into a Relay connection.
func (l *list[T]) connection(recs []*T, afterCursor bool) *portal.Connection[T] {
	conn := &portal.Connection[T]{}
	if len(recs) > l.page.First {
		recs = recs[:l.page.First]
		conn.PageInfo.HasNextPage = true
	}
	// Forward pagination only: a page after a cursor has records before it.
	conn.PageInfo.HasPreviousPage = afterCursor
	conn.Edges = make([]portal.Edge[T], len(recs))
	for i, r := range recs {
		conn.Edges[i] = portal.Edge[T]{Cursor: l.order.cursorOf(r, l.id(r)), Node: r}
	}
	if n := len(conn.Edges); n > 0 {
		conn.PageInfo.StartCursor = &conn.Edges[0].Cursor
		conn.PageInfo.EndCursor = &conn.Edges[n-1].Cursor
	}
	return conn
}

// byIDs returns the records among ids that the rules let the principal see,
// in no particular order.
func byIDs[T any](ctx context.Context, s *Store, t table[T], rs ruleSet, ids []string) ([]*T, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	t = t.narrow(ctx)
	q := &sqlBuf{}
	q.sql("SELECT " + t.selectList("a") + " FROM " + t.name + " a")
	w := q.where()
	s.dialect.inList(w.next(), "a.id", ids)
	rs.write(w, "a")
	var out []*T
	err := selectRecords(ctx, s.reads, t, q, nil, func(r *T) { out = append(out, r) })
	return out, err
}
