package sqlstore

import (
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"net"
	"strings"
	"syscall"

	"github.com/lib/pq"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// dialect holds every difference between PostgreSQL and SQLite the store
// depends on. The rest of the store writes one SQL for both, with ?
// placeholders that sqlx rebinds for PostgreSQL.
type dialect struct {
	name   string // "postgres" or "sqlite": also the migrations folder
	driver string // database/sql driver name
}

var (
	postgresDialect = dialect{name: "postgres", driver: "postgres"}
	sqliteDialect   = dialect{name: "sqlite", driver: "sqlite"}
)

func (d dialect) isPostgres() bool { return d.name == "postgres" }

// stringAgg is the aggregate joining a text column's values with commas.
func (d dialect) stringAgg(col string) string {
	if d.isPostgres() {
		return "string_agg(" + col + ", ',')"
	}
	return "group_concat(" + col + ", ',')"
}

// inList writes "col is one of ids" as a condition with a single parameter,
// so a batch of any size is one statement text (and one cached plan).
func (d dialect) inList(q *sqlBuf, col string, ids []string) {
	if d.isPostgres() {
		q.sql(col + " = ANY(").arg(textArray(ids)).sql(")")
		return
	}
	q.sql(col + " IN (SELECT value FROM json_each(").arg(jsonList(ids)).sql("))")
}

// textArray is a list bound as a PostgreSQL text[] literal, as
// pq.StringArray is, but written in one allocation of the size it needs:
// a batch of IDs is bound to most statements a request makes, and
// pq.StringArray grows its buffer from a few bytes per ID and copies it
// twice more.
type textArray []string

func (a textArray) Value() (driver.Value, error) {
	size := 2
	for _, s := range a {
		size += len(s) + 3 // quotes and a comma
	}
	var b strings.Builder
	b.Grow(size)
	b.WriteByte('{')
	for i, s := range a {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('"')
		for s != "" {
			j := strings.IndexAny(s, `"\`)
			if j < 0 {
				b.WriteString(s)
				break
			}
			b.WriteString(s[:j])
			b.WriteByte('\\')
			b.WriteByte(s[j])
			s = s[j+1:]
		}
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String(), nil
}

// jsonList is a list bound as the JSON text SQLite's json_each reads. It
// stays a list until the driver asks for its value, so the argument check
// reads its items as it reads PostgreSQL's arrays, not their JSON (which
// would carry a NUL as "\u0000", and invalid UTF-8 replaced).
type jsonList []string

func (l jsonList) Value() (driver.Value, error) {
	encoded, err := json.Marshal([]string(l))
	return string(encoded), err
}

// inSubquery writes "col is one of the values the subquery selects", the
// subquery run once for the statement. PostgreSQL would otherwise be free
// to run it once per row, and with a generic plan often does.
func (d dialect) inSubquery(q *sqlBuf, col string, subquery func(*sqlBuf)) {
	if d.isPostgres() {
		q.sql(col + " = ANY(ARRAY(")
		subquery(q)
		q.sql("))")
		return
	}
	q.sql(col + " IN (")
	subquery(q)
	q.sql(")")
}

// forUpdate locks the rows a read-modify-write transaction reads. SQLite
// needs none: its write transactions start IMMEDIATE and run one at a time.
func (d dialect) forUpdate() string {
	if d.isPostgres() {
		return " FOR UPDATE"
	}
	return ""
}

// skipLocked locks the rows a queue's worker reads and passes over those
// another transaction holds, so workers on several servers each take a
// different job without waiting. SQLite runs one write transaction at a
// time, so its workers never meet.
func (d dialect) skipLocked() string {
	if d.isPostgres() {
		return " FOR UPDATE SKIP LOCKED"
	}
	return ""
}

// isUniqueViolation reports whether err is a unique constraint violation.
func (d dialect) isUniqueViolation(err error) bool {
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		return pqErr.Code == "23505"
	}
	var liteErr *sqlite.Error
	if errors.As(err, &liteErr) {
		return liteErr.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || liteErr.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// isBusy reports whether SQLite refused err's statement because another
// connection held a lock it needed.
func (d dialect) isBusy(err error) bool {
	var liteErr *sqlite.Error
	return !d.isPostgres() && errors.As(err, &liteErr) && liteErr.Code()&0xff == sqlite3.SQLITE_BUSY
}

// likePattern turns user text into a case-insensitive LIKE pattern matching
// it anywhere, with LIKE's wildcards escaped (the query says ESCAPE '\').
func likePattern(text string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(strings.ToLower(text)) + "%"
}

// Unavailable reports whether err says the database cannot be reached or
// is not taking work now (closed, refused, shutting down, out of
// connections), as opposed to a statement that failed: the caller may
// retry shortly.
func Unavailable(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, sql.ErrConnDone) || errors.Is(err, driver.ErrBadConn) || errors.Is(err, syscall.ECONNREFUSED) {
		return true
	}
	var netErr *net.OpError
	if errors.As(err, &netErr) {
		return true
	}
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		switch {
		case pqErr.Code.Class() == "08", // connection exception
			pqErr.Code == "53300",                                               // too many connections
			pqErr.Code == "57P01", pqErr.Code == "57P02", pqErr.Code == "57P03": // shutting down, starting up
			return true
		}
	}
	// database/sql does not export the errors of a closed pool, nor of
	// the store's prepared reads, closed with it.
	msg := err.Error()
	return strings.Contains(msg, "sql: database is closed") || strings.Contains(msg, "sql: statement is closed")
}

// Dashboards' date arithmetic (see dashboard.go). Timestamps are stored in
// UTC: PostgreSQL's timestamptz is read at UTC, SQLite's text is written
// at UTC ("2006-01-02 15:04:05.999999999+00:00"), and dates are YYYY-MM-DD
// on both.

// monthOf is the month (YYYY-MM) of a timestamp, or of a date when date
// is set.
func (d dialect) monthOf(expr string, date bool) string {
	switch {
	case !d.isPostgres():
		return "substr(" + expr + ", 1, 7)"
	case date:
		return "to_char(" + expr + ", 'YYYY-MM')"
	}
	return "to_char(" + expr + " AT TIME ZONE 'UTC', 'YYYY-MM')"
}

// weekOf is the Monday (YYYY-MM-DD) of a timestamp's week.
func (d dialect) weekOf(expr string) string {
	if d.isPostgres() {
		return "to_char(date_trunc('week', " + expr + " AT TIME ZONE 'UTC'), 'YYYY-MM-DD')"
	}
	// The next Sunday, or this one, then back to its Monday.
	return "date(" + expr + ", 'weekday 0', '-6 days')"
}

// secondsBetween is the seconds from one timestamp to another, as a
// floating-point number (SQLite's to the millisecond).
func (d dialect) secondsBetween(from, to string) string {
	if d.isPostgres() {
		return "CAST(EXTRACT(EPOCH FROM (" + to + " - " + from + ")) AS double precision)"
	}
	return "((julianday(" + to + ") - julianday(" + from + ")) * 86400.0)"
}
