package stats

import (
	"cmp"
	"container/heap"
	"fmt"
	"math"
	"math/big"
	"slices"

	"github.com/lucid-nlp/lucid/internal/gobsnap"

	"gonum.org/v1/gonum/stat/distuv"
)

// PairedStream accumulates differences in bounded memory, mergeably: exact
// sums of d and d² (ExactSum, with d² split exactly by a fused
// multiply-add) and sign counts give the mean, the t interval, the t-test
// and the sign test; a bottom-k sample of at most capacity values gives
// the Wilcoxon test, the one statistic that needs the values themselves.
//
// The sample keeps the capacity values whose mix(key ^ seed) is smallest
// (ties broken by the value's bits), where key is the row's identity
// given to AddKeyed. Which values are kept therefore depends only on the
// multiset of (key, value) pairs, never on their order: two streams fed
// any partition of the rows and merged give the same Summary, bit for
// bit, as one stream fed every row. Up to capacity values its Summary is
// PairedSummary of every value; beyond, every field is still exact except
// WilcoxonP, computed on the sample (a uniform one when keys are distinct
// row identities). Not safe for concurrent use.
type PairedStream struct {
	n              int
	sum, sumSq     ExactSum
	pos, neg, ties int
	sample         pairedSample // max-heap: the largest rank is evicted first
	capacity       int
	seed           uint64
}

// pairedEntry is one kept difference and its place in the bottom-k order.
type pairedEntry struct {
	rank  uint64 // mix(key ^ seed)
	key   uint64
	value float64
}

// less orders entries by rank, then by the value's bits, then by key, so
// that the order is total on distinct entries.
func (e pairedEntry) less(o pairedEntry) bool {
	return e.compare(o) < 0
}

func (e pairedEntry) compare(o pairedEntry) int {
	return cmp.Or(cmp.Compare(e.rank, o.rank),
		cmp.Compare(math.Float64bits(e.value), math.Float64bits(o.value)),
		cmp.Compare(e.key, o.key))
}

// pairedSample is a max-heap of entries (container/heap).
type pairedSample []pairedEntry

func (h pairedSample) Len() int           { return len(h) }
func (h pairedSample) Less(i, j int) bool { return h[j].less(h[i]) }
func (h pairedSample) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *pairedSample) Push(x any)        { *h = append(*h, x.(pairedEntry)) }
func (h *pairedSample) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}

// mix64 is splitmix64's finaliser: a bijection of uint64 that spreads
// every input bit over every output bit, so the smallest mixed keys are a
// uniform sample of distinct keys.
func mix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// NewPairedStream starts an empty stream keeping at most capacity values
// for the Wilcoxon test, chosen by their keys mixed with seed.
func NewPairedStream(capacity int, seed uint64) *PairedStream {
	return &PairedStream{capacity: max(0, capacity), seed: seed}
}

// Add counts one difference, keyed by its own bits: AddKeyed(d,
// math.Float64bits(d)). Equal differences then share a key and are kept
// or dropped together; callers with a row identity (a frame's index, a
// hash of its text) should use AddKeyed so the sample is uniform over
// rows.
func (s *PairedStream) Add(d float64) { s.AddKeyed(d, math.Float64bits(d)) }

// AddKeyed counts one difference d of the row identified by key.
func (s *PairedStream) AddKeyed(d float64, key uint64) {
	s.n++
	s.sum.Add(d)
	// d² = sq + err exactly, so the sum of squares is exact too.
	sq := d * d
	s.sumSq.Add(sq)
	if err := math.FMA(d, d, -sq); err != 0 && !math.IsNaN(err) {
		s.sumSq.Add(err)
	}
	switch {
	case d > TieTolerance:
		s.pos++
	case d < -TieTolerance:
		s.neg++
	default:
		s.ties++
	}
	s.keep(pairedEntry{rank: mix64(key ^ s.seed), key: key, value: d})
}

