// Package tokenize turns text into the inputs of a BERT-class model, with a
// map back from every token to the bytes of the text it came from.
//
// A Tokenizer is loaded from a Hugging Face tokenizer.json (the fast-tokenizer
// file every exported model ships). Encode gives, for one text, the input ids,
// token type ids and attention mask the model takes, and what explainers need
// to talk about the text rather than about ids: each token's string, its byte
// span in the original text (Text[start:end], accents and all), the index of
// the word it belongs to, and which tokens the tokenizer added ([CLS], [SEP],
// <s>, </s>). Texts longer than MaxLength keep their head and the closing
// special token, and say they were cut. EncodePair encodes a sentence pair
// with the post-processor's pair template ([CLS] A [SEP] B [SEP], type ids
// 0 then 1; RoBERTa's <s> A </s></s> B </s>), cut longest-first as Hugging
// Face's fast tokenizers cut pairs, each token marked with its text
// (Encoding.Pair).
//
// # Which code runs which tokenizer
//
// The file is read by github.com/sugarme/tokenizer for most tokenizer
// types. Version 0.3.0 of it encodes common text differently from Hugging
// Face, and a model only gives its trained answers on the ids it was
// trained with:
//
//   - its BertNormalizer strips no accents, so "Café naïve" becomes
//     [UNK] [UNK] where Hugging Face gives "cafe naive" (and it does not read
//     strip_accents: null as "same as lowercase");
//   - its byte offsets slip by one after an accented character;
//   - its word ids leave out the special tokens, so they do not line up with
//     the ids;
//   - its BPE merges runs of one symbol in another order (" 2000" gives
//     Ġ20 00, not the vocabulary's Ġ2000; "!!!!!" gives !!! !!), and its
//     byte-level pre-tokenizer applies GPT-2's \s+(?!\S) rule to spaces
//     only ("a\n\nb" gives ĊĊ where Hugging Face gives Ċ Ċ).
//
// So two families run entirely here. For BERT-style tokenizers
// (BertNormalizer, BertPreTokenizer, WordPiece: BERT, DistilBERT, MiniLM,
// ...) this package does the normalization (clean text, CJK spacing,
// lowercase, NFD without combining marks) and the punctuation/whitespace
// split itself, keeping every character's source span, and runs WordPiece
// over sugarme's vocabulary. For GPT-2's byte-level BPE (a ByteLevel
// pre-tokenizer and a BPE model: RoBERTa, GPT-2, BART, ...) it reads the
// vocabulary and merges itself, splits text with a scanner equal to GPT-2's
// regex, and merges lowest rank first (bytelevel.go); sugarme is not used.
// Ids match Hugging Face, the reference tokenizer in
// scripts/export_models.py and, for byte-level BPE,
// testdata/bpe_reference.py. For other tokenizers (Unigram, ...) sugarme
// runs the pipeline, and this package frames its output: added tokens such
// as <mask> are cut out first (sugarme drops some of them), the
// post-processor's special tokens are added here, and word ids and offsets
// are rebuilt so they index Ids and the original text.
//
// A Tokenizer is safe for concurrent use. The BERT and byte-level paths
// share only read-only tables (and a locked cache of merged words); calls
// into sugarme are serialized.
package tokenize
