package stats

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/big"
	"slices"
)

// ExactSum is an exactly rounded, order-independent sum of float64 values:
// Shewchuk's adaptive-precision summation ("Adaptive Precision
// Floating-Point Arithmetic and Fast Robust Geometric Predicates", 1997),
// the algorithm behind Python's math.fsum. It keeps the running total as a
// short list of non-overlapping partials whose sum is the exact sum of
// every value added, so Value — the exact sum rounded once, to nearest,
// ties to even — is the same bits whatever order the values arrive in and
// however they are split into sums that are merged afterwards. That is
// what makes a float total mergeable across workers where a running sum
// (or Welford's mean) is not.
//
// Special values: NaN and ±Inf inputs are counted apart from the finite
// partials, so they do not disturb them; Value is NaN when any NaN or both
// +Inf and −Inf were added, else ±Inf when that infinity was added, else
// the rounded finite sum. Exactness holds while the finite partials stay
// finite, which is guaranteed when the sum of |x| stays below about
// 1.7e308; a partial that overflows is counted as the infinity it became,
// as a plain running sum would.
//
// Zeros are not kept, so a sum of zeros (or of values that cancel) is +0
// whatever their signs. The zero value is an empty sum (Value 0). Not safe for concurrent use.
type ExactSum struct {
	// partials: non-zero, non-overlapping, increasing in magnitude.
	partials        []float64
	nan, pinf, ninf uint64
}

// Add adds x to the sum exactly.
func (s *ExactSum) Add(x float64) {
	switch {
	case math.IsNaN(x):
		s.nan++
		return
	case math.IsInf(x, 1):
		s.pinf++
		return
	case math.IsInf(x, -1):
		s.ninf++
		return
	}
	i := 0
	for _, y := range s.partials {
		if math.Abs(x) < math.Abs(y) {
			x, y = y, x
		}
		hi := x + y
		if math.IsInf(hi, 0) { // intermediate overflow: see the type's doc
			s.partials = s.partials[:0]
			s.Add(hi)
			return
		}
		lo := y - (hi - x) // exact error of hi = x + y (|x| ≥ |y|)
		if lo != 0 {
			s.partials[i] = lo
			i++
		}
		x = hi
	}
	s.partials = s.partials[:i]
	if x != 0 { // zeros (of either sign) add nothing: an all-zero sum is +0
		s.partials = append(s.partials, x)
	}
}

// Merge adds every value o summed into s, exactly; o is unchanged.
func (s *ExactSum) Merge(o *ExactSum) {
	if o == nil {
		return
	}
	s.nan += o.nan
	s.pinf += o.pinf
	s.ninf += o.ninf
	for _, p := range slices.Clone(o.partials) { // a copy: o may be s

		s.Add(p)
	}
}

// Value is the exact sum correctly rounded to float64 (nearest, ties to
// even), or the special value described on the type.
func (s *ExactSum) Value() float64 {
	switch {
	case s.nan > 0 || (s.pinf > 0 && s.ninf > 0):
		return math.NaN()
	case s.pinf > 0:
		return math.Inf(1)
	case s.ninf > 0:
		return math.Inf(-1)
	}
	p := s.partials
	n := len(p)
	if n == 0 {
		return 0
	}
	// Add the partials from the largest down until one addition is
	// inexact; the remainder below it then decides only a half-way case.
	hi := p[n-1]
	lo := 0.0
	n--
	for n > 0 {
		x, y := hi, p[n-1]
		n--
		hi = x + y
		lo = y - (hi - x)
		if lo != 0 {
			break
		}
	}
	// hi + lo is exact and |lo| is at most half an ulp of hi; when it is
	// exactly half, the next partial down breaks the tie, which plain
	// round-to-even of hi + lo would get wrong.
	if n > 0 && ((lo < 0 && p[n-1] < 0) || (lo > 0 && p[n-1] > 0)) {
		y := lo * 2
		x := hi + y
		if x-hi == y {
			hi = x
		}
	}
	return hi
}

// finite reports whether no NaN or infinity was added.
func (s *ExactSum) finite() bool { return s.nan == 0 && s.pinf == 0 && s.ninf == 0 }

// exactBig is the exact finite sum as a big.Float (special values left
// out), for callers in this package that must combine sums without a
// rounding in between.
func (s *ExactSum) exactBig() *big.Float {
	// The partials of a finite sum span at most 2098 bits of exponent
	// range; 2200 bits of precision holds their sum exactly.
	z := new(big.Float).SetPrec(2200)
	for _, p := range s.partials {
		z.Add(z, new(big.Float).SetFloat64(p))
	}
	return z
}

// exactSumVersion heads the encoding so that a future layout is told apart.
const exactSumVersion = 1

// GobEncode encodes the sum (its partials and special-value counts)
// exactly, so an ExactSum can sit in another package's gob snapshot.
func (s ExactSum) GobEncode() ([]byte, error) {
	buf := make([]byte, 0, 1+4*binary.MaxVarintLen64+8*len(s.partials))
	buf = append(buf, exactSumVersion)
	buf = binary.AppendUvarint(buf, s.nan)
	buf = binary.AppendUvarint(buf, s.pinf)
	buf = binary.AppendUvarint(buf, s.ninf)
	buf = binary.AppendUvarint(buf, uint64(len(s.partials)))
	for _, p := range s.partials {
		buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(p))
	}
	return buf, nil
}

// GobDecode replaces s with the sum GobEncode wrote, rejecting data that
// is not such an encoding.
func (s *ExactSum) GobDecode(data []byte) error {
	if len(data) == 0 || data[0] != exactSumVersion {
		return fmt.Errorf("stats: ExactSum encoding: want version byte %d, got %d bytes starting %x", exactSumVersion, len(data), data[:min(len(data), 1)])
	}
	rest := data[1:]
	var fields [4]uint64
	for i := range fields {
		v, k := binary.Uvarint(rest)
		if k <= 0 {
			return fmt.Errorf("stats: ExactSum encoding: truncated header")
		}
		fields[i], rest = v, rest[k:]
	}
	n := fields[3]
	if n != uint64(len(rest))/8 || len(rest)%8 != 0 {
		return fmt.Errorf("stats: ExactSum encoding: %d partials announced, %d bytes follow", n, len(rest))
	}
	// Re-adding the partials restores the invariants (non-overlapping,
	// increasing) even if the data were written by something else.
	decoded := ExactSum{nan: fields[0], pinf: fields[1], ninf: fields[2]}
	for i := range n {
		p := math.Float64frombits(binary.LittleEndian.Uint64(rest[8*i:]))
		if p == 0 || math.IsNaN(p) || math.IsInf(p, 0) {
			return fmt.Errorf("stats: ExactSum encoding: partial %d is %v, want a non-zero finite value", i, p)
		}
		decoded.Add(p)
	}
	*s = decoded
	return nil
}
