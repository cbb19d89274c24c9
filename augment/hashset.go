package augment

// hashSet is a set of 64-bit hashes in one open-addressing table with
// linear probing: 8 bytes a slot, at most 3/4 full, so 11–21 bytes per
// hash held (about a third of a Go map's footprint), which is what bounds
// memory on a long file. The hashes come from SHA-256, so their low bits
// index the table directly. Zero marks an empty slot; a hash of zero is
// stored as one, which merges two of 2⁶⁴ values (the collision bound of
// the package doc allows for it).
type hashSet struct {
	slots []uint64
	n     int
}

// add inserts h and reports whether it was new.
func (s *hashSet) add(h uint64) bool {
	if h == 0 {
		h = 1
	}
	if 4*(s.n+1) > 3*len(s.slots) {
		s.grow()
	}
	mask := uint64(len(s.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		switch s.slots[i] {
		case h:
			return false
		case 0:
			s.slots[i] = h
			s.n++
			return true
		}
	}
}

// len is the number of hashes held.
func (s *hashSet) len() int { return s.n }

func (s *hashSet) grow() {
	old := s.slots
	size := max(1024, 2*len(old))
	s.slots = make([]uint64, size)
	mask := uint64(size - 1)
	for _, h := range old {
		if h == 0 {
			continue
		}
		i := h & mask
		for s.slots[i] != 0 {
			i = (i + 1) & mask
		}
		s.slots[i] = h
	}
}
