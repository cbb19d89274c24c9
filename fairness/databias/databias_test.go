package databias

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/fairness/counterfactual"
	"github.com/lucid-nlp/lucid/fairness/stats"
)

func family(t testing.TB, name string) counterfactual.Family {
	t.Helper()
	for _, f := range counterfactual.Families() {
		if f.Name == name {
			return f
		}
	}
	t.Fatalf("no built-in family %q", name)
	return counterfactual.Family{}
}

func TestNewcombeMatchesPublishedExample(t *testing.T) {
	// Newcombe (1998), Table II, example (a): 56/70 − 48/80, method 10
	// gives 0.0524 to 0.3339.
	e := newcombe(56, 70, 48, 80)
	assert.InDelta(t, 0.2, float64(e.Value), 1e-12)
	assert.InDelta(t, 0.0524, float64(e.Low), 5e-5)
	assert.InDelta(t, 0.3339, float64(e.High), 5e-5)
	// Example (f): 0/10 − 0/20 gives −0.1611 to 0.2775.
	e = newcombe(0, 10, 0, 20)
	assert.InDelta(t, -0.1611, float64(e.Low), 5e-5)
	assert.InDelta(t, 0.2775, float64(e.High), 5e-5)
}

func TestKatzRatioInterval(t *testing.T) {
	// 30/100 against 20/100: RR 1.5, se sqrt(1/30 − 1/100 + 1/20 − 1/100).
	e := katz(30, 100, 20, 100)
	se := math.Sqrt(1.0/30 - 1.0/100 + 1.0/20 - 1.0/100)
	assert.InDelta(t, 1.5, float64(e.Value), 1e-12)
	assert.InDelta(t, 1.5*math.Exp(-stats.Z95*se), float64(e.Low), 1e-12)
	assert.InDelta(t, 1.5*math.Exp(stats.Z95*se), float64(e.High), 1e-12)
	// A zero count gets 0.5 in every cell: 0.5/11 ÷ 10.5/21.
	e = katz(0, 10, 10, 20)
	assert.InDelta(t, (0.5/11)/(10.5/21), float64(e.Value), 1e-12)
	assert.True(t, float64(e.Low) > 0 && float64(e.High) < math.Inf(1))
	assert.True(t, math.IsNaN(float64(katz(0, 0, 3, 5).Value)))
}

func TestPMIIsSmoothedByHand(t *testing.T) {
	// A unit in 3 rows, all label 1, of 10 labelled rows, 5 of each label.
	got := pmi([]int{0, 3}, []int{5, 5}, 10)
	assert.InDelta(t, math.Log2((1.0/5)/(6.0/12)), float64(got[0]), 1e-12)
	assert.InDelta(t, math.Log2((4.0/5)/(6.0/12)), float64(got[1]), 1e-12)
}

func TestScannerCountsTermsGroupsAndColumns(t *testing.T) {
	s, err := NewScanner(Options{Families: []counterfactual.Family{family(t, "gender")}, GroupColumns: []string{"src"},
		Labels: []string{"neg", "pos"}, Positive: 1, MinCount: 1, Samples: 2})
	require.NoError(t, err)
	rows := []struct {
		text  string
		label int
		src   string
	}{
		{"She said she liked it.", 1, "a"},
		{"He hated it.", 0, "a"},
		{"He told her it was fine.", 1, "b"},
		{"Nothing here.", 0, ""},
		{"A theme park.", -1, "b"},
	}
	for _, r := range rows {
		require.NoError(t, s.Add(r.text, r.label, []string{r.src}))
	}
	rep := s.Result()
	assert.Equal(t, 5, rep.Rows)
	assert.Equal(t, 4, rep.Labelled)
	assert.Equal(t, []int{2, 2}, rep.LabelCounts)
	g := rep.Families[0]
	assert.Equal(t, 3, g.Rows)
	terms := map[string]Unit{}
	for _, u := range g.Terms {
		terms[u.Name] = u
	}
	// "she" in one row, twice; "he" in two rows; "her" found beside "he".
	assert.Equal(t, 1, terms["she"].Rows)
	assert.Equal(t, 2, terms["she"].Occurrences)
	assert.Equal(t, 2, terms["he"].Rows)
	assert.Equal(t, []int{1, 1}, terms["he"].LabelCounts)
	assert.Equal(t, 1, terms["her"].Rows)
	assert.NotContains(t, terms, "the", "theme must not match a term")
	// he: 1 positive of 2; elsewhere 1 of 2.
	assert.InDelta(t, 0.0, float64(terms["he"].Difference.Value), 1e-12)
	assert.Len(t, rep.Columns, 1)
	col := rep.Columns[0]
	assert.Equal(t, 1, col.Missing)
	byVal := map[string]Unit{}
	for _, u := range col.Groups {
		byVal[u.Name] = u
	}
	// a: 1 of 2 positive; elsewhere (b, labelled): 1 of 1; missing left out.
	assert.Equal(t, 2, byVal["a"].Share.Of)
	assert.Equal(t, 1, byVal["a"].Elsewhere.Of)
	assert.Equal(t, 1, byVal["a"].Elsewhere.Count)
	_, err = json.Marshal(rep)
	require.NoError(t, err, "undefined figures must encode as null")
}

