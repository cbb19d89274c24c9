package tokenize

import (
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// robertaTokenizer is the real roberta-base tokenizer.json, kept outside the
// repository in ../shared (see the issue that brought it).
const robertaTokenizer = "../../shared/data/tokenizers/roberta-base/tokenizer.json"

var pairCases = [][2]string{
	{"A man is eating food.", "Someone eats."},
	{"How old is the Eiffel tower?", "The Eiffel Tower was built in 1889 for the World's Fair in Paris."},
	{"", "only the second text"},
	{"only the first text", ""},
	{"Café naïve — déjà vu!", "It's   spaced\tout,\nreally"},
}

// refPiece is one item of a post-processor's pair template, as the
// test reads it from tokenizer.json by itself.
type refPiece struct {
	seq     string // "A" or "B", or "" for a special token
	ids     []int64
	typeID  int64
	special string
}

// referencePair builds the pair encoding the way Hugging Face's
// post-processor defines it: each text encoded alone (Encode, special tokens
// stripped), then laid out by the template pieces read from the file.
func referencePair(t *testing.T, tk *Tokenizer, pieces []refPiece, a, b string) (ids, types []int64, toks []string, offs [][2]int, segs []int) {
	t.Helper()
	content := func(s string) *Encoding {
		e, err := tk.Encode(s)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	ea, eb := content(a), content(b)
	seg := 0
	for _, p := range pieces {
		switch p.seq {
		case "A", "B":
			e := ea
			if p.seq == "B" {
				e, seg = eb, 1
			}
			for i := range e.IDs {
				if e.Special[i] {
					continue
				}
				ids, types, toks, offs, segs = append(ids, e.IDs[i]), append(types, p.typeID), append(toks, e.Tokens[i]), append(offs, e.Offsets[i]), append(segs, seg)
			}
		default:
			for _, id := range p.ids {
				ids, types, toks, offs, segs = append(ids, id), append(types, p.typeID), append(toks, p.special), append(offs, [2]int{}), append(segs, seg)
			}
		}
	}
	return
}

func checkPairs(t *testing.T, tk *Tokenizer, pieces []refPiece, cases [][2]string) {
	t.Helper()
	for _, c := range cases {
		got, err := tk.EncodePair(c[0], c[1])
		if err != nil {
			t.Fatalf("EncodePair(%q, %q): %v", c[0], c[1], err)
		}
		ids, types, toks, offs, segs := referencePair(t, tk, pieces, c[0], c[1])
		if !reflect.DeepEqual(got.IDs, ids) || !reflect.DeepEqual(got.TypeIDs, types) || !reflect.DeepEqual(got.Tokens, toks) ||
			!reflect.DeepEqual(got.Offsets, offs) || !reflect.DeepEqual(got.Pair.Segments, segs) {
			t.Errorf("EncodePair(%q, %q):\n got ids %v types %v tokens %q offsets %v segments %v\nwant ids %v types %v tokens %q offsets %v segments %v",
				c[0], c[1], got.IDs, got.TypeIDs, got.Tokens, got.Offsets, got.Pair.Segments, ids, types, toks, offs, segs)
			continue
		}
		if got.Truncated || got.Pair.Removed != [2]int{} || got.FullLength != len(ids) {
			t.Errorf("EncodePair(%q, %q): truncated %v removed %v full length %d, want none and %d", c[0], c[1], got.Truncated, got.Pair.Removed, got.FullLength, len(ids))
		}
		// Every content token's offsets index its own segment's text, and
		// word ids count on across the pair without gaps.
		next := 0
		for pos := range got.IDs {
			if got.Special[pos] != (got.WordIDs[pos] < 0) {
				t.Errorf("%q: token %d special %v but word id %d", c, pos, got.Special[pos], got.WordIDs[pos])
			}
			if got.Special[pos] {
				continue
			}
			o := got.Offsets[pos]
			if text := got.SegmentText(got.Segment(pos)); o[1] > len(text) || o[0] > o[1] {
				t.Errorf("%q: token %d %q has offsets %v outside its text %q", c, pos, got.Tokens[pos], o, text)
			}
			if w := got.WordIDs[pos]; w != next && w != next-1 {
				t.Errorf("%q: word ids jump to %d at token %d (next was %d)", c, w, pos, next)
			} else if w == next {
				next++
			}
		}
	}
}

// TestEncodePairBERT checks pair encoding against the shipped model's own
// TemplateProcessing pair template: [CLS] A [SEP] B [SEP], types 0…0 1…1.
func TestEncodePairBERT(t *testing.T) {
	tk, pieces := bertPairTemplate(t)
	checkPairs(t, tk, pieces, pairCases)

	// The shape Hugging Face documents for BERT, spelled out once.
	e, err := tk.EncodePair("A man eats.", "Someone eats.")
	if err != nil {
		t.Fatal(err)
	}
	want := "[CLS] a man eats . [SEP] someone eats . [SEP]"
	if got := strings.Join(e.Tokens, " "); got != want {
		t.Errorf("tokens %q, want %q", got, want)
	}
	if want := []int64{0, 0, 0, 0, 0, 0, 1, 1, 1, 1}; !reflect.DeepEqual(e.TypeIDs, want) {
		t.Errorf("type ids %v, want %v", e.TypeIDs, want)
	}
}

// bertPairTemplate is the shipped model's tokenizer and its pair template
// as the test reads it from the file.
func bertPairTemplate(t *testing.T) (*Tokenizer, []refPiece) {
	t.Helper()
	data, err := os.ReadFile(modelTokenizer)
	if err != nil {
		t.Skipf("the default model's tokenizer is not at %s: %v", modelTokenizer, err)
	}
	var file struct {
		PostProcessor struct {
			Type string `json:"type"`
			Pair []struct {
				SpecialToken *struct {
					ID     string `json:"id"`
					TypeID int64  `json:"type_id"`
				} `json:"SpecialToken"`
				Sequence *struct {
					ID     string `json:"id"`
					TypeID int64  `json:"type_id"`
				} `json:"Sequence"`
			} `json:"pair"`
			SpecialTokens map[string]struct {
				IDs []int64 `json:"ids"`
			} `json:"special_tokens"`
		} `json:"post_processor"`
	}
	if err := json.Unmarshal(data, &file); err != nil {
		t.Fatal(err)
	}
	if file.PostProcessor.Type != "TemplateProcessing" {
		t.Fatalf("the shipped tokenizer's post-processor is %q; this test reads TemplateProcessing", file.PostProcessor.Type)
	}
	var pieces []refPiece
	for _, p := range file.PostProcessor.Pair {
		if p.Sequence != nil {
			pieces = append(pieces, refPiece{seq: p.Sequence.ID, typeID: p.Sequence.TypeID})
			continue
		}
		pieces = append(pieces, refPiece{ids: file.PostProcessor.SpecialTokens[p.SpecialToken.ID].IDs, typeID: p.SpecialToken.TypeID, special: p.SpecialToken.ID})
	}
	tk, err := Load(modelTokenizer)
	if err != nil {
		t.Fatal(err)
	}
	return tk, pieces
}

// TestEncodePairRoBERTa checks the real roberta-base tokenizer's
// RobertaProcessing: <s> A </s> </s> B </s>, type ids all 0 (Hugging
// Face's RobertaProcessing writes 0 for the second text too).
func TestEncodePairRoBERTa(t *testing.T) {
	tk, pieces := robertaPairTemplate(t)
	checkPairs(t, tk, pieces, pairCases)
}

// robertaPairTemplate is the real roberta-base tokenizer and its pair
// template, built from the file's RobertaProcessing cls and sep.
func robertaPairTemplate(t *testing.T) (*Tokenizer, []refPiece) {
	t.Helper()
	data, err := os.ReadFile(robertaTokenizer)
	if err != nil {
		t.Skipf("the roberta-base tokenizer is not at %s (it lives in ../shared, outside the repository): %v", robertaTokenizer, err)
	}
	var file struct {
		PostProcessor struct {
			Type string             `json:"type"`
			Cls  [2]json.RawMessage `json:"cls"`
			Sep  [2]json.RawMessage `json:"sep"`
		} `json:"post_processor"`
	}
	if err := json.Unmarshal(data, &file); err != nil {
		t.Fatal(err)
	}
	if file.PostProcessor.Type != "RobertaProcessing" {
		t.Fatalf("roberta-base's post-processor is %q; this test reads RobertaProcessing", file.PostProcessor.Type)
	}
	var cls, sep string
	var clsID, sepID int64
	for _, x := range []error{json.Unmarshal(file.PostProcessor.Cls[0], &cls), json.Unmarshal(file.PostProcessor.Cls[1], &clsID),
		json.Unmarshal(file.PostProcessor.Sep[0], &sep), json.Unmarshal(file.PostProcessor.Sep[1], &sepID)} {
		if x != nil {
			t.Fatal(x)
		}
	}
	pieces := []refPiece{
		{ids: []int64{clsID}, special: cls}, {seq: "A"}, {ids: []int64{sepID}, special: sep}, {ids: []int64{sepID}, special: sep},
		{seq: "B"}, {ids: []int64{sepID}, special: sep},
	}
	tk, err := Parse("roberta-base", data)
	if err != nil {
		t.Fatal(err)
	}
	return tk, pieces
}

// TestEncodePairSST2 checks every pair of SST-2 dev sentences (sentence i
// with sentence i + 436) against the template construction, on BERT and
// on the real roberta-base tokenizer. The data lives in ../shared.
func TestEncodePairSST2(t *testing.T) {
	data, err := os.ReadFile(sst2Dev)
	if err != nil {
		t.Skipf("SST-2 dev is not at %s (it lives in ../shared, outside the repository): %v", sst2Dev, err)
	}
	var texts []string
	for i, line := range strings.Split(strings.TrimRight(string(data), "\n"), "\n") {
		if _, text, ok := strings.Cut(line, "\t"); ok && i > 0 {
			texts = append(texts, text)
		}
	}
	half := len(texts) / 2
	var cases [][2]string
	for i := range half {
		cases = append(cases, [2]string{texts[i], texts[half+i]})
	}
	if len(cases) < 400 {
		t.Fatalf("read %d pairs from %s; want the 436 of SST-2 dev", len(cases), sst2Dev)
	}
	tk, pieces := bertPairTemplate(t)
	checkPairs(t, tk, pieces, cases)
	if _, err := os.Stat(robertaTokenizer); err != nil {
		t.Skipf("the roberta-base tokenizer is not at %s: BERT checked, RoBERTa skipped", robertaTokenizer)
	}
	rtk, rpieces := robertaPairTemplate(t)
	checkPairs(t, rtk, rpieces, cases)
	t.Logf("%d SST-2 dev pairs: BERT and roberta-base pair encodings equal the template construction", len(cases))
}

const sst2Dev = "../../shared/data/sst2/dev.tsv"

// TestLongestFirst checks the truncation rule on Hugging Face's three
// cases (tokenizers' utils/truncation.rs): no cut, only the longer cut to
// what the shorter leaves, both cut to half with the longer keeping the odd
// token.
func TestLongestFirst(t *testing.T) {
	for _, c := range []struct{ na, nb, room, a, b int }{
		{3, 4, 10, 3, 4},  // fits
		{3, 20, 10, 3, 7}, // only the second is cut
		{20, 3, 10, 7, 3}, // only the first is cut
		{8, 9, 10, 5, 5},  // both: halves
		{8, 9, 11, 5, 6},  // both, odd room: the longer keeps the odd token
		{9, 8, 11, 6, 5},
		{9, 9, 11, 5, 6}, // a tie: the second keeps it, as Hugging Face does
		{0, 30, 10, 0, 10},
		{30, 30, 2, 1, 1},
	} {
		a, b := longestFirst(c.na, c.nb, c.room)
		if a != c.a || b != c.b {
			t.Errorf("longestFirst(%d, %d, room %d) = %d, %d; want %d, %d", c.na, c.nb, c.room, a, b, c.a, c.b)
		}
	}
}

func TestEncodePairTruncation(t *testing.T) {
	tk := freshBERT(t)
	tk.SetMaxLength(13)                                  // 10 tokens of room between [CLS], [SEP] and [SEP]
	a := "one two three four five six seven eight"       // 8 tokens
	b := "alpha beta gamma delta epsilon zeta eta theta" // 8 or more
	full, err := bertTokenizer(t).EncodePair(a, b)
	if err != nil {
		t.Fatal(err)
	}
	nb := 0
	for pos := range full.IDs {
		if !full.Special[pos] && full.Segment(pos) == 1 {
			nb++
		}
	}
	e, err := tk.EncodePair(a, b)
	if err != nil {
		t.Fatal(err)
	}
	wantA, wantB := longestFirst(8, nb, 10)
	if !e.Truncated || e.Pair.Removed != [2]int{8 - wantA, nb - wantB} || e.Len() != 13 || e.FullLength != full.Len() {
		t.Fatalf("truncated %v removed %v len %d full %d; want true, [%d %d], 13, %d", e.Truncated, e.Pair.Removed, e.Len(), e.FullLength, 8-wantA, nb-wantB, full.Len())
	}
	// The kept tokens are the heads of the untruncated ones, and the
	// template's tokens are all there.
	if got := strings.Join(e.Tokens, " "); got != strings.Join(append(append(append(append([]string{}, full.Tokens[:1+wantA]...), "[SEP]"), full.Tokens[10:10+wantB]...), "[SEP]"), " ") {
		t.Errorf("truncated pair %q does not keep the heads of %q", got, strings.Join(full.Tokens, " "))
	}

	tk.SetMaxLength(4) // [CLS] [SEP] [SEP] and one token: no room for two texts
	if _, err := tk.EncodePair("a", "b"); err == nil || !strings.Contains(err.Error(), "maximum length 4") {
		t.Errorf("max length 4: err %v, want a refusal naming it", err)
	}
}

func TestSegmentView(t *testing.T) {
	e, err := bertTokenizer(t).EncodePair("good film", "bad plot")
	if err != nil {
		t.Fatal(err)
	}
	for s, text := range []string{"good film", "bad plot"} {
		v := e.SegmentView(s)
		if v.Text != text || v.Pair != nil || v.Len() != e.Len() {
			t.Fatalf("view %d: text %q pair %v len %d", s, v.Text, v.Pair, v.Len())
		}
		var words []string
		for pos := range v.IDs {
			if !v.Special[pos] {
				o := v.Offsets[pos]
				words = append(words, v.Text[o[0]:o[1]])
			}
		}
		if got := strings.Join(words, " "); got != text {
			t.Errorf("view %d reads %q, want %q", s, got, text)
		}
	}
	if !e.Special[0] || e.SegmentView(0).Special[0] != true {
		t.Error("[CLS] must stay special in a view")
	}
}

func TestEncodePairNoTemplate(t *testing.T) {
	data, err := os.ReadFile(modelTokenizer)
	if err != nil {
		t.Skipf("the default model's tokenizer is not at %s: %v", modelTokenizer, err)
	}
	var file map[string]any
	if err := json.Unmarshal(data, &file); err != nil {
		t.Fatal(err)
	}
	delete(file["post_processor"].(map[string]any), "pair")
	data, _ = json.Marshal(file)
	tk, err := Parse("no pair template", data)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tk.Encode("one text still works"); err != nil {
		t.Fatal(err)
	}
	if _, err := tk.EncodePair("a", "b"); err == nil || !strings.Contains(err.Error(), "no pair template") {
		t.Errorf("err %v, want a refusal saying there is no pair template", err)
	}
}

// FuzzEncodePair checks what a pair Encoding promises, for any two texts
// and maximum length, on WordPiece (BERT) and byte-level BPE (RoBERTa):
// no panic; invalid UTF-8 in either text refused; at most MaxLength
// tokens; segments 0 then 1, never back; each content token's offsets on
// rune boundaries inside its own text and in order; special tokens
// flagged with word id −1; Removed and FullLength adding up (what was
// kept plus what was cut is the whole pair) and Truncated exactly when
// something was cut.
//
//	go test -run '^$' -fuzz '^FuzzEncodePair$' -fuzztime 10s ./tokenize
func FuzzEncodePair(f *testing.F) {
	for _, p := range [][2]string{{"", ""}, {"a man eats", "someone eats"}, {"Café naïve", "東京 🔥"},
		{"hello world  <mask> hello", "wow!!!..."}, {"bad \xff", "ok"}, {"one two three four five six", "x"}} {
		f.Add(p[0], p[1], uint8(0))
		f.Add(p[0], p[1], uint8(7))
	}
	bert := freshBERT(f)
	roberta := fromJSON(f, robertaTokenizerJSON())
	bertDefault, robertaDefault := bert.MaxLength(), roberta.MaxLength()
	f.Fuzz(func(t *testing.T, a, b string, maxLen uint8) {
		for _, tc := range []struct {
			name string
			tk   *Tokenizer
			def  int
		}{{"bert", bert, bertDefault}, {"roberta", roberta, robertaDefault}} {
			tc.tk.SetMaxLength(int(maxLen))
			if maxLen == 0 {
				tc.tk.SetMaxLength(tc.def)
			}
			e, err := tc.tk.EncodePair(a, b)
			if !utf8.ValidString(a) || !utf8.ValidString(b) {
				if !errors.Is(err, ErrInvalidUTF8) {
					t.Fatalf("%s: invalid UTF-8 in %q / %q: want ErrInvalidUTF8, got %v", tc.name, a, b, err)
				}
				continue
			}
			if err != nil {
				if tc.tk.MaxLength()-tc.tk.pair.specials() < 2 && strings.Contains(err.Error(), "no room") {
					continue
				}
				if tc.name == "bert" {
					t.Fatalf("bert: valid pair %q / %q failed: %v", a, b, err)
				}
				continue
			}
			n := e.Len()
			if n > tc.tk.MaxLength() {
				t.Fatalf("%s: %d tokens, more than MaxLength %d", tc.name, n, tc.tk.MaxLength())
			}
			for _, l := range []int{len(e.TypeIDs), len(e.AttentionMask), len(e.Tokens), len(e.Offsets), len(e.WordIDs), len(e.Special), len(e.Pair.Segments)} {
				if l != n {
					t.Fatalf("%s: a per-token slice has %d entries, not %d", tc.name, l, n)
				}
			}
			last := [2]int{-1, -1} // previous content token's end, per segment
			for pos := range n {
				seg := e.Pair.Segments[pos]
				if pos > 0 && seg < e.Pair.Segments[pos-1] {
					t.Fatalf("%s: segment goes back from 1 to 0 at token %d", tc.name, pos)
				}
				if e.Special[pos] {
					if e.WordIDs[pos] != -1 {
						t.Fatalf("%s: special token %d has word id %d", tc.name, pos, e.WordIDs[pos])
					}
					continue
				}
				text, o := e.SegmentText(seg), e.Offsets[pos]
				if o[0] < 0 || o[0] > o[1] || o[1] > len(text) || !utf8Boundary(text, o[0]) || !utf8Boundary(text, o[1]) || o[0] < last[seg] {
					t.Fatalf("%s: token %d %q has offsets %v in its text %q (segment %d)", tc.name, pos, e.Tokens[pos], o, text, seg)
				}
				last[seg] = o[0]
			}
			cut := e.Pair.Removed[0] + e.Pair.Removed[1]
			if e.FullLength != n+cut || e.Truncated != (cut > 0) {
				t.Fatalf("%s: FullLength %d, %d tokens kept, %v removed, truncated %v", tc.name, e.FullLength, n, e.Pair.Removed, e.Truncated)
			}
		}
	})
}

func utf8Boundary(s string, i int) bool { return i == len(s) || (i < len(s) && utf8.RuneStart(s[i])) }

// TestEncodePairPostProcessors: BertProcessing and a Sequence holding the
// template give the TemplateProcessing encoding; no post-processor
// concatenates the texts, the second with type id 1, as Hugging Face does.
func TestEncodePairPostProcessors(t *testing.T) {
	data, err := os.ReadFile(modelTokenizer)
	if err != nil {
		t.Skipf("the default model's tokenizer is not at %s: %v", modelTokenizer, err)
	}
	with := func(pp any) *Tokenizer {
		var file map[string]any
		if err := json.Unmarshal(data, &file); err != nil {
			t.Fatal(err)
		}
		if pp != nil {
			pp = pp.(func(any) any)(file["post_processor"])
		}
		file["post_processor"] = pp
		b, _ := json.Marshal(file)
		tk, err := Parse("variant", b)
		if err != nil {
			t.Fatal(err)
		}
		return tk
	}
	base := with(func(orig any) any { return orig })
	want, err := base.EncodePair("A man eats.", "Someone eats.")
	if err != nil {
		t.Fatal(err)
	}
	for name, tk := range map[string]*Tokenizer{
		"BertProcessing": with(func(any) any {
			return map[string]any{"type": "BertProcessing", "sep": []any{"[SEP]", 102}, "cls": []any{"[CLS]", 101}}
		}),
		"Sequence": with(func(orig any) any {
			return map[string]any{"type": "Sequence", "processors": []any{
				map[string]any{"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true}, orig}}
		}),
	} {
		got, err := tk.EncodePair("A man eats.", "Someone eats.")
		if err != nil {
			t.Fatal(name, err)
		}
		if !reflect.DeepEqual(got.IDs, want.IDs) || !reflect.DeepEqual(got.TypeIDs, want.TypeIDs) || !reflect.DeepEqual(got.Pair.Segments, want.Pair.Segments) {
			t.Errorf("%s: ids %v types %v segments %v; want %v %v %v", name, got.IDs, got.TypeIDs, got.Pair.Segments, want.IDs, want.TypeIDs, want.Pair.Segments)
		}
	}
	none, err := with(nil).EncodePair("A man eats.", "Someone eats.")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(none.Tokens, " "); got != "a man eats . someone eats ." {
		t.Errorf("no post-processor: tokens %q", got)
	}
	if w := []int64{0, 0, 0, 0, 1, 1, 1}; !reflect.DeepEqual(none.TypeIDs, w) {
		t.Errorf("no post-processor: type ids %v, want %v", none.TypeIDs, w)
	}
}
