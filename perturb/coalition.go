package perturb

import (
	"math/bits"
	"strings"
)

// Coalition is a set of features, as a bitset: feature i is present when bit
// i is set. The zero value is the empty set; use NewCoalition for a sized one.
type Coalition struct {
	n     int
	words []uint64
}

// NewCoalition returns the empty coalition over n features.
func NewCoalition(n int) Coalition {
	return Coalition{n: n, words: make([]uint64, (n+63)/64)}
}

// FullCoalition returns the coalition of all n features.
func FullCoalition(n int) Coalition {
	c := NewCoalition(n)
	for i := range n {
		c.Set(i)
	}
	return c
}

// CoalitionFromMask returns the coalition whose members are the set bits of
// mask (n ≤ 64), the natural form for enumerating all 2^n subsets.
func CoalitionFromMask(n int, mask uint64) Coalition {
	c := NewCoalition(n)
	if n > 0 {
		c.words[0] = mask
		if n < 64 {
			c.words[0] &= (1 << n) - 1
		}
	}
	return c
}

// N is the number of features the coalition ranges over.
func (c Coalition) N() int { return c.n }

// Has reports whether feature i is present.
func (c Coalition) Has(i int) bool { return c.words[i/64]&(1<<(i%64)) != 0 }

// Set adds feature i.
func (c Coalition) Set(i int) { c.words[i/64] |= 1 << (i % 64) }

// Clear removes feature i.
func (c Coalition) Clear(i int) { c.words[i/64] &^= 1 << (i % 64) }

// Size is the number of features present.
func (c Coalition) Size() int {
	s := 0
	for _, w := range c.words {
		s += bits.OnesCount64(w)
	}
	return s
}

// Clone returns an independent copy.
func (c Coalition) Clone() Coalition {
	return Coalition{n: c.n, words: append([]uint64(nil), c.words...)}
}

// Complement returns the features not in c.
func (c Coalition) Complement() Coalition {
	out := NewCoalition(c.n)
	for i := range c.n {
		if !c.Has(i) {
			out.Set(i)
		}
	}
	return out
}

// Key is a compact string form, usable as a map key to find duplicates.
func (c Coalition) Key() string {
	var b strings.Builder
	b.Grow(8 * len(c.words))
	for _, w := range c.words {
		for k := range 8 {
			b.WriteByte(byte(w >> (8 * k)))
		}
	}
	return b.String()
}

// String shows the coalition as 0s and 1s, feature 0 first.
func (c Coalition) String() string {
	b := make([]byte, c.n)
	for i := range c.n {
		b[i] = '0'
		if c.Has(i) {
			b[i] = '1'
		}
	}
	return string(b)
}

// CoalitionsOfSize lists every coalition of size t over n features, members in
// lexicographic order.
func CoalitionsOfSize(n, t int) []Coalition {
	var out []Coalition
	idx := make([]int, t)
	for i := range idx {
		idx[i] = i
	}
	for {
		c := NewCoalition(n)
		for _, i := range idx {
			c.Set(i)
		}
		out = append(out, c)
		k := t - 1
		for k >= 0 && idx[k] == n-t+k {
			k--
		}
		if k < 0 {
			return out
		}
		idx[k]++
		for j := k + 1; j < t; j++ {
			idx[j] = idx[j-1] + 1
		}
	}
}
