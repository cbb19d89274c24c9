package tokenize

import (
	"container/heap"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// byteLevelBPE is GPT-2's byte-level BPE (RoBERTa, GPT-2, BART, Longformer,
// ...), run here rather than by sugarme, whose v0.3.0 differs from Hugging
// Face on common text in two ways:
//
//   - its BPE merges runs of one symbol in another order: " 2000" becomes
//     Ġ20 00 where the merge ranks give the single token Ġ2000, and "!!!!!",
//     "......", "soooo", "baaaaad" split wrongly the same way;
//   - its pre-tokenizer applies GPT-2's \s+(?!\S) rule to spaces only, so
//     "a\n\nb" gives ĊĊ where Hugging Face gives Ċ Ċ (and runs of U+00A0
//     likewise).
//
// Both change the ids, and so the model's answer (logits moved by up to
// 0.135 on SST-2 texts). The pre-tokenizer below is a scanner equal to
// GPT-2's regex, and merge applies the merges lowest rank first, leftmost
// first among equal ranks, over the whole word until none applies: BPE's
// definition and Hugging Face's order.
type byteLevelBPE struct {
	vocab  map[string]int64
	merges map[[2]string]mergeRule
	// addPrefixSpace puts a space before each span of text that does not
	// start with one (ByteLevel pre-tokenizer's add_prefix_space).
	addPrefixSpace bool
	// trim drops the spaces a token starts or ends with from its offsets,
	// as the RobertaProcessing / ByteLevel post-processor's trim_offsets
	// does.
	trim bool
	// ignoreMerges: a word that is a vocabulary token is that token
	// (Hugging Face's BPE ignore_merges, set by Llama-3-style files).
	ignoreMerges bool

	cache sync.Map // pre-token string -> []bpeToken
	// cached counts entries in cache, which stops growing at maxCache.
	cachedMu sync.Mutex
	cached   int
}

// maxCache bounds the words byteLevelBPE remembers; past it, words are
// merged afresh each time (a cache that grows with every new word of a
// long-running server would be a leak).
const maxCache = 1 << 16

// maxCachedWord is the longest word (in bytes of its byte-level string)
// the cache keeps, so the cache holds at most maxCache short words and a
// server fed long runs of letters does not keep them (Hugging Face's BPE
// cache has the same kind of bound).
const maxCachedWord = 256

type mergeRule struct {
	rank int
	id   int64
	tok  string
}

// bpeToken is one token of a word: its id and string, and the range
// [a, b) of the word's byte-level characters it covers.
type bpeToken struct {
	id   int64
	tok  string
	a, b int
}

// bpeModelConfig is the BPE model section of tokenizer.json.
type bpeModelConfig struct {
	Type                    string            `json:"type"`
	Dropout                 *float64          `json:"dropout"`
	UnkToken                *string           `json:"unk_token"`
	ContinuingSubwordPrefix *string           `json:"continuing_subword_prefix"`
	EndOfWordSuffix         *string           `json:"end_of_word_suffix"`
	ByteFallback            bool              `json:"byte_fallback"`
	IgnoreMerges            bool              `json:"ignore_merges"`
	Vocab                   map[string]int64  `json:"vocab"`
	Merges                  []json.RawMessage `json:"merges"`
}

type byteLevelConfig struct {
	Type           string `json:"type"`
	AddPrefixSpace *bool  `json:"add_prefix_space"`
	TrimOffsets    *bool  `json:"trim_offsets"`
	UseRegex       *bool  `json:"use_regex"`
}

// isByteLevelBPE reports whether the file describes GPT-2's byte-level BPE
// as this package runs it: no normalizer, the ByteLevel pre-tokenizer with
// its regex, and a BPE model without dropout, word prefixes or suffixes.
// Anything else (a BPE with a Metaspace pre-tokenizer, say) stays with
// sugarme.
func isByteLevelBPE(cfg fileConfig) bool {
	if componentType(cfg.Normalizer) != "" || componentType(cfg.PreTokenizer) != "ByteLevel" || componentType(cfg.Model) != "BPE" {
		return false
	}
	var pre byteLevelConfig
	if json.Unmarshal(cfg.PreTokenizer, &pre) != nil || (pre.UseRegex != nil && !*pre.UseRegex) {
		return false
	}
	var m bpeModelConfig
	if json.Unmarshal(cfg.Model, &m) != nil {
		return false
	}
	return (m.Dropout == nil || *m.Dropout == 0) && !m.ByteFallback &&
		(m.ContinuingSubwordPrefix == nil || *m.ContinuingSubwordPrefix == "") &&
		(m.EndOfWordSuffix == nil || *m.EndOfWordSuffix == "")
}

func newByteLevelBPE(cfg fileConfig) (*byteLevelBPE, error) {
	var pre byteLevelConfig
	if err := json.Unmarshal(cfg.PreTokenizer, &pre); err != nil {
		return nil, fmt.Errorf("pre_tokenizer: %w", err)
	}
	var m bpeModelConfig
	if err := json.Unmarshal(cfg.Model, &m); err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	p := &byteLevelBPE{
		vocab:          m.Vocab,
		merges:         make(map[[2]string]mergeRule, len(m.Merges)),
		addPrefixSpace: pre.AddPrefixSpace == nil || *pre.AddPrefixSpace, // Hugging Face's default: true
		trim:           postTrims(cfg.PostProcessor),
		ignoreMerges:   m.IgnoreMerges,
	}
	for rank, raw := range m.Merges {
		a, b, err := parseMerge(raw)
		if err != nil {
			return nil, fmt.Errorf("model.merges[%d]: %w", rank, err)
		}
		id, ok := m.Vocab[a+b]
		if !ok {
			return nil, fmt.Errorf("model.merges[%d]: %q + %q gives %q, which is not in the vocabulary", rank, a, b, a+b)
		}
		if _, dup := p.merges[[2]string{a, b}]; !dup { // the first (lowest) rank wins, as in Hugging Face
			p.merges[[2]string{a, b}] = mergeRule{rank: rank, id: id, tok: a + b}
		}
	}
	return p, nil
}

// coversAllBytes reports whether every byte's character is in the
// vocabulary, as in every byte-level vocabulary Hugging Face trains. A file
// without them would need the unknown-token rules of Hugging Face's BPE,
// which this path does not implement; sugarme runs such a file.
func (p *byteLevelBPE) coversAllBytes() bool {
	for _, c := range byteChar {
		if _, ok := p.vocab[c]; !ok {
			return false
		}
	}
	return true
}

// parseMerge reads one merge, "a b" (tokenizers before 0.20) or ["a", "b"].
func parseMerge(raw json.RawMessage) (string, string, error) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		a, b, ok := strings.Cut(s, " ")
		if !ok || a == "" || b == "" || strings.Contains(b, " ") {
			return "", "", fmt.Errorf("%q is not two symbols separated by one space", s)
		}
		return a, b, nil
	}
	var pair []string
	if json.Unmarshal(raw, &pair) == nil && len(pair) == 2 && pair[0] != "" && pair[1] != "" {
		return pair[0], pair[1], nil
	}
	return "", "", fmt.Errorf("%s is neither \"a b\" nor [\"a\", \"b\"]", clip(string(raw)))
}

