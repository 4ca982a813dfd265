package graph

import (
	"context"
	"encoding/binary"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/graph-gophers/dataloader/v7"
	"github.com/vektah/gqlparser/v2/ast"

	"portalgraph/internal/portal"
)

// loaders batch the reads of one request. They are made per request, so
// every batch is scoped by the request's principal and nothing is cached
// across requests: a change is seen by the very next request.
//
// Batching is per field of the query, not per record type: every object at
// one place in the response asks the same loader for that field, and the
// loader knows how many will ask — the number of objects the list above
// them produced, which is known once that list's own batch has returned —
// so it dispatches the moment the last one has asked, instead of waiting on
// a timer. A request therefore costs one statement per field that reads,
// whatever the number of rows, and adds no latency for batching. The timer
// (wait) only fires when fewer ask than expected, such as when a directive
// denied some of them: it bounds that delay and never affects the result.
type loaders struct {
	store   Store
	p       portal.Principal
	wait    time.Duration
	stats   *BatchStats
	observe func(ctx context.Context, executor, field string, size int) (context.Context, func(error)) // Config.ObserveBatch

	mu       sync.Mutex
	fieldIDs map[*ast.Field]int
	batches  map[string]any // *fieldBatch[V] by place
	// produced counts the objects each place returned over all its
	// parents, by GraphQL type: under an interface (node, record) only the
	// objects of a fragment's type resolve the fragment's fields.
	produced map[string]map[string]int
}

func newLoaders(store Store, p portal.Principal, wait time.Duration, stats *BatchStats, observe func(context.Context, string, string, int) (context.Context, func(error))) *loaders {
	return &loaders{
		store: store, p: p, wait: wait, stats: stats, observe: observe,
		fieldIDs: map[*ast.Field]int{}, batches: map[string]any{}, produced: map[string]map[string]int{},
	}
}

// BatchStats counts the batches of all requests, and those the wait sent
// before every expected object had asked: a measure of how well batching
// works under the load at hand.
type BatchStats struct {
	batches, early atomic.Int64
}

func (s *BatchStats) record(early bool) {
	s.batches.Add(1)
	if early {
		s.early.Add(1)
	}
}

// Counts returns how many batches ran, and how many of them the wait sent
// before they were full.
func (s *BatchStats) Counts() (batches, early int64) { return s.batches.Load(), s.early.Load() }

type loadersKey struct{}

func withLoaders(ctx context.Context, l *loaders) context.Context {
	return context.WithValue(ctx, loadersKey{}, l)
}

func loadersFrom(ctx context.Context) *loaders {
	return ctx.Value(loadersKey{}).(*loaders)
}

// placesLocked names the places in the response of fc's field and of each
// field above it, nearest first. A place is the path of query fields from
// the root, without list indexes: every object at one place resolves the
// same selection, and a fragment spread in two places gives two places.
func (l *loaders) placesLocked(fc *graphql.FieldContext) []string {
	var ids []int
	for p := fc; p != nil; p = p.Parent {
		if f := p.Field.Field; f != nil {
			id, ok := l.fieldIDs[f]
			if !ok {
				id = len(l.fieldIDs) + 1
				l.fieldIDs[f] = id
			}
			ids = append(ids, id)
		}
	}
	places := make([]string, len(ids))
	var b []byte
	for i := len(ids) - 1; i >= 0; i-- {
		b = binary.AppendUvarint(b, uint64(ids[i]))
		places[i] = string(b)
	}
	return places
}

// listed records that the objects at a place produced more objects.
func (l *loaders) listed(place string, byType map[string]int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.produced[place] == nil {
		l.produced[place] = map[string]int{}
	}
	for t, n := range byType {
		l.produced[place][t] += n
	}
}

// listed records the objects a root list resolved without a loader
// produced, for the fields below it.
func listed(ctx context.Context, typeName string, n int) {
	l := loadersFrom(ctx)
	l.mu.Lock()
	place := l.placesLocked(graphql.GetFieldContext(ctx))[0]
	l.mu.Unlock()
	l.listed(place, map[string]int{typeName: n})
}

// fieldLoad resolves key for the field being resolved, in one batch with
// every other object asking for the same field at the same place. fetch
// reads a batch of distinct keys; count adds up, by GraphQL type, the
// objects a result holds: how many will ask for each field below this one.
// An object with nothing to look up asks with the key "" all the same, so
// the batch still knows when everyone has asked.
func fieldLoad[V any](ctx context.Context, key string, fetch func(ctx context.Context, p portal.Principal, keys []string) (map[string]V, error), count func(V, map[string]int)) (V, error) {
	l := loadersFrom(ctx)
	fc := graphql.GetFieldContext(ctx)
	l.mu.Lock()
	places := l.placesLocked(fc)
	fb, ok := l.batches[places[0]].(*fieldBatch[V])
	if !ok {
		fb = &fieldBatch[V]{place: places[0], field: fc.Object + "." + fc.Field.Name}
		// The objects asking were produced at the nearest place above
		// that produced any; none means single objects only.
		for _, above := range places[1:] {
			if _, ok := l.produced[above]; ok {
				fb.source, fb.sourceType = above, fc.Object
				break
			}
		}
		l.batches[places[0]] = fb
	}
	if fb.ld == nil {
		fb.ld = newFieldLoader(l, fb, fetch, count)
	}
	fb.asked++
	ld := fb.ld
	l.mu.Unlock()
	return ld.Load(ctx, key)()
}

