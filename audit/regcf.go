package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/lucid-nlp/lucid/fairness/counterfactual"
	"github.com/lucid-nlp/lucid/fairness/stats"
	"github.com/lucid-nlp/lucid/internal/gobsnap"
)

// The counterfactual check of a regression head: each text that mentions
// an identity term of a term family is scored again with the term
// swapped (counterfactual.Counterfactuals: the same grammatical swaps as
// the classifier's check), and each direction of a family (its swaps from
// one group to another) is judged by the mean signed score change over
// the texts, one difference per text (the mean of its swaps in that
// direction): a paired Student t interval drawn at the level the Holm
// family of every direction gives it, by stats.Decide against
// ±ScoreTolerance in score units. There is no flip rate: a score has no
// decision to flip. The name families are not swapped here (their
// partner sampling and name-clustered tests belong to the classifier's
// check); the report says so.

// regCFSample bounds the differences each direction keeps for the
// Wilcoxon test (the mean, interval and t-test use every one exactly).
const regCFSample = 10_000

// regCFConfidence is the level of the plain interval shown beside each
// direction (the verdict's is the Holm level).
const regCFConfidence = 0.95

// regCounterfactual accumulates the score changes of swaps, mergeably.
type regCounterfactual struct {
	fams  []counterfactual.Family
	tol   float64
	seed  uint64
	dirs  map[string]*stats.PairedStream // "family\x00from\x00to"
	texts int                            // texts with at least one swap
	swaps int
}

func newRegCounterfactual(fams []counterfactual.Family, tol float64, seed uint64) *regCounterfactual {
	var terms []counterfactual.Family
	for _, f := range fams {
		if !counterfactual.IsNameFamily(f) {
			terms = append(terms, f)
		}
	}
	return &regCounterfactual{fams: terms, tol: tol, seed: seed, dirs: map[string]*stats.PairedStream{}}
}

// add scores the swaps of texts (whose own scores are scores) through clf.
func (r *regCounterfactual) add(ctx context.Context, clf Classifier, texts []string, scores []float64) error {
	type owned struct {
		text int
		key  string
	}
	var swapped []string
	var owners []owned
	for i, t := range texts {
		for _, s := range counterfactual.Counterfactuals(t, r.fams) {
			swapped = append(swapped, s.Text)
			owners = append(owners, owned{i, s.Family + "\x00" + s.FromGroup + "\x00" + s.ToGroup})
		}
	}
	if len(swapped) == 0 {
		return nil
	}
	preds, err := clf.Predict(ctx, swapped)
	if err != nil {
		return err
	}
	if len(preds) != len(swapped) {
		return fmt.Errorf("audit: the classifier returned %d predictions for %d swapped texts", len(preds), len(swapped))
	}
	// One difference per text and direction: the mean of its swaps.
	type cell struct {
		sum float64
		n   int
	}
	per := map[owned]*cell{}
	var order []owned
	for k, p := range preds {
		if p.Err != nil || len(p.Probabilities) == 0 || math.IsNaN(p.Probabilities[0]) || math.IsInf(p.Probabilities[0], 0) {
			continue // a swap the model cannot read is not evidence
		}
		o := owners[k]
		c := per[o]
		if c == nil {
			c = &cell{}
			per[o] = c
			order = append(order, o)
		}
		c.sum += p.Probabilities[0] - scores[o.text]
		c.n++
		r.swaps++
	}
	counted := map[int]bool{}
	for _, o := range order {
		c := per[o]
		s := r.dirs[o.key]
		if s == nil {
			s = stats.NewPairedStream(regCFSample, r.seed)
			r.dirs[o.key] = s
		}
		h := fnv.New64a()
		h.Write([]byte(texts[o.text]))
		s.AddKeyed(c.sum/float64(c.n), h.Sum64())
		if !counted[o.text] {
			counted[o.text] = true
			r.texts++
		}
	}
	return nil
}

func (r *regCounterfactual) merge(o *regCounterfactual) error {
	for _, k := range slices.Sorted(maps.Keys(o.dirs)) {
		s := r.dirs[k]
		if s == nil {
			s = stats.NewPairedStream(regCFSample, r.seed)
			r.dirs[k] = s
		}
		if err := s.Merge(o.dirs[k]); err != nil {
			return err
		}
	}
	r.texts += o.texts
	r.swaps += o.swaps
	return nil
}

type regCFSnapshot struct {
	Keys         []string
	Streams      []stats.PairedStream
	Texts, Swaps int
}

func (r *regCounterfactual) MarshalBinary() ([]byte, error) {
	snap := regCFSnapshot{Texts: r.texts, Swaps: r.swaps}
	for _, k := range slices.Sorted(maps.Keys(r.dirs)) {
		snap.Keys = append(snap.Keys, k)
		snap.Streams = append(snap.Streams, *r.dirs[k])
	}
	return gobsnap.Encode("audit", "a regression counterfactual check", snap)
}

func (r *regCounterfactual) UnmarshalBinary(data []byte) error {
	var snap regCFSnapshot
	if err := gobsnap.Decode("audit", "a regression counterfactual check", data, &snap); err != nil {
		return err
	}
	if len(snap.Keys) != len(snap.Streams) {
		return fmt.Errorf("audit: a regression counterfactual encoding names %d directions for %d streams", len(snap.Keys), len(snap.Streams))
	}
	r.dirs = map[string]*stats.PairedStream{}
	for i, k := range snap.Keys {
		s := snap.Streams[i]
		r.dirs[k] = &s
	}
	r.texts, r.swaps = snap.Texts, snap.Swaps
	return nil
}