func TestScannerRejectsBadInput(t *testing.T) {
	_, err := NewScanner(Options{Labels: []string{"only"}})
	assert.ErrorContains(t, err, "at least two labels")
	_, err = NewScanner(Options{Labels: []string{"a", "b"}, Positive: 2, GroupColumns: []string{"x"}})
	assert.ErrorContains(t, err, "positive label index 2")
	_, err = NewScanner(Options{Labels: []string{"a", "b"}, Tolerance: 1.5, GroupColumns: []string{"x"}})
	assert.ErrorContains(t, err, "tolerance 1.5")
	_, err = NewScanner(Options{Labels: []string{"a", "b"}})
	assert.ErrorContains(t, err, "nothing to scan")
	s, err := NewScanner(Options{Labels: []string{"a", "b"}, GroupColumns: []string{"x"}})
	require.NoError(t, err)
	assert.ErrorContains(t, s.Add("t", 5, []string{"v"}), "label index 5")
	assert.ErrorContains(t, s.Add("t", 0, nil), "0 group values for 1 group columns")
}

func TestSamplesAreBoundedAndCut(t *testing.T) {
	s, err := NewScanner(Options{Families: []counterfactual.Family{family(t, "gender")}, Labels: []string{"n", "p"}, Positive: 1, MinCount: 1, Samples: 3})
	require.NoError(t, err)
	long := "she " + strings.Repeat("é", 2*MaxSampleRunes)
	for i := range 1000 {
		require.NoError(t, s.Add(fmt.Sprintf("%d %s", i, long), i%2, nil))
	}
	rep := s.Result()
	require.NotEmpty(t, rep.Skewed)
	for _, sk := range rep.Skewed {
		assert.Len(t, sk.Samples, 3)
		for _, smp := range sk.Samples {
			assert.LessOrEqual(t, len([]rune(smp.Text)), MaxSampleRunes+1)
		}
	}
}

func TestColumnCapPoolsSmallValues(t *testing.T) {
	s, err := NewScanner(Options{GroupColumns: []string{"id"}, Labels: []string{"n", "p"}, Positive: 1, MaxGroups: 5, MinCount: 1})
	require.NoError(t, err)
	// Five large values, then 2,000 IDs of one row each.
	for i := range 500 {
		require.NoError(t, s.Add("x", i%2, []string{fmt.Sprintf("big%d", i%5)}))
	}
	for i := range 2000 {
		require.NoError(t, s.Add("x", i%2, []string{fmt.Sprintf("id%d", i)}))
	}
	assert.LessOrEqual(t, len(s.cols[0].values), 10*5+1, "tracked values stay bounded")
	rep := s.Result()
	col := rep.Columns[0]
	assert.Len(t, col.Groups, 5)
	for _, u := range col.Groups {
		assert.Equal(t, 100, u.Rows, u.Name)
		assert.True(t, strings.HasPrefix(u.Name, "big"))
	}
	assert.Equal(t, 2000, col.Pooled)
	assert.Equal(t, 2000, col.PooledGroups)
	assert.Equal(t, 2500, col.Rows)
}
