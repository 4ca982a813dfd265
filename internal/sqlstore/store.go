// Package sqlstore keeps the workspace's records in PostgreSQL or SQLite.
//
// Every read is scoped by the principal that asks, in SQL (see scope.go);
// every write records its activity event in the same transaction.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"portalgraph/internal/portal"
)

// Store is the sqlx implementation of the workspace's storage.
type Store struct {
	db      *sqlx.DB
	reads   *preparedReads
	dialect dialect
	t       tables
	now     func() time.Time
	events  *events
	auth    authStatements
}

// tables describes each record type's table once.
type tables struct {
	workspaces   table[portal.Workspace]
	users        table[portal.User]
	clients      table[portal.Client]
	contacts     table[portal.Contact]
	projects     table[portal.Project]
	deliverables table[portal.Deliverable]
	approvals    table[portal.Approval]
	decisions    table[portal.ApprovalDecision]
	notes        table[portal.Note]
	activity     table[portal.ActivityEvent]
	approvers    table[portal.Approver]
	tokens       table[portal.AccessToken]
	outbox       table[portal.OutboxMessage]
	invites      table[portal.Invite]
	files        table[portal.File]
	reports      table[portal.Report]
	exports      table[portal.Export]
	requests     table[portal.ClientRequest]
	comments     table[portal.RequestComment]
	partnerKeys  table[portal.PartnerKey]
	operations   table[portal.PersistedOperation]
	readEvents   table[portal.ReadEvent]

	webhookEndpoints  table[portal.WebhookEndpoint]
	webhookDeliveries table[portal.WebhookDelivery]
	roles             table[portal.Role]
}

func newTables() tables {
	return tables{
		workspaces:   newTable[portal.Workspace]("workspaces", portal.PrefixWorkspace),
		users:        newTable[portal.User]("users", portal.PrefixUser),
		clients:      newTable[portal.Client]("clients", portal.PrefixClient),
		contacts:     newTable[portal.Contact]("contacts", portal.PrefixContact).withLive(liveColumns["contacts"]),
		projects:     newTable[portal.Project]("projects", portal.PrefixProject).withLive(liveColumns["projects"]),
		deliverables: newTable[portal.Deliverable]("deliverables", portal.PrefixDeliverable).withLive(liveColumns["deliverables"]),
		approvals:    newTable[portal.Approval]("approvals", portal.PrefixApproval).withLive(liveColumns["approvals"]),
		decisions:    newTable[portal.ApprovalDecision]("approval_decisions", portal.PrefixDecision).withLive(liveColumns["approval_decisions"]),
		notes:        newTable[portal.Note]("notes", portal.PrefixNote),
		activity:     newTable[portal.ActivityEvent]("activity_events", portal.PrefixActivity),
		approvers:    newTable[portal.Approver]("approval_approvers", ""),
		tokens:       newTable[portal.AccessToken]("tokens", portal.PrefixToken),
		outbox:       newTable[portal.OutboxMessage]("outbox", portal.PrefixMessage),
		invites:      newTable[portal.Invite]("invites", portal.PrefixInvite),
		files:        newTable[portal.File]("files", portal.PrefixFile).withLive(liveColumns["files"]),
		reports:      newTable[portal.Report]("reports", portal.PrefixReport).withLive(liveColumns["reports"]),
		exports:      newTable[portal.Export]("exports", portal.PrefixExport),
		requests:     newTable[portal.ClientRequest]("client_requests", portal.PrefixRequest).withLive(liveColumns["client_requests"]),
		comments:     newTable[portal.RequestComment]("request_comments", portal.PrefixComment).withLive(liveColumns["request_comments"]),
		partnerKeys:  newTable[portal.PartnerKey]("partner_keys", portal.PrefixPartnerKey),
		operations:   newTable[portal.PersistedOperation]("persisted_operations", portal.PrefixOperation),
		readEvents:   newTable[portal.ReadEvent]("read_events", portal.PrefixReadEvent),

		webhookEndpoints:  newTable[portal.WebhookEndpoint]("webhook_endpoints", portal.PrefixWebhook),
		webhookDeliveries: newTable[portal.WebhookDelivery]("webhook_deliveries", portal.PrefixDelivery),
		roles:             newTable[portal.Role]("roles", portal.PrefixRole),
	}
}

