package perturb

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/tokenize"
)

// rawCase is one line of testdata/raw_words.jsonl: a raw sentence, its
// words by Segment alone, its word features with the shipped model's
// tokenizer, and (where they differ) with RoBERTa's byte-level BPE.
type rawCase struct {
	Text    string   `json:"text"`
	Segment []string `json:"segment"`
	Words   []string `json:"words"`
	RoBERTa []string `json:"roberta"`
}

func rawCases(t *testing.T) []rawCase {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "raw_words.jsonl"))
	require.NoError(t, err)
	defer f.Close()
	var out []rawCase
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var c rawCase
		require.NoError(t, json.Unmarshal(sc.Bytes(), &c), "line %d", len(out)+1)
		out = append(out, c)
	}
	require.NoError(t, sc.Err())
	require.GreaterOrEqual(t, len(out), 60, "the raw-text set has at least 60 sentences")
	return out
}

func texts(feats []Feature) []string {
	out := make([]string, len(feats))
	for i, f := range feats {
		out[i] = f.Text
	}
	return out
}

// checkWordMap checks what every word map must be: each non-special token
// in exactly one feature, features in text order and not overlapping, a
// feature's text its source span.
func checkWordMap(t *testing.T, enc *tokenize.Encoding, feats []Feature) {
	t.Helper()
	seen := make([]int, enc.Len())
	lastEnd := 0
	for _, f := range feats {
		assert.Equal(t, enc.Text[f.Start:f.End], f.Text)
		assert.GreaterOrEqual(t, f.Start, lastEnd, "features in order, disjoint: %q", f.Text)
		lastEnd = f.End
		for _, pos := range f.Tokens {
			seen[pos]++
		}
	}
	for pos, n := range seen {
		if enc.Special[pos] {
			assert.Zero(t, n, "special token %d in a feature", pos)
		} else {
			assert.Equal(t, 1, n, "token %d (%q) of %q in exactly one feature", pos, enc.Tokens[pos], enc.Text)
		}
	}
}

// joined finds the words a reader names as one though they hold an
// apostrophe or a hyphen between letters: contractions, possessives,
// compounds.
var joined = regexp.MustCompile(`\p{L}+(?:['’-]\p{L}+)+`)

func TestWordsOnRawTextWithTheShippedTokenizer(t *testing.T) {
	tok := defaultTokenizer(t)
	oneFeature, total := 0, 0
	for _, c := range rawCases(t) {
		var seg []string
		for _, w := range Segment(c.Text) {
			seg = append(seg, c.Text[w.Start:w.End])
		}
		assert.Equal(t, c.Segment, seg, "Segment(%q)", c.Text)
		enc, err := tok.Encode(c.Text)
		require.NoError(t, err)
		feats := Features(enc, Words)
		assert.Equal(t, c.Words, texts(feats), "word features of %q", c.Text)
		checkWordMap(t, enc, feats)
		have := map[string]bool{}
		for _, f := range feats {
			have[f.Text] = true
		}
		for _, w := range joined.FindAllString(c.Text, -1) {
			total++
			if have[w] {
				oneFeature++
			}
		}
	}
	t.Logf("%d of %d contractions, possessives and hyphenated words are one feature each", oneFeature, total)
	assert.Equal(t, total, oneFeature)
	assert.GreaterOrEqual(t, total, 60)
}

func TestWordsOnRawTextWithRoBERTa(t *testing.T) {
	path := sharedFile(t, "data", "tokenizers", "roberta-base", "tokenizer.json")
	tok, err := tokenize.Load(path)
	require.NoError(t, err)
	for _, c := range rawCases(t) {
		enc, err := tok.Encode(c.Text)
		require.NoError(t, err)
		feats := Features(enc, Words)
		want := c.Words
		if c.RoBERTa != nil {
			want = c.RoBERTa
		}
		assert.Equal(t, want, texts(feats), "RoBERTa word features of %q", c.Text)
		checkWordMap(t, enc, feats)
	}
}

func TestSegmentTailoring(t *testing.T) {
	cases := []struct {
		text string
		want []string
	}{
		// URLs lose the sentence's punctuation after them, keep their own.
		{"(see https://en.wikipedia.org/wiki/Heat_(1995_film)).", []string{"(", "see", "https://en.wikipedia.org/wiki/Heat_(1995_film)", ")", "."}},
		{"visit www.example.org!", []string{"visit", "www.example.org", "!"}},
		{"awww.nice", []string{"awww.nice"}}, // not a URL: www. inside a word
		{"http:// alone", []string{"http", ":", "//", "alone"}},
		// Handles and hashtags only at a word's start.
		{"@a_b,#c x#y", []string{"@a_b", ",", "#c", "x", "#", "y"}},
		// Hyphens join words, not marks or spaces.
		{"well-made - not -bad", []string{"well-made", "-", "not", "-", "bad"}},
		{"on‑the‑nose", []string{"on‑the‑nose"}}, // U+2011 non-breaking hyphens
		// Pre-split clitics and Penn Treebank brackets.
		{"director 's does n't -LRB- x -rrb-", []string{"director", "'s", "does", "n't", "-LRB-", "x", "-rrb-"}},
		{"'tis 'S", []string{"'", "tis", "'S"}},
		// Initialisms, repeated marks, mixed marks.
		{"e.g. U.S. etc.", []string{"e.g.", "U.S.", "etc", "."}},
		{"what?!... --", []string{"what", "?", "!", "...", "--"}},
		// Emoji: ZWJ family, skin tone, flag, keycap; neighbours split.
		{"👩🏾‍💻👍🏻🇯🇵1️⃣", []string{"👩🏾‍💻", "👍🏻", "🇯🇵", "1️⃣"}},
		{"", nil},
		{"  \n\t ", nil},
	}
	for _, c := range cases {
		var got []string
		for _, w := range Segment(c.text) {
			got = append(got, c.text[w.Start:w.End])
		}
		assert.Equal(t, c.want, got, "Segment(%q)", c.text)
	}
}

