package counterfactual

import (
	"cmp"
	"encoding/json"
	"hash/fnv"
	"math"
	"slices"
	"strings"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/lucid-nlp/lucid/fairness/stats"
)

// This file breaks each direction down by stratum, so that parts of a
// family pulling in opposite directions (pronouns one way, gendered nouns
// the other; one template one way, another the other) are visible rather
// than averaged away. Two breakdowns partition a direction's swaps:
//
//   - ByKind: the kind of the swapped term — "pronoun", "title" or "term"
//     (any other word or phrase: a gendered noun, an adjective, a place).
//     Name families have one kind (names), so no breakdown.
//   - ByFrame: the text's frame, when texts come with one (AddFramed: the
//     --pair-col template or pair id).
//
// A stratum row is descriptive, not a verdict (its tests would join the
// family's multiple comparisons): its unit is the text, one mean Δp per
// text with swaps in the stratum, and its interval is Student's t over
// those texts. Rows appear only for directions with at least two strata in
// a breakdown. Memory is one accumulator per (direction, stratum): for
// frames, bounded by the number of frames times directions.

// The breakdowns of Stratum.By.
const (
	ByKind  = "term kind"
	ByFrame = "frame"
)

// The term kinds of a ByKind stratum.
const (
	KindPronoun = "pronoun"
	KindTitle   = "title"
	KindTerm    = "term"
)

// titleWords are the forms of address a gender swap may change.
var titleWords = strataWords(`mr mrs ms miss sir madam madame lady lord mister missus`)

// pronounWords are the gendered pronouns (kept here, apart from the swap
// rules, so the breakdown names the same kinds whatever those rules do).
var pronounWords = strataWords(`he she him her his hers himself herself`)

// strataWords is a set of the words of s.
func strataWords(s string) map[string]bool {
	m := make(map[string]bool)
	for _, w := range strings.Fields(s) {
		m[w] = true
	}
	return m
}

// kindOf is the ByKind stratum of a swapped term.
func kindOf(term string) string {
	switch {
	case pronounWords[term]:
		return KindPronoun
	case titleWords[term]:
		return KindTitle
	}
	return KindTerm
}

type strataKey struct {
	dir         groupKey
	by, stratum string
}

// strataOf is the strata a swap of direction gk counts in.
func (a *Audit) strataOf(gk groupKey, s Swap, frame string) []strataKey {
	var out []strataKey
	if !a.nameFam[gk.fam] {
		out = append(out, strataKey{gk, ByKind, kindOf(s.Term)})
	}
	if frame != "" && a.admitFrame(frame) {
		out = append(out, strataKey{gk, ByFrame, frame})
	}
	return out
}

// DefaultMaxFrames is how many frames the breakdown keeps when
// Config.MaxFrames is 0.
const DefaultMaxFrames = 500

// frameSet is the frames the breakdown keeps: at most max, the ones whose
// hash (then name) is smallest — a bottom-k sample, so the set kept is the
// same whatever order the frames arrive in and however the stream is
// split. A frame turned away never returns: k frames ranked before it are
// kept for good. So every text of a kept frame is counted.
type frameSet struct {
	max     int
	hash    map[string]uint64
	sampled bool // more than max distinct frames were seen
	// top is the kept frame ranked last, the next to go; valid while
	// topOK.
	top   string
	topOK bool
}

func newFrameSet(max int) frameSet { return frameSet{max: max, hash: make(map[string]uint64)} }

func frameHash(f string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(f))
	return h.Sum64()
}

// frameBefore ranks frames: smaller hash first, then name.
func frameBefore(f string, hf uint64, g string, hg uint64) bool {
	return hf < hg || hf == hg && f < g
}

// last is the kept frame ranked last.
func (s *frameSet) last() string {
	if !s.topOK {
		first := true
		for g, h := range s.hash {
			if first || frameBefore(s.top, s.hash[s.top], g, h) {
				s.top, first = g, false
			}
		}
		s.topOK = true
	}
	return s.top
}

// admitFrame says whether frame is kept, making room for it (and dropping
// the strata of the frame it displaces) when it ranks before a kept one.
func (a *Audit) admitFrame(frame string) bool {
	fs := &a.frames
	if _, ok := fs.hash[frame]; ok {
		return true
	}
	h := frameHash(frame)
	if len(fs.hash) < fs.max {
		fs.hash[frame] = h
		fs.topOK = false
		return true
	}
	fs.sampled = true
	if fs.max == 0 {
		return false
	}
	last := fs.last()
	if !frameBefore(frame, h, last, fs.hash[last]) {
		return false
	}
	a.dropFrame(last)
	fs.hash[frame] = h
	fs.topOK = false
	return true
}

