// Package serveload drives a Lucid server (or any KServe v1 server) with a
// bounded number of requests at a fixed concurrency and measures what
// came back: throughput, latency percentiles, errors and 429s. It is the
// measuring half of the serve benchmarks (scripts/gpu_bench.sh uses it
// through loadgen). Run is a closed loop (a fixed number of clients) or,
// with Options.Rate, an open loop (requests at a fixed rate, as an
// overload is offered).
//
// ServeBench is `lucid bench serve`: it starts the server in this process
// on a loopback port, with dynamic batching on and off, and sets its
// throughput against the engine's batched floor measured in the same run,
// with mixed runs (predictions beside explanations: does either starve
// the other), an overload run and the process's memory over many
// requests. Its Targets compare the figures with issues 9's and 22's
// goals; nothing here asserts them.
package serveload

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Options say what to send.
type Options struct {
	// URL is the endpoint, e.g. http://127.0.0.1:8080/v1/models/m:predict.
	URL string
	// Texts are sent one per request, in turn.
	Texts []string
	// Parameters, when set, go in each request's "parameters" (:explain).
	Parameters map[string]any
	// Token, when set, is sent as a bearer token.
	Token string
	// Concurrency is how many requests are outstanding at once: the
	// clients of a closed loop, or with Rate the most requests an open
	// loop keeps outstanding (one due beyond it is dropped, not sent,
	// and counted in Result.Dropped).
	Concurrency int
	Requests    int
	// Rate, when above 0, makes the run an open loop: requests are sent
	// at Rate per second whether or not earlier ones have been answered,
	// as independent users would send them (how an overload is offered).
	// 0 is a closed loop: each client sends its next request when its
	// last is answered.
	Rate float64
	// Timeout bounds each request (default 60s).
	Timeout time.Duration
}

// MaxRate bounds Options.Rate (requests per second).
const MaxRate = 1_000_000

// Result is what a run measured. Latencies are of the successful requests.
type Result struct {
	Requests   int    `json:"requests"`
	OK         int    `json:"ok"`
	TooMany    int    `json:"status_429"`
	Failed     int    `json:"failed"`
	FirstError string `json:"first_error,omitempty"`
	// Dropped counts the requests an open loop (Options.Rate) did not
	// send because Concurrency were already outstanding.
	Dropped int `json:"client_dropped,omitempty"`
	// Offered is the rate the requests were sent at (open loop only).
	Offered       float64       `json:"offered_per_second,omitempty"`
	Seconds       float64       `json:"seconds"`
	PerSecond     float64       `json:"requests_per_second"`
	P50, P95, P99 time.Duration `json:"-"`
	P50ms         float64       `json:"p50_ms"`
	P95ms         float64       `json:"p95_ms"`
	P99ms         float64       `json:"p99_ms"`
}

func (r Result) String() string {
	s := fmt.Sprintf("%d requests in %.2fs: %.1f/s, p50 %.1fms p95 %.1fms p99 %.1fms, %d ok, %d 429, %d failed",
		r.Requests, r.Seconds, r.PerSecond, r.P50ms, r.P95ms, r.P99ms, r.OK, r.TooMany, r.Failed)
	if r.Offered > 0 {
		s += fmt.Sprintf(", offered %.1f/s, %d dropped by the client", r.Offered, r.Dropped)
	}
	return s
}

