package suite

import (
	"context"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"slices"
	"sort"

	"github.com/lucid-nlp/lucid/engine"
	"github.com/lucid-nlp/lucid/fairness/consistency"
	"github.com/lucid-nlp/lucid/fairness/scoring"
	"github.com/lucid-nlp/lucid/fairness/stats"
)

// Config sets how a suite is run.
type Config struct {
	// Seed seeds the sampling when the suite sets none.
	Seed uint64
	// BatchSize is how many texts go to the classifier per call (default
	// scoring.DefaultBatchSize).
	BatchSize int
	// Tolerance is how far a probability may move (default
	// consistency.DefaultTolerance); FailRateThreshold the highest failure
	// rate that passes (default consistency.DefaultFailRateThreshold).
	Tolerance, FailRateThreshold float64
	// Examples is how many failing cases each test keeps, the worst first
	// (default 5; negative keeps none).
	Examples int
}

// Result is a suite's report.
type Result struct {
	Suite             string       `json:"suite"`
	Description       string       `json:"description,omitempty"`
	Labels            []string     `json:"labels"`
	Seed              uint64       `json:"seed"`
	Tolerance         float64      `json:"tolerance"`
	FailRateThreshold float64      `json:"fail_rate_threshold"`
	Family            stats.Family `json:"family"`
	Tests             []TestResult `json:"tests"`
	// Status is the worst verdict of the suite's tests.
	Status stats.Status `json:"status"`
}

// TestResult is one test's outcome.
type TestResult struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	Type        string `json:"type"`
	// Label is the expected (MFT), moved (DIR) or measured (INV) label;
	// Direction is DIR's "up" or "down".
	Label     string `json:"label"`
	Direction string `json:"direction,omitempty"`
	// Possible is how many cases the templates expand to; Cases how many
	// were run (all of them, or a seeded sample of MaxCases when Sampled);
	// GroupSize the expansions per case (1 for MFT); Texts the texts
	// scored.
	Possible  uint64 `json:"possible_cases"`
	Cases     int    `json:"cases"`
	Sampled   bool   `json:"sampled"`
	MaxCases  int    `json:"max_cases"`
	GroupSize int    `json:"group_size"`
	Texts     int    `json:"texts"`
	// Saturated counts DIR cases whose reference could not fail (left
	// out of Tested); Tested the rest; Failures the failing cases.
	Saturated   int            `json:"saturated"`
	Tested      int            `json:"tested"`
	Failures    int            `json:"failures"`
	FailureRate float64        `json:"failure_rate"`
	FailureCI   stats.Interval `json:"failure_ci"`
	// RawP, Evidence and Verdict are consistency.FailureFamily's, the
	// suite's tests being one Holm family.
	RawP     float64         `json:"raw_p"`
	Evidence *stats.Evidence `json:"evidence,omitempty"`
	Verdict  stats.Verdict   `json:"verdict"`
	Examples []Example       `json:"examples,omitempty"`
}

// Example is one failing case: for MFT the text and its prediction; for
// INV and DIR the case's reference and the expansion that went furthest
// the wrong way.
type Example struct {
	Text   string    `json:"text"`
	Probs  []float64 `json:"probabilities"`
	Label  string    `json:"label"`
	Edited string    `json:"edited,omitempty"`
	// EditedProbs and EditedLabel are the edited expansion's; Delta is
	// p(label | edited) − p(label | reference).
	EditedProbs []float64 `json:"edited_probabilities,omitempty"`
	EditedLabel string    `json:"edited_label,omitempty"`
	Delta       float64   `json:"delta,omitempty"`
	badness     float64
	seq         int
}

// Run expands and runs every test of s through clf.
func Run(ctx context.Context, clf scoring.Classifier, s *Suite, cfg Config) (*Result, error) {
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("suite %s: %w", s.Name, err)
	}
	labels := clf.Labels()
	tol, threshold := cfg.Tolerance, cfg.FailRateThreshold
	if tol == 0 {
		tol = consistency.DefaultTolerance
	}
	if threshold == 0 {
		threshold = consistency.DefaultFailRateThreshold
	}
	if !(tol > 0 && tol < 1) || !(threshold > 0 && threshold < 1) {
		return nil, fmt.Errorf("suite: tolerance %v and failure-rate threshold %v must lie strictly between 0 and 1", tol, threshold)
	}
	size := cfg.BatchSize
	if size <= 0 {
		size = scoring.DefaultBatchSize
	}
	keep := cfg.Examples
	if keep == 0 {
		keep = 5
	}
	seed := s.Seed
	if seed == 0 {
		seed = cfg.Seed
	}
	res := &Result{Suite: s.Name, Description: s.Description, Labels: slices.Clone(labels), Seed: seed, Tolerance: tol, FailRateThreshold: threshold}
	counts := make([]consistency.FailureCount, len(s.Tests))
	for i := range s.Tests {
		t := &s.Tests[i]
		label := t.Label
		if t.Type == INV && label == "" {
			label = s.Target
		}
		target, err := scoring.TargetIndex(labels, label)
		if err != nil {
			return nil, fmt.Errorf("suite %s: test %q: %w", s.Name, t.Name, err)
		}
		p, _ := s.plan(t) // Validate checked it
		tr, err := runTest(ctx, clf, t, p, target, labels, tol, size, keep, seed)
		if err != nil {
			return nil, fmt.Errorf("suite %s: test %q: %w", s.Name, t.Name, err)
		}
		counts[i] = consistency.FailureCount{Failures: tr.Failures, Tested: tr.Tested}
		res.Tests = append(res.Tests, tr)
	}
	res.Family = stats.Family{Of: "the suite's tests", Correction: "holm", Alpha: stats.DefaultAlpha}
	for i, v := range consistency.FailureFamily(counts, threshold) {
		tr := &res.Tests[i]
		tr.RawP, tr.Evidence, tr.Verdict = v.RawP, v.Evidence, v.Verdict
		if tr.Tested > 0 {
			res.Family.Size++
			res.Family.Members = append(res.Family.Members, tr.Name)
		}
		res.Status = stats.Worse(res.Status, tr.Verdict.Status)
	}
	return res, nil
}

