package sqlstore

import "strings"

// sqlBuf builds one SQL statement and its arguments side by side, so a
// placeholder can never drift from its value.
type sqlBuf struct {
	b    strings.Builder
	args []any
}

func (q *sqlBuf) sql(s string) *sqlBuf {
	q.b.WriteString(s)
	return q
}

// arg writes a placeholder for v.
func (q *sqlBuf) arg(v any) *sqlBuf {
	q.b.WriteByte('?')
	q.args = append(q.args, v)
	return q
}

// and writes " AND " between conditions: before every one but the first.
type conds struct {
	q     *sqlBuf
	count int
}

func (q *sqlBuf) where() *conds {
	q.sql(" WHERE ")
	return &conds{q: q}
}

// next starts a condition and returns the buffer to write it into.
func (c *conds) next() *sqlBuf {
	if c.count > 0 {
		c.q.sql(" AND ")
	}
	c.count++
	return c.q
}

func (q *sqlBuf) String() string { return q.b.String() }
