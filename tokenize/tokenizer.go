package tokenize

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/lucid-nlp/lucid/internal/readcap"
	"github.com/sugarme/tokenizer"
	"github.com/sugarme/tokenizer/model/wordpiece"
	"github.com/sugarme/tokenizer/pretrained"
)

// DefaultMaxLength is the maximum encoding length, special tokens included,
// when tokenizer.json sets none: BERT's 512 positions.
const DefaultMaxLength = 512

// Tokenizer turns texts into model inputs with offsets back into the text.
// It is safe for concurrent use.
type Tokenizer struct {
	maxLen        atomic.Int64
	defaultMaxLen int
	layout        layout
	// padShifts: the model computes position ids from the input ids, so a
	// pad id inside a row moves every later token (see PadShiftsPositions).
	padShifts atomic.Bool
	pair      pairLayout // the template for sentence pairs (pair.go)

	// raw cuts added tokens out of the original text before normalization.
	raw *addedMatcher

	tokens []string         // id -> token string
	ids    map[string]int64 // token string -> id, vocabulary and added tokens
	unkID  int64
	hasUnk bool

	// Exactly one of bert, bpe and sugar is set: bert for BERT-style
	// WordPiece tokenizers (normalized and split here), bpe for GPT-2's
	// byte-level BPE (RoBERTa; pre-tokenized and merged here), sugar for
	// everything else (sugarme's own pipeline, with its output repaired).
	bert  *bertPipeline
	bpe   *byteLevelBPE
	sugar *sugarPipeline

	scratch sync.Pool // *scratch
}

// bertPipeline is BertNormalizer + BertPreTokenizer + WordPiece.
type bertPipeline struct {
	norm bertNormalizer
	wp   *wordPiece
	// normAdded finds the added tokens that Hugging Face matches after
	// normalization ("normalized": true; usually tokens a fine-tune added).
	normAdded *addedMatcher
}

// Load reads a Hugging Face tokenizer.json. The maximum length starts at
// DefaultMaxLength, or at the file's truncation.max_length when it was saved
// with truncation on; set the model's own limit with SetMaxLength. Padding
// settings in the file are ignored: batches are padded by whoever builds
// them, with PadID.
func Load(path string) (*Tokenizer, error) {
	// Capped and cancellable (readcap): a huge file or /dev/zero is refused
	// at MaxFileBytes rather than read into memory.
	data, err := readcap.ReadFile(context.Background(), path, "tokenizer.json", MaxFileBytes)
	if err != nil {
		return nil, fmt.Errorf("tokenize: %w", err) // names the path
	}
	t, err := parse(data)
	if err != nil {
		return nil, fmt.Errorf("tokenize: %s: %w", path, err)
	}
	return t, nil
}

// Parse reads a Hugging Face tokenizer.json held in memory (a model
// embedded in the binary, say), as Load does from a file; name labels the
// data in error messages.
func Parse(name string, data []byte) (*Tokenizer, error) {
	t, err := parse(data)
	if err != nil {
		return nil, fmt.Errorf("tokenize: %s: %w", name, err)
	}
	return t, nil
}

