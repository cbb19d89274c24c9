package tokenize

import (
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
