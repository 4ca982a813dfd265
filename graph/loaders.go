package graph

import (
	"context"
	"encoding/binary"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/graph-gophers/dataloader/v7"
	"github.com/vektah/gqlparser/v2/ast"
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
	wait    time.Duration
	stats   *BatchStats
	observe func(ctx context.Context, executor, field string, size int) (context.Context, func(error)) // Config.ObserveBatch

	mu       sync.Mutex
	fieldIDs map[*ast.Field]int
	batches  map[string]*fieldBatch // by place
	// produced counts the objects each place returned over all its
	// parents, by GraphQL type: under an interface (node, record) only the
	// objects of a fragment's type resolve the fragment's fields.
	produced map[string]map[string]int
}

func newLoaders(wait time.Duration, stats *BatchStats, observe func(context.Context, string, string, int) (context.Context, func(error))) *loaders {
	// The maps are made when first written: a request the planner
	// answers whole never uses its loaders.
	return &loaders{wait: wait, stats: stats, observe: observe}
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
				if l.fieldIDs == nil {
					l.fieldIDs = map[*ast.Field]int{}
				}
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
	if l.produced == nil {
		l.produced = map[string]map[string]int{}
	}
	if l.produced[place] == nil {
		l.produced[place] = map[string]int{}
	}
	for t, n := range byType {
		l.produced[place][t] += n
	}
}

// resolve is the body of every read resolver: the field's one definition
// (readFields), batched through the request's loaders with every other
// object asking for the same field at the same place. Roots ask with a
// nil object.
func resolve[V any](ctx context.Context, r *Resolver, obj any) (V, error) {
	var zero V
	fc := graphql.GetFieldContext(ctx)
	name := fc.Object + "." + fc.Field.Name
	f, ok := r.fields[name]
	if !ok {
		return zero, fmt.Errorf("%s has no definition", name)
	}
	v, err := fieldLoad(ctx, name, f, obj)
	if err != nil {
		return zero, err
	}
	if e, ok := v.(failed); ok {
		return zero, e.err
	}
	out, _ := v.(V)
	return out, nil
}

// fieldLoad resolves the field for obj, in one batch with every other
// object asking for the same field at the same place.
func fieldLoad(ctx context.Context, name string, f readField, obj any) (any, error) {
	l := loadersFrom(ctx)
	fc := graphql.GetFieldContext(ctx)
	l.mu.Lock()
	places := l.placesLocked(fc)
	fb, ok := l.batches[places[0]]
	if !ok {
		fb = &fieldBatch{place: places[0], field: name}
		// The objects asking were produced at the nearest place above
		// that produced any; none means single objects only.
		for _, above := range places[1:] {
			if _, ok := l.produced[above]; ok {
				fb.source, fb.sourceType = above, fc.Object
				break
			}
		}
		if l.batches == nil {
			l.batches = map[string]*fieldBatch{}
		}
		l.batches[places[0]] = fb
	}
	if fb.ld == nil {
		fb.capacity = fb.toComeLocked(l)
		fb.ld, fb.inBatch = newFieldLoader(l, fb, f, fb.capacity), 0
	}
	fb.asked++
	fb.inBatch++
	ld := fb.ld
	if fb.inBatch == fb.capacity {
		// Full: the loader sends it now, so whoever asks next starts
		// the next batch rather than wait on a loader that has gone.
		fb.ld = nil
	}
	l.mu.Unlock()
	return ld.Load(ctx, obj)()
}

// fieldBatch is the batching of one field at one place: the loader
// collecting its current batch, and how many objects have asked so far.
type fieldBatch struct {
	place      string
	field      string // "Type.field", for the batch's span and metrics
	source     string // the place that produced the asking objects; "" for none
	sourceType string
	ld         *dataloader.Loader[any, any]
	asked      int // objects that asked, over all batches
	capacity   int // the current batch's size when full
	inBatch    int // objects that asked in the current batch
}

// toComeLocked is how many objects have yet to ask: as many as the source
// has produced so far, less those that asked. A source still producing
// (its own batch split) raises the count for later batches.
func (fb *fieldBatch) toComeLocked(l *loaders) int {
	produced := 1
	if fb.source != "" {
		produced = l.produced[fb.source][fb.sourceType]
	}
	return max(produced-fb.asked, 1)
}

// newFieldLoader makes the loader of a field's next batch, full when the
// objects still to come have asked. Should the wait run out first, the
// batch goes with what it has and the next loader waits for the rest.
func newFieldLoader(l *loaders, fb *fieldBatch, f readField, capacity int) *dataloader.Loader[any, any] {
	var ld *dataloader.Loader[any, any]
	ld = dataloader.NewBatchedLoader(func(ctx context.Context, objs []any) []*dataloader.Result[any] {
		l.mu.Lock()
		if fb.ld == ld {
			fb.ld = nil // sent by the wait: later askers start the next batch
		}
		l.mu.Unlock()
		l.stats.record(len(objs) < capacity)
		// Every object at a place asks with the same arguments; ctx is
		// the first one's.
		bctx, end := l.observe(ctx, "loader", fb.field, len(objs))
		vals, err := f.batch(fieldInput{ctx: bctx, args: graphql.GetFieldContext(ctx).Args, count: asksTotalCount(ctx)}, objs)
		if end != nil {
			end(err)
		}
		if err == nil && len(vals) != len(objs) {
			err = fmt.Errorf("%s: %d values for %d objects", fb.field, len(vals), len(objs))
		}
		out := make([]*dataloader.Result[any], len(objs))
		byType := map[string]int{}
		for i := range objs {
			out[i] = &dataloader.Result[any]{Error: err}
			if err == nil {
				out[i].Data = vals[i]
				if _, isErr := vals[i].(failed); !isErr {
					f.count(vals[i], byType)
				}
			}
		}
		l.listed(fb.place, byType)
		return out
	},
		dataloader.WithWait[any, any](l.wait),
		dataloader.WithBatchCapacity[any, any](capacity),
		// Every object asks, even one another place also holds: the count
		// is of askers, so the batch knows when it is full.
		dataloader.WithCache[any, any](&dataloader.NoCache[any, any]{}),
	)
	return ld
}

// asksTotalCount reports whether the field being resolved has totalCount
// selected: counting costs, so it is done only when asked for.
func asksTotalCount(ctx context.Context) bool {
	return slices.ContainsFunc(graphql.CollectFieldsCtx(ctx, nil), func(f graphql.CollectedField) bool { return f.Name == "totalCount" })
}
