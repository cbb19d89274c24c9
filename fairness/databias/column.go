package databias

import (
	"cmp"
	"hash/fnv"
	"slices"
)

// columnAcc counts one group column's values. Above 10 × max distinct
// values the smallest so far are folded into the pooled counts until max
// remain, and their names go into a fixed Bloom filter that routes their
// later rows to the pool too (as fairness/group does), so memory stays
// bounded on an ID-like column.
type columnAcc struct {
	name    string
	max     int
	values  map[string]*counts
	missing counts
	pooled  counts
	// pooledNames counts the distinct values folded into the pool (a
	// Bloom filter can only say "probably folded", so this counts folds,
	// plus new values routed there as false positives are not counted).
	pooledNames int
	folded      bloom
}

func newColumnAcc(name string, max int) *columnAcc {
	return &columnAcc{name: name, max: max, values: map[string]*counts{}, folded: newBloom()}
}

func (c *columnAcc) add(v string, label, k int) {
	if v == "" {
		c.missing.add(label, 1, k)
		return
	}
	if x, ok := c.values[v]; ok {
		x.add(label, 1, k)
		return
	}
	if c.pooledNames > 0 && c.folded.has(v) {
		c.pooled.add(label, 1, k)
		return
	}
	x := &counts{}
	x.add(label, 1, k)
	c.values[v] = x
	if len(c.values) > 10*c.max {
		c.fold()
	}
}

// fold moves all but the max largest values into the pool.
func (c *columnAcc) fold() {
	names := make([]string, 0, len(c.values))
	for v := range c.values {
		names = append(names, v)
	}
	slices.SortFunc(names, func(a, b string) int {
		return cmp.Or(cmp.Compare(c.values[b].rows, c.values[a].rows), cmp.Compare(a, b))
	})
	k := 0
	for _, v := range names[c.max:] {
		x := c.values[v]
		if c.pooled.byLabel == nil {
			c.pooled.byLabel = make([]int, len(x.byLabel))
		}
		c.pooled.rows += x.rows
		c.pooled.occurrences += x.occurrences
		for i, n := range x.byLabel {
			c.pooled.byLabel[i] += n
		}
		c.folded.add(v)
		delete(c.values, v)
		k++
	}
	c.pooledNames += k
}

// bloom is a fixed 512 KiB Bloom filter with four hashes (double hashing
// of FNV-1a 64): at 100,000 names its false-positive rate is about 0.1%.
type bloom []uint64

const bloomBits = 512 << 10 * 8

func newBloom() bloom { return nil }

func (b *bloom) add(s string) {
	if *b == nil {
		*b = make(bloom, bloomBits/64)
	}
	h1, h2 := hashes(s)
	for i := range uint64(4) {
		bit := (h1 + i*h2) % bloomBits
		(*b)[bit/64] |= 1 << (bit % 64)
	}
}

func (b bloom) has(s string) bool {
	if b == nil {
		return false
	}
	h1, h2 := hashes(s)
	for i := range uint64(4) {
		bit := (h1 + i*h2) % bloomBits
		if b[bit/64]&(1<<(bit%64)) == 0 {
			return false
		}
	}
	return true
}

func hashes(s string) (uint64, uint64) {
	h := fnv.New64a()
	h.Write([]byte(s))
	a := h.Sum64()
	return a, a>>33 | a<<31 | 1
}