// fieldBatch is the batching of one field at one place: the loader
// collecting its current batch, and how many objects have asked so far.
type fieldBatch[V any] struct {
	place      string
	field      string // "Type.field", for the batch's span and metrics
	source     string // the place that produced the asking objects; "" for none
	sourceType string
	ld         *dataloader.Loader[string, V]
	asked      int
}

// toComeLocked is how many objects have yet to ask: as many as the source
// has produced so far, less those that asked. A source still producing
// (its own batch split) raises the count for later batches.
func (fb *fieldBatch[V]) toComeLocked(l *loaders) int {
	produced := 1
	if fb.source != "" {
		produced = l.produced[fb.source][fb.sourceType]
	}
	return max(produced-fb.asked, 1)
}

// newFieldLoader makes the loader of a field's next batch, full when the
// objects still to come have asked. Should the wait run out first, the
// batch goes with what it has and the next loader waits for the rest.
func newFieldLoader[V any](l *loaders, fb *fieldBatch[V], fetch func(ctx context.Context, p portal.Principal, keys []string) (map[string]V, error), count func(V, map[string]int)) *dataloader.Loader[string, V] {
	capacity := fb.toComeLocked(l)
	var ld *dataloader.Loader[string, V]
	ld = dataloader.NewBatchedLoader(func(ctx context.Context, keys []string) []*dataloader.Result[V] {
		l.mu.Lock()
		if fb.ld == ld {
			fb.ld = nil // later askers start the next batch
		}
		l.mu.Unlock()
		l.stats.record(len(keys) < capacity)
		var got map[string]V
		var err error
		if ids := distinct(keys); len(ids) > 0 {
			bctx, end := l.observe(ctx, "loader", fb.field, len(keys))
			got, err = fetch(bctx, l.p, ids)
			if end != nil {
				end(err)
			}
		}
		out := make([]*dataloader.Result[V], len(keys))
		byType := map[string]int{}
		for i, k := range keys {
			out[i] = &dataloader.Result[V]{Data: got[k], Error: err}
			if err == nil {
				count(got[k], byType)
			}
		}
		l.listed(fb.place, byType)
		return out
	},
		dataloader.WithWait[string, V](l.wait),
		dataloader.WithBatchCapacity[string, V](capacity),
		// Every object asks, even for a key another object asked for:
		// the count is of askers, so the batch knows when it is full.
		dataloader.WithCache[string, V](&dataloader.NoCache[string, V]{}),
	)
	return ld
}

// distinct returns the keys to look up: each once, without "".
func distinct(keys []string) []string {
	out := slices.Clone(keys)
	slices.Sort(out)
	out = slices.Compact(out)
	if len(out) > 0 && out[0] == "" {
		out = out[1:]
	}
	return out
}

// record is a record type with an ID.
type record[T any] interface {
	*T
	GetID() string
}

// byID reads records by ID; those the principal may not see are absent.
type byID[T any] func(ctx context.Context, p portal.Principal, ids []string) ([]*T, error)

// one loads the record with the ID through the field being resolved; nil
// when the principal may not see it or it does not exist.
func one[T any, PT record[T]](ctx context.Context, id string, fetch byID[T]) (*T, error) {
	return fieldLoad(ctx, id, func(ctx context.Context, p portal.Principal, ids []string) (map[string]*T, error) {
		recs, err := fetch(ctx, p, ids)
		found := make(map[string]*T, len(recs))
		for _, r := range recs {
			found[PT(r).GetID()] = r
		}
		return found, err
	}, countOne[T])
}

// countNothing is the count of a field whose value has no fields that
// load.
func countNothing[V any](V, map[string]int) {}

// countOne counts a loaded record under its type's name, which is also its
// GraphQL type's name.
func countOne[T any](r *T, byType map[string]int) {
	if r != nil {
		byType[typeName[T]()]++
	}
}

func typeName[T any]() string { return reflect.TypeFor[T]().Name() }

// required loads a record a non-null relation points to. It exists and is
// visible whenever the object pointing to it is, so absence is NOT_FOUND
// rather than a broken response.
func required[T any, PT record[T]](ctx context.Context, id string, fetch byID[T]) (*T, error) {
	rec, err := one[T, PT](ctx, id, fetch)
	if err == nil && rec == nil {
		return nil, portal.NotFound(id)
	}
	return rec, err
}

// optional loads a record through a nullable relation. Without an ID the
// object still asks, with "", so the batch knows when everyone has.
func optional[T any, PT record[T]](ctx context.Context, id *string, fetch byID[T]) (*T, error) {
	if id == nil {
		return one[T, PT](ctx, "", fetch)
	}
	return one[T, PT](ctx, *id, fetch)
}

// connection loads one parent's page of a connection, in one statement
// with the pages of every other parent asking for the same field.
func connection[T any](ctx context.Context, parentID string, fetch func(ctx context.Context, p portal.Principal, ids []string) (map[string]*portal.Connection[T], error)) (*portal.Connection[T], error) {
	conn, err := fieldLoad(ctx, parentID, fetch, func(c *portal.Connection[T], byType map[string]int) {
		if c != nil {
			byType[typeName[T]()] += len(c.Edges)
		}
	})
	if err == nil && conn == nil {
		conn = &portal.Connection[T]{Edges: []portal.Edge[T]{}}
	}
	return conn, err
}

// list loads one parent's list, batched like connection.
func list[T any](ctx context.Context, parentID string, fetch func(ctx context.Context, p portal.Principal, ids []string) (map[string][]*T, error)) ([]*T, error) {
	recs, err := fieldLoad(ctx, parentID, fetch, func(r []*T, byType map[string]int) { byType[typeName[T]()] += len(r) })
	if err == nil && recs == nil {
		recs = []*T{}
	}
	return recs, err
}