func parse(data []byte) (*Tokenizer, error) {
	var cfg fileConfig
	if err := json.Unmarshal(data, &cfg); err != nil {
		return nil, fmt.Errorf("not a tokenizer.json: %w", err)
	}
	if componentType(cfg.Model) == "" && !bytes.Contains(cfg.Model, []byte(`"vocab"`)) {
		return nil, fmt.Errorf("not a tokenizer.json: it has no model with a vocabulary")
	}
	if err := checkVocab(cfg); err != nil {
		return nil, err
	}
	// A byte-level BPE is read and run here; sugarme reads everything else
	// (and owns the vocabulary there).
	var bpe *byteLevelBPE
	var tk *tokenizer.Tokenizer
	var modelVocab map[string]int64
	if isByteLevelBPE(cfg) {
		p, err := newByteLevelBPE(cfg)
		if err != nil {
			return nil, err
		}
		if p.coversAllBytes() {
			bpe, modelVocab = p, p.vocab
		}
	}
	if bpe == nil {
		var err error
		if tk, err = loadSugarme(data); err != nil {
			return nil, err
		}
		modelVocab = make(map[string]int64)
		for tok, id := range tk.GetModel().GetVocab() {
			modelVocab[tok] = int64(id)
		}
	}
	lay, err := parseLayout(cfg.PostProcessor)
	if err != nil {
		return nil, err
	}

	pl, err := parsePairLayout(cfg.PostProcessor)
	if err != nil {
		return nil, err
	}
	t := &Tokenizer{layout: lay, pair: pl, ids: make(map[string]int64), defaultMaxLen: DefaultMaxLength}
	if cfg.Truncation != nil && cfg.Truncation.MaxLength > 0 {
		// A file saved with truncation on: Hugging Face cuts there too.
		t.defaultMaxLen = cfg.Truncation.MaxLength
	}
	t.SetMaxLength(0)
	// RobertaProcessing frames RoBERTa-family texts, whose models count
	// positions over the ids that are not <pad>.
	t.padShifts.Store(componentType(cfg.PostProcessor) == "RobertaProcessing")

	// The vocabulary: the model's plus added tokens. Copied, because
	// sugarme's Tokenizer.GetVocab(true) writes the added tokens into the
	// model's own map.
	vocab := make(map[string]int64, len(modelVocab))
	for tok, id := range modelVocab {
		vocab[tok] = id
		t.ids[tok] = id
	}
	var raw, normAdded []addedToken
	for _, a := range cfg.AddedTokens {
		if a.Content == "" {
			continue
		}
		t.ids[a.Content] = a.ID
		at := addedToken{content: a.Content, id: a.ID, singleWord: a.SingleWord, lstrip: a.Lstrip, rstrip: a.Rstrip}
		if a.Normalized {
			normAdded = append(normAdded, at)
		} else {
			raw = append(raw, at)
		}
	}
	for _, s := range append(append(append(append(append([]specialToken(nil), lay.prefix...), lay.suffix...), pl.pre...), pl.mid...), pl.post...) {
		if _, ok := t.ids[s.token]; !ok {
			t.ids[s.token] = s.id
		}
	}
	// Special tokens of the post-processor may name ids of their own: they
	// are held to the vocabulary's bound too (checkVocab checked the rest).
	if err := checkIDs(t.ids, lay, int64(len(vocab)+len(cfg.AddedTokens)+len(lay.prefix)+len(lay.suffix)+pl.specials())); err != nil {
		return nil, err
	}
	if err := pl.checkIDs(int64(len(vocab) + len(cfg.AddedTokens) + len(lay.prefix) + len(lay.suffix) + pl.specials())); err != nil {
		return nil, err
	}
	t.buildTokenTable()

	if bpe != nil {
		t.bpe = bpe
		// As for sugarme below: added tokens are matched on the raw text,
		// which is the text the BPE sees (a byte-level file has no
		// normalizer).
		raw = append(raw, normAdded...)
		t.unkID, t.hasUnk = t.findUnk(cfg)
	} else if _, ok := tk.GetModel().(*wordpiece.WordPiece); ok && isBertPipeline(cfg) {
		p, err := newBertPipeline(cfg, vocab)
		if err != nil {
			return nil, err
		}
		t.bert = p
		t.unkID, t.hasUnk = p.wp.unk, true
		if len(normAdded) > 0 {
			// Hugging Face matches these on normalized text, so their
			// content is normalized the same way.
			for i := range normAdded {
				normAdded[i].content = p.norm.apply(normAdded[i].content)
			}
			p.normAdded = &addedMatcher{tokens: nonEmpty(normAdded)}
		}
	} else {
		// sugarme runs the pipeline on the text between added tokens. Tokens
		// Hugging Face would match after normalization are matched on the
		// raw text here: the same unless the normalizer respells them.
		raw = append(raw, normAdded...)
		t.sugar = &sugarPipeline{tk: tk}
		t.unkID, t.hasUnk = t.findUnk(cfg)
	}
	if len(raw) > 0 {
		t.raw = &addedMatcher{tokens: raw}
	}
	return t, nil
}

func nonEmpty(ts []addedToken) []addedToken {
	out := ts[:0]
	for _, t := range ts {
		if t.content != "" {
			out = append(out, t)
		}
	}
	return out
}