// dropFrame forgets a frame and its strata.
func (a *Audit) dropFrame(frame string) {
	delete(a.frames.hash, frame)
	a.frames.topOK = false
	for k := range a.strata {
		if k.by == ByFrame && k.stratum == frame {
			delete(a.strata, k)
		}
	}
}

// trimFrames drops the frames ranked last until at most max are kept
// (after a merge).
func (a *Audit) trimFrames() {
	for len(a.frames.hash) > a.frames.max {
		a.frames.sampled = true
		a.dropFrame(a.frames.last())
	}
}

// stratumText sums one text's swaps in one stratum.
type stratumText struct {
	sum      float64
	n, flips int
}

func (t *stratumText) add(d float64, flip bool) {
	t.sum += d
	t.n++
	if flip {
		t.flips++
	}
}

// stratumAcc accumulates a stratum over texts: counts, and exact sums of
// each text's mean Δp and of its square (for the t interval), so it merges
// exactly.
type stratumAcc struct {
	texts, swaps, flips int
	sum, sumSq          stats.ExactSum
}

func (c *stratumAcc) addText(t *stratumText) {
	m := t.sum / float64(t.n)
	c.texts++
	c.swaps += t.n
	c.flips += t.flips
	c.sum.Add(m)
	c.sumSq.Add(m * m)
}

func (c *stratumAcc) merge(o *stratumAcc) {
	c.texts += o.texts
	c.swaps += o.swaps
	c.flips += o.flips
	c.sum.Merge(&o.sum)
	c.sumSq.Merge(&o.sumSq)
}

// Stratum is one stratum of a direction (see ByKind and ByFrame): its
// texts, swaps and flips, and the mean over its texts of each text's mean
// Δp in the stratum, with Student's t interval over texts (Low and High
// NaN, null in JSON, below two texts).
type Stratum struct {
	Family    string  `json:"family"`
	FromGroup string  `json:"from_group"`
	ToGroup   string  `json:"to_group"`
	By        string  `json:"by"`
	Stratum   string  `json:"stratum"`
	Texts     int     `json:"texts"`
	Swaps     int     `json:"swaps"`
	Flips     int     `json:"flips"`
	Mean      float64 `json:"mean"`
	Low       float64 `json:"low"`
	High      float64 `json:"high"`
}

// MarshalJSON writes a Stratum with null for NaN.
func (s Stratum) MarshalJSON() ([]byte, error) {
	type plain Stratum
	return json.Marshal(struct {
		plain
		Mean any `json:"mean"`
		Low  any `json:"low"`
		High any `json:"high"`
	}{plain(s), jsonNum(s.Mean), jsonNum(s.Low), jsonNum(s.High)})
}

// tInterval is the mean of n values with sum and sum of squares, and its
// Student's t interval at confidence (NaN bounds below two values).
func tInterval(n int, sum, sumSq, confidence float64) (mean, low, high float64) {
	if n == 0 {
		return math.NaN(), math.NaN(), math.NaN()
	}
	mean = sum / float64(n)
	if n < 2 {
		return mean, math.NaN(), math.NaN()
	}
	v := (sumSq - float64(n)*mean*mean) / float64(n-1)
	se := math.Sqrt(max(v, 0) / float64(n))
	q := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(n - 1)}.Quantile(1 - (1-confidence)/2)
	return mean, mean - q*se, mean + q*se
}

// strataRows are the rows of Result.Strata: for each direction and
// breakdown with at least two strata, one row a stratum; sorted by family
// (in the configured order), direction, breakdown, then stratum.
func (a *Audit) strataRows() []Stratum {
	type dirBy struct {
		dir groupKey
		by  string
	}
	count := make(map[dirBy]int)
	for k := range a.strata {
		count[dirBy{k.dir, k.by}]++
	}
	var out []Stratum
	keys := make([]strataKey, 0, len(a.strata))
	for k := range a.strata {
		if count[dirBy{k.dir, k.by}] >= 2 {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(x, y strataKey) int {
		return cmp.Or(cmp.Compare(x.dir.fam, y.dir.fam), cmp.Compare(x.dir.from, y.dir.from), cmp.Compare(x.dir.to, y.dir.to),
			cmp.Compare(x.by, y.by), cmp.Compare(x.stratum, y.stratum))
	})
	for _, k := range keys {
		c := a.strata[k]
		mean, low, high := tInterval(c.texts, c.sum.Value(), c.sumSq.Value(), a.th.conf)
		out = append(out, Stratum{Family: a.fams[k.dir.fam].Name, FromGroup: k.dir.from, ToGroup: k.dir.to, By: k.by, Stratum: k.stratum,
			Texts: c.texts, Swaps: c.swaps, Flips: c.flips, Mean: mean, Low: low, High: high})
	}
	return out
}
