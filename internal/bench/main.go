// Command bench measures the API under load on PostgreSQL: the least
// request (Q0), the portal dashboard (Q1, as a portal contact and as staff
// over the same rows), a staff list (Q2), a staff update (Q3) and a
// partner's dashboard of aggregates (Q4, as a partner's key), each over
// real HTTP at 1 and 10 concurrent clients, against a plain net/http +
// encoding/json server that runs the same SQL. It reports requests per
// second, CPU time per request of the servers and of PostgreSQL, p50/p99
// latency, SQL statements per request (counted at the driver) and
// allocations per request (objects and bytes).
//
//	go run ./internal/bench [-duration 10s] [-postgres URL] [-reseed]
//
// Both servers run in this process; the load generator (the HTTP client)
// runs in a child process, this binary started again with
// -load-generator, so that this process's CPU time (getrusage, user and
// system) over a measured run is the servers' own: request handling, the
// database driver, the garbage collector, and the little the bench does
// while it waits. PostgreSQL's CPU time is that of the backends serving
// this process's pool (found by its application_name, read from /proc, so
// only when PostgreSQL runs on this machine): not the WAL writer,
// checkpointer or autovacuum. The pool keeps its connections between runs;
// a backend that exits during a run takes its time with it, and the bench
// says so. CPU per request is steadier than requests per second on a busy
// machine, so the summary compares both.
//
// The data set (1 workspace, 200 clients, 2,000 projects, 20,000
// deliverables, 40,000 approvals with decisions; five big clients) is
// built from a fixed seed into the database portalgraph_bench, once, and
// reused by later runs.
package main

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"reflect"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	_ "github.com/lib/pq"

	"portalgraph/graph"
	"portalgraph/internal/audit"
	"portalgraph/internal/auth"
	"portalgraph/internal/portal"
	"portalgraph/internal/ratelimit"
	"portalgraph/internal/sqlstore"
)

// options are the benchmark's command-line settings.
type options struct {
	adminURL, dbName string
	duration, warmup time.Duration
	repeat           int
	reseed           bool
	only, cpuProfile string
	withoutPlanner   bool
	withoutAudit     bool
	budgets          string
	serverLog        string
	loadGenerator    bool
}

