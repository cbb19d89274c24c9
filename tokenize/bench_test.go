package tokenize

import (
	"os"
	"strings"
	"testing"
)

func BenchmarkEncodeSentence(b *testing.B) {
	tk := bertTokenizer(b)
	text := "The acting was superb but the plot made no sense, déjà vu 🔥."
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		if _, err := tk.Encode(text); err != nil {
			b.Fatal(err)
		}
	}
}

// A 100 kB text: truncated to MaxLength, but every token is counted for
// FullLength, so this measures the whole pipeline's per-byte cost.
func BenchmarkEncode100kB(b *testing.B) {
	tk := bertTokenizer(b)
	text := strings.Repeat("the movie is wonderful, Café naïve 東京 🔥! ", 100_000/45)
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		if _, err := tk.Encode(text); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeBatch(b *testing.B) {
	tk := bertTokenizer(b)
	texts := make([]string, 256)
	for i := range texts {
		texts[i] = strings.Repeat("it 's not a bad film , just a forgettable one . ", 1+i%4)
	}
	for b.Loop() {
		if _, err := tk.EncodeBatch(texts); err != nil {
			b.Fatal(err)
		}
	}
}

// Byte-level BPE on SST-2 train sentences, one Encode call at a time:
// Lucid's own path against sugarme's (the path before it), on roberta-base.
func BenchmarkRoBERTaSST2(b *testing.B) {
	path := "../../shared/data/tokenizers/roberta-base/tokenizer.json"
	data, err := os.ReadFile(path)
	if err != nil {
		b.Skipf("roberta-base's tokenizer is not here: %v", err)
	}
	texts := sst2Texts(b)[:2000]
	own, err := parse(data)
	if err != nil {
		b.Fatal(err)
	}
	old, err := parse(data)
	if err != nil {
		b.Fatal(err)
	}
	sk, err := loadSugarme(data)
	if err != nil {
		b.Fatal(err)
	}
	old.bpe, old.sugar = nil, &sugarPipeline{tk: sk}
	for _, c := range []struct {
		name string
		tk   *Tokenizer
	}{{"lucid", own}, {"sugarme", old}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				for _, t := range texts {
					if _, err := c.tk.Encode(t); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(texts)), "ns/text")
		})
	}
}
