package sqlstore_test

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"portalgraph/internal/portal"
	"portalgraph/internal/sqlstore"
	"portalgraph/internal/sqlstore/sqltest"
)

// TestDueListsReadInIndexOrder checks that staff's "what is due" lists (a
// status, a range of due dates, by due date, with the total) can be read
// from their index (migration 0018): the page in the index's order, with
// no sort, and the total from the index alone. The statements are the
// ones the store sends, first page and next, so a change to their text
// that the index no longer answers fails here. Other plans are ruled out
// (sequential scans, sorts, bitmaps), so what is checked is that the
// index can answer, not the planner's choice on a few rows.
func TestDueListsReadInIndexOrder(t *testing.T) {
	for _, dialect := range sqltest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			rec := &recorder{}
			store := sqltest.Open(t, dialect, sqlstore.WithStatementObserver(rec))
			f := sqltest.LoadFixture(t, store)
			owner := sqltest.Staff(f.Owner)
			ctx := context.Background()
			page := portal.PageArgs{First: 1, Count: true}
			// The fixture's records have no due dates: give them some.
			exec(t, store, "UPDATE deliverables SET due_on = '2026-05-01'")
			exec(t, store, "UPDATE approvals SET due_on = '2026-05-01'")

			lists := map[string]func(after *string) *string{
				"deliverables": func(after *string) *string {
					page.After = after
					conn, err := store.Deliverables(ctx, owner, portal.DeliverableFilter{
						Status: []portal.DeliverableStatus{portal.DeliverableStatusInReview}, DueAfter: date("2000-01-01"), DueBefore: date("2100-12-31"),
					}, &portal.DeliverableOrder{Field: portal.DeliverableOrderFieldDueOn}, page)
					noErr(t, err)
					return conn.PageInfo.EndCursor
				},
				"approvals": func(after *string) *string {
					page.After = after
					conn, err := store.Approvals(ctx, owner, portal.ApprovalFilter{
						Status: []portal.ApprovalStatus{portal.ApprovalStatusPending}, DueAfter: date("2000-01-01"), DueBefore: date("2100-12-31"),
					}, &portal.ApprovalOrder{Field: portal.ApprovalOrderFieldDueOn}, page)
					noErr(t, err)
					return conn.PageInfo.EndCursor
				},
			}
			for table, read := range lists {
				rec.take()
				end := read(nil)
				if end == nil {
					t.Fatalf("no %s in the fixture's list: nothing to page after", table)
				}
				read(end)
				if dialect == "postgres" {
					// As autovacuum would: statistics of the index's
					// sort key, and pages marked all visible, which an
					// index-only scan needs to skip the table.
					exec(t, store, "VACUUM ANALYZE "+table)
				}
				index := table + "_live_by_status_due"
				for _, query := range listStatements(rec.take(), table) {
					plan := explainForcingIndexes(t, store, dialect, query)
					checkReadInIndexOrder(t, dialect, index, query, plan)
				}
			}
		})
	}
}

// listStatements returns the lists' statements among those seen: those
// reading the table, each once.
func listStatements(seen []*seen, table string) []string {
	var out []string
	have := map[string]bool{}
	for _, s := range seen {
		if s.kind == sqlstore.StatementQuery && strings.Contains(s.query, "FROM "+table+" a") && !have[s.query] {
			have[s.query] = true
			out = append(out, s.query)
		}
	}
	return out
}

var pgParam = regexp.MustCompile(`\$(\d+)`)

// explainForcingIndexes returns the plan of query, its parameters unknown
// (a prepared statement's generic plan), with every plan but an index
// scan in order ruled out.
func explainForcingIndexes(t *testing.T, store *sqlstore.Store, dialect, query string) string {
	t.Helper()
	ctx := context.Background()
	conn, err := store.DB().Connx(ctx)
	noErr(t, err)
	defer conn.Close()
	var lines []string
	if dialect == "sqlite" {
		params := strings.Count(query, "?")
		rows, err := conn.QueryxContext(ctx, "EXPLAIN QUERY PLAN "+query, make([]any, params)...)
		noErr(t, err)
		defer rows.Close()
		for rows.Next() {
			var id, parent, notUsed int
			var detail string
			noErr(t, rows.Scan(&id, &parent, &notUsed, &detail))
			lines = append(lines, detail)
		}
		noErr(t, rows.Err())
		return strings.Join(lines, "\n")
	}
	params := 0
	for _, m := range pgParam.FindAllStringSubmatch(query, -1) {
		n, _ := strconv.Atoi(m[1])
		params = max(params, n)
	}
	nulls := strings.TrimSuffix(strings.Repeat("NULL, ", params), ", ")
	tx, err := conn.BeginTxx(ctx, nil)
	noErr(t, err)
	defer tx.Rollback()
	for _, set := range []string{
		"SET LOCAL enable_seqscan = off", "SET LOCAL enable_sort = off", "SET LOCAL enable_bitmapscan = off",
		"SET LOCAL plan_cache_mode = force_generic_plan",
		"PREPARE due_list AS " + query,
	} {
		_, err := tx.ExecContext(ctx, set)
		noErr(t, err)
	}
	defer tx.ExecContext(ctx, "DEALLOCATE due_list")
	noErr(t, tx.SelectContext(ctx, &lines, "EXPLAIN EXECUTE due_list("+nulls+")"))
	return strings.Join(lines, "\n")
}

func checkReadInIndexOrder(t *testing.T, dialect, index, query, plan string) {
	t.Helper()
	var fails []string
	if dialect == "sqlite" {
		if strings.Contains(plan, "TEMP B-TREE") {
			fails = append(fails, "sorts")
		}
		if strings.Contains(query, "ORDER BY") && !strings.Contains(plan, "USING INDEX "+index) && !strings.Contains(plan, "USING COVERING INDEX "+index) {
			fails = append(fails, "does not read the page by "+index)
		}
		if strings.Contains(query, "COUNT(*)") && !strings.Contains(plan, "USING COVERING INDEX "+index) {
			fails = append(fails, "does not count from "+index+" alone")
		}
	} else {
		if strings.Contains(plan, "Sort") {
			fails = append(fails, "sorts")
		}
		if strings.Contains(query, "ORDER BY") && !strings.Contains(plan, "Index Scan using "+index) {
			fails = append(fails, "does not read the page by "+index)
		}
		if strings.Contains(query, "COUNT(*)") && !strings.Contains(plan, "Index Only Scan using "+index) {
			fails = append(fails, "does not count from "+index+" alone")
		}
	}
	if len(fails) > 0 {
		t.Errorf("the list %s:\n%s\nplan:\n%s", strings.Join(fails, ", "), query, plan)
	}
}
