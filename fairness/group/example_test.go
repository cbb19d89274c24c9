package group_test

import (
	"fmt"

	"github.com/lucid-nlp/lucid/fairness/group"
)

func ExampleAccumulator() {
	acc, err := group.NewAccumulator(group.Options{Column: "dialect", Positive: "toxic", MinGroupSize: 10})
	if err != nil {
		panic(err)
	}
	// Stream (true label is positive, prediction is positive, group) rows.
	for i := range 200 {
		acc.Add(i%4 == 0, i%5 == 0, "A")
		acc.Add(i%4 == 0, i%9 == 0, "B")
	}
	r, err := acc.Result(1)
	if err != nil {
		panic(err)
	}
	for _, d := range r.Disparities {
		fmt.Printf("%-29s %.3f  flags=%q\n", d.Name, d.Metric.Value, d.Flags)
	}
	b, _ := r.Group("B")
	fmt.Printf("B: positive rate %.3f, disparate impact vs %s %.3f, below four-fifths: %v\n",
		b.PositiveRate.Value, r.Reference, b.DisparateImpact.Value, b.BelowFourFifths)
	// Output:
	// demographic_parity_difference 0.085  flags=[]
	// demographic_parity_ratio      0.575  flags=["95% interval [0.33, 0.88] is wider than 0.5"]
	// disparate_impact              0.575  flags=["below the four-fifths rule (0.8 of \"A\"): \"B\" 0.57" "95% interval [0.33, 0.88] is wider than 0.5"]
	// equal_opportunity_difference  0.080  flags=[]
	// equalized_odds_difference     0.087  flags=[]
	// predictive_parity_difference  0.011  flags=[]
	// B: positive rate 0.115, disparate impact vs A 0.575, below four-fifths: true
}

// The column's verdict comes from signed, tested pairwise differences.
func ExampleReport_pairs() {
	acc, err := group.NewAccumulator(group.Options{Column: "dialect", Positive: "toxic", Resamples: 500})
	if err != nil {
		panic(err)
	}
	// Equal positive rates, but B's positives are found less often (TPR
	// 0.9 against 0.6) and its negatives flagged more (FPR 0.1 against 0.4).
	for i := range 1000 {
		acc.Add(i%2 == 0, i%2 == 0 && i%20 != 0 || i%2 == 1 && i%20 == 1, "A")
		acc.Add(i%2 == 0, i%2 == 0 && i%10 < 6 || i%2 == 1 && i%10 < 5, "B")
	}
	acc.Add(true, true, "") // a row without a group value
	r, err := acc.Result(1)
	if err != nil {
		panic(err)
	}
	for _, p := range r.Pairs {
		for _, t := range p.Tests {
			fmt.Printf("%s vs %s %-16s %6.3f, %.1f%% interval [%6.3f, %6.3f], materiality p_holm=%.2g %s\n", p.A, p.B, t.Metric,
				t.Estimate.Value, 100*t.Confidence, t.Estimate.Low, t.Estimate.High, t.PMaterialHolm, t.Verdict.Status)
		}
	}
	fmt.Println("verdict:", r.Verdict.Status, "-", r.Verdict.Reason)
	fmt.Printf("left out: %+v\n", r.LeftOut)
	// Output:
	// A vs B positive_rate     0.000, 97.5% interval [-0.050,  0.050], materiality p_holm=1 pass
	// A vs B tpr               0.300, 99.0% interval [ 0.232,  0.365], materiality p_holm=1.2e-12 fail
	// A vs B fpr              -0.300, 99.0% interval [-0.365, -0.232], materiality p_holm=1.2e-12 fail
	// A vs B precision         0.300, 99.0% interval [ 0.232,  0.365], materiality p_holm=1.2e-12 fail
	// A vs B disparate_impact  1.000, 97.5% interval [ 0.905,  1.105], materiality p_holm=1 pass
	// verdict: fail - 1 pair of 2 groups, 5 tests: 3 fail, 0 warn, 2 pass, 0 without an estimate; one Holm family of 5 tests at α = 0.05 (every test that can make "dialect" FAIL: 1 pair × 5 metrics (positive_rate, tpr, fpr, precision and disparate_impact), those without an estimate left out)
	// left out: [{Group:(missing) Reason:missing group value (compared only with --missing-group as-group)}]
}