// DefaultSQLitePath is where the embedded database lives unless configured.
const DefaultSQLitePath = "data/portalgraph.db"

// Option configures Open.
type Option func(*options)

type options struct {
	observers []StatementObserver
	maxConns  int
	now       func() time.Time
}

// WithClock makes now the store's clock, which stamps what it writes and
// decides what is still restorable; tests move it (internal/testclock).
func WithClock(now func() time.Time) Option {
	return func(o *options) { o.now = now }
}

// WithMaxConns bounds the connection pool (default 32 on PostgreSQL, 8 on
// SQLite).
func WithMaxConns(n int) Option {
	return func(o *options) { o.maxConns = n }
}

// Open connects to the database a URL names: postgres:// or postgresql://
// selects PostgreSQL; sqlite:PATH, file:PATH or a plain path selects SQLite
// (the file and its folder are created); any other scheme is refused. It
// does not migrate.
func Open(ctx context.Context, databaseURL string, opts ...Option) (*Store, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	target, err := parseDatabaseURL(databaseURL)
	if err != nil {
		return nil, err
	}
	d, dsn := target.dialect, target.dsn
	if dir := filepath.Dir(target.path); target.path != "" && dir != "." {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("create database folder: %w", err)
		}
	}
	db, err := openObserved(d, dsn, o.observers)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", d.name, err)
	}
	conns := o.maxConns
	if conns == 0 {
		// SQLite's WAL lets readers run beside its one writer; more
		// connections than that only add contention.
		conns = map[bool]int{true: 32, false: 8}[d.isPostgres()]
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := firstConnection(ctx, db, d); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("connect to %s: %w", d.name, err)
	}
	s := newStore(db, d)
	s.reads.detach = target.boundedStatements
	s.events.dsn = dsn
	if o.now != nil {
		s.now = func() time.Time { return o.now().UTC().Truncate(time.Microsecond) }
	}
	return s, nil
}