// loadSugarme builds sugarme's tokenizer from the file's bytes. sugarme's
// loaders use unchecked type assertions on the JSON, so a file with an
// unexpected shape panics inside it; that becomes an error here.
func loadSugarme(data []byte) (tk *tokenizer.Tokenizer, err error) {
	defer func() {
		if r := recover(); r != nil {
			tk, err = nil, fmt.Errorf("github.com/sugarme/tokenizer cannot read it: %v", r)
		}
	}()
	tk, err = pretrained.FromReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("github.com/sugarme/tokenizer cannot read it: %w", err)
	}
	if tk.GetModel() == nil {
		return nil, fmt.Errorf("github.com/sugarme/tokenizer found no model in it")
	}
	return tk, nil
}

// isBertPipeline reports whether the file describes the BERT family's
// pipeline (BERT, DistilBERT, MiniLM, ELECTRA, ...), which Lucid runs itself.
func isBertPipeline(cfg fileConfig) bool {
	switch componentType(cfg.Normalizer) {
	case "BertNormalizer", "":
	default:
		return false
	}
	return componentType(cfg.PreTokenizer) == "BertPreTokenizer"
}

func newBertPipeline(cfg fileConfig, vocab map[string]int64) (*bertPipeline, error) {
	var nc bertNormalizerConfig
	if componentType(cfg.Normalizer) == "BertNormalizer" {
		if err := json.Unmarshal(cfg.Normalizer, &nc); err != nil {
			return nil, fmt.Errorf("normalizer: %w", err)
		}
	} else {
		off := false // no normalizer at all: every switch off
		nc = bertNormalizerConfig{CleanText: &off, HandleChineseChars: &off, StripAccents: &off, Lowercase: &off}
	}
	var mc wordPieceConfig
	if err := json.Unmarshal(cfg.Model, &mc); err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	unk, prefix, maxChars := "[UNK]", "##", 100 // Hugging Face's defaults
	if mc.UnkToken != nil {
		unk = *mc.UnkToken
	}
	if mc.ContinuingSubwordPrefix != nil {
		prefix = *mc.ContinuingSubwordPrefix
	}
	if mc.MaxInputCharsPerWord != nil {
		maxChars = *mc.MaxInputCharsPerWord
	}
	unkID, ok := vocab[unk]
	if !ok {
		return nil, fmt.Errorf("model: WordPiece unk_token %q is not in the vocabulary", unk)
	}
	return &bertPipeline{
		norm: newBertNormalizer(nc),
		wp:   newWordPiece(vocab, unkID, prefix, maxChars),
	}, nil
}

func (t *Tokenizer) buildTokenTable() {
	size := int64(0)
	for _, id := range t.ids {
		size = max(size, id+1)
	}
	t.tokens = make([]string, size)
	// Sorted, so that when two strings share an id the table is the same
	// from run to run.
	keys := make([]string, 0, len(t.ids))
	for tok := range t.ids {
		keys = append(keys, tok)
	}
	sort.Strings(keys)
	for _, tok := range keys {
		if id := t.ids[tok]; id >= 0 && t.tokens[id] == "" {
			t.tokens[id] = tok
		}
	}
}

// findUnk is the unknown token of a non-WordPiece model: the model's
// unk_token when it names one, else the usual spellings.
func (t *Tokenizer) findUnk(cfg fileConfig) (int64, bool) {
	var mc struct {
		UnkToken *string `json:"unk_token"`
		UnkID    *int64  `json:"unk_id"` // Unigram
	}
	if json.Unmarshal(cfg.Model, &mc) == nil {
		if mc.UnkToken != nil {
			if id, ok := t.ids[*mc.UnkToken]; ok {
				return id, true
			}
		}
		if mc.UnkID != nil {
			return *mc.UnkID, true
		}
	}
	return t.lookup("[UNK]", "<unk>")
}

func (t *Tokenizer) lookup(names ...string) (int64, bool) {
	for _, n := range names {
		if id, ok := t.ids[n]; ok {
			return id, true
		}
	}
	return 0, false
}

// SetMaxLength sets the longest encoding Encode returns, special tokens
// included; longer texts lose their tail. Set it from the model's
// config.json max_position_embeddings. n < 1 restores the default (the
// file's truncation.max_length, else DefaultMaxLength); n is raised to the
// number of special tokens when below it, so [CLS] and [SEP] always fit.
func (t *Tokenizer) SetMaxLength(n int) {
	if n < 1 {
		n = t.defaultMaxLen
	}
	n = max(n, t.layout.specials())
	t.maxLen.Store(int64(n))
}