// postTrims reports whether the post-processor trims spaces from offsets:
// RobertaProcessing and ByteLevel do unless trim_offsets is false (both
// default to true), alone or in a Sequence. TemplateProcessing does not.
func postTrims(raw json.RawMessage) bool {
	switch componentType(raw) {
	case "RobertaProcessing", "ByteLevel":
		var p struct {
			TrimOffsets *bool `json:"trim_offsets"`
		}
		return json.Unmarshal(raw, &p) == nil && (p.TrimOffsets == nil || *p.TrimOffsets)
	case "Sequence":
		var p struct {
			Processors []json.RawMessage `json:"processors"`
		}
		if json.Unmarshal(raw, &p) != nil {
			return false
		}
		for _, sub := range p.Processors {
			if postTrims(sub) {
				return true
			}
		}
	}
	return false
}

// byteChar is GPT-2's bytes_to_unicode: byte b is written as byteChar[b].
// Printable bytes ('!'..'~', '¡'..'¬', '®'..'ÿ') stand for themselves; the
// others, in byte order, are U+0100, U+0101, ... (space is 'Ġ', U+0120;
// newline 'Ċ', U+010A).
var byteChar = func() [256]string {
	var out [256]string
	n := 0
	for b := range 256 {
		if b >= '!' && b <= '~' || b >= 0xA1 && b <= 0xAC || b >= 0xAE && b <= 0xFF {
			out[b] = string(rune(b))
		} else {
			out[b] = string(rune(256 + n))
			n++
		}
	}
	return out
}()

// spaceChar is the byte-level character of ' '.
const spaceChar = "Ġ"

// preToken is one match of GPT-2's regex in text: text[start:end].
type preToken struct{ start, end int }

// gpt2Split splits s as GPT-2's pre-tokenizer regex does,
//
//	's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//
// scanning left to right and taking, at each position, the first
// alternative that matches (each alternative greedy, as the regex engine
// does). Every character is whitespace, a letter, a number or none of
// these, so the matches tile s. \s is Unicode White_Space (Oniguruma's and
// Go's unicode.IsSpace agree on it: tab to CR, space, U+0085, U+00A0,
// U+1680, U+2000..U+200A, U+2028, U+2029, U+202F, U+205F, U+3000).
func gpt2Split(s string, dst []preToken) []preToken {
	i := 0
	for i < len(s) {
		j := gpt2Match(s, i)
		dst = append(dst, preToken{i, j})
		i = j
	}
	return dst
}

