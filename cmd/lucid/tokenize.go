package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/lucid-nlp/lucid/internal/readcap"
	"github.com/lucid-nlp/lucid/models"
	"github.com/lucid-nlp/lucid/perturb"
	"github.com/lucid-nlp/lucid/tokenize"
)

const tokenizeHelp = `
Usage: lucid tokenize [--model DIR | --tokenizer FILE] [--json] [TEXT...]

Shows how a model's tokenizer reads each TEXT (or each line of standard
input): the ids the model is given, each token's string and the span of the
text it came from, and the word map, i.e. which word of the text (as
explanations and audits name words) each token belongs to. Use it to check
an export: the ids should equal what your training code (transformers'
AutoTokenizer) gives for the same text, special tokens included.

Examples:
  lucid tokenize --model ./my-roberta "I didn't love it!!!!"
  lucid tokenize --tokenizer tokenizer.json --json < texts.txt > tokens.jsonl
  printf 'first line\n\nsecond' | lucid tokenize --model DIR   # one text per line

Which tokenizer: --tokenizer FILE reads a Hugging Face tokenizer.json alone
(maximum length: the file's truncation.max_length, else 512); --model DIR
reads DIR/tokenizer.json with the maximum length of DIR/config.json, as
predict and explain do; neither: the default model (as predict).

Output, per text: a header line, then one line per token:
  position  id  token  start:end  "source text"  word
Special tokens (<s>, [CLS], ...) show "special" instead of a span and "-"
as word. Words are listed after the tokens with the token positions they
hold. Byte-level BPE tokens (RoBERTa, GPT-2) are shown as the vocabulary
spells them: Ġ is a space, Ċ a newline, Âł a no-break space. A text longer
than the model reads says [truncated] and how many tokens it had.

With --json, one object per text:
  {"text", "ids", "tokens", "offsets": [[start, end], ...] (byte offsets
   into text; [0, 0] for special tokens), "special", "type_ids",
   "tokenizer_word_ids" (the tokenizer's own pre-token index, -1 for
   special tokens), "word_of_token" (index into "words", -1 when the
   token belongs to none), "words": [{"text", "start", "end", "tokens"}],
   "truncated", "full_length"}
A line that cannot be read (invalid UTF-8) gets {"line": N, "error": ...}
(without --json the error goes to standard error) and the command exits 1
after the rest is done.
`

func runTokenize(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("tokenize", tokenizeHelp, stderr)
	dir := fs.String("model", "", "model folder whose tokenizer.json and config.json to use (default: $LUCID_MODEL, else the built-in model)")
	file := fs.String("tokenizer", "", "a tokenizer.json to use on its own, instead of a model folder")
	asJSON := fs.Bool("json", false, "print one JSON object per text")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *dir != "" && *file != "" {
		return usagef("--model %q and --tokenizer %q both name a tokenizer: give one", *dir, *file)
	}
	tok, err := loadTokenizer(ctx, *dir, *file)
	if err != nil {
		return err
	}
	out := bufio.NewWriter(stdout)
	defer out.Flush()
	failed, total := 0, 0
	bad := func(line int, err error) error {
		failed++
		total++
		if *asJSON {
			return writeJSON(out, inputErrorJSON{Line: line, Error: err.Error()})
		}
		if err := out.Flush(); err != nil {
			return err
		}
		_, werr := fmt.Fprintf(stderr, "input %d: error: %s\n", line, termSafe(err.Error()))
		return werr
	}
	err = readTexts(ctx, fs.Args(), stdin, 64, func(texts []string, lines []int) error {
		for i, text := range texts {
			enc, err := tok.Encode(text)
			if err != nil {
				if err := bad(lines[i], err); err != nil {
					return err
				}
				continue
			}
			total++
			v := tokenView(enc)
			if *asJSON {
				err = writeJSON(out, v)
			} else {
				err = v.print(out, lines[i])
			}
			if err != nil {
				return err
			}
		}
		return out.Flush()
	}, bad)
	if err != nil {
		return err
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d inputs could not be tokenized (%s)", failed, total, whereErrorsAre(*asJSON))
	}
	return nil
}