// RegressionCounterfactual is the counterfactual check of a regression
// head (report.json's regression_counterfactual).
type RegressionCounterfactual struct {
	// Tolerance is the band [−Tolerance, Tolerance] of a direction's mean
	// score change, in score units.
	Tolerance float64 `json:"tolerance"`
	// Texts is how many texts had at least one swap; Swaps how many
	// swapped texts were scored.
	Texts      int                         `json:"texts"`
	Swaps      int                         `json:"swaps"`
	Directions []RegressionCFDirection     `json:"directions"`
	Family     stats.Family                `json:"family"`
	Verdict    stats.Verdict               `json:"verdict"`
	Families   []RegressionCFFamilyVerdict `json:"families"`
	Note       string                      `json:"note"`
}

// RegressionCFDirection is one direction of a family: the mean signed
// score change of swapping its terms from one group to another.
type RegressionCFDirection struct {
	Family string `json:"family"`
	From   string `json:"from"`
	To     string `json:"to"`
	// Change holds the per-text mean changes' mean, plain 95% interval and
	// tests (sign, t, Wilcoxon); Evidence the interval at the level the
	// Holm family gives this direction (Confidence).
	Change     stats.Paired   `json:"score_change"`
	Confidence float64        `json:"interval_confidence"`
	Evidence   stats.Evidence `json:"evidence"`
	Verdict    stats.Verdict  `json:"verdict"`
}

// RegressionCFFamilyVerdict is a family's verdict: its worst direction's.
type RegressionCFFamilyVerdict struct {
	Family  string        `json:"family"`
	Verdict stats.Verdict `json:"verdict"`
}

func (r *regCounterfactual) result() *RegressionCounterfactual {
	out := &RegressionCounterfactual{Tolerance: r.tol, Texts: r.texts, Swaps: r.swaps,
		Note: "term families only: the name families' partner sampling and name-clustered tests belong to the classifier's counterfactual check"}
	keys := slices.Sorted(maps.Keys(r.dirs))
	members := make([]stats.Member, len(keys))
	raw := make([]float64, len(keys))
	for i, k := range keys {
		parts := strings.SplitN(k, "\x00", 3)
		p := r.dirs[k].Summary(regCFConfidence)
		out.Directions = append(out.Directions, RegressionCFDirection{Family: parts[0], From: parts[1], To: parts[2], Change: p})
		members[i] = stats.Member{Interval: p.IntervalAt(regCFConfidence), Lower: -r.tol, Upper: r.tol}
		raw[i] = p.TP
		if members[i].Interval == nil {
			raw[i] = math.NaN()
		}
	}
	corrected := stats.HolmFamily(members, stats.DefaultAlpha)
	holm := stats.Holm(raw)
	out.Family = stats.Family{Correction: "holm", Alpha: stats.DefaultAlpha,
		Of: fmt.Sprintf("every direction of every term family (%d), those with fewer than two texts left out", len(keys))}
	fam := map[string]stats.Verdict{}
	var famOrder []string
	worst := stats.Verdict{Status: stats.Info, Reason: "no text mentions a term of a family"}
	for i := range out.Directions {
		d := &out.Directions[i]
		c := corrected[i]
		d.Evidence = stats.Evidence{Estimate: d.Change.Mean, Low: c.Interval.Low, High: c.Interval.High, P: holm[i],
			Lower: -r.tol, Upper: r.tol, Alpha: stats.DefaultAlpha}
		if members[i].Interval != nil {
			d.Confidence = c.Confidence
			d.Evidence.Confidence = c.Confidence
			out.Family.Size++
			out.Family.Members = append(out.Family.Members, fmt.Sprintf("%s %s → %s", d.Family, d.From, d.To))
		}
		d.Verdict = stats.Decide(d.Evidence)
		v, seen := fam[d.Family]
		if !seen {
			famOrder = append(famOrder, d.Family)
		}
		if !seen || d.Verdict.Status.Severity() > v.Status.Severity() {
			fam[d.Family] = stats.Verdict{Status: d.Verdict.Status, Reason: fmt.Sprintf("%s → %s: %s", d.From, d.To, d.Verdict.Reason)}
		}
		if i == 0 || d.Verdict.Status.Severity() > worst.Status.Severity() {
			worst = stats.Verdict{Status: d.Verdict.Status, Reason: fmt.Sprintf("%s %s → %s: %s", d.Family, d.From, d.To, d.Verdict.Reason)}
		}
	}
	for _, f := range famOrder {
		out.Families = append(out.Families, RegressionCFFamilyVerdict{Family: f, Verdict: fam[f]})
	}
	if len(out.Directions) > 0 {
		worst.Reason += "; " + out.Family.String()
	}
	out.Verdict = worst
	return out
}

// MarshalJSON keeps the field order readable; Directions is never null.
func (r *RegressionCounterfactual) MarshalJSON() ([]byte, error) {
	type plain RegressionCounterfactual
	p := plain(*r)
	if p.Directions == nil {
		p.Directions = []RegressionCFDirection{}
	}
	return json.Marshal(p)
}