type charClass int

const (
	classOther charClass = iota
	classSpace
	classLetter
	classNumber
)

func classOf(r rune) charClass {
	switch {
	case unicode.IsSpace(r):
		return classSpace
	case unicode.IsLetter(r):
		return classLetter
	case unicode.IsNumber(r):
		return classNumber
	}
	return classOther
}

func decode(s string, i int) (rune, int) {
	if s[i] < utf8.RuneSelf {
		return rune(s[i]), 1
	}
	return utf8.DecodeRuneInString(s[i:])
}

// runOf is the end of the run of characters of class c starting at i.
func runOf(s string, i int, c charClass) int {
	for i < len(s) {
		r, n := decode(s, i)
		if classOf(r) != c {
			break
		}
		i += n
	}
	return i
}

// gpt2Match is the end of the regex's match starting at i (i < len(s)).
func gpt2Match(s string, i int) int {
	// 's|'t|'re|'ve|'m|'ll|'d (case-sensitive, in this order).
	if s[i] == '\'' {
		for _, c := range [...]string{"s", "t", "re", "ve", "m", "ll", "d"} {
			if strings.HasPrefix(s[i+1:], c) {
				return i + 1 + len(c)
			}
		}
	}
	r, n := decode(s, i)
	c := classOf(r)
	// ` ?X+` for X = \p{L}, \p{N}, [^\s\p{L}\p{N}]: a literal space may lead.
	if r == ' ' && i+1 < len(s) {
		r2, n2 := decode(s, i+1)
		if c2 := classOf(r2); c2 != classSpace {
			return runOf(s, i+1+n2, c2)
		}
	}
	if c != classSpace {
		return runOf(s, i+n, c)
	}
	// \s+(?!\S): the whitespace run, less its last character when a
	// non-space follows (that character then leads the next match, or is
	// a match of its own); \s+ when the run is that one character.
	end := runOf(s, i+n, classSpace)
	if end == len(s) {
		return end
	}
	_, last := utf8.DecodeLastRuneInString(s[:end])
	if end-last > i {
		return end - last
	}
	return end
}

// word returns the tokens of one pre-token, its byte-level string given.
func (p *byteLevelBPE) word(w string) []bpeToken {
	if v, ok := p.cache.Load(w); ok {
		return v.([]bpeToken)
	}
	toks := p.merge(w)
	if len(w) > maxCachedWord {
		return toks
	}
	p.cachedMu.Lock()
	if p.cached < maxCache {
		p.cached++
		p.cache.Store(w, toks)
	}
	p.cachedMu.Unlock()
	return toks
}

// symbol is one symbol of a word being merged: a doubly linked list over
// the word's characters, so a merge is O(1).
type symbol struct {
	tok        string
	a, b       int // byte-level characters [a, b) of the word
	prev, next int // -1 at the ends
	dead       bool
}

// candidate is a possible merge of symbol pos with the one after it.
type candidate struct {
	rank, pos   int
	left, right string // the pair it was made for
	rule        mergeRule
}

type candidates []candidate