// Run sends o.Requests requests from o.Concurrency clients and measures
// them. It stops early, with what it measured, when ctx ends.
func Run(ctx context.Context, o Options) (Result, error) {
	switch {
	case o.URL == "":
		return Result{}, fmt.Errorf("load: no URL")
	case len(o.Texts) == 0:
		return Result{}, fmt.Errorf("load: no texts")
	case o.Concurrency < 1 || o.Concurrency > 4096:
		return Result{}, fmt.Errorf("load: concurrency %d: want 1 to 4096", o.Concurrency)
	case o.Requests < 1 || o.Requests > 10_000_000:
		return Result{}, fmt.Errorf("load: requests %d: want 1 to 10,000,000", o.Requests)
	case o.Rate < 0 || o.Rate > MaxRate || o.Rate != o.Rate:
		return Result{}, fmt.Errorf("load: rate %v: want 0 (a closed loop) to %d requests/s", o.Rate, MaxRate)
	}
	if o.Timeout <= 0 {
		o.Timeout = 60 * time.Second
	}
	bodies := make([][]byte, len(o.Texts))
	for i, t := range o.Texts {
		req := map[string]any{"instances": []string{t}}
		if o.Parameters != nil {
			req["parameters"] = o.Parameters
		}
		b, err := json.Marshal(req)
		if err != nil {
			return Result{}, fmt.Errorf("load: %w", err)
		}
		bodies[i] = b
	}
	client := &http.Client{Timeout: o.Timeout, Transport: &http.Transport{MaxIdleConnsPerHost: o.Concurrency, MaxConnsPerHost: o.Concurrency}}
	defer client.CloseIdleConnections()
	var mu sync.Mutex
	res := Result{}
	lat := make([]time.Duration, 0, o.Requests)
	// do sends request i and records its outcome.
	do := func(i int) {
		t0 := time.Now()
		code, err := send(ctx, client, o, bodies[i%len(bodies)])
		d := time.Since(t0)
		mu.Lock()
		defer mu.Unlock()
		res.Requests++
		switch {
		case err == nil && code == http.StatusOK:
			res.OK++
			lat = append(lat, d)
		case err == nil && code == http.StatusTooManyRequests:
			res.TooMany++
		default:
			res.Failed++
			if res.FirstError == "" {
				if err != nil {
					res.FirstError = err.Error()
				} else {
					res.FirstError = fmt.Sprintf("status %d", code)
				}
			}
		}
	}
	var wg sync.WaitGroup
	start := time.Now()
	if o.Rate > 0 {
		res.Offered = openLoop(ctx, o, &wg, do, &res, &mu)
	} else {
		var next atomic.Int64
		for range o.Concurrency {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for ctx.Err() == nil {
					i := int(next.Add(1)) - 1
					if i >= o.Requests {
						return
					}
					do(i)
				}
			}()
		}
	}
	wg.Wait()
	res.Seconds = time.Since(start).Seconds()
	res.PerSecond = float64(res.OK) / res.Seconds
	slices.Sort(lat)
	res.P50, res.P95, res.P99 = quantile(lat, 0.50), quantile(lat, 0.95), quantile(lat, 0.99)
	res.P50ms, res.P95ms, res.P99ms = ms(res.P50), ms(res.P95), ms(res.P99)
	return res, ctx.Err()
}

// openLoop sends o.Requests requests at o.Rate per second, each in its
// own goroutine, keeping at most o.Concurrency outstanding, and returns
// the rate they were offered at. A sender that falls behind (a busy
// machine) catches up at once, so the mean rate holds.
func openLoop(ctx context.Context, o Options, wg *sync.WaitGroup, do func(int), res *Result, mu *sync.Mutex) float64 {
	interval := time.Duration(float64(time.Second) / o.Rate)
	outstanding := make(chan struct{}, o.Concurrency)
	start := time.Now()
	sent := 0
	for i := 0; i < o.Requests && ctx.Err() == nil; i++ {
		if wait := time.Until(start.Add(time.Duration(i) * interval)); wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
			}
			if ctx.Err() != nil {
				break
			}
		}
		sent++
		select {
		case outstanding <- struct{}{}:
		default:
			mu.Lock()
			res.Requests++
			res.Dropped++
			mu.Unlock()
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-outstanding }()
			do(i)
		}()
	}
	if sent == 0 {
		return 0
	}
	// The rate of the sends: sent requests over the span from the first
	// to the last, extended by one interval (n sends make n intervals).
	return float64(sent) / (time.Since(start) + interval).Seconds()
}

func send(ctx context.Context, c *http.Client, o Options, body []byte) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, o.URL, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	if o.Token != "" {
		req.Header.Set("Authorization", "Bearer "+o.Token)
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// quantile is the nearest-rank q-quantile of sorted durations.
func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.5) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