func TestDropPunctuation(t *testing.T) {
	tok := defaultTokenizer(t)
	enc, err := tok.Encode(`"Great," she said -- don't miss it... really!`)
	require.NoError(t, err)
	all := Features(enc, Words)
	assert.Equal(t, []string{`"`, "Great", ",", `"`, "she", "said", "--", "don't", "miss", "it", "...", "really", "!"}, texts(all))
	drop := FeatureOptions{DropPunctuation: true}
	words := FeaturesWith(enc, Words, drop)
	assert.Equal(t, []string{"Great", "she", "said", "don't", "miss", "it", "really"}, texts(words))
	for _, f := range FeaturesWith(enc, Tokens, drop) {
		assert.NotRegexp(t, `^\pP+$`, f.Text, "a punctuation token at the token level")
	}
	// Sentences keep their span but not their marks' tokens.
	sents := FeaturesWith(enc, Sentences, drop)
	require.Len(t, sents, 2)
	assert.Equal(t, `"Great," she said -- don't miss it...`, sents[0].Text)
	n := 0
	for _, w := range words {
		n += len(w.Tokens)
	}
	m := 0
	for _, s := range sents {
		m += len(s.Tokens)
	}
	assert.Equal(t, n, m, "sentences hold exactly the kept words' tokens")
	// A text of marks alone has no features without them.
	marks, err := tok.Encode("?! ...")
	require.NoError(t, err)
	assert.Empty(t, FeaturesWith(marks, Words, drop))
	assert.Empty(t, FeaturesWith(marks, Sentences, drop))
	assert.Len(t, Features(marks, Words), 3)
}

func TestMaskTokenTextIsOneWord(t *testing.T) {
	// An edited text shows removed words as "[MASK]"; re-read, it must be
	// one feature, whatever surrounds it.
	tok := defaultTokenizer(t)
	enc, err := tok.Encode("a [MASK], (really [MASK]).")
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "[MASK]", ",", "(", "really", "[MASK]", ")", "."}, texts(Features(enc, Words)))
}

// sharedFile finds a file under the shared folder beside the repository
// (../shared of the checkout, or of any folder above it, so a worktree
// nested one level deeper finds it too), or skips the test.
func sharedFile(t *testing.T, parts ...string) string {
	t.Helper()
	dir, err := filepath.Abs(".")
	require.NoError(t, err)
	rel := filepath.Join(append([]string{"shared"}, parts...)...)
	for {
		p := filepath.Join(dir, rel)
		if _, err := os.Stat(p); err == nil {
			return p
		}
		up := filepath.Dir(dir)
		if up == dir {
			t.Skipf("%s not found in a shared folder beside the repository or above it", rel)
		}
		dir = up
	}
}

// FuzzSegment checks Segment and the word map on any text: words are in
// order, non-empty, disjoint and hold no space; the text between them is
// only spaces; Punct says whether a word is all punctuation; and with the
// shipped tokenizer every non-special token is in exactly one word feature,
// with or without punctuation features (then none is punctuation only).
//
//	go test -run '^$' -fuzz '^FuzzSegment$' -fuzztime 10s ./perturb
func FuzzSegment(f *testing.F) {
	for _, s := range []string{"I don't like it.", "well-made -- on‑the‑nose!!", "see https://x.org/a_(b)).", "@a #b c@d.e",
		"👩🏾‍💻👍🏻🇯🇵1️⃣😍😍", "does n't -lrb- 's -rrb-", "e.g. U.S. 3.5 1,000", "\u200d\u0301x", "'", "-", "www."} {
		f.Add(s)
	}
	tok, err := tokenize.Load(filepath.Join("..", "models", "sst2-mini-bert", "tokenizer.json"))
	if err != nil {
		f.Fatal(err)
	}
	tok.SetMaxLength(48)
	f.Fuzz(func(t *testing.T, text string) {
		last := 0
		for _, w := range Segment(text) {
			if w.Start < last || w.End <= w.Start || w.End > len(text) {
				t.Fatalf("Segment(%q): word [%d,%d) after %d", text, w.Start, w.End, last)
			}
			if g := text[last:w.Start]; strings.TrimSpace(g) != "" {
				t.Fatalf("Segment(%q): %q between words is not space", text, g)
			}
			word := text[w.Start:w.End]
			if strings.IndexFunc(word, unicode.IsSpace) >= 0 {
				t.Fatalf("Segment(%q): word %q holds a space", text, word)
			}
			if w.Punct != onlyRunes(word, unicode.IsPunct) {
				t.Fatalf("Segment(%q): word %q Punct %v", text, word, w.Punct)
			}
			last = w.End
		}
		if g := text[last:]; strings.TrimSpace(g) != "" {
			t.Fatalf("Segment(%q): tail %q is not space", text, g)
		}
		enc, err := tok.Encode(text)
		if err != nil {
			return
		}
		seen := make([]int, enc.Len())
		for _, f := range Features(enc, Words) {
			for _, pos := range f.Tokens {
				seen[pos]++
			}
		}
		for pos, n := range seen {
			if want := map[bool]int{true: 0, false: 1}[enc.Special[pos]]; n != want {
				t.Fatalf("%q: token %d in %d word features", text, pos, n)
			}
		}
		for _, f := range FeaturesWith(enc, Words, FeatureOptions{DropPunctuation: true}) {
			if onlyRunes(f.Text, unicode.IsPunct) {
				t.Fatalf("%q: punctuation feature %q kept", text, f.Text)
			}
		}
	})
}
