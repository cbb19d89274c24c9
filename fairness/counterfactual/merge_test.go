package counterfactual

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/internal/mergetest"
)

// mergeCorpus draws texts for the shipped families with many repeats (the
// same text in several parts), texts with no term, and ties in |Δp|: the
// lexicon weighs few words, so most swaps of a subject move p alike, and
// he → she mirrors she → he.
func mergeCorpus(rng *rand.Rand, n int) []string {
	subj := []string{"he", "she", "the old man", "her sister", "James", "a muslim", "the Mexican chef", "Keisha", "it", "HIS son", "my Christian neighbour", "the young woman"}
	pred := []string{"was great", "was boring", "told a story", "is a terrible cook", "sang at the party", "loved the film", "left"}
	out := make([]string, n)
	for i := range out {
		out[i] = subj[rng.IntN(len(subj))] + " " + pred[rng.IntN(len(pred))]
		if rng.IntN(3) == 0 {
			out[i] += fmt.Sprintf(" (%d)", rng.IntN(20))
		}
	}
	return out
}

func mergeConfig(batch int) Config {
	// A small reservoir, so the Wilcoxon samples are bottom-k sketches and
	// not every difference; a small TopK, so ties at its edge matter.
	return Config{BatchSize: batch, TopK: 6, ReservoirSize: 5}
}

func auditOf(t *testing.T, cfg Config, texts []string) *Audit {
	t.Helper()
	a, err := NewAudit(corpusLexicon(), cfg)
	require.NoError(t, err)
	for _, s := range texts {
		require.NoError(t, a.Add(context.Background(), s))
	}
	require.NoError(t, a.Flush(context.Background()))
	return a
}

func roundTripAudit(t *testing.T, cfg Config, a *Audit) *Audit {
	t.Helper()
	data, err := a.MarshalBinary()
	require.NoError(t, err)
	b, err := NewAudit(corpusLexicon(), cfg)
	require.NoError(t, err)
	require.NoError(t, b.UnmarshalBinary(data))
	return b
}

func resultJSON(t *testing.T, a *Audit) string {
	t.Helper()
	r, err := a.Result(context.Background())
	require.NoError(t, err)
	return mustJSON(t, r)
}

// TestAuditMergeEqualsOnePass: for random streams over the shipped
// families split into 1–5 parts, each part audited in shuffled order with
// its own batch size, round-tripped through the encoding and merged in a
// random tree order, the result is byte-identical JSON to one pass.
func TestAuditMergeEqualsOnePass(t *testing.T) {
	for trial := range 12 {
		rng := rand.New(rand.NewPCG(uint64(trial), 11))
		texts := mergeCorpus(rng, rng.IntN(150))
		want := resultJSON(t, auditOf(t, mergeConfig(64), texts))

		k := 1 + rng.IntN(5)
		parts := make([][]string, k)
		for _, s := range texts {
			p := rng.IntN(k)
			parts[p] = append(parts[p], s)
		}
		var accs []*Audit
		for _, p := range parts {
			rng.Shuffle(len(p), func(i, j int) { p[i], p[j] = p[j], p[i] })
			accs = append(accs, roundTripAudit(t, mergeConfig(1+rng.IntN(40)), auditOf(t, mergeConfig(1+rng.IntN(40)), p)))
		}
		merged := mergetest.Merge(t, rng, accs, func() *Audit {
			a, err := NewAudit(corpusLexicon(), mergeConfig(7))
			require.NoError(t, err)
			return a
		})
		got := resultJSON(t, merged)
		require.JSONEq(t, want, got, "trial %d: %d texts in %d parts", trial, len(texts), k)
		require.Equal(t, want, got, "trial %d: same bytes", trial)
	}
}

// TestAuditMergeTiesAndDuplicates: one text many times and its mirror
// image give equal |Δp| everywhere; the worst list and the Wilcoxon
// samples must still not depend on the split.
func TestAuditMergeTiesAndDuplicates(t *testing.T) {
	cfg := Config{Families: mustSelect(t, "gender"), TopK: 3, ReservoirSize: 2}
	var texts []string
	for i := range 40 {
		texts = append(texts, []string{"he left", "she left", "he left", "he stayed", "she stayed"}[i%5])
	}
	one := auditOf(t, cfg, texts)
	r, err := one.Result(context.Background())
	require.NoError(t, err)
	require.Len(t, r.Worst, 3)
	for _, w := range r.Worst {
		assert.InDelta(t, abs(r.Worst[0].Delta), abs(w.Delta), 1e-15, "all tied in |Δp|")
	}
	// Ties are ordered by content: "he left" before "he stayed" before
	// "she …".
	assert.Equal(t, "he left", r.Worst[0].Original)
	want := mustJSON(t, r)
	for _, cut := range []int{1, 13, 27, 39} {
		a, b := auditOf(t, cfg, texts[cut:]), auditOf(t, cfg, texts[:cut])
		require.NoError(t, a.Merge(b))
		assert.Equal(t, want, resultJSON(t, a), "cut at %d", cut)
	}
}

