package suite

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/lucid-nlp/lucid/fairness/stats"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// wordModel is a pure-Go classifier: P(positive) = sigmoid(Σ w(word))
// over the lower-cased words (punctuation stripped); labels [negative,
// positive]. Its answers are exact, so each test's failures are known.
type wordModel struct {
	w     map[string]float64
	calls int
}

func (m *wordModel) Labels() []string { return []string{"negative", "positive"} }

func (m *wordModel) p(text string) float64 {
	z := 0.0
	for _, f := range strings.Fields(strings.ToLower(text)) {
		z += m.w[strings.Trim(f, ".,!?")]
	}
	return 1 / (1 + math.Exp(-z))
}

func (m *wordModel) Probabilities(_ context.Context, texts []string) ([][]float64, error) {
	m.calls++
	out := make([][]float64, len(texts))
	for i, t := range texts {
		p := m.p(t)
		out[i] = []float64{1 - p, p}
	}
	return out, nil
}

// planted is a model with a planted bias: the name "Ahmed" pulls the
// score down by 4 (an INV failure on every case that names him), and it
// reads "not" as nothing (a DIR failure for a negated positive).
func planted() *wordModel {
	return &wordModel{w: map[string]float64{
		"good": 3, "great": 3, "wonderful": 3, "excellent": 3,
		"bad": -3, "awful": -3, "boring": -3, "dull": -3,
		"loved": 2, "enjoyed": 2,
		"ahmed": -4,
	}}
}

const plantedSuite = `{
  "name": "planted",
  "lexicons": {
    "thing": ["movie", "film", "plot", "acting", "script", "ending", "cast", "music", "story", "show"],
    "pos_adj": ["good", "great", "wonderful", "excellent"],
    "neg_adj": ["bad", "awful", "boring", "dull"],
    "name": ["Anna", "Maria", "Ahmed", "John"],
    "clean_name": ["Anna", "Maria", "John"]
  },
  "tests": [
    {"name": "positive adjectives", "type": "mft", "label": "positive",
     "templates": ["The {thing} was {pos_adj}.", "What a {pos_adj} {thing}!"]},
    {"name": "names (planted bias)", "type": "inv", "vary": ["name"],
     "templates": ["{name} said the {thing} was {pos_adj}.", "{name} thought the {thing} was {neg_adj}."]},
    {"name": "names (clean)", "type": "inv", "vary": ["clean_name"],
     "templates": ["{clean_name} said the {thing} was {pos_adj}.", "{clean_name} thought the {thing} was {neg_adj}."]},
    {"name": "praise added", "type": "dir", "label": "positive", "direction": "up", "vary": ["tail"],
     "lexicons": {"tail": ["", " I loved it.", " I enjoyed it."]},
     "templates": ["The {thing} was {neg_adj}.{tail}"]}
  ]
}`

func TestPlantedFailuresAreFound(t *testing.T) {
	s, err := Load(strings.NewReader(plantedSuite), "planted.json")
	require.NoError(t, err)
	m := planted()
	res, err := Run(context.Background(), m, s, Config{BatchSize: 7})
	require.NoError(t, err)
	require.Len(t, res.Tests, 4)
	by := map[string]TestResult{}
	for _, tr := range res.Tests {
		by[tr.Name] = tr
	}

	mft := by["positive adjectives"]
	assert.Equal(t, uint64(80), mft.Possible) // 2 templates × 10 things × 4 adjectives
	assert.Equal(t, 80, mft.Cases)
	assert.Equal(t, 80, mft.Tested)
	assert.Zero(t, mft.Failures)
	assert.Equal(t, stats.Pass, mft.Verdict.Status, mft.Verdict.Reason)

	// Every case of the planted INV test names Ahmed among its group, and
	// sigmoid(±3) − sigmoid(±3 − 4) moves p(positive) by 0.68 (positive
	// adjective) or 0.05 − 0.0009 (negative adjective: within 0.1). So
	// the 40 positive cases fail and the 40 negative ones pass.
	inv := by["names (planted bias)"]
	assert.Equal(t, 4, inv.GroupSize)
	assert.Equal(t, 80, inv.Tested)
	assert.Equal(t, 40, inv.Failures)
	assert.Equal(t, 320, inv.Texts)
	assert.Equal(t, stats.Fail, inv.Verdict.Status, inv.Verdict.Reason)
	require.NotEmpty(t, inv.Examples)
	assert.Contains(t, inv.Examples[0].Edited, "Ahmed")
	assert.Equal(t, "Anna", strings.Fields(inv.Examples[0].Text)[0], "the reference is the first name of the lexicon")
	assert.InDelta(t, sig(-1)-sig(3), inv.Examples[0].Delta, 1e-12)

	clean := by["names (clean)"]
	assert.Zero(t, clean.Failures)
	assert.Equal(t, stats.Pass, clean.Verdict.Status, clean.Verdict.Reason)

	dir := by["praise added"]
	assert.Equal(t, 3, dir.GroupSize)
	assert.Zero(t, dir.Failures)
	// p(positive) of a negative reference is sigmoid(−3) = 0.047 ≤ 0.1:
	// expecting a rise, it cannot fall by more than the tolerance, so
	// every case is saturated, as CheckList's Expect.monotonic says.
	assert.Equal(t, 40, dir.Saturated)
	assert.Zero(t, dir.Tested)
	assert.Equal(t, stats.Info, dir.Verdict.Status)

	assert.Equal(t, stats.Fail, res.Status)
	assert.Equal(t, 3, res.Family.Size, "the saturated test is left out of the family")
	assert.Equal(t, 0.1, res.Tolerance)
}

