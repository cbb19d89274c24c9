package tokenize

import (
	"encoding/json"
	"fmt"
)

// fileConfig is the part of a Hugging Face tokenizer.json that Lucid reads
// itself. sugarme parses the whole file too (and owns the vocabulary), but
// it drops or misreads some of these settings (the WordPiece
// continuing_subword_prefix, strip_accents, the post-processor's layout as
// word ids), so the boundary reads them directly.
type fileConfig struct {
	AddedTokens   []addedTokenConfig `json:"added_tokens"`
	Normalizer    json.RawMessage    `json:"normalizer"`
	PreTokenizer  json.RawMessage    `json:"pre_tokenizer"`
	PostProcessor json.RawMessage    `json:"post_processor"`
	Model         json.RawMessage    `json:"model"`
	Truncation    *struct {
		MaxLength int `json:"max_length"`
	} `json:"truncation"`
}

type addedTokenConfig struct {
	ID         int64  `json:"id"`
	Content    string `json:"content"`
	SingleWord bool   `json:"single_word"`
	Lstrip     bool   `json:"lstrip"`
	Rstrip     bool   `json:"rstrip"`
	Normalized bool   `json:"normalized"`
	Special    bool   `json:"special"`
}

// typed is any component of tokenizer.json: an object with a "type".
type typed struct {
	Type string `json:"type"`
}

func componentType(raw json.RawMessage) string {
	var t typed
	if len(raw) == 0 || json.Unmarshal(raw, &t) != nil {
		return ""
	}
	return t.Type
}

// bertNormalizerConfig is Hugging Face's BertNormalizer. StripAccents is a
// pointer because null is meaningful: it means "strip accents if and only if
// lowercasing", which is how bert-base-uncased is usually saved.
type bertNormalizerConfig struct {
	CleanText          *bool `json:"clean_text"`
	HandleChineseChars *bool `json:"handle_chinese_chars"`
	StripAccents       *bool `json:"strip_accents"`
	Lowercase          *bool `json:"lowercase"`
}

func orTrue(b *bool) bool { return b == nil || *b }

// wordPieceConfig is the WordPiece model section (vocab excepted: sugarme
// parses that).
type wordPieceConfig struct {
	UnkToken                *string `json:"unk_token"`
	ContinuingSubwordPrefix *string `json:"continuing_subword_prefix"`
	MaxInputCharsPerWord    *int    `json:"max_input_chars_per_word"`
}

// specialToken is one token a post-processor adds around the text.
type specialToken struct {
	id     int64
	token  string
	typeID int64
}

// layout is how a post-processor frames a single sequence: prefix tokens,
// the text's tokens (with type id typeID), suffix tokens.
type layout struct {
	prefix, suffix []specialToken
	typeID         int64
}

func (l layout) specials() int { return len(l.prefix) + len(l.suffix) }

// parseLayout reads the single-sequence template of the post-processor
// types Hugging Face writes for encoder models. A null post-processor (or
// one that adds nothing, like ByteLevel) gives an empty layout.
func parseLayout(raw json.RawMessage) (layout, error) {
	switch componentType(raw) {
	case "":
		return layout{}, nil
	case "BertProcessing", "RobertaProcessing":
		var p struct {
			Sep [2]json.RawMessage `json:"sep"`
			Cls [2]json.RawMessage `json:"cls"`
		}
		if err := json.Unmarshal(raw, &p); err != nil {
			return layout{}, fmt.Errorf("post_processor: %w", err)
		}
		cls, err := pairToken(p.Cls, "cls")
		if err != nil {
			return layout{}, err
		}
		sep, err := pairToken(p.Sep, "sep")
		if err != nil {
			return layout{}, err
		}
		return layout{prefix: []specialToken{cls}, suffix: []specialToken{sep}}, nil
	case "TemplateProcessing":
		return parseTemplate(raw)
	case "Sequence":
		var p struct {
			Processors []json.RawMessage `json:"processors"`
		}
		if err := json.Unmarshal(raw, &p); err != nil {
			return layout{}, fmt.Errorf("post_processor: %w", err)
		}
		// Of a sequence, the processor that adds tokens decides the layout
		// (the others, like ByteLevel, only trim offsets).
		for _, sub := range p.Processors {
			l, err := parseLayout(sub)
			if err != nil {
				return layout{}, err
			}
			if l.specials() > 0 {
				return l, nil
			}
		}
		return layout{}, nil
	default:
		return layout{}, nil
	}
}

// pairToken reads BertProcessing's ["[CLS]", 101].
func pairToken(p [2]json.RawMessage, name string) (specialToken, error) {
	var t specialToken
	if json.Unmarshal(p[0], &t.token) != nil || json.Unmarshal(p[1], &t.id) != nil {
		return t, fmt.Errorf("post_processor: %s must be [token, id], got [%s, %s]", name, p[0], p[1])
	}
	return t, nil
}

// templateProcessing is the part of a TemplateProcessing post-processor
// that Lucid reads: the single and pair templates (special tokens and the
// sequences A and B, each with its type id) and the special tokens' ids.
type templateProcessing struct {
	Single        []templatePiece         `json:"single"`
	Pair          []templatePiece         `json:"pair"`
	SpecialTokens map[string]templateSpec `json:"special_tokens"`
}

// templatePiece is one entry of a template: a special token or a sequence.
type templatePiece struct {
	SpecialToken *templateRef `json:"SpecialToken"`
	Sequence     *templateRef `json:"Sequence"`
}

// templateRef names a special token (or the sequence A or B) and its type id.
type templateRef struct {
	ID     string `json:"id"`
	TypeID int64  `json:"type_id"`
}

// templateSpec is a special token's ids and tokens.
type templateSpec struct {
	IDs    []int64  `json:"ids"`
	Tokens []string `json:"tokens"`
}

func parseTemplate(raw json.RawMessage) (layout, error) {
	var p templateProcessing
	if err := json.Unmarshal(raw, &p); err != nil {
		return layout{}, fmt.Errorf("post_processor (TemplateProcessing): %w", err)
	}
	var l layout
	seen := false
	for _, piece := range p.Single {
		switch {
		case piece.Sequence != nil:
			seen = true
			l.typeID = piece.Sequence.TypeID
		case piece.SpecialToken != nil:
			st, ok := p.SpecialTokens[piece.SpecialToken.ID]
			if !ok || len(st.IDs) != len(st.Tokens) {
				return layout{}, fmt.Errorf("post_processor (TemplateProcessing): special token %q is not described in special_tokens", piece.SpecialToken.ID)
			}
			for i, id := range st.IDs {
				t := specialToken{id: id, token: st.Tokens[i], typeID: piece.SpecialToken.TypeID}
				if seen {
					l.suffix = append(l.suffix, t)
				} else {
					l.prefix = append(l.prefix, t)
				}
			}
		}
	}
	if !seen {
		return layout{}, fmt.Errorf("post_processor (TemplateProcessing): the single template has no Sequence")
	}
	return l, nil
}
