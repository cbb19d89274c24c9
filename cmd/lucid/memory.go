package main

import (
	"fmt"

	"github.com/lucid-nlp/lucid/attribution"
	"github.com/lucid-nlp/lucid/internal/bytesize"
	"github.com/lucid-nlp/lucid/models"
	"github.com/lucid-nlp/lucid/perturb"
	"github.com/lucid-nlp/lucid/tokenize"
)

// Memory estimates for what grows with a flag: rows in flight (--batch ×
// --sessions × the longest sequence), model copies (--sessions), and an
// explanation's coalitions (--budget × features). They are deliberately
// generous upper estimates, checked against --max-memory before anything is
// allocated, so a flag that cannot fit is refused up front instead of
// crashing the process part-way. The batch size is the exception: audit
// and explain run smaller batches that fit (fitBatch) rather than refuse.

// Sizes assumed when config.json does not give them: BERT-base's.
const (
	assumedHidden = 768
	assumedHeads  = 12
)

// netShape is what the estimates need to know about the network.
type netShape struct {
	maxLen       int   // longest sequence the model reads
	hidden       int   // hidden size
	heads        int   // attention heads
	intermediate int   // feed-forward width
	weightBytes  int64 // model.onnx (and, for gradient methods, the embedding and gradient graphs) on disk
}

// shapeOf reads the network's sizes from the folder; withEmbeds (ig,
// grad-input, saliency) counts the embedding graphs' weights and, when the
// folder has it, model_grad.onnx's: those methods run on it whenever it is
// there, and its session holds the encoder's weights once more. (ig-fd in
// the bench does not open it; counting it there errs on the generous side.)
func shapeOf(f *models.Folder, withEmbeds bool) netShape {
	s := netShape{maxLen: f.MaxLength, hidden: f.Hidden, heads: f.Heads, intermediate: f.Intermediate}
	if s.hidden <= 0 {
		s.hidden = assumedHidden
	}
	if s.heads <= 0 {
		s.heads = assumedHeads
	}
	if s.intermediate <= 0 {
		s.intermediate = 4 * s.hidden
	}
	files := []string{models.ModelFile}
	if withEmbeds {
		files = append(files, "model_embeds.onnx", "embeddings.onnx", "model_grad.onnx")
	}
	for _, name := range files {
		if size, err := f.FileSize(name); err == nil {
			s.weightBytes += size
		}
	}
	return s
}

// rowBytes estimates the memory one row of seq tokens takes in a run: its
// int64 inputs, the layer activations alive at once (queries, keys,
// values, context, residual and feed-forward buffers, float32) and the
// attention scores and their softmax (heads × seq², float32).
func (s netShape) rowBytes(seq int) int64 {
	n := int64(seq)
	return 3*8*n + 4*n*int64(8*s.hidden+2*s.intermediate) + 2*4*int64(s.heads)*n*n
}

// baseBytes is the process before any batch: the Go runtime, the
// tokenizer and ONNX Runtime itself (measured: 104 MB for predict on one
// short text with the shipped model).
const baseBytes = 128 << 20

// inferenceBytes estimates the runtime's memory: the process's base, a
// copy of the weights per session (ONNX Runtime does not share initialisers
// across sessions; counted twice for the file's bytes and the loaded
// graph) plus batch rows of the longest sequence running in each session
// at once, counted twice because ONNX Runtime's arena grows in powers of
// two. Measured with the shipped model on 512-token rows (peak RSS,
// /usr/bin/time -v): --batch 32, 740 MB against an estimate of 1.0 GB;
// --batch 256, 2.8 GB against 6.3 GiB.
func (s netShape) inferenceBytes(batch, sessions int) int64 {
	return baseBytes + int64(sessions)*(2*s.weightBytes+2*int64(batch)*s.rowBytes(s.maxLen))
}

// encodingBytes estimates one tokenised text of the longest length: ids,
// attention mask, type ids, offsets, word ids and token strings.
func (s netShape) encodingBytes() int64 { return int64(s.maxLen) * 96 }