// MaxLength is the longest encoding Encode returns, special tokens included.
func (t *Tokenizer) MaxLength() int { return int(t.maxLen.Load()) }

// PadShiftsPositions reports whether the model this tokenizer feeds
// computes position ids from the input ids, as RoBERTa-family models do
// (position = padding_idx + the count of non-pad ids up to the token). In
// such a model a pad id in the middle of a row is not "this token is
// absent" but "delete it": every later token moves back one position. So
// maskers that turn a token's attention off must not write the pad id
// there. It is true for tokenizers with a RobertaProcessing post-processor;
// models.LoadFolder also sets it from config.json's model_type.
func (t *Tokenizer) PadShiftsPositions() bool { return t.padShifts.Load() }

// SetPadShiftsPositions records whether the model computes positions from
// the input ids (see PadShiftsPositions).
func (t *Tokenizer) SetPadShiftsPositions(v bool) { t.padShifts.Store(v) }

// MaskID is the id of the mask token ([MASK] or <mask>); false when the
// vocabulary has none.
func (t *Tokenizer) MaskID() (int64, bool) { return t.lookup("[MASK]", "<mask>") }

// PadID is the id of the padding token ([PAD] or <pad>), or 0 when the
// vocabulary has neither (0 is [PAD] in BERT vocabularies). Padding
// positions carry attention mask 0, so the model does not see the value.
func (t *Tokenizer) PadID() int64 {
	id, _ := t.lookup("[PAD]", "<pad>")
	return id
}

// UnkID is the id of the unknown token; false when the model has none (a
// byte-level BPE never needs one).
func (t *Tokenizer) UnkID() (int64, bool) { return t.unkID, t.hasUnk }

// TokenString is the vocabulary string of id ("##ffa", "[CLS]"), or "" for
// an id outside the vocabulary.
func (t *Tokenizer) TokenString(id int64) string {
	if id < 0 || id >= int64(len(t.tokens)) {
		return ""
	}
	return t.tokens[id]
}

// VocabSize is one more than the largest token id, added tokens included:
// the number of rows a model's embedding matrix needs.
func (t *Tokenizer) VocabSize() int { return len(t.tokens) }

// Encode tokenizes one text. It fails only on text that is not valid UTF-8
// (the error wraps ErrInvalidUTF8 and says where) or when sugarme does.
// Empty text gives just the special tokens ([CLS] [SEP]); so does
// all-whitespace text with BERT-style tokenizers (a byte-level BPE keeps
// whitespace as tokens, as Hugging Face's does).
func (t *Tokenizer) Encode(text string) (*Encoding, error) {
	e, err := t.encode(text)
	if err != nil {
		return nil, fmt.Errorf("tokenize: %w", err)
	}
	return e, nil
}

// EncodeBatch tokenizes texts, in order, on up to GOMAXPROCS goroutines.
// On failure it returns the error of the first failing text, which names
// its index.
func (t *Tokenizer) EncodeBatch(texts []string) ([]*Encoding, error) {
	out := make([]*Encoding, len(texts))
	errs := make([]error, len(texts))
	workers := min(runtime.GOMAXPROCS(0), len(texts))
	if t.sugar != nil {
		workers = 1 // sugarme runs under a lock: more goroutines would only wait
	}
	var next atomic.Int64
	work := func() {
		for {
			i := int(next.Add(1) - 1)
			if i >= len(texts) {
				return
			}
			out[i], errs[i] = t.encode(texts[i])
		}
	}
	if workers <= 1 {
		work()
	} else {
		var wg sync.WaitGroup
		for range workers {
			wg.Go(work)
		}
		wg.Wait()
	}
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("tokenize: text %d of %d: %w", i, len(texts), err)
		}
	}
	return out, nil
}

// scratch is per-call working memory, pooled because Encode is called once
// per text on hot paths (audits over whole files).
type scratch struct {
	norm    normalized
	word    wordScratch
	matches []match
	nm      []match
	nbytes  []byte
	nbounds []int
	pre     []preToken // byte-level BPE
	spans   [][2]int
}

// maxPooledRunes keeps one huge text from pinning megabytes in the pool.
const maxPooledRunes = 1 << 16

func (t *Tokenizer) getScratch() *scratch {
	if s, ok := t.scratch.Get().(*scratch); ok {
		return s
	}
	return new(scratch)
}