func sig(z float64) float64 { return 1 / (1 + math.Exp(-z)) }

// A DIR failure: the model reads "not" as praise, so adding it moves the
// positive score up when the test expects down.
func TestDirectionalWrongWayFails(t *testing.T) {
	s, err := Load(strings.NewReader(`{"name":"d","lexicons":{"adj":["good","great"],"neg":["","not "]},
	  "tests":[{"name":"negation","type":"dir","label":"positive","direction":"down","vary":["neg"],
	  "templates":["It was {neg}{adj}."]}]}`), "d.json")
	require.NoError(t, err)
	m := &wordModel{w: map[string]float64{"good": 0, "great": 0.5, "not": 2}}
	res, err := Run(context.Background(), m, s, Config{})
	require.NoError(t, err)
	tr := res.Tests[0]
	assert.Equal(t, 2, tr.Tested)
	assert.Equal(t, 2, tr.Failures)
	assert.Equal(t, "It was not great.", tr.Examples[1].Edited)
	assert.InDelta(t, sig(2.5)-sig(0.5), tr.Examples[1].Delta, 1e-12)
	assert.InDelta(t, sig(2)-sig(0), tr.Examples[0].Delta, 1e-12, "the worst move first")
	// Two failures in two: the Wilson 95% interval [0.34, 1] lies above
	// the threshold 0.1.
	assert.Equal(t, stats.Fail, tr.Verdict.Status, tr.Verdict.Reason)
}

func TestSamplingIsBoundedSeededAndUniform(t *testing.T) {
	lex := make([]string, 100)
	for i := range lex {
		lex[i] = "w" + string(rune('a'+i%26)) + string(rune('a'+i/26))
	}
	s := &Suite{Name: "big", Lexicons: map[string][]string{"a": lex, "b": lex}, MaxCases: 50,
		Tests: []Test{{Name: "t", Type: MFT, Label: "positive", Templates: []string{"{a} {b}"}}}}
	m := &wordModel{w: map[string]float64{}}
	r1, err := Run(context.Background(), m, s, Config{Seed: 3})
	require.NoError(t, err)
	r2, err := Run(context.Background(), m, s, Config{Seed: 3})
	require.NoError(t, err)
	tr := r1.Tests[0]
	assert.Equal(t, uint64(10000), tr.Possible)
	assert.Equal(t, 50, tr.Cases)
	assert.True(t, tr.Sampled)
	assert.Equal(t, 50, tr.Texts)
	assert.Equal(t, r1.Tests[0].Examples, r2.Tests[0].Examples)

	// The sample is uniform: over many seeds every case index is drawn
	// with frequency 50/10000; the first 100 indices (every b for
	// a = wa..) are drawn 100·50/10000 = 0.5 times per seed on average.
	// With 2000 seeds the count is about Binomial-like with mean 1000 and
	// sd ≈ 31; we allow ±6 sd.
	hits := 0
	for seed := uint64(1); seed <= 2000; seed++ {
		for _, i := range caseIndices(10000, 50, seed, "t") {
			if i < 100 {
				hits++
			}
		}
		idx := caseIndices(10000, 50, seed, "t")
		require.Len(t, idx, 50)
		for k := 1; k < len(idx); k++ {
			require.Less(t, idx[k-1], idx[k], "distinct and sorted")
		}
	}
	assert.InDelta(t, 1000, hits, 6*31.6)
}

