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