func (h candidates) Len() int { return len(h) }
func (h candidates) Less(i, j int) bool {
	if h[i].rank != h[j].rank {
		return h[i].rank < h[j].rank
	}
	return h[i].pos < h[j].pos
}
func (h candidates) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *candidates) Push(x any)   { *h = append(*h, x.(candidate)) }
func (h *candidates) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// merge runs BPE over one word: starting from its characters, it applies
// the merge of lowest rank among all adjacent pairs (the leftmost where
// two pairs have that rank), then again on the result, until no adjacent
// pair has a merge. This is Hugging Face's order (a heap of (rank,
// position), stale entries skipped), which for merges learned by BPE is
// also the original GPT-2 loop's.
func (p *byteLevelBPE) merge(w string) []bpeToken {
	if p.ignoreMerges {
		if id, ok := p.vocab[w]; ok {
			return []bpeToken{{id: id, tok: w, a: 0, b: utf8.RuneCountInString(w)}}
		}
	}
	syms := make([]symbol, 0, len(w))
	k := 0
	for _, r := range w {
		syms = append(syms, symbol{tok: string(r), a: k, b: k + 1, prev: len(syms) - 1, next: len(syms) + 1})
		k++
	}
	if len(syms) == 0 {
		return nil
	}
	syms[len(syms)-1].next = -1
	var h candidates
	for i := 0; i+1 < len(syms); i++ {
		if r, ok := p.merges[[2]string{syms[i].tok, syms[i+1].tok}]; ok {
			h = append(h, candidate{rank: r.rank, pos: i, left: syms[i].tok, right: syms[i+1].tok, rule: r})
		}
	}
	heap.Init(&h)
	for h.Len() > 0 {
		c := heap.Pop(&h).(candidate)
		s := &syms[c.pos]
		// Stale: the symbol was merged away, or its pair changed since.
		if s.dead || s.next < 0 || s.tok != c.left || syms[s.next].tok != c.right {
			continue
		}
		nx := &syms[s.next]
		s.tok, s.b = c.rule.tok, nx.b
		nx.dead = true
		s.next = nx.next
		if s.next >= 0 {
			syms[s.next].prev = c.pos
		}
		if s.prev >= 0 {
			if r, ok := p.merges[[2]string{syms[s.prev].tok, s.tok}]; ok {
				heap.Push(&h, candidate{rank: r.rank, pos: s.prev, left: syms[s.prev].tok, right: s.tok, rule: r})
			}
		}
		if s.next >= 0 {
			if r, ok := p.merges[[2]string{s.tok, syms[s.next].tok}]; ok {
				heap.Push(&h, candidate{rank: r.rank, pos: c.pos, left: s.tok, right: syms[s.next].tok, rule: r})
			}
		}
	}
	out := make([]bpeToken, 0, len(syms))
	for i := 0; i >= 0; i = syms[i].next {
		s := syms[i]
		id, ok := p.vocab[s.tok]
		if !ok {
			// Not reached: every byte is in the vocabulary (coversAllBytes)
			// and every merge's result too (newByteLevelBPE).
			continue
		}
		out = append(out, bpeToken{id: id, tok: s.tok, a: s.a, b: s.b})
	}
	return out
}

// encodeSpan tokenizes text[from:to] (no added tokens in it) into b.
func (p *byteLevelBPE) encodeSpan(text string, from, to int, b *builder, s *scratch) {
	seg := text[from:to]
	prefixed := p.addPrefixSpace && !strings.HasPrefix(seg, " ")
	if prefixed {
		seg = " " + seg
	}
	// src maps a position in seg back to text: the added space is
	// synthetic (it covers no text).
	src := func(i int) int {
		if prefixed {
			i--
		}
		return from + max(i, 0)
	}
	s.pre = gpt2Split(seg, s.pre[:0])
	var chars strings.Builder
	for _, pt := range s.pre {
		// The pre-token's bytes as byte-level characters, and for each
		// character the span of the source character its byte belongs to
		// (a token holding part of an emoji gets the whole emoji, as in
		// Hugging Face).
		chars.Reset()
		s.spans = s.spans[:0]
		for i := pt.start; i < pt.end; {
			_, n := decode(seg, i)
			a, z := src(i), src(i+n)
			if prefixed && i == 0 {
				a, z = -1, -1 // the synthetic space
			}
			for k := range n {
				chars.WriteString(byteChar[seg[i+k]])
				s.spans = append(s.spans, [2]int{a, z})
			}
			i += n
		}
		w := b.newWord()
		for _, t := range p.word(chars.String()) {
			start, end := p.offsets(t, s.spans)
			b.add(t.id, t.tok, start, end, w)
		}
	}
}

// offsets is the span of text a token covers: from the first to the last
// of its characters' sources, less its leading and trailing spaces when
// the post-processor trims them (Hugging Face's trim_offsets: a token that
// is all spaces keeps an empty span at its end). The synthetic prefix space
// covers nothing, so it is never trimmed off a word's first letter.
func (p *byteLevelBPE) offsets(t bpeToken, spans [][2]int) (int, int) {
	a, b := t.a, t.b
	start, end := -1, -1
	for _, sp := range spans[a:b] {
		if sp[0] < 0 {
			continue
		}
		if start < 0 {
			start = sp[0]
		}
		end = max(end, sp[1])
	}
	if start < 0 { // only the synthetic space: an empty span where the text starts
		next := b
		for next < len(spans) && spans[next][0] < 0 {
			next++
		}
		if next < len(spans) {
			return spans[next][0], spans[next][0]
		}
		return 0, 0
	}
	if !p.trim {
		return start, end
	}
	runes := []rune(t.tok)
	lead, trail := 0, 0
	for lead < len(runes) && string(runes[lead]) == spaceChar {
		lead++
	}
	for trail < len(runes)-lead && string(runes[len(runes)-1-trail]) == spaceChar {
		trail++
	}
	if lead == len(runes) {
		trail = 0
	}
	// A leading synthetic space is not in [start, end); do not count it.
	if lead > 0 && spans[a][0] < 0 {
		lead--
	}
	start = min(start+lead, end)
	end = max(end-trail, start)
	return start, end
}
