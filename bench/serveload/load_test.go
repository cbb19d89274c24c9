package serveload

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRunCountsOutcomes(t *testing.T) {
	var n atomic.Int64
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Instances  []string       `json:"instances"`
			Parameters map[string]any `json:"parameters"`
		}
		if json.NewDecoder(r.Body).Decode(&body) != nil || len(body.Instances) != 1 || body.Parameters["budget"] != 256.0 || r.Header.Get("Authorization") != "Bearer t" {
			w.WriteHeader(400)
			return
		}
		switch n.Add(1) % 4 {
		case 0:
			w.WriteHeader(http.StatusTooManyRequests)
		case 1:
			w.WriteHeader(500)
		default:
			w.Write([]byte(`{}`))
		}
	}))
	defer ts.Close()
	res, err := Run(context.Background(), Options{URL: ts.URL, Texts: []string{"a", "b"}, Parameters: map[string]any{"budget": 256},
		Token: "t", Concurrency: 4, Requests: 100})
	require.NoError(t, err)
	assert.Equal(t, 100, res.Requests)
	assert.Equal(t, 50, res.OK)
	assert.Equal(t, 25, res.TooMany)
	assert.Equal(t, 25, res.Failed)
	assert.Equal(t, "status 500", res.FirstError)
	assert.LessOrEqual(t, res.P50, res.P95)
	assert.LessOrEqual(t, res.P95, res.P99)
	assert.Positive(t, res.PerSecond)
}

func TestRunRefusesBadOptions(t *testing.T) {
	_, err := Run(context.Background(), Options{URL: "http://x", Texts: []string{"a"}, Concurrency: 0, Requests: 1})
	assert.ErrorContains(t, err, "concurrency 0")
	_, err = Run(context.Background(), Options{URL: "http://x", Concurrency: 1, Requests: 1})
	assert.ErrorContains(t, err, "no texts")
	_, err = Run(context.Background(), Options{URL: "http://x", Texts: []string{"a"}, Concurrency: 1, Requests: 0})
	assert.ErrorContains(t, err, "requests 0")
}

func TestQuantile(t *testing.T) {
	assert.Zero(t, quantile(nil, 0.5))
	var d []time.Duration
	for i := 1; i <= 100; i++ {
		d = append(d, time.Duration(i))
	}
	assert.Equal(t, time.Duration(50), quantile(d, 0.50), "nearest rank")
	assert.Equal(t, time.Duration(95), quantile(d, 0.95))
	assert.Equal(t, time.Duration(100), quantile(d, 1))
}

// An open loop sends at its rate whatever the answers, and drops (does not
// send) a request due while Concurrency are outstanding.
func TestOpenLoopOffersItsRateAndBoundsOutstanding(t *testing.T) {
	release := make(chan struct{})
	var got atomic.Int64
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.Add(1)
		<-release
		w.Write([]byte(`{}`))
	}))
	defer ts.Close()
	done := make(chan Result, 1)
	go func() {
		res, err := Run(context.Background(), Options{URL: ts.URL, Texts: []string{"a"}, Concurrency: 5, Requests: 40, Rate: 400})
		assert.NoError(t, err)
		done <- res
	}()
	// Every request is due within 0.1s; the server holds the first five.
	require.Eventually(t, func() bool { return got.Load() == 5 }, 5*time.Second, time.Millisecond)
	time.Sleep(300 * time.Millisecond)
	close(release)
	res := <-done
	assert.Equal(t, 40, res.Requests)
	assert.Equal(t, 5, res.OK, "only the five outstanding were sent")
	assert.Equal(t, 35, res.Dropped)
	assert.Zero(t, res.Failed)
	assert.Positive(t, res.Offered)
	assert.Equal(t, int64(5), got.Load())
}

func TestOpenLoopRefusesBadRate(t *testing.T) {
	_, err := Run(context.Background(), Options{URL: "http://x", Texts: []string{"a"}, Concurrency: 1, Requests: 1, Rate: -1})
	assert.ErrorContains(t, err, "rate -1")
}
