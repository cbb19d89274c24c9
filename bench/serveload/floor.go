package serveload

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/lucid-nlp/lucid/engine"
	"github.com/lucid-nlp/lucid/tokenize"
)

// FloorReading is one reading of the engine's batched floor, without
// HTTP: rows/s at each batch size and number of concurrent runners (one,
// and the model's sessions when more) on the median-length text, and at
// the best of them for each text length.
type FloorReading struct {
	BestBatch    int `json:"best_batch"`
	BestRunners  int `json:"best_runners"`
	MedianLength int `json:"median_length"`
	// AtMedian is rows/s on the median-length text by "batch×runners".
	AtMedian map[string]float64 `json:"rows_per_second_at_median_length"`
	// ByLength is rows/s at the best batch and runners for each length.
	ByLength map[int]float64 `json:"rows_per_second_by_length"`
}

// floorBatches are the batch sizes a floor reading tries: from one row,
// so that single-row serving cannot beat the floor by running a size the
// floor never tried.
var floorBatches = []int{1, 8, 16, 32, 64}

// floorWindow is how long each point of a reading runs.
const floorWindow = 150 * time.Millisecond

// readFloor takes one floor reading of m on the texts' encodings, trying
// floorBatches (and maxBatch, when set) with one runner and, when the
// model has more sessions, with as many runners at once.
func readFloor(ctx context.Context, m engine.Model, encs []*tokenize.Encoding, sessions, maxBatch int) (*FloorReading, error) {
	byLen := map[int]*tokenize.Encoding{}
	var lengths []int
	for _, e := range encs {
		if _, ok := byLen[e.Len()]; !ok {
			byLen[e.Len()] = e
			lengths = append(lengths, e.Len())
		}
	}
	if len(lengths) == 0 {
		return nil, fmt.Errorf("load: no texts to measure the floor on")
	}
	slices.Sort(lengths)
	median := lengths[len(lengths)/2]
	batches := slices.Clone(floorBatches)
	if maxBatch > 0 && !slices.Contains(batches, maxBatch) {
		batches = append(batches, maxBatch)
	}
	runners := []int{1}
	if sessions > 1 {
		runners = append(runners, sessions)
	}
	r := &FloorReading{MedianLength: median, AtMedian: map[string]float64{}, ByLength: map[int]float64{}}
	best := -1.0
	for _, bs := range batches {
		for _, k := range runners {
			v, err := floorRate(ctx, m, byLen[median], bs, k)
			if err != nil {
				return nil, err
			}
			r.AtMedian[fmtKey(bs, k)] = v
			if v > best {
				best, r.BestBatch, r.BestRunners = v, bs, k
			}
		}
	}
	for _, l := range lengths {
		v, err := floorRate(ctx, m, byLen[l], r.BestBatch, r.BestRunners)
		if err != nil {
			return nil, err
		}
		r.ByLength[l] = v
	}
	return r, nil
}

// fmtKey names a batch size and runners in FloorReading.AtMedian.
func fmtKey(batch, runners int) string { return fmt.Sprintf("%d×%d", batch, runners) }

// floorRate is the sustained rows/s of k runners each running batches of
// bs copies of e for floorWindow, after a warm-up run each.
func floorRate(ctx context.Context, m engine.Model, e *tokenize.Encoding, bs, k int) (float64, error) {
	b := engine.Batch{Rows: bs, SeqLen: e.Len()}
	for range bs {
		b.InputIDs = append(b.InputIDs, e.IDs...)
		b.AttentionMask = append(b.AttentionMask, e.AttentionMask...)
		b.TokenTypeIDs = append(b.TokenTypeIDs, e.TypeIDs...)
	}
	if len(b.TokenTypeIDs) != len(b.InputIDs) {
		b.TokenTypeIDs = nil
	}
	var wg sync.WaitGroup
	errs := make([]error, k)
	rows := make([]int, k)
	var ready sync.WaitGroup
	ready.Add(k)
	startGate := make(chan struct{})
	var start time.Time
	for i := range k {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = m.Run(ctx, b) // warm-up
			ready.Done()
			<-startGate
			if errs[i] != nil {
				return
			}
			for time.Since(start) < floorWindow {
				if _, errs[i] = m.Run(ctx, b); errs[i] != nil {
					return
				}
				rows[i] += bs
			}
		}()
	}
	ready.Wait()
	start = time.Now()
	close(startGate)
	wg.Wait()
	elapsed := time.Since(start)
	total := 0
	for i := range k {
		if errs[i] != nil {
			return 0, fmt.Errorf("load: floor at batch %d, %d runners: %w", bs, k, errs[i])
		}
		total += rows[i]
	}
	return float64(total) / elapsed.Seconds(), nil
}