// firstConnection opens the pool's first connection. Processes opening
// one new SQLite file at once (servers starting together) race to switch
// it to WAL, which takes the file to itself: a loser is refused at once
// with SQLITE_BUSY rather than waiting out busy_timeout, so it tries
// again until the one switch is done. Later connections find WAL on.
func firstConnection(ctx context.Context, db *sqlx.DB, d dialect) error {
	const tries = 100
	for try := 1; ; try++ {
		err := db.PingContext(ctx)
		if err == nil || !d.isBusy(err) || try == tries {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func newStore(db *sqlx.DB, d dialect) *Store {
	t := newTables()
	return &Store{
		db:      db,
		reads:   &preparedReads{db: db, max: maxPreparedReads},
		dialect: d,
		t:       t,
		now:     func() time.Time { return time.Now().UTC().Truncate(time.Microsecond) },
		events:  newEvents(""),
		auth:    newAuthStatements(d, t),
	}
}

// Dialect is "postgres" or "sqlite".
func (s *Store) Dialect() string { return s.dialect.name }

// Close releases the prepared statements and the connection pool.
func (s *Store) Close() error {
	s.reads.close()
	s.events.close()
	return s.db.Close()
}

// Ping checks the database is reachable.
func (s *Store) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

// AcceptedURLs says what a database URL may be.
const AcceptedURLs = "postgres://…, postgresql://…, sqlite:PATH, file:PATH or a plain file path"

// CheckURL reports what is wrong with a database URL, if anything, without
// connecting or creating anything.
func CheckURL(databaseURL string) error {
	_, err := parseDatabaseURL(databaseURL)
	return err
}

// databaseTarget is the database a URL names.
type databaseTarget struct {
	dialect dialect
	dsn     string
	path    string // SQLite's file
	// boundedStatements: the database ends a statement that runs too
	// long (PostgreSQL's statement_timeout, unless the URL sets it to 0).
	boundedStatements bool
}

func parseDatabaseURL(raw string) (databaseTarget, error) {
	switch scheme := urlScheme(raw); scheme {
	case "postgres", "postgresql":
		u, err := url.Parse(raw)
		if err != nil {
			// url's errors quote the URL, and with it any password.
			return databaseTarget{}, errors.New("database URL: not a valid postgres:// URL")
		}
		q := u.Query()
		if !q.Has("sslmode") && isLocalHost(u.Hostname()) {
			q.Set("sslmode", "disable")
		}
		// Every connection's run-time settings, unless the URL sets its
		// own (lib/pq sends a URL's other parameters as settings, which
		// take precedence over the database's and the role's).
		settings := map[string]string{
			// In milliseconds: a runaway query must not hold a connection.
			"statement_timeout": "15000",
			// The store looks rows up by key in tables held in memory or
			// on SSD; PostgreSQL's default of 4 is for spinning disks. At
			// 4 the planner read a small table whole rather than one row
			// by its key: each portal statement's check of the contact's
			// client scanned the clients table, which under concurrent
			// requests cost a portal dashboard about 15% more of
			// PostgreSQL's time than staff's.
			"random_page_cost": "1.1",
			// Reads are prepared once per connection and batched by keys
			// (= ANY($1)). Left to choose, PostgreSQL planned several of
			// them again at every execution, since the plan it keeps must
			// assume more keys than one: 0.1-0.2 ms each, about a fifth
			// of PostgreSQL's time on a staff dashboard. The indexes are
			// made for plans that do not know the keys (migration 0016).
			"plan_cache_mode": "force_generic_plan",
		}
		for name, value := range settings {
			if !q.Has(name) {
				q.Set(name, value)
			}
		}
		u.RawQuery = q.Encode()
		return databaseTarget{dialect: postgresDialect, dsn: u.String(), boundedStatements: !zeroSetting(q.Get("statement_timeout"))}, nil
	case "", "sqlite", "file":
		path := raw
		if scheme != "" {
			path = strings.TrimPrefix(raw[len(scheme)+1:], "file:") // sqlite:file:PATH too
		}
		if path == "" {
			path = DefaultSQLitePath
		}
		// Foreign keys are off in SQLite unless asked for; IMMEDIATE
		// transactions take the write lock up front instead of failing
		// on upgrade; times are stored as sortable UTC text. SQLite
		// compares that text, not instants, so every time is converted
		// to UTC on the way in (_timezone): one given in another zone
		// would otherwise compare wrongly (a token's expiry, say).
		dsn := "file:" + path + "?_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)" +
			"&_pragma=busy_timeout(10000)&_pragma=synchronous(NORMAL)&_txlock=immediate&_time_format=sqlite&_timezone=UTC"
		return databaseTarget{dialect: sqliteDialect, dsn: dsn, path: path}, nil
	default:
		// Never a file named after a URL meant for another database.
		return databaseTarget{}, fmt.Errorf("unknown database URL scheme %q: use %s", scheme+":", AcceptedURLs)
	}
}

// urlScheme is the scheme a database URL starts with, lower-cased, or ""
// for a plain path. A single letter before the colon is a Windows drive,
// and a path may contain colons after a slash.
func urlScheme(raw string) string {
	before, _, found := strings.Cut(raw, ":")
	if !found || len(before) < 2 {
		return ""
	}
	for i, r := range before {
		letter := 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z'
		if !letter && (i == 0 || !('0' <= r && r <= '9' || r == '+' || r == '-' || r == '.')) {
			return ""
		}
	}
	return strings.ToLower(before)
}

// zeroSetting reports whether a duration setting is zero, which for
// PostgreSQL's timeouts means none: "0", "0ms", "0s" or "0min".
func zeroSetting(v string) bool {
	n, err := strconv.ParseFloat(strings.TrimRight(strings.TrimSpace(v), "abcdefghijklmnopqrstuvwxyz"), 64)
	return err == nil && n == 0
}

func isLocalHost(h string) bool {
	return h == "" || h == "localhost" || h == "127.0.0.1" || h == "::1" || strings.HasPrefix(h, "/")
}

// inTx runs fn in a transaction, committed when fn returns nil.
func (s *Store) inTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	s.began(tx)
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		s.ended(tx, false)
		return err
	}
	if err := tx.Commit(); err != nil {
		s.ended(tx, false)
		return fmt.Errorf("commit: %w", err)
	}
	s.ended(tx, true)
	return nil
}

// queryer is what reads run on: the store's prepared reads or a
// transaction.
type queryer interface {
	QueryxContext(ctx context.Context, query string, args ...any) (*sqlx.Rows, error)
	Rebind(query string) string
}

// execer is what writes run on: the pool or a transaction.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	Rebind(query string) string
}

