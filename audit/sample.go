package audit

import (
	"cmp"
	"encoding/binary"
	"hash/fnv"
	"slices"
)

// Sample keeps a uniform random sample of at most K texts from a stream,
// chosen so that it never depends on the order the texts arrive in or on
// how the stream was split: each text gets a key, a 64-bit hash of the
// seed, the sample's purpose and the text, and the sample is the K texts
// with the smallest keys (bottom-k sampling). Two samples of parts of one
// stream merge into the sample of the whole, which is what lets a
// distributed audit explain and edit the same rows as `lucid audit`.
//
// A text that occurs twice has one key, so copies are kept or dropped
// together; the kept multiset is still the same whatever the order. Not
// safe for concurrent use.
type Sample struct {
	K int
	// Seen counts every text offered.
	Seen  int
	items []sampled // a max-heap on (key, text) once full
	seed  uint64
}

type sampled struct {
	Key  uint64
	Text string
}

// NewSample starts a sample of at most k texts; seed and purpose pick the
// keys (two samples with different purposes are independent).
func NewSample(k int, seed, purpose uint64) *Sample {
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], seed)
	binary.LittleEndian.PutUint64(b[8:], purpose)
	h := fnv.New64a()
	h.Write(b[:])
	return &Sample{K: max(k, 0), seed: h.Sum64()}
}

func (s *Sample) key(text string) uint64 {
	h := fnv.New64a()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], s.seed)
	h.Write(b[:])
	h.Write([]byte(text))
	return splitmix(h.Sum64())
}

// splitmix is splitmix64's finaliser: FNV alone mixes its last bytes
// poorly into the high bits.
func splitmix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

func less(a, b sampled) bool {
	return a.Key < b.Key || a.Key == b.Key && a.Text < b.Text
}

// Add offers one text.
func (s *Sample) Add(text string) {
	s.Seen++
	s.offer(sampled{s.key(text), text})
}

func (s *Sample) offer(it sampled) {
	if s.K == 0 {
		return
	}
	if len(s.items) < s.K {
		s.items = append(s.items, it)
		s.up(len(s.items) - 1)
		return
	}
	if !less(it, s.items[0]) {
		return
	}
	s.items[0] = it
	s.down(0)
}

// The heap is a max-heap on (key, text): its root is the first to go.
func (s *Sample) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !less(s.items[p], s.items[i]) {
			return
		}
		s.items[p], s.items[i] = s.items[i], s.items[p]
		i = p
	}
}

func (s *Sample) down(i int) {
	n := len(s.items)
	for {
		l, big := 2*i+1, i
		if l < n && less(s.items[big], s.items[l]) {
			big = l
		}
		if r := l + 1; r < n && less(s.items[big], s.items[r]) {
			big = r
		}
		if big == i {
			return
		}
		s.items[i], s.items[big] = s.items[big], s.items[i]
		i = big
	}
}

// Merge adds o's sample into s: the result is the sample of both streams.
func (s *Sample) Merge(o *Sample) {
	s.Seen += o.Seen
	for _, it := range o.items {
		s.offer(it)
	}
}

// Items are the kept texts in key order: the same list however the stream
// arrived.
func (s *Sample) Items() []string {
	its := slices.Clone(s.items)
	slices.SortFunc(its, func(a, b sampled) int {
		return cmp.Or(cmp.Compare(a.Key, b.Key), cmp.Compare(a.Text, b.Text))
	})
	out := make([]string, len(its))
	for i, it := range its {
		out[i] = it.Text
	}
	return out
}