// caseIndices are the case numbers to run: all of them, or a seeded
// uniform sample of limit without replacement (Floyd's algorithm), in
// increasing order.
func caseIndices(total uint64, limit int, seed uint64, name string) []uint64 {
	if total <= uint64(limit) {
		out := make([]uint64, total)
		for i := range out {
			out[i] = uint64(i)
		}
		return out
	}
	h := fnv.New64a()
	h.Write([]byte(name))
	rng := rand.New(rand.NewPCG(seed, h.Sum64()))
	chosen := make(map[uint64]bool, limit)
	for j := total - uint64(limit); j < total; j++ {
		x := rng.Uint64N(j + 1)
		if chosen[x] {
			x = j
		}
		chosen[x] = true
	}
	out := make([]uint64, 0, limit)
	for x := range chosen {
		out = append(out, x)
	}
	slices.Sort(out)
	return out
}

func runTest(ctx context.Context, clf scoring.Classifier, t *Test, p *plan, target int, labels []string, tol float64, size, keep int, seed uint64) (TestResult, error) {
	tr := TestResult{Name: t.Name, Description: t.Description, Type: t.Type, Label: labels[target], Direction: t.Direction,
		Possible: p.total, MaxCases: p.limit, GroupSize: p.groupSize}
	idx := caseIndices(p.total, p.limit, seed, t.Name)
	tr.Cases, tr.Sampled = len(idx), uint64(len(idx)) < p.total
	sign := 0.0
	switch {
	case t.Type == DIR && t.Direction == "up":
		sign = 1
	case t.Type == DIR:
		sign = -1
	}
	var worst []Example
	b := scoring.NewBatcher(clf, size, len(labels))
	for seq, ci := range idx {
		texts := p.caseTexts(ci)
		tr.Texts += len(texts)
		b.Add(texts, func(probs [][]float64) {
			ex, outcome := judgeCase(t.Type, texts, probs, target, sign, tol, labels)
			switch outcome {
			case consistency.OutcomeSaturated:
				tr.Saturated++
				return
			case consistency.OutcomePass:
				tr.Tested++
				return
			}
			tr.Tested++
			tr.Failures++
			if keep < 0 {
				return
			}
			ex.seq = seq
			worst = append(worst, ex)
			sort.SliceStable(worst, func(i, j int) bool {
				if worst[i].badness != worst[j].badness {
					return worst[i].badness > worst[j].badness
				}
				return worst[i].seq < worst[j].seq
			})
			if len(worst) > keep {
				worst = worst[:keep]
			}
		})
		if err := b.Run(ctx, false); err != nil {
			return tr, err
		}
	}
	if err := b.Run(ctx, true); err != nil {
		return tr, err
	}
	tr.Examples = worst
	tr.FailureCI = stats.Wilson(tr.Failures, tr.Tested, stats.Z95)
	if tr.Tested > 0 {
		tr.FailureRate = float64(tr.Failures) / float64(tr.Tested)
	}
	return tr, nil
}

// judgeCase judges one case. MFT fails when the predicted label is not
// the expected one (badness: how far p(label) falls short of the
// prediction's). INV and DIR judge every expansion against the reference
// with consistency.Judge; the case fails when any fails, and is saturated
// when the reference cannot fail (which depends on the reference alone).
func judgeCase(kind string, texts []string, probs [][]float64, target int, sign, tol float64, labels []string) (Example, consistency.Outcome) {
	ref := probs[0]
	ex := Example{Text: texts[0], Probs: slices.Clone(ref), Label: labels[engine.Argmax(ref)]}
	if kind == MFT {
		top := engine.Argmax(ref)
		if top == target {
			return ex, consistency.OutcomePass
		}
		ex.badness = ref[top] - ref[target]
		return ex, consistency.OutcomeFail
	}
	outcome, worstK, worstBad := consistency.OutcomePass, -1, 0.0
	for k := 1; k < len(texts); k++ {
		o, bad := consistency.Judge(ref[target], probs[k][target], sign, tol)
		if o == consistency.OutcomeSaturated {
			return ex, o
		}
		if o == consistency.OutcomeFail {
			outcome = o
			if worstK < 0 || bad > worstBad {
				worstK, worstBad = k, bad
			}
		}
	}
	if outcome == consistency.OutcomeFail {
		e := probs[worstK]
		ex.Edited, ex.EditedProbs, ex.EditedLabel = texts[worstK], slices.Clone(e), labels[engine.Argmax(e)]
		ex.Delta, ex.badness = e[target]-ref[target], worstBad
	}
	return ex, outcome
}