// selectRecords runs q and scans each row into a T; extra destinations, if
// any, receive the columns that follow the record's own, row after row.
func selectRecords[T any](ctx context.Context, db queryer, t table[T], q *sqlBuf, extra []any, each func(*T)) error {
	rows, err := db.QueryxContext(ctx, db.Rebind(q.String()), q.args...)
	if err != nil {
		return fmt.Errorf("select %s: %w", t.name, err)
	}
	defer rows.Close()
	dest := append(make([]any, len(t.columns), len(t.columns)+len(extra)), extra...)
	for rows.Next() {
		rec := new(T)
		t.dest(dest, rec)
		if err := rows.Scan(dest...); err != nil {
			return fmt.Errorf("scan %s: %w", t.name, err)
		}
		each(rec)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read %s: %w", t.name, err)
	}
	return nil
}

// insert writes one record.
func insert[T any](ctx context.Context, db execer, t table[T], rec *T) error {
	return insertMany(ctx, db, t, []*T{rec})
}

// insertMany writes records in multi-row statements, each under the
// parameter limits of both databases.
func insertMany[T any](ctx context.Context, db execer, t table[T], recs []*T) error {
	perStmt := max(1, 30000/len(t.columns))
	for start := 0; start < len(recs); start += perStmt {
		chunk := recs[start:min(start+perStmt, len(recs))]
		q := &sqlBuf{}
		q.sql("INSERT INTO " + t.name + " (" + strings.Join(t.columns, ", ") + ") VALUES ")
		for i, rec := range chunk {
			if i > 0 {
				q.sql(", ")
			}
			q.sql("(")
			for j, v := range t.values(rec) {
				if j > 0 {
					q.sql(", ")
				}
				q.arg(v)
			}
			q.sql(")")
		}
		if _, err := db.ExecContext(ctx, db.Rebind(q.String()), q.args...); err != nil {
			return fmt.Errorf("insert %s: %w", t.name, err)
		}
	}
	return nil
}

// copyInto writes recs with COPY, PostgreSQL's bulk load: the rows stream
// as data, where a multi-row INSERT's text and thousands of parameters are
// built and sent whole (growing both buffers by doubling), then parsed
// and planned. The audit of reads writes this way: each flush is hundreds
// of events of a few kilobytes.
func copyInto[T any](ctx context.Context, tx *sqlx.Tx, t table[T], recs []*T) error {
	stmt, err := tx.PrepareContext(ctx, pq.CopyIn(t.name, t.columns...))
	if err != nil {
		return fmt.Errorf("copy into %s: %w", t.name, err)
	}
	defer stmt.Close()
	for _, rec := range recs {
		if _, err := stmt.ExecContext(ctx, t.values(rec)...); err != nil {
			return fmt.Errorf("copy into %s: %w", t.name, err)
		}
	}
	// An Exec without values ends the data and reports the server's
	// answer.
	if _, err := stmt.ExecContext(ctx); err != nil {
		return fmt.Errorf("copy into %s: %w", t.name, err)
	}
	return nil
}

// update rewrites every column of one record, found by workspace and ID.
func update[T any](ctx context.Context, db execer, t table[T], workspaceID, id string, rec *T) error {
	q := &sqlBuf{}
	q.sql("UPDATE " + t.name + " SET ")
	for i, v := range t.values(rec) {
		if i > 0 {
			q.sql(", ")
		}
		q.sql(t.columns[i] + " = ").arg(v)
	}
	q.sql(" WHERE workspace_id = ").arg(workspaceID).sql(" AND id = ").arg(id)
	res, err := db.ExecContext(ctx, db.Rebind(q.String()), q.args...)
	if err != nil {
		return fmt.Errorf("update %s: %w", t.name, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return portal.NotFound(id)
	}
	return nil
}

// errNoRows reports whether err means a query found nothing.
func errNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

// DB is the underlying connection pool, for operators' tools and tests
// that must reach past the store's API.
func (s *Store) DB() *sqlx.DB { return s.db }
