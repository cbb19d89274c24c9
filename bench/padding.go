package bench

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/lucid-nlp/lucid/engine"
	"github.com/lucid-nlp/lucid/tokenize"
)

// Length bucketing. Texts scored together must be padded to one length:
// taken in arrival order, a batch is padded to its longest text, so one
// long review makes the whole batch pay for its length (attention grows
// with the square of it). Taken sorted by length, neighbours in a batch
// are of similar length and the padding nearly vanishes. MeasurePadding
// times both on the same texts; the outputs must agree, since padding
// positions are masked out of attention (RunPadded's test checks it).

// PaddingRow is the throughput of one batch size, both ways.
type PaddingRow struct {
	Batch int `json:"batch"`
	// ArrivalRowsPerSecond: batches of texts in the order given, each
	// padded to its longest text. BucketedRowsPerSecond: the texts sorted
	// by length first (batches of similar length), each padded likewise.
	ArrivalRowsPerSecond  float64 `json:"arrival_rows_per_second"`
	BucketedRowsPerSecond float64 `json:"bucketed_rows_per_second"`
	// Tokens run, padding included, and the texts' own tokens: the
	// padding's share is the work bucketing saves.
	ArrivalTokens  int `json:"arrival_tokens"`
	BucketedTokens int `json:"bucketed_tokens"`
	TextTokens     int `json:"text_tokens"`
	// MaxLogitDifference is the largest |logit| difference between the
	// two orders, text by text (float32 rounding only).
	MaxLogitDifference float64 `json:"max_logit_difference"`
}

// RunPadded scores encs in batches of bs texts, each batch padded to its
// longest text with padID (attention mask 0); bucket sorts the texts by
// length first. It returns each text's logits in the order of encs, the
// tokens run (padding included) and the wall time.
func RunPadded(ctx context.Context, m engine.Model, encs []*tokenize.Encoding, padID int64, bs int, bucket bool) ([][]float32, int, time.Duration, error) {
	if bs < 1 {
		return nil, 0, 0, fmt.Errorf("bench: batch size %d: want at least 1", bs)
	}
	order := make([]int, len(encs))
	for i := range order {
		order[i] = i
	}
	if bucket {
		slices.SortStableFunc(order, func(a, b int) int { return encs[a].Len() - encs[b].Len() })
	}
	out := make([][]float32, len(encs))
	tokens := 0
	start := time.Now()
	for lo := 0; lo < len(order); lo += bs {
		idx := order[lo:min(lo+bs, len(order))]
		seq := 0
		for _, i := range idx {
			seq = max(seq, encs[i].Len())
		}
		b := engine.Batch{Rows: len(idx), SeqLen: seq,
			InputIDs: make([]int64, 0, len(idx)*seq), AttentionMask: make([]int64, 0, len(idx)*seq), TokenTypeIDs: make([]int64, 0, len(idx)*seq)}
		for _, i := range idx {
			e, pad := encs[i], seq-encs[i].Len()
			b.InputIDs = append(append(b.InputIDs, e.IDs...), repeat(padID, pad)...)
			b.AttentionMask = append(append(b.AttentionMask, e.AttentionMask...), make([]int64, pad)...)
			b.TokenTypeIDs = append(append(b.TokenTypeIDs, e.TypeIDs...), make([]int64, pad)...)
		}
		logits, err := m.Run(ctx, b)
		if err != nil {
			return nil, 0, 0, fmt.Errorf("bench: a batch of %d texts padded to %d tokens: %w", len(idx), seq, err)
		}
		for r, i := range idx {
			out[i] = slices.Clone(logits.Row(r))
		}
		tokens += len(idx) * seq
	}
	return out, tokens, time.Since(start), nil
}

func repeat(v int64, n int) []int64 {
	s := make([]int64, n)
	for i := range s {
		s[i] = v
	}
	return s
}

// MeasurePadding times RunPadded at each batch size, in arrival order and
// bucketed by length, alternating the two so that a shared machine's drift
// hits both alike; each is warmed up by one batch first.
func MeasurePadding(ctx context.Context, m engine.Model, encs []*tokenize.Encoding, padID int64, batches []int) ([]PaddingRow, error) {
	if len(encs) == 0 {
		return nil, fmt.Errorf("bench: no texts to measure padding on")
	}
	own := 0
	for _, e := range encs {
		own += e.Len()
	}
	var rows []PaddingRow
	for _, bs := range batches {
		row := PaddingRow{Batch: bs, TextTokens: own}
		if _, _, _, err := RunPadded(ctx, m, encs[:min(bs, len(encs))], padID, bs, false); err != nil {
			return nil, err
		}
		arr, at, ad, err := RunPadded(ctx, m, encs, padID, bs, false)
		if err != nil {
			return nil, err
		}
		buck, bt, bd, err := RunPadded(ctx, m, encs, padID, bs, true)
		if err != nil {
			return nil, err
		}
		row.ArrivalRowsPerSecond = float64(len(encs)) / ad.Seconds()
		row.BucketedRowsPerSecond = float64(len(encs)) / bd.Seconds()
		row.ArrivalTokens, row.BucketedTokens = at, bt
		row.MaxLogitDifference = maxDifference(arr, buck)
		rows = append(rows, row)
	}
	return rows, nil
}

func maxDifference(a, b [][]float32) float64 {
	var d float64
	for i := range a {
		for k := range a[i] {
			d = math.Max(d, math.Abs(float64(a[i][k])-float64(b[i][k])))
		}
	}
	return d
}