// keep offers e to the bottom-k sample.
func (s *PairedStream) keep(e pairedEntry) {
	switch {
	case s.capacity == 0:
	case len(s.sample) < s.capacity:
		heap.Push(&s.sample, e)
	case e.less(s.sample[0]):
		s.sample[0] = e
		heap.Fix(&s.sample, 0)
	}
}

// Merge adds o's differences into s; o is unchanged. Both must have been
// made with the same capacity and seed, or the merged sample would be
// neither stream's.
func (s *PairedStream) Merge(o *PairedStream) error {
	if s.capacity != o.capacity || s.seed != o.seed {
		return fmt.Errorf("stats: merging a PairedStream of capacity %d, seed %d into one of capacity %d, seed %d",
			o.capacity, o.seed, s.capacity, s.seed)
	}
	kept := slices.Clone(o.sample) // a copy: o may be s
	s.n += o.n
	s.sum.Merge(&o.sum)
	s.sumSq.Merge(&o.sumSq)
	s.pos += o.pos
	s.neg += o.neg
	s.ties += o.ties
	for _, e := range kept {
		s.keep(e)
	}
	return nil
}

// N is the number of differences added.
func (s *PairedStream) N() int { return s.n }

// Mean is the mean of the differences (their exact sum divided by N,
// rounded once), NaN before the first.
func (s *PairedStream) Mean() float64 {
	mean, _ := s.moments()
	return mean
}

// Kept is how many differences the Wilcoxon test uses (all of them while
// N ≤ the capacity).
func (s *PairedStream) Kept() int { return len(s.sample) }

// moments is the mean and the sum of squared deviations Σ(d − mean)²,
// computed from the exact sums without an intermediate rounding, so they
// depend only on the multiset of differences.
func (s *PairedStream) moments() (mean, m2 float64) {
	if s.n == 0 {
		return math.NaN(), math.NaN()
	}
	n := float64(s.n)
	if !s.sum.finite() || !s.sumSq.finite() {
		return s.sum.Value() / n, math.NaN()
	}
	const prec = 4500 // holds S² exactly: S has at most ~2100 significant bits
	bn := new(big.Float).SetPrec(prec).SetInt64(int64(s.n))
	S := s.sum.exactBig().SetPrec(prec)
	mean, _ = new(big.Float).SetPrec(prec).Quo(S, bn).Float64()
	// Σ(d − mean)² = Σd² − (Σd)²/n.
	corr := new(big.Float).SetPrec(prec).Mul(S, S)
	corr.Quo(corr, bn)
	dev := s.sumSq.exactBig().SetPrec(prec)
	m2, _ = dev.Sub(dev, corr).Float64()
	return mean, max(0, m2)
}

// Summary is the paired statistics of the differences at a confidence
// level: the mean is NaN with none; the interval and TP are NaN with
// fewer than two.
func (s *PairedStream) Summary(confidence float64) Paired {
	p := Paired{N: s.n, Mean: math.NaN(), Low: math.NaN(), High: math.NaN(), SignP: 1, TP: math.NaN(), WilcoxonP: 1,
		Positive: s.pos, Negative: s.neg, Ties: s.ties}
	if s.n == 0 {
		return p
	}
	mean, m2 := s.moments()
	p.Mean = mean
	p.SignP = SignTest(s.pos, s.neg)
	values := make([]float64, len(s.sample))
	for i, e := range s.sample {
		values[i] = e.value
	}
	p.WilcoxonP = Wilcoxon(values) // a function of the multiset alone
	if s.n < 2 {
		return p
	}
	n := float64(s.n)
	se := math.Sqrt(m2 / (n - 1) / n)
	t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: n - 1}
	q := t.Quantile(1 - (1-confidence)/2)
	p.Low, p.High = p.Mean-q*se, p.Mean+q*se
	switch {
	case se == 0 && p.Mean == 0:
		p.TP = 1
	case se == 0:
		p.TP = 0
	default:
		p.TP = 2 * t.CDF(-math.Abs(p.Mean/se))
	}
	return p
}

