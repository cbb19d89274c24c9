package tokenize_test

import (
	"fmt"
	"log"

	"github.com/lucid-nlp/lucid/tokenize"
)

// Encode a text and map each token back to the bytes it came from. With the
// shipped default model this prints:
//
//	[CLS]    101 word -1 ""
//	cafe    7668 word  0 "Café"
//	naive  15743 word  1 "naïve"
//	!        999 word  2 "!"
//	[SEP]    102 word -1 ""
func ExampleTokenizer_Encode() {
	tk, err := tokenize.Load("../models/sst2-mini-bert/tokenizer.json")
	if err != nil {
		log.Fatal(err)
	}
	tk.SetMaxLength(512) // config.json's max_position_embeddings
	e, err := tk.Encode("Café naïve!")
	if err != nil {
		log.Fatal(err)
	}
	for i, tok := range e.Tokens {
		o := e.Offsets[i]
		fmt.Printf("%-6s %5d word %2d %q\n", tok, e.IDs[i], e.WordIDs[i], e.Text[o[0]:o[1]])
	}
}
