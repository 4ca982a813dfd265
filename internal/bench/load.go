package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
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
	Requests int
	Elapsed  time.Duration
	P50, P99 time.Duration

	// Measured by the serving process, per request.
	statements float64
	allocs     allocations // server side, outside the runs (allocsPerRequest)
	serverCPU  time.Duration
	pgCPU      time.Duration // -1: not measured
}

func (r result) perSecond() float64 { return float64(r.Requests) / r.Elapsed.Seconds() }

// runLoad sends requests from clients concurrent workers for the duration
// (after a warm-up that is not measured) and records each latency. mark is
// called as the measured window begins and as it ends. Any failed request
// fails the run: numbers of a broken server mean nothing.
func runLoad(client *http.Client, clients int, warmup, duration time.Duration, next func(i int) request, mark func()) (result, error) {
	var (
		wg      sync.WaitGroup
		seq     atomic.Int64
		failure atomic.Value
		measure atomic.Bool
		mu      sync.Mutex
		samples []time.Duration
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
	mark()
	measure.Store(true)
	began := time.Now()
	time.Sleep(duration)
	measure.Store(false)
	elapsed := time.Since(began)
	mark()
	close(stop)
	wg.Wait()
	if err, _ := failure.Load().(error); err != nil {
		return result{}, err
	}
	slices.Sort(samples)
	res := result{Requests: len(samples), Elapsed: elapsed}
	if len(samples) > 0 {
		res.P50 = samples[len(samples)/2]
		res.P99 = samples[min(len(samples)-1, len(samples)*99/100)]
	}
	return res, nil
}

// The load generator runs in a child process, the bench binary started
// again with -load-generator, so that the serving process's CPU time is
// the servers' alone: the HTTP client's work (and its garbage) would
// otherwise be counted as the servers', alike for both, which hides the
// difference between them. The two speak JSON lines over the child's
// standard input and output: the targets first, then one loadCommand per
// run, answered by two loadEvents "mark" (the measured window begins,
// ends) and one "done".

// loadCommand asks the load generator for one run.
type loadCommand struct {
	Name, Server     string
	Clients          int
	Warmup, Duration time.Duration
}

// loadEvent is the load generator's answer.
type loadEvent struct {
	Event  string  // "mark" or "done"
	Result *result `json:",omitempty"`
	Error  string  `json:",omitempty"`
}

// serveLoad is the load generator's side: it reads the targets and then
// runs what it is asked, until its input ends.
func serveLoad(in io.Reader, out io.Writer) error {
	dec := json.NewDecoder(in)
	enc := json.NewEncoder(out)
	var t targets
	if err := dec.Decode(&t); err != nil {
		return fmt.Errorf("load generator: read targets: %w", err)
	}
	scenarios := map[scenarioKey]scenario{}
	for _, sc := range buildScenarios(t, nil) {
		scenarios[sc.key()] = sc
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64, MaxConnsPerHost: 64}}
	for {
		var cmd loadCommand
		if err := dec.Decode(&cmd); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return fmt.Errorf("load generator: read command: %w", err)
		}
		sc, ok := scenarios[scenarioKey{cmd.Name, cmd.Server}]
		if !ok {
			return fmt.Errorf("load generator: no scenario %q on %s", cmd.Name, cmd.Server)
		}
		res, err := runLoad(client, cmd.Clients, cmd.Warmup, cmd.Duration, sc.next, func() {
			_ = enc.Encode(loadEvent{Event: "mark"})
		})
		done := loadEvent{Event: "done", Result: &res}
		if err != nil {
			done = loadEvent{Event: "done", Error: err.Error()}
		}
		if err := enc.Encode(done); err != nil {
			return err
		}
	}
}

// loadGenerator is the serving process's handle on the child.
type loadGenerator struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	enc    *json.Encoder
	events *json.Decoder
}

func startLoadGenerator(t targets) (*loadGenerator, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self, "-load-generator")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start the load generator: %w", err)
	}
	g := &loadGenerator{cmd: cmd, stdin: stdin, enc: json.NewEncoder(stdin), events: json.NewDecoder(bufio.NewReader(stdout))}
	if err := g.enc.Encode(t); err != nil {
		g.close()
		return nil, err
	}
	return g, nil
}

// run has the child run sc, calling mark as the measured window begins
// and ends, as runLoad does.
func (g *loadGenerator) run(sc scenario, clients int, warmup, duration time.Duration, mark func()) (result, error) {
	if err := g.enc.Encode(loadCommand{Name: sc.name, Server: sc.server, Clients: clients, Warmup: warmup, Duration: duration}); err != nil {
		return result{}, err
	}
	for {
		var ev loadEvent
		if err := g.events.Decode(&ev); err != nil {
			return result{}, fmt.Errorf("load generator: %w", err)
		}
		switch {
		case ev.Event == "mark":
			mark()
		case ev.Error != "":
			return result{}, errors.New(ev.Error)
		case ev.Result != nil:
			return *ev.Result, nil
		}
	}
}

func (g *loadGenerator) close() {
	_ = g.stdin.Close() // the child returns at the end of its input
	_ = g.cmd.Wait()
}

// allocations are what serving one request allocates: how many objects,
// and how many bytes, which sets how often the collector runs.
type allocations struct{ objects, bytes float64 }

// allocsPerRequest runs requests through the handler in this process, with
// no network and no client, and counts the heap allocations each makes on
// the server side.
func allocsPerRequest(ctx context.Context, h http.Handler, reads *measuredAudit, n int, next func(i int) request) allocations {
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
	reads.record()
	for i := range n {
		serve(i)
	}
	reads.write(ctx) // writing the audit of the requests' reads is theirs
	runtime.ReadMemStats(&after)
	return allocations{
		objects: float64(after.Mallocs-before.Mallocs) / float64(n),
		bytes:   float64(after.TotalAlloc-before.TotalAlloc) / float64(n),
	}
}
