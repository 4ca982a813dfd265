package sqlstore

import (
	"net/url"
	"strings"
	"testing"
)

// A database URL selects PostgreSQL or SQLite by its scheme; a plain path
// is an SQLite file. Any other scheme is refused, never taken for the
// name of a file.
func TestParseDatabaseURL(t *testing.T) {
	for raw, want := range map[string]struct{ dialect, path string }{
		"postgres://u:secret@db.example/portal": {dialect: "postgres"},
		"postgresql://u@127.0.0.1:5432/portal":  {dialect: "postgres"},
		"POSTGRES://u@127.0.0.1/portal":         {dialect: "postgres"},
		"":                                      {"sqlite", DefaultSQLitePath},
		"sqlite:data/x.db":                      {"sqlite", "data/x.db"},
		"sqlite:/var/lib/portalgraph/x.db":      {"sqlite", "/var/lib/portalgraph/x.db"},
		"file:x.db":                             {"sqlite", "x.db"},
		"sqlite:file:x.db":                      {"sqlite", "x.db"},
		"data/x.db":                             {"sqlite", "data/x.db"},
		"/abs/path/x.db":                        {"sqlite", "/abs/path/x.db"},
		"./data/with:colon.db":                  {"sqlite", "./data/with:colon.db"},
		`C:\portalgraph\x.db`:                   {"sqlite", `C:\portalgraph\x.db`},
		"portalgraph.db":                        {"sqlite", "portalgraph.db"},
	} {
		got, err := parseDatabaseURL(raw)
		if err != nil || got.dialect.name != want.dialect || got.path != want.path {
			t.Errorf("%q: %s %q, %v; want %s %q", raw, got.dialect.name, got.path, err, want.dialect, want.path)
		}
		if CheckURL(raw) != nil {
			t.Errorf("CheckURL(%q) = %v", raw, CheckURL(raw))
		}
	}
	for raw, scheme := range map[string]string{
		"mysql://u:secret@db.example/portal":     "mysql:",
		"postgress://u:secret@db.example/portal": "postgress:",
		"postgre://db.example/portal":            "postgre:",
		"sqlite3:data/x.db":                      "sqlite3:",
		"redis://localhost:6379":                 "redis:",
		"Mysql://db.example/portal":              "mysql:",
	} {
		_, err := parseDatabaseURL(raw)
		if err == nil {
			t.Errorf("%q was accepted", raw)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, `scheme "`+scheme+`"`) || !strings.Contains(msg, AcceptedURLs) || strings.Contains(msg, "secret") {
			t.Errorf("%q: %v", raw, err)
		}
	}
}

// A PostgreSQL URL gets the store's run-time settings, each unless the URL
// sets its own.
func TestPostgresURLSettings(t *testing.T) {
	got, err := parseDatabaseURL("postgres://u@db.example/portal?random_page_cost=4&application_name=x")
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(got.dsn)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	for name, want := range map[string]string{
		"statement_timeout": "15000",
		"random_page_cost":  "4",
		"plan_cache_mode":   "force_generic_plan",
		"application_name":  "x",
	} {
		if q.Get(name) != want {
			t.Errorf("%s = %q, want %q (%s)", name, q.Get(name), want, got.dsn)
		}
	}
}

// Reads run apart from their request's cancellation only where the
// database ends a statement that runs too long: PostgreSQL with a
// statement_timeout, the store's or the URL's, not 0; never SQLite.
func TestBoundedStatements(t *testing.T) {
	for raw, want := range map[string]bool{
		"postgres://u@db.example/portal":                          true,
		"postgres://u@db.example/portal?statement_timeout=30s":    true,
		"postgres://u@db.example/portal?statement_timeout=500":    true,
		"postgres://u@db.example/portal?statement_timeout=0":      false,
		"postgres://u@db.example/portal?statement_timeout=0ms":    false,
		"postgres://u@db.example/portal?statement_timeout=%200s":  false,
		"postgres://u@db.example/portal?statement_timeout=0.0min": false,
		"sqlite:data/x.db": false,
	} {
		got, err := parseDatabaseURL(raw)
		if err != nil || got.boundedStatements != want {
			t.Errorf("%q: bounded statements %v, %v; want %v", raw, got.boundedStatements, err, want)
		}
	}
}
