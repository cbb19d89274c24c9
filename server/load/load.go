// Package load drives a Lucid server (or any KServe v1 server) with a
// bounded number of requests at a fixed concurrency and measures what
// came back: throughput, latency percentiles, errors and 429s. It is the
// measuring half of the serve benchmarks (scripts/gpu_bench.sh uses it
// through loadgen); it holds no threshold of its own.
package load

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
	Token       string
	Concurrency int
	Requests    int
	// Timeout bounds each request (default 60s).
	Timeout time.Duration
}

// Result is what a run measured. Latencies are of the successful requests.
type Result struct {
	Requests      int           `json:"requests"`
	OK            int           `json:"ok"`
	TooMany       int           `json:"status_429"`
	Failed        int           `json:"failed"`
	FirstError    string        `json:"first_error,omitempty"`
	Seconds       float64       `json:"seconds"`
	PerSecond     float64       `json:"requests_per_second"`
	P50, P95, P99 time.Duration `json:"-"`
	P50ms         float64       `json:"p50_ms"`
	P95ms         float64       `json:"p95_ms"`
	P99ms         float64       `json:"p99_ms"`
}

func (r Result) String() string {
	return fmt.Sprintf("%d requests in %.2fs: %.1f/s, p50 %.1fms p95 %.1fms p99 %.1fms, %d ok, %d 429, %d failed",
		r.Requests, r.Seconds, r.PerSecond, r.P50ms, r.P95ms, r.P99ms, r.OK, r.TooMany, r.Failed)
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
	var next atomic.Int64
	var mu sync.Mutex
	res := Result{}
	lat := make([]time.Duration, 0, o.Requests)
	var wg sync.WaitGroup
	start := time.Now()
	for range o.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= o.Requests {
					return
				}
				t0 := time.Now()
				code, err := send(ctx, client, o, bodies[i%len(bodies)])
				d := time.Since(t0)
				mu.Lock()
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
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	res.Seconds = time.Since(start).Seconds()
	res.PerSecond = float64(res.OK) / res.Seconds
	slices.Sort(lat)
	res.P50, res.P95, res.P99 = quantile(lat, 0.50), quantile(lat, 0.95), quantile(lat, 0.99)
	res.P50ms, res.P95ms, res.P99ms = ms(res.P50), ms(res.P95), ms(res.P99)
	return res, ctx.Err()
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