func abs(x float64) float64 { return max(x, -x) }

// TestAuditMergeLeavesTheOtherUnchanged: b reports the same after it was
// merged into a; a reports the union.
func TestAuditMergeLeavesTheOtherUnchanged(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	t1, t2 := mergeCorpus(rng, 40), mergeCorpus(rng, 40)
	a, b := auditOf(t, mergeConfig(8), t1), auditOf(t, mergeConfig(8), t2)
	before := resultJSON(t, b)
	require.NoError(t, a.Merge(b))
	assert.Equal(t, before, resultJSON(t, b))
	assert.Equal(t, resultJSON(t, auditOf(t, mergeConfig(8), append(t1, t2...))), resultJSON(t, a))
	assert.ErrorContains(t, a.Merge(a), "into itself")
	assert.ErrorContains(t, a.Merge(nil), "nil")
}

func TestAuditMergeRefusesOtherSettings(t *testing.T) {
	a := auditOf(t, mergeConfig(8), []string{"he left"})
	for name, cfg := range map[string]Config{
		"top k":     {BatchSize: 8, TopK: 7, ReservoirSize: 5},
		"reservoir": {BatchSize: 8, TopK: 6, ReservoirSize: 6},
		"tolerance": {BatchSize: 8, TopK: 6, ReservoirSize: 5, Tolerance: 0.2},
		"families":  {BatchSize: 8, TopK: 6, ReservoirSize: 5, Families: mustSelect(t, "gender")},
		"target":    {BatchSize: 8, TopK: 6, ReservoirSize: 5, Target: "negative"},
	} {
		b := auditOf(t, cfg, []string{"she left"})
		assert.ErrorContains(t, a.Merge(b), "different labels, target, families or settings", name)
		data, err := b.MarshalBinary()
		require.NoError(t, err)
		assert.ErrorContains(t, a.UnmarshalBinary(data), "different labels, target, families or settings", name)
	}
	// Another batch size is no other setting.
	require.NoError(t, a.Merge(auditOf(t, mergeConfig(3), []string{"she left"})))
}

func TestAuditMergeNeedsAFlushedAudit(t *testing.T) {
	ctx := context.Background()
	queued, err := NewAudit(corpusLexicon(), mergeConfig(100))
	require.NoError(t, err)
	require.NoError(t, queued.Add(ctx, "he left"))
	done := auditOf(t, mergeConfig(100), []string{"she left"})
	assert.ErrorContains(t, done.Merge(queued), "still queued")
	assert.ErrorContains(t, queued.Merge(done), "still queued")
	_, err = queued.MarshalBinary()
	assert.ErrorContains(t, err, "call Flush")
	require.NoError(t, queued.Flush(ctx))
	require.NoError(t, done.Merge(queued))
	assert.Equal(t, resultJSON(t, auditOf(t, mergeConfig(100), []string{"she left", "he left"})), resultJSON(t, done))
}

func TestAuditUnmarshalRejectsGarbage(t *testing.T) {
	src := auditOf(t, mergeConfig(16), mergeCorpus(rand.New(rand.NewPCG(2, 2)), 30))
	data, err := src.MarshalBinary()
	require.NoError(t, err)
	fresh, err := NewAudit(corpusLexicon(), mergeConfig(16))
	require.NoError(t, err)
	noise := make([]byte, 300)
	for i := range noise {
		noise[i] = byte(rand.N(256))
	}
	for _, bad := range [][]byte{nil, []byte("not an audit"), data[:len(data)/2], data[:len(data)-1], append(data, 0), noise} {
		assert.Error(t, fresh.UnmarshalBinary(bad), "%q", bad[:min(len(bad), 8)])
	}
	// A single-byte corruption (at 400 random places, to stay quick)
	// either fails cleanly or decodes to a state Result can report; none
	// panics.
	rng := rand.New(rand.NewPCG(3, 3))
	for range 400 {
		i := rng.IntN(len(data))
		c := append([]byte(nil), data...)
		c[i] ^= 0x5a
		if fresh.UnmarshalBinary(c) == nil {
			r, err := fresh.Result(context.Background())
			require.NoError(t, err, "byte %d", i)
			_, err = json.Marshal(r)
			require.NoError(t, err, "byte %d", i)
		}
	}
	require.NoError(t, fresh.UnmarshalBinary(data))
	assert.Equal(t, resultJSON(t, src), resultJSON(t, fresh))
}

