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
// # Why it corrects its own dependency
//
// The file is read by github.com/sugarme/tokenizer, which owns the vocabulary
// and, for most tokenizer types, the whole pipeline. Version 0.3.0 of it
// encodes BERT-family text differently from Hugging Face, and a model only
// gives its trained answers on the ids it was trained with:
//
//   - its BertNormalizer strips no accents, so "Café naïve" becomes
//     [UNK] [UNK] where Hugging Face gives "cafe naive" (and it does not read
//     strip_accents: null as "same as lowercase");
//   - its byte offsets slip by one after an accented character;
//   - its word ids leave out the special tokens, so they do not line up with
//     the ids.
//
// So for BERT-style tokenizers (BertNormalizer, BertPreTokenizer, WordPiece:
// BERT, DistilBERT, MiniLM, ...) this package does the normalization (clean
// text, CJK spacing, lowercase, NFD without combining marks) and the
// punctuation/whitespace split itself, keeping every character's source span,
// and runs WordPiece over sugarme's vocabulary. Ids match Hugging Face and the
// reference tokenizer in scripts/export_models.py. For other tokenizers
// (RoBERTa's byte-level BPE, ...) sugarme runs the pipeline, and this package
// frames its output: added tokens such as <mask> are cut out first (sugarme
// drops some of them), the post-processor's special tokens are added here,
// and word ids and offsets are rebuilt so they index Ids and the original
// text.
//
// A Tokenizer is safe for concurrent use. The BERT path shares only
// read-only tables; calls into sugarme are serialized.
package tokenize
