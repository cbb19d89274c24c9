package tokenize

// builder assembles an Encoding: the post-processor's prefix, the text's
// tokens while they fit, the suffix. Tokens past the cut are still counted
// (that count is FullLength) but not stored, so a 100 kB text costs one
// linear pass and MaxLength tokens of memory.
type builder struct {
	enc     *Encoding
	layout  layout
	room    int // text tokens that fit between prefix and suffix
	content int // text tokens seen, kept or not
	words   int // words seen
}

func newBuilder(text string, l layout, maxLen int) *builder {
	room := maxLen - l.specials()
	// Nearly every token covers at least one byte of text, so len(text)
	// bounds the count well enough for a first allocation.
	c := min(maxLen, len(text)+l.specials())
	b := &builder{
		enc: &Encoding{
			Text:          text,
			IDs:           make([]int64, 0, c),
			TypeIDs:       make([]int64, 0, c),
			AttentionMask: make([]int64, 0, c),
			Tokens:        make([]string, 0, c),
			Offsets:       make([][2]int, 0, c),
			WordIDs:       make([]int, 0, c),
			Special:       make([]bool, 0, c),
		},
		layout: l,
		room:   room,
	}
	for _, s := range l.prefix {
		b.push(s.id, s.token, s.typeID, [2]int{}, -1, true)
	}
	return b
}

func (b *builder) push(id int64, tok string, typeID int64, off [2]int, word int, special bool) {
	e := b.enc
	e.IDs = append(e.IDs, id)
	e.TypeIDs = append(e.TypeIDs, typeID)
	e.AttentionMask = append(e.AttentionMask, 1)
	e.Tokens = append(e.Tokens, tok)
	e.Offsets = append(e.Offsets, off)
	e.WordIDs = append(e.WordIDs, word)
	e.Special = append(e.Special, special)
}

// newWord returns the index of the next word.
func (b *builder) newWord() int {
	b.words++
	return b.words - 1
}

// add appends one token of the text, covering text[start:end], if it fits.
func (b *builder) add(id int64, tok string, start, end, word int) {
	b.content++
	if b.content > b.room {
		return
	}
	b.push(id, tok, b.layout.typeID, [2]int{start, end}, word, false)
}

func (b *builder) finish() *Encoding {
	for _, s := range b.layout.suffix {
		b.push(s.id, s.token, s.typeID, [2]int{}, -1, true)
	}
	b.enc.Truncated = b.content > b.room
	b.enc.FullLength = b.content + b.layout.specials()
	return b.enc
}
