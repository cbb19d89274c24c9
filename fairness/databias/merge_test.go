package databias

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/internal/mergetest"

	"github.com/lucid-nlp/lucid/fairness/counterfactual"
)

type scanRow struct {
	text   string
	label  int
	groups []string
}

// randomRows draws a stream with repeated sentences (so samples tie on
// content and hash), unlabelled rows, missing group values, rows with no
// term at all and rows naming two groups of a family.
func randomRows(rng *rand.Rand, n int) []scanRow {
	subjects := []string{"she", "he", "the woman", "the man", "her sister", "his uncle", "the film", "they", "a Muslim friend", "my Christian neighbour"}
	verbs := []string{"loved it", "hated it", "said it was long", "left early", "laughed"}
	srcs := []string{"", "web", "mail", "phone", "forum", "x", "y", "z"}
	rows := make([]scanRow, n)
	for i := range rows {
		text := subjects[rng.IntN(len(subjects))] + " " + verbs[rng.IntN(len(verbs))]
		if rng.IntN(4) == 0 {
			text += " and " + subjects[rng.IntN(len(subjects))] + " agreed"
		}
		rows[i] = scanRow{text, rng.IntN(4) - 1, []string{srcs[rng.IntN(len(srcs))], fmt.Sprint(rng.IntN(5))}}
	}
	return rows
}

func mergeOpts(t testing.TB) Options {
	return Options{Families: []counterfactual.Family{family(t, "gender"), family(t, "religion")}, GroupColumns: []string{"source", "shard"},
		Labels: []string{"neg", "neu", "pos"}, Positive: 2, MinCount: 3, Samples: 3, Top: 5, MaxGroups: 4, Seed: 42}
}

func scanOf(t testing.TB, opts Options, rows []scanRow) *Scanner {
	s, err := NewScanner(opts)
	require.NoError(t, err)
	for _, r := range rows {
		require.NoError(t, s.Add(r.text, r.label, r.groups))
	}
	return s
}

func roundTrip(t testing.TB, opts Options, s *Scanner) *Scanner {
	data, err := s.MarshalBinary()
	require.NoError(t, err)
	out, err := NewScanner(opts)
	require.NoError(t, err)
	require.NoError(t, out.UnmarshalBinary(data))
	return out
}

// TestMergeEqualsOnePass: for random streams split into 1–5 parts, each
// part scanned in shuffled order, round-tripped through the encoding and
// merged in a random tree order, the report is byte-identical to one pass.
func TestMergeEqualsOnePass(t *testing.T) {
	opts := mergeOpts(t)
	for trial := range 30 {
		rng := rand.New(rand.NewPCG(uint64(trial), 3))
		rows := randomRows(rng, rng.IntN(300))
		want, err := json.Marshal(scanOf(t, opts, rows).Result())
		require.NoError(t, err)

		k := 1 + rng.IntN(5)
		parts := make([][]scanRow, k)
		for _, r := range rows {
			p := rng.IntN(k)
			parts[p] = append(parts[p], r)
		}
		var accs []*Scanner
		for _, p := range parts {
			rng.Shuffle(len(p), func(i, j int) { p[i], p[j] = p[j], p[i] })
			accs = append(accs, roundTrip(t, opts, scanOf(t, opts, p)))
		}
		merged := mergetest.Merge(t, rng, accs, func() *Scanner {
			s, err := NewScanner(opts)
			require.NoError(t, err)
			return s
		})
		got, err := json.Marshal(merged.Result())
		require.NoError(t, err)
		require.JSONEq(t, string(want), string(got), "trial %d, %d rows in %d parts", trial, len(rows), k)
		require.Equal(t, string(want), string(got), "trial %d: same bytes", trial)
	}
}

// TestMergeLeavesTheOtherUnchanged: b's own report is the same after it
// was merged into a.
func TestMergeLeavesTheOtherUnchanged(t *testing.T) {
	opts := mergeOpts(t)
	rng := rand.New(rand.NewPCG(9, 9))
	a, b := scanOf(t, opts, randomRows(rng, 100)), scanOf(t, opts, randomRows(rng, 100))
	before, _ := json.Marshal(b.Result())
	require.NoError(t, a.Merge(b))
	after, _ := json.Marshal(b.Result())
	assert.Equal(t, string(before), string(after))
	assert.Equal(t, 200, a.Rows())
	assert.ErrorContains(t, a.Merge(a), "into itself")
}

