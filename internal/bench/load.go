package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// request is one prepared request: where it goes, its body and token.
type request struct {
	url, token string
	body       []byte
}

func (r request) http(ctx context.Context) *http.Request {
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, r.url, bytes.NewReader(r.body))
	req.Header.Set("Content-Type", "application/json")
	if r.token != "" {
		req.Header.Set("Authorization", "Bearer "+r.token)
	}
	return req
}

// result is what one load run measured.
type result struct {
	requests   int
	elapsed    time.Duration
	p50, p99   time.Duration
	statements float64 // per request
	allocs     float64 // per request, server side
}

func (r result) perSecond() float64 { return float64(r.requests) / r.elapsed.Seconds() }

// runLoad sends requests from clients concurrent workers for the duration
// (after a warm-up that is not measured) and records each latency. Any
// failed request fails the run: numbers of a broken server mean nothing.
func runLoad(client *http.Client, clients int, warmup, duration time.Duration, next func(i int) request, statements func() int64) (result, error) {
	var (
		wg       sync.WaitGroup
		seq      atomic.Int64
		failure  atomic.Value
		measure  atomic.Bool
		mu       sync.Mutex
		samples  []time.Duration
		startCnt int64
	)
	stop := make(chan struct{})
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var local []time.Duration
			for {
				select {
				case <-stop:
					mu.Lock()
					samples = append(samples, local...)
					mu.Unlock()
					return
				default:
				}
				r := next(int(seq.Add(1)))
				begin := time.Now()
				resp, err := client.Do(r.http(context.Background()))
				if err == nil {
					var body []byte
					body, err = io.ReadAll(resp.Body)
					resp.Body.Close()
					if err == nil && (resp.StatusCode != http.StatusOK || bytes.Contains(body, []byte(`"errors"`))) {
						err = fmt.Errorf("%s: HTTP %d: %.300s", r.url, resp.StatusCode, body)
					}
				}
				if err != nil {
					failure.CompareAndSwap(nil, err)
					continue
				}
				if measure.Load() {
					local = append(local, time.Since(begin))
				}
			}
		}()
	}
	time.Sleep(warmup)
	startCnt = statements()
	measure.Store(true)
	began := time.Now()
	time.Sleep(duration)
	measure.Store(false)
	elapsed := time.Since(began)
	endCnt := statements()
	close(stop)
	wg.Wait()
	if err, _ := failure.Load().(error); err != nil {
		return result{}, err
	}
	slices.Sort(samples)
	res := result{requests: len(samples), elapsed: elapsed}
	if len(samples) > 0 {
		res.p50 = samples[len(samples)/2]
		res.p99 = samples[min(len(samples)-1, len(samples)*99/100)]
		// Requests in flight at either edge are not in samples; the
		// error in the ratio is at most clients/requests.
		res.statements = float64(endCnt-startCnt) / float64(len(samples))
	}
	return res, nil
}

// allocsPerRequest runs requests through the handler in this process, with
// no network and no client, and counts the heap allocations each makes on
// the server side.
func allocsPerRequest(h http.Handler, n int, next func(i int) request) float64 {
	serve := func(i int) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, next(i).http(context.Background()))
	}
	for i := range 20 {
		serve(i)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := range n {
		serve(i)
	}
	runtime.ReadMemStats(&after)
	return float64(after.Mallocs-before.Mallocs) / float64(n)
}