// checkInference refuses --batch and --sessions whose runs cannot fit.
func checkInference(s netShape, batch, sessions int, limit int64) error {
	if need := s.inferenceBytes(batch, sessions); need > limit {
		return memoryError(fmt.Sprintf("running --batch %d rows of up to %d tokens in each of --sessions %d", batch, s.maxLen, sessions), need, limit)
	}
	return nil
}

// fitBatch returns the largest batch, at most want, whose rows in flight
// fit limit (the estimate grows with the batch, so the first that fits
// from the top is the largest), and a note for stderr when that is below
// want. Only when one row per session does not fit is the work refused,
// with the numbers: a smaller batch costs speed, never results.
func fitBatch(s netShape, want, sessions int, limit int64) (int, string, error) {
	if s.inferenceBytes(want, sessions) <= limit {
		return want, "", nil
	}
	if need := s.inferenceBytes(1, sessions); need > limit {
		return 0, "", memoryError(fmt.Sprintf("running even one row of up to %d tokens (--batch %d does not fit either) in each of --sessions %d", s.maxLen, want, sessions), need, limit)
	}
	lo, hi := 1, want // inferenceBytes(lo) fits, inferenceBytes(hi) does not
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		if s.inferenceBytes(mid, sessions) <= limit {
			lo = mid
		} else {
			hi = mid
		}
	}
	note := fmt.Sprintf("--batch %d needs an estimated %s for rows of up to %d tokens, above --max-memory %s; running batches of %d rows (an estimated %s) instead",
		want, bytesize.Format(s.inferenceBytes(want, sessions)), s.maxLen, bytesize.Format(limit), lo, bytesize.Format(s.inferenceBytes(lo, sessions)))
	return lo, note, nil
}

// explainPlan is a chunk of explanations checked against the memory left
// beside the rows in flight: those whose own estimate is above it get an
// error instead of running, and as many of the rest run at once as fit.
type explainPlan struct {
	refused map[int]error // by index in the chunk
	workers int
}

// maxExplainWorkers is ExplainAll's default concurrency.
const maxExplainWorkers = 8

// planExplanations checks each text's explanation against avail with
// attribution.EstimateBytes (hidden: the model's embedding width, for ig).
func planExplanations(tok *tokenize.Tokenizer, req attribution.Request, texts []string, avail int64, hidden int) explainPlan {
	p := explainPlan{refused: map[int]error{}}
	var most int64
	for i, t := range texts {
		enc, err := tok.Encode(t)
		if err != nil {
			continue // Explain reports it
		}
		n := len(perturb.FeaturesWith(enc, req.Level, perturb.FeatureOptions{DropPunctuation: req.NoPunctuation}))
		need := attribution.EstimateBytes(req, n, enc.Len(), hidden)
		if need > avail {
			p.refused[i] = fmt.Errorf("explaining %d %s with --method %s needs an estimated %s, above the %s --max-memory leaves beside the model; lower --budget (or --steps) or raise --max-memory",
				n, req.Level, req.Method, bytesize.Format(need), bytesize.Format(max(avail, 0)))
			continue
		}
		most = max(most, need)
	}
	p.workers = maxExplainWorkers
	if most > 0 {
		p.workers = int(min(int64(maxExplainWorkers), max(1, avail/most)))
	}
	return p
}

// requests are the chunk's requests less the refused ones.
func (p explainPlan) requests(reqs []attribution.Request) []attribution.Request {
	out := make([]attribution.Request, 0, len(reqs))
	for i, r := range reqs {
		if p.refused[i] == nil {
			out = append(out, r)
		}
	}
	return out
}

// merge puts the refused requests' errors back in their places.
func (p explainPlan) merge(results []*attribution.Result, errs []error) ([]*attribution.Result, []error) {
	if len(p.refused) == 0 {
		return results, errs
	}
	n := len(results) + len(p.refused)
	allRes, allErr := make([]*attribution.Result, n), make([]error, n)
	j := 0
	for i := range n {
		if err := p.refused[i]; err != nil {
			allErr[i] = err
			continue
		}
		allRes[i], allErr[i] = results[j], errs[j]
		j++
	}
	return allRes, allErr
}
