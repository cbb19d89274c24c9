package group

import (
	"math"
	"math/bits"
)

// bloom is a fixed-size Bloom filter of the group names pooled while
// streaming: it answers "was this name pooled?" in bounded memory (no false
// negatives; false positives, which pool a new name, are rare until millions
// of names are in) and estimates how many distinct names it holds.
type bloom struct {
	words []uint64
	set   int // bits set
}

const (
	bloomBits   = 1 << 22 // 512 KiB
	bloomHashes = 3
)

func newBloom() *bloom { return &bloom{words: make([]uint64, bloomBits/64)} }

// hashes returns two 64-bit hashes of s (FNV-1a forwards, and a mixed
// FNV-1a of the bytes backwards), combined by double hashing into the k
// probe positions (Kirsch and Mitzenmacher 2006). They are fixed, not
// seeded per process, so which names collide is the same on every run.
func hashes(s string) (uint64, uint64) {
	const prime = 1099511628211
	h1, h2 := uint64(14695981039346656037), uint64(0x9e3779b97f4a7c15)
	for i := 0; i < len(s); i++ {
		h1 = (h1 ^ uint64(s[i])) * prime
		h2 = (h2 ^ uint64(s[len(s)-1-i])) * prime
	}
	h2 = bits.RotateLeft64(h2*0xbf58476d1ce4e5b9, 31) | 1
	return h1, h2
}

func (b *bloom) add(s string) {
	h1, h2 := hashes(s)
	for i := range uint64(bloomHashes) {
		p := (h1 + i*h2) % bloomBits
		if w, m := p/64, uint64(1)<<(p%64); b.words[w]&m == 0 {
			b.words[w] |= m
			b.set++
		}
	}
}

func (b *bloom) has(s string) bool {
	h1, h2 := hashes(s)
	for i := range uint64(bloomHashes) {
		p := (h1 + i*h2) % bloomBits
		if b.words[p/64]&(uint64(1)<<(p%64)) == 0 {
			return false
		}
	}
	return true
}

// count estimates the distinct names added from the share of bits set
// (Swamidass and Baldi 2007): n ≈ −(m/k)·ln(1 − X/m).
func (b *bloom) count() int {
	if b == nil {
		return 0
	}
	x := float64(b.set) / bloomBits
	return int(math.Round(-bloomBits / bloomHashes * math.Log1p(-x)))
}