// TestPronounPairsAreKeyedByReplacement: "her" swaps to "him" (object)
// in one text and "his" (possessive) in another; each is its own pair
// row, so no row's replacement depends on which text came first.
func TestPronounPairsAreKeyedByReplacement(t *testing.T) {
	cfg := Config{Families: mustSelect(t, "gender")}
	texts := []string{"I saw her", "her car is red"}
	r := runAudit(t, corpusLexicon(), cfg, texts...)
	him, his := pairStats(r, "her", "him"), pairStats(r, "her", "his")
	require.NotNil(t, him)
	require.NotNil(t, his)
	assert.Equal(t, 1, him.Swaps)
	assert.Equal(t, 1, his.Swaps)
	assert.Equal(t, mustJSON(t, r), mustJSON(t, runAudit(t, corpusLexicon(), cfg, texts[1], texts[0])))
}

// TestAuditMergeFramesAndNames: the name-unit and stratum accumulators
// merge like the rest. Texts come with frames (AddFramed), name families
// pair each name with several partners, and the one-pass result is checked
// to hold clustered rows and strata of both breakdowns, so the comparison
// covers them.
func TestAuditMergeFramesAndNames(t *testing.T) {
	type framed struct{ text, frame string }
	maxFrames := 0
	cfg := func(batch int) Config {
		return Config{BatchSize: batch, TopK: 4, ReservoirSize: 5, Partners: 3, PartnerSeed: 9, MaxFrames: maxFrames}
	}
	audit := func(c Config, xs []framed) *Audit {
		a, err := NewAudit(corpusLexicon(), c)
		require.NoError(t, err)
		for _, x := range xs {
			require.NoError(t, a.AddFramed(context.Background(), x.text, x.frame))
		}
		require.NoError(t, a.Flush(context.Background()))
		return a
	}
	for trial := range 12 {
		// Half the trials keep at most 3 of 8 frames, so frames are
		// turned away and displaced in the parts and when merging.
		maxFrames = 0
		nFrames := 4
		if trial%2 == 1 {
			maxFrames, nFrames = 3, 8
		}
		rng := rand.New(rand.NewPCG(uint64(trial), 21))
		var xs []framed
		for _, s := range mergeCorpus(rng, 20+rng.IntN(120)) {
			xs = append(xs, framed{s, fmt.Sprintf("T%d", rng.IntN(nFrames))})
		}
		one := audit(cfg(64), xs)
		r, err := one.Result(context.Background())
		require.NoError(t, err)
		want := mustJSON(t, r)
		by := map[string]bool{}
		for _, s := range r.Strata {
			by[s.By] = true
		}
		clustered := false
		for _, g := range r.Groups {
			clustered = clustered || g.Clustered != nil
		}
		require.True(t, by[ByFrame] && by[ByKind] && clustered, "trial %d: the result has frame and kind strata and name-unit rows", trial)
		if maxFrames == 3 {
			// The three frames whose hash is smallest, whatever the order.
			kept := map[string]bool{}
			for _, s := range r.Strata {
				if s.By == ByFrame {
					kept[s.Stratum] = true
				}
			}
			all := []string{"T0", "T1", "T2", "T3", "T4", "T5", "T6", "T7"}
			slices.SortFunc(all, func(x, y string) int { return cmp.Compare(frameHash(x), frameHash(y)) })
			assert.Equal(t, map[string]bool{all[0]: true, all[1]: true, all[2]: true}, kept, "trial %d", trial)
			assert.True(t, r.Design.FramesSampled)
		}

		k := 1 + rng.IntN(4)
		parts := make([][]framed, k)
		for _, x := range xs {
			p := rng.IntN(k)
			parts[p] = append(parts[p], x)
		}
		var accs []*Audit
		for _, p := range parts {
			rng.Shuffle(len(p), func(i, j int) { p[i], p[j] = p[j], p[i] })
			accs = append(accs, roundTripAudit(t, cfg(1+rng.IntN(30)), audit(cfg(1+rng.IntN(30)), p)))
		}
		merged := mergetest.Merge(t, rng, accs, func() *Audit {
			a, err := NewAudit(corpusLexicon(), cfg(5))
			require.NoError(t, err)
			return a
		})
		require.Equal(t, want, resultJSON(t, merged), "trial %d: %d texts in %d parts", trial, len(xs), k)
	}
	// Partners and their seed are settings: audits that differ in them do
	// not merge.
	a := audit(cfg(8), []framed{{"James left", ""}})
	for _, c := range []Config{{BatchSize: 8, TopK: 4, ReservoirSize: 5, Partners: 4, PartnerSeed: 9}, {BatchSize: 8, TopK: 4, ReservoirSize: 5, Partners: 3, PartnerSeed: 10}} {
		assert.ErrorContains(t, a.Merge(audit(c, []framed{{"Keisha left", ""}})), "different labels, target, families or settings")
	}
}