func TestSamplesDoNotDependOnOrder(t *testing.T) {
	opts := mergeOpts(t)
	rng := rand.New(rand.NewPCG(5, 5))
	rows := randomRows(rng, 400)
	want, _ := json.Marshal(scanOf(t, opts, rows).Result().Skewed)
	rng.Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
	got, _ := json.Marshal(scanOf(t, opts, rows).Result().Skewed)
	assert.Equal(t, string(want), string(got))
	// Another seed keeps other sentences (for at least one term).
	opts.Seed = 43
	other, _ := json.Marshal(scanOf(t, opts, rows).Result().Skewed)
	assert.NotEqual(t, string(want), string(other))
}

func TestMergeRefusesOtherOptions(t *testing.T) {
	opts := mergeOpts(t)
	a := scanOf(t, opts, nil)
	for name, change := range map[string]func(*Options){
		"seed":     func(o *Options) { o.Seed++ },
		"labels":   func(o *Options) { o.Labels = []string{"neg", "neu", "good"} },
		"families": func(o *Options) { o.Families = o.Families[:1] },
		"samples":  func(o *Options) { o.Samples = 4 },
		"columns":  func(o *Options) { o.GroupColumns = []string{"source", "site"} },
	} {
		o := mergeOpts(t)
		change(&o)
		b := scanOf(t, o, nil)
		assert.ErrorContains(t, a.Merge(b), "different options", name)
		data, err := b.MarshalBinary()
		require.NoError(t, err)
		assert.ErrorContains(t, a.UnmarshalBinary(data), "different options", name)
	}
	assert.ErrorContains(t, a.Merge(nil), "nil")
}

func TestUnmarshalRejectsGarbage(t *testing.T) {
	opts := mergeOpts(t)
	s := scanOf(t, opts, randomRows(rand.New(rand.NewPCG(1, 1)), 50))
	data, err := s.MarshalBinary()
	require.NoError(t, err)
	fresh := scanOf(t, opts, nil)
	noise := make([]byte, 300)
	for i := range noise {
		noise[i] = byte(rand.N(256))
	}
	// (A 0xff before the data is no garbage: gob reads ff 75 as the
	// length 117 written long-hand.)
	for _, bad := range [][]byte{nil, []byte("not a scanner"), data[:len(data)/2], data[:len(data)-1], append(data, 0), noise} {
		assert.Error(t, fresh.UnmarshalBinary(bad), "%q", bad[:min(len(bad), 8)])
	}
	// Every single-byte corruption either fails cleanly or decodes to a
	// state Result can report; none panics.
	for i := range data {
		c := append([]byte(nil), data...)
		c[i] ^= 0x5a
		if fresh.UnmarshalBinary(c) == nil {
			_, err := json.Marshal(fresh.Result())
			require.NoError(t, err, "byte %d", i)
		}
	}
	require.NoError(t, fresh.UnmarshalBinary(data))
	want, _ := json.Marshal(s.Result())
	got, _ := json.Marshal(fresh.Result())
	assert.Equal(t, string(want), string(got))
}

// TestMergePastTheColumnCapKeepsTotals: past 10 × MaxGroups values in a
// part the pooling depends on the split (see Scanner), but the rows are
// all counted, the largest values are still named, and the term counts
// stay exact.
func TestMergePastTheColumnCapKeepsTotals(t *testing.T) {
	opts := Options{GroupColumns: []string{"id"}, Families: []counterfactual.Family{family(t, "gender")}, Labels: []string{"n", "p"}, Positive: 1, MaxGroups: 5, MinCount: 1}
	var rows []scanRow
	for i := range 500 {
		rows = append(rows, scanRow{"she came", i % 2, []string{fmt.Sprintf("big%d", i%5)}})
	}
	for i := range 2000 {
		rows = append(rows, scanRow{"he came", i % 2, []string{fmt.Sprintf("id%d", i)}})
	}
	one := scanOf(t, opts, rows).Result()
	a, b := scanOf(t, opts, rows[:1200]), scanOf(t, opts, rows[1200:])
	require.NoError(t, a.Merge(b))
	merged := a.Result()
	assert.Equal(t, one.Families, merged.Families, "term counts are exact")
	col := merged.Columns[0]
	assert.Equal(t, 2500, col.Rows)
	require.Len(t, col.Groups, 5)
	for _, u := range col.Groups {
		assert.Equal(t, 100, u.Rows, u.Name)
	}
	assert.Equal(t, 2000, col.Pooled)
}