func (t *Tokenizer) putScratch(s *scratch) {
	if cap(s.norm.runes) <= maxPooledRunes {
		t.scratch.Put(s)
	}
}

func (t *Tokenizer) encode(text string) (*Encoding, error) {
	return t.encodeWith(text, t.layout, t.MaxLength())
}

// encodeWith encodes text framed by l, keeping at most maxLen tokens
// (EncodePair encodes each text with no frame, then frames the pair).
func (t *Tokenizer) encodeWith(text string, l layout, maxLen int) (*Encoding, error) {
	if err := checkUTF8(text); err != nil {
		return nil, err
	}
	b := newBuilder(text, l, maxLen)
	s := t.getScratch()
	defer t.putScratch(s)

	// Added tokens first, as Hugging Face does: the text between them is
	// normalized and split; each added token is one token and one word.
	s.matches = t.raw.find(text, s.matches[:0])
	pos := 0
	for _, m := range s.matches {
		if err := t.encodeSpan(text, pos, m.from, b, s); err != nil {
			return nil, err
		}
		b.add(m.id, t.TokenString(m.id), m.start, m.end, b.newWord())
		pos = m.to
	}
	if err := t.encodeSpan(text, pos, len(text), b, s); err != nil {
		return nil, err
	}
	return b.finish(), nil
}

func (t *Tokenizer) encodeSpan(text string, from, to int, b *builder, s *scratch) error {
	if from >= to {
		return nil
	}
	if t.sugar != nil {
		return t.sugar.encodeSpan(text, from, to, b)
	}
	if t.bpe != nil {
		t.bpe.encodeSpan(text, from, to, b, s)
		return nil
	}
	t.bert.encodeSpan(t, text, from, to, b, s)
	return nil
}

func (p *bertPipeline) encodeSpan(t *Tokenizer, text string, from, to int, b *builder, s *scratch) {
	n := &s.norm
	words := func(a, z int) {
		pieces := p.wp.tokenize(n.runes[a:z], &s.word)
		w := b.newWord()
		for _, pc := range pieces {
			b.add(pc.id, t.TokenString(pc.id), n.start[a+pc.a], n.end[a+pc.b-1], w)
		}
	}
	if p.normAdded == nil {
		// Normalize and split a few kilobytes at a time, cutting after
		// whitespace (always a word boundary), so that a long text needs
		// only a chunk's worth of working memory.
		for from < to {
			cut := chunkEnd(text, from, to)
			n.reset()
			p.norm.normalize(text, from, cut, n)
			splitWords(n, 0, len(n.runes), words)
			from = cut
		}
		return
	}
	n.reset()
	p.norm.normalize(text, from, to, n)
	// Added tokens matched on the normalized text: find them in its UTF-8
	// form, then map byte positions back to characters.
	s.nbytes, s.nbounds = s.nbytes[:0], s.nbounds[:0]
	for _, r := range n.runes {
		s.nbounds = append(s.nbounds, len(s.nbytes))
		s.nbytes = utf8.AppendRune(s.nbytes, r)
	}
	s.nbounds = append(s.nbounds, len(s.nbytes))
	s.nm = p.normAdded.find(string(s.nbytes), s.nm[:0])
	char := func(byteOff int) int { return sort.SearchInts(s.nbounds, byteOff) }
	pos := 0
	for _, m := range s.nm {
		a, z := char(m.start), char(m.end)
		splitWords(n, pos, char(m.from), words)
		b.add(m.id, t.TokenString(m.id), n.start[a], n.end[z-1], b.newWord())
		pos = char(m.to)
	}
	splitWords(n, pos, len(n.runes), words)
}

// chunkSize is how much text the BERT path normalizes at once.
const chunkSize = 4 << 10

// chunkEnd is where the chunk of text[from:to] that starts at from ends:
// just after the first whitespace at or past from+chunkSize, or at to.
func chunkEnd(text string, from, to int) int {
	i := from + chunkSize
	if i >= to {
		return to
	}
	for i < to && !utf8.RuneStart(text[i]) {
		i++
	}
	for i < to {
		r, size := rune(text[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(text[i:to])
		}
		i += size
		if isWhitespace(r) {
			return i
		}
	}
	return to
}

// apply normalizes s on its own (for added-token contents).
func (n bertNormalizer) apply(s string) string {
	var out normalized
	n.normalize(s, 0, len(s), &out)
	return string(out.runes)
}
