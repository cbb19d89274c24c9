package audit

import (
	"context"
	"fmt"
	"unicode/utf8"

	"github.com/lucid-nlp/lucid/attribution"
	"github.com/lucid-nlp/lucid/dataset"
	"github.com/lucid-nlp/lucid/fairness/pairtext"
	"github.com/lucid-nlp/lucid/models"
)

// PairClassifier is a Classifier that also reads sentence pairs, as
// *models.Classifier does (PredictPairs): an audit with a TextPairCol
// needs one.
type PairClassifier interface {
	Classifier
	PredictPairs(ctx context.Context, pairs [][2]string) ([]models.Prediction, error)
}

// pairClassifier scores the pairs a pair audit carries as one string
// (pairtext.Join: "text ␞ text_pair") with the classifier's pair encoding,
// so every check that scores texts (groups, swaps, edits, slices) scores
// pairs without knowing it.
type pairClassifier struct{ clf PairClassifier }

func (p pairClassifier) Labels() []string { return p.clf.Labels() }

func (p pairClassifier) Predict(ctx context.Context, texts []string) ([]models.Prediction, error) {
	out := make([]models.Prediction, len(texts))
	pairs := make([][2]string, 0, len(texts))
	at := make([]int, 0, len(texts))
	for i, t := range texts {
		a, b, ok := pairtext.Split(t)
		if !ok {
			// An edit that removed or doubled the separator: no pair to
			// score. Edits never touch it (pairtext), so this is a bug.
			out[i] = models.Prediction{Text: t, Err: fmt.Errorf("audit: %q is not a sentence pair joined by ␞", abbreviate(t))}
			continue
		}
		pairs = append(pairs, [2]string{a, b})
		at = append(at, i)
	}
	preds, err := p.clf.PredictPairs(ctx, pairs)
	if err != nil {
		return nil, err
	}
	for k, i := range at {
		out[i] = preds[k]
		out[i].Text = texts[i] // the joined pair, as the checks know it
	}
	return out, nil
}

// pairRequest is r as the explainer takes it: in a pair audit, the
// joined pair in r.Text becomes a sentence-pair request. Requests are
// memoised by their joined text (keyOf), which names the pair whole.
func (e *explanations) pairRequest(r attribution.Request) attribution.Request {
	return pairRequest(r, e.pairs)
}

// pairRequest makes r, whose Text is a joined pair, a sentence-pair
// request when pairs is set.
func pairRequest(r attribution.Request, pairs bool) attribution.Request {
	if !pairs {
		return r
	}
	if a, b, ok := pairtext.Split(r.Text); ok {
		r.Text, r.TextPair, r.Pair = a, b, true
	}
	return r
}

// joinedResult is a pair's explanation as one text, the joined pair
// ("text ␞ text_pair"): the second text's features' offsets shifted by
// where it starts, so they index the string the audit and its report
// carry the pair as. Segments are dropped: the offsets say the text.
func joinedResult(r *attribution.Result) *attribution.Result {
	if r == nil || r.TextPair == nil {
		return r
	}
	j := *r
	j.Text = r.Text + pairtext.Sep + *r.TextPair
	j.TextPair = nil
	bytes := pairtext.SecondStart(r.Text)
	chars := utf8.RuneCountInString(r.Text + pairtext.Sep)
	j.Features = make([]attribution.FeatureAttribution, len(r.Features))
	for i, f := range r.Features {
		if f.Segment != nil && *f.Segment == 1 {
			f.ByteStart, f.ByteEnd = f.ByteStart+bytes, f.ByteEnd+bytes
			f.Start, f.End = f.Start+chars, f.End+chars
		}
		f.Segment = nil
		j.Features[i] = f
	}
	return &j
}

func (e *explanations) pairRequests(rs []attribution.Request) []attribution.Request {
	out := make([]attribution.Request, len(rs))
	for i, r := range rs {
		out[i] = e.pairRequest(r)
	}
	return out
}

// setupPairs makes s a sentence-pair audit when cfg.TextPairCol is set:
// the column is read beside the text and the classifier scores pairs.
func (s *State) setupPairs() error {
	s.textPairAt = -1
	if s.cfg.TextPairCol == "" {
		if s.cfg.PairSide != pairtext.Both || s.cfg.Symmetric {
			return fmt.Errorf("audit: a pair side (%s) and the order-swap test (symmetric) need a second text column (--text-pair-col)", s.cfg.PairSide)
		}
		return nil
	}
	s.textPairAt = s.read.add(s.cfg.TextPairCol, "--text-pair-col")
	if s.clf != nil {
		pc, ok := s.clf.(PairClassifier)
		if !ok {
			return fmt.Errorf("audit: --text-pair-col %q: the classifier does not read sentence pairs (it has no PredictPairs)", s.cfg.TextPairCol)
		}
		s.clf = pairClassifier{pc}
	}
	return nil
}

// joinPairs makes each row's text its pair, "text ␞ text_pair"; a row
// whose text holds ␞ cannot be carried and is skipped as malformed.
func (s *State) joinPairs(b Batch) Batch {
	if s.textPairAt < 0 {
		return b
	}
	rows := make([]dataset.Row, 0, len(b.Rows))
	for _, r := range b.Rows {
		j, err := pairtext.Join(r.Text, r.Groups[s.textPairAt])
		if err != nil {
			s.skip(SkippedRow{Source: b.Source, Line: r.Line, Reason: err.Error()})
			continue
		}
		r.Text = j
		rows = append(rows, r)
	}
	b.Rows = rows
	return b
}