// pairedSnapshot is the gob form of a PairedStream; the sample is sorted
// so equal streams encode to equal bytes.
type pairedSnapshot struct {
	Capacity       int
	Seed           uint64
	N              int
	Pos, Neg, Ties int
	Sum, SumSq     ExactSum
	Keys           []uint64
	Values         []float64
}

// GobEncode encodes the whole stream, its capacity and seed included, so
// a PairedStream can sit in another package's gob snapshot.
func (s PairedStream) GobEncode() ([]byte, error) {
	kept := slices.Clone(s.sample)
	slices.SortFunc(kept, pairedEntry.compare)
	snap := pairedSnapshot{Capacity: s.capacity, Seed: s.seed, N: s.n, Pos: s.pos, Neg: s.neg, Ties: s.ties,
		Sum: s.sum, SumSq: s.sumSq, Keys: make([]uint64, len(kept)), Values: make([]float64, len(kept))}
	for i, e := range kept {
		snap.Keys[i], snap.Values[i] = e.key, e.value
	}
	return gobsnap.Encode("stats", "a PairedStream", snap)
}

// GobDecode replaces s with the stream GobEncode wrote (capacity and seed
// included), rejecting data that is not a consistent encoding of one.
func (s *PairedStream) GobDecode(data []byte) error {
	var snap pairedSnapshot
	if err := gobsnap.Decode("stats", "a PairedStream", data, &snap); err != nil {
		return err
	}
	switch {
	case snap.Capacity < 0 || snap.N < 0 || snap.Pos < 0 || snap.Neg < 0 || snap.Ties < 0:
		return fmt.Errorf("stats: decoding a PairedStream: negative capacity or count (capacity %d, n %d, +%d −%d =%d)",
			snap.Capacity, snap.N, snap.Pos, snap.Neg, snap.Ties)
	case snap.Pos+snap.Neg+snap.Ties != snap.N:
		return fmt.Errorf("stats: decoding a PairedStream: sign counts %d+%d+%d do not add up to n = %d", snap.Pos, snap.Neg, snap.Ties, snap.N)
	case len(snap.Keys) != len(snap.Values) || len(snap.Values) > snap.Capacity || len(snap.Values) > snap.N:
		return fmt.Errorf("stats: decoding a PairedStream: %d keys and %d values for capacity %d and n = %d",
			len(snap.Keys), len(snap.Values), snap.Capacity, snap.N)
	}
	d := PairedStream{n: snap.N, sum: snap.Sum, sumSq: snap.SumSq, pos: snap.Pos, neg: snap.Neg, ties: snap.Ties,
		capacity: snap.Capacity, seed: snap.Seed, sample: make(pairedSample, len(snap.Keys))}
	for i, k := range snap.Keys {
		d.sample[i] = pairedEntry{rank: mix64(k ^ snap.Seed), key: k, value: snap.Values[i]}
	}
	heap.Init(&d.sample)
	*s = d
	return nil
}

// IntervalAt returns the mean's Student t interval at any normal quantile
// z, meaning at the level 1 − PFromZ(z), for stats.HolmFamily; p must be
// a summary computed at confidence (its Low and High give the standard
// error back). nil with fewer than two differences: no interval.
func (p Paired) IntervalAt(confidence float64) func(z float64) Interval {
	if p.N < 2 || math.IsNaN(p.Low) || math.IsNaN(p.High) {
		return nil
	}
	t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(p.N - 1)}
	se := (p.High - p.Low) / 2 / t.Quantile(1-(1-confidence)/2)
	return func(z float64) Interval {
		if z <= 0 {
			return Interval{p.Mean, p.Mean}
		}
		q := t.Quantile(1 - PFromZ(z)/2)
		return Interval{p.Mean - q*se, p.Mean + q*se}
	}
}
