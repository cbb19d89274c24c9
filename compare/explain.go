package compare

import (
	"context"
	"fmt"
	"math"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/lucid-nlp/lucid/attribution"
	"github.com/lucid-nlp/lucid/fairness/consistency"
	"github.com/lucid-nlp/lucid/fairness/stats"
)

// explanationAgreement explains every sampled text with both models
// (KernelSHAP on the positive label, the same budget and seed) and
// compares the rankings of the attributions.
func explanationAgreement(ctx context.Context, xa, xb Explainer, sample []string, positive string, cfg Config) (*ExplanationAgreement, error) {
	reqs := make([]attribution.Request, len(sample))
	for i, t := range sample {
		reqs[i] = attribution.Request{Text: t, Method: attribution.MethodKernelSHAP, Budget: cfg.Budget, Target: positive, Seed: cfg.Seed}
	}
	ra, ea := xa.ExplainAll(ctx, reqs, 0)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rb, eb := xb.ExplainAll(ctx, reqs, 0)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := &ExplanationAgreement{Method: string(attribution.MethodKernelSHAP), Budget: cfg.Budget, Threshold: ExplanationThreshold}
	var rhos, overlaps []float64
	for i, t := range sample {
		ts := TextSpearman{Text: t}
		switch {
		case ea[i] != nil:
			ts.Error = "model A: " + ea[i].Error()
		case eb[i] != nil:
			ts.Error = "model B: " + eb[i].Error()
		case len(ra[i].Features) != len(rb[i].Features):
			ts.Error = fmt.Sprintf("the explanations have %d and %d features", len(ra[i].Features), len(rb[i].Features))
		case len(ra[i].Features) < 2:
			ts.Error = "fewer than two features: no ranking to compare"
		}
		if ts.Error == "" {
			a, b := values(ra[i]), values(rb[i])
			rho := consistency.SpearmanRank(a, b)
			if math.IsNaN(rho) {
				ts.Error = "an explanation is constant: no ranking to compare"
			} else {
				ov := consistency.TopKOverlap(a, b, 3)
				ts.Spearman, ts.Overlap = &rho, &ov
				rhos = append(rhos, rho)
				overlaps = append(overlaps, ov)
			}
		}
		if ts.Error != "" {
			out.Failed++
		}
		out.PerText = append(out.PerText, ts)
	}
	out.Texts = len(rhos)
	if out.Texts == 0 {
		out.Verdict = stats.Verdict{Status: stats.Info, Reason: "no text could be compared"}
		return out, nil
	}
	r, o := stats.PairedSummary(rhos, 0.95), stats.PairedSummary(overlaps, 0.95)
	out.Spearman, out.SpearmanCI, out.TopKOverlap = r.Mean, stats.Interval{Low: r.Low, High: r.High}, o.Mean
	out.PBelow = oneSidedBelow(r, ExplanationThreshold)
	out.Verdict = stats.Decide(stats.Evidence{Estimate: r.Mean, Low: r.Low, High: r.High, P: out.PBelow, Lower: ExplanationThreshold, Upper: 1})
	return out, nil
}

func values(r *attribution.Result) []float64 {
	v := make([]float64, len(r.Features))
	for i, f := range r.Features {
		v[i] = f.Attribution
	}
	return v
}

// oneSidedBelow is the one-sided t-test p-value of "the mean is below
// level"; 1 (no evidence) without an interval.
func oneSidedBelow(s stats.Paired, level float64) float64 {
	if math.IsNaN(s.Low) || math.IsNaN(s.High) {
		return 1
	}
	se := (s.High - s.Low) / (2 * tQuantile(s.N))
	if se == 0 {
		if s.Mean < level {
			return 0
		}
		return 1
	}
	return tUpper((level-s.Mean)/se, s.N-1)
}

// tQuantile is the two-sided 95% Student t quantile with n − 1 degrees
// of freedom: the one PairedSummary's interval used.
func tQuantile(n int) float64 {
	return distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(n - 1)}.Quantile(0.975)
}

// tUpper is P(T > t) for Student's t with df degrees of freedom.
func tUpper(t float64, df int) float64 {
	return 1 - distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(df)}.CDF(t)
}
