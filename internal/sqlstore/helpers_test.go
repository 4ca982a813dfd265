package sqlstore_test

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"portalgraph/internal/portal"
	"portalgraph/internal/sqlstore"
	"portalgraph/internal/sqlstore/sqltest"
)

// Tests name records by their Fixture field ("AShared", "DOfInternal"), so
// a failure reads as the authorization rule it breaks rather than as IDs.

// labels maps the ID of every record the fixture names to its field name.
type labels map[string]string

func labelsOf(f *sqltest.Fixture) labels {
	out := labels{}
	v := reflect.ValueOf(f).Elem()
	for i := range v.NumField() {
		fv := v.Field(i)
		if fv.Kind() != reflect.Pointer || fv.IsNil() || fv.Elem().Kind() != reflect.Struct {
			continue
		}
		if id := fv.Elem().FieldByName("ID"); id.IsValid() && id.Kind() == reflect.String {
			out[id.String()] = v.Type().Field(i).Name
		}
	}
	return out
}

// of returns the sorted labels of ids; an ID without a label stands for itself.
func (l labels) of(ids []string) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if name, ok := l[id]; ok {
			out = append(out, name)
		} else {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

// inOrder returns the labels of ids, in the order given.
func (l labels) inOrder(ids []string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = id
		if name, ok := l[id]; ok {
			out[i] = name
		}
	}
	return out
}

type record interface{ GetID() string }

func idsOf[R record](recs []R) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.GetID()
	}
	return out
}

// edgeIDs lists a connection's node IDs in page order.
func edgeIDs[T any, P interface {
	*T
	record
}](c *portal.Connection[T]) []string {
	out := make([]string, len(c.Edges))
	for i, e := range c.Edges {
		out[i] = P(e.Node).GetID()
	}
	return out
}

// unionOfPages checks every parent's page is complete (TotalCount equals
// its edges, since tests ask for pages larger than the data) and returns
// all the IDs.
func unionOfPages[T any, P interface {
	*T
	record
}](t *testing.T, what string, pages map[string]*portal.Connection[T], parents []string) []string {
	t.Helper()
	var out []string
	for _, id := range parents {
		c := pages[id]
		if c == nil {
			t.Errorf("%s: no connection for parent %s", what, id)
			continue
		}
		ids := edgeIDs[T, P](c)
		if c.TotalCount != len(ids) {
			t.Errorf("%s of %s: TotalCount %d, want %d (the edges)", what, id, c.TotalCount, len(ids))
		}
		if c.PageInfo.HasNextPage || c.PageInfo.HasPreviousPage {
			t.Errorf("%s of %s: pageInfo %+v on a complete first page", what, id, c.PageInfo)
		}
		out = append(out, ids...)
	}
	return out
}

// all is a page big enough for any list of the tests, with its count.
var all = portal.PageArgs{First: portal.MaxPageSize, Count: true}

func noErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}

// wantCode checks err is a portal error with the code and, for bad input,
// that it names exactly the fields.
func wantCode(t *testing.T, err error, code portal.Code, fields ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s", code)
	}
	if got := portal.ErrorCode(err); got != code {
		t.Fatalf("got error %q with code %s, want %s", err, got, code)
	}
	if len(fields) == 0 {
		return
	}
	var pe *portal.Error
	errors.As(err, &pe)
	var got []string
	for _, f := range pe.Fields {
		got = append(got, f.Field)
	}
	if !slices.Equal(got, fields) {
		t.Fatalf("error %q names fields %v, want %v", err, got, fields)
	}
}

// exec runs SQL past the store's API, with ? placeholders.
func exec(t *testing.T, s *sqlstore.Store, query string, args ...any) {
	t.Helper()
	db := s.DB()
	if _, err := db.ExecContext(t.Context(), db.Rebind(query), args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// dump renders the whole content of the database, so a test can show that
// a failed write left nothing behind: no row, no column changed.
func dump(t *testing.T, s *sqlstore.Store) string {
	t.Helper()
	var b strings.Builder
	for _, table := range []string{"workspaces", "users", "clients", "contacts", "projects", "deliverables",
		"approvals", "approval_approvers", "approval_decisions", "notes", "activity_events", "tokens", "outbox",
		"invites", "login_failures", "client_requests", "request_comments", "reports", "files", "blob_removals", "exports",
		"partner_keys"} {
		rows, err := s.DB().QueryxContext(t.Context(), "SELECT * FROM "+table)
		noErr(t, err)
		var lines []string
		for rows.Next() {
			cols, err := rows.SliceScan()
			noErr(t, err)
			for i, c := range cols {
				if v, ok := c.([]byte); ok {
					cols[i] = string(v)
				}
			}
			lines = append(lines, fmt.Sprint(cols))
		}
		noErr(t, rows.Err())
		rows.Close()
		slices.Sort(lines) // rows come in no particular order
		fmt.Fprintf(&b, "%s:\n  %s\n", table, strings.Join(lines, "\n  "))
	}
	return b.String()
}

// differingFields lists the fields in which two records differ, comparing
// times as instants (drivers hand back times in their own locations).
func differingFields(a, b any) []string {
	va, vb := reflect.ValueOf(a).Elem(), reflect.ValueOf(b).Elem()
	var out []string
	for i := range va.NumField() {
		fa, fb := va.Field(i).Interface(), vb.Field(i).Interface()
		switch x := fa.(type) {
		case time.Time:
			if !x.Equal(fb.(time.Time)) {
				out = append(out, va.Type().Field(i).Name)
			}
			continue
		case *time.Time:
			y := fb.(*time.Time)
			if (x == nil) != (y == nil) || (x != nil && !x.Equal(*y)) {
				out = append(out, va.Type().Field(i).Name)
			}
			continue
		}
		if !reflect.DeepEqual(fa, fb) {
			out = append(out, va.Type().Field(i).Name)
		}
	}
	return out
}

func ptr[T any](v T) *T { return &v }

func date(s string) *portal.Date {
	d, err := portal.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return &d
}
