package augment

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/lucid-nlp/lucid/dataset"
	"github.com/lucid-nlp/lucid/fairness/counterfactual"
)

// This file rewrites the group column of a copy (Config.GroupCol): a copy
// whose text was swapped from group A to group B says B where its row said
// A.
//
// A value names a group when it equals, ignoring letter case and spaces
// around it, the group's name or one of its synonyms (groupSynonyms). The
// name families' groups are named ETHNICITY-GENDER ("african-american-
// male"); a value may name either part, and changes when the swap changes
// that part: in a names_gender swap "male" becomes "female", in a
// names_ethnicity swap "black" becomes "white". The new value is written
// in the old one's form: the synonym at the same place in the target's
// list ("M" → "F", "man" → "woman", "white" → "black"), in the same letter
// case ("Male" → "Female").

// groupSynonyms lists, for a group name (or a part of one), other values
// that name it. Lists of counterparts are aligned by position, so that a
// value is replaced by the same kind of word.
var groupSynonyms = map[string][]string{
	"male":              {"male", "m", "man", "men", "boy", "boys", "masculine"},
	"female":            {"female", "f", "woman", "women", "girl", "girls", "feminine"},
	"european-american": {"european-american", "white", "european american", "caucasian"},
	"african-american":  {"african-american", "black", "african american"},
	"hispanic":          {"hispanic", "latino", "latinx"},
	"asian":             {"asian", "asian-american", "asian american"},
	"young":             {"young", "younger", "youth"},
	"old":               {"old", "older", "elderly"},
}

// groupParts returns the names a group goes by: its name and, for a name
// family's ETHNICITY-GENDER group, the ethnicity and the gender.
func groupParts(g string) []string {
	g = strings.ToLower(g)
	for _, gender := range []string{"male", "female"} {
		if eth, ok := strings.CutSuffix(g, "-"+gender); ok && eth != "" {
			return []string{g, eth, gender}
		}
	}
	return []string{g}
}

// synonymIndex returns the place of v (lower case, trimmed) in name's
// synonyms, or -1.
func synonymIndex(name, v string) int {
	if v == name {
		return 0
	}
	for i, s := range groupSynonyms[name] {
		if s == v {
			return i
		}
	}
	return -1
}

// regroup returns the value a copy swapped from group from to group to
// gets in place of v, and whether v names (a part of) from that the swap
// changes.
func regroup(v, from, to string) (string, bool) {
	lv := strings.ToLower(strings.TrimSpace(v))
	fp, tp := groupParts(from), groupParts(to)
	if len(fp) != len(tp) {
		fp, tp = fp[:1], tp[:1]
	}
	for k := range fp {
		if fp[k] == tp[k] {
			continue // this part is not what the swap changes
		}
		i := synonymIndex(fp[k], lv)
		if i < 0 {
			continue
		}
		out := tp[k]
		if syn := groupSynonyms[tp[k]]; i > 0 && i < len(syn) {
			out = syn[i]
		}
		return caseLike(out, strings.TrimSpace(v)), true
	}
	return v, false
}

// namesGroup says whether v names (a part of) any group of fams.
func namesGroup(v string, fams []counterfactual.Family) bool {
	lv := strings.ToLower(strings.TrimSpace(v))
	for _, f := range fams {
		for _, g := range f.Groups {
			for _, p := range groupParts(g.Name) {
				if synonymIndex(p, lv) >= 0 {
					return true
				}
			}
		}
	}
	return false
}

// caseLike writes s (lower case) in the letter case of like: all capitals,
// a capital first, or as it is.
func caseLike(s, like string) string {
	hasLower := strings.ContainsFunc(like, unicode.IsLower)
	hasUpper := strings.ContainsFunc(like, unicode.IsUpper)
	switch {
	case hasUpper && !hasLower && (utf8.RuneCountInString(like) > 1 || utf8.RuneCountInString(s) == 1):
		return strings.ToUpper(s)
	case hasUpper:
		r, n := utf8.DecodeRuneInString(s)
		if unicode.IsUpper([]rune(like)[0]) {
			return string(unicode.ToUpper(r)) + s[n:]
		}
	}
	return s
}

// fieldSpan returns the byte span of the value of column col (the name
// the reader resolved) in rec, as written: the CSV field (its quotes
// included), the TSV field, or the JSON value; ok is false when it is not
// there (a JSONL row without the key).
func fieldSpan(rec dataset.RawRecord, format dataset.Format, header []string, col string) (span, bool) {
	b := rec.Bytes
	switch format {
	case dataset.TSV, dataset.CSV:
		i := -1
		for k, h := range header {
			if h == col {
				i = k
				break
			}
		}
		if i < 0 {
			return span{}, false
		}
		if format == dataset.TSV {
			start := 0
			for range i {
				start += bytes.IndexByte(b[start:], '\t') + 1
			}
			end := len(b)
			if j := bytes.IndexByte(b[start:], '\t'); j >= 0 {
				end = start + j
			}
			return span{start, end}, true
		}
		field, start, quoted := 0, 0, false
		for j := 0; j < len(b); j++ {
			switch {
			case b[j] == '"':
				quoted = !quoted // a doubled quote toggles twice
			case b[j] == ',' && !quoted:
				if field == i {
					return span{start, j}, true
				}
				field, start = field+1, j+1
			}
		}
		if field == i {
			return span{start, len(b)}, true
		}
		return span{}, false
	case dataset.JSONL:
		dec := json.NewDecoder(bytes.NewReader(b))
		if _, err := dec.Token(); err != nil {
			return span{}, false
		}
		best, bestKey := span{}, ""
		found, exact := false, false
		for dec.More() {
			t, err := dec.Token()
			if err != nil {
				return span{}, false
			}
			k, _ := t.(string)
			var v json.RawMessage
			if err := dec.Decode(&v); err != nil {
				return span{}, false
			}
			end := int(dec.InputOffset())
			sp := span{end - len(v), end}
			// As the reader looks it up: the exact key (the last of
			// several), else the smallest key equal to it in any case.
			switch {
			case k == col:
				best, found, exact = sp, true, true
			case !exact && strings.EqualFold(k, col) && (!found || k <= bestKey):
				best, bestKey, found = sp, k, true
			}
		}
		return best, found
	}
	return span{}, false
}

// span is a byte range [Start, End) of a record.
type span struct{ Start, End int }

// encodeField writes v as the field at span sp of rec was written: a CSV
// field quoted if it was, a TSV field as it is, a JSON string literal.
//
// The spaces around an unquoted CSV or TSV value are kept.
func encodeField(format dataset.Format, rec dataset.RawRecord, sp span, v string) []byte {
	old := string(rec.Bytes[sp.Start:sp.End])
	switch {
	case format == dataset.JSONL:
		return jsonString(v)
	case format == dataset.CSV && strings.HasPrefix(old, `"`):
		return []byte(csvField(v, true))
	}
	t := strings.TrimSpace(old)
	i := strings.Index(old, t)
	lead, trail := old[:i], old[i+len(t):]
	if format == dataset.CSV {
		v = csvField(v, false)
	}
	return []byte(lead + v + trail)
}
