package group

import (
	"hash/fnv"
	"math/rand/v2"

	"gonum.org/v1/gonum/stat/distuv"
)

// sampler draws bootstrap resamples of one group's table.
type sampler struct {
	src rand.Source
}

// newSampler starts the group's own random stream: PCG seeded with the
// report seed and a hash of the group's name, so a group's resamples do not
// depend on the other groups or on the order they are processed in.
func newSampler(seed uint64, group string) *sampler {
	h := fnv.New64a()
	h.Write([]byte(group))
	return &sampler{src: rand.NewPCG(seed, h.Sum64())}
}

// resample draws out ~ Multinomial(n, c/n) with n = c.n(): the table of n
// rows drawn with replacement from the group's rows. Each cell is drawn
// binomially from what the earlier cells left, which is exact and costs
// O(cells) however large n is.
func (s *sampler) resample(c, out *cells) {
	left, pool := c.n(), c.n() // rows still to draw; rows in the remaining cells
	for i := range nCells {
		switch {
		case left == 0 || c[i] == 0:
			out[i] = 0
		case c[i] == pool:
			out[i] = left // the last non-empty cell takes the rest
			left = 0
		default:
			out[i] = s.binomial(left, float64(c[i])/float64(pool))
			left -= out[i]
		}
		pool -= c[i]
	}
}

// binomial draws from Binomial(n, p) for n > 0 and 0 < p < 1.
func (s *sampler) binomial(n int, p float64) int {
	return int(distuv.Binomial{N: float64(n), P: p, Src: s.src}.Rand())
}