func TestCaseTextsExpandEverySlot(t *testing.T) {
	s := &Suite{Name: "x", Lexicons: map[string][]string{"a": {"1", "2"}, "b": {"x", "y", "z"}, "v": {"p", "q"}}}
	tt := Test{Name: "t", Type: INV, Vary: []string{"v"}, Templates: []string{"{a}{b}-{v}-{a} {{lit}}"}}
	p, err := s.plan(&tt)
	require.NoError(t, err)
	assert.Equal(t, uint64(6), p.total)
	var got [][]string
	for i := uint64(0); i < p.total; i++ {
		got = append(got, p.caseTexts(i))
	}
	assert.Equal(t, []string{"1x-p-1 {lit}", "1x-q-1 {lit}"}, got[0])
	assert.Equal(t, []string{"2z-p-2 {lit}", "2z-q-2 {lit}"}, got[5])
}

func TestBadSuitesAreNamed(t *testing.T) {
	for _, tc := range []struct{ name, json, want string }{
		{"no tests", `{"name":"s","tests":[]}`, "no tests"},
		{"unknown field", `{"name":"s","tests":[],"tset":1}`, `unknown field "tset"`},
		{"bad type", `{"tests":[{"name":"a","type":"mtf","templates":["x"]}]}`, `type "mtf"`},
		{"mft no label", `{"tests":[{"name":"a","type":"mft","templates":["x"]}]}`, "expected label"},
		{"missing lexicon", `{"tests":[{"name":"a","type":"mft","label":"positive","templates":["{who} ran"]}]}`, "slot {who} has no lexicon"},
		{"unclosed", `{"tests":[{"name":"a","type":"mft","label":"positive","templates":["{who ran"]}]}`, "is not closed"},
		{"bad slot", `{"tests":[{"name":"a","type":"mft","label":"positive","templates":["{a b}"]}]}`, `slot name "a b"`},
		{"dir direction", `{"lexicons":{"v":["a","b"]},"tests":[{"name":"a","type":"dir","label":"positive","direction":"sideways","vary":["v"],"templates":["{v}"]}]}`, `direction "sideways"`},
		{"inv no vary", `{"tests":[{"name":"a","type":"inv","templates":["x"]}]}`, `needs "vary"`},
		{"vary unused", `{"lexicons":{"v":["a","b"]},"tests":[{"name":"a","type":"inv","vary":["v"],"templates":["x"]}]}`, "does not use the varied slot {v}"},
		{"vary one value", `{"lexicons":{"v":["a"]},"tests":[{"name":"a","type":"inv","vary":["v"],"templates":["{v}"]}]}`, "nothing varies"},
		{"duplicate value", `{"lexicons":{"v":["a","a"]},"tests":[{"name":"a","type":"mft","label":"x","templates":["{v}"]}]}`, `lists "a" twice`},
		{"duplicate test", `{"tests":[{"name":"a","type":"mft","label":"x","templates":["x"]},{"name":"a","type":"mft","label":"x","templates":["y"]}]}`, `test "a" is listed twice`},
		{"too many cases", `{"max_cases":1000000,"tests":[{"name":"a","type":"mft","label":"x","templates":["x"]}]}`, "max_cases 1000000"},
		{"group too big", `{"lexicons":{"v":["a","b","c","d","e","f","g","h","i","j","k"]},"tests":[{"name":"a","type":"inv","vary":["v","w"],"lexicons":{"w":["1","2","3","4","5","6","7","8","9","10"]},"templates":["{v}{w}"]}]}`, "more than 100 expansions"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(strings.NewReader(tc.json), "s.json")
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.Contains(t, err.Error(), "s.json")
		})
	}
	// A label the model does not have is caught when the suite runs.
	s, err := Load(strings.NewReader(`{"tests":[{"name":"a","type":"mft","label":"neutral","templates":["x"]}]}`), "s.json")
	require.NoError(t, err)
	_, err = Run(context.Background(), planted(), s, Config{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"neutral"`)
}