func main() {
	var o options
	flag.StringVar(&o.adminURL, "postgres", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", "PostgreSQL server to create the benchmark database on")
	flag.StringVar(&o.dbName, "db", "portalgraph_bench", "benchmark database")
	flag.DurationVar(&o.duration, "duration", 5*time.Second, "measured time per run")
	flag.DurationVar(&o.warmup, "warmup", time.Second, "unmeasured time before each run")
	flag.IntVar(&o.repeat, "repeat", 3, "runs of each measurement (at least 1); the median is reported")
	flag.BoolVar(&o.reseed, "reseed", false, "rebuild the data set even if present")
	flag.StringVar(&o.only, "only", "", "run only scenarios whose name contains this")
	flag.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the runs to this file")
	memProfile := flag.String("memprofile", "", "write an allocation profile of the runs to this file")
	flag.BoolVar(&o.withoutPlanner, "without-planner", false, "execute every GraphQL field with gqlgen's executor, for comparison")
	flag.BoolVar(&o.withoutAudit, "without-audit", false, "record no portal or partner reads on either server, to tell the audit's cost from authorization's")
	flag.StringVar(&o.serverLog, "server-log", "", "write the GraphQL server's log (an INTERNAL error's cause, say) to this file; - for stderr; by default it is discarded")
	flag.StringVar(&o.budgets, "budgets", "off", "where the GraphQL server keeps budgets of request cost, never spent here: off, memory, or postgres (as a server on PostgreSQL does)")
	flag.BoolVar(&o.loadGenerator, "load-generator", false, "be the load generator the bench starts (internal)")
	flag.Parse()
	if o.loadGenerator {
		if err := serveLoad(os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		return
	}
	if o.repeat < 1 {
		fmt.Fprintln(os.Stderr, "bench: -repeat must be at least 1")
		os.Exit(2)
	}
	if *memProfile != "" {
		runtime.MemProfileRate = 64 << 10
		defer writeAllocProfile(*memProfile)
	}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// benchBudgets configures budgets so large that no run spends them: off,
// or kept where -budgets says, so that their cost per request is measured.
func benchBudgets(where string, store *sqlstore.Store) (map[portal.Audience]graph.Limits, ratelimit.Limiter, error) {
	perMinute := -1
	var l ratelimit.Limiter
	switch where {
	case "off":
	case "memory":
		perMinute, l = 1<<40, ratelimit.NewMemory(nil)
	case "postgres":
		perMinute, l = 1<<40, store.Budgets(nil)
	default:
		return nil, nil, fmt.Errorf("-budgets %q: want off, memory or postgres", where)
	}
	limits := map[portal.Audience]graph.Limits{}
	for _, a := range portal.AllAudience {
		limits[a] = graph.Limits{BudgetPerMinute: perMinute}
	}
	return limits, l, nil
}

func run(o options) error {
	ctx := context.Background()
	data := buildBenchData()
	counter := &sqlstore.StatementCounter{}
	store, err := prepare(ctx, o.adminURL, o.dbName, data, o.reseed, counter)
	if err != nil {
		return err
	}
	defer store.Close()

	authn := auth.New(store)
	t := targets{Q3: updateTargets(data)}
	if t.StaffToken, err = authn.Issue(ctx, data.workspace.ID, &data.owner.ID, nil, time.Hour); err != nil {
		return err
	}
	for _, c := range data.portalContacts {
		token, err := authn.Issue(ctx, data.workspace.ID, nil, &c.ID, time.Hour)
		if err != nil {
			return err
		}
		t.PortalTokens = append(t.PortalTokens, token)
		t.ClientIDs = append(t.ClientIDs, c.ClientID)
	}
	// Q4's partner key: every section but files, of the five big
	// clients; revoked when the run ends.
	secret, hash := auth.NewPartnerSecret()
	owner := portal.BuiltInStaffMember(data.owner)
	key, err := store.CreatePartnerKey(ctx, owner, portal.CreatePartnerKeyInput{
		Name:      "Bench dashboard",
		Scopes:    []portal.PartnerScope{portal.PartnerScopeClients, portal.PartnerScopeProjects, portal.PartnerScopeDeliverables, portal.PartnerScopeApprovals, portal.PartnerScopeRequests},
		ClientIds: t.ClientIDs[:min(5, len(t.ClientIDs))],
	}, hash)
	if err != nil {
		return err
	}
	defer func() { _, _ = store.RevokePartnerKey(ctx, owner, key.ID) }()
	t.PartnerToken = secret
	resetQ3 := func() error {
		_, err := store.DB().ExecContext(ctx, `UPDATE deliverables SET status = 'NOT_STARTED' WHERE id = ANY($1)`, pqArray(t.Q3))
		return err
	}

	limits, budgets, err := benchBudgets(o.budgets, store)
	if err != nil {
		return err
	}
	logTo, closeLog, err := serverLog(o.serverLog)
	if err != nil {
		return err
	}
	defer closeLog()
	logger := slog.New(slog.NewTextHandler(logTo, nil))
	// Both servers record what portal contacts and partners read, as a
	// portal or partner handler must.
	reads := &measuredAudit{recorder: audit.New(store, logger), off: o.withoutAudit}
	recording, stopRecording := context.WithCancel(ctx)
	recorderDone := make(chan struct{})
	go func() { reads.recorder.Run(recording, 2*time.Second); close(recorderDone) }()
	defer func() { stopRecording(); <-recorderDone }()
	api, err := graph.NewHandler(graph.Config{
		Store: store, Authenticate: authn.Authenticate, Audit: reads,
		Logger:         logger,
		WithoutPlanner: o.withoutPlanner,
		Limits:         limits, Budgets: budgets,
		// As the binary does: a database refusing connections is
		// UNAVAILABLE, not INTERNAL.
		Unavailable: sqlstore.Unavailable,
	})
	if err != nil {
		return err
	}
	apiHandler := api.Mux()
	baseHandler := newBaseline(store, authn, reads).routes()
	gql := httptest.NewServer(apiHandler)
	defer gql.Close()
	base := httptest.NewServer(baseHandler)
	defer base.Close()
	t.GraphQL, t.Baseline = gql.URL, base.URL

	scenarios := buildScenarios(t, resetQ3)
	load, err := startLoadGenerator(t)
	if err != nil {
		return err
	}
	defer load.close()
	m := &meter{statements: counter.Count, pg: pgBackends{db: store.DB(), app: appName}, reads: reads}

	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}

	fmt.Printf("portalgraph benchmark — %s, GOMAXPROCS=%d, PostgreSQL %s\n", runtime.Version(), runtime.GOMAXPROCS(0), pgVersion(store))
	fmt.Printf("each figure: the median of %d runs of %s (after %s warm-up), the runs of each query (GraphQL, baseline; Q1 as portal and staff) interleaved, in reverse order every other round; the summary's comparisons pair the runs of a round\n", o.repeat, o.duration, o.warmup)
	fmt.Printf("data: 1 workspace, %d clients, %d projects, %d deliverables, %d approvals, %d decisions\n",
		len(data.data.Clients), len(data.data.Projects), len(data.data.Deliverables), len(data.data.Approvals), len(data.data.Decisions))
	fmt.Printf("CPU ms/req: the servers' process (the load generator runs apart) and the PostgreSQL backends serving it\n\n")
	fmt.Println("| query | server | clients | req/s | server CPU ms/req | PG CPU ms/req | p50 ms | p99 ms | statements/req | allocs/req | alloc KB/req |")
	fmt.Println("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")

	handlers := map[string]http.Handler{"graphql": apiHandler, "baseline": baseHandler}
	if err := sameAnswers(scenarios, handlers); err != nil {
		return err
	}
	results, rounds := map[string]result{}, map[string][]result{}
	for _, group := range groups(scenarios, o.only) {
		if err := startAfresh(ctx, store); err != nil {
			return err
		}
		allocs := map[scenarioKey]allocations{}
		for _, sc := range group {
			if err := reset(sc); err != nil {
				return err
			}
			allocs[sc.key()] = allocsPerRequest(ctx, handlers[sc.server], reads, 200, sc.next)
		}
		for _, clients := range []int{1, 10} {
			runs := map[scenarioKey][]result{}
			for round := range o.repeat {
				for _, sc := range inRound(group, round) {
					if err := reset(sc); err != nil {
						return err
					}
					marks := 0
					res, err := load.run(sc, clients, o.warmup, o.duration, func() {
						if marks++; marks == 1 {
							m.start(ctx)
						} else {
							m.stop(ctx)
						}
					})
					if err != nil {
						return fmt.Errorf("%s on %s: %w", sc.name, sc.server, err)
					}
					m.fill(&res)
					runs[sc.key()] = append(runs[sc.key()], res)
				}
			}
			for _, sc := range group {
				// The runs in the order they were made, before median
				// sorts them: the summary pairs each GraphQL run with the
				// baseline's run of the same round.
				key := fmt.Sprintf("%s/%s/%d", sc.name, sc.server, clients)
				rounds[key] = slices.Clone(runs[sc.key()])
				res := median(runs[sc.key()])
				res.allocs = allocs[sc.key()]
				results[key] = res
				fmt.Printf("| %s | %s | %d | %.0f | %.2f | %s | %.2f | %.2f | %.1f | %.0f | %.1f |\n", sc.name, sc.server, clients,
					res.perSecond(), ms(res.serverCPU), msOrNone(res.pgCPU), ms(res.P50), ms(res.P99), res.statements, res.allocs.objects, res.allocs.bytes/1024)
			}
		}
	}
	batches, early := api.BatchStats().Counts()
	if o.withoutPlanner {
		fmt.Printf("\nGraphQL: every field executed by gqlgen (-without-planner)\n")
	} else {
		planned, gqlgen := api.ExecStats().Counts()
		fmt.Printf("\nGraphQL root fields of queries executed by the planner: %d, by gqlgen: %d\n", planned, gqlgen)
	}
	fmt.Printf("GraphQL loader batches: %d, sent before full: %d\n", batches, early)
	if o.withoutAudit {
		fmt.Printf("no reads recorded (-without-audit)\n")
	}
	if m.pgErr != nil {
		fmt.Printf("PostgreSQL CPU not measured: %v\n", m.pgErr)
	} else if m.gone > 0 {
		fmt.Printf("PostgreSQL CPU undercounted: %d backends exited during runs, their time lost\n", m.gone)
	}
	summarize(results, rounds)
	return nil
}

// serverLog is where the GraphQL server's log goes: nowhere unless asked,
// so the output stays the table. A failed run quotes the response, whose
// requestId finds the cause of an INTERNAL error in this log.
func serverLog(path string) (io.Writer, func(), error) {
	switch path {
	case "":
		return io.Discard, func() {}, nil
	case "-":
		return os.Stderr, func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, nil, err
	}
	return f, func() { f.Close() }, nil
}

func writeAllocProfile(path string) {
	f, err := os.Create(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return
	}
	defer f.Close()
	_ = pprof.Lookup("allocs").WriteTo(f, 0)
}

// appName is the application_name of the bench's connections.
var appName = fmt.Sprintf("portalgraph_bench_%d", os.Getpid())

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// msOrNone is a duration in ms to two places, or "–" when negative (not
// measured).
func msOrNone(d time.Duration) string {
	if d < 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f", ms(d))
}

// summarize prints the ratios the targets are stated in.
func summarize(results map[string]result, rounds map[string][]result) {
	fmt.Println()
	throughput := func(r result) float64 { return r.perSecond() }
	serverCPU := func(r result) float64 { return float64(r.serverCPU) }
	pgCPU := func(r result) float64 { return float64(r.pgCPU) }
	cpu := func(g, b result, a, c []result, f func(result) float64) string {
		if f(g) < 0 || f(b) <= 0 {
			return "–"
		}
		r := paired(a, c, f)
		return fmt.Sprintf("%.2f vs %.2f ms (%.2f×, %.2f–%.2f× round by round)", f(g)/1e6, f(b)/1e6, r.median, r.lo, r.hi)
	}
	for _, q := range []string{"Q0 portal viewer", "Q1 portal dashboard", "Q1 staff dashboard", "Q2 staff deliverables due", "Q3 staff update", "Q4 partner dashboard"} {
		g, okG := results[q+"/graphql/10"]
		b, okB := results[q+"/baseline/10"]
		if !okG || !okB {
			continue
		}
		gr, br := rounds[q+"/graphql/10"], rounds[q+"/baseline/10"]
		share := paired(gr, br, throughput)
		fmt.Printf("%s at 10 clients: GraphQL throughput %.0f%% of the baseline (%.0f–%.0f%% round by round)", q,
			100*share.median, 100*share.lo, 100*share.hi)
		fmt.Printf(", p99 %.2f× the baseline's; CPU per request, GraphQL vs baseline: server %s, PostgreSQL %s\n",
			float64(g.P99)/float64(b.P99), cpu(g, b, gr, br, serverCPU), cpu(g, b, gr, br, pgCPU))
	}
	// The baseline's line tells what the store's portal reads and the
	// audit cost from what GraphQL's authorization adds to them.
	for _, server := range []string{"graphql", "baseline"} {
		portalRes, ok1 := results["Q1 portal dashboard/"+server+"/10"]
		staffRes, ok2 := results["Q1 staff dashboard/"+server+"/10"]
		if !ok1 || !ok2 {
			continue
		}
		pr, sr := rounds["Q1 portal dashboard/"+server+"/10"], rounds["Q1 staff dashboard/"+server+"/10"]
		change := func(f func(result) float64) string {
			r := paired(pr, sr, f)
			return fmt.Sprintf("%+.1f%% (%+.1f to %+.1f%% round by round)", 100*(r.median-1), 100*(r.lo-1), 100*(r.hi-1))
		}
		fmt.Printf("authorization on %s (Q1 as a portal contact vs staff, same rows) at 10 clients: throughput %s", server, change(throughput))
		fmt.Printf(", p50 %+.1f%%, server CPU/req %s", 100*(float64(portalRes.P50)/float64(staffRes.P50)-1), change(serverCPU))
		if portalRes.pgCPU > 0 && staffRes.pgCPU > 0 {
			fmt.Printf(", PostgreSQL CPU/req %s", change(pgCPU))
		}
		fmt.Println()
	}
}

// ratios is a figure of a's runs against the same figure of b's: each
// run of a against b's run of the same round, the median and range of
// those. On a shared machine the rounds differ by more than the servers
// do; pairing the runs of a round compares what ran under the same
// conditions, and the range shows how far the rounds disagree.
type ratios struct{ median, lo, hi float64 }

func paired(a, b []result, f func(result) float64) ratios {
	var v []float64
	for i := range min(len(a), len(b)) {
		if f(a[i]) >= 0 && f(b[i]) > 0 {
			v = append(v, f(a[i])/f(b[i]))
		}
	}
	if len(v) == 0 {
		return ratios{-1, -1, -1}
	}
	slices.Sort(v)
	return ratios{median: v[len(v)/2], lo: v[0], hi: v[len(v)-1]}
}

// inRound is the order of a group's runs in a round: reversed every
// other round, so that a machine growing busier or quieter through a
// round favors neither server.
func inRound(group []scenario, round int) []scenario {
	if round%2 == 0 {
		return group
	}
	reversed := slices.Clone(group)
	slices.Reverse(reversed)
	return reversed
}

// groups groups the scenarios by query number, keeping those whose name
// contains only. A group's runs are interleaved, so that the comparisons
// the summary makes — GraphQL with the baseline, and Q1 as a portal
// contact with Q1 as staff — are between runs made under the same
// conditions.
func groups(scenarios []scenario, only string) [][]scenario {
	var out [][]scenario
	number := func(sc scenario) string { return strings.Fields(sc.name)[0] }
	for _, sc := range scenarios {
		if only != "" && !strings.Contains(sc.name+" "+sc.server, only) {
			continue
		}
		if n := len(out); n > 0 && number(out[n-1][0]) == number(sc) {
			out[n-1] = append(out[n-1], sc)
		} else {
			out = append(out, []scenario{sc})
		}
	}
	return out
}

func reset(sc scenario) error {
	if sc.reset == nil {
		return nil
	}
	return sc.reset()
}

// median is the run with the median throughput, with the median of each
// per-request figure of the runs, each taken on its own.
func median(runs []result) result {
	mid := func(f func(r result) float64) float64 {
		v := make([]float64, len(runs))
		for i, r := range runs {
			v[i] = f(r)
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	slices.SortFunc(runs, func(a, b result) int { return cmp.Compare(a.perSecond(), b.perSecond()) })
	out := runs[len(runs)/2]
	out.statements = mid(func(r result) float64 { return r.statements })
	out.serverCPU = time.Duration(mid(func(r result) float64 { return float64(r.serverCPU) }))
	out.pgCPU = time.Duration(mid(func(r result) float64 { return float64(r.pgCPU) }))
	return out
}

func pgVersion(store *sqlstore.Store) string {
	var v string
	_ = store.DB().Get(&v, "SHOW server_version")
	return v
}

// scenario is one query against one server. reset, if set, restores
// the data the scenario changes, before each run.
type scenario struct {
	name, server string
	next         func(i int) request
	reset        func() error
}

// scenarioKey tells a group's scenarios apart.
type scenarioKey struct{ name, server string }

func (sc scenario) key() scenarioKey { return scenarioKey{sc.name, sc.server} }

// targets are what the scenarios' requests are made of: the servers, who
// asks and about what. The load generator is handed them.
type targets struct {
	GraphQL, Baseline string // the servers' base URLs
	StaffToken        string
	PortalTokens      []string // one ACTIVE contact per client, big clients first
	ClientIDs         []string // each portal contact's client, for Q1 as staff
	Q3                []string // the deliverables Q3 flips
	PartnerToken      string   // a partner's key, for Q4
}

func buildScenarios(t targets, resetQ3 func() error) []scenario {
	body := func(query string, vars map[string]any) []byte {
		b, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
		return b
	}
	q1PortalBody := body(q1Portal, nil)
	months := make([]map[string]any, 12)
	for m := range months {
		first := time.Date(2026, time.Month(m+1), 1, 0, 0, 0, 0, time.UTC)
		months[m] = map[string]any{"after": first.Format(time.DateOnly), "before": first.AddDate(0, 3, -1).Format(time.DateOnly)}
	}
	statusOf := func(i int) portal.DeliverableStatus {
		// Each pass over the targets flips them all, so every request writes.
		if (i/len(t.Q3))%2 == 0 {
			return portal.DeliverableStatusDelivered
		}
		return portal.DeliverableStatusNotStarted
	}
	// Q4's ranges: each quarter of 2026, its figures grouped by project.
	quarters := make([]map[string]any, 4)
	for q := range quarters {
		first := time.Date(2026, time.Month(3*q+1), 1, 0, 0, 0, 0, time.UTC)
		quarters[q] = map[string]any{"from": first.Format(time.DateOnly), "to": first.AddDate(0, 3, -1).Format(time.DateOnly), "groupBy": portal.DashboardGroupingProject}
	}
	gqlURL, baseURL, staffToken, portalTokens, clientIDs, q3Targets := t.GraphQL, t.Baseline, t.StaffToken, t.PortalTokens, t.ClientIDs, t.Q3
	q0Body := body(q0, nil)
	return []scenario{
		{"Q0 portal viewer", "graphql", func(i int) request {
			return request{gqlURL + "/graphql", portalTokens[i%len(portalTokens)], q0Body}
		}, nil},
		{"Q0 portal viewer", "baseline", func(i int) request {
			return request{baseURL + "/q0", portalTokens[i%len(portalTokens)], []byte(`{"variables":{}}`)}
		}, nil},
		{"Q1 portal dashboard", "graphql", func(i int) request {
			return request{gqlURL + "/graphql", portalTokens[i%len(portalTokens)], q1PortalBody}
		}, nil},
		{"Q1 portal dashboard", "baseline", func(i int) request {
			return request{baseURL + "/q1", portalTokens[i%len(portalTokens)], []byte(`{"variables":{}}`)}
		}, nil},
		{"Q1 staff dashboard", "graphql", func(i int) request {
			return request{gqlURL + "/graphql", staffToken, body(q1Staff, map[string]any{"client": clientIDs[i%len(clientIDs)]})}
		}, nil},
		{"Q1 staff dashboard", "baseline", func(i int) request {
			return request{baseURL + "/q1", staffToken, body("", map[string]any{"client": clientIDs[i%len(clientIDs)]})}
		}, nil},
		{"Q2 staff deliverables due", "graphql", func(i int) request {
			return request{gqlURL + "/graphql", staffToken, body(q2, months[i%len(months)])}
		}, nil},
		{"Q2 staff deliverables due", "baseline", func(i int) request {
			return request{baseURL + "/q2", staffToken, body("", months[i%len(months)])}
		}, nil},
		{"Q3 staff update", "graphql", func(i int) request {
			return request{gqlURL + "/graphql", staffToken, body(q3, map[string]any{"id": q3Targets[i%len(q3Targets)], "status": statusOf(i)})}
		}, resetQ3},
		{"Q3 staff update", "baseline", func(i int) request {
			return request{baseURL + "/q3", staffToken, body("", map[string]any{"id": q3Targets[i%len(q3Targets)], "status": statusOf(i)})}
		}, resetQ3},
		{"Q4 partner dashboard", "graphql", func(i int) request {
			return request{gqlURL + "/graphql", t.PartnerToken, body(q4, quarters[i%len(quarters)])}
		}, nil},
		{"Q4 partner dashboard", "baseline", func(i int) request {
			return request{baseURL + "/q4", t.PartnerToken, body("", quarters[i%len(quarters)])}
		}, nil},
	}
}

// sameAnswers checks that the baseline answers the queries that only read
// with the data the GraphQL server answers them with, so that the two are
// measured doing the same work.
func sameAnswers(scenarios []scenario, handlers map[string]http.Handler) error {
	answers := map[string][]any{}
	for _, sc := range scenarios {
		if sc.reset != nil { // a write: each answer differs
			continue
		}
		for i := range 3 {
			req := sc.next(i).http(context.Background())
			rec := httptest.NewRecorder()
			handlers[sc.server].ServeHTTP(rec, req)
			var body struct {
				Data   any `json:"data"`
				Errors any `json:"errors"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body.Errors != nil || body.Data == nil {
				return fmt.Errorf("%s on %s answered %d %s", sc.name, sc.server, rec.Code, rec.Body.Bytes())
			}
			key := fmt.Sprintf("%s/%d", sc.name, i)
			answers[key] = append(answers[key], body.Data)
		}
	}
	for key, both := range answers {
		if len(both) == 2 && !reflect.DeepEqual(both[0], both[1]) {
			a, _ := json.Marshal(both[0])
			b, _ := json.Marshal(both[1])
			return fmt.Errorf("%s: the servers answer differently:\n%s\n%s", key, a, b)
		}
	}
	return nil
}

// updateTargets are the deliverables Q3 flips: those the data set starts
// NOT_STARTED, which Q2 never lists. Each Q3 run first puts them back, so
// every request changes one and every run starts from the same data.
func updateTargets(data *benchData) []string {
	var ids []string
	for _, d := range data.deliverables {
		if d.Status == portal.DeliverableStatusNotStarted {
			ids = append(ids, d.ID)
		}
	}
	return ids
}

// prepare opens the benchmark database, creating and loading it unless it
// already holds this data set.
func prepare(ctx context.Context, adminURL, dbName string, data *benchData, reseed bool, counter *sqlstore.StatementCounter) (*sqlstore.Store, error) {
	admin, err := sql.Open("postgres", adminURL)
	if err != nil {
		return nil, err
	}
	defer admin.Close()
	var exists bool
	if err := admin.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, dbName).Scan(&exists); err != nil {
		return nil, fmt.Errorf("reach PostgreSQL at %s: %w", adminURL, err)
	}
	u, err := url.Parse(adminURL)
	if err != nil {
		return nil, err
	}
	u.Path = "/" + dbName
	// The name tells this process's backends from those of anyone else
	// using the database, whose CPU time is not ours.
	q := u.Query()
	q.Set("application_name", appName)
	u.RawQuery = q.Encode()
	if exists && !reseed {
		store, err := sqlstore.Open(ctx, u.String(), sqlstore.WithStatementCounter(counter))
		if err != nil {
			return nil, err
		}
		// A data set built before a newer migration gets it.
		if _, err := store.Migrate(ctx); err != nil {
			return nil, err
		}
		var found int
		_ = store.DB().GetContext(ctx, &found, `SELECT COUNT(*) FROM deliverables WHERE workspace_id = $1`, data.workspace.ID)
		if found == len(data.data.Deliverables) {
			return store, nil
		}
		_ = store.Close()
	}
	fmt.Fprintf(os.Stderr, "building the data set in %s ...\n", dbName)
	if _, err := admin.ExecContext(ctx, `DROP DATABASE IF EXISTS `+dbName+` WITH (FORCE)`); err != nil {
		return nil, err
	}
	if _, err := admin.ExecContext(ctx, `CREATE DATABASE `+dbName); err != nil {
		return nil, err
	}
	store, err := sqlstore.Open(ctx, u.String(), sqlstore.WithStatementCounter(counter))
	if err != nil {
		return nil, err
	}
	if _, err := store.Migrate(ctx); err != nil {
		return nil, err
	}
	if err := store.Load(ctx, data.data); err != nil {
		return nil, err
	}
	// Fresh statistics and no dead row versions from the load's own
	// updates (the records' portal columns are set after they are in).
	if _, err := store.DB().ExecContext(ctx, `VACUUM (ANALYZE)`); err != nil {
		return nil, err
	}
	return store, nil
}

// startAfresh puts the database back as the data set left it before a
// group of runs. The audit of reads earlier runs wrote is deleted: every
// run adds thousands of events (a Q1 portal run at 10 clients, about 600 a
// second), and left to pile up over runs they outgrew PostgreSQL's shared
// buffers, so that each flush's index inserts evicted the pages the
// dashboards read and later runs of the portal paid more than earlier ones.
// Then the row versions earlier runs left dead (Q3's updates and their
// resets) are cleared, so that no query reads past more of them than
// another: PostgreSQL's autovacuum may be off (as on CI machines) or not
// yet round, and a run on a table full of dead versions measures them
// rather than the server.
func startAfresh(ctx context.Context, store *sqlstore.Store) error {
	// The data set has no read events; the bench's runs wrote them all.
	if _, err := store.DB().ExecContext(ctx, `TRUNCATE read_events`); err != nil {
		return err
	}
	_, err := store.DB().ExecContext(ctx, `VACUUM`)
	return err
}