// loadTokenizer reads --tokenizer FILE, or the tokenizer of --model DIR
// (the default model when both are empty) with the folder's maximum length.
func loadTokenizer(ctx context.Context, dir, file string) (*tokenize.Tokenizer, error) {
	if file != "" {
		return tokenize.Load(file)
	}
	var f *models.Folder
	var err error
	if dir == "" {
		f, err = models.Default()
	} else {
		f, err = models.ReadFolder(dir)
	}
	if err != nil {
		return nil, err
	}
	r, err := f.Open(models.TokenizerFile)
	if err != nil {
		return nil, fmt.Errorf("models: %s: %w", f.Dir, err)
	}
	defer r.Close()
	name := f.Dir + "/" + models.TokenizerFile
	data, err := readcap.ReadAll(readcap.NewReader(ctx, r), name, "tokenizer.json", tokenize.MaxFileBytes)
	if err != nil {
		return nil, err
	}
	tok, err := tokenize.Parse(name, data)
	if err != nil {
		return nil, err
	}
	tok.SetMaxLength(f.MaxLength)
	return tok, nil
}

type wordJSON struct {
	Text   string `json:"text"`
	Start  int    `json:"start"`
	End    int    `json:"end"`
	Tokens []int  `json:"tokens"`
}

type tokensJSON struct {
	Text             string     `json:"text"`
	IDs              []int64    `json:"ids"`
	Tokens           []string   `json:"tokens"`
	Offsets          [][2]int   `json:"offsets"`
	Special          []bool     `json:"special"`
	TypeIDs          []int64    `json:"type_ids"`
	TokenizerWordIDs []int      `json:"tokenizer_word_ids"`
	WordOfToken      []int      `json:"word_of_token"`
	Words            []wordJSON `json:"words"`
	Truncated        bool       `json:"truncated"`
	FullLength       int        `json:"full_length"`
}

// tokenView is an encoding with perturb's word map: the words explanations
// attribute, each with the tokens it holds.
func tokenView(enc *tokenize.Encoding) tokensJSON {
	v := tokensJSON{Text: enc.Text, IDs: enc.IDs, Tokens: enc.Tokens, Offsets: enc.Offsets, Special: enc.Special,
		TypeIDs: enc.TypeIDs, TokenizerWordIDs: enc.WordIDs, Truncated: enc.Truncated, FullLength: enc.FullLength,
		WordOfToken: make([]int, enc.Len()), Words: []wordJSON{}}
	for i := range v.WordOfToken {
		v.WordOfToken[i] = -1
	}
	for w, f := range perturb.Features(enc, perturb.Words) {
		v.Words = append(v.Words, wordJSON{Text: f.Text, Start: f.Start, End: f.End, Tokens: f.Tokens})
		for _, t := range f.Tokens {
			v.WordOfToken[t] = w
		}
	}
	return v
}

func (v tokensJSON) print(w io.Writer, line int) error {
	mark := ""
	if v.Truncated {
		mark = fmt.Sprintf(" [truncated: %d tokens, the model reads %d]", v.FullLength, len(v.IDs))
	}
	fmt.Fprintf(w, "input %d: %d tokens, %d words%s: %s\n", line, len(v.IDs), len(v.Words), mark, termSafe(strconv.Quote(v.Text)))
	rows := make([][]string, len(v.IDs))
	for i, id := range v.IDs {
		span, src, word := "special", "", "-"
		if !v.Special[i] {
			o := v.Offsets[i]
			span = fmt.Sprintf("%d:%d", o[0], o[1])
			src = termSafe(strconv.Quote(v.Text[o[0]:o[1]]))
			if k := v.WordOfToken[i]; k >= 0 {
				word = strconv.Itoa(k)
			}
		}
		rows[i] = []string{strconv.Itoa(i), strconv.FormatInt(id, 10), termSafe(v.Tokens[i]), span, src, word}
	}
	width := make([]int, 5)
	for _, r := range rows {
		for c := range width {
			width[c] = max(width[c], len([]rune(r[c])))
		}
	}
	for _, r := range rows {
		var b strings.Builder
		b.WriteString("  ")
		for c := range width {
			b.WriteString(r[c])
			b.WriteString(strings.Repeat(" ", width[c]-len([]rune(r[c]))+2))
		}
		b.WriteString(r[5])
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
	for k, wd := range v.Words {
		pos := make([]string, len(wd.Tokens))
		for i, t := range wd.Tokens {
			pos[i] = strconv.Itoa(t)
		}
		fmt.Fprintf(w, "  word %d %s (%d:%d): tokens %s\n", k, termSafe(strconv.Quote(wd.Text)), wd.Start, wd.End, strings.Join(pos, " "))
	}
	_, err := fmt.Fprintln(w)
	return err
}
